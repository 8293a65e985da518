"""A check's report as Gradescope's ``results.json`` (``check --format gradescope``).

Gradescope's autograder specification ("Autograder Specifications", Output format,
https://gradescope-autograders.readthedocs.io/en/latest/specs/) reads a JSON object from
``/autograder/results/results.json``. The fields written here, all documented there:

- top level: ``score`` (the points earned), ``execution_time`` (seconds), ``output`` (text for
  the whole submission: the file's problem, if any, and the total), ``visibility``,
  ``stdout_visibility``, ``tests``;
- each of ``tests`` (one per exercise): ``name``, ``number`` (its position), ``score``,
  ``max_score`` (the exercise's ``points``), ``status`` (``"passed"`` or ``"failed"``),
  ``output`` (the checker's text for it: the counterexample, the hint, the warnings),
  ``visibility``.

A ``run_autograder`` script then needs one line::

    numpy-gradcam check /autograder/submission/gradcam_exercises.py --format gradescope \\
        > /autograder/results/results.json
"""

from __future__ import annotations

from .checker import Report, function_text

#: The visibility of the results: ``"visible"`` (Gradescope's other values: ``"hidden"``,
#: ``"after_due_date"``, ``"after_published"``).
VISIBILITY = "visible"


def results(report: Report) -> dict:
    """The ``results.json`` object of ``report``."""
    tests = [{"name": f.name, "number": str(i), "score": f.score, "max_score": f.points,
              "status": "passed" if f.status == "pass" else "failed",
              "output": "\n".join(function_text(f, report.problem)),
              "visibility": VISIBILITY}
             for i, f in enumerate(report.functions, start=1)]
    summary = (f"{report.passed}/{len(report.functions)} functions pass: "
               f"{report.points:g}/{report.max_points:g} points")
    return {"score": report.points,
            "execution_time": round(sum(f.seconds for f in report.functions)),
            "output": "\n".join(filter(None, [report.problem, summary])),
            "visibility": VISIBILITY, "stdout_visibility": "hidden", "tests": tests}
