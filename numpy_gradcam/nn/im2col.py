"""im2col and col2im: a convolution as one matrix product.

A convolution with a ``(kh, kw)`` kernel visits, for each kernel offset ``(i, j)``, the input
shifted by ``(i, j)`` and sampled every ``stride`` pixels. ``im2col`` copies those ``kh·kw``
shifted views side by side, so that

    out[n, f, p] = Σ_q  W2[f, q] · cols[n, q, p]          W2 = weight.reshape(F, C·kh·kw)

with ``q = (c, i, j)`` running over channels and kernel offsets and ``p = (y, x)`` over output
pixels. ``col2im`` is its adjoint: it adds each column back onto the input pixels it came from.
Both loop over the ``kh·kw`` kernel offsets only (9 for a 3×3 kernel), each step a vectorised
strided slice, so no ``np.add.at`` scatter is needed and the inner products go to BLAS.

Output size (PyTorch's formula, floor division):
``Ho = (H + 2·padding_h - kh) // stride_h + 1`` and likewise ``Wo``.
"""

from __future__ import annotations

import numpy as np


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """``(size + 2·padding - kernel) // stride + 1``, the output length along one axis."""
    return (size + 2 * padding - kernel) // stride + 1


def pad(x: np.ndarray, padding: tuple[int, int]) -> np.ndarray:
    """Zero-pad the last two axes of ``x`` ``(..., H, W)`` by ``padding = (ph, pw)``."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    widths = [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)]
    return np.pad(x, widths)


def offset_slice(i: int, j: int, out_hw: tuple[int, int], stride: tuple[int, int]):
    """The slice of a padded input that kernel offset ``(i, j)`` sees, over all outputs."""
    (Ho, Wo), (sh, sw) = out_hw, stride
    return (..., slice(i, i + sh * (Ho - 1) + 1, sh), slice(j, j + sw * (Wo - 1) + 1, sw))


def im2col(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
           padding: tuple[int, int]) -> np.ndarray:
    """Unfold ``x`` ``(N, C, H, W)`` into ``cols`` ``(N, C·kh·kw, Ho·Wo)``.

    ``cols[n, (c, i, j), (y, x)] = x_padded[n, c, y·sh + i, x·sw + j]``, the same order as
    ``weight.reshape(F, C·kh·kw)``, so a convolution is ``W2 @ cols``.
    """
    N, C, H, W = x.shape
    kh, kw = kernel
    Ho = output_size(H, kh, stride[0], padding[0])
    Wo = output_size(W, kw, stride[1], padding[1])
    xp = pad(x, padding)
    cols = np.empty((N, C, kh, kw, Ho, Wo), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[offset_slice(i, j, (Ho, Wo), stride)]
    return cols.reshape(N, C * kh * kw, Ho * Wo)


def col2im(dcols: np.ndarray, input_shape: tuple[int, int, int, int], kernel: tuple[int, int],
           stride: tuple[int, int], padding: tuple[int, int]) -> np.ndarray:
    """The adjoint of :func:`im2col`: ``dcols`` ``(N, C·kh·kw, Ho·Wo)`` → ``dx`` ``(N, C, H, W)``.

    Every column entry is added back to the input pixel it was copied from; pixels that
    several windows share (stride < kernel) receive the sum.
    """
    N, C, H, W = input_shape
    (kh, kw), (ph, pw) = kernel, padding
    Ho = output_size(H, kh, stride[0], ph)
    Wo = output_size(W, kw, stride[1], pw)
    dcols = dcols.reshape(N, C, kh, kw, Ho, Wo)
    dxp = np.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[offset_slice(i, j, (Ho, Wo), stride)] += dcols[:, :, i, j]
    return dxp[:, :, ph:ph + H, pw:pw + W]



def im2col_wide(x: np.ndarray, kernel: tuple[int, int], padding: tuple[int, int]) -> np.ndarray:
    """im2col for stride 1 that copies whole rows: ``(N, C, H, W)`` → ``(N, C·kh·kw, Ho·Wp)``.

    Flatten the padded image ``xp`` ``(N, C, Hp, Wp)`` to ``(N, C, Hp·Wp)``. Pixel
    ``(y + i, x + j)`` sits at flat index ``(y·Wp + x) + (i·Wp + j)``, so with the output
    positions laid out on the *padded* width, ``p = y·Wp + x``, kernel offset ``(i, j)`` reads
    one contiguous run of the flat image. Each output row then has ``Wp - Wo`` extra "wide"
    columns (``x >= Wo``) that belong to no output: the caller drops them from the product
    (``out[..., :Wo]``), which is far cheaper than dropping them from ``cols``.
    """
    N, C, H, W = x.shape
    (kh, kw), (ph, pw) = kernel, padding
    Hp, Wp = H + 2 * ph, W + 2 * pw
    Ho = Hp - kh + 1
    L = (Ho - 1) * Wp + (Wp - kw + 1)                # flat positions that have a full window
    flat = pad(x, padding).reshape(N, C, Hp * Wp)
    cols = np.empty((N, C, kh, kw, Ho * Wp), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            start = i * Wp + j
            cols[:, :, i, j, :L] = flat[:, :, start:start + L]
    cols[..., L:] = 0                                # the last row's wide columns
    return cols.reshape(N, C * kh * kw, Ho * Wp)


def col2im_wide(dcols: np.ndarray, input_shape: tuple[int, int, int, int],
                kernel: tuple[int, int], padding: tuple[int, int]) -> np.ndarray:
    """The adjoint of :func:`im2col_wide`: ``(N, C·kh·kw, Ho·Wp)`` → ``dx`` ``(N, C, H, W)``.

    ``dcols`` must be zero in the wide columns (it is, when it comes from a ``dout`` padded with
    zero columns), so they add nothing.
    """
    N, C, H, W = input_shape
    (kh, kw), (ph, pw) = kernel, padding
    Hp, Wp = H + 2 * ph, W + 2 * pw
    Ho = Hp - kh + 1
    L = (Ho - 1) * Wp + (Wp - kw + 1)
    dcols = dcols.reshape(N, C, kh, kw, Ho * Wp)
    dflat = np.zeros((N, C, Hp * Wp), dtype=dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            start = i * Wp + j
            dflat[:, :, start:start + L] += dcols[:, :, i, j, :L]
    return dflat.reshape(N, C, Hp, Wp)[:, :, ph:ph + H, pw:pw + W]
