"""Issue 18, round two, at the command line: an output never replaces an input (``--force`` or
not), and an output's folder is checked before the work."""

import os
import shutil
import subprocess

import pytest

import numpy_gradcam.commands.explain as explain_command
import numpy_gradcam.commands.figure as figure_command
import numpy_gradcam.commands.train as train_command
from numpy_gradcam.models import data_dir

from .conftest import assert_user_error, run_cli


def _no_work(*args, **kwargs):
    raise AssertionError("the work started although the output could not be written")


@pytest.mark.parametrize("option", ["--out", "--figure"])
def test_explain_never_replaces_its_image(capsys, scene, option):
    code, _, err = run_cli(capsys, "explain", scene, option, scene, "--force")
    assert_user_error(code, err, r"scene\.png.* is the input IMAGE")


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_explain_never_replaces_its_image_through_a_link(capsys, scene, link):
    alias = scene.parent / "alias.png"
    (os.symlink if link == "symlink" else os.link)(scene, alias)
    code, _, err = run_cli(capsys, "explain", scene, "--out", alias, "--force")
    assert_user_error(code, err, r"alias\.png.* is the input IMAGE")


def test_explain_never_replaces_its_model_file(capsys, inputs, scene):
    for suffix in (".npz", ".json"):
        shutil.copy(data_dir() / f"tinycnn-gap{suffix}", inputs.folder / f"mine{suffix}")
    weights = inputs.add(inputs.folder / "mine.npz")
    code, _, err = run_cli(capsys, "explain", scene, "--model", weights, "--out", weights,
                           "--force")
    assert_user_error(code, err, r"mine\.npz.* is the input --model")


def test_figure_never_replaces_its_image(capsys, scene):
    code, _, err = run_cli(capsys, "figure", scene, "--out", scene, "--force")
    assert_user_error(code, err, r"scene\.png.* is the input IMAGE")


def test_explain_checks_the_out_folder_before_the_work(capsys, scene, monkeypatch):
    monkeypatch.setattr(explain_command, "explain_photo", _no_work)
    code, _, err = run_cli(capsys, "explain", scene, "--figure", scene.parent / "no" / "f.png")
    assert_user_error(code, err, r"no such folder")


def test_figure_checks_the_out_folder_before_the_work(capsys, scene, monkeypatch):
    monkeypatch.setattr(figure_command, "load", _no_work)
    code, _, err = run_cli(capsys, "figure", scene, "--out", scene.parent / "no" / "f.png")
    assert_user_error(code, err, r"no such folder")


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nobody may write in, root included (chattr +i), or a skip where none can be made."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
    elif subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("cannot make a folder read-only for root here")
    yield folder
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    folder.chmod(0o755)


def test_train_checks_the_out_folder_is_writable_before_training(capsys, monkeypatch,
                                                                read_only_folder):
    monkeypatch.setattr(train_command, "training_data", _no_work)
    code, _, err = run_cli(capsys, "train", "--model", "tinycnn-gap", "--epochs", 1,
                           "--n-train", 8, "--out", read_only_folder / "w.npz")
    assert_user_error(code, err, r"permission denied: .*read-only")
