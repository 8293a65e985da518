r"""ReLU and its three backward rules.

Forward: ``out = max(x, 0)``. Backward, with ``dout = ∂L/∂out`` (Springenberg et al. 2015, Fig. 1):

- ``"standard"``: ``dx = dout · [x > 0]`` — the true derivative. At exactly ``x = 0`` it is 0,
  as in PyTorch (the subgradient is any value in [0, 1]; 0 is the convention we follow).
- ``"guided"`` (guided backpropagation): ``dx = dout · [x > 0] · [dout > 0]`` — only positive
  gradient flows, and only where the unit was active.
- ``"deconvnet"`` (Zeiler & Fergus 2014): ``dx = dout · [dout > 0]`` — the forward mask is ignored.

Only ``"standard"`` is a derivative; the other two are visualisation rules (guided Grad-CAM uses
``"guided"``).
"""

from __future__ import annotations

import numpy as np

from .. import _validate
from .layer import Layer

RULES = ("standard", "guided", "deconvnet")


def relu_forward(x):
    """``out = max(x, 0)``, shape of ``x``; ``cache = x``."""
    return np.maximum(x, 0), x


def relu_backward(dout, cache, rule="standard"):
    """``dx`` for ``dout`` ``(..., *x.shape)`` under ``rule`` (see the module docstring)."""
    x = cache
    if rule == "standard":
        return dout * (x > 0)
    if rule == "guided":
        return dout * ((x > 0) & (dout > 0))
    if rule == "deconvnet":
        return dout * (dout > 0)
    _validate.choice(rule, "rule", RULES)


class ReLU(Layer):
    """``ReLU()``: no parameters. ``backward_input(dout, cache, rule="standard")``."""

    def forward(self, x, train=False):
        return relu_forward(x)

    def backward_input(self, dout, cache, rule="standard"):
        return relu_backward(dout, cache, rule)
