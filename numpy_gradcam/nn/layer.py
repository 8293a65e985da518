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

from .. import _validate


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


class WindowPool(Layer):
    """A pooling layer over ``kernel_size`` windows every ``stride`` pixels (no padding).

    Subclasses name their pair of functions: ``forward_fn(x, kernel, stride) -> (out, cache)``
    and ``backward_fn(dout, cache) -> dx``. ``stride`` defaults to ``kernel_size``, as in PyTorch.
    """

    forward_fn = None
    backward_fn = None

    def __init__(self, kernel_size, stride=None):
        super().__init__()
        self.kernel_size = _validate.pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else _validate.pair(stride, "stride")

    def forward(self, x, train=False):
        kh, kw = self.kernel_size
        if x.ndim != 4 or x.shape[2] < kh or x.shape[3] < kw:
            raise ValueError(f"x must have shape (N, C, H, W) with H, W >= {self.kernel_size} "
                             f"for {self!r}, got {x.shape}")
        return type(self).forward_fn(x, self.kernel_size, self.stride)

    def backward_input(self, dout, cache):
        return type(self).backward_fn(dout, cache)

    def __repr__(self):
        return f"{type(self).__name__}(kernel_size={self.kernel_size}, stride={self.stride})"
