"""The sheet ``gradcam_exercises.py``: Grad-CAM step by step, and two other methods' weights.

Each exercise's reference is the package's own step function in the exercise's signature; each
known mistake is written out as a function, so that a hint names it only when the student's
answer equals it (:mod:`numpy_gradcam.verification.hints`).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..cam.blending import blend as reference_blend
from ..cam.combination import combine as reference_combine
from ..cam.methods.gradcam_plusplus import gradcampp_alpha
from ..cam.normalization import normalize as reference_normalize
from ..cam.upsampling import upsample
from ..cam.weighting import gap_weights as reference_gap_weights
from ..nn.conv import conv2d_backward_loops, conv2d_forward_loops
from ..nn.losses import softmax
from ..nn.relu import relu_backward as engine_relu_backward
from .exercise import Exercise, grid_arrays, maps, upsampled_size

# --- strategies ----------------------------------------------------------------------------


@st.composite
def gap_args(draw):
    N, h, w = draw(maps())
    K = draw(st.integers(1, 3))
    return (draw(grid_arrays((N, K, h, w))),)


@st.composite
def combine_args(draw):
    N, h, w = draw(maps())
    K = draw(st.integers(1, 3))
    return draw(grid_arrays((N, K))), draw(grid_arrays((N, K, h, w)))


@st.composite
def normalize_args(draw):
    N, h, w = draw(maps())
    return (draw(grid_arrays((N, h, w))),)


@st.composite
def upsample_args(draw):
    N, h, w = draw(maps())
    return draw(grid_arrays((N, h, w))), draw(upsampled_size(h, w))


@st.composite
def blend_args(draw):
    N, H, W = draw(maps())
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
    N, h, w = draw(maps())
    K = draw(st.integers(1, 3))
    A, dy_dA = draw(grid_arrays((N, K, h, w))), draw(grid_arrays((N, K, h, w)))
    return A, dy_dA, draw(upsampled_size(h, w))


@st.composite
def gradcampp_args(draw):
    N, h, w = draw(maps())
    K = draw(st.integers(1, 3))
    A = draw(grid_arrays((N, K, h, w), 0, 16))        # after a ReLU: never negative
    return A, draw(grid_arrays((N, K, h, w)))


@st.composite
def scorecam_args(draw):
    N, K, C = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(2, 4))
    logits = draw(grid_arrays((N, K, C)))
    baseline = draw(grid_arrays((C,)))
    c = np.array(draw(st.lists(st.integers(0, C - 1), min_size=N, max_size=N)))
    return logits, baseline, c


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


def reference_gradcampp_weights(A, dy_dA):
    return (gradcampp_alpha(A, dy_dA) * np.maximum(dy_dA, 0)).sum(axis=(2, 3))


def target_probability(logits, c):
    """``softmax(logits)[..., c]``: ``logits`` ``(N, K, C)`` or ``(C,)``, ``c`` ``(N,)``."""
    p = softmax(logits)
    if p.ndim == 1:
        return p[c]                                         # (N,)
    return np.take_along_axis(p, c[:, None, None], axis=2)[..., 0]   # (N, K)


def reference_scorecam_weights(logits, baseline, c):
    return target_probability(logits, c) - target_probability(baseline, c)[:, None]


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


def _batch_min_max(L):
    L_min, L_max = L.min(), L.max()                         # one pair for the whole batch
    return np.zeros_like(L) if L_max - L_min <= 1e-8 else (L - L_min) / (L_max - L_min)


def _no_constant_guard(L):
    L_min = L.min(axis=(1, 2), keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (L - L_min) / (L.max(axis=(1, 2), keepdims=True) - L_min)


def _align_corners(L, size):
    return upsample(L, size, mode="bilinear", align_corners=True)


def _swapped_size(L, size):
    return upsample(L, size[::-1], mode="bilinear", align_corners=False)


def _unclamped_matrix(n_in, n_out):
    """Half-pixel centres without ``max(src, 0)``: the first outputs read index -1, which NumPy
    wraps around to the *last* input."""
    M = np.zeros((n_out, n_in))
    for o in range(n_out):
        src = (o + 0.5) * n_in / n_out - 0.5
        i0 = int(np.floor(src))
        M[o, i0] += 1 - (src - i0)
        M[o, min(i0 + 1, n_in - 1)] += src - i0
    return M


def _unclamped(L, size):
    (H, W), (h, w) = size, L.shape[1:]
    return _unclamped_matrix(h, H) @ L @ _unclamped_matrix(w, W).T


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


def _gradcampp_no_relu(A, dy_dA):
    return (gradcampp_alpha(A, dy_dA) * dy_dA).sum(axis=(2, 3))


def _gradcampp_no_map_sum(A, dy_dA):
    g2 = dy_dA ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(dy_dA != 0, g2 / (2 * g2 + A * g2 * dy_dA), 0.0)   # A_ij, not Σ_ab A_ab
    return (np.nan_to_num(alpha) * np.maximum(dy_dA, 0)).sum(axis=(2, 3))


def _gradcampp_nan_at_zero(A, dy_dA):
    g2 = dy_dA ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = g2 / (2 * g2 + A.sum(axis=(2, 3), keepdims=True) * g2 * dy_dA)
    return (alpha * np.maximum(dy_dA, 0)).sum(axis=(2, 3))


def _scorecam_no_baseline(logits, baseline, c):
    return target_probability(logits, c)


def _scorecam_logits(logits, baseline, c):
    return np.take_along_axis(logits, c[:, None, None], axis=2)[..., 0] - baseline[c][:, None]


def _scorecam_softmax_over_channels(logits, baseline, c):
    return softmax(np.take_along_axis(logits, c[:, None, None], axis=2)[..., 0])


EXERCISES = (
    Exercise(
        "gap_weights", "gap_weights(dy_dA) -> alpha",
        r"""Grad-CAM's channel weights (Selvaraju et al., Eq. 1): global average pooling.

        .. math:: \alpha^c_k = \frac{1}{Z} \sum_i \sum_j \frac{\partial y^c}{\partial A^k_{ij}},
                  \qquad Z = h \cdot w

        dy_dA : (N, K, h, w), the gradient of the class score y^c with respect to A.
        Returns alpha : (N, K).
        """,
        ("dy_dA",), reference_gap_weights, gap_args,
        (("the sum over i, j instead of the mean (forgot 1/Z)", _sum_not_mean),),
    ),
    Exercise(
        "combine", "combine(alpha, A) -> L",
        r"""The class-activation map (Eq. 2): a weighted sum of the feature maps, then a ReLU.

        .. math:: L^c = \mathrm{ReLU}\Big(\sum_k \alpha^c_k A^k\Big)

        alpha : (N, K) channel weights; A : (N, K, h, w) activations.
        Returns L : (N, h, w), never negative.
        """,
        ("alpha", "A"), reference_combine, combine_args,
        (("the ReLU applied to each alpha_k A^k before the sum over k", _relu_before_sum),
         ("no ReLU after the sum", _no_relu)),
    ),
    Exercise(
        "normalize", "normalize(L) -> L_norm",
        r"""Min-max normalisation of each map to [0, 1].

        .. math:: L_{norm} = \frac{L - \min L}{\max L - \min L}

        min and max are taken per map (over h and w). A constant map (max - min <= 1e-8) becomes
        all zeros, never NaN.
        L : (N, h, w). Returns (N, h, w) with values in [0, 1].
        """,
        ("L",), reference_normalize, normalize_args,
        (("divides by max L without subtracting min L", _max_only),
         ("one min and max for the whole batch instead of one per map (take them over h and "
          "w only: axis=(1, 2), keepdims=True)", _batch_min_max),
         ("no guard for a constant map: max L - min L = 0 gives 0/0 = NaN; return zeros where "
          "max L - min L <= 1e-8", _no_constant_guard)),
    ),
    Exercise(
        "upsample_bilinear", "upsample_bilinear(L, size) -> heatmap",
        r"""Bilinear upsampling of each map to size = (H, W) (height first, never (width, height)).

        Half-pixel centres (PyTorch's align_corners=False): output pixel o of n_out samples the
        input (length n_in) at src = (o + 0.5) * n_in / n_out - 0.5, clamped below at 0; it takes
        (1 - t) * L[i0] + t * L[i1] with i0 = floor(src), i1 = min(i0 + 1, n_in - 1),
        t = src - i0. Do this along the rows, then along the columns (the two steps are linear
        and commute).

        L : (N, h, w); size : (H, W). Returns heatmap : (N, H, W).
        """,
        ("L", "size"), reference_upsample_bilinear, upsample_args,
        (("align_corners=True (corner-aligned) instead of half-pixel centres", _align_corners),
         ("size read as OpenCV's (width, height) instead of (H, W)", _swapped_size),
         ("src not clamped at 0 at the border: the first output pixels read index -1, which "
          "NumPy wraps around to the last input pixel; use src = max(src, 0)", _unclamped)),
    ),
    Exercise(
        "blend", "blend(image, colored, alpha) -> overlay",
        r"""Superimpose the coloured heatmap on the image.

        .. math:: I_{out} = \alpha H_{colored} + (1 - \alpha) I

        image, colored : (N, 3, H, W) RGB in [0, 1] (RGB, not OpenCV's BGR); alpha : float in
        [0, 1] (the heatmap's weight: 0 gives the image back). Returns overlay : (N, 3, H, W).
        """,
        ("image", "colored", "alpha"), reference_blend, blend_args,
        (("the colours in BGR order (channels reversed, OpenCV's convention)", _bgr),
         ("alpha weights the image instead of the heatmap", _alpha_swapped)),
    ),
    Exercise(
        "relu_backward", "relu_backward(dout, x) -> dx",
        r"""The backward pass of out = max(x, 0).

        .. math:: dx = dout \cdot [x > 0]

        At exactly x == 0 the derivative is taken to be 0 (PyTorch's convention): any value in
        [0, 1] is a valid subgradient, but the checker expects 0, so use ``x > 0``, not
        ``x >= 0``.
        dout, x : the same shape (any). Returns dx : x's shape.
        """,
        ("dout", "x"), reference_relu_backward, relu_args,
        (("[x >= 0]: derivative 1 at x == 0. A valid subgradient, but the convention here "
          "(and PyTorch's) is 0 at 0: use x > 0", _relu_ge),
         ("masks by the sign of dout instead of x (the deconvnet rule)", _relu_of_dout)),
    ),
    Exercise(
        "conv_backward", "conv_backward(dout, x, w, b, stride=1, padding=0) -> (dx, dw, db)",
        r"""The backward pass of a 2-D convolution (cross-correlation, as in PyTorch).

        Forward: out[n, f, y, x] = b[f] + Σ_c Σ_i Σ_j w[f, c, i, j] · x_p[n, c, y·s + i, x·s + j]
        with x_p the input zero-padded by ``padding`` on each side and s = ``stride``.

        dout : (N, F, Ho, Wo) with Ho = (H + 2·padding - kh) // stride + 1 (Wo likewise);
        x : (N, C, H, W); w : (F, C, kh, kw); b : (F,); stride, padding : ints.
        Returns (dx, dw, db) with the shapes of x, w and b:
            dx_p[n, c, y·s + i, x·s + j] += w[f, c, i, j] · dout[n, f, y, x]   (then crop the pad)
            dw[f, c, i, j] = Σ_{n, y, x} dout[n, f, y, x] · x_p[n, c, y·s + i, x·s + j]
            db[f] = Σ_{n, y, x} dout[n, f, y, x]
        """,
        ("dout", "x", "w", "b", "stride", "padding"), reference_conv_backward, conv_args,
        (("dx uses the kernel transposed, w[f, c, j, i] instead of w[f, c, i, j]",
          _conv_transposed_kernel),
         ("dx uses the kernel flipped (a true convolution) instead of the cross-correlation's",
          _conv_flipped_kernel)),
        points=2.0,
    ),
    Exercise(
        "gradcam", "gradcam(A, dy_dA, size) -> heatmap",
        r"""Grad-CAM end to end, from the target layer's A and ∂y^c/∂A to the heatmap.

        heatmap = upsample_bilinear(normalize(combine(gap_weights(dy_dA), A)), size)

        (alpha = sum instead of mean only changes the map's scale, which the min-max
        normalisation removes: that mistake passes here; gap_weights catches it.)
        A, dy_dA : (N, K, h, w); size : (H, W). Returns heatmap : (N, H, W) in [0, 1].
        """,
        ("A", "dy_dA", "size"), reference_gradcam, gradcam_args,
        (("the ReLU applied before the sum over k", _gradcam_relu_before_sum),
         ("align_corners=True in the upsampling", _gradcam_align_corners)),
    ),
    Exercise(
        "gradcampp_weights", "gradcampp_weights(A, dy_dA) -> w",
        r"""Grad-CAM++'s channel weights (Chattopadhay et al. 2018, Eq. 7 and Eq. 19).

        .. math:: w_k = \sum_i \sum_j \alpha_{ij} \, \mathrm{relu}(g_{ij}), \qquad
                  \alpha_{ij} = \frac{g_{ij}^2}{2 g_{ij}^2 + \sum_a \sum_b A_{ab} \, g_{ij}^3}

        with g = dy_dA. The sum over a, b is over the whole map of the same channel. Where g == 0
        (or the denominator is 0) take alpha = 0, never NaN. (The paper's exp(S^c) factor is
        left out: it scales every weight alike, which the normalisation removes.)
        A : (N, K, h, w), never negative (after a ReLU); dy_dA : (N, K, h, w).
        Returns w : (N, K).
        """,
        ("A", "dy_dA"), reference_gradcampp_weights, gradcampp_args,
        (("no ReLU on the gradient: w = Σ alpha · g instead of Σ alpha · relu(g)",
          _gradcampp_no_relu),
         ("A_ij g³ in the denominator instead of (Σ_ab A_ab) g³: sum A over the whole map",
          _gradcampp_no_map_sum),
         ("alpha = 0/0 = NaN where the gradient is 0: set alpha = 0 there",
          _gradcampp_nan_at_zero)),
        points=2.0,
    ),
    Exercise(
        "scorecam_weights", "scorecam_weights(logits, baseline, c) -> alpha",
        r"""Score-CAM's channel weights (Wang et al. 2020, §3): the increase of confidence.

        .. math:: \alpha_k = \mathrm{softmax}(f(X \circ H^k))_c - \mathrm{softmax}(f(X_b))_c

        logits : (N, K, C), the logits of image n masked by its k-th upsampled, normalised map;
        baseline : (C,), the logits of the baseline (black) image X_b; c : (N,) int, the class
        explained for each image. The softmax is over the C classes.
        Returns alpha : (N, K).
        """,
        ("logits", "baseline", "c"), reference_scorecam_weights, scorecam_args,
        (("the baseline's confidence not subtracted", _scorecam_no_baseline),
         ("differences of logits instead of softmax probabilities", _scorecam_logits),
         ("a softmax over the K channels (pytorch-grad-cam's variant) instead of over the "
          "classes", _scorecam_softmax_over_channels)),
    ),
)
