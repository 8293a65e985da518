""".npz archives: read by io.load_npz once every member's declared size is checked."""

import io
import zipfile

import numpy as np
import pytest

from numpy_gradcam.io import load_state_dict, save_state_dict
from numpy_gradcam.weights import read

STATE = {"conv.weight": np.arange(24.0).reshape(2, 3, 2, 2), "bn.num_batches_tracked":
         np.array(7), "mask": np.array([True, False]), "half": np.ones(3, np.float16)}


def npy(header: dict, data: bytes) -> bytes:
    """An .npy file with this header (shape, descr, fortran_order) and data, by hand."""
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(out, header)
    return out.getvalue() + data


def write_npz(path, members: dict[str, bytes], compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_our_npz_reads_back_bit_equal_in_numpy_and_here(tmp_path):
    path = tmp_path / "w.npz"
    save_state_dict(path, STATE)
    with np.load(path, allow_pickle=False) as theirs:
        for key, value in STATE.items():
            assert theirs[key].dtype == value.dtype and theirs[key].tobytes() == value.tobytes()
    weights = read(path)
    assert weights.format == "npz" and weights.notes == ()
    assert list(weights.state_dict) == list(STATE)
    for key, value in STATE.items():
        assert weights.state_dict[key].tobytes() == value.tobytes()


def test_np_savez_compressed_reads(tmp_path):
    path = tmp_path / "w.npz"
    np.savez_compressed(path, **STATE)
    assert load_state_dict(path)["conv.weight"].tolist() == STATE["conv.weight"].tolist()


@pytest.mark.parametrize("header, data, match", [
    # np.load would allocate 4 TiB before reading the 12 bytes there are
    ({"descr": "<f4", "fortran_order": False, "shape": (1 << 40,)}, bytes(12),
     r"its array 'w' declares shape \(1099511627776,\) of float32 \(4398046511104 bytes\), but "
     r"its member holds 12 bytes after its header"),
    ({"descr": "|O", "fortran_order": False, "shape": (1,)}, bytes(8),
     r"its array 'w' has dtype object, not numeric weights \(arrays of Python objects would be "
     r"unpickled"),
    ({"descr": "<U3", "fortran_order": False, "shape": (1,)}, bytes(12),
     r"its array 'w' has dtype <U3, not numeric weights"),
])
def test_a_member_that_declares_what_it_does_not_hold_is_refused(tmp_path, header, data, match):
    path = write_npz(tmp_path / "w.npz", {"w.npy": npy(header, data)})
    with pytest.raises(ValueError, match=match):
        load_state_dict(path)


def test_a_member_that_is_not_npy_is_refused(tmp_path):
    path = write_npz(tmp_path / "w.npz", {"w.npy": b"not an npy file at all"})
    with pytest.raises(ValueError, match=r"its member 'w\.npy' is not a valid \.npy file"):
        load_state_dict(path)


def test_a_deflated_member_declaring_too_much_is_a_zip_bomb(tmp_path):
    path = write_npz(tmp_path / "w.npz", {"w.npy": npy(
        {"descr": "<f4", "fortran_order": False, "shape": (3,)}, bytes(12))},
        compression=zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")  # the central directory: its uncompressed size
    data[entry + 24:entry + 28] = (0xFFFFFFF0).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"declares 4294967280 bytes from \d+ compressed ones, "
                                         r"more than deflate can make"):
        load_state_dict(path)
