"""The same call gives the same bits: twice in one process, and in two separate processes
(different hash seeds), both for the arrays (``save_npz``) and for the command's PNG."""

import os
import subprocess
import sys

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam.cam.methods import METHODS
from numpy_gradcam.io import load_npz

from .conftest import REPO, run_cli

#: The methods written by the two processes: one of each kind of computation (gradients,
#: masked forward passes, an SVD, a sliding patch, an input-space backward pass).
ACROSS_PROCESSES = ("gradcam", "gradcam++", "scorecam", "eigencam", "occlusion", "guided-backprop")

SCRIPT = """
import sys
import numpy_gradcam as ng
from numpy_gradcam.io import save_npz

model = ng.load_model("tinycnn-gap")
image = ng.datasets.make_composite(seed=3)[0][:, :32, :32].copy()
arrays = {}
for method in sys.argv[2:]:
    e = ng.explain(model, image, method=method)
    arrays.update({f"{method}.{name}": value for name, value in e.arrays().items()})
save_npz(sys.argv[1], arrays)
"""


def _in_parallel(commands, cwd):
    """Run the commands side by side (two hash seeds); each must succeed."""
    processes = [subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=dict(os.environ, PYTHONHASHSEED=str(k)))
                 for k, command in enumerate(commands)]
    for process in processes:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()


@pytest.mark.parametrize("method", sorted(METHODS))
def test_the_same_call_twice_is_bit_identical(model, image, method):
    x = np.ascontiguousarray(image[:, :32, :32])
    first, second = (ng.explain(model, x, method=method).arrays() for _ in range(2))
    assert first.keys() == second.keys()
    for name in first:
        assert first[name].dtype == second[name].dtype
        assert first[name].tobytes() == second[name].tobytes(), name


def test_two_processes_write_identical_arrays(tmp_path, model, image):
    image = image[:, :32, :32].copy()                # what the script explains
    paths = [tmp_path / "first.npz", tmp_path / "second.npz"]
    _in_parallel([[sys.executable, "-c", SCRIPT, str(p), *ACROSS_PROCESSES] for p in paths],
                 cwd=REPO)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    # and they are this process's arrays, bit for bit
    written = load_npz(paths[0])
    for method in ACROSS_PROCESSES:
        for name, value in ng.explain(model, image, method=method).arrays().items():
            assert written[f"{method}.{name}"].tobytes() == value.tobytes(), (method, name)


def test_two_explain_commands_write_identical_files(tmp_path, scene, capsys):
    outs = [tmp_path / "first.png", tmp_path / "second.png", tmp_path / "in-process.png"]
    _in_parallel([[sys.executable, "-m", "numpy_gradcam", "explain", str(scene),
                   "--method", "gradcam++", "--out", str(out)] for out in outs[:2]], cwd=REPO)
    assert run_cli(capsys, "explain", scene, "--method", "gradcam++", "--out", outs[2])[0] == 0
    assert outs[0].read_bytes() == outs[1].read_bytes() == outs[2].read_bytes()


# --------------------------------------------------------------------------------------------
# Same seed, same bits, whatever the machine's thread settings (issue 18, item 7)

TRAIN = ["-m", "numpy_gradcam", "train", "--model", "tinycnn-gap", "--epochs", "1",
         "--n-train", "64", "--n-heldout", "8", "--batch-size", "32", "--quiet", "--out"]


def _blas_threads_now() -> list[int]:
    from threadpoolctl import threadpool_info

    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_training_holds_blas_to_one_thread(monkeypatch):
    """A multi-threaded BLAS may sum in another order (a float64 ``ddot`` of 10⁵ numbers:
    1e-11 apart here), and training amplifies it: every step must run on one BLAS thread even
    when the caller allowed two."""
    from threadpoolctl import threadpool_limits

    from numpy_gradcam import datasets, models, training

    model = models.build("tinycnn-gap", class_names=datasets.CLASS_NAMES, seed=0,
                         widths=(4, 4, 4, 4))
    seen = []
    trace = model.trace
    monkeypatch.setattr(model, "trace",
                        lambda *a, **k: seen.append(_blas_threads_now()) or trace(*a, **k))
    x, y, *_ = datasets.make_shapes(16, seed=1)
    with threadpool_limits(2, user_api="blas"):
        if max(_blas_threads_now(), default=1) < 2:
            pytest.skip("this BLAS cannot run two threads: nothing to hold back")
        training.train(model, x, y, 1, batch_size=8, seed=0)
        assert max(_blas_threads_now()) == 2, "the caller's setting is given back"
    assert seen and all(threads == [1] * len(threads) for threads in seen), seen


def test_train_gives_the_same_bytes_with_one_or_two_blas_threads(tmp_path):
    outs = [tmp_path / "one.npz", tmp_path / "two.npz"]
    for threads, out in zip(("1", "2"), outs, strict=True):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads,
                   MKL_NUM_THREADS=threads, NUMPY_GRADCAM_THREADS=threads)
        done = subprocess.run([sys.executable, *TRAIN, str(out)], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    assert outs[0].read_bytes() == outs[1].read_bytes()
