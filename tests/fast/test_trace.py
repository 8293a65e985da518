"""A batch traced on the worker threads: each chunk the reference's own trace, every result the
reference's."""

import os

import numpy as np
import pytest

from numpy_gradcam import fast
from tests.nn.test_sequential import small_model


@pytest.mark.parametrize("threads", [2, 3])
def test_a_batch_split_over_threads_gives_the_reference_results(threads):
    model = small_model(3)
    rng = np.random.default_rng(9)
    x = rng.standard_normal((5, 2, 6, 6))                            # 5 images: uneven chunks
    reference = model.trace(x)
    split = fast.trace(model, x, threads=threads)
    assert len(split.traces) == threads
    assert [len(t.x) for t in split.traces] == [len(c) for c in np.array_split(x, threads)]
    for name in model.layer_names:
        np.testing.assert_allclose(split.outputs[name], reference.outputs[name], rtol=1e-13,
                                   atol=1e-15)
    seeds = rng.standard_normal((4, 5, 3))                           # 4 targets at once
    np.testing.assert_allclose(split.backward_to(seeds, "relu1"),
                               model.backward_to(reference, seeds, "relu1"), atol=1e-15)
    np.testing.assert_allclose(split.backward_to_input(seeds[0], rule="guided"),
                               model.backward_to_input(reference, seeds[0], rule="guided"),
                               atol=1e-15)
    (dx_split, grads_split), (dx, grads) = (split.backward(seeds[0]),
                                            model.backward(reference, seeds[0]))
    np.testing.assert_allclose(dx_split, dx, atol=1e-15)
    assert grads_split.keys() == grads.keys()
    for key in grads:
        np.testing.assert_allclose(grads_split[key], grads[key], rtol=1e-12, atol=1e-14)
    assert split.backward(seeds[0], input_grad=False)[0] is None


def test_one_thread_is_the_reference_trace_itself():
    """threads=1: one chunk, the whole batch, every cache kept, the same bits."""
    model = small_model(4)
    x = np.random.default_rng(1).standard_normal((4, 2, 6, 6))
    with fast.threads(1):
        split = fast.trace(model, x)
    reference = model.trace(x)
    (only,) = split.traces
    assert only.x is split.x and list(only.caches) == model.layer_names
    for name in model.layer_names:
        assert split.outputs[name] is only.outputs[name]
        np.testing.assert_array_equal(split.outputs[name], reference.outputs[name])
    dy = np.random.default_rng(2).standard_normal((4, 3))
    np.testing.assert_array_equal(split.backward_to(dy, "relu2"),
                                  model.backward_to(reference, dy, "relu2"))


@pytest.mark.parametrize("threads", [2, 3])
def test_a_trace_started_at_a_layer_gives_the_reference_results_from_it(threads):
    """start="pool1": the layers up to pool1 compiled, the rest traced; A and the backward pass
    down to it equal the reference's, and the earlier layers are not kept."""
    model = small_model(7)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((5, 2, 6, 6))
    reference = model.trace(x)
    split = fast.trace(model, x, threads=threads, start="pool1")
    assert split.start == "pool1" and len(split.traces) == threads
    assert list(split.outputs) == ["pool1", "conv2", "bn2", "relu2", "gap", "fc"]
    for name in split.outputs:
        np.testing.assert_allclose(split.outputs[name], reference.outputs[name], rtol=1e-13,
                                   atol=1e-14)
    seeds = rng.standard_normal((2, 5, 3))
    for layer in ("pool1", "relu2"):
        np.testing.assert_allclose(split.backward_to(seeds, layer),
                                   model.backward_to(reference, seeds, layer), rtol=1e-12,
                                   atol=1e-14)
    with pytest.raises(KeyError):
        split.outputs["relu1"]
    with pytest.raises(ValueError, match="layer 'relu1' is not in this trace"):
        split.backward_to(seeds, "relu1")


def test_one_thread_traces_every_layer_even_from_a_start():
    model = small_model(8)
    x = np.random.default_rng(6).standard_normal((4, 2, 6, 6))
    split = fast.trace(model, x, threads=1, start="relu2")
    assert split.start is None and list(split.outputs) == model.layer_names


def test_the_same_setting_gives_the_same_bits():
    model = small_model(5)
    x = np.random.default_rng(3).standard_normal((7, 2, 6, 6))
    dy = np.random.default_rng(4).standard_normal((7, 3))
    runs = [fast.trace(model, x, threads=2) for _ in range(3)]
    for run in runs[1:]:
        np.testing.assert_array_equal(run.logits, runs[0].logits)
        np.testing.assert_array_equal(run.backward_to(dy, "relu1"),
                                      runs[0].backward_to(dy, "relu1"))


