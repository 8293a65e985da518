"""What every layer is: a forward/backward pair and its parameters, nothing hidden.

A layer holds its parameters in ``params`` (PyTorch's names, e.g. ``weight``, ``bias``) and its
non-learned state in ``buffers`` (BatchNorm's running statistics). It has three methods:

- ``forward(x, train=False)`` → ``(out, cache)``: ``cache`` is everything backward needs.
- ``backward(dout, cache)`` → ``(dx, grads)``: ``dout = ∂L/∂out``, ``dx = ∂L/∂x`` and
  ``grads[name] = ∂L/∂params[name]``, each with the shape of what it is the gradient of.
  Backward never updates a parameter (optimisers do).
  It is the pair of the two below.
- ``backward_input(dout, cache)`` → ``dx`` alone. ``dout`` may carry extra leading axes
  ``(..., N, ...)`` (one per target, for many targets in one pass): every input gradient here
  is linear in ``dout`` and broadcasts over them.
- ``backward_params(dout, cache)`` → ``grads`` alone (``{}`` for a layer without parameters).
"""

from __future__ import annotations


class Layer:
    """Base class; a layer without parameters only defines ``forward`` and ``backward_input``."""

    params: dict
    buffers: dict

    def __init__(self):
        self.params = {}
        self.buffers = {}

    def forward(self, x, train=False):
        raise NotImplementedError

    def backward_input(self, dout, cache):
        raise NotImplementedError

    def backward_params(self, dout, cache):
        return {}

    def backward(self, dout, cache):
        return self.backward_input(dout, cache), self.backward_params(dout, cache)

    def __repr__(self):
        return f"{type(self).__name__}()"
