"""Issue 18, round two, at the command line: an output never replaces an input (``--force`` or
not), an output's folder is checked before the work, a file name that is not UTF-8 and a closed
stdout pipe do not turn finished work into exit code 2."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import numpy_gradcam.commands.demo as demo_command
import numpy_gradcam.commands.evaluate as evaluate_command
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


def test_evaluate_checks_the_out_folder_is_writable_before_scoring(capsys, monkeypatch,
                                                                  read_only_folder):
    monkeypatch.setattr(evaluate_command.suite, "evaluate", _no_work)
    code, _, err = run_cli(capsys, "evaluate", "--methods", "gradcam", "--metrics", "pointing",
                           "--n", 4, "--out", read_only_folder)
    assert_user_error(code, err, r"permission denied: .*read-only")


def test_demo_checks_the_out_folder_before_the_work(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(demo_command, "load", _no_work)
    code, _, err = run_cli(capsys, "demo", "--out", tmp_path / "no" / "demo.png")
    assert_user_error(code, err, r"no such folder")


def _module(*args, **popen):
    return subprocess.Popen([sys.executable, "-m", "numpy_gradcam", *args],
                            env={**os.environ, "PYTHONIOENCODING": "utf-8"}, **popen)


def test_explain_prints_a_file_name_that_is_not_utf8(inputs, image):
    name = os.fsdecode(b"caf\xe9.png")                         # 'caf\udce9.png'
    scene = inputs.png(name, image)
    child = _module("explain", scene.name, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    cwd=inputs.folder)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err.decode()
    written = [p for p in inputs.folder.iterdir() if p.name != name]
    assert len(written) == 1 and written[0].name.startswith(name[:-4])
    assert b"wrote " in out and b"caf\\udce9" in out


def test_explain_into_a_closed_pipe_exits_0(inputs, scene):
    out = inputs.folder / "overlay.png"
    child = _module("explain", str(scene), "--out", str(out), stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE)
    child.stdout.close()                                     # the reader leaves at once: `| true`
    err = child.stderr.read()
    assert child.wait(timeout=120) == 0, err.decode()
    assert Path(out).is_file()
    assert b"Traceback" not in err and b"Exception ignored" not in err


# --------------------------------------------------------------------------------------------
# Memory: a size that cannot fit is refused before anything is allocated (issue 18, item 1)

@pytest.mark.parametrize("option", ["--n-train", "--n-heldout"])
def test_train_refuses_a_data_set_that_cannot_fit(capsys, tmp_path, monkeypatch, option):
    """``--n-train 100000000`` grew until the kernel killed it (10 TB of images)."""
    monkeypatch.setattr(train_command, "training_data", _no_work)
    args = {"--n-train": "64", "--n-heldout": "8", option: "100000000"}
    code, _, err = run_cli(capsys, "train", "--model", "tinycnn-gap", "--epochs", "1",
                           "--out", tmp_path / "m.npz", *[w for kv in args.items() for w in kv])
    assert_user_error(code, err, rf"{option} 100,000,000 needs about 10 TB of memory for its "
                                 r"images \(100,000 bytes each\), above this machine's budget")
    assert list(tmp_path.iterdir()) == []


def test_the_memory_budget_is_half_of_the_address_space_limit():
    """Under ``ulimit -v`` the budget is half of that limit (not of the machine's memory), and
    the most that fit is said exactly."""
    code = ("import resource\n"
            "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
            "from numpy_gradcam import memory\n"
            "print(memory.budget())\n"
            "try:\n"
            "    memory.require(16107, 100_000, '--n')\n"
            "except ValueError as e:\n"
            "    print(e)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    budget, message = done.stdout.splitlines()
    assert int(budget) == 3 << 29                                    # 1.5 GiB
    assert message.endswith(f"budget of 1.61 GB (half of its memory): at most "
                            f"{(3 << 29) // 100_000:,} fit"), message


def test_force_over_a_symlink_replaces_the_link_never_the_file_it_points_to(capsys, scene,
                                                                            tmp_path):
    """Decided (issue 18, also noticed): ``--out link --force`` replaces the link itself with
    the new file; the file it pointed to (perhaps someone else's, elsewhere) is left alone."""
    elsewhere = tmp_path / "elsewhere.png"
    elsewhere.write_bytes(b"not ours")
    link = tmp_path / "link.png"
    link.symlink_to(elsewhere)
    code, _, _ = run_cli(capsys, "explain", scene, "--out", link, "--force")
    assert code == 0
    assert not link.is_symlink() and link.read_bytes().startswith(b"\x89PNG")
    assert elsewhere.read_bytes() == b"not ours"
