r"""Zero padding of the last two axes, PyTorch's ``ZeroPad2d`` (TF-style "same" convolutions).

With ``padding = (left, right, top, bottom)``, PyTorch's order (an int ``p`` means all four):

.. math::

    \text{out}_{n,c,i,j} =
    \begin{cases} x_{n,c,\,i-\text{top},\,j-\text{left}}
                  & \text{if } 0 \le i - \text{top} < H \text{ and } 0 \le j - \text{left} < W \\
                  0 & \text{otherwise} \end{cases}

so ``H_out = top + H + bottom`` and ``W_out = left + W + right``. Each input entry is copied to
exactly one output entry and the zeros do not depend on ``x``, so the derivative crops:

.. math::

    dx_{n,c,i,j} = \text{dout}_{n,c,\,i+\text{top},\,j+\text{left}}

PyTorch also takes negative padding, which crops instead; it is refused here (crop by slicing).
"""

from __future__ import annotations

import numpy as np

from .. import _validate
from .layer import Layer


def zero_pad2d_forward(x, padding):
    """``x`` ``(N, C, H, W)`` (or ``(C, H, W)``) → ``(N, C, top + H + bottom, left + W + right)``;
    ``cache = (padding, (H, W))``."""
    left, right, top, bottom = padding
    widths = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]   # N, C untouched
    return np.pad(x, widths), (padding, x.shape[-2:])


def zero_pad2d_backward(dout, cache):
    """``dx`` ``(..., N, C, H, W)``: ``dout`` ``(..., N, C, H_out, W_out)`` without the border."""
    (left, _, top, _), (H, W) = cache
    return dout[..., top:top + H, left:left + W]


def padding_4(padding) -> tuple[int, int, int, int]:
    """``(left, right, top, bottom)`` from an int or a 4-sequence of ints, each >= 0."""
    accepted = "an int or a 4-tuple of ints (left, right, top, bottom)"
    if isinstance(padding, (tuple, list)):
        if len(padding) != 4:
            raise ValueError(f"padding must be {accepted}, got {_validate.describe(padding)}")
        values = tuple(padding)
    else:
        values = (padding,) * 4
    if any(isinstance(p, bool) or not isinstance(p, (int, np.integer)) for p in values):
        raise TypeError(f"padding must be {accepted}, got {_validate.describe(padding)}")
    if min(values) < 0:
        raise ValueError(f"padding must be >= 0 on every side, got {padding!r} (PyTorch's "
                         f"negative padding crops; this layer only pads: crop by slicing)")
    return tuple(int(p) for p in values)


class ZeroPad2d(Layer):
    """``ZeroPad2d(padding)``: no parameters; ``padding`` an int or ``(left, right, top, bottom)``,
    each >= 0 (PyTorch's negative padding, a crop, is refused)."""

    def __init__(self, padding):
        super().__init__()
        self.padding = padding_4(padding)

    def forward(self, x, train=False):
        if x.ndim not in (3, 4):
            raise ValueError(f"x must have shape (N, C, H, W) or (C, H, W) for {self!r}, "
                             f"got {x.shape}")
        return zero_pad2d_forward(x, self.padding)

    def backward_input(self, dout, cache):
        return zero_pad2d_backward(dout, cache)

    def __repr__(self):
        return f"ZeroPad2d({self.padding})"
