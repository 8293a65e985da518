"""``check --format gradescope``: a results.json that Gradescope reads, points per exercise.

The fields and their types are those of Gradescope's autograder specification ("Output
format", https://gradescope-autograders.readthedocs.io/en/latest/specs/), written out here by
hand, not taken from the code under test.
"""

import json
import subprocess
import sys
from pathlib import Path

from numpy_gradcam.verification.checker import FunctionReport, Report
from numpy_gradcam.verification.gradescope import results

ROOT = Path(__file__).resolve().parents[2]
MISTAKES = Path(__file__).resolve().parent / "mistakes"

NUMBER = (int, float)
TOP_LEVEL = {"score": NUMBER, "execution_time": NUMBER, "output": str, "output_format": str,
             "test_output_format": str, "test_name_format": str, "visibility": str,
             "stdout_visibility": str, "extra_data": dict, "tests": list, "leaderboard": list}
TEST = {"score": NUMBER, "max_score": NUMBER, "status": str, "name": str, "name_format": str,
        "number": str, "output": str, "output_format": str, "tags": list, "visibility": str,
        "extra_data": dict}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def assert_valid_results(data):
    assert set(data) <= set(TOP_LEVEL), set(data) - set(TOP_LEVEL)
    for key, value in data.items():
        assert isinstance(value, TOP_LEVEL[key]), (key, value)
    assert "score" in data or all("score" in t for t in data["tests"])
    for key in ("visibility", "stdout_visibility"):
        assert data.get(key, "visible") in VISIBILITIES
    for test in data["tests"]:
        assert set(test) <= set(TEST), set(test) - set(TEST)
        for key, value in test.items():
            assert isinstance(value, TEST[key]), (key, value)
        assert test.get("status", "passed") in {"passed", "failed"}
        assert test.get("visibility", "visible") in VISIBILITIES
        assert 0 <= test["score"] <= test["max_score"]


def test_points_per_exercise_and_a_total():
    report = Report("s.py", [FunctionReport("conv_backward", "pass", points=2.0),
                             FunctionReport("blend", "fail", "differs", points=1.0),
                             FunctionReport("gap_weights", "timeout", "too slow", points=1.5)])
    data = results(report)
    assert_valid_results(data)
    assert data["score"] == 2.0
    assert [(t["name"], t["score"], t["max_score"], t["status"]) for t in data["tests"]] == [
        ("conv_backward", 2.0, 2.0, "passed"), ("blend", 0.0, 1.0, "failed"),
        ("gap_weights", 0.0, 1.5, "failed")]
    assert "differs" in data["tests"][1]["output"] and "2/4.5 points" in data["output"]


def test_the_command_writes_valid_results_for_a_real_submission(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "numpy_gradcam", "check", str(MISTAKES / "nearly_right.py"),
         "--only", "gap_weights", "--only", "combine", "--max-examples", "15",
         "--format", "gradescope"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert_valid_results(data)
    assert data["score"] == 1 and [t["status"] for t in data["tests"]] == ["failed", "passed"]
    assert "minimal counterexample" in data["tests"][0]["output"]
