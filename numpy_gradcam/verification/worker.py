"""The checker's child process: import a student's module and check one function.

Run by :func:`numpy_gradcam.verification.checker.check_file` as::

    python -m numpy_gradcam.verification.worker FILE NAME MAX_EXAMPLES RESULTS

It never writes its findings to standard output (the student's module may print anything):
each finding is one JSON line appended to the file ``RESULTS``, so that the parent learns how
far the child got even when it is killed (``{"event": "imported"}`` once the import has
finished, then ``{"event": "result", ...}``). Everything the module prints is captured, capped
at :data:`PRINT_CAP` characters, and reported as a note.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import traceback

import numpy as np
from hypothesis import HealthCheck, find, given, settings

from .exercises import ATOL, EXERCISES, RTOL

PRINT_CAP = 2000   # characters of a student's printed output kept for the report
SHOWN = 300        # characters of an array shown in a report


class CappedWriter:
    """A stand-in for ``sys.stdout``: keeps the first ``PRINT_CAP`` characters, counts the rest."""

    def __init__(self):
        self.kept, self.count = [], 0

    def write(self, text):
        text = str(text)
        room = PRINT_CAP - sum(len(t) for t in self.kept)
        if room > 0:
            self.kept.append(text[:room])
        self.count += len(text)
        return len(text)

    def flush(self):
        pass

    def text(self) -> str:
        return "".join(self.kept)


def show(value) -> str:
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=6, threshold=120, separator=", ")
        return f"array(shape={value.shape}, {' '.join(text.split())})"[:SHOWN]
    if isinstance(value, (tuple, list)) and any(isinstance(v, np.ndarray) for v in value):
        return "(" + ", ".join(show(v) for v in value) + ")"
    return repr(value)[:SHOWN]


def _copy(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def compare(actual, expected, label: str = "the result") -> str | None:
    """None when ``actual`` matches ``expected`` (shape, then ``np.allclose``); else why not."""
    if isinstance(expected, tuple):
        names = ("dx", "dw", "db")[:len(expected)] if len(expected) == 3 else \
            [f"item {i}" for i in range(len(expected))]
        if not isinstance(actual, (tuple, list)) or len(actual) != len(expected):
            return f"{label} must be a tuple of {len(expected)} arrays, got {show(actual)}"
        for name, a, e in zip(names, actual, expected, strict=True):
            problem = compare(a, e, name)
            if problem:
                return problem
        return None
    try:
        actual = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        return f"{label} must be a float array, got {show(actual)}"
    if actual.shape != expected.shape:
        return f"{label} has shape {actual.shape}, expected {expected.shape}"
    if not np.allclose(actual, expected, rtol=RTOL, atol=ATOL):
        with np.errstate(invalid="ignore"):
            diff = np.abs(actual - expected)
        where = np.unravel_index(np.nanargmax(diff) if np.isfinite(diff).any() else 0, diff.shape)
        return (f"{label} differs from the reference: at index {tuple(int(i) for i in where)} "
                f"got {float(actual[where])!r}, expected {float(expected[where])!r} "
                f"(np.allclose with rtol={RTOL}, atol={ATOL})")
    return None


def diagnose(exercise, args, actual) -> list[str]:
    """The first known mistake whose output on ``args`` equals the student's ``actual`` (the
    catalogue lists the more specific mistakes first), as a list of at most one."""
    expected = exercise.reference(*_copy(args))
    hints = []
    for description, wrong in exercise.mistakes:
        try:
            mistaken = wrong(*_copy(args))
        except Exception:  # a mistake that does not apply to these shapes
            continue
        if compare(mistaken, expected) is not None and compare(actual, mistaken) is None:
            return [description]
    return hints


def check_function(function, exercise, max_examples: int) -> dict:
    """Hypothesis property: ``function(*args)`` equals ``exercise.reference(*args)``."""
    failure: dict = {}
    examples = [0]

    def one(args):
        examples[0] += 1
        expected = exercise.reference(*_copy(args))
        try:
            actual = function(*_copy(args))
        except NotImplementedError:
            raise
        except Exception as error:
            failure.clear()
            failure.update(args=args, expected=expected, actual=None,
                           problem=f"raised {type(error).__name__}: {error}")
            raise
        problem = compare(actual, expected)
        if problem:
            failure.clear()
            failure.update(args=args, expected=expected, actual=actual, problem=problem)
            raise AssertionError(problem)

    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
              print_blob=False)
    @given(exercise.strategy())
    def prop(args):
        one(args)

    # The simplest input first: a stub raising NotImplementedError is then reported at once,
    # without Hypothesis shrinking a failure that every input has.
    simplest = find(exercise.strategy(), lambda _: True,
                    settings=settings(database=None, derandomize=True))
    try:
        function(*_copy(simplest))
        prop()
    except NotImplementedError:
        return {"status": "not-implemented",
                "message": "raises NotImplementedError (the stub is not filled in yet)"}
    except BaseException as error:  # the student's code may raise anything
        if not failure:
            return {"status": "error", "message": f"{type(error).__name__}: {error}"[:SHOWN]}
        args = failure["args"]
        actual = failure["actual"]
        return {
            "status": "fail",
            "message": failure["problem"],
            "counterexample": {name: show(a) for name, a in
                               zip(exercise.arg_names, args, strict=False)},
            "expected": show(failure["expected"]),
            "actual": None if actual is None else show(actual),
            "hints": [] if actual is None else diagnose(exercise, args, actual),
        }
    return {"status": "pass", "examples": examples[0]}


def main(argv=None) -> int:
    path, name, max_examples, results = (argv or sys.argv[1:])[:4]

    def emit(record):
        with open(results, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")

    captured = CappedWriter()
    real_stdout, real_stderr = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = captured
    try:
        spec = importlib.util.spec_from_file_location("student_module", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except BaseException as error:  # SyntaxError, SystemExit, anything raised at import
        lines = traceback.format_exception_only(type(error), error)
        emit({"event": "import-error", "message": "".join(lines).strip()[:SHOWN],
              "printed": captured.text()[:SHOWN], "printed_chars": captured.count})
        return 0
    emit({"event": "imported"})

    function = getattr(module, name, None)
    if not callable(function):
        result = {"status": "not-implemented", "message": f"no function {name!r} in the module"}
    else:
        result = check_function(function, EXERCISES[name], int(max_examples))
    sys.stdout, sys.stderr = real_stdout, real_stderr
    emit({"event": "result", **result, "printed": captured.text()[:SHOWN],
          "printed_chars": captured.count})
    return 0


if __name__ == "__main__":
    sys.exit(main())
