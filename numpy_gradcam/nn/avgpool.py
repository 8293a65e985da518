r"""2-D average pooling and global average pooling, forward and backward.

AvgPool2d: ``out[n, c, y, x] = (1 / (kh·kw)) Σ_{i, j} x[n, c, y·sh + i, x·sw + j]``, so each
input in a window receives ``dout / (kh·kw)`` (summed over the windows that share it).

GlobalAvgPool2d (Lin et al. 2014; the "GAP" of CAM): ``out[n, c] = (1/Z) Σ_{i, j} x[n, c, i, j]``
with ``Z = H·W``, so ``dx[n, c, i, j] = dout[n, c] / Z`` — every pixel gets the same share. This
spatially constant gradient is why Grad-CAM equals CAM on a GAP→linear head.
"""

from __future__ import annotations

import numpy as np

from .im2col import offset_slice, output_size
from .layer import Layer, WindowPool


def avgpool2d_forward(x, kernel, stride):
    """``x`` ``(N, C, H, W)`` → ``(out (N, C, Ho, Wo), cache)``."""
    _, _, H, W = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    Ho, Wo = output_size(H, kh, sh, 0), output_size(W, kw, sw, 0)
    out = np.zeros(x.shape[:2] + (Ho, Wo), dtype=x.dtype)
    for k in range(kh * kw):
        out += x[offset_slice(k // kw, k % kw, (Ho, Wo), stride)]
    return out / (kh * kw), (x.shape, kernel, stride)


def avgpool2d_backward_input(dout, cache):
    """``dx`` ``(..., N, C, H, W)`` from ``dout`` ``(..., N, C, Ho, Wo)``."""
    x_shape, (kh, kw), stride = cache
    Ho, Wo = dout.shape[-2:]
    dx = np.zeros(dout.shape[:-4] + tuple(x_shape), dtype=dout.dtype)
    share = dout / (kh * kw)
    for k in range(kh * kw):
        dx[offset_slice(k // kw, k % kw, (Ho, Wo), stride)] += share
    return dx


class AvgPool2d(WindowPool):
    """``AvgPool2d(kernel_size, stride=None)``; ``stride`` defaults to ``kernel_size``."""

    forward_fn = avgpool2d_forward
    backward_fn = avgpool2d_backward_input


class GlobalAvgPool2d(Layer):
    """``(N, C, H, W)`` → ``(N, C)``: the mean over all pixels (PyTorch: ``x.mean((2, 3))``)."""

    def forward(self, x, train=False):
        if x.ndim != 4:
            raise ValueError(f"x must have shape (N, C, H, W) for GlobalAvgPool2d, got {x.shape}")
        return x.mean(axis=(2, 3)), x.shape

    def backward_input(self, dout, cache):
        H, W = cache[2:]
        dx = dout[..., None, None] / (H * W)              # (..., N, C, 1, 1)
        return np.broadcast_to(dx, dout.shape + (H, W)).copy()
