"""numpy_gradcam.lessons: ``show`` prints the informative part of an array; ``save`` writes a
script's figures beside the script (or to $NUMPY_GRADCAM_FIGURES), never where it runs.
(Inline figures in a notebook: tests/lessons/test_notebooks.py.)"""

import os
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

from numpy_gradcam.lessons import save, show, window_around_max


def test_show_prints_the_window_around_the_largest_value_not_the_corner(capsys):
    L = np.zeros((2, 6, 6))
    L[0, 3, 4], L[0, 2, 5], L[1, 0, 0] = -2.0, 1.5, 9.0   # the first map's largest |value|: -2
    show("L", L)
    assert capsys.readouterr().out.splitlines() == [
        "L: shape (2, 6, 6), float64, range [-2, 9]",
        "  [0, 2:5, 3:6] around the largest |value| of [0] (-2 at [0, 3, 4]):",
        "[[ 0.   0.   1.5]",
        " [ 0.  -2.   0. ]",
        " [ 0.   0.   0. ]]",
    ]


@pytest.mark.parametrize(("shape", "peak", "expected"), [
    ((8, 8), (0, 0), (slice(0, 3), slice(0, 3))),        # at a corner: shifted inside
    ((8, 8), (7, 4), (slice(5, 8), slice(3, 6))),
    ((2, 9), (1, 8), (slice(0, 2), slice(6, 9))),        # an axis shorter than the window
    ((10,), (5,), (slice(4, 7),)),
])
def test_the_window_is_centred_on_the_peak_and_stays_inside(shape, peak, expected):
    plane = np.zeros(shape)
    plane[peak] = 1.0
    assert window_around_max(plane, 3) == (peak, expected)


@pytest.mark.parametrize("window", [0, -1, 2.5, True])
def test_show_refuses_a_window_that_is_not_a_positive_int(window):
    with pytest.raises(ValueError, match=rf"window must be a positive int, got {window!r}"):
        show("x", np.ones((3, 3)), window=window)


def png_size(path):
    """(width, height) in pixels, from a PNG file's IHDR chunk."""
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_save_writes_to_the_figures_variable_and_returns_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NUMPY_GRADCAM_FIGURES", str(tmp_path / "figs"))
    path = tmp_path / "figs" / "line.png"
    for inches in [(1, 1), (2, 1)]:                 # a second run replaces the first's figure
        fig = Figure(figsize=inches)
        fig.subplots().plot([0, 1])
        assert save(fig, "line") is None
        assert capsys.readouterr().out == f"figure: {path}\n"
    assert png_size(path) == (160, 80)              # 2 x 1 inches at 80 dpi


def test_a_script_writes_its_figures_beside_itself_whatever_the_current_folder(tmp_path):
    course, elsewhere = tmp_path / "course", tmp_path / "elsewhere"
    course.mkdir()
    elsewhere.mkdir()
    script = course / "lesson.py"
    script.write_text("from matplotlib.figure import Figure\n"
                      "from numpy_gradcam.lessons import save\n"
                      "print(save(Figure(figsize=(1, 1)), 'empty'))\n")
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_GRADCAM_FIGURES"}
    completed = subprocess.run([sys.executable, str(script)], cwd=elsewhere, env=env,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert (course / "figures" / "empty.png").is_file()
    assert completed.stdout.splitlines()[-1] == "None"
    assert not list(elsewhere.iterdir())
