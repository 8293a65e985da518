"""The exercises the checker knows, the tolerance it holds them to, and a course's own.

Built in (each an :class:`~numpy_gradcam.verification.exercise.Exercise`, declared as data):

- the sheet ``gradcam`` (:mod:`.exercises_gradcam`, ``gradcam_exercises.py``): ``gap_weights``,
  ``combine``, ``normalize``, ``upsample_bilinear``, ``blend``, ``relu_backward``,
  ``conv_backward``, ``gradcam``, ``gradcampp_weights``, ``scorecam_weights``;
- the sheet ``backprop`` (:mod:`.exercises_backprop`, ``backprop_exercises.py``):
  ``maxpool_backward``, ``linear_backward``, ``softmax_cross_entropy``, ``guided_relu_backward``.

A course adds its own with a Python file that defines ``EXERCISES``, a sequence of
``Exercise`` (their ``sheet`` names the course's student file), and passes it to
``numpy-gradcam check --exercises COURSE.py`` (and ``release --exercises COURSE.py``):
:func:`load_course`. For example::

    from numpy_gradcam.verification.exercise import Exercise, grid_arrays
    from hypothesis import strategies as st

    def double(x):
        return 2 * x

    EXERCISES = [Exercise("double", "double(x) -> y", "y = 2 x.  x : (n,). Returns (n,).",
                          ("x",), double, lambda: st.tuples(grid_arrays((3,))),
                          sheet="week1", points=1)]

Every answer is compared with ``np.allclose(actual, expected, rtol=RTOL, atol=ATOL)`` after
checking its shape. ``RTOL = 1e-6`` is tight on purpose: a function that is right up to a
relative error of 1e-4 (a stray ``+ 1e-4`` in a denominator, float32 arithmetic) fails.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from . import exercises_backprop, exercises_gradcam
from .exercise import Exercise

#: The comparison every exercise uses: ``np.allclose(actual, expected, rtol=RTOL, atol=ATOL)``.
RTOL = 1e-6
ATOL = 1e-8

#: Every built-in exercise by name, in the order of the sheets.
EXERCISES: dict[str, Exercise] = {e.name: e for e in (*exercises_gradcam.EXERCISES,
                                                      *exercises_backprop.EXERCISES)}


def sheet_file(sheet: str) -> str:
    """The student file of ``sheet``: ``"gradcam"`` → ``"gradcam_exercises.py"``."""
    return f"{sheet}_exercises.py"


def load_course(path) -> dict[str, Exercise]:
    """The built-in exercises and those of the course file ``path`` (``None``: built-in only).

    ``path`` is a Python file defining ``EXERCISES``, a sequence of
    :class:`~numpy_gradcam.verification.exercise.Exercise`; a name may not repeat a built-in
    one. Raises ``FileNotFoundError``, ``ValueError`` or ``TypeError`` naming ``--exercises``.
    """
    if path is None:
        return dict(EXERCISES)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"--exercises must be a Python file that defines EXERCISES; "
                                f"{path} does not exist")
    spec = importlib.util.spec_from_file_location(f"numpy_gradcam_course_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    declared = getattr(module, "EXERCISES", None)
    if isinstance(declared, dict):
        declared = list(declared.values())
    if not isinstance(declared, (list, tuple)) or not declared or \
            not all(isinstance(e, Exercise) for e in declared):
        raise TypeError(f"--exercises {path} must define EXERCISES, a non-empty list of "
                        f"numpy_gradcam.verification.exercise.Exercise; got {declared!r:.80}")
    exercises = dict(EXERCISES)
    for exercise in declared:
        if exercise.name in exercises:
            raise ValueError(f"--exercises {path} declares {exercise.name!r}, which is already "
                             f"an exercise; choose another name")
        exercises[exercise.name] = exercise
    return exercises
