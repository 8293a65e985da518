"""The ``numpy-gradcam`` command (also ``python -m numpy_gradcam``).

Each subcommand lives in ``numpy_gradcam/commands/<name>.py`` with two functions:
``add_parser(subparsers)`` (its arguments and ``--help``) and ``run(args)`` (returns an exit code).

A user error — a bad argument, a file that cannot be read, an output that exists — prints one line
in the command's words (numpy_gradcam.commands._errors: ``--force``, not ``force=True``; no
``[Errno N]``) and exits with code 2; ``--debug`` shows the Python traceback instead.
``--version`` prints the installed package's version.

What a command prints is text about files it has written, so printing never fails the work:

- a file name that the terminal's encoding cannot show (a Linux name that is not UTF-8 arrives as
  ``'caf\\udce9.png'``) is printed with ``errors="backslashreplace"``, as ``caf\\udce9.png``:
  standard output is reconfigured so, here, for every command (standard error already is);
- a reader that leaves early (``numpy-gradcam explain … | head -1``) closes the pipe; the
  command has written its files before printing, so the exit code stays the command's, and
  standard output is pointed at ``os.devnull`` so that Python's exit does not fail on it again
  (the recipe of the ``signal`` module's documentation, "Note on SIGPIPE").
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from importlib.metadata import PackageNotFoundError, version

from .commands._errors import user_message

COMMANDS = ("check", "demo", "evaluate", "explain", "figure", "release", "train", "vectors",
            "verify")


class Parser(argparse.ArgumentParser):
    """argparse's parser, but a usage error is one line (the usage is one ``--help`` away).

    Subcommand parsers are made with the class of their parent, so they answer the same way.
    """

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def package_version() -> str:
    """The version of the installed distribution (its metadata, so never out of step with it)."""
    try:
        return version("numpy-gradcam")
    except PackageNotFoundError:                     # run from a source tree that is not installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="numpy-gradcam",
        description="Grad-CAM and its family in pure NumPy: every step of the paper, inspectable.",
        epilog="Run 'numpy-gradcam COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an error instead of one line")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"numpy_gradcam.commands.{name}").add_parser(subparsers)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):          # not pytest's capture, for one
        sys.stdout.reconfigure(errors="backslashreplace")
    code = 0
    try:
        code = int(args.run(args) or 0)
        sys.stdout.flush()                          # a closed pipe shows here, not at exit
        return code
    except BrokenPipeError:
        _stdout_to_devnull()
        return code
    except (ValueError, TypeError, OSError) as error:
        if args.debug:
            raise
        print(f"numpy-gradcam {args.command}: error: {user_message(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"numpy-gradcam {args.command}: interrupted; no output was left half-written",
              file=sys.stderr)
        return 130


def _stdout_to_devnull() -> None:
    """Point standard output at ``os.devnull``: what is still buffered for a closed pipe goes
    nowhere instead of failing again when Python exits."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
