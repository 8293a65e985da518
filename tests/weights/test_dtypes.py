"""Element types: bfloat16 becomes float32 exactly, bool from any nonzero byte."""

import numpy as np

from numpy_gradcam.weights.dtypes import (
    BFLOAT16,
    BOOL,
    SAFETENSORS,
    SAFETENSORS_NAMES,
    TORCH_DTYPES,
    TORCH_STORAGES,
)


def test_bfloat16_is_the_high_half_of_float32_literal_values():
    bits = np.array([0x3F80, 0xC000, 0x0000, 0x8000, 0x7F80, 0xFF80, 0x0001, 0x4049],
                    dtype="<u2")
    values = BFLOAT16.to_numpy(bits)
    assert values.dtype == np.float32
    expected = np.array([1.0, -2.0, 0.0, -0.0, np.inf, -np.inf, 2.0**-133, 3.140625],
                        dtype=np.float32)
    assert values.tobytes() == expected.tobytes()  # bit for bit: -0.0 and the subnormal too


def test_every_bfloat16_bit_pattern_becomes_the_float32_with_those_high_bits():
    bits = np.arange(1 << 16, dtype=np.uint32)
    values = BFLOAT16.to_numpy(bits.astype("<u2"))
    assert np.array_equal(values.view(np.uint32), bits << 16)  # NaNs keep their payloads


def test_every_bfloat16_agrees_with_torch(torch):
    bits = np.arange(1 << 16, dtype=np.uint16)
    theirs = torch.from_numpy(bits.view(np.int16)).view(torch.bfloat16).float().numpy()
    ours = BFLOAT16.to_numpy(bits)
    finite = np.isfinite(theirs)
    assert np.array_equal(ours[finite].view(np.uint32), theirs[finite].view(np.uint32))
    assert np.array_equal(np.isnan(ours), np.isnan(theirs))


def test_bool_is_true_for_any_nonzero_byte():
    assert BOOL.to_numpy(np.array([0, 1, 2, 255], dtype=np.uint8)).tolist() == \
        [False, True, True, True]


def test_big_endian_bytes_come_back_in_native_order():
    data = np.array([1.5, -2.0], dtype=">f8")
    out = TORCH_DTYPES["float64"].to_numpy(data)
    assert out.dtype == np.dtype("=f8") and out.tolist() == [1.5, -2.0]


def test_the_tables_agree_on_item_sizes():
    assert TORCH_STORAGES["BFloat16Storage"] is TORCH_DTYPES["bfloat16"] is SAFETENSORS["BF16"]
    for numpy_dtype, name in SAFETENSORS_NAMES.items():
        assert SAFETENSORS[name].raw.itemsize == numpy_dtype.itemsize
