"""The checker refuses a submission that uses the reference or changes the checker: score 0,
with a message that says what it found (issue 20: 'the autograder can be fooled')."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from numpy_gradcam.cam.weighting import gap_weights as reference_gap_weights
from numpy_gradcam.verification import guard
from numpy_gradcam.verification.checker import check_file

MISTAKES = Path(__file__).resolve().parent / "mistakes"


@pytest.mark.parametrize(("line", "found"), [
    ("from numpy_gradcam.cam.weighting import gap_weights", None),
    ("from numpy_gradcam.cam.combination import combine", None),
    ("from numpy_gradcam.cam.normalization import normalize", None),
    ("import numpy_gradcam.cam.weighting as w", None),
    ("import numpy_gradcam", None),
    ("m = __import__('numpy_gradcam.cam.weighting')", "'numpy_gradcam.cam.weighting'"),
])
def test_an_import_of_the_reference_is_found_in_the_source(line, found):
    source = f"import numpy as np\n\n{line}\n"
    assert guard.reference_imports(source) == [f"line 3: {found or line}"]


def test_a_mention_in_a_docstring_is_no_import():
    source = '"""numpy_gradcam is the reference; I did not use it."""\nimport numpy as np\n'
    assert guard.reference_imports(source) == []


def test_a_file_that_only_imports_the_reference_scores_zero():
    report = check_file(MISTAKES / "imports_reference.py")
    assert {f.status for f in report.functions} == {"refused"}
    assert report.passed == 0 and report.points == 0 and report.exit_code == 1
    for name in ("gap_weights", "combine", "normalize"):
        assert f"import {name}" in report.problem
    assert all(f.seconds == 0.0 for f in report.functions)  # refused before anything ran
    assert report.text().count("imports the reference") == 1


def test_the_reference_reached_at_call_time_is_refused():
    """A name built from pieces escapes any reading of the source; running it does not."""
    report = check_file(MISTAKES / "imports_reference_hidden.py", only=["gap_weights", "blend"],
                        max_examples=10)
    assert [f.status for f in report.functions] == ["refused", "refused"], report.text()
    assert "numpy_gradcam.cam.weighting.gap_weights" in report.problem


def test_replacing_numpy_allclose_is_refused():
    report = check_file(MISTAKES / "patches_allclose.py", only=["gap_weights"], max_examples=10)
    assert report.functions[0].status == "refused", report.text()
    assert "numpy.allclose" in report.problem


def test_returning_the_reference_function_itself_is_refused(tmp_path):
    student = tmp_path / "student.py"
    student.write_text("import sys\n\n"
                       "gap_weights = sys.modules['numpy_gradcam.cam.weighting'].gap_weights\n")
    report = check_file(student, only=["gap_weights"], max_examples=5)
    assert report.functions[0].status == "refused", report.text()


def test_the_watch_sees_the_package_and_not_numpy():
    with guard.ReferenceWatch() as watch:
        np.einsum("ij->i", np.ones((2, 2)))
    assert watch.found is None
    with guard.ReferenceWatch() as watch:
        reference_gap_weights(np.ones((1, 1, 2, 2)))
    assert watch.found == "numpy_gradcam.cam.weighting.gap_weights"


def test_the_command_refuses_with_exit_code_1_and_score_0():
    result = subprocess.run([sys.executable, "-m", "numpy_gradcam", "check",
                             str(MISTAKES / "imports_reference.py"), "--format", "gradescope"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["score"] == 0 and all(t["score"] == 0 for t in data["tests"])
    assert "imports the reference implementation" in data["output"]
