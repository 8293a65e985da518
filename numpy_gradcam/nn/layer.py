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
    """A pooling layer over ``kernel_size`` windows every ``stride`` pixels, after ``padding``.

    Subclasses name their pair of functions: ``forward_fn(x, kernel, stride, padding) ->
    (out, cache)`` and ``backward_fn(dout, cache) -> dx``, and say what the padding is filled
    with. ``stride`` defaults to ``kernel_size``, as in PyTorch. ``padding`` follows PyTorch's
    rule for pooling: at most half the kernel (``p <= k // 2`` per axis), so that every window
    holds at least one pixel of the input.
    """

    forward_fn = None
    backward_fn = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _validate.pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else _validate.pair(stride, "stride")
        self.padding = _validate.pair(padding, "padding", minimum=0)
        half = (self.kernel_size[0] // 2, self.kernel_size[1] // 2)
        if self.padding[0] > half[0] or self.padding[1] > half[1]:
            raise ValueError(f"padding must be at most half of kernel_size {self.kernel_size} "
                             f"for {type(self).__name__}, i.e. at most {half}, "
                             f"got {self.padding}")

    def forward(self, x, train=False):
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        least = (max(1, kh - 2 * ph), max(1, kw - 2 * pw))    # one window, one input pixel
        if x.ndim != 4 or x.shape[2] < least[0] or x.shape[3] < least[1]:
            raise ValueError(f"x must have shape (N, C, H, W) with H, W >= {least} "
                             f"for {self!r}, got {x.shape}")
        return type(self).forward_fn(x, self.kernel_size, self.stride, self.padding)

    def backward_input(self, dout, cache):
        return type(self).backward_fn(dout, cache)

    def __repr__(self):
        padding = f", padding={self.padding}" if self.padding != (0, 0) else ""
        return (f"{type(self).__name__}(kernel_size={self.kernel_size}, stride={self.stride}"
                f"{padding})")
