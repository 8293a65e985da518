"""Many forward passes in batches, on the worker threads, with a progress display.

Score-CAM, Ablation-CAM and occlusion each evaluate the model on many perturbed copies of the
input (or of ``A``). They describe the copies as ``M`` numbered items and a function that builds
and scores items ``[start, stop)``; :func:`run_batches` calls it ``batch_size`` items at a time,
so memory stays bounded by one batch per thread, with the batches spread over the worker threads
(:mod:`~numpy_gradcam.fast.workers`: building the copies runs in parallel as well as scoring
them), and shows a progress line when it takes over a second.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..progress import Progress
from .workers import get_threads, parallel_map


def run_batches(score: Callable[[int, int], np.ndarray], total: int, batch_size: int,
                label: str, threads: int | None = None) -> np.ndarray:
    """``concatenate([score(i, min(i + batch_size, total)) for i in range(0, total, batch_size)])``.

    ``score(start, stop)`` returns an array whose first axis has ``stop - start`` rows. With
    ``threads > 1`` (default :func:`~numpy_gradcam.fast.workers.get_threads`) it is called from
    that many threads at once, so it must not write to shared state, and the batches shrink
    below ``batch_size`` where that gives each thread one.
    """
    if total == 0:
        return np.zeros((0,))
    threads = get_threads() if threads is None else threads
    if threads > 1:
        batch_size = min(batch_size, -(-total // threads))             # ceil(total / threads)
    bounds = [(start, min(start + batch_size, total)) for start in range(0, total, batch_size)]
    with Progress(total, label, delay=1.0, unit="forwards") as bar:
        parts = parallel_map(lambda bound: score(*bound), bounds, threads,
                             done=lambda i: bar.update(bounds[i][1] - bounds[i][0]))
    return np.concatenate(parts, axis=0)
