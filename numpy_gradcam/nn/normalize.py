r"""Normalize: the per-channel input normalisation that pretrained weights expect, as a layer.

A network is trained on images transformed one way (torchvision's ImageNet models on
``(x − mean) / std`` per channel; TensorFlow's EfficientNet-Lite on ``(255 x − 127) / 128``).
Put first in a model, this layer lets the model take the RGB images in [0, 1] that every model
here takes, and the explanation then starts at the image the user sees. For channel ``c``:

.. math::

    \text{out}_{n,c,i,j} = \frac{s\,x_{n,c,i,j} - \mu_c}{\sigma_c},
    \qquad
    \frac{\partial L}{\partial x_{n,c,i,j}} = \frac{s}{\sigma_c}\,
                                              \frac{\partial L}{\partial \text{out}_{n,c,i,j}}

with ``mean`` :math:`\mu`, ``std`` :math:`\sigma` and ``scale`` :math:`s`, the factor that brings
``x`` into the units of ``mean`` and ``std`` (1 for torchvision's constants, given on [0, 1];
255 for TensorFlow's, given on 0..255), so each convention is written with its source's own
numbers. It is ``torchvision.transforms.Normalize(mean, std)`` applied to ``s·x``.

The constants are the architecture's, never learned: the layer has no parameters and no buffers,
so a model's ``state_dict()`` is the architecture's own, key for key, with or without it.
``affine()`` gives the same map as ``out = a·x + b`` per channel (BatchNorm's form at inference).

Shapes: ``x`` ``(N, C, H, W)`` with ``C = len(mean)``; ``dout`` ``(..., N, C, H, W)`` (any leading
target axes broadcast).
"""

from __future__ import annotations

import numpy as np

from .. import _validate
from .layer import Layer


def _per_channel(values: np.ndarray, dtype) -> np.ndarray:
    """``values`` ``(C,)`` as ``(C, 1, 1)`` in ``dtype``: broadcast over ``(..., N, C, H, W)``."""
    return values.astype(dtype, copy=False).reshape(-1, 1, 1)


def normalize_forward(x, mean, std, scale=1.0):
    """``out = (scale·x − mean[c]) / std[c]`` for ``x`` ``(N, C, H, W)``; ``cache = (std,
    scale)``, all the backward pass needs (it is linear)."""
    mean, std = np.asarray(mean), np.asarray(std)                      # (C,)
    out = (x * x.dtype.type(scale) - _per_channel(mean, x.dtype)) / _per_channel(std, x.dtype)
    return out, (std, scale)


def normalize_backward(dout, cache):
    """``dx = dout · scale / std[c]``, shape of ``dout`` ``(..., N, C, H, W)``."""
    std, scale = cache
    return dout * dout.dtype.type(scale) / _per_channel(std, dout.dtype)


class Normalize(Layer):
    """``Normalize(mean, std, scale=1.0)``: one ``mean`` and one ``std`` (> 0) per channel."""

    def __init__(self, mean, std, scale=1.0):
        super().__init__()
        mean = _validate.float_array(mean, "mean", ndim=1)
        std = _validate.float_array(std, "std", ndim=1)
        if mean.shape != std.shape or mean.size == 0:
            raise ValueError(f"mean and std must hold one number per channel each, got "
                             f"{mean.size} and {std.size}")
        if (std <= 0).any():
            raise ValueError(f"std must be > 0 for every channel, got {std.tolist()}")
        if not (_validate.nonnegative(scale, "scale") > 0):      # a number, then not 0
            raise ValueError(f"scale must be a finite number > 0, got {scale!r}")
        #: The constants, as tuples: not ``params`` or ``buffers`` (nothing in ``state_dict``).
        self.mean = tuple(float(m) for m in mean)
        self.std = tuple(float(s) for s in std)
        self.scale = float(scale)

    @property
    def channels(self) -> int:
        return len(self.mean)

    def forward(self, x, train=False):
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(f"x must have shape (N, {self.channels}, H, W) for {self!r}, "
                             f"got {x.shape}")
        return normalize_forward(x, self.mean, self.std, self.scale)

    def backward_input(self, dout, cache):
        return normalize_backward(dout, cache)

    def affine(self) -> tuple[np.ndarray, np.ndarray]:
        """``(a, b)``, each ``(C,)``, with ``out[:, c] = a[c]·x[:, c] + b[c]``: ``a = scale/std``,
        ``b = −mean/std`` (equal to :meth:`forward` up to rounding)."""
        mean, std = np.array(self.mean), np.array(self.std)
        return self.scale / std, -mean / std

    def __repr__(self):
        scale = f", scale={self.scale:g}" if self.scale != 1.0 else ""
        return f"Normalize(mean={self.mean}, std={self.std}{scale})"
