"""The assignment checker: solutions pass, stubs are 'not implemented', every mistake in the
catalogue fails with a counterexample that names it, broken modules are handled."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from numpy_gradcam.verification.checker import check_file
from numpy_gradcam.verification.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "lessons" / "solutions" / "gradcam_solutions.py"
STUBS = ROOT / "lessons" / "exercises" / "gradcam_exercises.py"
MISTAKES = Path(__file__).resolve().parent / "mistakes"


def test_reference_solutions_pass_everything():
    report = check_file(SOLUTIONS, max_examples=50)
    assert [f.status for f in report.functions] == ["pass"] * len(EXERCISES), report.text()
    assert report.exit_code == 0 and report.passed == len(EXERCISES)
    assert "score: 8/8 passed" in report.text()


def test_stubs_are_not_implemented_not_a_crash():
    report = check_file(STUBS, only=["gap_weights", "conv_backward"], max_examples=10)
    assert [f.status for f in report.functions] == ["not-implemented"] * 2, report.text()
    assert report.exit_code == 1
    assert "NOT IMPLEMENTED" in report.text()


def test_an_absent_function_is_not_implemented(tmp_path):
    module = tmp_path / "empty.py"
    module.write_text("x = 1\n")
    report = check_file(module, only=["blend"], max_examples=5)
    assert report.functions[0].status == "not-implemented"
    assert "no function 'blend'" in report.functions[0].message


# mistake file, function, words the hint must contain
CATALOGUE = [
    ("sum_instead_of_mean", "gap_weights", "instead of the mean"),
    ("relu_before_sum", "combine", "ReLU applied to each"),
    ("minmax_without_min", "normalize", "without subtracting min"),
    ("align_corners_true", "upsample_bilinear", "align_corners=True"),
    ("bgr_blend", "blend", "BGR"),
    ("relu_ge_zero", "relu_backward", "x >= 0"),
    ("conv_transposed_weights", "conv_backward", "kernel transposed"),
    ("gradcam_align_corners", "gradcam", "align_corners=True"),
]


@pytest.mark.parametrize(("mistake", "function", "hint"), CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_each_mistake_fails_with_a_counterexample_that_names_it(mistake, function, hint):
    report = check_file(MISTAKES / f"{mistake}.py", only=[function], max_examples=100)
    result = report.functions[0]
    text = report.text()
    assert result.name == function and result.status == "fail", text
    assert result.counterexample and result.expected and result.actual, text
    assert any(hint in h for h in result.hints), text
    assert f"{function}" in text and "minimal counterexample" in text and "looks like" in text
    assert report.exit_code == 1


def test_relu_counterexample_is_exactly_zero():
    report = check_file(MISTAKES / "relu_ge_zero.py", only=["relu_backward"])
    assert report.functions[0].counterexample["x"].endswith("[0.])")


def test_module_raising_at_import_is_reported_for_every_function():
    report = check_file(MISTAKES / "raises_at_import.py", only=["gap_weights", "blend"])
    assert [f.status for f in report.functions] == ["error", "error"]
    assert "my code is broken at import" in report.functions[0].message
    assert report.exit_code == 1


def test_module_looping_at_import_times_out_once():
    report = check_file(MISTAKES / "loops_forever.py", only=["gap_weights", "blend"], timeout=3)
    assert [f.status for f in report.functions] == ["error", "error"]
    assert "did not finish within 3 s" in report.functions[0].message
    assert report.functions[1].seconds == 0.0  # not tried again


def test_function_looping_forever_times_out():
    report = check_file(MISTAKES / "function_loops_forever.py", only=["gap_weights"], timeout=3)
    assert report.functions[0].status == "timeout"


def test_printing_module_is_checked_normally():
    report = check_file(MISTAKES / "prints_garbage.py", only=["relu_backward"], max_examples=20)
    assert report.functions[0].status == "pass", report.text()
    assert "garbage" in report.functions[0].printed


def test_sys_exit_in_a_function_is_an_error_not_a_crash():
    report = check_file(MISTAKES / "exits.py", only=["blend"], max_examples=5)
    assert report.functions[0].status == "error"
    assert "SystemExit" in report.functions[0].message


def test_usage_errors():
    with pytest.raises(FileNotFoundError):
        check_file(MISTAKES / "no_such_file.py")
    with pytest.raises(ValueError, match="--only must name"):
        check_file(SOLUTIONS, only=["softmax"])


def test_command_json_and_exit_codes(tmp_path):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "numpy_gradcam", "check", *args],
                              capture_output=True, text=True, timeout=120)

    ok = cli(str(SOLUTIONS), "--only", "blend", "--max-examples", "10", "--json")
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["score"] == 1 and data["functions"][0]["status"] == "pass"
    bad = cli(str(MISTAKES / "bgr_blend.py"), "--only", "blend")
    assert bad.returncode == 1 and "BGR" in bad.stdout
    usage = cli(str(tmp_path / "missing.py"))
    assert usage.returncode == 2 and "error" in usage.stderr
