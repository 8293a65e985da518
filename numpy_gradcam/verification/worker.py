"""The checker's child process: import a student's module and check one function.

Run by :func:`numpy_gradcam.verification.checker.check_file` as::

    python -m numpy_gradcam.verification.worker FILE NAME MAX_EXAMPLES RESULTS [COURSE]

(``COURSE``: a course's exercise file, :func:`~numpy_gradcam.verification.exercises.
load_course`). It never writes its findings to standard output (the student's module may print
anything): each finding is one JSON line appended to the file ``RESULTS``, so that the parent
learns how far the child got even when it is killed (``{"event": "imported"}`` once the import
has finished, then ``{"event": "result", ...}``; ``{"event": "refused", ...}`` when the
submission uses the reference or changes the checker, :mod:`.guard`). Everything the module
prints is captured, capped at :data:`PRINT_CAP` characters, and reported as a note; every
warning its code raises is reported once, in full, with the line that raised it.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import traceback
import warnings
from pathlib import Path

from hypothesis import HealthCheck, Phase, find, given, settings

from . import guard
from .comparison import SHOWN, compare, show
from .exercises import load_course
from .hints import diagnose

PRINT_CAP = 2000   # characters of a student's printed output kept for the report
#: Hypothesis's phases but "explain" (which re-runs a shrunk failure to say which parts of it
#: matter, seconds per failure, and reports to a terminal the child does not have).
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]


class Refused(BaseException):
    """The submission used the reference or changed the checker: no verdict but ``refused``.

    A ``BaseException``, so that neither the student's ``except Exception`` nor Hypothesis's
    shrinking holds it up."""


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


def _copy(args):
    return tuple(a.copy() if hasattr(a, "copy") else a for a in args)


class Student:
    """The student's code, run under the guards: ``student.run(function, *args)``.

    Each run is watched (:class:`~numpy_gradcam.verification.guard.ReferenceWatch`); the
    warnings it raises are kept in ``warnings`` (each once, in full, with its file and line).
    """

    def __init__(self, snapshot: guard.Snapshot):
        self.snapshot = snapshot
        self.warnings: list[str] = []

    def run(self, function, *args):
        watch = guard.ReferenceWatch(own_files=[__file__])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                with watch:
                    result = function(*args)
            finally:
                self._keep(caught)
                self.verify(watch)
        if guard.is_reference_object(result):
            raise Refused(f"it returns one of numpy_gradcam's own objects ({show(result)}): "
                          f"a submission must compute its answers itself")
        return result

    def verify(self, watch):
        if watch.found:
            raise Refused(f"it runs the reference implementation ({watch.found}): a submission "
                          f"must compute its answers itself, without numpy_gradcam")
        changed = self.snapshot.changed()
        if changed:
            raise Refused(f"it replaces {', '.join(changed[:3])}, which the checker uses to "
                          f"compare answers")

    def _keep(self, caught):
        for w in caught:
            text = f"{w.category.__name__}: {w.message} ({Path(w.filename).name}, line {w.lineno})"
            if text not in self.warnings:
                self.warnings.append(text)


def check_function(student: Student, function, exercise, max_examples: int) -> dict:
    """Hypothesis property: ``function(*args)`` equals ``exercise.reference(*args)``."""
    failure: dict = {}
    examples = [0]

    def call(*args):
        return student.run(function, *_copy(args))

    def one(args):
        examples[0] += 1
        expected = exercise.reference(*_copy(args))
        try:
            actual = call(*args)
        except (NotImplementedError, Refused):
            raise
        except Exception as error:
            failure.clear()
            failure.update(args=args, expected=expected, actual=None,
                           problem=f"raised {type(error).__name__}: {error}")
            raise
        problem = compare(actual, expected, names=exercise.result_names)
        if problem:
            failure.clear()
            failure.update(args=args, expected=expected, actual=actual, problem=problem)
            raise AssertionError(problem)

    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
              print_blob=False, phases=PHASES)
    @given(exercise.strategy())
    def prop(args):
        one(args)

    # The simplest input first: a stub raising NotImplementedError is then reported at once,
    # without Hypothesis shrinking a failure that every input has.
    simplest = find(exercise.strategy(), lambda _: True,
                    settings=settings(database=None, derandomize=True, phases=PHASES))
    try:
        call(*simplest)
        prop()
    except NotImplementedError:
        return {"status": "not-implemented",
                "message": "raises NotImplementedError (the stub is not filled in yet)"}
    except Refused:
        raise
    except BaseException as error:  # the student's code may raise anything
        if not failure:
            return {"status": "error", "message": f"{type(error).__name__}: {error}"[:SHOWN],
                    "examples": examples[0]}
        args, actual = failure["args"], failure["actual"]
        return {
            "status": "fail",
            "message": failure["problem"],
            "examples": examples[0],
            "counterexample": {name: show(a) for name, a in
                               zip(exercise.arg_names, args, strict=False)},
            "expected": show(failure["expected"]),
            "actual": None if actual is None else show(actual),
            "hints": [] if actual is None else diagnose(exercise, call, args, actual),
        }
    return {"status": "pass", "examples": examples[0]}


def _checker_modules():
    return [m for name, m in list(sys.modules.items()) if m is not None and
            (name == "__main__" or name.startswith("numpy_gradcam.verification"))]


def main(argv=None) -> int:
    argv = argv or sys.argv[1:]
    path, name, max_examples, results = argv[:4]
    exercises = load_course(argv[4] if len(argv) > 4 else None)

    def emit(record):
        with open(results, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")

    captured = CappedWriter()
    real_stdout, real_stderr = sys.stdout, sys.stderr
    student = Student(guard.Snapshot(guard.numpy_modules() + _checker_modules()))
    sys.stdout = sys.stderr = captured
    try:
        spec = importlib.util.spec_from_file_location("student_module", path)
        module = importlib.util.module_from_spec(spec)
        student.run(spec.loader.exec_module, module)
        function = getattr(module, name, None)
        if guard.is_reference_object(function):
            raise Refused(f"its {name} is numpy_gradcam's own ({show(function)}): a "
                          f"submission must compute its answers itself")
    except Refused as refusal:
        emit({"event": "refused", "message": f"refused: {refusal}"})
        return 0
    except BaseException as error:  # SyntaxError, SystemExit, anything raised at import
        lines = traceback.format_exception_only(type(error), error)
        emit({"event": "import-error", "message": "".join(lines).strip()[:SHOWN],
              "printed": captured.text()[:SHOWN], "printed_chars": captured.count})
        return 0
    emit({"event": "imported"})

    try:
        if not callable(function):
            result = {"status": "not-implemented",
                      "message": f"no function {name!r} in the module"}
        else:
            result = check_function(student, function, exercises[name], int(max_examples))
    except Refused as refusal:
        emit({"event": "refused", "message": f"refused: {refusal}"})
        return 0
    finally:
        sys.stdout, sys.stderr = real_stdout, real_stderr
        printed = {"printed": captured.text()[:SHOWN], "printed_chars": captured.count}
    emit({"event": "result", **result, **printed, "warnings": student.warnings})
    return 0


if __name__ == "__main__":
    sys.exit(main())
