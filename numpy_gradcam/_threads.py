"""Long-lived worker threads for the parts that split NumPy work over the cores.

NumPy releases the GIL in its copies, ufuncs and BLAS calls, so a batch split over threads runs
on several cores at once (with one BLAS thread per worker, ``OPENBLAS_NUM_THREADS=1``). Creating
threads on every call would cost more than small batches take; the pools live for the process.
Each purpose has its own pools, so a task never waits for a worker of the pool it runs in.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

_POOLS: dict[tuple[str, int], ThreadPoolExecutor] = {}


def pool(threads: int, purpose: str) -> ThreadPoolExecutor:
    """The pool of ``threads`` workers for ``purpose`` (e.g. ``"trace"``), made on first use."""
    key = (purpose, threads)
    if key not in _POOLS:
        _POOLS[key] = ThreadPoolExecutor(threads, thread_name_prefix=f"numpy-gradcam-{purpose}")
    return _POOLS[key]
