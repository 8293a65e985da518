r"""Adaptive 2-D average pooling: any input size to a chosen output size, forward and backward.

.. math::

    \text{out}[n, c, i, j] = \frac{1}{|R_i|\,|C_j|}
        \sum_{h \in R_i} \sum_{w \in C_j} x[n, c, h, w],
    \qquad R_i = \Big[\Big\lfloor \frac{i H}{H_o} \Big\rfloor,
                      \Big\lceil \frac{(i + 1) H}{H_o} \Big\rceil\Big)

and likewise the columns ``C_j`` with ``W, Wo``. These are PyTorch's bin edges
(``start_index``/``end_index`` in ``ATen/native/AdaptivePooling.h``: ``(a / b) * c + ((a % b) *
c) / b`` and ``1 + ((a + 1) * c - 1) / b``, the floor and the ceiling in integer arithmetic).
When ``Ho`` does not divide ``H`` the bins are unequal and neighbours **overlap**: 5 rows into 3
bins gives ``[0, 2), [1, 4), [3, 5)``. When ``Ho > H`` a row serves several bins.

The derivative spreads ``dout[n, c, i, j] / (|R_i| |C_j|)`` over the bin's pixels; a pixel in
overlapping bins receives the sum of their shares.

A bin is a product of a row range and a column range, so the pooling is two matrix products:
``out = P_h @ x @ P_wᵀ`` with ``P_h[i, h] = 1/|R_i|`` for ``h ∈ R_i`` (0 elsewhere), and its
adjoint ``dx = P_hᵀ @ dout @ P_w``. ``output_size = (1, 1)`` is the global average pool
(``x.mean((2, 3))``, keeping the two axes).
"""

from __future__ import annotations

import numpy as np

from .. import _validate
from .layer import Layer


def bins(size: int, out_size: int) -> list[tuple[int, int]]:
    """PyTorch's bins ``[start, end)`` along one axis: ``size`` inputs into ``out_size`` bins."""
    return [(i * size // out_size, -(-(i + 1) * size // out_size))   # floor, ceil
            for i in range(out_size)]


def pooling_matrix(size: int, out_size: int, dtype=np.float64) -> np.ndarray:
    """``P`` ``(out_size, size)``: row ``i`` holds ``1/|bin i|`` on bin ``i``, 0 elsewhere."""
    P = np.zeros((out_size, size), dtype=dtype)
    for i, (start, end) in enumerate(bins(size, out_size)):
        P[i, start:end] = 1.0 / (end - start)
    return P


def adaptive_avgpool2d_forward_loops(x, output_size):
    """Bin by bin; the definition the matrix version is tested against. ``(N, C, Ho, Wo)``."""
    H, W = x.shape[2:]
    Ho, Wo = output_size
    out = np.empty(x.shape[:2] + (Ho, Wo), dtype=x.dtype)
    for i, (h0, h1) in enumerate(bins(H, Ho)):
        for j, (w0, w1) in enumerate(bins(W, Wo)):
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return out


def adaptive_avgpool2d_backward_input_loops(dout, x_shape):
    """``dx`` ``(..., N, C, H, W)`` from ``dout`` ``(..., N, C, Ho, Wo)``, bin by bin."""
    H, W = x_shape[2:]
    Ho, Wo = dout.shape[-2:]
    dx = np.zeros(dout.shape[:-4] + tuple(x_shape), dtype=dout.dtype)
    for i, (h0, h1) in enumerate(bins(H, Ho)):
        for j, (w0, w1) in enumerate(bins(W, Wo)):
            share = dout[..., i, j] / ((h1 - h0) * (w1 - w0))             # (..., N, C)
            dx[..., h0:h1, w0:w1] += share[..., None, None]               # overlapping bins add
    return dx


def adaptive_avgpool2d_forward(x, output_size):
    """``x`` ``(N, C, H, W)`` → ``(out (N, C, Ho, Wo), cache)``; ``cache = (P_h, P_w)``."""
    H, W = x.shape[2:]
    Ho, Wo = output_size
    P_h = pooling_matrix(H, Ho, x.dtype)                                  # (Ho, H)
    P_w = pooling_matrix(W, Wo, x.dtype)                                  # (Wo, W)
    out = P_h @ x @ P_w.T                                                 # (N, C, Ho, Wo)
    return out, (P_h, P_w)


def adaptive_avgpool2d_backward_input(dout, cache):
    """``dx`` ``(..., N, C, H, W)`` from ``dout`` ``(..., N, C, Ho, Wo)``: the adjoint products."""
    P_h, P_w = cache
    return P_h.T @ dout @ P_w                                             # (..., N, C, H, W)


def _output_size(value) -> tuple:
    """An int, or a pair of ints or ``None`` (``None``: that axis keeps the input's size)."""
    if value is None:   # PyTorch refuses a bare None too (TypeError from len(None))
        raise TypeError("output_size must be an int or a pair (h, w) of ints or None; "
                        "None alone is not accepted, write (None, None)")
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"output_size must be an int or a pair (h, w) of ints or None, "
                             f"got {_validate.describe(value)}")
        return tuple(None if v is None else _validate.positive_int(v, "output_size")
                     for v in value)
    return _validate.pair(value, "output_size")


class AdaptiveAvgPool2d(Layer):
    """``AdaptiveAvgPool2d(output_size)``: ``(N, C, H, W)`` → ``(N, C, Ho, Wo)`` for any ``H, W``.

    ``output_size`` is an int (a square output) or a pair ``(Ho, Wo)``, in which ``None`` keeps
    that axis's input size, as in PyTorch. Sizes must be at least 1 (PyTorch returns an empty
    tensor for 0).
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = _output_size(output_size)

    def resolved_size(self, input_size) -> tuple[int, int]:
        """``(Ho, Wo)`` for an input of spatial size ``(H, W)``: ``None`` becomes the input's."""
        (Ho, Wo), (H, W) = self.output_size, input_size
        return (H if Ho is None else Ho, W if Wo is None else Wo)

    def forward(self, x, train=False):
        if x.ndim != 4 or min(x.shape[2:]) == 0:
            raise ValueError(f"x must have shape (N, C, H, W) with H, W >= 1 for {self!r}, "
                             f"got {x.shape}")
        return adaptive_avgpool2d_forward(x, self.resolved_size(x.shape[2:]))

    def backward_input(self, dout, cache):
        return adaptive_avgpool2d_backward_input(dout, cache)

    def __repr__(self):
        return f"AdaptiveAvgPool2d(output_size={self.output_size})"
