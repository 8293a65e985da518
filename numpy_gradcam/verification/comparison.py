"""How the checker compares an answer with the reference, and shows arrays in a report."""

from __future__ import annotations

import numpy as np

from .exercises import ATOL, RTOL

SHOWN = 300        # characters of an array shown in a report


def show(value) -> str:
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=6, threshold=120, separator=", ")
        return f"array(shape={value.shape}, {' '.join(text.split())})"[:SHOWN]
    if isinstance(value, (tuple, list)) and any(isinstance(v, np.ndarray) for v in value):
        return "(" + ", ".join(show(v) for v in value) + ")"
    if isinstance(value, np.generic):                     # np.float64(0.5) reads as 0.5
        value = value.item()
    return repr(value)[:SHOWN]


def compare(actual, expected, label: str = "the result", names=(),
            equal_nan: bool = False) -> str | None:
    """None when ``actual`` matches ``expected`` (shape, then ``np.allclose(rtol=RTOL,
    atol=ATOL)``); else why not, in words. A tuple ``expected`` (``(dx, dw, db)``) is compared
    item by item, each called by its name in ``names``. ``equal_nan``: NaN equals NaN (used to
    match a student's answer with a known mistake's, never with the reference's)."""
    if isinstance(expected, tuple):
        names = names if len(names) == len(expected) else \
            [f"item {i}" for i in range(len(expected))]
        if not isinstance(actual, (tuple, list)) or len(actual) != len(expected):
            return f"{label} must be a tuple of {len(expected)} ({', '.join(names)}), got " \
                   f"{show(actual)}"
        for name, a, e in zip(names, actual, expected, strict=True):
            problem = compare(a, e, name, equal_nan=equal_nan)
            if problem:
                return problem
        return None
    expected = np.asarray(expected, dtype=np.float64)
    try:
        actual = np.asarray(actual, dtype=np.float64)
    except (TypeError, ValueError):
        return f"{label} must be a float array, got {show(actual)}"
    if actual.shape != expected.shape:
        return f"{label} has shape {actual.shape}, expected {expected.shape}"
    close = np.isclose(actual, expected, rtol=RTOL, atol=ATOL, equal_nan=equal_nan)
    if not close.all():                                  # np.allclose, and where it fails
        with np.errstate(invalid="ignore"):
            diff = np.where(close, 0.0, np.abs(actual - expected))
        where = np.unravel_index(np.argmax(np.where(np.isnan(diff), np.inf, diff)), diff.shape)
        return (f"{label} differs from the reference: at index {tuple(int(i) for i in where)} "
                f"got {float(actual[where])!r}, expected {float(expected[where])!r} "
                f"(np.allclose with rtol={RTOL}, atol={ATOL})")
    return None
