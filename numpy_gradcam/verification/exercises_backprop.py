"""The sheet ``backprop_exercises.py``: the backward passes a CNN classifier and guided
backpropagation need beyond the convolution and the ReLU.

References are the engine's own layers (:mod:`numpy_gradcam.nn`); each known mistake is written
out as a function.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ..nn.avgpool import avgpool2d_backward_input, avgpool2d_forward
from ..nn.im2col import offset_slice
from ..nn.linear import linear_backward, linear_forward
from ..nn.losses import softmax_cross_entropy as reference_softmax_cross_entropy
from ..nn.maxpool import maxpool2d_backward_input, maxpool2d_forward
from ..nn.relu import relu_backward
from .exercise import Exercise, grid_arrays

SHEET = "backprop"

# --- strategies ----------------------------------------------------------------------------


@st.composite
def maxpool_args(draw):
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel, stride = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    H, W = draw(st.integers(kernel, 5)), draw(st.integers(kernel, 5))
    Ho, Wo = (H - kernel) // stride + 1, (W - kernel) // stride + 1
    x = draw(grid_arrays((N, C, H, W), -3, 3))      # few values: ties inside a window are common
    return draw(grid_arrays((N, C, Ho, Wo))), x, kernel, stride


@st.composite
def linear_args(draw):
    N, D, M = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dout, x = draw(grid_arrays((N, M))), draw(grid_arrays((N, D)))
    return dout, x, draw(grid_arrays((M, D))), draw(grid_arrays((M,)))


@st.composite
def cross_entropy_args(draw):
    N, C = draw(st.integers(1, 3)), draw(st.integers(2, 4))
    scale = draw(st.sampled_from([1.0, 1000.0]))    # large logits overflow a naive exp
    logits = draw(grid_arrays((N, C))) * scale
    labels = np.array(draw(st.lists(st.integers(0, C - 1), min_size=N, max_size=N)))
    return logits, labels


@st.composite
def guided_args(draw):
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    H, W = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return draw(grid_arrays((N, C, H, W))), draw(grid_arrays((N, C, H, W)))


# --- references ----------------------------------------------------------------------------

def reference_maxpool_backward(dout, x, kernel, stride):
    _, cache = maxpool2d_forward(x, (kernel, kernel), (stride, stride))
    return maxpool2d_backward_input(dout, cache)


def reference_linear_backward(dout, x, w, b):
    _, cache = linear_forward(x, w, b)
    return linear_backward(dout, cache)


def reference_guided_relu_backward(dout, x):
    return relu_backward(dout, x, rule="guided")


# --- the catalogue of known mistakes -------------------------------------------------------

def _maxpool_every_tie(dout, x, kernel, stride):
    out, _ = maxpool2d_forward(x, (kernel, kernel), (stride, stride))
    Ho, Wo = out.shape[2:]
    dx = np.zeros_like(x)
    for k in range(kernel * kernel):
        window = offset_slice(k // kernel, k % kernel, (Ho, Wo), (stride, stride))
        dx[window] += dout * (x[window] == out)
    return dx


def _maxpool_average(dout, x, kernel, stride):
    _, cache = avgpool2d_forward(x, (kernel, kernel), (stride, stride))
    return avgpool2d_backward_input(dout, cache)


def _maxpool_overwrite(dout, x, kernel, stride):
    dx = np.zeros_like(x)
    for y in range(dout.shape[2]):
        for x_ in range(dout.shape[3]):
            window = x[:, :, y * stride:y * stride + kernel, x_ * stride:x_ * stride + kernel]
            flat = window.reshape(*window.shape[:2], -1).argmax(axis=2)        # (N, C)
            i, j = np.unravel_index(flat, (kernel, kernel))
            n, c = np.indices(flat.shape)
            dx[n, c, y * stride + i, x_ * stride + j] = dout[:, :, y, x_]      # = where += is due
    return dx


def _linear_dw_transposed(dout, x, w, b):
    dx, dw, db = reference_linear_backward(dout, x, w, b)
    return dx, dw.T, db


def _linear_db_mean(dout, x, w, b):
    dx, dw, db = reference_linear_backward(dout, x, w, b)
    return dx, dw, db / len(dout)


def _cross_entropy_not_over_n(logits, labels):
    loss, dlogits = reference_softmax_cross_entropy(logits, labels)
    return loss, dlogits * len(logits)


def _cross_entropy_summed(logits, labels):
    loss, dlogits = reference_softmax_cross_entropy(logits, labels)
    return loss * len(logits), dlogits * len(logits)


def _cross_entropy_unshifted(logits, labels):
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(logits)
        p = e / e.sum(axis=1, keepdims=True)
    rows = np.arange(len(logits))
    with np.errstate(divide="ignore", invalid="ignore"):
        loss = -np.log(p[rows, labels]).mean()
    dlogits = p.copy()
    dlogits[rows, labels] -= 1
    return loss, dlogits / len(logits)


def _guided_standard(dout, x):
    return dout * (x > 0)


def _guided_deconvnet(dout, x):
    return dout * (dout > 0)


def _guided_ge(dout, x):
    return dout * (x >= 0) * (dout > 0)


EXERCISES = (
    Exercise(
        "maxpool_backward", "maxpool_backward(dout, x, kernel, stride) -> dx",
        r"""The backward pass of 2-D max pooling (no padding), as PyTorch's MaxPool2d.

        Forward: out[n, c, y, x] = max_{i, j < kernel} x[n, c, y·s + i, x·s + j], s = stride.
        Each dout[n, c, y, x] goes to the input pixel that gave the window's maximum, and to that
        one only: on a tie, the first maximum in row-major order (i, then j), as PyTorch. Where
        windows overlap (stride < kernel) a pixel collects the gradient of every window it is the
        maximum of.

        dout : (N, C, Ho, Wo), Ho = (H - kernel) // stride + 1 (Wo likewise); x : (N, C, H, W);
        kernel, stride : ints. Returns dx : (N, C, H, W).
        """,
        ("dout", "x", "kernel", "stride"), reference_maxpool_backward, maxpool_args,
        (("every tied maximum of a window gets dout; PyTorch gives it to the first maximum "
          "only (row-major order)", _maxpool_every_tie),
         ("dout spread evenly over the window (average pooling's backward)", _maxpool_average),
         ("overlapping windows overwrite dx (=) instead of adding to it (+=)",
          _maxpool_overwrite)),
        sheet=SHEET, points=2.0,
    ),
    Exercise(
        "linear_backward", "linear_backward(dout, x, w, b) -> (dx, dw, db)",
        r"""The backward pass of a fully connected layer in PyTorch's layout.

        Forward: out = x @ w.T + b, i.e. out[n, m] = Σ_d x[n, d] w[m, d] + b[m].

        dout : (N, M); x : (N, D); w : (M, D) (out_features first, as PyTorch's Linear.weight);
        b : (M,). Returns (dx, dw, db) with the shapes of x, w and b.
        """,
        ("dout", "x", "w", "b"), reference_linear_backward, linear_args,
        (("dw transposed: x.T @ dout is (D, M); PyTorch's layout is (M, D), dout.T @ x",
          _linear_dw_transposed),
         ("db averaged over the batch instead of summed", _linear_db_mean)),
        sheet=SHEET,
    ),
    Exercise(
        "softmax_cross_entropy", "softmax_cross_entropy(logits, labels) -> (loss, dlogits)",
        r"""The mean cross-entropy of the softmax, and its gradient.

        .. math:: \mathrm{loss} = -\frac{1}{N} \sum_n \log \mathrm{softmax}(z_n)_{y_n}, \qquad
                  \frac{\partial\,\mathrm{loss}}{\partial z} = \frac{\mathrm{softmax}(z) -
                  \mathrm{onehot}(y)}{N}

        Subtract each row's maximum before the exponential: logits of 1000 must not overflow.
        logits : (N, C) float; labels : (N,) int in 0 .. C-1.
        Returns (loss, dlogits): a float and an (N, C) array.
        """,
        ("logits", "labels"), reference_softmax_cross_entropy, cross_entropy_args,
        (("the gradient not divided by N (the loss is the mean over the batch)",
          _cross_entropy_not_over_n),
         ("the loss summed over the batch instead of averaged (and its gradient likewise)",
          _cross_entropy_summed),
         ("the exponential of the raw logits overflows for large logits: subtract each row's "
          "maximum first (softmax is unchanged by a shift)", _cross_entropy_unshifted)),
        sheet=SHEET,
    ),
    Exercise(
        "guided_relu_backward", "guided_relu_backward(dout, x) -> dx",
        r"""Guided backpropagation's rule through a ReLU (Springenberg et al. 2015, Fig. 1).

        .. math:: dx = dout \cdot [x > 0] \cdot [dout > 0]

        Only positive gradient flows back, and only where the unit was active (x > 0; at x == 0
        nothing flows, as in the standard rule).
        dout, x : (N, C, H, W). Returns dx : (N, C, H, W).
        """,
        ("dout", "x"), reference_guided_relu_backward, guided_args,
        (("the standard ReLU derivative: negative gradients flow back too (add [dout > 0])",
          _guided_standard),
         ("the deconvnet rule: the forward mask [x > 0] is missing", _guided_deconvnet),
         ("[x >= 0]: gradient flows where x == 0; the rule uses x > 0", _guided_ge)),
        sheet=SHEET,
    ),
)
