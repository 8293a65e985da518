r"""A forward pass compiled for inference on large batches: what Score-CAM and occlusion run
thousands of times.

The engine's :meth:`~numpy_gradcam.nn.Sequential.forward` is the reference, written to be read
and differentiated. For a forward pass alone three rearrangements give the same numbers faster:

1. **NHWC layout.** With channels last, a convolution's im2col matrix is ``(N·Ho·Wo, kh·kw·C)``
   and the convolution is *one* 2-D matrix product with the kernel ``(kh·kw·C, F)``, whose
   result ``(N·Ho·Wo, F)`` is already the next layer's NHWC input: no per-image batched
   products, no transposes between layers.
2. **BatchNorm folded into the convolution.** At inference BatchNorm is ``y = s·x + t`` per
   channel, so ``BN(conv(x)) = conv'(x)`` with weight ``s_f W_f`` and bias ``s_f b_f + t_f``.
3. **In-place ReLU**, and pooling as a maximum (or mean) over ``kh·kw`` strided views.

The result equals ``model.forward`` up to floating-point rounding (the sums run in another
order; ~1e-15 relative in float64), checked in the tests. :func:`compile_forward` returns None
for a model with a layer kind it does not know, and the callers then use ``model.forward``.

Shapes: ``x`` ``(N, C, H, W)`` in, logits ``(N, classes)`` out (NCHW at the boundary).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ...nn import (
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Flatten,
    GlobalAvgPool2d,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
)

#: Below this many input channels the im2col matrix is built from one sliding-window view
#: (one copy; fast when each pixel's channel run is short), above it by ``kh·kw`` slice copies.
FEW_CHANNELS = 4


def _conv_step(weight, bias, stride, padding):
    """NHWC convolution ``(N, H, W, C) -> (N, Ho, Wo, F)`` as one matrix product."""
    F, C, kh, kw = weight.shape
    W_offsets = np.ascontiguousarray(weight.transpose(2, 3, 1, 0).reshape(kh * kw * C, F))
    W_channels = np.ascontiguousarray(weight.transpose(1, 2, 3, 0).reshape(C * kh * kw, F))
    (sh, sw), (ph, pw) = stride, padding

    def step(x):
        N, H, W, _ = x.shape
        Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
        xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0))) if ph or pw else x
        if C <= FEW_CHANNELS:
            windows = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
            cols = windows.reshape(N * Ho * Wo, C * kh * kw)           # (c, i, j) order
            W2 = W_channels
        else:
            cols = np.empty((N, Ho, Wo, kh, kw, C), dtype=x.dtype)     # (i, j, c) order
            for i in range(kh):
                for j in range(kw):
                    cols[:, :, :, i, j] = xp[:, i:i + sh * (Ho - 1) + 1:sh,
                                             j:j + sw * (Wo - 1) + 1:sw]
            cols = cols.reshape(N * Ho * Wo, kh * kw * C)
            W2 = W_offsets
        out = cols @ W2.astype(x.dtype, copy=False)
        if bias is not None:
            out += bias.astype(x.dtype, copy=False)
        return out.reshape(N, Ho, Wo, F)

    return step


def _pool_step(kernel, stride, reduce):
    (kh, kw), (sh, sw) = kernel, stride

    def step(x):
        H, W = x.shape[1:3]
        Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
        views = [x[:, i:i + sh * (Ho - 1) + 1:sh, j:j + sw * (Wo - 1) + 1:sw]
                 for i in range(kh) for j in range(kw)]
        if reduce == "max":
            out = views[0].copy()
            for view in views[1:]:
                np.maximum(out, view, out=out)
            return out
        return sum(views[1:], views[0].copy()) / (kh * kw)

    return step


def _relu(x):
    return np.maximum(x, 0, out=x)


def _bn_affine(bn: BatchNorm2d):
    """``(s, t)`` with ``BN(x) = s·x + t`` at inference, per channel."""
    inv_std = 1.0 / np.sqrt(bn.buffers["running_var"] + bn.eps)
    s = bn.params["weight"] * inv_std
    return s, bn.params["bias"] - bn.buffers["running_mean"] * s


def compile_forward(model: Sequential) -> Callable[[np.ndarray], np.ndarray] | None:
    """``forward(x)`` equal to ``model.forward(x)`` (see the module docstring), or None."""
    layers = list(model.layers.values())
    steps, i = [], 0
    while i < len(layers):
        layer = layers[i]
        if isinstance(layer, Conv2d):
            weight = layer.params["weight"]
            bias = layer.params.get("bias")
            if i + 1 < len(layers) and isinstance(layers[i + 1], BatchNorm2d):
                s, t = _bn_affine(layers[i + 1])
                weight = weight * s[:, None, None, None]
                bias = t + (s * bias if bias is not None else 0.0)
                i += 1
            steps.append(_conv_step(weight, bias, layer.stride, layer.padding))
        elif isinstance(layer, BatchNorm2d):
            s, t = _bn_affine(layer)
            steps.append(lambda x, s=s, t=t: x * s.astype(x.dtype) + t.astype(x.dtype))
        elif isinstance(layer, ReLU):
            steps.append(_relu)
        elif isinstance(layer, (MaxPool2d, AvgPool2d)):
            reduce = "max" if isinstance(layer, MaxPool2d) else "mean"
            steps.append(_pool_step(layer.kernel_size, layer.stride, reduce))
        elif isinstance(layer, GlobalAvgPool2d):
            steps.append(lambda x: x.mean(axis=(1, 2)))
        elif isinstance(layer, Flatten):
            steps.append(lambda x: x.transpose(0, 3, 1, 2).reshape(len(x), -1))  # NCHW order
        elif isinstance(layer, Linear):
            W, b = layer.params["weight"], layer.params.get("bias")
            steps.append(lambda x, W=W, b=b: x @ W.T.astype(x.dtype)
                         + (0 if b is None else b.astype(x.dtype)))
        else:
            return None
        i += 1

    def forward(x: np.ndarray) -> np.ndarray:
        out = np.ascontiguousarray(x.transpose(0, 2, 3, 1))            # NCHW -> NHWC
        for step in steps:
            out = step(out)
        return out

    return forward


def fast_forward(model: Sequential) -> Callable[[np.ndarray], np.ndarray]:
    """The compiled forward of ``model``, or ``model.forward`` when it cannot be compiled."""
    return compile_forward(model) or model.forward
