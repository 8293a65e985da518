r"""2-D average pooling and global average pooling, forward and backward.

AvgPool2d: ``out[n, c, y, x] = (1 / (kh·kw)) Σ_{i, j} xp[n, c, y·sh + i, x·sw + j]`` with ``xp``
the input zero-padded by ``padding``, so each input in a window receives ``dout / (kh·kw)``
(summed over the windows that share it). The padded zeros count in the divisor, PyTorch's default
``count_include_pad=True`` (with ``ceil_mode=False`` no window reaches past the padding, so the
divisor is always ``kh·kw``). ``Ho = (H + 2·ph - kh) // sh + 1``.

GlobalAvgPool2d (Lin et al. 2014; the "GAP" of CAM): ``out[n, c] = (1/Z) Σ_{i, j} x[n, c, i, j]``
with ``Z = H·W``, so ``dx[n, c, i, j] = dout[n, c] / Z`` — every pixel gets the same share. This
spatially constant gradient is why Grad-CAM equals CAM on a GAP→linear head.
"""

from __future__ import annotations

import numpy as np

from .im2col import offset_slice, output_size, pad
from .layer import Layer, WindowPool


def avgpool2d_forward(x, kernel, stride, padding=(0, 0)):
    """``x`` ``(N, C, H, W)`` → ``(out (N, C, Ho, Wo), cache)``."""
    xp = pad(x, padding)                                                  # (N, C, Hp, Wp)
    Hp, Wp = xp.shape[2:]
    (kh, kw), (sh, sw) = kernel, stride
    Ho, Wo = output_size(Hp, kh, sh, 0), output_size(Wp, kw, sw, 0)
    out = np.zeros(x.shape[:2] + (Ho, Wo), dtype=x.dtype)
    for k in range(kh * kw):
        out += xp[offset_slice(k // kw, k % kw, (Ho, Wo), stride)]
    return out / (kh * kw), (x.shape, kernel, stride, tuple(padding))


def avgpool2d_backward_input(dout, cache):
    """``dx`` ``(..., N, C, H, W)`` from ``dout`` ``(..., N, C, Ho, Wo)``."""
    x_shape, (kh, kw), stride, (ph, pw) = cache
    H, W = x_shape[2:]
    Ho, Wo = dout.shape[-2:]
    dxp = np.zeros(dout.shape[:-4] + tuple(x_shape[:2]) + (H + 2 * ph, W + 2 * pw),
                   dtype=dout.dtype)                                      # (..., N, C, Hp, Wp)
    share = dout / (kh * kw)
    for k in range(kh * kw):
        dxp[offset_slice(k // kw, k % kw, (Ho, Wo), stride)] += share
    return dxp[..., ph:ph + H, pw:pw + W]                                # the padding's share drops


class AvgPool2d(WindowPool):
    """``AvgPool2d(kernel_size, stride=None, padding=0)``; ``stride`` defaults to ``kernel_size``.

    ``padding`` (an int or a pair, at most half the kernel) pads with zeros that count in the
    mean (PyTorch's ``count_include_pad=True``; its ``False``, ``ceil_mode`` and
    ``divisor_override`` are not offered).
    """

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
