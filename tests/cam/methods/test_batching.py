"""run_batches: the batches, their order, and the threaded run."""

import threading

import numpy as np
import pytest

from numpy_gradcam.cam.methods.batching import live_maps, run_batches


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
    assert all(name.startswith("numpy-gradcam-batches") for *_, name in calls)


def test_serial_runs_in_the_calling_thread():
    score, calls = recording_score()
    run_batches(score, 10, 4, "test")
    assert [call[:2] for call in calls] == [(0, 4), (4, 8), (8, 10)]
    assert {name for *_, name in calls} == {threading.current_thread().name}


def test_no_items():
    score, calls = recording_score()
    assert run_batches(score, 0, 4, "test", threads=2).shape == (0,)
    assert calls == []


def test_live_maps_are_the_maps_with_any_nonzero_value():
    A = np.zeros((2, 3, 4, 4))
    A[0, 1, 3, 3] = 1e-300                                      # one tiny value keeps a map live
    A[1, 0] = -2.0                                              # negative counts too
    A[1, 2, 0, 1] = 5.0
    assert live_maps(A).tolist() == [[0, 1], [1, 0], [1, 2]]
    assert live_maps(np.zeros((2, 3, 4, 4))).shape == (0, 2)
