r"""Fully connected layer: ``out = x Wᵀ + b``.

``x`` ``(N, D)``, ``W`` ``(M, D)`` (PyTorch's layout: out × in), ``b`` ``(M,)``, ``out`` ``(N, M)``.

Derivatives: ``dx = dout W`` ``(N, D)``, ``dW = doutᵀ x`` ``(M, D)``, ``db = Σ_n dout`` ``(M,)``.
"""

from __future__ import annotations

from .. import _validate
from .init import kaiming_uniform
from .layer import Layer


def linear_forward(x, weight, bias):
    """``(out, cache)`` with ``out = x @ weight.T + bias``."""
    out = x @ weight.T
    if bias is not None:
        out += bias
    return out, (x, weight, bias is not None)


def linear_backward_input(dout, cache):
    """``dx = dout @ W`` for ``dout`` ``(..., N, M)``."""
    _, weight, _ = cache
    return dout @ weight


def linear_backward_params(dout, cache):
    """``dw = doutᵀ x`` and ``db = Σ_n dout``; ``dout`` ``(N, M)``."""
    x, _, has_bias = cache
    return dout.T @ x, (dout.sum(axis=0) if has_bias else None)


def linear_backward(dout, cache):
    """``dx, dw, db``."""
    return (linear_backward_input(dout, cache), *linear_backward_params(dout, cache))


class Linear(Layer):
    """``Linear(in_features, out_features, bias=True)``, initialised as PyTorch from ``rng``."""

    def __init__(self, in_features, out_features, bias=True, rng=0):
        super().__init__()
        self.in_features = _validate.positive_int(in_features, "in_features")
        self.out_features = _validate.positive_int(out_features, "out_features")
        gen = _validate.rng(rng)
        self.params = {"weight": kaiming_uniform(gen, (out_features, in_features), in_features)}
        if bias:
            self.params["bias"] = kaiming_uniform(gen, (out_features,), in_features)

    def forward(self, x, train=False):
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"x must have shape (N, {self.in_features}) for {self!r}, got {x.shape}"
            )
        weight = self.params["weight"].astype(x.dtype, copy=False)
        bias = self.params.get("bias")
        return linear_forward(x, weight, None if bias is None else bias.astype(x.dtype, copy=False))

    def backward_input(self, dout, cache):
        return linear_backward_input(dout, cache)

    def backward_params(self, dout, cache):
        dw, db = linear_backward_params(dout, cache)
        return {"weight": dw} if db is None else {"weight": dw, "bias": db}

    def __repr__(self):
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={'bias' in self.params})")
