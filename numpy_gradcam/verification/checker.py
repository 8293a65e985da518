"""The assignment checker: ``numpy-gradcam check FILE.py``.

For each exercise (:mod:`numpy_gradcam.verification.exercises`: those of the sheets whose
functions ``FILE.py`` defines, all of them when it defines none, or those named by ``only``) the
student's module is imported **in a child process** (:mod:`numpy_gradcam.verification.worker`)
and the function of that name is compared with the reference by a Hypothesis property test over
shapes and values. A child per function means that a module that raises at import, loops
forever, prints, or calls ``sys.exit`` cannot crash the checker, and that each function has its
own time limit.

Before any child runs, the file is parsed here: a syntax error, or an import of the reference
(``numpy_gradcam``), is reported once for the whole file (:mod:`.guard`).

Per function the report says one of:

===================  ========================================================================
``pass``             every drawn example equals the reference (``np.allclose``, see exercises)
``fail``             the **minimal** counterexample Hypothesis shrank to: the arguments, the
                     expected and the actual arrays, and the known mistake that explains it,
                     if one does (:mod:`.hints`)
``not-implemented``  the function is absent, or raises ``NotImplementedError``
``timeout``          it did not finish within the time limit
``error``            the module could not be imported (said once, for the file), or the child
                     died
``refused``          the submission uses the reference implementation or changes the checker
                     (said once, for the file): every function scores 0
===================  ========================================================================

Score: the number of functions that pass, out of those checked; points: the sum of their
exercises' ``points``. Exit code (:attr:`Report.exit_code`): **0** when every checked function
passes; **1** otherwise. (The command exits 2 for a usage error: a file that does not exist, an
unknown ``--only`` name.)
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .exercises import ATOL, RTOL, load_course
from .guard import reference_imports

STATUSES = ("pass", "fail", "not-implemented", "timeout", "error", "refused")
NOTE_SHOWN = 200   # characters of a module's printed output shown in the text report


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
    warnings: list = field(default_factory=list)
    printed: str = ""
    printed_chars: int = 0
    seconds: float = 0.0
    points: float = 1.0

    @property
    def score(self) -> float:
        return self.points if self.status == "pass" else 0.0


@dataclass
class Report:
    path: str
    functions: list[FunctionReport]
    problem: str = ""      # about the whole file (syntax, import, refusal), said once

    @property
    def passed(self) -> int:
        return sum(f.status == "pass" for f in self.functions)

    @property
    def points(self) -> float:
        return sum(f.score for f in self.functions)

    @property
    def max_points(self) -> float:
        return sum(f.points for f in self.functions)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed == len(self.functions) else 1

    def as_dict(self) -> dict:
        return {"path": self.path, "score": self.passed, "total": len(self.functions),
                "points": self.points, "max_points": self.max_points,
                "exit_code": self.exit_code, "problem": self.problem,
                "tolerance": {"rtol": RTOL, "atol": ATOL},
                "functions": [asdict(f) for f in self.functions]}

    def text(self) -> str:
        lines = [f"checking {self.path} (np.allclose, rtol={RTOL}, atol={ATOL})"]
        if self.problem:
            lines.append(f"  {self.problem}")
        for f in self.functions:
            lines += function_text(f, self.problem)
        lines.append(f"score: {self.passed}/{len(self.functions)} passed "
                     f"({self.points:g}/{self.max_points:g} points)")
        return "\n".join(lines)


def function_text(f: FunctionReport, problem: str = "") -> list[str]:
    """The lines of one function's verdict (a message the file's ``problem`` said is not
    repeated)."""
    label = f.status.upper().replace("-", " ")
    extra = f" ({f.examples} examples)" if f.status == "pass" else ""
    lines = [f"{f.name:.<24} {label}{extra}  [{f.seconds:.1f} s]"]
    if f.status != "pass" and f.message and f.message != problem:
        lines.append(f"    {f.message}")
    if f.counterexample:
        lines.append(f"    minimal counterexample (shrunk by Hypothesis after {f.examples} "
                     f"examples):")
        lines += [f"      {k} = {v}" for k, v in f.counterexample.items()]
        lines.append(f"    expected: {f.expected}")
        lines.append(f"    actual:   {f.actual}")
    lines += [f"    looks like: {hint}" for hint in f.hints]
    lines += [f"    warning: {w}" for w in f.warnings]
    if f.printed:
        more = f" ({f.printed_chars} characters in all)" if f.printed_chars > NOTE_SHOWN else ""
        lines.append(f"    note: the module printed {f.printed[:NOTE_SHOWN]!r}{more}")
    return lines


def _records(results: Path) -> list[dict]:
    if not results.exists():
        return []
    return [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _run_child(path: Path, name: str, max_examples: int, timeout: float, course):
    """``(records, timed_out, returncode, stderr tail)`` of one worker run."""
    with tempfile.TemporaryDirectory(prefix="numpy-gradcam-check-") as tmp:
        results, errors = Path(tmp) / "results.jsonl", Path(tmp) / "stderr.txt"
        command = [sys.executable, "-m", "numpy_gradcam.verification.worker",
                   str(path), name, str(max_examples), str(results)]
        command += [] if course is None else [str(Path(course).resolve())]
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


def check_function(path: Path, name: str, max_examples: int, timeout: float, course=None):
    """One function's :class:`FunctionReport`, and the file's problem if there is one (the
    module does not import, or the submission is refused)."""
    start = time.perf_counter()
    records, timed_out, code, tail = _run_child(path, name, max_examples, timeout, course)
    seconds = time.perf_counter() - start
    events = {r["event"]: r for r in records}
    if "refused" in events:
        message = events["refused"]["message"]
        return FunctionReport(name, "refused", message, seconds=seconds), message
    if "import-error" in events:
        r = events["import-error"]
        message = f"the module raised at import: {r['message']}"
        return FunctionReport(name, "error", message, printed=r.get("printed", ""),
                              printed_chars=r.get("printed_chars", 0), seconds=seconds), message
    if "imported" not in events:
        why = (f"importing the module did not finish within {timeout:g} s" if timed_out
               else f"the checker's child process died while importing (exit code {code}): "
                    f"{tail[-200:]}")
        return FunctionReport(name, "error", why, seconds=seconds), why
    if timed_out:
        return FunctionReport(name, "timeout", f"{name} did not finish within {timeout:g} s "
                              f"(an endless loop, or far too slow)", seconds=seconds), ""
    if "result" not in events:
        return FunctionReport(name, "error", f"the process died while checking {name} "
                              f"(exit code {code}; sys.exit or os._exit?) {tail[-200:]}",
                              seconds=seconds), ""
    r = events["result"]
    fields_ = {k: r[k] for k in ("message", "examples", "counterexample", "expected", "actual",
                                 "hints", "warnings", "printed", "printed_chars")
               if r.get(k) is not None}
    return FunctionReport(name, r["status"], seconds=seconds, **fields_), ""


def defined_names(tree: ast.Module) -> set[str] | None:
    """The names a module may bind: every function, class, assignment and import anywhere in
    it (more than it binds at its top level, never fewer); ``None`` when a ``from … import *``
    makes that unknowable."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            if any(a.name == "*" for a in node.names):
                return None
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def exercises_to_check(tree: ast.Module, exercises: dict, only) -> list[str]:
    """``only``, or every exercise of each sheet the module defines a function of (all of them
    when it defines none)."""
    if only:
        unknown = [n for n in only if n not in exercises]
        if unknown:
            raise ValueError(f"--only must name exercises among {', '.join(exercises)}; "
                             f"got {', '.join(map(repr, unknown))}")
        return list(only)
    defined = defined_names(tree) or set()
    sheets = {exercises[n].sheet for n in defined if n in exercises}
    return [n for n, e in exercises.items() if not sheets or e.sheet in sheets]


