"""The assignment checker: ``numpy-gradcam check FILE.py``.

For each exercise of :data:`~numpy_gradcam.verification.exercises.EXERCISES` (or those named by
``only``) the student's module is imported **in a child process**
(:mod:`numpy_gradcam.verification.worker`) and the function of that name is compared with the
reference by a Hypothesis property test over shapes and values. A child per function means that
a module that raises at import, loops forever, prints, or calls ``sys.exit`` cannot crash the
checker, and that each function has its own time limit.

Per function the report says one of:

=================  ==========================================================================
``pass``           every drawn example equals the reference (``np.allclose``, see exercises)
``fail``           the **minimal** counterexample Hypothesis shrank to: the arguments, the
                   expected and the actual arrays, and the known mistake it matches, if any
``not-implemented`` the function is absent, or raises ``NotImplementedError``
``timeout``        it did not finish within the time limit
``error``          the module could not be imported, or the child died
=================  ==========================================================================

Score: the number of functions that pass, out of those checked. Exit code (:attr:`Report.
exit_code`): **0** when every checked function passes; **1** when any fails, times out, is not
implemented or the module cannot be imported. (The command exits 2 for a usage error: a file
that does not exist, an unknown ``--only`` name.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .exercises import ATOL, EXERCISES, RTOL

STATUSES = ("pass", "fail", "not-implemented", "timeout", "error")


@dataclass
class FunctionReport:
    name: str
    status: str
    message: str = ""
    examples: int = 0
    counterexample: dict = field(default_factory=dict)
    expected: str | None = None
    actual: str | None = None
    hints: list = field(default_factory=list)
    printed: str = ""
    seconds: float = 0.0


@dataclass
class Report:
    path: str
    functions: list[FunctionReport]

    @property
    def passed(self) -> int:
        return sum(f.status == "pass" for f in self.functions)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed == len(self.functions) else 1

    def as_dict(self) -> dict:
        return {"path": self.path, "score": self.passed, "total": len(self.functions),
                "exit_code": self.exit_code, "tolerance": {"rtol": RTOL, "atol": ATOL},
                "functions": [asdict(f) for f in self.functions]}

    def text(self) -> str:
        lines = [f"checking {self.path} (np.allclose, rtol={RTOL}, atol={ATOL})"]
        for f in self.functions:
            label = f.status.upper().replace("-", " ")
            extra = f" ({f.examples} examples)" if f.status == "pass" else ""
            lines.append(f"{f.name:.<24} {label}{extra}  [{f.seconds:.1f} s]")
            if f.status != "pass" and f.message:
                lines.append(f"    {f.message}")
            if f.counterexample:
                lines.append("    minimal counterexample (shrunk by Hypothesis):")
                lines += [f"      {k} = {v}" for k, v in f.counterexample.items()]
                lines.append(f"    expected: {f.expected}")
                lines.append(f"    actual:   {f.actual}")
            for hint in f.hints:
                lines.append(f"    looks like: {hint}")
            if EXERCISES[f.name].note and f.status == "fail":
                lines.append(f"    note: {EXERCISES[f.name].note}")
            if f.printed:
                lines.append(f"    note: the module printed {f.printed[:60]!r}...")
        lines.append(f"score: {self.passed}/{len(self.functions)} passed")
        return "\n".join(lines)


def _records(results: Path) -> list[dict]:
    if not results.exists():
        return []
    return [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _run_child(path: Path, name: str, max_examples: int, timeout: float):
    """``(records, timed_out, returncode, stderr tail)`` of one worker run."""
    with tempfile.TemporaryDirectory(prefix="numpy-gradcam-check-") as tmp:
        results, errors = Path(tmp) / "results.jsonl", Path(tmp) / "stderr.txt"
        command = [sys.executable, "-m", "numpy_gradcam.verification.worker",
                   str(path), name, str(max_examples), str(results)]
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
        with open(errors, "wb") as err:
            try:
                completed = subprocess.run(command, stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL, stderr=err,
                                           timeout=timeout, env=env, cwd=path.parent)
                timed_out, code = False, completed.returncode
            except subprocess.TimeoutExpired:
                timed_out, code = True, None
        tail = errors.read_bytes()[-500:].decode("utf-8", "replace").strip()
        return _records(results), timed_out, code, tail


def check_function(path: Path, name: str, max_examples: int, timeout: float):
    """One function's :class:`FunctionReport`, and whether the module imported at all."""
    start = time.perf_counter()
    records, timed_out, code, tail = _run_child(path, name, max_examples, timeout)
    seconds = time.perf_counter() - start
    events = {r["event"]: r for r in records}
    if "import-error" in events:
        r = events["import-error"]
        return FunctionReport(name, "error", f"the module raised at import: {r['message']}",
                              printed=r.get("printed", ""), seconds=seconds), False
    if "imported" not in events:
        why = (f"importing the module did not finish within {timeout:g} s" if timed_out
               else f"the checker's child process died while importing (exit code {code}): "
                    f"{tail[-200:]}")
        return FunctionReport(name, "error", why, seconds=seconds), False
    if timed_out:
        return FunctionReport(name, "timeout", f"{name} did not finish within {timeout:g} s "
                              f"(an endless loop, or far too slow)", seconds=seconds), True
    if "result" not in events:
        return FunctionReport(name, "error", f"the process died while checking {name} "
                              f"(exit code {code}; sys.exit or os._exit?) {tail[-200:]}",
                              seconds=seconds), True
    r = events["result"]
    fields_ = {k: r[k] for k in ("message", "examples", "counterexample", "expected",
                                 "actual", "hints", "printed") if r.get(k) is not None}
    return FunctionReport(name, r["status"], seconds=seconds, **fields_), True


def check_file(path, only=None, timeout: float = 30.0, max_examples: int = 100) -> Report:
    """Check the exercises of the student's module ``path``; see the module docstring.

    ``only``: a list of exercise names (default: all of them). ``timeout``: seconds per
    function (the import included). ``max_examples``: Hypothesis examples per function.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"FILE must be a Python file of exercises, {path} does not exist")
    if path.suffix != ".py":
        raise ValueError(f"FILE must be a .py file, got {path}")
    names = list(EXERCISES) if not only else list(only)
    unknown = [n for n in names if n not in EXERCISES]
    if unknown:
        raise ValueError(f"--only must name exercises among {', '.join(EXERCISES)}; "
                         f"got {', '.join(map(repr, unknown))}")
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"--timeout must be a positive number of seconds, got {timeout!r}")
    if not (isinstance(max_examples, int) and max_examples >= 1):
        raise ValueError(f"--max-examples must be a positive integer, got {max_examples!r}")

    reports = []
    for i, name in enumerate(names):
        report, imported = check_function(path.resolve(), name, max_examples, timeout)
        reports.append(report)
        if not imported:  # the same import fails for every function: do not repeat it
            reports += [FunctionReport(n, "error", report.message) for n in names[i + 1:]]
            break
    return Report(str(path), reports)
