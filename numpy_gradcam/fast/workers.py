"""Worker threads: how many, and how NumPy's work is spread over them.

NumPy releases the GIL in its copies, ufuncs and BLAS calls, so pieces of a batch given to
several threads run on several cores at once. Two rules make that pay:

- **How many.** By default, one worker per core this process may use
  (``os.sched_getaffinity``: a container or ``taskset`` may allow fewer cores than the machine
  has). :func:`set_threads` changes that for the process, :func:`threads` for a ``with`` block;
  ``1`` is the serial reference: everything in the caller's thread.
- **One BLAS thread per worker.** While the package computes, BLAS (OpenBLAS, MKL, BLIS) is held
  to one thread, through threadpoolctl, so that ``W`` workers use ``W`` cores and not
  ``W × cores`` threads that busy-wait for each other (measured here: 2–3× slower under that
  contention), and so that one worker computes the same bits as the serial reference. The
  limit is taken when the first section starts and given back when the last one ends.
- **A large lone item gets the threads through BLAS.** One image cannot be split over workers;
  its matrix products can: a section of one large item runs in the caller's thread with BLAS
  given the ``W`` threads (resnet18 on one 224×224 image, 2 threads: 42 → 26 ms), and the
  sections it starts itself run serially, so that the threads are never multiplied.

A worker that calls back into the accelerator runs that call serially: nested sections never
multiply the threads. Splitting a batch only changes which images a thread computes, never the
arithmetic of an image; the same inputs and the same setting give the same bits.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from .. import _validate

#: The environment variable that sets the default number of threads (else: the usable cores).
ENVIRONMENT = "NUMPY_GRADCAM_THREADS"

_setting: int | None = None                       # set_threads(); None: the default
_local = threading.local()                        # .worker is True inside a worker thread
_pools: dict[int, ThreadPoolExecutor] = {}
_blas = {"lock": threading.Lock(), "sections": 0, "limit": None, "controller": None,
         "modules": 0}


def usable_cores() -> int:
    """The cores this process may run on (``os.sched_getaffinity``; ``os.cpu_count`` where the
    platform has no affinity, e.g. macOS)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:                         # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def default_threads() -> int:
    """``$NUMPY_GRADCAM_THREADS`` when set, else :func:`usable_cores`."""
    value = os.environ.get(ENVIRONMENT)
    if value is None:
        return usable_cores()
    try:
        return _validate.positive_int(int(value), ENVIRONMENT)
    except ValueError:
        raise ValueError(f"{ENVIRONMENT} must be an integer >= 1, got {value!r}") from None


def get_threads() -> int:
    """The threads a parallel section may use now: 1 inside a worker, else the setting."""
    if getattr(_local, "worker", False):
        return 1
    return default_threads() if _setting is None else _setting


def set_threads(n: int | None) -> None:
    """Use ``n`` threads from now on (``1``: the serial reference; ``None``: the default)."""
    global _setting
    _setting = None if n is None else _validate.positive_int(n, "threads")


@contextmanager
def threads(n: int | None):
    """``with threads(1): ...`` runs the block with ``n`` threads, then restores the setting."""
    global _setting
    previous = _setting
    set_threads(n)
    try:
        yield
    finally:
        _setting = previous


def _pool(workers: int) -> ThreadPoolExecutor:
    """The long-lived pool of ``workers`` threads (creating threads per call would cost more than
    a small batch takes)."""
    if workers not in _pools:
        _pools[workers] = ThreadPoolExecutor(workers, thread_name_prefix="numpy-gradcam",
                                             initializer=_mark_worker)
    return _pools[workers]


def _mark_worker():
    _local.worker = True


@contextmanager
def blas_threads(n: int = 1):
    """Hold BLAS to ``n`` threads while at least one parallel section runs (reference-counted,
    so that concurrent sections do not give the limit back under each other's feet; the first
    section sets the limit, the others run under it)."""
    with _blas["lock"]:
        if _blas["sections"] == 0:
            if _blas["controller"] is None or _blas["modules"] != len(sys.modules):
                # Scan the loaded BLAS libraries (0.8 ms), again whenever modules were imported
                # since: one imported later (scipy.linalg's, a library's own) must be held too.
                from threadpoolctl import ThreadpoolController
                _blas["controller"] = ThreadpoolController()
                _blas["modules"] = len(sys.modules)
            _blas["limit"] = _blas["controller"].limit(limits=n, user_api="blas")
        _blas["sections"] += 1
    try:
        yield
    finally:
        with _blas["lock"]:
            _blas["sections"] -= 1
            if _blas["sections"] == 0:
                _blas["limit"].restore_original_limits()


def one_blas_thread():
    """:func:`blas_threads` ``(1)``: what a section of several workers needs."""
    return blas_threads(1)


@contextmanager
def _as_worker():
    """Run a block as a worker does: the sections it starts run serially."""
    before = getattr(_local, "worker", False)
    _local.worker = True
    try:
        yield
    finally:
        _local.worker = before


#: The least work (``lone_work``: the numbers of an item's input) for which a lone item gives
#: its threads to BLAS. Below it OpenBLAS's threads cost more than they give: after a threaded
#: call they spin for a while (~0.1 s), taking a core from the workers that run next
#: (tinycnn-gap's batch-1 Score-CAM at 64×64 went from 6.3 to 8.3 ms when every lone item did).
LONE_BLAS_FROM = 3 * 128 * 128


def parallel_map(fn: Callable, items: Iterable, workers: int | None = None,
                 done: Callable[[int], None] | None = None, lone_work: int = 0) -> list:
    """``[fn(item) for item in items]``, the items spread over ``workers`` threads (default
    :func:`get_threads`; in the caller's thread when one suffices), BLAS held to one thread
    throughout. A lone item (a batch of one image cannot be split) whose ``lone_work`` is at
    least :data:`LONE_BLAS_FROM` runs in the caller's thread with the ``workers`` threads given
    to BLAS instead, its own sections serial. ``done(i)`` is called in the caller's thread as
    each result ``i`` arrives, in order (for a progress display)."""
    items = list(items)
    requested = get_threads() if workers is None else workers
    if len(items) == 1 and requested > 1 and lone_work >= LONE_BLAS_FROM:
        with blas_threads(requested), _as_worker():
            result = fn(items[0])
        if done is not None:
            done(0)
        return [result]
    workers = min(requested, len(items))
    results = []
    with one_blas_thread():
        mapped = _pool(workers).map(fn, items) if workers > 1 else map(fn, items)
        for i, result in enumerate(mapped):
            results.append(result)
            if done is not None:
                done(i)
    return results
