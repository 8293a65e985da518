"""The assignment checker: solutions pass, stubs are 'not implemented', every mistake in the
catalogue fails with a counterexample that names it, broken modules are handled (and said once).
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from numpy_gradcam.verification import guard, worker
from numpy_gradcam.verification.checker import check_file
from numpy_gradcam.verification.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "lessons" / "solutions"
STUBS = ROOT / "lessons" / "exercises" / "gradcam_exercises.py"
MISTAKES = Path(__file__).resolve().parent / "mistakes"


def check_in_process(path, name, max_examples=100):
    """What the checker's child reports for one function, run here (no process to start)."""
    spec = importlib.util.spec_from_file_location(f"student_{Path(path).stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    student = worker.Student(guard.Snapshot(guard.numpy_modules()))
    result = worker.check_function(student, getattr(module, name), EXERCISES[name], max_examples)
    return {**result, "warnings": student.warnings}


def test_reference_solutions_pass_everything():
    """Through the whole checker (a child per function) for the backprop sheet; here, in one
    process, for the gradcam sheet's ten (the same check, without ten process starts)."""
    report = check_file(SOLUTIONS / "backprop_solutions.py", max_examples=25)
    names = [name for name, e in EXERCISES.items() if e.sheet == "backprop"]
    assert [f.name for f in report.functions] == names          # the sheet's, and only those
    assert [f.status for f in report.functions] == ["pass"] * len(names), report.text()
    assert report.exit_code == 0 and report.points == report.max_points == 5
    assert f"score: {len(names)}/{len(names)} passed (5/5 points)" in report.text()
    for name in (n for n, e in EXERCISES.items() if e.sheet == "gradcam"):
        result = check_in_process(SOLUTIONS / "gradcam_solutions.py", name, max_examples=25)
        assert result["status"] == "pass" and result["examples"] >= 25, (name, result)


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
    ("normalize_batch_minmax", "normalize", "whole batch"),
    ("normalize_no_guard", "normalize", "no guard for a constant map"),
    ("align_corners_true", "upsample_bilinear", "align_corners=True"),
    ("upsample_no_clamp", "upsample_bilinear", "not clamped at 0"),
    ("bgr_blend", "blend", "BGR"),
    ("relu_ge_zero", "relu_backward", "x >= 0"),
    ("conv_transposed_weights", "conv_backward", "kernel transposed"),
    ("gradcam_align_corners", "gradcam", "align_corners=True"),
    ("gradcampp_no_relu", "gradcampp_weights", "no ReLU on the gradient"),
    ("scorecam_no_baseline", "scorecam_weights", "baseline"),
    ("maxpool_every_tie", "maxpool_backward", "every tied maximum"),
    ("linear_dw_transposed", "linear_backward", "dw transposed"),
    ("cross_entropy_unshifted", "softmax_cross_entropy", "subtract each row's maximum"),
    ("guided_standard_rule", "guided_relu_backward", "standard ReLU derivative"),
]


