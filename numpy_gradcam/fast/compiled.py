r"""A forward pass compiled for inference on large batches: what Score-CAM and occlusion run
thousands of times.

The engine's :meth:`~numpy_gradcam.nn.Module.forward` is the reference, written to be read and
differentiated. For a forward pass alone these rearrangements give the same numbers faster. The
model's calls come from its own ``forward_with`` (:mod:`~numpy_gradcam.fast.graph`): a chain of
layers, or blocks whose branches join in a residual sum, each call one node; the compiler lowers
the nodes to *steps*, several nodes to one step where they fuse:

1. **CNHW layout.** Activations are ``(C, N, H, W)`` (channels first, then the batch). A
   convolution is then *one* matrix product ``W (F, C·kh·kw) @ cols (C·kh·kw, N·Ho·Wo)``
   whose result ``(F, N·Ho·Wo)`` is already the next layer's CNHW input, and each row of
   ``cols`` is one channel plane shifted by one kernel offset.
2. **Rows of cols are contiguous copies (stride 1).** The input is stored flat, each row of
   ``W`` pixels followed by ``pw`` zeros and each image by ``ph`` zero rows: the zeros after
   one row are the left padding of the next, those after one image the top padding of the
   next. In this layout a kernel offset ``(i, j)`` is a single shift of the flat index,

   .. math::

       \mathrm{cols}_{(c, i, j),\, l} = x^{\mathrm{flat}}_{c,\; l + (i - p_h) P + (j - p_w)},
       \qquad P = W + p_w,

   so ``cols`` is ``kh·kw`` block copies of ``(C, L)`` instead of a gather of short runs. The
   product is computed at every flat position ``l`` (``L = N (H + p_h) P``) and the outputs
   at the padding positions are dropped: ``(H + p_h)(W + p_w) / (H_o W_o)`` times the useful
   work, 1.03 (64×64) to 1.27 (8×8) on the tiny CNNs. Strided convolutions, and paddings as
   large as the kernel, take the plain im2col (the clear version,
   :func:`~numpy_gradcam.fast.buffers.gather_layout`); the
   tests compare both with a convolution computed by its definition.
3. **BatchNorm and the bias folded into the product.** At inference BatchNorm is ``y = s·x +
   t`` per channel, so ``BN(conv(x)) = conv'(x)`` with weight ``s_f W_f`` and bias ``s_f b_f +
   t_f``; the bias is then one more column of ``W`` against a row of ones in ``cols``, so the
   product holds it. The activation after it (ReLU, ReLU6), and the ReLU after a residual sum,
   run in place on the step's own output. A 1×1 convolution without stride or padding needs no
   ``cols``: its input is already ``(C, N·H·W)``. A depthwise convolution has no matrix
   product worth the name: it is ``kh·kw`` shifted copies of the input (``windows``), each
   times its per-channel weight, a block of channels at a time so that the passes stay in
   cache.
4. **Max-pooling before the activation.** For a max-pool after a convolution (with or without
   a ReLU or ReLU6 between them), the activation ``g`` is nondecreasing, and so is its
   floating-point version, hence

   .. math::

       \max_{u \in P} g(z_u) = g\big(\max_{u \in P} z_u\big)

   *exactly*: the activation runs on the pooled map, ``kh·kw`` times smaller (``s²`` for the
   ResNet stem's 3×3 pool with stride 2). Pooling is separable, a maximum over the window's
   rows and then over its columns; a padded pool copies nothing, each kernel offset reaching
   only the outputs whose window holds an input pixel there (``-inf`` padding, PyTorch's).
5. **Cache-sized chunks on worker threads.** The batch is cut into chunks of :data:`CHUNK`
   images (more when they are small: :func:`images_per_chunk`), small enough that a chunk's
   arrays stay near the processor's caches, and the chunks are spread over the worker threads
   (:mod:`~numpy_gradcam.fast.workers`, one BLAS thread each; :func:`split_batch`). Each thread
   keeps its scratch arrays (:mod:`~numpy_gradcam.fast.buffers`) from one chunk to the next,
   and from one compiled forward of a model to the next (they hang on the model, weakly):
   allocating them afresh (page faults on fresh memory) nearly doubled the time of a chunk, and
   cost a fifth of a batch-1 Score-CAM. A step's output array serves again once no later step
   reads it, so a thread holds the outputs alive at one time, not all of them.

Layers that act on each ``(H, W)`` plane alone, or on each number (pools, adaptive pools, zero
padding, activations, Dropout and Identity at evaluation), run their own reference ``forward``
on the ``(C, N, H, W)`` arrays: it never looks at the first two axes. A per-channel affine map
(a BatchNorm that no convolution precedes, the input's ``Normalize``) is one step ``s·x + t``;
``Normalize`` is not folded into the convolution after it, whose zero padding would then pad
with another value.

The result equals ``model.forward`` up to floating-point rounding (the sums run in another
order; ~1e-15 relative in float64), checked in the tests. When the capture ends before the
logits (a head written as ``x.reshape(len(x), -1)``), the compiled part ends at the graph's
boundary and the reference runs the head (:meth:`~numpy_gradcam.nn.Module.forward_from`).
:func:`compile_forward` returns None for a model with a layer kind it does not know (a grouped
convolution that is not depthwise, a padded average pool), and the callers then use
``model.forward``.

Shapes: ``x`` ``(N, C, H, W)`` in, logits ``(N, classes)`` out (NCHW at the boundary).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from ..nn import (
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    GlobalAvgPool2d,
    Identity,
    Linear,
    MaxPool2d,
    Module,
    Normalize,
    ReLU,
    ReLU6,
    ZeroPad2d,
)
from ..nn.mbconv import Conv2dSamePadding
from .buffers import ConvBuffers, PoolBuffers, Scratch
from .graph import Node, capture
from .workers import get_threads, parallel_map

#: Images per chunk, at least: a product over the columns of fewer images runs below BLAS's
#: best (resnet18's layer4 on one 224×224 image is 512×4608 by 4608×63; one-image chunks made
#: its serial forward 7 % slower).
CHUNK = 4

#: Input numbers per chunk, at most, when small images make chunks of more than :data:`CHUNK`:
#: the steps' fixed costs (a few µs of Python each) are then shared by several images.
CHUNK_NUMBERS = 2**17


def images_per_chunk(image_shape) -> int:
    """How many images of ``image_shape`` ``(C, H, W)`` a chunk holds: :data:`CHUNK`, or as many
    as fill :data:`CHUNK_NUMBERS` (10 of 64×64)."""
    return max(CHUNK, CHUNK_NUMBERS // int(np.prod(image_shape)))


def split_batch(x: np.ndarray, threads: int) -> list[np.ndarray]:
    """``x`` cut into chunks of about :func:`images_per_chunk` images, as many chunks as a
    multiple of ``threads`` where the batch allows (so that no thread waits for another's
    extra chunk), of sizes that differ by one at most."""
    count = -(-len(x) // images_per_chunk(x.shape[1:]))                 # ⌈N / per chunk⌉
    count = min(len(x), -(-count // threads) * threads)
    return np.array_split(x, max(count, 1))


#: Channels per block of a depthwise convolution's passes (each block's planes stay in cache).
DEPTHWISE_NUMBERS = 2**16

#: The scratch of each model, shared by its compiled forwards and dropped with the model. Its
#: arrays depend on shapes only, never on weights (which may change between compiles), and each
#: key names everything that shapes its array.
_SCRATCH: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

#: Layers whose reference ``forward`` runs unchanged on ``(C, N, H, W)`` (see the docstring).
PLANE_WISE = (ReLU, ReLU6, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, ZeroPad2d, Dropout, Identity)

#: ``(low, high)`` of each activation that a step can apply in place (None: unbounded).
ACTIVATIONS = {ReLU: (0, None), ReLU6: (0, 6)}


class TooSmall(ValueError):
    """An input smaller than a window of the compiled forward (a convolution's or a pool's):
    the callers then run the reference, whose error names the layer and the input."""


def _fits(size, kernel, stride, padding=(0, 0, 0, 0)) -> tuple[int, int]:
    """The output size ``(Ho, Wo)`` of a window of ``kernel`` over ``size`` padded by ``(top,
    bottom, left, right)``; TooSmall if none."""
    (H, W), (kh, kw), (sh, sw), (top, bottom, left, right) = size, kernel, stride, padding
    H, W = H + top + bottom, W + left + right
    if H < kh or W < kw:
        raise TooSmall(f"an input of spatial size {size} is smaller than a window {kernel}")
    return (H - kh) // sh + 1, (W - kw) // sw + 1


def _cast(array, dtype, cache: dict):
    """``array.astype(dtype)``, converted once per dtype."""
    if dtype not in cache:
        cache[dtype] = np.ascontiguousarray(array, dtype=dtype)
    return cache[dtype]


def _activate(y, activation):
    """``activation`` ``(low, high)`` applied to ``y`` in place (None: nothing)."""
    if activation is not None:
        low, high = activation
        np.maximum(y, low, out=y) if high is None else np.clip(y, low, high, out=y)
    return y


def _padding(conv: Conv2d, size) -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)``: the zeros around an input of spatial size ``size``."""
    if isinstance(conv, Conv2dSamePadding):
        left, right, top, bottom = conv.zero_padding(size)
        return top, bottom, left, right
    (ph, pw) = conv.padding
    return ph, ph, pw, pw


