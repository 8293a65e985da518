"""safetensors, read and written with NumPy alone, checked against the safetensors library."""

import importlib

import numpy as np
import pytest

from numpy_gradcam.io import load_state_dict, save_state_dict
from numpy_gradcam.weights import read
from tests.conftest import require_library

from . import files

RNG = np.random.default_rng(0)
ARRAYS = {
    "float16": RNG.standard_normal((3, 5)).astype(np.float16),
    "float32": np.array([np.nan, np.inf, -0.0, 1e-45, 3.5], dtype=np.float32),
    "float64": RNG.standard_normal((2, 1, 3)),
    "int64": RNG.integers(-2**62, 2**62, (4,)),
    "int32": RNG.integers(-2**31, 2**31, (2, 2), dtype=np.int32),
    "uint8": RNG.integers(0, 256, (7,), dtype=np.uint8),
    "bool": RNG.random((3, 3)) > 0.5,
    "scalar": np.array(2.5),
    "empty": np.zeros((0, 4), dtype=np.float32),
}


@pytest.fixture
def safetensors():
    """The safetensors library (import name ``safetensors``, as NUMPY_GRADCAM_REQUIRE_LIBRARIES
    names it): its ``numpy`` and ``torch`` modules are imported where used."""
    return require_library("safetensors")


def library(part: str):
    return importlib.import_module(f"safetensors.{part}")


def assert_bit_equal(ours: dict, theirs: dict):
    assert sorted(ours) == sorted(theirs)
    for key, value in theirs.items():
        value = np.asarray(value)
        assert ours[key].dtype == value.dtype and ours[key].shape == value.shape, key
        assert ours[key].tobytes() == value.tobytes(), key


def test_a_file_numpy_users_write_reads_bit_equal(tmp_path, safetensors):
    st = library("numpy")
    path = tmp_path / "w.safetensors"
    st.save_file(ARRAYS, str(path), metadata={"format": "np"})
    weights = read(path)
    assert weights.format == "safetensors"
    assert_bit_equal(weights.state_dict, ARRAYS)
    assert weights.notes == ("its metadata: format=np",)


def test_a_file_torch_users_write_reads_bit_equal(tmp_path, torch, safetensors):
    st = library("torch")
    g = torch.Generator().manual_seed(0)
    tensors = {str(dtype): (torch.randn(4, 3, generator=g) * 50).to(dtype)
               for dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64,
                             torch.int64, torch.int32, torch.uint8, torch.bool)}
    path = tmp_path / "w.safetensors"
    st.save_file(tensors, str(path))
    expected = {k: (t.float() if t.dtype == torch.bfloat16 else t).numpy()
                for k, t in tensors.items()}
    report = []
    assert_bit_equal(load_state_dict(path, report), expected)
    assert report == ["converted 1 bfloat16 tensor(s) to float32 (exactly: NumPy has no "
                      "bfloat16)"]


def test_our_file_reads_in_the_library_for_numpy(tmp_path, safetensors):
    path = tmp_path / "w.safetensors"
    save_state_dict(path, ARRAYS)
    assert_bit_equal(library("numpy").load_file(str(path)), ARRAYS)


def test_our_file_reads_in_the_library_for_torch(tmp_path, torch, safetensors):
    path = tmp_path / "w.safetensors"
    save_state_dict(path, ARRAYS)
    theirs = library("torch").load_file(str(path))
    assert_bit_equal({key: tensor.numpy() for key, tensor in theirs.items()}, ARRAYS)


def test_our_file_reads_back_in_order_and_is_aligned(tmp_path):
    path = tmp_path / "w.safetensors"
    big_endian = {"a": np.arange(3, dtype=">i2"), "b": np.arange(3.0)}  # written little-endian
    save_state_dict(path, big_endian)
    ours = load_state_dict(path)
    assert list(ours) == ["a", "b"] and ours["a"].dtype == np.dtype("=i2")
    assert ours["a"].tolist() == [0, 1, 2] and ours["b"].tolist() == [0.0, 1.0, 2.0]
    data = path.read_bytes()
    length = int.from_bytes(data[:8], "little")
    assert length % 8 == 0  # the float64 data start 8-aligned, before the int16 data
    assert data[8 + length:8 + length + 24] == np.arange(3.0).astype("<f8").tobytes()


def header(dtype="F32", shape=(3,), offsets=(0, 12)):
    return {"w": {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}}


@pytest.mark.parametrize("head, data, length, match", [
    (header(), bytes(12), 1 << 40, r"its header declares 1099511627776 bytes, but only \d+ "
                                   r"follow its 8-byte length"),
    (header(offsets=(0, 1 << 40)), bytes(12), None,
     r"data_offsets that are not \[begin, end\] with 0 <= begin <= end <= 12"),
    (header(offsets=(8, 20)), bytes(12), None, r"data_offsets that are not"),
    (header(shape=(1 << 40,), offsets=(0, 12)), bytes(12), None,
     r"of shape \(1099511627776,\) and dtype F32 needs 4398046511104 bytes, but its "
     r"data_offsets span 12"),
    (header(shape=(-3,)), bytes(12), None, r"a shape that is not a list of at most 64 "
                                           r"integers >= 0"),
    (header(dtype="F8_E4M3"), bytes(12), None, r"has dtype 'F8_E4M3'; read: F16, BF16"),
    (header(offsets=(0, 12)), bytes(16), None, r"cover 12 of the 16 bytes of data"),
    ({**header(), "v": {"dtype": "U8", "shape": [4], "data_offsets": [8, 12]}}, bytes(12),
     None, r"its tensors overlap at byte 8"),
    ({**header(offsets=(4, 16)), "v": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]}},
     bytes(16), None, r"its tensors leave a hole at byte 0"),
    ({"w": {"dtype": "F32", "shape": [3]}}, bytes(12), None, r"not an object with exactly the "
                                                              r"fields"),
    ({"__metadata__": {"a": 1}}, b"", None, r"its '__metadata__' is not an object of strings"),
    (b'{"w": 1, "w": 2}', b"", None, r"its header names \['w'\] more than once"),
    (b'{"w": NaN}', b"", None, r"its header holds NaN, which is not JSON"),
    (b"{not json}", b"", None, r"its header is not valid JSON"),
    (b"{\xff}", b"", None, r"its header is not UTF-8 JSON"),
    (b'{"w": ' + b"[" * 100000 + b"]" * 100000 + b"}", b"", None,
     r"its header nests too deeply"),
])
def test_a_hostile_header_is_refused(tmp_path, head, data, length, match):
    path = files.write_safetensors(tmp_path / "w.safetensors", head, data, length)
    with pytest.raises(ValueError, match=match):
        load_state_dict(path)


def test_a_header_above_the_librarys_limit_is_refused(tmp_path, monkeypatch):
    from numpy_gradcam.weights import safetensors_file

    monkeypatch.setattr(safetensors_file, "MAX_SAFETENSORS_HEADER", 16)
    path = files.write_safetensors(tmp_path / "w.safetensors", header(), bytes(12))
    with pytest.raises(ValueError, match=r"more than the 16 the safetensors library reads"):
        load_state_dict(path)
