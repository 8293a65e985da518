r"""ReLU6, PyTorch's ``ReLU6`` (MobileNet's activation): ReLU capped at 6.

.. math::

    \text{out} = \min(\max(x, 0), 6), \qquad
    \frac{\partial\,\text{out}}{\partial x} = [0 < x < 6]

so ``dx = dout · [0 < x < 6]``, with ``dout = ∂L/∂out``. At the two kinks the derivative is 0
**at exactly** ``x = 0`` **and at exactly** ``x = 6``, as in PyTorch: ``ReLU6`` is
``hardtanh(x, 0, 6)``, whose backward passes ``dout`` only where ``min_val < x < max_val``
(``torch/_decomp/decompositions.py``: ``where((self <= min_val) | (self >= max_val), 0, grad)``;
autograd in torch 2.13 gives ``[0, 0, 1, 0, 0]`` at ``x = [-1, 0, 3, 6, 7]``). Beware that
``torch.clamp(x, 0, 6)``, the same forward, has derivative 1 at both kinks: it is not ReLU6's
convention.

Only this standard rule is implemented: the guided-backprop and deconvnet rules of ``relu.py``
are not, so a model's ``backward_to(..., rule="guided")`` passes ReLU6 by its true derivative.
"""

from __future__ import annotations

import numpy as np

from .layer import Layer


def relu6_forward(x):
    """``out = min(max(x, 0), 6)``, shape of ``x``; ``cache = x``."""
    return np.minimum(np.maximum(x, 0), 6), x


def relu6_backward(dout, cache):
    """``dx = dout · [0 < x < 6]`` for ``dout`` ``(..., *x.shape)``; 0 at exactly 0 and 6."""
    x = cache
    return dout * ((x > 0) & (x < 6))


class ReLU6(Layer):
    """``ReLU6()``: no parameters."""

    def forward(self, x, train=False):
        return relu6_forward(x)

    def backward_input(self, dout, cache):
        return relu6_backward(dout, cache)