def _bn_affine(bn: BatchNorm2d):
    """``(s, t)`` with ``BN(x) = s·x + t`` at inference, per channel."""
    inv_std = 1.0 / np.sqrt(bn.buffers["running_var"] + bn.eps)
    s = bn.params["weight"] * inv_std
    return s, bn.params["bias"] - bn.buffers["running_mean"] * s


def _folded(conv: Conv2d, bn: BatchNorm2d | None, dtype, bias_column=False):
    """``conv``'s weight ``(F, C/G·kh·kw)`` (the order of ``cols``) and bias ``(F,)`` with
    ``bn`` folded in (module docstring, 3), made in ``dtype`` in one pass over the weight (this
    runs at every compile: every ``fast.trace``); with ``bias_column`` the weight is ``(F,
    C/G·kh·kw + 1)``, the bias its last column. Each is a dict ``{dtype: array}`` for
    :func:`_cast`, which makes another dtype from it when a call needs one."""
    weight = conv.params["weight"]
    weight = weight.reshape(len(weight), -1)
    bias = conv.params.get("bias")
    bias = np.zeros(len(weight)) if bias is None else bias
    W = np.empty((len(weight), weight.shape[1] + bias_column), dtype=dtype)
    if bn is None:
        np.copyto(W[:, :weight.shape[1]], weight)
    else:
        s, t = _bn_affine(bn)
        np.multiply(weight, s[:, None], out=W[:, :weight.shape[1]])
        bias = t + s * bias
    if bias_column:
        W[:, -1] = bias
    return {W.dtype: W}, {W.dtype: np.asarray(bias, dtype=dtype)}


