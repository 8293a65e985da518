r"""An exercise of the assignment checker, declared as data.

An :class:`Exercise` names a function a student writes and holds everything the checker and the
student release need to know about it:

- ``name``, ``signature`` (``"conv_backward(dout, x, w, b, stride=1, padding=0) -> (dx, dw, db)"``:
  the part before ``->`` becomes the stub's ``def`` line) and ``doc`` (the stub's docstring: the
  equation, the shapes, the conventions the checker holds the student to);
- ``arg_names``: how the arguments are shown in a counterexample;
- ``reference(*args)``: the answer;
- ``strategy()``: a Hypothesis strategy of argument tuples (shapes and values both drawn, so that
  shrinking reduces both to the smallest case that still fails);
- ``mistakes``: known wrong versions ``(description, function)``. A mistake is named in a report
  only when the student's answer equals it on the shrunk counterexample *and* on every
  confirming example drawn after it (:mod:`numpy_gradcam.verification.hints`);
- ``sheet``: the student file it belongs to (``"gradcam"`` is ``gradcam_exercises.py``);
- ``points``: its weight in a score (``check --format gradescope``).

A course adds its own exercises without editing the package: a Python file that defines
``EXERCISES``, a sequence of :class:`Exercise`, given to ``numpy-gradcam check --exercises
FILE.py`` (see :func:`numpy_gradcam.verification.exercises.load_course`).

Values are drawn on a grid of quarters (:func:`grid_arrays`, ``k / 4``, ``|k| <= 16``) unless an
exercise needs otherwise: the arithmetic is then exact enough that a failure is a real
difference, and a shrunk counterexample reads like ``[[0.0, 1.0]]``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


@dataclass(frozen=True)
class Exercise:
    name: str
    signature: str
    doc: str
    arg_names: tuple[str, ...]
    reference: Callable
    strategy: Callable[[], st.SearchStrategy]
    mistakes: tuple[tuple[str, Callable], ...] = field(default=())
    sheet: str = "gradcam"
    points: float = 1.0

    def __post_init__(self):
        if not self.name.isidentifier():
            raise ValueError(f"Exercise name must be a Python identifier, got {self.name!r}")
        if not self.signature.startswith(f"{self.name}("):
            raise ValueError(f"Exercise signature must start with '{self.name}(', got "
                             f"{self.signature!r}")
        if not (isinstance(self.points, (int, float)) and self.points > 0):
            raise ValueError(f"Exercise points must be a positive number, got {self.points!r}")

    @property
    def parameters(self) -> str:
        """The stub's parameter list, e.g. ``"dout, x, w, b, stride=1, padding=0"``."""
        return self.signature.split(" ->")[0][len(self.name) + 1:-1]

    @property
    def result_names(self) -> tuple[str, ...]:
        """The names of a tuple result, e.g. ``("dx", "dw", "db")``; ``()`` for one array."""
        result = self.signature.partition("->")[2].strip()
        if not result.startswith("("):
            return ()
        return tuple(name.strip() for name in result.strip("()").split(","))


def grid_arrays(shape, low: int = -16, high: int = 16, scale: float = 4.0):
    """float64 arrays of ``shape`` with values ``k / scale``, ``low <= k <= high``."""
    ints = hnp.arrays(np.int64, shape, elements=st.integers(low, high))
    return ints.map(lambda a: a / scale)


@st.composite
def maps(draw, max_side: int = 4):
    """``(N, h, w)``: a batch of one or two maps of at most ``max_side`` on a side."""
    N = draw(st.integers(1, 2))
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    return N, h, w


@st.composite
def upsampled_size(draw, h: int, w: int, max_step: int = 4):
    """``(H, W)`` larger than ``(h, w)`` in both axes: shrinking keeps an upsampling an
    upsampling (a 2 → 1 *down*sample to 1 × 1 teaches nothing about upsampling)."""
    return h + draw(st.integers(1, max_step)), w + draw(st.integers(1, max_step))
