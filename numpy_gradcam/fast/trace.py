"""A forward pass whose batch is split over the worker threads, and the backward passes of it.

The reference :meth:`~numpy_gradcam.nn.Module.trace` records one pass over the whole batch.
Every layer treats the images of a batch independently at evaluation time (BatchNorm uses its
running statistics), so the batch can be cut into one chunk per worker thread, each chunk traced
by the reference engine itself, and every backward pass run chunk by chunk on the same threads:
image ``n``'s gradients depend on image ``n`` alone. :class:`SplitTrace` is that set of reference
traces; with ``threads=1`` it is the reference's trace of the whole batch, unchanged.

**Starting at a layer.** Grad-CAM needs the activations ``A`` of one layer and the backward pass
from the logits down to that layer, never the caches below it. With ``start=layer`` the layers
up to ``layer`` run as the compiled inference forward (:mod:`~numpy_gradcam.fast.compiled`,
equal to the reference's up to rounding) and only the layers after it are traced, by the
reference's :meth:`~numpy_gradcam.nn.Module.trace_from`: ``outputs[layer]`` is ``A`` and
``backward_to(dy, layer)`` is ``∂(Σ dy·logits)/∂A``; the layers before ``layer`` are not kept.

Shapes: ``x`` ``(N, C, H, W)``; the seeds ``dy`` ``(N, classes)`` or ``(T, N, classes)``; every
result has the batch axis where the reference's has it (after a leading target axis ``T``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..nn import Module, Trace
from .compiled import TooSmall, compile_forward
from .workers import get_threads, parallel_map


class SplitTrace:
    """``traces``: the reference :class:`~numpy_gradcam.nn.Trace` of each chunk of the batch, in
    order (one chunk: the whole batch); each starts at layer ``start`` (None: at the input).
    ``outputs[name]`` joins a layer's output along the batch axis when first asked for."""

    def __init__(self, model: Module, x: np.ndarray, traces: list[Trace],
                 start: str | None = None):
        self.model, self.x, self.traces, self.start = model, x, traces, start
        self.outputs = _Joined(traces)
        self._logits = None

    @property
    def logits(self) -> np.ndarray:
        """``(N, classes)``."""
        if len(self.traces) == 1:
            return self.traces[0].logits
        if self._logits is None:
            self._logits = np.concatenate([t.logits for t in self.traces])
        return self._logits

    def _map(self, fn, dy: np.ndarray, axis: int = 0) -> list:
        """``fn(trace, dy_chunk)`` for each chunk on the workers, ``dy`` cut along ``axis`` (its
        batch axis) as the batch was."""
        sizes = np.cumsum([len(t.x) for t in self.traces])[:-1]
        return parallel_map(lambda pair: fn(*pair),
                            zip(self.traces, np.split(dy, sizes, axis=axis), strict=True),
                            lone_work=sum(t.x.size for t in self.traces))   # x, or A

    def _per_chunk(self, dy, backward) -> np.ndarray:
        """``backward(trace, dy_chunk)`` for each chunk, joined on the batch axis (``dy.ndim - 2``:
        after any leading target axis)."""
        dy = np.asarray(dy)
        if dy.ndim not in (2, 3) or dy.shape[-2:] != self.logits.shape:
            raise ValueError(f"dy must have the logits' shape {self.logits.shape} (or (T, *"
                             f"{self.logits.shape}) for T targets at once), got {dy.shape}")
        parts = self._map(backward, dy, axis=dy.ndim - 2)
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=dy.ndim - 2)

    def backward_to(self, dy, layer: str, rule: str = "standard") -> np.ndarray:
        """:meth:`~numpy_gradcam.nn.Module.backward_to` of the whole batch."""
        return self._per_chunk(dy, lambda trace, d: self.model.backward_to(trace, d, layer, rule))

    def backward(self, dy, input_grad: bool = True):
        """:meth:`~numpy_gradcam.nn.Module.backward` of the whole batch: ``(dx, grads)``,
        ``dx`` joined along the batch axis, each parameter's gradient summed over the chunks
        (it is a sum over the images)."""
        dy = np.asarray(dy)
        if dy.shape != self.logits.shape:
            raise ValueError(f"dy must have the logits' shape {self.logits.shape} for backward, "
                             f"got {dy.shape}")
        parts = self._map(lambda trace, d: self.model.backward(trace, d, input_grad), dy)
        grads = {key: sum(g[key] for _, g in parts) for key in parts[0][1]}
        if not input_grad:
            return None, grads
        return (parts[0][0] if len(parts) == 1 else np.concatenate([dx for dx, _ in parts])), grads

    def backward_to_input(self, dy, rule: str = "standard") -> np.ndarray:
        """:meth:`~numpy_gradcam.nn.Module.backward_to_input` of the whole batch."""
        return self._per_chunk(dy, lambda trace, d: self.model.backward_to_input(trace, d, rule))


class _Joined(Mapping):
    """Each layer's output over the chunks, concatenated along the batch axis on first use."""

    def __init__(self, traces: list[Trace]):
        self._traces, self._joined = traces, {}

    def __getitem__(self, name):
        if len(self._traces) == 1:
            return self._traces[0].outputs[name]
        if name not in self._joined:
            self._joined[name] = np.concatenate([t.outputs[name] for t in self._traces])
        return self._joined[name]

    def __iter__(self):
        return iter(self._traces[0].outputs)

    def __len__(self):
        return len(self._traces[0].outputs)


def trace(model: Module, x: np.ndarray, threads: int | None = None,
          start: str | None = None) -> SplitTrace:
    """``model.trace(x)`` (evaluation mode) split into ``min(threads, N)`` chunks of images, each
    traced on a worker thread (``threads`` default :func:`~numpy_gradcam.fast.get_threads`).

    ``start``: the first layer whose output (and every later layer's cache) the caller needs;
    the layers up to it run compiled (see the module docstring). Every layer is traced by the
    reference instead with ``start=None``, with one thread (the serial reference), for a model
    the compiler does not know (or a ``start`` inside one of its blocks).

    The model's weights are read live, at this call, as by ``model.trace``."""
    x = model.check_input(x)
    threads = get_threads() if threads is None else threads
    n = min(threads, len(x))                                           # chunks
    chunks = np.array_split(x, n) if n > 1 else [x]
    start = None if start is None else model.resolve_layer(start)
    prefix = None
    if start is not None and threads > 1:
        prefix = compile_forward(model, threads=1, stop=start, cut=True, dtype=x.dtype)
    if prefix is None:
        return SplitTrace(model, x, parallel_map(model.trace, chunks, lone_work=x.size))
    try:
        traces = parallel_map(lambda chunk: model.trace_from(start, prefix(chunk)), chunks,
                              lone_work=x.size)
    except TooSmall:
        model.trace(x)                    # the reference's error names the layer and the input
        raise
    return SplitTrace(model, x, traces, start)
