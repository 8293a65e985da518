"""The one timing rule of the benchmarks: the best of ``repeats`` runs, after a warm-up run.

The minimum is the least disturbed run on a shared machine; the warm-up keeps one-off costs
(allocations, lazy imports, caches) out of it.
"""

import ctypes
import ctypes.util
import time

#: glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def keep_freed_memory(size: int = 1 << 30) -> bool:
    """Make glibc's malloc keep freed memory for reuse, for this process (NumPy and torch alike).

    By default glibc returns large freed blocks to the system (``munmap``, or trimming the heap)
    and maps fresh pages for the next large array, so a loop that allocates the same arrays on
    every call pays a page fault for every 4 KiB it touches, every call. Raising the mmap and
    trim thresholds to ``size`` keeps those pages: the same as running with
    ``MALLOC_MMAP_THRESHOLD_=size MALLOC_TRIM_THRESHOLD_=size``. Returns False where the C
    library has no ``mallopt`` (not glibc), changing nothing.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, size)) and bool(mallopt(_M_TRIM_THRESHOLD, size))


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