def _conv_step(conv, bn=None, activation=None, pool=None, dtype=np.float64, key=None):
    """``(C, N, H, W) -> (F, N, Ho, Wo)``: one matrix product (the bias in it), then (``pool =
    (kernel, stride, padding)``) the max-pool and the activation, in the cheaper order of the
    module docstring (4). ``key``: the step's own name in the scratch (a pooled map is its
    own)."""
    dtype = np.dtype(dtype)
    casts_W, casts_b = _folded(conv, bn, dtype, bias_column=True)   # columns (c, i, j), bias
    F, C, kh, kw = conv.params["weight"].shape
    K = C * kh * kw

    def step(x, space):
        padding = _padding(conv, x.shape[2:])
        size = _fits(x.shape[2:], (kh, kw), conv.stride, padding)
        if pool is not None:
            (ph, pw) = pool[2]
            _fits(size, pool[0], pool[1], (ph, ph, pw, pw))
        W = _cast(casts_W[dtype], x.dtype, casts_W)
        b = _cast(casts_b[dtype], x.dtype, casts_b)[:, None]
        if (kh, kw, *conv.stride, *padding) == (1, 1, 1, 1, 0, 0, 0, 0) and pool is None:
            # A pointwise convolution: the input is its own cols, (C, N·H·W).
            out = space.output((F, x[0].size), x.dtype)
            np.matmul(W[:, :K], np.ascontiguousarray(x).reshape(C, -1), out=out)
            return _activate(np.add(out, b, out=out), activation).reshape(F, *x.shape[1:])
        top, bottom, left, right = padding
        flat = conv.stride == (1, 1) and top == bottom < kh and left == right < kw
        config = (x.shape, x.dtype, (kh, kw), conv.stride, padding, flat)
        buffers = space.private(("conv", config), lambda: ConvBuffers(*config))
        cols = space.within_step((K + 1, buffers.M), x.dtype)
        if pool is None:
            # The bias is the product's last column of W against a row of ones in cols; the
            # activation goes over the whole product: the outputs at the flat layout's padding
            # positions, which z leaves out, cost less than z's short rows.
            out = space.output((F, buffers.M), x.dtype)
            z = buffers.product(x, W, out, cols)
            _activate(out, activation)
            return z
        # Pooled, the product lives within the step and the pooled map is the step's own: its
        # PoolBuffers, views of both, are made once.
        out = space.private(("product", F, buffers.M, x.dtype),
                            lambda: np.empty((F, buffers.M), x.dtype))
        z = buffers.product(x, W, out, cols)
        pooled = space.private(("pool", key, config), lambda: PoolBuffers(z, *pool))
        return _activate(pooled.reduce(np.maximum), activation)

    return step


