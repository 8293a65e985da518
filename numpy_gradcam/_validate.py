"""Argument checks shared by every module.

Each check raises ``TypeError`` (wrong kind of thing) or ``ValueError`` (right kind, bad value)
with a message that names the argument, what was given and what is accepted, so that a
student's mistake is answered in one line instead of a stack trace from deep inside NumPy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def describe(value) -> str:
    """A short description of ``value`` for an error message."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def float_array(x, name: str, ndim: int | Sequence[int] | None = None,
                finite: bool = True) -> np.ndarray:
    """Return ``x`` as a float32/float64 array, checked.

    float32 and float64 are kept as they are (in the other byte order, swapped to the machine's:
    the same values); a masked array is refused (its mask would be ignored); anything else that
    is not a real floating array (integers, booleans, complex, objects) is refused rather than
    silently cast, since a uint8 image in [0, 255] passed where [0, 1] floats are expected is the
    most common mistake.
    """
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"{name} is a masked array: its mask would be ignored; fill the masked "
                        f"values first, e.g. {name}.filled(0.0)")
    if not isinstance(x, np.ndarray):
        if isinstance(x, (list, tuple)):
            try:
                x = np.asarray(x)
            except ValueError:  # NumPy's "inhomogeneous shape" names neither argument nor shape
                raise ValueError(f"{name} must be a rectangular nested list of numbers (one "
                                 f"length per axis), got a ragged {type(x).__name__}") from None
            if x.dtype.kind in "iu":
                x = x.astype(np.float64)
        else:
            raise TypeError(f"{name} must be a NumPy array, got {describe(x)}")
    if x.dtype.kind == "f" and not x.dtype.isnative:
        x = x.astype(x.dtype.newbyteorder("="))          # big-endian: a byte swap, same values
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(
            f"{name} must have dtype float32 or float64, got {x.dtype}"
            + (" (convert images with x.astype(np.float64) / 255)" if x.dtype.kind in "iub" else "")
        )
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            accepted = " or ".join(str(n) for n in allowed)
            raise ValueError(f"{name} must have {accepted} dimensions, got shape {x.shape}")
    if finite and x.size and not np.isfinite(x).all():
        bad = int((~np.isfinite(x)).sum())
        raise ValueError(f"{name} must be finite, got {bad} NaN or Inf value(s) in shape {x.shape}")
    return x


def number_text(value, low: float = 0.0, high: float = 1.0) -> str:
    """``value`` with three significant digits, or as many more as it takes to stay on its side
    of ``low`` and ``high``: ``1.0000001`` prints as ``1.0000001``, not as ``1`` (an error
    "values in [0, 1]" for an image refused for leaving [0, 1] would puzzle)."""
    value = float(value)
    for digits in range(3, 18):
        text = f"{value:.{digits}g}"
        shown = float(text)
        if (shown < low) == (value < low) and (shown > high) == (value > high):
            return text
    return repr(value)


def value_range(x: np.ndarray, low: float = 0.0, high: float = 1.0) -> str:
    """``"[min, max]"`` of a non-empty array, each as :func:`number_text` (against the accepted
    range ``[low, high]``)."""
    return f"[{number_text(x.min(), low, high)}, {number_text(x.max(), low, high)}]"


def images(x, name: str = "x", channels: int | None = None) -> tuple[np.ndarray, bool]:
    """Check a batch ``(N, C, H, W)`` or a single image ``(C, H, W)``.

    Returns ``(x4, single)`` with ``x4`` of shape ``(N, C, H, W)`` and ``single`` telling
    whether a single image was given (so that results can be returned without the batch axis).
    """
    x = float_array(x, name, ndim=(3, 4))
    single = x.ndim == 3
    if single:
        x = x[None]
    if x.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one image, got shape {x.shape}")
    if min(x.shape[2:]) == 0:
        raise ValueError(f"{name} must have a non-empty height and width, got shape {x.shape}")
    if channels is not None and x.shape[1] != channels:
        raise ValueError(
            f"{name} must have {channels} channel(s) in axis 1 (NCHW), got shape {x.shape}"
        )
    return x, single


def positive_int(value, name: str, minimum: int = 1) -> int:
    """An ``int`` (not a bool) that is at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {describe(value)}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return int(value)


def pair(value, name: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints, as PyTorch's ``kernel_size``/``stride``/``padding`` accept."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (h, w), got {describe(value)}")
        return (positive_int(value[0], name, minimum), positive_int(value[1], name, minimum))
    v = positive_int(value, name, minimum)
    return (v, v)


def choice(value, name: str, accepted: Sequence[str]):
    """One of ``accepted`` (the error lists them all)."""
    if value not in accepted:
        options = ", ".join(repr(a) for a in accepted)
        raise ValueError(f"{name} must be one of {options}; got {describe(value)}")
    return value


def fraction(value, name: str) -> float:
    """A real number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number in [0, 1], got {describe(value)}")
    if not 0.0 <= float(value) <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return float(value)


def flag(value, name: str) -> bool:
    """``True`` or ``False`` (a Python or NumPy bool; not 0/1, not a string)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def nonnegative(value, name: str) -> float:
    """A finite real number >= 0 (Python or NumPy scalar, not a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number >= 0, got {describe(value)}")
    if not (value >= 0 and np.isfinite(value)):
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return float(value)


def rng(seed_or_rng, name: str = "rng") -> np.random.Generator:
    """A ``numpy.random.Generator`` from a seed or a Generator; never global state."""
    if isinstance(seed_or_rng, np.random.Generator):
        return seed_or_rng
    if isinstance(seed_or_rng, bool) or not isinstance(seed_or_rng, (int, np.integer)):
        raise TypeError(
            f"{name} must be a numpy.random.Generator or an integer seed, "
            f"got {describe(seed_or_rng)}"
        )
    return np.random.default_rng(int(seed_or_rng))
