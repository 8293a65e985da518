"""The one timing rule of the benchmarks: the best of ``repeats`` runs, after a warm-up run.

The minimum is the least disturbed run on a shared machine; the warm-up keeps one-off costs
(allocations, lazy imports, caches) out of it.
"""

import time


def best_s(fn, repeats: int, warm: bool = True) -> float:
    """Seconds of the fastest of ``repeats`` calls of ``fn()``."""
    if warm:
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