def _parse(path: Path) -> tuple[ast.Module | None, str]:
    """The module's syntax tree, or ``None`` and why it cannot be read."""
    try:
        source = path.read_text(encoding="utf-8")
        return ast.parse(source, filename=path.name), source
    except SyntaxError as error:
        where = f"line {error.lineno}" + (f", column {error.offset}" if error.offset else "")
        return None, f"the module has a syntax error ({where}): {error.msg}"
    except UnicodeDecodeError as error:
        return None, f"the module is not UTF-8 text: {error.reason} at byte {error.start}"


def check_file(path, only=None, timeout: float = 30.0, max_examples: int = 100,
               exercises=None) -> Report:
    """Check the exercises of the student's module ``path``; see the module docstring.

    ``only``: a list of exercise names (default: those of the sheets the module defines a
    function of). ``timeout``: seconds per function (the import included). ``max_examples``:
    Hypothesis examples per function. ``exercises``: a course's exercise file
    (:func:`~numpy_gradcam.verification.exercises.load_course`), checked besides the built-in
    ones.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"FILE must be a Python file of exercises, {path} does not exist")
    if path.suffix != ".py":
        raise ValueError(f"FILE must be a .py file, got {path}")
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"--timeout must be a positive number of seconds, got {timeout!r}")
    if not (isinstance(max_examples, int) and max_examples >= 1):
        raise ValueError(f"--max-examples must be a positive integer, got {max_examples!r}")
    catalogue = load_course(exercises)
    tree, source = _parse(path)
    names = exercises_to_check(tree or ast.Module(body=[], type_ignores=[]), catalogue, only)
    points = {n: catalogue[n].points for n in names}
    if tree is None:
        return _same_for_all(path, names, points, "error", source)
    imports = reference_imports(source)
    if imports:
        return _same_for_all(path, names, points, "refused",
                             f"refused: the module imports the reference implementation "
                             f"({'; '.join(imports)}): a submission must compute its answers "
                             f"itself, without numpy_gradcam. Score 0.")
    reports, defined = [], defined_names(tree)
    for name in names:
        if reports and defined is not None and name not in defined:
            # Absent: no child needed to see it, once one child has imported the module.
            reports.append(FunctionReport(name, "not-implemented", f"no function {name!r} in "
                                          f"the module", points=points[name]))
            continue
        report, problem = check_function(path.resolve(), name, max_examples, timeout, exercises)
        report.points = points[name]
        reports.append(report)
        if problem:  # the same import fails (or is refused) for every function: say it once
            status = report.status
            reports = [FunctionReport(n, status, problem, points=points[n]) if r is not report
                       else r for n, r in zip(names, reports, strict=False)]
            reports += [FunctionReport(n, status, problem, points=points[n])
                        for n in names[len(reports):]]
            return Report(str(path), reports, problem)
    return Report(str(path), reports)


def _same_for_all(path: Path, names, points, status: str, problem: str) -> Report:
    return Report(str(path), [FunctionReport(n, status, problem, points=points[n])
                              for n in names], problem)

