"""run_batches: the batches, their order, and the threaded run."""

import threading

import numpy as np
import pytest

from numpy_gradcam import fast
from numpy_gradcam.fast.batches import run_batches


def recording_score():
    """``score(start, stop)`` returning ``[start, stop)`` squared, recording its calls."""
    calls, lock = [], threading.Lock()

    def score(start, stop):
        with lock:
            calls.append((start, stop, threading.current_thread().name))
        return np.arange(start, stop, dtype=float) ** 2

    return score, calls


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_every_item_once_in_order(threads):
    score, calls = recording_score()
    out = run_batches(score, 23, 5, "test", threads)
    np.testing.assert_array_equal(out, np.arange(23, dtype=float) ** 2)
    assert sorted(call[:2] for call in calls) == [(0, 5), (5, 10), (10, 15), (15, 20), (20, 23)]


def test_batches_shrink_to_give_each_thread_one():
    """23 items, batch 64, 2 threads: two batches of at most 12, on the worker threads."""
    score, calls = recording_score()
    out = run_batches(score, 23, 64, "test", threads=2)
    np.testing.assert_array_equal(out, np.arange(23, dtype=float) ** 2)
    assert sorted(call[:2] for call in calls) == [(0, 12), (12, 23)]
    assert all(name.startswith("numpy-gradcam") for *_, name in calls)


@pytest.mark.parametrize("serial", ["threads=1", "set_threads(1)"])
def test_serial_runs_in_the_calling_thread(serial):
    score, calls = recording_score()
    if serial == "threads=1":
        run_batches(score, 10, 4, "test", threads=1)
    else:
        with fast.threads(1):
            run_batches(score, 10, 4, "test")
    assert [call[:2] for call in calls] == [(0, 4), (4, 8), (8, 10)]
    assert {name for *_, name in calls} == {threading.current_thread().name}


def test_a_worker_runs_its_own_batches_serially():
    """Called from a worker thread, run_batches starts no threads of its own: nested parallel
    sections never multiply the threads."""
    score, calls = recording_score()

    def job(_):
        run_batches(score, 10, 4, "test")
        return threading.current_thread().name

    with fast.threads(2):
        workers = fast.parallel_map(job, range(2))
    assert len(calls) == 6                                       # 3 batches per job
    assert {name for *_, name in calls} == set(workers)
    assert all(name.startswith("numpy-gradcam") for name in workers)


def test_no_items():
    score, calls = recording_score()
    assert run_batches(score, 0, 4, "test", threads=2).shape == (0,)
    assert calls == []
