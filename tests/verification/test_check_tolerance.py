"""The checker's tolerance at its edge (issue 21): np.allclose(rtol=1e-6, atol=1e-8), so a
function right up to a relative 1e-4 fails and one right up to 1e-8 passes."""

from pathlib import Path

import numpy as np
import pytest

from numpy_gradcam.verification.comparison import compare

MISTAKES = Path(__file__).resolve().parent / "mistakes"


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_just_inside_and_just_outside_the_tolerance(scale):
    """|actual - expected| <= 1e-8 + 1e-6 |expected|: half of that passes, 1.5 times fails,
    at a scale where the floor 1e-8 matters (1e-3) and where only rtol does (1e3)."""
    expected = np.array([scale, -2 * scale])
    edge = 1e-8 + 1e-6 * np.abs(expected)
    assert compare(expected + 0.5 * edge, expected) is None
    assert compare(expected - 1.5 * edge, expected) is not None
    assert compare(expected * (1 + 1e-4), expected) is not None          # nearly right: fails


def test_absolute_floor_is_atol():
    assert compare(np.array([5e-9]), np.array([0.0])) is None
    assert compare(np.array([2e-8]), np.array([0.0])) is not None


def test_a_nearly_right_student_function_fails_and_a_right_one_passes():
    from .test_checker import check_in_process

    nearly = check_in_process(MISTAKES / "nearly_right.py", "gap_weights", max_examples=20)
    assert nearly["status"] == "fail" and "differs from the reference" in nearly["message"]
    assert nearly["hints"] == []                      # no known mistake explains it
    right = check_in_process(MISTAKES / "nearly_right.py", "combine", max_examples=20)
    assert right["status"] == "pass", right


def test_nan_is_never_close_to_a_number_and_says_where():
    problem = compare(np.array([0.5, np.nan]), np.array([0.5, 0.0]))
    assert "at index (1,) got nan, expected 0.0" in problem
