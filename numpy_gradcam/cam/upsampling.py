r"""Upsampling the coarse map ``L`` (feature-map size ``h x w``) to the input size ``H x W``.

The paper upsamples ``L^c`` to the input image resolution by bilinear interpolation
(Selvaraju et al., *Grad-CAM*, ICCV 2017; IJCV 2019). Every interpolation used here is
*separable*: it resizes the rows and the columns independently, so it is two matrix products,

.. math::

    \mathrm{heatmap} = W_y \, L \, W_x^\top,
    \qquad W_y \in \mathbb{R}^{H \times h}, \quad W_x \in \mathbb{R}^{W \times w},

where row ``o`` of an interpolation matrix holds the weights that output pixel ``o`` gives to
the input pixels. :func:`interpolation_matrix` builds one; print it to see the method.

Where an output pixel samples the input (``scale = n_in / n_out``)
-----------------------------------------------------------------
* ``align_corners=False`` (default; PyTorch's and OpenCV's convention, "half-pixel
  centres"): pixels are unit squares and their centres line up,
  ``src = scale * (o + 0.5) - 0.5``.
* ``align_corners=True`` (``scipy.ndimage.zoom(order=1, grid_mode=False)``'s): the first and
  last pixel centres line up, ``src = o * (n_in - 1) / (n_out - 1)``, and ``src = 0`` when
  ``n_out == 1`` (as PyTorch).

Modes, each equal to ``torch.nn.functional.interpolate`` with the same ``mode`` and
``align_corners`` (checked in the tests):

* ``"bilinear"`` (default): linear between the two neighbours ``floor(src)`` and
  ``floor(src) + 1``; with ``align_corners=False`` a negative ``src`` is clamped to 0 and the
  last index is repeated at the right edge.
* ``"nearest"``: PyTorch's legacy ``mode="nearest"`` (OpenCV's ``INTER_NEAREST``), source
  index ``min(floor(o * scale), n_in - 1)``. It is not centred (``"nearest-exact"`` would be)
  and has no ``align_corners`` option. The product is computed in float32, as PyTorch's
  ``nearest_idx`` does: where ``o * n_in / n_out`` is an exact integer, float32 rounding can
  land just below it and pick the previous pixel (e.g. ``n_in=2, n_out=82, o=41`` gives 0,
  not 1). This equals PyTorch's float32 kernel (checked for all sizes up to 259) and its
  float64 kernel while both output sides are at most 128; for larger float64 outputs
  torch 2.13 computes some indices in double precision, so a few rows or columns can then
  differ from it by one pixel.
* ``"bicubic"``: Keys' cubic convolution with ``a = -0.75`` (PyTorch's value; OpenCV's too),
  over the four neighbours ``floor(src) - 1 .. floor(src) + 2``, indices clamped to the
  edge. ``src`` is not clamped. It can overshoot the input's range.

Shapes: ``L`` is ``(N, h, w)`` (or ``(h, w)``, or ``(N, C, h, w)``); the output has the same
leading axes and ``(H, W)`` last. The output has ``L``'s dtype (float64 or float32).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from numpy_gradcam._validate import choice, describe, flag, float_array

MODES = ("bilinear", "nearest", "bicubic")

#: Keys' cubic-convolution parameter used by PyTorch (and OpenCV) for bicubic interpolation.
CUBIC_A = -0.75


def _check_size(size) -> tuple[int, int]:
    """``size`` as a pair ``(H, W)`` of positive ints."""
    message = f"size must be a pair (H, W) of positive integers, got {describe(size)}"
    if not isinstance(size, (tuple, list)):
        raise TypeError(message)
    if len(size) != 2:
        raise ValueError(message)
    for n in size:
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
            raise TypeError(message)
        if n < 1:
            raise ValueError(message)
    return int(size[0]), int(size[1])


def _check_length(n, name: str) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{name} must be a positive integer, got {describe(n)}")
    if n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n}")
    return int(n)


def _source_index(o: int, n_in: int, n_out: int, align_corners: bool, cubic: bool) -> float:
    """Where output pixel ``o`` samples the input, in input pixel units (PyTorch's rule)."""
    if align_corners:
        scale = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        return scale * o
    scale = n_in / n_out
    src = scale * (o + 0.5) - 0.5
    # Linear interpolation clamps at the left edge; cubic does not (its indices are clamped).
    if not cubic and src < 0:
        src = 0.0
    return src


def _cubic_weights(t: float) -> tuple[float, float, float, float]:
    """Keys' cubic kernel at distances ``1 + t, t, 1 - t, 2 - t`` (neighbours -1, 0, 1, 2)."""
    a = CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return far(1 + t), near(t), near(1 - t), far(2 - t)


def interpolation_matrix(n_in: int, n_out: int, mode: str = "bilinear",
                         align_corners: bool = False) -> np.ndarray:
    """The ``(n_out, n_in)`` matrix that resizes a length-``n_in`` signal to ``n_out``.

    ``interpolation_matrix(h, H) @ column`` resizes one column of a map; each row sums to 1.

    Parameters
    ----------
    n_in, n_out : int >= 1
        Input and output lengths.
    mode : {"bilinear", "nearest", "bicubic"}
        ``"bilinear"`` builds the 1-D *linear* matrix; applied along both axes it is bilinear.
        Likewise ``"bicubic"`` builds the 1-D cubic matrix.
    align_corners : bool
        See the module docstring. Must be False for ``"nearest"``.

    Returns
    -------
    M : ndarray, shape ``(n_out, n_in)``, float64
    """
    n_in = _check_length(n_in, "n_in")
    n_out = _check_length(n_out, "n_out")
    choice(mode, "mode", MODES)
    align_corners = flag(align_corners, "align_corners")
    if mode == "nearest" and align_corners:
        raise ValueError(
            "align_corners=True is not defined for mode='nearest' (as in PyTorch); "
            "use align_corners=False with 'nearest', or mode='bilinear' or 'bicubic'"
        )
    return _matrix(n_in, n_out, mode, align_corners).copy()


@functools.lru_cache(maxsize=64)
def _matrix(n_in: int, n_out: int, mode: str, align_corners: bool) -> np.ndarray:
    """:func:`interpolation_matrix` of checked arguments, built once per size (its loop over
    the output pixels in Python costs more than a batch's resize)."""
    M = np.zeros((n_out, n_in))
    if mode == "nearest":
        # float32 on purpose: PyTorch's nearest_idx computes the scale and the product in
        # float32, and float32 rounding decides the index where o * n_in / n_out is an integer.
        scale = np.float32(n_in) / np.float32(n_out)
        for o in range(n_out):
            i = min(math.floor(np.float32(o) * scale), n_in - 1)
            M[o, i] = 1.0
    elif mode == "bilinear":
        for o in range(n_out):
            src = _source_index(o, n_in, n_out, align_corners, cubic=False)
            i0 = min(math.floor(src), n_in - 1)
            i1 = i0 + 1 if i0 < n_in - 1 else i0  # the last pixel is its own right neighbour
            t = min(max(src - i0, 0.0), 1.0)  # distance from i0, in [0, 1]
            M[o, i0] += 1.0 - t
            M[o, i1] += t
    else:  # bicubic
        for o in range(n_out):
            src = _source_index(o, n_in, n_out, align_corners, cubic=True)
            i = math.floor(src)
            t = src - i
            for offset, weight in zip((-1, 0, 1, 2), _cubic_weights(t), strict=True):
                M[o, min(max(i + offset, 0), n_in - 1)] += weight  # clamp to the edge
    M.flags.writeable = False                                   # shared by every later call
    return M


def upsample(L, size, mode: str = "bilinear", align_corners: bool = False) -> np.ndarray:
    """Resize the maps ``L`` to ``size = (H, W)``: ``W_y @ L @ W_x.T``.

    Parameters
    ----------
    L : ndarray, shape ``(N, h, w)`` (also ``(h, w)`` or ``(N, C, h, w)``), float32 or float64
    size : pair of ints ``(H, W)``
        Output height and width (never OpenCV's ``(width, height)``).
    mode : {"bilinear", "nearest", "bicubic"}, default "bilinear"
    align_corners : bool, default False
        False: half-pixel centres (PyTorch's default, OpenCV's). True: corner-aligned.

    Returns
    -------
    heatmap : ndarray, shape ``(N, H, W)`` (same leading axes as ``L``), ``L``'s dtype
    """
    L = float_array(L, "L", ndim=(2, 3, 4))
    H, W = _check_size(size)
    choice(mode, "mode", MODES)
    h, w = L.shape[-2:]
    if h == 0 or w == 0:
        raise ValueError(
            f"L must have a non-empty height and width (last two axes), got shape {L.shape}"
        )

    W_y = interpolation_matrix(h, H, mode, align_corners).astype(L.dtype)  # (H, h)
    W_x = interpolation_matrix(w, W, mode, align_corners).astype(L.dtype)  # (W, w)
    heatmap = W_y @ L @ W_x.T  # (..., H, h) @ (..., h, w) @ (w, W) -> (..., H, W)
    return heatmap
