"""Legacy checkpoints (torch.save before 1.6): the five pickles checked in turn, every storage
count against its declaration and the bytes left, before anything is allocated."""

import pickle

import numpy as np
import pytest

from numpy_gradcam.io import load_state_dict

from . import files
from .files import pickled


def good(tmp_path, **geometry):
    obj, storages = files.float_state("legacy", **geometry)
    return files.write_checkpoint(tmp_path / "w.pth", "legacy", obj, storages)


def test_a_hand_built_checkpoint_reads(tmp_path):
    out = load_state_dict(good(tmp_path, size=(4, 3), stride=(1, 4)))["w"]
    assert out.tolist() == [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]


@pytest.mark.parametrize("magic, version, match", [
    (files.MAGIC_NUMBER + 1, 1001, r"it is a pickle, but not a torch\.save file: its magic "
                                   r"number is 0x1950a86a20f9469cfc6d, torch's is "
                                   r"0x1950a86a20f9469cfc6c"),
    (files.MAGIC_NUMBER, 1000, r"its protocol version is 1000, not torch's 1001"),
])
def test_wrong_magic_numbers_are_refused(tmp_path, magic, version, match):
    obj, storages = files.float_state("legacy")
    path = files.write_legacy(tmp_path / "w.pth", pickled(obj), {"0": (12, storages["0"])},
                              magic=magic, version=version)
    with pytest.raises(ValueError, match=match):
        load_state_dict(path)


def test_a_plain_pickle_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "w.pkl"
    path.write_bytes(pickle.dumps({"w": [1.0, 2.0]}, protocol=2))
    with pytest.raises(ValueError, match=r"as a PyTorch legacy checkpoint .*: it is a pickle, "
                                         r"but not a torch\.save file: its magic number is a "
                                         r"dict"):
        load_state_dict(path)


@pytest.mark.parametrize("cut, match", [
    (-20, r"its storage '0' declares 48 bytes from byte \d+, past the end of the file"),
    (-50, r"the count of storage '0' ends after \d of its 8 bytes: the file is truncated"),
    (-60, r"its list of storage keys is truncated or corrupt"),
    (30, r"its sys_info pickle is truncated or corrupt"),
])
def test_a_truncated_file_is_refused(tmp_path, cut, match):
    path = good(tmp_path)
    path.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(ValueError, match=match):
        load_state_dict(path)


def test_a_huge_declared_shape_is_refused(tmp_path):
    path = good(tmp_path, size=(1 << 62,), stride=(1,))
    with pytest.raises(ValueError, match=r"of shape \(4611686018427387904,\).*reaches element "
                                         r"4611686018427387903 of its storage '0', which holds "
                                         r"12"):
        load_state_dict(path)


def test_a_storage_that_declares_more_than_the_file_holds_is_refused(tmp_path):
    numel = 1 << 40  # 4 TiB declared in the pickle and in the storage's count
    obj, _ = files.float_state("legacy", numel=numel, data=b"")
    path = files.write_legacy(tmp_path / "w.pth", pickled(obj), {"0": (numel, bytes(48))})
    with pytest.raises(ValueError, match=r"its storage '0' declares 4398046511104 bytes from "
                                         r"byte \d+, past the end of the file"):
        load_state_dict(path)


def test_a_count_that_contradicts_the_pickle_is_refused(tmp_path):
    obj, storages = files.float_state("legacy")
    path = files.write_legacy(tmp_path / "w.pth", pickled(obj), {"0": (11, storages["0"])})
    with pytest.raises(ValueError, match=r"its storage '0' holds 11 elements where its pickle "
                                         r"declares 12"):
        load_state_dict(path)


@pytest.mark.parametrize("keys, match", [
    ({}, r"refers to storages its list does not name: \['0'\]"),
    ({"0": (12, bytes(48)), "1": (1, bytes(4))}, r"names '1' that its pickle never refers to"),
])
def test_the_list_of_storages_must_match_the_pickle(tmp_path, keys, match):
    obj, _ = files.float_state("legacy")
    path = files.write_legacy(tmp_path / "w.pth", pickled(obj), keys)
    with pytest.raises(ValueError, match=match):
        load_state_dict(path)


def test_a_storage_view_is_refused(tmp_path):
    pid = b"(" + files.value("storage") + files.global_("torch", "FloatStorage") \
        + files.value("0") + files.value("cpu") + files.value(12) + files.value(("1", 2, 4)) \
        + b"tQ"
    obj = files.state_dict({"w": files.tensor(pid, 0, (4,), (1,))})
    path = files.write_legacy(tmp_path / "w.pth", pickled(obj), {"0": (12, bytes(48))})
    with pytest.raises(ValueError, match=r"a storage view \(written by torch before 1\.0\)"):
        load_state_dict(path)


def test_only_the_storages_of_the_weights_are_read(tmp_path):
    # the optimizer's storage "1" is declared but never materialised; "0" is read
    obj = files.dict_of({
        "state_dict": files.state_dict({"w": files.tensor(files.storage("0", 2, legacy=True), 0,
                                                          (2,), (1,))}),
        "optimizer": files.tensor(files.storage("1", 3, legacy=True), 0, (3,), (1,)),
    })
    path = files.write_legacy(tmp_path / "w.pth", pickled(obj), {
        "0": (2, np.array([1.5, 2.5], "<f4").tobytes()), "1": (3, bytes(12))})
    assert load_state_dict(path)["w"].tolist() == [1.5, 2.5]
