"""Running many forward passes in batches, with a progress display for long runs.

Score-CAM, Ablation-CAM and occlusion each evaluate the model on many perturbed copies of the
input (or of ``A``). They describe the copies as ``M`` numbered items and a function that builds
and scores items ``[start, stop)``; :func:`run_batches` calls it ``batch_size`` items at a time,
so memory stays bounded by one batch, and shows a progress line when it takes over a second.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ...progress import Progress

DEFAULT_BATCH_SIZE = 64


def batch_size_option(options: dict) -> int:
    """``options["batch_size"]`` or :data:`DEFAULT_BATCH_SIZE` (validated by the pipeline)."""
    value = options.get("batch_size")
    return DEFAULT_BATCH_SIZE if value is None else int(value)


def run_batches(score: Callable[[int, int], np.ndarray], total: int, batch_size: int,
                label: str) -> np.ndarray:
    """``concatenate([score(i, min(i + batch_size, total)) for i in range(0, total, batch_size)])``.

    ``score(start, stop)`` returns an array whose first axis has ``stop - start`` rows.
    """
    if total == 0:
        return np.zeros((0,))
    parts = []
    with Progress(total, label, delay=1.0, unit="forwards") as bar:
        for start in range(0, total, batch_size):
            stop = min(start + batch_size, total)
            parts.append(score(start, stop))
            bar.update(stop - start)
    return np.concatenate(parts, axis=0)
