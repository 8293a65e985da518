r"""Pillow's ``Image.resize`` and ``Image.blend``, reimplemented in NumPy.

torch-cam resizes its mask with Pillow (a float32 image, mode ``"F"``) and blends with
``Image.blend``; the Keras example resizes a coloured uint8 image (mode ``"RGB"``). Pillow's
resampling is not the interpolation of :mod:`~numpy_gradcam.cam.upsampling` (PyTorch's and
OpenCV's): it is a *filter* whose window widens when the image shrinks, and its bicubic kernel
has another parameter. These functions follow ``src/libImaging/Resample.c`` and ``Blend.c``
step by step; the tests compare them with the installed Pillow.

**Sizes.** Pillow's ``Image.resize(size)`` takes ``size = (width, height)``; every function here
takes ``(H, W)`` like the rest of the package: ``resize_float(maps, (H, W))`` is
``Image.fromarray(map, mode="F").resize((W, H), resample)``.

**The filter weights** (``precompute_coeffs``). With ``scale = n_in / n_out`` and
``s = max(scale, 1)`` (a wider filter when shrinking: antialiasing), output pixel ``o`` is centred
at ``center = (o + 0.5)·scale`` in input coordinates and reads the input pixels
``i = xmin .. xmax − 1``,

.. math::

    x_{\min} = \max(\lfloor c - r + 0.5 \rfloor, 0), \quad
    x_{\max} = \min(\lfloor c + r + 0.5 \rfloor, n_{in}), \quad r = \text{support}\cdot s,

    k_o[i] = \frac{f\big((i - c + 0.5)/s\big)}{\sum_j f\big((j - c + 0.5)/s\big)},

(support 2 for bicubic, 1 for bilinear). At the edges the window is *truncated* and the weights
renormalised to sum to 1 — not clamped to the edge pixel as PyTorch and OpenCV do. The bicubic
kernel is Keys' cubic convolution with ``a = −0.5`` (PyTorch and OpenCV use ``−0.75``):

.. math::

    f(x) = \begin{cases} (a + 2)|x|^3 - (a + 3)|x|^2 + 1 & |x| < 1 \\
                         a|x|^3 - 5a|x|^2 + 8a|x| - 4a & 1 \le |x| < 2 \\
                         0 & \text{otherwise} \end{cases}

**Two passes**, one per axis; an axis whose size does not change is not resampled (Pillow
skips the pass). The horizontal pass runs first unless the height shrinks by more than twice as
many pixels as the width, ``h − H > max(0, 2(w − W))`` (Pillow 13's ``ImagingResampleInner``; older
releases always ran the horizontal pass first — the order changes only the uint8 path's
rounding of the intermediate image). Mode ``"F"`` accumulates each output in double precision and
stores it as float32, after each pass. Mode ``"L"``/``"RGB"`` (uint8) uses fixed point with
``PRECISION_BITS = 32 − 8 − 2 = 22`` fractional bits: each weight becomes
``trunc(k·2^22 ± 0.5)`` (rounded half away from zero), a pixel is
``clip((2^21 + Σ_i k_int[i]·p[i]) >> 22, 0, 255)`` — ``2^21`` rounds to nearest, ``>>`` floors —
and the intermediate image between the passes is uint8 (clipped and rounded too).

**``Image.blend(im1, im2, alpha)``** (uint8, ``0 ≤ alpha ≤ 1``): ``out = (UINT8)(in1 + alpha·(in2
− in1))`` in float32 arithmetic, truncated toward zero. ``alpha`` is the weight of the *second*
image.
"""

from __future__ import annotations

import numpy as np

from ..._validate import choice, describe, float_array, fraction
from ..upsampling import _check_size

#: Pillow's resampling filters reproduced here, by ``Image.Resampling`` name in lower case.
FILTERS = ("bicubic", "bilinear")
#: Keys' cubic-convolution parameter in Pillow's ``bicubic_filter`` (PyTorch and OpenCV: −0.75).
BICUBIC_A = -0.5
#: ``filterp->support``: the kernel's half-width at scale 1.
SUPPORT = {"bicubic": 2.0, "bilinear": 1.0}
#: Fractional bits of the uint8 path's fixed-point weights: ``32 − 8 − 2``.
PRECISION_BITS = 32 - 8 - 2


def bicubic_kernel(x: float) -> float:
    """Pillow's ``bicubic_filter``: Keys' kernel with ``a = −0.5``, support 2."""
    a = BICUBIC_A
    x = abs(x)
    if x < 1.0:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    if x < 2.0:
        return (((x - 5) * x + 8) * x - 4) * a
    return 0.0


def bilinear_kernel(x: float) -> float:
    """Pillow's ``bilinear_filter``: the triangle ``max(1 − |x|, 0)``, support 1."""
    x = abs(x)
    return 1.0 - x if x < 1.0 else 0.0


KERNELS = {"bicubic": bicubic_kernel, "bilinear": bilinear_kernel}


def filter_weights(n_in: int, n_out: int, resample: str = "bicubic") -> np.ndarray:
    """Pillow's ``precompute_coeffs`` as a matrix ``(n_out, n_in)`` float64 (zeros outside each
    output's window); row ``o`` holds output pixel ``o``'s weights and sums to 1."""
    kernel = KERNELS[choice(resample, "resample", FILTERS)]
    scale = n_in / n_out
    filterscale = max(scale, 1.0)
    support = SUPPORT[resample] * filterscale
    inv_filterscale = 1.0 / filterscale          # Pillow multiplies by it (not divides by s)
    M = np.zeros((n_out, n_in))
    for o in range(n_out):
        center = (o + 0.5) * scale
        xmin = max(int(center - support + 0.5), 0)          # C's (int): toward zero
        xmax = min(int(center + support + 0.5), n_in)
        k = [kernel((i - center + 0.5) * inv_filterscale) for i in range(xmin, xmax)]
        total = 0.0
        for w in k:                                          # Pillow's order of summation
            total += w
        M[o, xmin:xmax] = [w / total for w in k] if total != 0.0 else k
    return M


