"""Hostile and damaged zip checkpoints: each refused with what is wrong, before allocating."""

import struct
import zipfile
import zlib

import numpy as np
import pytest

from numpy_gradcam.io import load_state_dict
from numpy_gradcam.weights import limits, torch_zip

from . import files
from .files import pickled


def good(tmp_path, **geometry):
    obj, storages = files.float_state("zip", **geometry)
    return files.write_checkpoint(tmp_path / "w.pth", "zip", obj, storages)


def patch_central_directory(path, name: bytes, crc=None, size=None):
    """Rewrite the CRC and uncompressed size that the central directory records for ``name``
    (zipfile reads them there)."""
    data = bytearray(path.read_bytes())
    entry = data.index(b"PK\x01\x02")  # the central directory's first entry
    while data[entry + 46:entry + 46 + len(name)] != name:
        entry = data.index(b"PK\x01\x02", entry + 4)
    if crc is not None:
        data[entry + 16:entry + 20] = struct.pack("<I", crc)
    if size is not None:
        data[entry + 24:entry + 28] = struct.pack("<I", size)
    path.write_bytes(bytes(data))


def test_a_hand_built_checkpoint_reads(tmp_path):
    assert load_state_dict(good(tmp_path))["w"].tolist() == np.arange(12.0).reshape(3, 4).tolist()


def test_a_truncated_zip_is_refused(tmp_path):
    path = good(tmp_path)
    path.write_bytes(path.read_bytes()[:-60])  # the end of the central directory is gone
    with pytest.raises(ValueError, match=r"cannot read '.*w\.pth' \(its name ends in \.pth\): "
                                         r"it is a damaged or truncated zip archive"):
        load_state_dict(path)


def test_a_huge_declared_shape_is_refused(tmp_path):
    path = good(tmp_path, size=(1 << 40, 1 << 40), stride=(1 << 40, 1))
    with pytest.raises(ValueError, match=r"its tensor 'w' of shape \(1099511627776, "
                                         r"1099511627776\).* which holds 12 float32 elements"):
        load_state_dict(path)


def test_a_storage_shorter_than_its_tensor_is_refused(tmp_path):
    path = good(tmp_path, numel=6)  # the pickle declares 6 elements: the tensor needs 12
    with pytest.raises(ValueError, match=r"reaches element 11 of its storage '0', which holds 6"):
        load_state_dict(path)


def test_a_storage_record_shorter_than_its_declaration_is_refused(tmp_path):
    path = good(tmp_path, data=bytes(8))  # the pickle declares 12 elements, 48 bytes
    with pytest.raises(ValueError, match=r"its zip member 'archive/data/0' declares 8 bytes "
                                         r"where 48 are expected"):
        load_state_dict(path)


def test_a_missing_storage_record_is_refused(tmp_path):
    obj, _ = files.float_state("zip")
    path = files.write_zip(tmp_path / "w.pth", pickled(obj), {})
    with pytest.raises(ValueError, match=r"refers to the storage '0', but the archive has no "
                                         r"record 'archive/data/0'"):
        load_state_dict(path)


def test_a_zip_bomb_declaring_more_than_deflate_can_make_is_refused(tmp_path):
    # 4 GiB of bytes declared by a member of a few dozen compressed bytes
    numel = 0xFFFFFFF0
    obj = files.state_dict({"w": files.tensor(files.storage("0", numel, "ByteStorage"), 0,
                                              (numel,), (1,))})
    path = files.write_zip(tmp_path / "w.pth", pickled(obj), {"0": bytes(1000)},
                           compression=zipfile.ZIP_DEFLATED)
    patch_central_directory(path, b"archive/data/0", size=numel)
    with pytest.raises(ValueError, match=r"declares 4294967280 bytes from \d+ compressed ones, "
                                         r"more than deflate can make .*: a zip bomb"):
        load_state_dict(path)


def test_a_stream_longer_than_its_declared_size_is_read_no_further(tmp_path):
    stream = np.arange(1024, dtype="<f4").tobytes()  # 4 KiB, deflated; declared: 16 bytes
    path = files.write_zip(tmp_path / "w.pth", pickled(files.state_dict(
        {"w": files.tensor(files.storage("0", 4), 0, (4,), (1,))})), {"0": stream},
        compression=zipfile.ZIP_DEFLATED)
    patch_central_directory(path, b"archive/data/0", size=16)
    with pytest.raises(ValueError, match=r"its zip member 'archive/data/0' cannot be read: Bad "
                                         r"CRC-32"):
        load_state_dict(path)
    # with the checksum of its first 16 bytes, exactly those are read, and nothing after
    patch_central_directory(path, b"archive/data/0", crc=zlib.crc32(stream[:16]))
    assert load_state_dict(path)["w"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_a_pickle_larger_than_the_cap_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(torch_zip, "MAX_PICKLE_BYTES", 100)
    with pytest.raises(ValueError, match=r"its pickle 'archive/data.pkl' declares \d+ bytes, "
                                         r"more than the 100 read"):
        load_state_dict(good(tmp_path))


def test_a_member_in_another_compression_is_refused(tmp_path):
    obj, storages = files.float_state("zip")
    path = files.write_zip(tmp_path / "w.pth", pickled(obj), storages,
                           compression=zipfile.ZIP_BZIP2)
    with pytest.raises(ValueError, match=r"compressed with zip method 12; torch\.save and "
                                         r"np\.savez write members stored \(0\) or deflated"):
        load_state_dict(path)


def test_big_endian_storages_are_read(tmp_path):
    obj, _ = files.float_state("zip")
    path = tmp_path / "w.pth"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickled(obj))
        zf.writestr("archive/byteorder", "big")
        zf.writestr("archive/data/0", np.arange(12, dtype=">f4").tobytes())
    out = load_state_dict(path)["w"]
    assert out.dtype == np.dtype("=f4") and out.ravel().tolist() == list(range(12))


@pytest.mark.parametrize("byteorder, match", [
    ("middle", r"its byteorder record says b'middle', not 'little' or 'big'"),
    ("little" * 4, r"its byteorder record declares 24 bytes"),
])
def test_a_wrong_byteorder_record_is_refused(tmp_path, byteorder, match):
    obj, _ = files.float_state("zip")
    path = tmp_path / "w.pth"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickled(obj))
        zf.writestr("archive/byteorder", byteorder)
    with pytest.raises(ValueError, match=match):
        load_state_dict(path)


def test_a_torchscript_archive_is_refused(tmp_path):
    obj, storages = files.float_state("zip")
    path = files.write_zip(tmp_path / "w.pt", pickled(obj), storages)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("archive/constants.pkl", pickled(files.value(())))
    with pytest.raises(ValueError, match=r"a TorchScript archive \(torch\.jit\.save\)"):
        load_state_dict(path)


def test_a_zip_that_is_neither_checkpoint_nor_npz_is_refused(tmp_path):
    path = tmp_path / "w.pth"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match=r"neither a torch\.save checkpoint \(no "
                                         r"<name>/data\.pkl\) nor an \.npz archive"):
        load_state_dict(path)


def test_the_deflate_bound_is_what_zlib_can_reach():
    zeros = zlib.compress(bytes(1 << 24), 9)
    assert len(bytes(1 << 24)) <= limits.MAX_DEFLATE_RATIO * len(zeros)
