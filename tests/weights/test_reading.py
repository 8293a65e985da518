"""The format is told by content; the file is named in every error; only regular files."""

import os
import tarfile

import numpy as np
import pytest

from numpy_gradcam.io import load_state_dict, save_state_dict
from numpy_gradcam.weights import FORMATS, read

from . import files
from .files import pickled

STATE = {"w": np.arange(6.0, dtype=np.float32).reshape(2, 3)}


def written(tmp_path, fmt: str, name: str):
    """``STATE`` in format ``fmt``, in a file called ``name``."""
    path = tmp_path / name
    if fmt in ("zip", "legacy"):
        obj, storages = files.float_state(fmt, numel=6, size=(2, 3), stride=(3, 1))
        return files.write_checkpoint(path, fmt, obj, storages)
    tmp = tmp_path / f"tmp.{fmt}"
    save_state_dict(tmp, STATE)
    tmp.rename(path)
    return path


@pytest.mark.parametrize("fmt, name, format_", [
    ("zip", "weights.bin", "pytorch-zip"), ("legacy", "weights.safetensors", "pytorch-legacy"),
    ("safetensors", "weights.pth", "safetensors"), ("npz", "weights", "npz"),
])
def test_the_format_is_told_by_content_not_by_name(tmp_path, fmt, name, format_):
    weights = read(written(tmp_path, fmt, name))
    assert weights.format == format_ and format_ in FORMATS
    assert weights.state_dict["w"].tolist() == STATE["w"].tolist()


@pytest.mark.parametrize("content, match", [
    (b"", r"cannot read '.*w\.pth' \(its name ends in \.pth\): it is empty"),
    (b"\x89PNG\r\n\x1a\nxxxxxxxx", r"it is not a weights file this reads: it starts with "
                                   r"b'\\x89PNG\\r\\n\\x1a\\n'; read are PyTorch checkpoints"),
    (b"PK\x03\x04 not really a zip", r"it is a damaged or truncated zip archive"),
    (b"\x80", r"as a PyTorch legacy checkpoint .*: its first pickle is truncated or corrupt"),
])
def test_what_is_no_weights_file_is_refused_naming_it(tmp_path, content, match):
    path = tmp_path / "w.pth"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        load_state_dict(path)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    path = tmp_path / "fifo.pth"
    os.mkfifo(path)
    with pytest.raises(ValueError, match=r"'.*fifo\.pth' is not a regular file \(it is a FIFO, "
                                         r"a device or a socket\)"):
        load_state_dict(path)


def test_a_missing_file_and_a_directory_are_os_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no weights file at this path"):
        load_state_dict(tmp_path / "missing.pth")
    with pytest.raises(IsADirectoryError):
        load_state_dict(tmp_path)


def test_the_report_gets_the_notes_and_must_be_a_list(tmp_path):
    obj = files.dict_of({"epoch": files.value(1), "model": files.state_dict(
        {"module.w": files.tensor(files.storage("0", 6), 0, (2, 3), (3, 1))})})
    path = files.write_zip(tmp_path / "c.pth", pickled(obj), {"0": STATE["w"].tobytes()})
    report = ["kept"]
    assert list(load_state_dict(path, report=report)) == ["w"]
    assert report == ["kept", "took the weights from the checkpoint's 'model' entry (beside: "
                      "epoch)", "removed DataParallel's 'module.' prefix from 1 keys"]
    with pytest.raises(TypeError, match=r"report must be a list \(notes are appended to it\) "
                                        r"or None, got 'notes' \(str\)"):
        load_state_dict(path, report="notes")


def test_the_file_is_not_modified(tmp_path):
    path = written(tmp_path, "zip", "w.pth")
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    load_state_dict(path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_a_path_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match=r"path must be a file path \(str or os\.PathLike\), "
                                        r"got 3 \(int\)"):
        load_state_dict(3)


def test_a_safetensors_header_of_128_bytes_is_not_taken_for_a_pickle(tmp_path):
    # its length's first byte is \x80, a pickle's first byte
    header = b'{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}'
    header += b" " * (0x80 - len(header))
    path = files.write_safetensors(tmp_path / "w.safetensors", header, STATE["w"].tobytes())
    assert path.read_bytes()[0] == 0x80
    assert read(path).format == "safetensors"


def test_the_tar_format_of_torch_before_0_4_is_named(tmp_path):
    path = tmp_path / "old.pth"
    with tarfile.open(path, "w") as tar:
        tar.add(written(tmp_path, "npz", "pickle"), arcname="pickle")
    with pytest.raises(ValueError, match=r"it is a tar archive, the format of torch\.save before "
                                         r"torch 0\.4"):
        load_state_dict(path)
