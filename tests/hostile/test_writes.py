"""Writing files: an existing file is never overwritten without ``force``, a write that fails or
is interrupted (Ctrl-C) leaves the old file exactly as it was and no temporary file behind."""

import os

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

import numpy_gradcam.io as ngio
from numpy_gradcam.io import atomic_write, save_figure, save_json, save_npz, save_png

from .conftest import assert_user_error, run_cli

IMAGE = np.random.default_rng(2).random((3, 16, 16))


def _figure():
    figure = Figure(figsize=(1, 1))
    figure.add_subplot().plot([0, 1])
    return figure


WRITERS = {
    "save_png": lambda path, force=False: save_png(path, IMAGE, force=force),
    "save_npz": lambda path, force=False: save_npz(path, {"x": IMAGE}, force=force),
    "save_json": lambda path, force=False: save_json(path, {"a": 1}, force=force),
    "save_figure": lambda path, force=False: save_figure(_figure(), path, force=force),
}


@pytest.mark.parametrize("writer", WRITERS)
def test_an_existing_file_is_not_overwritten(inputs, writer):
    path = inputs.bytes("precious.out", b"the user's own file")
    with pytest.raises(FileExistsError, match=r"refusing to overwrite an existing file .*force"):
        WRITERS[writer](path)
    assert sorted(os.listdir(inputs.folder)) == ["precious.out"]         # no temporary left


@pytest.mark.parametrize("writer", WRITERS)
def test_a_directory_is_not_a_file_to_write(inputs, writer):
    folder = inputs.folder_named("out.png")
    with pytest.raises(IsADirectoryError, match=r"cannot write a file here: a directory has this"):
        WRITERS[writer](folder, force=True)


@pytest.mark.parametrize("writer", WRITERS)
def test_a_missing_parent_directory_is_reported(tmp_path, writer):
    with pytest.raises(FileNotFoundError, match=r"the parent directory .*nowhere' does not exist"):
        WRITERS[writer](tmp_path / "nowhere" / "out.png")


def test_a_directory_without_write_permission_is_reported(inputs, monkeypatch):
    """As root, chmod cannot take write permission away: ``os.open`` refuses as the kernel would."""
    real_open = os.open

    def refuse_in_folder(path, *args, **kwargs):
        if os.path.dirname(os.fspath(path)) == str(inputs.folder):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(ngio.os, "open", refuse_in_folder)
    with pytest.raises(PermissionError, match=r"no permission to write in the directory"):
        save_png(inputs.folder / "out.png", IMAGE)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions (the monkeypatched "
                                              "case above stands in for it)")
def test_a_read_only_directory_for_real(tmp_path):                       # pragma: no cover
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    with pytest.raises(PermissionError, match=r"no permission to write in the directory"):
        save_png(folder / "out.png", IMAGE)


# --- interrupted writes ----------------------------------------------------------------------


def half_then_interrupt(*args, **kwargs):
    """Stands in for a writer: writes part of its output, then the user presses Ctrl-C.

    Only the first path or file among the arguments is the destination (``Path.write_text``'s
    second argument is the text, not a file name).
    """
    for target in args:
        if isinstance(target, (str, os.PathLike)):
            with open(target, "wb") as f:
                f.write(b"half a fi")
            break
        if hasattr(target, "write"):
            target.write(b"half a fi")
            break
    raise KeyboardInterrupt


INTERRUPTIONS = {
    # writer: (the object and attribute that do the writing, the call)
    "save_png": ((Image.Image, "save"), lambda p: save_png(p, IMAGE, force=True)),
    "save_npz": ((np.lib.format, "write_array"), lambda p: save_npz(p, {"x": IMAGE}, force=True)),
    "save_json": ((ngio.Path, "write_text"), lambda p: save_json(p, {"a": 1}, force=True)),
    "save_figure": ((Figure, "savefig"), lambda p: save_figure(_figure(), p, force=True)),
}


@pytest.mark.parametrize("writer", INTERRUPTIONS)
def test_an_interrupted_write_leaves_the_old_file(inputs, monkeypatch, writer):
    (owner, attribute), write = INTERRUPTIONS[writer]
    monkeypatch.setattr(owner, attribute, half_then_interrupt)
    old = inputs.bytes("result.out", b"the previous result")
    with pytest.raises(KeyboardInterrupt):
        write(old)
    assert sorted(os.listdir(inputs.folder)) == ["result.out"]           # no temporary left


def test_atomic_write_interrupted_mid_block(inputs):
    old = inputs.bytes("result.txt", b"old")
    with pytest.raises(KeyboardInterrupt), atomic_write(old, force=True) as tmp:
        tmp.write_bytes(b"new but unfinished")
        raise KeyboardInterrupt
    assert os.listdir(inputs.folder) == ["result.txt"]


def test_explain_command_interrupted_keeps_the_old_overlay(inputs, scene, capsys, monkeypatch):
    old = inputs.bytes("overlay.png", b"an overlay from yesterday")
    monkeypatch.setattr(Image.Image, "save", half_then_interrupt)
    code, _, err = run_cli(capsys, "explain", scene, "--out", old, "--force")
    assert code == 130
    assert err == "numpy-gradcam explain: interrupted; no output was left half-written\n"
    assert sorted(os.listdir(inputs.folder)) == ["overlay.png", "scene.png"]


def test_explain_command_existing_output_exits_2(inputs, scene, capsys):
    old = inputs.bytes("overlay.png", b"an overlay from yesterday")
    code, _, err = run_cli(capsys, "explain", scene, "--out", old)
    assert_user_error(code, err, rf"{old} already exists; use --force to replace it")


# --- what is written must be valid -----------------------------------------------------------


@pytest.mark.parametrize("call, error, match", [
    (lambda p: save_png(p, np.full((3, 4, 4), np.nan)), ValueError, r"image must be finite"),
    (lambda p: save_png(p, IMAGE * 2), ValueError, r"image must hold values in \[0, 1\], got"),
    (lambda p: save_png(p, IMAGE.transpose(1, 2, 0)), ValueError,
     r"it looks like \(H, W, 3\): pass image.transpose\(2, 0, 1\)"),
    (lambda p: save_png(p, (IMAGE * 255).astype(np.uint8)), TypeError,
     r"image must have dtype float32 or float64, got uint8"),
    (lambda p: save_png(p, np.zeros((3, 0, 4))), ValueError, r"non-empty height and width"),
    (lambda p: save_npz(p, {"x": np.array([{}], dtype=object)}), ValueError,
     r"arrays\['x'\] has dtype object: arrays of Python objects would be pickled"),
    (lambda p: save_npz(p, [IMAGE]), TypeError, r"arrays must be a dict of name → array"),
    (lambda p: save_json(p, {"loss": float("nan")}), ValueError, r"NaN and Infinity are not JSON"),
    (lambda p: save_png(p, IMAGE, force="yes"), TypeError, r"force must be True or False"),
])
def test_invalid_data_is_refused_before_anything_is_written(tmp_path, call, error, match):
    with pytest.raises(error, match=match):
        call(tmp_path / "out")
    assert os.listdir(tmp_path) == []
