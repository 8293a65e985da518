r"""Identity, PyTorch's ``Identity``: a placeholder layer that changes nothing.

.. math::

    \text{out} = x, \qquad dx = \text{dout}

Like ``torch.nn.Identity``, ``forward`` returns ``x`` itself (not a copy) and the backward pass
returns ``dout`` itself, leading target axes ``(..., N, ...)`` included.
"""

from __future__ import annotations

from .layer import Layer


class Identity(Layer):
    """``Identity(*args, **kwargs)``: no parameters.

    Any arguments are accepted and ignored, as ``torch.nn.Identity`` does, so that it can stand
    in for a layer without changing the call that builds it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x, train=False):
        return x, None

    def backward_input(self, dout, cache):
        return dout
