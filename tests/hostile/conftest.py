"""Fixtures of the hostile-input suite.

Every case answers in one of two ways, and the helpers here check both:

- a ``ValueError``/``TypeError`` (or the honest ``OSError`` subclass) whose message names the
  argument and what was given (each case states it with ``match=``), or on the command line exit
  code 2 and exactly one line on stderr, never a traceback;
- a correct result: finite arrays with the documented shapes and ranges.

And nothing a user gave is modified: every file a case creates goes through :class:`Inputs`, which
hashes it when it is made and checks the hash again after the case (the ``inputs`` fixture); the
shipped weights in ``data/`` are hashed before the suite and checked after it.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam.cli import main
from numpy_gradcam.datasets import make_composite
from numpy_gradcam.io import save_png
from numpy_gradcam.models import data_dir

REPO = Path(__file__).resolve().parents[2]


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _fingerprint(path: Path):
    """A file's sha256, or a directory's sorted listing."""
    return sorted(os.listdir(path)) if path.is_dir() else sha256(path)


class Inputs:
    """The files a case hands to the code under test, each hashed when it is made."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.recorded: dict[Path, object] = {}

    def add(self, path) -> Path:
        path = Path(path)
        self.recorded[path] = _fingerprint(path)
        return path

    def bytes(self, name: str, data: bytes) -> Path:
        path = self.folder / name
        path.write_bytes(data)
        return self.add(path)

    def picture(self, name: str, picture, **save_options) -> Path:
        """A Pillow image saved to ``name`` (the format follows the suffix)."""
        path = self.folder / name
        picture.save(path, **save_options)
        return self.add(path)

    def png(self, name: str, image: np.ndarray) -> Path:
        path = self.folder / name
        save_png(path, image)
        return self.add(path)

    def folder_named(self, name: str) -> Path:
        path = self.folder / name
        path.mkdir()
        (path / "inside.txt").write_text("a directory is not an image")
        return self.add(path)

    def check_unchanged(self):
        changed = [str(p) for p, before in self.recorded.items() if _fingerprint(p) != before]
        assert not changed, f"input files were modified: {changed}"


@pytest.fixture
def inputs(tmp_path):
    recorded = Inputs(tmp_path)
    yield recorded
    recorded.check_unchanged()


@pytest.fixture(scope="session", autouse=True)
def shipped_weights_unchanged():
    files = sorted(data_dir().glob("*.*"))
    before = {f: sha256(f) for f in files}
    yield
    assert {f: sha256(f) for f in files} == before, "the shipped weights in data/ were modified"


@pytest.fixture(scope="session")
def model():
    return ng.load_model("tinycnn-gap")


@pytest.fixture(scope="session")
def image():
    """A two-shape scene ``(3, 64, 64)`` in [0, 1]."""
    return make_composite(seed=3)[0]


@pytest.fixture
def scene(inputs, image):
    """The scene as a PNG file."""
    return inputs.png("scene.png", image)


# --- results ---------------------------------------------------------------------------------


def assert_good_explanation(e, shape):
    """Finite stages with the documented shapes and ranges; ``shape`` is the input's."""
    *batch, _, H, W = shape
    for name, array in e.arrays().items():
        assert np.isfinite(array).all(), f"{name} holds NaN or Inf"
    assert e.heatmap.shape == (*batch, H, W)
    assert e.colored.shape == e.overlay.shape == (*batch, 3, H, W)
    in_unit_range = ["colored", "overlay"]
    if e.options["normalize"]:                     # without it cam_normalized is the raw map
        in_unit_range.append("cam_normalized")
        if e.options["upsample"] != "bicubic":     # bicubic may overshoot; it is clipped to colour
            in_unit_range.append("heatmap")
    for name in in_unit_range:
        array = getattr(e, name)
        assert array.min() >= 0 and array.max() <= 1, f"{name} leaves [0, 1]"
    if e.options["relu"]:
        assert e.cam.min() >= 0


# --- the command line ------------------------------------------------------------------------


def run_cli(capsys, *args):
    """``numpy-gradcam ARGS`` in this process: ``(exit code, stdout, stderr)``."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exit_info:                    # argparse's errors and --help
        code = exit_info.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out
    return code, out, err


def run_module(*args, env=None, cwd=None):
    """``python -m numpy_gradcam ARGS`` in a fresh process."""
    return subprocess.run([sys.executable, "-m", "numpy_gradcam", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def assert_user_error(code, err, match):
    """Exit code 2 and one line on stderr that matches ``match`` (a regex)."""
    assert code == 2, err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.endswith("\n"), f"not one line: {err!r}"
    assert re.search(match, err), f"{match!r} not in {err!r}"