def fixed_point(weights: np.ndarray) -> np.ndarray:
    """``normalize_coeffs_8bpc``: ``trunc(k·2^22 ± 0.5)``, half away from zero, as int64."""
    scaled = weights * (1 << PRECISION_BITS)
    return np.trunc(scaled + np.where(weights < 0, -0.5, 0.5)).astype(np.int64)


def vertical_first(h: int, w: int, H: int, W: int) -> bool:
    """Pillow 13's pass order: vertical first iff the height shrinks by more than twice as many
    pixels as the width (``h − H > 0`` and ``h − H > 2(w − W)``; Pillow pull request #9549,
    2026). Earlier Pillows always resize horizontally first, which can change a uint8 result by
    one level in those (downscaling) sizes; the presets only enlarge, where both orders agree."""
    return h - H > 0 and h - H > 2 * (w - W)


def _two_passes(values: np.ndarray, size, resample: str, horizontal, vertical) -> np.ndarray:
    """Resample the last two axes of ``values`` to ``size = (H, W)`` in Pillow's order, with
    ``horizontal(values, M_x)`` and ``vertical(values, M_y)`` given the filter matrices."""
    H, W = _check_size(size)
    choice(resample, "resample", FILTERS)
    if values.ndim < 2 or 0 in values.shape[-2:]:
        raise ValueError(f"the array must have a non-empty height and width (last two axes), "
                         f"got shape {values.shape}")
    h, w = values.shape[-2:]

    def x_pass(v):                                   # M_x (W, w); skipped when W == w
        return horizontal(v, filter_weights(w, W, resample)) if W != w else v

    def y_pass(v):                                   # M_y (H, h); skipped when H == h
        return vertical(v, filter_weights(h, H, resample)) if H != h else v

    first, second = (y_pass, x_pass) if vertical_first(h, w, H, W) else (x_pass, y_pass)
    return second(first(values))


def resize_float(maps, size, resample: str = "bicubic") -> np.ndarray:
    """``Image.fromarray(map, mode="F").resize((W, H), resample)`` of each map.

    Parameters
    ----------
    maps : ``(..., h, w)`` float, cast to float32 (mode ``"F"``) first
    size : ``(H, W)`` — not Pillow's ``(width, height)``
    resample : ``"bicubic"`` (Pillow's default) or ``"bilinear"``

    Returns
    -------
    ``(..., H, W)`` float32. Bicubic can overshoot the input's range.
    """
    maps = float_array(maps, "maps", ndim=(2, 3, 4)).astype(np.float32)

    def horizontal(m, M_x):                          # each row: a sum in double, stored float32
        return (m.astype(np.float64) @ M_x.T).astype(np.float32)

    def vertical(m, M_y):
        return (M_y @ m.astype(np.float64)).astype(np.float32)

    return _two_passes(maps, size, resample, horizontal, vertical)


def _clip8(accumulated: np.ndarray) -> np.ndarray:
    """``clip8``: ``(2^21 + Σ k_int·p) >> 22`` (a floor), clipped to 0..255, as uint8."""
    shifted = (accumulated + (1 << (PRECISION_BITS - 1))) >> PRECISION_BITS
    return np.clip(shifted, 0, 255).astype(np.uint8)


def resize_uint8(images, size, resample: str = "bicubic") -> np.ndarray:
    """``Image.fromarray(img).resize((W, H), resample)`` of uint8 images (mode ``"L"``, or each
    band of ``"RGB"``: Pillow resamples every band alike).

    Parameters
    ----------
    images : ``(..., h, w)`` uint8, e.g. ``(N, 3, h, w)`` (NCHW; move a PIL array's channel axis
        first with ``np.moveaxis(a, -1, -3)``)
    size : ``(H, W)`` — not Pillow's ``(width, height)``
    resample : ``"bicubic"`` (Pillow's default) or ``"bilinear"``

    Returns
    -------
    ``(..., H, W)`` uint8
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"images must be a uint8 array, got {describe(images)}")

    def horizontal(u8, M_x):                         # exact integer sums, then clip8
        return _clip8(u8.astype(np.int64) @ fixed_point(M_x).T)

    def vertical(u8, M_y):
        return _clip8(fixed_point(M_y) @ u8.astype(np.int64))

    return _two_passes(images, size, resample, horizontal, vertical)


def blend(im1, im2, alpha: float) -> np.ndarray:
    """``Image.blend(im1, im2, alpha)`` of uint8 arrays of one shape: ``(UINT8)(in1 + alpha·(in2 −
    in1))`` in float32, truncated; ``alpha`` in [0, 1] is ``im2``'s weight."""
    im1, im2 = np.asarray(im1), np.asarray(im2)
    if im1.dtype != np.uint8 or im2.dtype != np.uint8 or im1.shape != im2.shape:
        raise TypeError(f"im1 and im2 must be uint8 arrays of one shape, got {describe(im1)} "
                        f"and {describe(im2)}")
    a = np.float32(fraction(alpha, "alpha"))   # Image.blend extrapolates outside [0, 1]: not here
    in1 = im1.astype(np.float32)
    mixed = in1 + a * (im2.astype(np.float32) - in1)                    # float32 throughout
    return mixed.astype(np.uint8)                                       # truncation toward zero
