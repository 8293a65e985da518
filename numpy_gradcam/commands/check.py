"""``numpy-gradcam check FILE.py``: check a student's exercise solutions against the reference.

Each exercise function of ``FILE.py`` is tested by Hypothesis against the package's reference,
in a separate process with a time limit: by default every exercise of each sheet ``FILE.py``
defines a function of (the sheet ``gradcam``: ``gap_weights``, ``combine``, ``normalize``,
``upsample_bilinear``, ``blend``, ``relu_backward``, ``conv_backward``, ``gradcam``,
``gradcampp_weights``, ``scorecam_weights``; the sheet ``backprop``: ``maxpool_backward``,
``linear_backward``, ``softmax_cross_entropy``, ``guided_relu_backward``). The stubs are in
``lessons/exercises/``, or written by ``numpy-gradcam release FOLDER``. A failure shows the
minimal (shrunk) counterexample, the expected and actual arrays, and the known mistake that
explains it. A file that imports or runs numpy_gradcam (the reference) is refused: score 0.

A course adds its own exercises with ``--exercises COURSE.py``, a Python file that defines
``EXERCISES``, a list of ``numpy_gradcam.verification.exercise.Exercise`` (see that module).

Formats: ``text`` (default), ``json`` (the whole report; also ``--json``), ``gradescope``
(Gradescope's results.json: points per exercise; write it to /autograder/results/results.json).

Exit code: 0 when every checked function passes; 1 when any fails, times out, is not
implemented (absent or raising NotImplementedError), is refused, or the module cannot be
imported; 2 for a usage error (no such file, an unknown --only name).

The checker needs Hypothesis, which the rest of numpy-gradcam does not: install it with
``pip install 'numpy-gradcam[check]'``. It is imported only when the command runs, so every
other command works without it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .json_report import dumps

FORMATS = ("text", "json", "gradescope")


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "check", help="check a student's exercise solutions (Hypothesis against the reference)",
        description=__doc__,
    )
    parser.add_argument("file", type=Path, metavar="FILE.py", help="the student's module")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="check only this function (repeatable); one of the names above")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="S",
                        help="seconds per function, the import included (default: %(default)s)")
    parser.add_argument("--max-examples", type=int, default=100, metavar="N",
                        help="Hypothesis examples per function (default: %(default)s)")
    parser.add_argument("--exercises", type=Path, metavar="COURSE.py",
                        help="a course's own exercises (a file defining EXERCISES), checked "
                             "besides the built-in ones")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="the report's format (default: %(default)s)")
    parser.add_argument("--json", action="store_const", dest="format", const="json",
                        help="the same as --format json")
    parser.set_defaults(run=run)
    return parser


def hypothesis_missing(error: ModuleNotFoundError, command: str) -> int:
    """Say that the exercises need the ``check`` extra (exit code 2); re-raise any other
    missing module."""
    if error.name != "hypothesis":
        raise error
    print(f"numpy-gradcam {command}: error: the exercises need Hypothesis: "
          f"pip install 'numpy-gradcam[check]'", file=sys.stderr)
    return 2


def run(args) -> int:
    try:
        from ..verification.checker import check_file
        from ..verification.gradescope import results
    except ModuleNotFoundError as error:
        return hypothesis_missing(error, "check")
    report = check_file(args.file, only=args.only, timeout=args.timeout,
                        max_examples=args.max_examples, exercises=args.exercises)
    if args.format == "json":
        print(dumps(report.as_dict()))
    elif args.format == "gradescope":
        print(dumps(results(report)))
    else:
        print(report.text())
    return report.exit_code
