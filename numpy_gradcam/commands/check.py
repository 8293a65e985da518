"""``numpy-gradcam check FILE.py``: check a student's exercise solutions against the reference.

Each exercise function present in ``FILE.py`` (``gap_weights``, ``combine``, ``normalize``,
``upsample_bilinear``, ``blend``, ``relu_backward``, ``conv_backward``, ``gradcam``; the stubs
are in ``lessons/exercises/``) is tested by Hypothesis against the package's reference, in a
separate process with a time limit. A failure shows the minimal (shrunk) counterexample, the
expected and actual arrays, and the known mistake it matches.

Exit code: 0 when every checked function passes; 1 when any fails, times out, is not
implemented (absent or raising NotImplementedError) or the module cannot be imported;
2 for a usage error (no such file, an unknown --only name).

The checker needs Hypothesis, which the rest of numpy-gradcam does not: install it with
``pip install 'numpy-gradcam[check]'``. It is imported only when the command runs, so every
other command works without it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .json_report import dumps


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
    parser.add_argument("--json", action="store_true",
                        help="print the report as JSON (for autograders)")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    try:
        from ..verification.checker import check_file
    except ModuleNotFoundError as error:
        if error.name != "hypothesis":
            raise
        print("numpy-gradcam check: error: the checker needs Hypothesis: "
              "pip install 'numpy-gradcam[check]'", file=sys.stderr)
        return 2
    report = check_file(args.file, only=args.only, timeout=args.timeout,
                        max_examples=args.max_examples)
    print(dumps(report.as_dict()) if args.json else report.text())
    return report.exit_code
