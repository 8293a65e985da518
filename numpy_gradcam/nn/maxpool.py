r"""2-D max pooling, forward and backward.

.. math::

    \text{out}[n, c, y, x] = \max_{i < k_h,\, j < k_w}
        \tilde{x}[n, c, y s_h + i - p_h, x s_w + j - p_w],
    \qquad \tilde{x} = x \text{ inside the image}, \ -\infty \text{ outside}

``x`` ``(N, C, H, W)`` → ``out`` ``(N, C, Ho, Wo)``, ``Ho = (H + 2·ph - kh) // sh + 1``
(PyTorch's ``ceil_mode=False``: trailing rows that do not fill a window are dropped).

**Padding** is −∞, never 0: a padded position is never the maximum, so an all-negative border
window still returns its largest real input. PyTorch allows ``p <= k // 2`` per axis, which
keeps at least one real pixel in every window; its CPU kernel clips each window to the image
rather than padding, which gives the same maxima.

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


def pad_with(x, padding, value):
    """``x`` ``(..., H, W)`` → ``(..., H + 2·ph, W + 2·pw)``, the border filled with ``value``."""
    ph, pw = padding
    widths = [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)]
    return np.pad(x, widths, constant_values=value)


def maxpool2d_forward_loops(x, kernel, stride, padding=(0, 0)):
    """Window by window; the definition the fast version is tested against. ``(out, argmax)``.

    ``argmax[n, c, y, x]`` is the first maximum's row-major index ``i·kw + j`` within its window
    of the −∞-padded input.
    """
    xp = pad_with(x, padding, -np.inf)                                    # (N, C, Hp, Wp)
    N, C, Hp, Wp = xp.shape
    (kh, kw), (sh, sw) = kernel, stride
    Ho, Wo = output_size(Hp, kh, sh, 0), output_size(Wp, kw, sw, 0)
    out = np.empty((N, C, Ho, Wo), dtype=x.dtype)
    argmax = np.empty((N, C, Ho, Wo), dtype=np.int64)
    for y in range(Ho):
        for x_ in range(Wo):
            window = xp[:, :, y * sh:y * sh + kh, x_ * sw:x_ * sw + kw].reshape(N, C, kh * kw)
            argmax[:, :, y, x_] = window.argmax(axis=2)   # first maximum in row-major order
            out[:, :, y, x_] = window.max(axis=2)
    return out, argmax


def maxpool2d_forward(x, kernel, stride, padding=(0, 0)):
    """``(out (N, C, Ho, Wo), cache)``; ``cache`` holds the input, the output and the settings.

    The maximum over a window is the maximum over its columns of the maximum over its rows, so
    the rows are reduced first (strided over whole contiguous rows) and then the columns, on an
    array already ``kh`` times smaller. With padding, the same runs on a −∞-padded copy.
    """
    ph, pw = padding
    xp = pad_with(x, padding, -np.inf) if ph or pw else x                 # (N, C, Hp, Wp)
    Hp, Wp = xp.shape[2:]
    (kh, kw), (sh, sw) = kernel, stride
    Ho, Wo = output_size(Hp, kh, sh, 0), output_size(Wp, kw, sw, 0)
    rows = [xp[:, :, i:i + sh * (Ho - 1) + 1:sh, :] for i in range(kh)]     # (N, C, Ho, Wp) each
    row_max = rows[0].copy()
    for row in rows[1:]:
        np.maximum(row_max, row, out=row_max)
    out = row_max[..., 0:sw * (Wo - 1) + 1:sw].copy()                       # (N, C, Ho, Wo)
    for j in range(1, kw):
        np.maximum(out, row_max[..., j:j + sw * (Wo - 1) + 1:sw], out=out)
    return out, (x, out, kernel, stride, (ph, pw))


def maxpool2d_backward_input(dout, cache):
    """``dx`` ``(..., N, C, H, W)`` from ``dout`` ``(..., N, C, Ho, Wo)``: gradient to each argmax.

    The argmax is found here, not in the forward pass (which Grad-CAM runs far more often):
    visiting the window offsets in row-major order, offset ``k`` takes the gradient where its
    input equals the maximum and no earlier offset has taken it — the first maximum, as torch.
    The padding is NaN here, which equals nothing: it never takes a gradient, even in a window
    whose real inputs are all −∞ (torch routes that one to the window's first real pixel too).
    """
    x, out, (kh, kw), stride, (ph, pw) = cache
    H, W = x.shape[2:]
    Ho, Wo = out.shape[-2:]
    xp = pad_with(x, (ph, pw), np.nan) if ph or pw else x                 # (N, C, Hp, Wp)
    dxp = np.zeros(dout.shape[:-4] + xp.shape, dtype=dout.dtype)          # (..., N, C, Hp, Wp)
    overlapping = stride[0] < kh or stride[1] < kw
    taken = np.zeros(out.shape, dtype=bool)
    for k in range(kh * kw):
        window = offset_slice(k // kw, k % kw, (Ho, Wo), stride)
        first = xp[window] == out
        first &= ~taken
        taken |= first
        if overlapping:
            dxp[window] += dout * first                # windows share pixels: accumulate
        else:
            np.multiply(dout, first, out=dxp[window])  # each pixel in one window: write once
    return dxp[..., ph:ph + H, pw:pw + W]


class MaxPool2d(WindowPool):
    """``MaxPool2d(kernel_size, stride=None, padding=0)``, PyTorch's signature and defaults.

    ``stride`` defaults to ``kernel_size``; ``padding`` (an int or a pair, at most half the
    kernel) pads with −∞. PyTorch's ``dilation``, ``ceil_mode`` and ``return_indices`` are not
    offered: the architectures here use none of them.
    """

    forward_fn = maxpool2d_forward
    backward_fn = maxpool2d_backward_input
