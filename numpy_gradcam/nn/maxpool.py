r"""2-D max pooling, forward and backward.

.. math::

    \text{out}[n, c, y, x] = \max_{i < k_h,\, j < k_w} x[n, c, y s_h + i, x s_w + j]

``x`` ``(N, C, H, W)`` → ``out`` ``(N, C, Ho, Wo)``, ``Ho = (H - kh) // sh + 1`` (PyTorch's
``ceil_mode=False``: trailing rows that do not fill a window are dropped).

The derivative routes ``dout`` to the one input that was the maximum of each window; all other
inputs get 0. **Ties** (two equal maxima in a window) go to the first in row-major window order,
as PyTorch's CPU kernel does (it replaces the running maximum only on a strictly greater value).

The fast version below reduces strided views of the input with ``np.maximum`` — for a 2×2 pool
that is three calls over whole arrays, far faster than ``reshape(...).max(axis=(3, 5))``.
"""

from __future__ import annotations

import numpy as np

from .im2col import offset_slice, output_size
from .layer import WindowPool


def maxpool2d_forward_loops(x, kernel, stride):
    """Window by window; the definition the fast version is tested against. ``(out, argmax)``."""
    N, C, H, W = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    Ho, Wo = output_size(H, kh, sh, 0), output_size(W, kw, sw, 0)
    out = np.empty((N, C, Ho, Wo), dtype=x.dtype)
    argmax = np.empty((N, C, Ho, Wo), dtype=np.int64)
    for y in range(Ho):
        for x_ in range(Wo):
            window = x[:, :, y * sh:y * sh + kh, x_ * sw:x_ * sw + kw].reshape(N, C, kh * kw)
            argmax[:, :, y, x_] = window.argmax(axis=2)   # first maximum in row-major order
            out[:, :, y, x_] = window.max(axis=2)
    return out, argmax


def maxpool2d_forward(x, kernel, stride):
    """``(out (N, C, Ho, Wo), cache)``; ``cache`` holds the input and the output.

    The maximum over a window is the maximum over its columns of the maximum over its rows, so
    the rows are reduced first (strided over whole contiguous rows) and then the columns, on an
    array already ``kh`` times smaller.
    """
    H, W = x.shape[2:]
    (kh, kw), (sh, sw) = kernel, stride
    Ho, Wo = output_size(H, kh, sh, 0), output_size(W, kw, sw, 0)
    rows = [x[:, :, i:i + sh * (Ho - 1) + 1:sh, :] for i in range(kh)]      # (N, C, Ho, W) each
    row_max = rows[0].copy()
    for row in rows[1:]:
        np.maximum(row_max, row, out=row_max)
    out = row_max[..., 0:sw * (Wo - 1) + 1:sw].copy()                       # (N, C, Ho, Wo)
    for j in range(1, kw):
        np.maximum(out, row_max[..., j:j + sw * (Wo - 1) + 1:sw], out=out)
    return out, (x, out, kernel, stride)


def maxpool2d_backward_input(dout, cache):
    """``dx`` ``(..., N, C, H, W)`` from ``dout`` ``(..., N, C, Ho, Wo)``: gradient to each argmax.

    The argmax is found here, not in the forward pass (which Grad-CAM runs far more often):
    visiting the window offsets in row-major order, offset ``k`` takes the gradient where its
    input equals the maximum and no earlier offset has taken it — the first maximum, as torch.
    """
    x, out, (kh, kw), stride = cache
    Ho, Wo = out.shape[-2:]
    dx = np.zeros(dout.shape[:-4] + x.shape, dtype=dout.dtype)
    overlapping = stride[0] < kh or stride[1] < kw
    taken = np.zeros(out.shape, dtype=bool)
    for k in range(kh * kw):
        window = offset_slice(k // kw, k % kw, (Ho, Wo), stride)
        first = x[window] == out
        first &= ~taken
        taken |= first
        if overlapping:
            dx[window] += dout * first                # windows share pixels: accumulate
        else:
            np.multiply(dout, first, out=dx[window])  # each pixel in one window: write once
    return dx


class MaxPool2d(WindowPool):
    """``MaxPool2d(kernel_size, stride=None)``; ``stride`` defaults to ``kernel_size`` (PyTorch)."""

    forward_fn = maxpool2d_forward
    backward_fn = maxpool2d_backward_input
