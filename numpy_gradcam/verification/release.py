"""A student release of the exercises: the stubs and the checker's instructions, no solutions.

``numpy-gradcam release FOLDER`` writes, for each sheet, ``<sheet>_exercises.py`` — every
exercise's ``def`` line, its docstring (the task: equation, shapes, conventions) and ``raise
NotImplementedError`` — and ``README.md``: how to install and run the checker, what it
compares, what it refuses, and the points of each exercise. The stubs are generated from the
exercises' data (:class:`~numpy_gradcam.verification.exercise.Exercise`), so a course's own
exercises (``--exercises COURSE.py``) get stubs too; ``lessons/exercises/`` holds the built-in
sheets as this module writes them (a test keeps the two equal). Nothing of a reference or a
known mistake is written.

The files appear together or not at all, and a file that exists is replaced only with
``force`` (:func:`numpy_gradcam.io.write_together`).
"""

from __future__ import annotations

import inspect
import textwrap
from pathlib import Path

from ..io import write_together
from .exercises import ATOL, RTOL, load_course, sheet_file

TITLES = {"gradcam": "Grad-CAM exercises", "backprop": "Backpropagation exercises"}

HEADER = '''"""{title}: fill in each function, then check your work with

    numpy-gradcam check {file}
    numpy-gradcam check {file} --only {first}

Use NumPy only (not numpy_gradcam: that is the reference you are checked against, and a file
that imports or calls it is refused with a score of 0). Every array is float64; a shape
``(N, K, h, w)`` means N images, K feature maps of h x w. The checker draws shapes and values with
Hypothesis and compares with np.allclose(rtol={rtol}, atol={atol}); when something is wrong it
shows the smallest input it could find that still fails.
"""

import numpy as np  # noqa: F401  (you will need it)
'''

STUB = '''

def {name}({parameters}):
    r"""{doc}
    """
    raise NotImplementedError
'''

README = """# {title}

Fill in the functions of {files}, then check them with numpy-gradcam's
checker (it needs the `check` extra, which brings Hypothesis):

    pip install 'numpy-gradcam[check]'
    numpy-gradcam check {first_file}
    numpy-gradcam check {first_file} --only {first} --max-examples 200

Each function runs in a separate process and is compared with the reference implementation on
inputs that Hypothesis draws (shapes and values), with `np.allclose(rtol={rtol}, atol={atol})`.
A failure shows the smallest input it could find that still fails, the expected and your
arrays, and the known mistake it matches, when one explains every example tried. Exit code 0:
everything checked passes; 1: something does not.

Rules: use NumPy only. A file that imports numpy_gradcam, calls it, or changes NumPy's functions
is refused: every function scores 0.

| exercise | file | points |
|---|---|---|
{rows}
"""


def short(x: float) -> str:
    """``1e-06`` as ``1e-6``."""
    return f"{x:g}".replace("e-0", "e-")


def stub_module(sheet: str, exercises: dict) -> str:
    """The text of ``<sheet>_exercises.py``: the header, then one stub per exercise."""
    members = [e for e in exercises.values() if e.sheet == sheet]
    text = HEADER.format(title=TITLES.get(sheet, f"{sheet} exercises"), file=sheet_file(sheet),
                         first=members[0].name, rtol=short(RTOL), atol=short(ATOL))
    for e in members:
        doc = textwrap.indent(inspect.cleandoc(e.doc), "    ").strip()
        text += STUB.format(name=e.name, parameters=e.parameters, doc=doc)
    return text


def release_files(exercises: dict) -> dict[str, str]:
    """``{file name: text}`` of the release: every sheet's stubs and ``README.md``."""
    sheets = list(dict.fromkeys(e.sheet for e in exercises.values()))
    files = {sheet_file(s): stub_module(s, exercises) for s in sheets}
    rows = "\n".join(f"| `{e.name}` | {sheet_file(e.sheet)} | {e.points:g} |"
                     for e in exercises.values())
    first = next(iter(exercises.values()))
    files["README.md"] = README.format(
        title="Exercises", files=", ".join(f"`{f}`" for f in files), first=first.name,
        first_file=sheet_file(first.sheet), rtol=short(RTOL), atol=short(ATOL), rows=rows)
    return files


def write_release(folder, exercises=None, force: bool = False) -> list[Path]:
    """Write the release into ``folder`` (created if missing); the paths written.

    ``exercises``: a course's exercise file (:func:`~numpy_gradcam.verification.exercises.
    load_course`), whose sheets are released besides the built-in ones. Raises
    ``FileExistsError`` for a file that exists without ``force`` (before anything is written).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"FOLDER {folder} exists and is not a folder")
    files = release_files(load_course(exercises))
    folder.mkdir(parents=True, exist_ok=True)
    with write_together(folder, files, force=force) as staging:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
    return [folder / name for name in files]