def _depthwise_step(conv, bn=None, activation=None, dtype=np.float64):
    """``(C, N, H, W) -> (C, N, Ho, Wo)``: the depthwise convolution (module docstring, 3),
    ``Σ_ij w[c, i, j] · windows[c, i, j]`` over blocks of channels, then bias and activation."""
    dtype = np.dtype(dtype)
    casts_W, casts_b = _folded(conv, bn, dtype)                 # (C, kh·kw)
    C, _, kh, kw = conv.params["weight"].shape

    def step(x, space):
        padding = _padding(conv, x.shape[2:])
        _fits(x.shape[2:], (kh, kw), conv.stride, padding)
        top, bottom, left, right = padding
        flat = conv.stride == (1, 1) and top == bottom < kh and left == right < kw
        config = (x.shape, x.dtype, (kh, kw), conv.stride, padding, flat)
        buffers = space.private(("conv", config), lambda: ConvBuffers(*config))
        w = _cast(casts_W[dtype], x.dtype, casts_W)
        b = _cast(casts_b[dtype], x.dtype, casts_b)
        np.copyto(buffers.interior, x)
        flat_out = space.output((C, buffers.M), x.dtype)
        out = flat_out.reshape(C, *buffers.grid)
        term = space.within_step(out.shape, x.dtype)
        per_channel = (-1,) + (1,) * len(buffers.grid)
        block = max(1, DEPTHWISE_NUMBERS // buffers.M)
        for c in range(0, C, block):
            channels = slice(c, c + block)
            o, t = out[channels], term[channels]
            for k in range(kh * kw):
                run = buffers.windows[channels, k // kw, k % kw]       # x_p shifted by (i, j)
                if k == 0:
                    np.multiply(run, w[channels, k].reshape(per_channel), out=o)
                else:
                    np.add(o, np.multiply(run, w[channels, k].reshape(per_channel), out=t), out=o)
            _activate(np.add(o, b[channels].reshape(per_channel), out=o), activation)
        return buffers.z_of(flat_out)

    return step


def _affine_step(s, t):
    """``y = s·x + t`` per channel (the first axis): a BatchNorm no convolution precedes, or the
    input's normalisation (``Normalize.affine``)."""
    def step(x, space):
        shape = (-1,) + (1,) * (x.ndim - 1)
        return x * s.astype(x.dtype).reshape(shape) + t.astype(x.dtype).reshape(shape)

    return step


def _add_step(activation=None):
    """The residual sum ``a + b``, then ``activation`` in place."""
    def step(a, b, space):
        return _activate(np.add(a, b, out=space.output(a.shape, a.dtype)), activation)

    return step


def _plane_step(leaf):
    """A layer that acts on each plane or number alone: its own ``forward`` (see the docstring)."""
    def step(x, space):
        try:
            return leaf.forward(x)[0]
        except ValueError as error:                            # a window larger than the input
            raise TooSmall(str(error)) from error

    return step


def _linear_step(linear):
    """``(in, N) -> (out, N)``: features stay first."""
    W, b = linear.params["weight"], linear.params.get("bias")

    def step(x, space):
        out = W.astype(x.dtype) @ x
        return out if b is None else out + b.astype(x.dtype)[:, None]

    return step


def _gap(x, space):
    return x.mean(axis=(2, 3))                                         # (C, N)


def _flatten(x, space):
    N = x.shape[1]
    return x.transpose(0, 2, 3, 1).reshape(-1, N)                      # NCHW feature order


@dataclass
class Step:
    """``run(*inputs, space)``: the arrays of nodes ``inputs`` → the array of node ``output``
    (``space``: the thread's :class:`~numpy_gradcam.fast.buffers.Space` for this input shape)."""

    run: Callable
    inputs: tuple[int, ...]
    output: int


def _kind(node: Node):
    return type(node.leaf) if node.op == "call" else node.op


def lower(nodes: list[Node], output: Node, dtype=np.float64) -> list[Step] | None:
    """The steps that compute ``output`` from ``nodes`` (those it depends on, in call order),
    fused where a node's only reader continues it (module docstring), the weights made in
    ``dtype``; None for a layer kind the compiler does not know."""
    readers: dict[int, list[Node]] = {node.index: [] for node in nodes}
    for node in nodes:
        for source in node.inputs:
            readers[source.index].append(node)

    def sole(node, kinds):
        """The one reader of ``node`` if it is of one of ``kinds`` (and ``node`` is not the
        output, which must stay visible), else None."""
        if node is output or len(readers[node.index]) != 1:
            return None
        reader = readers[node.index][0]
        return reader if _kind(reader) in kinds else None

    def then(chain, kinds):
        """``chain`` continued by the sole reader of its last node, if of one of ``kinds``."""
        reader = sole(chain[-1], kinds)
        return chain if reader is None else [*chain, reader]

    steps, fused = [], set()
    for node in nodes[1:]:                                              # nodes[0]: the input
        if node.index in fused:
            continue
        leaf, chain = node.leaf, [node]
        if node.op == "add":
            chain = then(chain, ACTIVATIONS)
            make = partial(_add_step, _activation(chain))
        elif isinstance(leaf, Conv2d):
            chain = then(then(chain, (BatchNorm2d,)), ACTIVATIONS)
            bn = next((n.leaf for n in chain if isinstance(n.leaf, BatchNorm2d)), None)
            activation = _activation(chain)
            if leaf.groups == 1:
                pooled = then(chain, (MaxPool2d,))
                pool = pooled[-1].leaf if len(pooled) > len(chain) else None
                if pool is not None:
                    chain, pool = pooled, (pool.kernel_size, pool.stride, pool.padding)
                make = partial(_conv_step, leaf, bn, activation, pool, dtype, chain[-1].index)
            elif leaf.groups == leaf.in_channels == leaf.out_channels:
                make = partial(_depthwise_step, leaf, bn, activation, dtype)
            else:
                return None                          # grouped, or a depth multiplier above 1
        elif isinstance(leaf, PLANE_WISE):
            make = partial(_plane_step, leaf)
        elif isinstance(leaf, BatchNorm2d):
            make = partial(_affine_step, *_bn_affine(leaf))
        elif isinstance(leaf, Normalize):
            make = partial(_affine_step, *leaf.affine())
        elif isinstance(leaf, GlobalAvgPool2d):
            make = partial(lambda: _gap)
        elif isinstance(leaf, Flatten):
            make = partial(lambda: _flatten)
        elif isinstance(leaf, Linear):
            make = partial(_linear_step, leaf)
        else:
            return None
        fused.update(n.index for n in chain)
        steps.append((make, tuple(source.index for source in node.inputs), chain[-1].index))
    # Each step made on the workers: a convolution's folds one weight, memory-bound, and the
    # folds are the compile's whole cost (~20 ms of a resnet18's at every fast.trace). A tiny
    # CNN's take less than handing them to the workers does.
    weights = sum(n.leaf.params["weight"].size for n in nodes if isinstance(n.leaf, Conv2d))
    runs = parallel_map(lambda step: step[0](), steps, None if weights >= 2**20 else 1)
    return [Step(run, inputs, output) for run, (_, inputs, output) in zip(runs, steps,
                                                                          strict=True)]


def _activation(chain: list[Node]):
    """The ``(low, high)`` of the activation that ends ``chain``, or None."""
    return ACTIVATIONS.get(_kind(chain[-1]))


@dataclass
class Program:
    """What :func:`compile_forward` runs: ``steps`` from the input to node ``output``, then
    ``head`` (a layer name) when the reference runs the rest from that layer's output."""

    steps: list[Step]
    output: int
    head: str | None = None


def compile_program(model: Module, stop: str | None = None, cut: bool = False,
                    dtype=np.float64) -> Program | None:
    """The program of the compiled forward up to the output of layer ``stop`` (None: the
    logits), or None: a layer kind the compiler does not know, or a ``stop`` it cannot reach.

    ``cut``: ``stop`` must also be where a chain passes (:meth:`Graph.is_cut
    <numpy_gradcam.fast.graph.Graph.is_cut>`), so that a pass can start there.
    When the capture ended at a head (see :mod:`~numpy_gradcam.fast.graph`), the layers under
    a top-level child called once before it are reachable: the head is taken to call only the
    children not yet called, as every architecture here does.
    """
    graph = capture(model)
    head = None
    if stop is None:
        if graph.complete:
            output = graph.logits
        elif graph.boundary is not None and graph.is_cut(graph.boundary):
            output, head = graph.outputs[graph.boundary], graph.boundary
        else:
            return None
    else:
        if stop not in graph.outputs or (cut and not graph.is_cut(stop)):
            return None
        if not graph.complete and graph.calls[stop.split(".")[0]] != 1:
            return None                              # a shared top-level child: the head's too?
        output = graph.outputs[stop]
    steps = lower(graph.upto(output), output, dtype)
    return None if steps is None else Program(steps, output.index, head)


def compile_steps(model: Module, stop: str | None = None) -> list[Step] | None:
    """The steps of the compiled forward up to the output of layer ``stop`` (None: up to the
    logits, or to the head), or None."""
    program = compile_program(model, stop)
    return None if program is None else program.steps


def compile_forward(model: Module, threads: int | None = None, stop: str | None = None,
                    cut: bool = False, dtype=np.float64
                    ) -> Callable[[np.ndarray], np.ndarray] | None:
    """``forward(x)`` equal to ``model.forward(x)`` (see the module docstring), or None.

    With ``stop`` (a layer name), ``forward(x)`` is that layer's output instead of the logits,
    ``(N, ...)`` as the reference's ``trace(x).outputs[stop]`` (NCHW for a feature map); with
    ``cut``, only where a pass may start (:func:`compile_program`).

    The weights are read now, once: ``forward`` computes with them as they were at this call
    (BatchNorm folded, kernels reshaped), whatever happens to ``model`` later, made in ``dtype``
    (the inputs' dtype when it is known: another costs one more pass, at its first call).
    ``forward`` runs chunks (:func:`images_per_chunk`) on ``threads`` worker threads (None:
    :func:`~numpy_gradcam.fast.workers.get_threads`, read at each call); it may be called from
    several threads at once (each thread has its own scratch arrays, which live as long as
    ``model`` does). A head left to the reference reads the weights live, at each call.
    """
    program = compile_program(model, None if stop is None else model.resolve_layer(stop), cut,
                              np.dtype(dtype))
    if program is None:
        return None
    scratch = _SCRATCH.setdefault(model, Scratch())
    steps, output = program.steps, program.output
    last_read = {i: position for position, step in enumerate(steps) for i in step.inputs}

    def run_chunk(x: np.ndarray) -> np.ndarray:
        space = scratch.space((x.shape, x.dtype))
        values = {0: x.transpose(1, 0, 2, 3)}                          # NCHW -> CNHW view
        try:
            for position, step in enumerate(steps):
                value = step.run(*(values[i] for i in step.inputs), space)
                space.hold(value)
                values[step.output] = value
                for i in set(step.inputs):                             # read for the last time
                    if last_read[i] == position and i != output:
                        space.release(values.pop(i))
            out = np.array(np.swapaxes(values[output], 0, 1))          # NC... again, a copy
        finally:
            space.release_all()
        return out if program.head is None else model.trace_from(program.head, out).logits

    def forward(x: np.ndarray) -> np.ndarray:
        chunks = split_batch(x, get_threads() if threads is None else threads)
        return np.concatenate(parallel_map(run_chunk, chunks, threads, lone_work=x.size))

    return forward


def fast_forward(model: Module,
                 threads: int | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """The compiled forward of ``model``, or ``model.forward`` when it cannot be compiled (a
    layer kind the compiler does not know)."""
    return compile_forward(model, threads) or model.forward
