r"""A forward pass compiled for inference on large batches: what Score-CAM and occlusion run
thousands of times.

The engine's :meth:`~numpy_gradcam.nn.Sequential.forward` is the reference, written to be read
and differentiated. For a forward pass alone these rearrangements give the same numbers faster:

1. **CNHW layout.** Activations are ``(C, N, H, W)`` (channels first, then the batch). A
   convolution is then *one* matrix product ``W (F, kh·kw·C) @ cols (kh·kw·C, N·Ho·Wo)``
   whose result ``(F, N·Ho·Wo)`` is already the next layer's CNHW input, and each row of
   ``cols`` is one channel plane shifted by one kernel offset.
2. **Rows of cols are contiguous copies (stride 1).** The input is stored flat, each row of
   ``W`` pixels followed by ``pw`` zeros and each image by ``ph`` zero rows: the zeros after
   one row are the left padding of the next, those after one image the top padding of the
   next. In this layout a kernel offset ``(i, j)`` is a single shift of the flat index,

   .. math::

       \mathrm{cols}_{(i, j, c),\, l} = x^{\mathrm{flat}}_{c,\; l + (i - p_h) P + (j - p_w)},
       \qquad P = W + p_w,

   so ``cols`` is ``kh·kw`` block copies of ``(C, L)`` instead of a gather of short runs. The
   product is computed at every flat position ``l`` (``L = N (H + p_h) P``) and the outputs
   at the padding positions are dropped: ``(H + p_h)(W + p_w) / (H_o W_o)`` times the useful
   work, 1.03 (64×64) to 1.27 (8×8) on the tiny CNNs. Strided convolutions, and paddings as
   large as the kernel, take the plain im2col (the clear version,
   :func:`~numpy_gradcam.fast.buffers.gather_layout`); the
   tests compare both with a convolution computed by its definition.
3. **BatchNorm folded into the convolution.** At inference BatchNorm is ``y = s·x + t`` per
   channel, so ``BN(conv(x)) = conv'(x)`` with weight ``s_f W_f`` and bias ``s_f b_f + t_f``.
4. **Max-pooling before the bias and the ReLU.** For a max-pool after a convolution (with or
   without a ReLU between them), ``g(z) = z + b`` and ``g(z) = ReLU(z + b)`` are
   nondecreasing, and so are their floating-point versions (rounding to nearest is monotone),
   hence

   .. math::

       \max_{u \in P} g(z_u) = g\big(\max_{u \in P} z_u\big)

   *exactly*: the bias and the ReLU run on the pooled map, ``kh·kw`` times smaller. Pooling is
   separable, a maximum (or sum) over the window's rows and then over its columns. The bias and
   the ReLU's zeros are arrays of the map's full shape, made once per shape: for a broadcast
   operand (stride 0) NumPy's ``add`` and ``maximum`` take a slower loop, 3–4× slower than for
   two arrays of one shape.
5. **Cache-sized chunks on worker threads.** The batch is cut into chunks of :data:`CHUNK`
   images, small enough that a chunk's arrays stay in the processor's caches, and the chunks
   are spread over the worker threads (:mod:`~numpy_gradcam.fast.workers`, one BLAS thread
   each). Each thread keeps its scratch arrays (:mod:`~numpy_gradcam.fast.buffers`) from one
   chunk to the next, and from one compiled forward of a model to the next (they hang on the
   model, weakly): allocating them afresh (page faults on fresh memory) nearly doubled the time
   of a chunk, and cost a fifth of a batch-1 Score-CAM.

The result equals ``model.forward`` up to floating-point rounding (the sums run in another
order; ~1e-15 relative in float64), checked in the tests. :func:`compile_forward` returns None
for a model with a layer kind it does not know, and the callers then use ``model.forward``.

Shapes: ``x`` ``(N, C, H, W)`` in, logits ``(N, classes)`` out (NCHW at the boundary).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np

from ..nn import (
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
from .buffers import ConvBuffers, PoolBuffers, Scratch
from .workers import parallel_map

#: Images per chunk: small enough that a chunk's ``cols`` and outputs stay in the caches.
CHUNK = 4

#: The scratch of each model, shared by its compiled forwards and dropped with the model. Its
#: arrays depend on shapes only, never on weights (which may change between compiles), and each
#: key names everything that shapes its array.
_SCRATCH: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cast(array, dtype, cache: dict):
    """``array.astype(dtype)``, converted once per dtype."""
    if dtype not in cache:
        cache[dtype] = np.ascontiguousarray(array, dtype=dtype)
    return cache[dtype]


class TooSmall(ValueError):
    """An input smaller than a window of the compiled forward (a convolution's or a pool's):
    the callers then run the reference, whose error names the layer and the input."""


def _fits(size, kernel, stride, padding=(0, 0)) -> tuple[int, int]:
    """The output size ``(Ho, Wo)`` of a window of ``kernel`` over ``size``; TooSmall if none."""
    (H, W), (kh, kw), (sh, sw), (ph, pw) = size, kernel, stride, padding
    if H + 2 * ph < kh or W + 2 * pw < kw:
        raise TooSmall(f"an input of spatial size {(H, W)} is smaller than a window {kernel}")
    return (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1


def _conv_step(weight, bias, stride, padding, relu=False, pool=None):
    """``(C, N, H, W) -> (F, N, Ho, Wo)``: one matrix product, then (``pool = (kernel, stride)``)
    the max-pool, the bias, then (``relu``) the ReLU: the convolution followed by a ReLU and a
    max-pool, in the cheaper order of the module docstring (4)."""
    F, C, kh, kw = weight.shape
    W2 = weight.transpose(0, 2, 3, 1).reshape(F, kh * kw * C)      # columns in (i, j, c) order
    b = np.zeros(F) if bias is None else bias
    casts_W, biases = {}, Scratch()                                    # b broadcast, per shape
    flat = stride == (1, 1) and padding[0] < kh and padding[1] < kw
    config = (F, (kh, kw), stride, padding, flat, pool)

    def step(x, scratch, key):
        size = _fits(x.shape[2:], (kh, kw), stride, padding)
        if pool is not None:
            _fits(size, *pool)
        buffers = scratch.get((key, x.shape, x.dtype, config),
                              lambda: ConvBuffers(x.shape, x.dtype, *config))
        z = buffers.product(x, _cast(W2, x.dtype, casts_W))
        # The bias and the ReLU go over the pooled map, or else over the whole product: the
        # outputs at the flat layout's padding positions, which z leaves out, cost less than
        # the short rows of the view z.
        y = buffers.out if pool is None else buffers.pool.reduce(np.maximum)
        np.add(y, biases.get((y.shape, y.dtype), lambda: np.broadcast_to(
            b.astype(y.dtype).reshape((-1,) + (1,) * (y.ndim - 1)), y.shape).copy()), out=y)
        if relu:
            zeros = scratch.get(("zeros", y.shape, y.dtype), lambda: np.zeros_like(y))
            np.maximum(y, zeros, out=y)
        return z if pool is None else y

    return step


def _pool_step(kernel, stride, reduce):
    """``(C, N, H, W) -> (C, N, Ho, Wo)``: max or mean over each window."""
    def step(x, scratch, key):
        _fits(x.shape[2:], kernel, stride)
        if reduce == "max":
            return PoolBuffers(x, kernel, stride).reduce(np.maximum)
        return PoolBuffers(x, kernel, stride).reduce(np.add) / (kernel[0] * kernel[1])

    return step


def _relu(x, scratch, key):
    return np.maximum(x, 0)


def _bn_affine(bn: BatchNorm2d):
    """``(s, t)`` with ``BN(x) = s·x + t`` at inference, per channel."""
    inv_std = 1.0 / np.sqrt(bn.buffers["running_var"] + bn.eps)
    s = bn.params["weight"] * inv_std
    return s, bn.params["bias"] - bn.buffers["running_mean"] * s


def _bn_step(s, t):
    def step(x, scratch, key):
        return x * s.astype(x.dtype)[:, None, None, None] + t.astype(x.dtype)[:, None, None, None]

    return step


def _linear_step(W, b):
    """``(in, N) -> (out, N)``: features stay first."""
    def step(x, scratch, key):
        out = W.astype(x.dtype) @ x
        return out if b is None else out + b.astype(x.dtype)[:, None]

    return step


def _gap(x, scratch, key):
    return x.mean(axis=(2, 3))                                         # (C, N)


def _flatten(x, scratch, key):
    N = x.shape[1]
    return x.transpose(0, 2, 3, 1).reshape(-1, N)                      # NCHW feature order


def _fused(layers, i):
    """``(relu, pool, count)`` for the layers that follow a convolution from ``layers[i]``: a ReLU
    and then a max-pool (``(kernel, stride)``), each optional; ``count`` of them."""
    relu = i < len(layers) and isinstance(layers[i], ReLU)
    j = i + relu
    pool = None
    if j < len(layers) and isinstance(layers[j], MaxPool2d) and _compiles(layers[j]):
        pool = layers[j].kernel_size, layers[j].stride
    return relu, pool, relu + (pool is not None)


def _compiles(layer) -> bool:
    """Whether the compiler knows this layer's arithmetic: grouped convolutions and padded
    pooling are left to the reference."""
    if isinstance(layer, Conv2d):
        return getattr(layer, "groups", 1) == 1
    if isinstance(layer, (MaxPool2d, AvgPool2d)):
        return tuple(getattr(layer, "padding", (0, 0))) == (0, 0)
    return True


def compile_steps(model: Sequential, stop: str | None = None) -> list | None:
    """The steps ``step(x, scratch, key)`` of the compiled forward up to and including layer
    ``stop`` (None: all), or None."""
    top = list(model.children) if isinstance(model, Sequential) else []
    if not top or (stop is not None and stop not in top):
        return None                                  # a block's inside: left to the reference
    layers = list(model.children.values())[:None if stop is None else top.index(stop) + 1]
    steps, i = [], 0
    while i < len(layers):
        layer = layers[i]
        if not _compiles(layer):
            return None
        if isinstance(layer, Conv2d):
            weight = layer.params["weight"]
            bias = layer.params.get("bias")
            if i + 1 < len(layers) and isinstance(layers[i + 1], BatchNorm2d):
                s, t = _bn_affine(layers[i + 1])
                weight = weight * s[:, None, None, None]
                bias = t + (s * bias if bias is not None else 0.0)
                i += 1
            relu, pool, count = _fused(layers, i + 1)
            steps.append(_conv_step(weight, bias, layer.stride, layer.padding, relu, pool))
            i += count
        elif isinstance(layer, BatchNorm2d):
            steps.append(_bn_step(*_bn_affine(layer)))
        elif isinstance(layer, ReLU):
            steps.append(_relu)
        elif isinstance(layer, (MaxPool2d, AvgPool2d)):
            reduce = "max" if isinstance(layer, MaxPool2d) else "mean"
            steps.append(_pool_step(layer.kernel_size, layer.stride, reduce))
        elif isinstance(layer, GlobalAvgPool2d):
            steps.append(_gap)
        elif isinstance(layer, Flatten):
            steps.append(_flatten)
        elif isinstance(layer, Linear):
            steps.append(_linear_step(layer.params["weight"], layer.params.get("bias")))
        else:
            return None
        i += 1
    return steps


def compile_forward(model: Sequential, threads: int | None = None,
                    stop: str | None = None) -> Callable[[np.ndarray], np.ndarray] | None:
    """``forward(x)`` equal to ``model.forward(x)`` (see the module docstring), or None.

    With ``stop`` (a layer name), ``forward(x)`` is that layer's output instead of the logits,
    ``(N, ...)`` as the reference's ``trace(x).outputs[stop]`` (NCHW for a feature map).

    The weights are read now, once: ``forward`` computes with them as they were at this call
    (BatchNorm folded, kernels reshaped), whatever happens to ``model`` later. ``forward`` runs
    chunks of :data:`CHUNK` images on ``threads`` worker threads (None:
    :func:`~numpy_gradcam.fast.workers.get_threads`, read at each call); it may be called from
    several threads at once (each thread has its own scratch arrays, which live as long as
    ``model`` does).
    """
    steps = compile_steps(model, None if stop is None else model.resolve_layer(stop))
    if steps is None:
        return None
    scratch = _SCRATCH.setdefault(model, Scratch())

    def run_chunk(x: np.ndarray) -> np.ndarray:
        out = x.transpose(1, 0, 2, 3)                                  # NCHW -> CNHW view
        for index, step in enumerate(steps):
            out = step(out, scratch, index)
        return np.array(np.swapaxes(out, 0, 1))           # (N, classes) or NCHW, a copy

    def forward(x: np.ndarray) -> np.ndarray:
        chunks = [x[start:start + CHUNK] for start in range(0, len(x), CHUNK)] or [x]
        return np.concatenate(parallel_map(run_chunk, chunks, threads))

    return forward


def fast_forward(model: Sequential,
                 threads: int | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """The compiled forward of ``model``, or ``model.forward`` when it cannot be compiled (a
    layer kind the compiler does not know, or a model that is not a ``Sequential``)."""
    if not isinstance(model, Sequential):
        return model.forward
    return compile_forward(model, threads) or model.forward
