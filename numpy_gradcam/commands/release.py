"""``numpy-gradcam release FOLDER``: write a student release of the exercises into FOLDER.

For each sheet, ``<sheet>_exercises.py`` (``gradcam_exercises.py``, ``backprop_exercises.py``,
and those of a course's ``--exercises COURSE.py``): every exercise as a stub (its task,
equation and shapes in the docstring, ``raise NotImplementedError``), and ``README.md``: how to
install and run ``numpy-gradcam check``, what it compares and refuses, the points of each
exercise. No solution and no reference is written. FOLDER is created if missing; files that
exist are replaced only with --force, and the files appear together or not at all.

The exercises are declared with Hypothesis strategies: like ``check``, this needs
``pip install 'numpy-gradcam[check]'``.

Exit code: 0 on success; 2 for a usage error (a file that exists without --force, a FOLDER that
is a file).
"""

from __future__ import annotations

from pathlib import Path

from .check import hypothesis_missing


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "release", help="write the exercises' stubs and the checker's instructions (no "
                        "solutions) into a folder, for students",
        description=__doc__,
    )
    parser.add_argument("folder", type=Path, metavar="FOLDER", help="where to write")
    parser.add_argument("--exercises", type=Path, metavar="COURSE.py",
                        help="a course's own exercises (a file defining EXERCISES), released "
                             "besides the built-in ones")
    parser.add_argument("--force", action="store_true", help="replace files that exist")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    try:
        from ..verification.release import write_release
    except ModuleNotFoundError as error:
        return hypothesis_missing(error, "release")

    written = write_release(args.folder, exercises=args.exercises, force=args.force)
    print(f"wrote {', '.join(p.name for p in written)} into {args.folder}")
    return 0