@pytest.mark.parametrize(("mistake", "function", "hint"), CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_each_mistake_fails_with_a_counterexample_that_names_it(mistake, function, hint):
    result = check_in_process(MISTAKES / f"{mistake}.py", function)
    assert result["status"] == "fail", result
    assert result["counterexample"] and result["expected"] and result["actual"], result
    assert len(result["hints"]) == 1 and hint in result["hints"][0], result["hints"]
    assert result["examples"] > 0


def test_a_mistake_named_in_a_child_reads_in_the_report():
    report = check_file(MISTAKES / "bgr_blend.py", only=["blend"], max_examples=50)
    text = report.text()
    assert report.functions[0].status == "fail" and report.exit_code == 1
    assert "minimal counterexample" in text and "looks like: the colours in BGR order" in text


def test_relu_counterexample_is_exactly_zero():
    result = check_in_process(MISTAKES / "relu_ge_zero.py", "relu_backward")
    assert result["counterexample"]["x"].endswith("[0.])")


def test_upsampling_counterexamples_stay_upsamplings():
    """The shrunk case of a wrong upsampling is an upsampling (in both axes), not a 2 → 1
    downsample to 1 × 1."""
    for mistake in ("align_corners_true", "upsample_no_clamp"):
        result = check_in_process(MISTAKES / f"{mistake}.py", "upsample_bilinear")
        shape = result["counterexample"]["L"].split("shape=(")[1].split(")")[0]
        h, w = (int(n) for n in shape.split(", ")[1:])
        H, W = (int(n) for n in result["counterexample"]["size"].strip("()").split(", "))
        assert H > h and W > w and max(h, w) >= 2, result["counterexample"]


def test_the_missing_guard_reports_the_whole_warning_once():
    result = check_in_process(MISTAKES / "normalize_no_guard.py", "normalize")
    assert result["actual"].endswith("[[[nan]]])")
    assert result["warnings"] == ["RuntimeWarning: invalid value encountered in divide "
                                  "(normalize_no_guard.py, line 7)"]


def test_a_failing_gradcam_carries_no_unrelated_note():
    report = check_file(MISTAKES / "gradcam_align_corners.py", only=["gradcam"],
                        max_examples=30)
    assert report.functions[0].status == "fail"
    assert "alpha = sum" not in report.text() and "note:" not in report.text()


def test_a_syntax_error_is_reported_once_for_the_file(tmp_path):
    module = tmp_path / "broken.py"
    module.write_text("def gap_weights(dy_dA)\n    return dy_dA.mean(axis=(2, 3))\n")
    report = check_file(module)
    text = report.text()
    assert text.count("syntax error") == 1 and "line 1" in text, text
    assert {f.status for f in report.functions} == {"error"}
    assert len(report.functions) == len(EXERCISES)        # nothing defined: every sheet
    assert all(f.seconds == 0.0 for f in report.functions)  # no child was started


def test_module_raising_at_import_is_reported_once():
    report = check_file(MISTAKES / "raises_at_import.py", only=["gap_weights", "blend"])
    assert [f.status for f in report.functions] == ["error", "error"]
    assert "my code is broken at import" in report.problem
    assert report.text().count("my code is broken at import") == 1
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
    assert report.functions[0].printed_chars > 8000        # all of it counted, some of it kept


def test_sys_exit_in_a_function_is_an_error_not_a_crash():
    report = check_file(MISTAKES / "exits.py", only=["blend"], max_examples=5)
    assert report.functions[0].status == "error"
    assert "SystemExit" in report.functions[0].message


def test_usage_errors():
    with pytest.raises(FileNotFoundError):
        check_file(MISTAKES / "no_such_file.py")
    with pytest.raises(ValueError, match="--only must name"):
        check_file(SOLUTIONS / "gradcam_solutions.py", only=["softmax"])


def test_command_json_and_exit_codes(tmp_path):
    def cli(*args):
        return subprocess.run([sys.executable, "-m", "numpy_gradcam", "check", *args],
                              capture_output=True, text=True, timeout=120)

    ok = cli(str(SOLUTIONS / "gradcam_solutions.py"), "--only", "blend", "--max-examples", "10",
             "--json")
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["score"] == 1 and data["functions"][0]["status"] == "pass"
    bad = cli(str(MISTAKES / "bgr_blend.py"), "--only", "blend", "--format", "json")
    assert bad.returncode == 1
    failed = json.loads(bad.stdout)["functions"][0]
    assert failed["status"] == "fail" and "BGR" in failed["hints"][0]
    assert failed["examples"] > 0                     # the examples it took, not 0
    usage = cli(str(tmp_path / "missing.py"))
    assert usage.returncode == 2 and "error" in usage.stderr


def test_a_hint_must_fit_more_than_the_shrunk_counterexample():
    """On [[[0]], [[0.25]]] a per-batch normaliser gives what 'forgot min L' gives; only the
    confirming examples tell them apart. Without the right mistake in the catalogue, no hint
    is better than the wrong one."""
    import dataclasses

    import numpy as np

    from numpy_gradcam.verification.hints import diagnose

    def per_batch(L):
        span = L.max() - L.min()
        return np.zeros_like(L) if span <= 1e-8 else (L - L.min()) / span

    args = (np.array([[[0.0]], [[0.25]]]),)
    normalize = EXERCISES["normalize"]
    (forgot_min, max_only), = [m for m in normalize.mistakes if "without subtracting" in m[0]]
    assert np.array_equal(max_only(*args), per_batch(*args))       # the trap is real
    assert diagnose(normalize, per_batch, args, per_batch(*args)) == \
        [m for m, _ in normalize.mistakes if "whole batch" in m]
    only_max = dataclasses.replace(normalize, mistakes=((forgot_min, max_only),))
    assert diagnose(only_max, per_batch, args, per_batch(*args)) == []
    assert diagnose(only_max, max_only, args, max_only(*args)) == [forgot_min]