def test_bad_inputs_are_named_for_the_whole_batch():
    model = small_model()
    with pytest.raises(ValueError, match=r"x must have 2 channels in axis 1 \(NCHW\), got shape "
                                         r"\(6, 3, 6, 6\)"):
        fast.trace(model, np.zeros((6, 3, 6, 6)), threads=2)
    split = fast.trace(model, np.zeros((6, 2, 6, 6)), threads=2)
    with pytest.raises(ValueError, match=r"dy must have the logits' shape \(6, 3\)"):
        split.backward_to(np.ones((5, 3)), "relu1")
    with pytest.raises(ValueError, match="layer must be one of"):
        split.backward_to(np.ones((6, 3)), "relu9")


def test_threads_setting():
    with fast.threads(3):
        assert fast.get_threads() == 3
        with fast.threads(1):
            assert fast.get_threads() == 1
        assert fast.get_threads() == 3
        assert fast.parallel_map(lambda _: fast.get_threads(), range(3)) == [1, 1, 1]
    with pytest.raises(ValueError, match="threads must be an integer >= 1, got 0"):
        fast.set_threads(0)
    with pytest.raises(TypeError, match="threads must be an integer >= 1, got"):
        fast.set_threads(2.0)


def test_the_default_is_the_usable_cores_or_the_environment(monkeypatch):
    monkeypatch.delenv(fast.workers.ENVIRONMENT, raising=False)
    import os
    assert fast.get_threads() == fast.usable_cores() == len(os.sched_getaffinity(0))
    monkeypatch.setenv(fast.workers.ENVIRONMENT, "1")
    assert fast.get_threads() == 1
    monkeypatch.setenv(fast.workers.ENVIRONMENT, "two")
    with pytest.raises(ValueError, match="NUMPY_GRADCAM_THREADS must be an integer >= 1, "
                                         "got 'two'"):
        fast.get_threads()


def _blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    return [lib["num_threads"] for lib in threadpoolctl.threadpool_info()
            if lib["user_api"] == "blas"]


def test_blas_is_held_to_one_thread_while_the_package_computes():
    before = _blas_threads()
    inside = fast.parallel_map(lambda _: _blas_threads(), range(2), workers=2)
    assert inside == [[1] * len(before)] * 2
    assert _blas_threads() == before                                 # given back afterwards


def test_a_large_lone_item_gives_the_threads_to_blas_and_runs_its_own_sections_serially():
    """A batch of one large image: BLAS gets the two threads, in the caller's thread, and a
    section the item starts runs serially (one thread, BLAS not multiplied). A small one keeps
    one BLAS thread (OpenBLAS's spinning threads would cost the workers more)."""
    import threading

    from numpy_gradcam.fast.workers import LONE_BLAS_FROM

    before = _blas_threads()

    def item(_):
        nested = fast.parallel_map(lambda _: threading.current_thread(), range(2))
        return _blas_threads(), fast.get_threads(), threading.current_thread(), nested

    [(blas, threads, thread, nested)] = fast.parallel_map(item, [0], workers=2,
                                                          lone_work=LONE_BLAS_FROM)
    assert blas == [2] * len(before) and threads == 1
    assert thread is threading.current_thread() and set(nested) == {thread}
    assert _blas_threads() == before
    [(blas, *_)] = fast.parallel_map(item, [0], workers=2, lone_work=LONE_BLAS_FROM - 1)
    assert blas == [1] * len(before)


def test_a_blas_library_loaded_after_the_first_section_is_held_too():
    """The loaded BLAS libraries were scanned once, at the first section: OpenCV's own
    OpenBLAS, imported later (by a test, or a user's code), kept all its threads inside every
    later section (seen in the suite as [1, 1, 2]). Run in a child, where cv2 is not imported
    yet."""
    import subprocess
    import sys

    pytest.importorskip("cv2")

    code = (
        "import sys\n"
        "from threadpoolctl import threadpool_info\n"
        "from numpy_gradcam import fast\n"
        "def blas(_):\n"
        "    return sorted((l['filepath'], l['num_threads']) for l in threadpool_info()\n"
        "                  if l['user_api'] == 'blas')\n"
        "assert 'cv2' not in sys.modules\n"
        "first = fast.parallel_map(blas, range(2), workers=2)[0]\n"
        "import cv2\n"
        "later = fast.parallel_map(blas, range(2), workers=2)[0]\n"
        "print(len(first), len(later), sorted({n for _, n in later}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "OPENBLAS_NUM_THREADS": "2"})
    assert done.returncode == 0, done.stderr
    first, later, threads = done.stdout.split(maxsplit=2)
    if int(later) == int(first):
        pytest.skip("this OpenCV brings no BLAS library of its own")
    assert threads.strip() == "[1]", done.stdout
