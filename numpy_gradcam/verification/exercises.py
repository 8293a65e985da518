r"""The exercises the checker knows: for each, the reference, the inputs to draw, and the mistakes
it recognises.

Each :class:`Exercise` names a function a student writes (``lessons/exercises/``) and holds:

- ``reference(*args)``: the answer, computed with the package's own step functions;
- ``strategy()``: a Hypothesis strategy of argument tuples (shapes and values both drawn, so that
  shrinking reduces both to the smallest case that still fails);
- ``mistakes``: known wrong versions ``(description, function)``. When a student's answer on
  the shrunk counterexample equals one of them, the report names the mistake.

Values are drawn on a grid of quarters (``k / 4``, ``|k| <= 16``) unless an exercise needs
otherwise: the arithmetic is then exact enough that a failure is a real difference, and a shrunk
counterexample reads like ``[[0.0, 1.0]]``. Convolution kernels are drawn square. Answers are
compared with
``np.allclose(actual, expected, rtol=RTOL, atol=ATOL)`` after checking shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..cam.blending import blend as reference_blend
from ..cam.combination import combine as reference_combine
from ..cam.normalization import normalize as reference_normalize
from ..cam.upsampling import upsample
from ..cam.weighting import gap_weights as reference_gap_weights
from ..nn.conv import conv2d_backward_loops, conv2d_forward_loops
from ..nn.relu import relu_backward as engine_relu_backward

#: The comparison every exercise uses: ``np.allclose(actual, expected, rtol=RTOL, atol=ATOL)``.
RTOL = 1e-6
ATOL = 1e-8


@dataclass(frozen=True)
class Exercise:
    name: str
    signature: str
    equation: str
    arg_names: tuple[str, ...]
    reference: Callable
    strategy: Callable[[], st.SearchStrategy]
    mistakes: tuple[tuple[str, Callable], ...] = field(default=())
    note: str = ""


# --- strategies ----------------------------------------------------------------------------

def grid_arrays(shape, low: int = -16, high: int = 16, scale: float = 4.0):
    """float64 arrays of ``shape`` with values ``k / scale``, ``low <= k <= high``."""
    ints = hnp.arrays(np.int64, shape, elements=st.integers(low, high))
    return ints.map(lambda a: a / scale)


@st.composite
def _maps(draw, max_side: int = 4):
    N = draw(st.integers(1, 2))
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    return N, h, w


@st.composite
def gap_args(draw):
    N, h, w = draw(_maps())
    K = draw(st.integers(1, 3))
    return (draw(grid_arrays((N, K, h, w))),)


@st.composite
def combine_args(draw):
    N, h, w = draw(_maps())
    K = draw(st.integers(1, 3))
    return draw(grid_arrays((N, K))), draw(grid_arrays((N, K, h, w)))


@st.composite
def normalize_args(draw):
    N, h, w = draw(_maps())
    return (draw(grid_arrays((N, h, w))),)


@st.composite
def upsample_args(draw):
    N, h, w = draw(_maps())
    H, W = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    return draw(grid_arrays((N, h, w))), (H, W)


@st.composite
def blend_args(draw):
    N, H, W = draw(_maps())
    image = draw(grid_arrays((N, 3, H, W), 0, 4))
    colored = draw(grid_arrays((N, 3, H, W), 0, 4))
    alpha = draw(st.sampled_from([0.4, 0.0, 1.0, 0.25, 0.5, 0.75]))
    return image, colored, alpha


@st.composite
def relu_args(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=3))
    return draw(grid_arrays(shape)), draw(grid_arrays(shape))


@st.composite
def conv_args(draw):
    N, C, F = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    # Square kernels: a kernel transposed by mistake then has the right shape and the wrong
    # values, so the counterexample shows the mistake instead of a shape error.
    kh = kw = draw(st.integers(1, 3))
    stride, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    H = draw(st.integers(max(1, kh - 2 * padding), 5))
    W = draw(st.integers(max(1, kw - 2 * padding), 5))
    Ho, Wo = (H + 2 * padding - kh) // stride + 1, (W + 2 * padding - kw) // stride + 1
    x = draw(grid_arrays((N, C, H, W)))
    w = draw(grid_arrays((F, C, kh, kw)))
    b = draw(grid_arrays((F,)))
    dout = draw(grid_arrays((N, F, Ho, Wo)))
    return dout, x, w, b, stride, padding


@st.composite
def gradcam_args(draw):
    N, h, w = draw(_maps())
    K = draw(st.integers(1, 3))
    H, W = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    return draw(grid_arrays((N, K, h, w))), draw(grid_arrays((N, K, h, w))), (H, W)


# --- references (the package's functions, in the exercises' signatures) --------------------

def reference_upsample_bilinear(L, size):
    return upsample(L, size, mode="bilinear", align_corners=False)


def reference_relu_backward(dout, x):
    return engine_relu_backward(dout, x, rule="standard")


def reference_conv_backward(dout, x, w, b, stride=1, padding=0):
    _, cache = conv2d_forward_loops(x, w, b, (stride, stride), (padding, padding))
    return conv2d_backward_loops(dout, cache)


def reference_gradcam(A, dy_dA, size):
    alpha = reference_gap_weights(dy_dA)                    # (N, K)
    L = reference_combine(alpha, A)                         # (N, h, w)
    return reference_upsample_bilinear(reference_normalize(L), size)  # (N, H, W)


# --- the catalogue of known mistakes -------------------------------------------------------

def _sum_not_mean(dy_dA):
    return dy_dA.sum(axis=(2, 3))


def _relu_before_sum(alpha, A):
    return np.maximum(alpha[:, :, None, None] * A, 0).sum(axis=1)


def _no_relu(alpha, A):
    return (alpha[:, :, None, None] * A).sum(axis=1)


def _max_only(L):
    peak = L.max(axis=(-2, -1), keepdims=True)
    return np.where(peak > 0, L / np.where(peak > 0, peak, 1), 0)


def _align_corners(L, size):
    return upsample(L, size, mode="bilinear", align_corners=True)


def _swapped_size(L, size):
    return upsample(L, size[::-1], mode="bilinear", align_corners=False)


def _bgr(image, colored, alpha=0.4):
    return alpha * colored[:, ::-1] + (1 - alpha) * image


def _alpha_swapped(image, colored, alpha=0.4):
    return alpha * image + (1 - alpha) * colored


def _relu_ge(dout, x):
    return dout * (x >= 0)


def _relu_of_dout(dout, x):
    return dout * (dout > 0)


def _conv_transposed_kernel(dout, x, w, b, stride=1, padding=0):
    dx, dw, db = reference_conv_backward(dout, x, w, b, stride, padding)
    dx, _, _ = reference_conv_backward(dout, x, w.transpose(0, 1, 3, 2), b, stride, padding)
    return dx, dw, db


def _conv_flipped_kernel(dout, x, w, b, stride=1, padding=0):
    dx, dw, db = reference_conv_backward(dout, x, w, b, stride, padding)
    dx, _, _ = reference_conv_backward(dout, x, w[:, :, ::-1, ::-1], b, stride, padding)
    return dx, dw, db


def _gradcam_align_corners(A, dy_dA, size):
    L = reference_combine(reference_gap_weights(dy_dA), A)
    return _align_corners(reference_normalize(L), size)


def _gradcam_relu_before_sum(A, dy_dA, size):
    L = _relu_before_sum(reference_gap_weights(dy_dA), A)
    return reference_upsample_bilinear(reference_normalize(L), size)


EXERCISES: dict[str, Exercise] = {e.name: e for e in (
    Exercise(
        "gap_weights", "gap_weights(dy_dA) -> alpha",
        "alpha[n, k] = (1/Z) Σ_i Σ_j dy_dA[n, k, i, j],  Z = h·w   (dy_dA (N,K,h,w) -> (N,K))",
        ("dy_dA",), reference_gap_weights, gap_args,
        (("the sum over i, j instead of the mean (forgot 1/Z)", _sum_not_mean),),
    ),
    Exercise(
        "combine", "combine(alpha, A) -> L",
        "L[n] = ReLU(Σ_k alpha[n, k] A[n, k])   (alpha (N,K), A (N,K,h,w) -> (N,h,w))",
        ("alpha", "A"), reference_combine, combine_args,
        (("the ReLU applied to each alpha_k A^k before the sum over k", _relu_before_sum),
         ("no ReLU after the sum", _no_relu)),
    ),
    Exercise(
        "normalize", "normalize(L) -> L_norm",
        "(L - min L) / (max L - min L) per map; a constant map gives zeros   ((N,h,w) -> (N,h,w))",
        ("L",), reference_normalize, normalize_args,
        (("divides by max L without subtracting min L", _max_only),),
    ),
    Exercise(
        "upsample_bilinear", "upsample_bilinear(L, size) -> heatmap",
        "bilinear, half-pixel centres (align_corners=False): src = (o + 0.5)·n_in/n_out - 0.5, "
        "clamped at 0   ((N,h,w), (H,W) -> (N,H,W))",
        ("L", "size"), reference_upsample_bilinear, upsample_args,
        (("align_corners=True (corner-aligned) instead of half-pixel centres", _align_corners),
         ("size read as OpenCV's (width, height) instead of (H, W)", _swapped_size)),
    ),
    Exercise(
        "blend", "blend(image, colored, alpha) -> overlay",
        "overlay = alpha·colored + (1 - alpha)·image, RGB   ((N,3,H,W) x 2 -> (N,3,H,W))",
        ("image", "colored", "alpha"), reference_blend, blend_args,
        (("the colours in BGR order (channels reversed, OpenCV's convention)", _bgr),
         ("alpha weights the image instead of the heatmap", _alpha_swapped)),
    ),
    Exercise(
        "relu_backward", "relu_backward(dout, x) -> dx",
        "dx = dout · [x > 0]; at x == 0 exactly the derivative is 0 (PyTorch's convention)",
        ("dout", "x"), reference_relu_backward, relu_args,
        (("[x >= 0]: derivative 1 at x == 0. A valid subgradient, but the convention here "
          "(and PyTorch's) is 0 at 0: use x > 0", _relu_ge),
         ("masks by the sign of dout instead of x (the deconvnet rule)", _relu_of_dout)),
    ),
    Exercise(
        "conv_backward", "conv_backward(dout, x, w, b, stride, padding) -> (dx, dw, db)",
        "out[n,f,y,x] = b[f] + Σ_c,i,j w[f,c,i,j] x_p[n,c,y·s+i,x·s+j]; dx, dw, db have the "
        "shapes of x, w, b",
        ("dout", "x", "w", "b", "stride", "padding"), reference_conv_backward, conv_args,
        (("dx uses the kernel transposed, w[f, c, j, i] instead of w[f, c, i, j]",
          _conv_transposed_kernel),
         ("dx uses the kernel flipped (a true convolution) instead of the cross-correlation's",
          _conv_flipped_kernel)),
    ),
    Exercise(
        "gradcam", "gradcam(A, dy_dA, size) -> heatmap",
        "heatmap = upsample(normalize(ReLU(Σ_k alpha_k A^k)), size), alpha = GAP(dy_dA)   "
        "((N,K,h,w) x 2, (H,W) -> (N,H,W))",
        ("A", "dy_dA", "size"), reference_gradcam, gradcam_args,
        (("the ReLU applied before the sum over k", _gradcam_relu_before_sum),
         ("align_corners=True in the upsampling", _gradcam_align_corners)),
        note="alpha = sum instead of mean only changes the map's scale, which the min-max "
             "normalisation removes: that mistake passes here (it is caught in gap_weights).",
    ),
)}
