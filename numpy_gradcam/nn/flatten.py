"""Flatten: ``(N, C, H, W)`` → ``(N, C·H·W)`` in C order, as ``torch.nn.Flatten()`` (start_dim=1).

Its derivative is the inverse reshape.
"""

from __future__ import annotations

from .layer import Layer


class Flatten(Layer):
    def forward(self, x, train=False):
        return x.reshape(x.shape[0], -1), x.shape

    def backward_input(self, dout, cache):
        return dout.reshape(dout.shape[:-2] + tuple(cache))   # keep leading target axes
