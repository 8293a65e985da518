"""Running many forward passes in batches, with a progress display for long runs.

Score-CAM, Ablation-CAM and occlusion each evaluate the model on many perturbed copies of the
input (or of ``A``). They describe the copies as ``M`` numbered items and a function that builds
and scores items ``[start, stop)``; :func:`run_batches` calls it ``batch_size`` items at a time,
so memory stays bounded by one batch per thread, and shows a progress line when it takes over a
second. With ``threads > 1`` the batches run on that many worker threads (NumPy releases the GIL
in its copies, ufuncs and BLAS), building the copies as well as scoring them in parallel.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..._threads import pool
from ...progress import Progress

DEFAULT_BATCH_SIZE = 64

def live_maps(A: np.ndarray) -> np.ndarray:
    """The pairs ``(n, k)`` ``(P, 2)`` of the feature maps ``A`` ``(N, K, h, w)`` that are not zero
    everywhere: Score-CAM and Ablation-CAM perturb only these (a dead map changes nothing)."""
    return np.argwhere(A.reshape(*A.shape[:2], -1).any(axis=2))


def batch_size_option(options: dict) -> int:
    """``options["batch_size"]`` or :data:`DEFAULT_BATCH_SIZE` (validated by the pipeline)."""
    value = options.get("batch_size")
    return DEFAULT_BATCH_SIZE if value is None else int(value)


def run_batches(score: Callable[[int, int], np.ndarray], total: int, batch_size: int,
                label: str, threads: int = 1) -> np.ndarray:
    """``concatenate([score(i, min(i + batch_size, total)) for i in range(0, total, batch_size)])``.

    ``score(start, stop)`` returns an array whose first axis has ``stop - start`` rows. With
    ``threads > 1`` it is called from that many threads at once, so it must not write to shared
    state (and should not start threads of its own), and the batches shrink below
    ``batch_size`` where that gives each thread one.
    """
    if total == 0:
        return np.zeros((0,))
    if threads > 1:
        batch_size = min(batch_size, -(-total // threads))             # ceil(total / threads)
    bounds = [(start, min(start + batch_size, total)) for start in range(0, total, batch_size)]
    threads = min(threads, len(bounds))
    if threads > 1:
        results = pool(threads, "batches").map(lambda bound: score(*bound), bounds)
    else:
        results = (score(start, stop) for start, stop in bounds)
    parts = []
    with Progress(total, label, delay=1.0, unit="forwards") as bar:
        for (start, stop), part in zip(bounds, results, strict=True):
            parts.append(part)
            bar.update(stop - start)
    return np.concatenate(parts, axis=0)
