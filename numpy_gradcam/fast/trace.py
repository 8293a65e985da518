"""A forward pass whose batch is split over the worker threads, and the backward passes of it.

The reference :meth:`~numpy_gradcam.nn.Sequential.trace` records one pass over the whole batch.
Every layer treats the images of a batch independently at evaluation time (BatchNorm uses its
running statistics), so the batch can be cut into one chunk per worker thread, each chunk traced
by the reference engine itself, and every backward pass run chunk by chunk on the same threads:
image ``n``'s gradients depend on image ``n`` alone. :class:`SplitTrace` is that set of reference
traces; with one chunk (``threads=1``, or one image) it is the reference trace, unchanged.

Shapes: ``x`` ``(N, C, H, W)``; the seeds ``dy`` ``(N, classes)`` or ``(T, N, classes)``; every
result has the batch axis where the reference's has it (after a leading target axis ``T``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..nn import Sequential, Trace
from .workers import get_threads, parallel_map


class SplitTrace:
    """``traces``: the reference :class:`~numpy_gradcam.nn.Trace` of each chunk of the batch, in
    order (one chunk: the whole batch). ``outputs[name]`` joins a layer's output along the batch
    axis when first asked for."""

    def __init__(self, model: Sequential, x: np.ndarray, traces: list[Trace]):
        self.model, self.x, self.traces = model, x, traces
        self.outputs = _Joined(traces)

    @property
    def logits(self) -> np.ndarray:
        """``(N, classes)``."""
        return self.outputs[self.model.layer_names[-1]]

    def _per_chunk(self, dy: np.ndarray, backward) -> np.ndarray:
        """``backward(trace, dy_chunk)`` for each chunk on the workers, joined on the batch axis
        (``dy.ndim - 2``: after any leading target axis)."""
        if dy.ndim not in (2, 3) or dy.shape[-2:] != self.logits.shape:
            raise ValueError(f"dy must have the logits' shape {self.logits.shape} (or (T, *"
                             f"{self.logits.shape}) for T targets at once), got {dy.shape}")
        axis = dy.ndim - 2
        sizes = np.cumsum([len(t.x) for t in self.traces])[:-1]
        parts = parallel_map(lambda pair: backward(*pair),
                             zip(self.traces, np.split(dy, sizes, axis=axis), strict=True))
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=axis)

    def backward_to(self, dy, layer: str, rule: str = "standard") -> np.ndarray:
        """:meth:`~numpy_gradcam.nn.Sequential.backward_to` of the whole batch."""
        return self._per_chunk(np.asarray(dy), lambda trace, d: self.model.backward_to(
            trace, d, layer, rule))

    def backward_to_input(self, dy, rule: str = "standard") -> np.ndarray:
        """:meth:`~numpy_gradcam.nn.Sequential.backward_to_input` of the whole batch."""
        return self._per_chunk(np.asarray(dy), lambda trace, d: self.model.backward_to_input(
            trace, d, rule))


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


def trace(model: Sequential, x: np.ndarray, threads: int | None = None) -> SplitTrace:
    """``model.trace(x)`` (evaluation mode) split into ``min(threads, N)`` chunks of images, each
    traced on a worker thread (``threads`` default :func:`~numpy_gradcam.fast.get_threads`).

    The model's weights are read live, at this call, as by ``model.trace``."""
    x = model.check_input(x)
    n = min(get_threads() if threads is None else threads, len(x))    # chunks
    chunks = np.array_split(x, n) if n > 1 else [x]
    return SplitTrace(model, x, parallel_map(model.trace, chunks))
