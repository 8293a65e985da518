"""NumPy engine vs torch CPU on the reference net, side by side in one run.

    python bench/engine.py [--repeats 20] [--threads N]

Reference net (numpy_gradcam.models.reference_net): conv(3→16) relu pool conv(16→32) relu pool
conv(32→64) relu gap fc(64→10), input 3×64×64, float32. Times forward, forward + backward to
``relu3`` (what Grad-CAM needs), and forward + full backward (input and every parameter), at
batch 1 and 64; prints the best of ``--repeats`` runs and the ratio NumPy/torch (< 1: NumPy faster).

Without ``--threads`` neither side is configured: NumPy as a user who sets nothing runs it (the
batch split over the worker threads of ``numpy_gradcam.fast``, one BLAS thread each), torch with
its own default threads; ``--threads N`` gives both N (``numpy_gradcam.fast.set_threads``,
``torch.set_num_threads``). The serial column is the reference engine alone, on one thread
(``numpy_gradcam.fast.threads(1)``). The backward to ``relu3`` is Grad-CAM's: the layers below
``relu3`` run compiled (``fast.trace(start="relu3")``) except in the serial column.

Two tables: first with glibc's default malloc, then with freed memory kept for reuse
(``timing.keep_freed_memory``, the same as ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` of 1 GiB), for the whole process, so for torch as well. By default a
traced batch of 64 maps fresh pages for its large arrays on every call, and the page faults cost
NumPy about a quarter of its forward time; torch allocates less per call.
"""

import argparse
import sys

parser = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
parser.add_argument("--repeats", type=int, default=20)
parser.add_argument("--threads", type=int, default=None,
                    help="threads for both sides (default: each side's own default)")
args = parser.parse_args()

import numpy as np  # noqa: E402
from timing import best_s, keep_freed_memory  # noqa: E402  (bench/ is on sys.path when run as a script)

from numpy_gradcam import fast  # noqa: E402
from numpy_gradcam.models import reference_net  # noqa: E402

if args.threads is not None:
    fast.set_threads(args.threads)


def best_ms(fn, repeats):
    return 1000 * best_s(fn, repeats)


def numpy_cases(model, x, dy):
    def forward():
        fast.trace(model, x)

    def to_layer():                                        # as Grad-CAM runs it
        fast.trace(model, x, start="relu3").backward_to(dy, "relu3")

    def full():
        fast.trace(model, x).backward(dy)

    return {"forward": forward, "forward+backward to relu3": to_layer,
            "forward+full backward": full}


def torch_cases(model, x, dy):
    import torch

    from numpy_gradcam.oracle import to_torch

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    tm = to_torch(model, dtype=torch.float32)
    xt, dyt = torch.from_numpy(x), torch.from_numpy(dy)
    kept = {}
    tm.relu3.register_forward_hook(lambda m, i, o: kept.__setitem__("A", o))

    def forward():
        with torch.no_grad():
            tm(xt)

    def to_layer():
        logits = tm(xt)
        torch.autograd.grad((logits * dyt).sum(), kept["A"])

    def full():
        xg = xt.clone().requires_grad_(True)
        tm.zero_grad(set_to_none=True)
        (tm(xg) * dyt).sum().backward()

    return {"forward": forward, "forward+backward to relu3": to_layer,
            "forward+full backward": full}


def table(model, have_torch):
    print(f"{'case':<28}{'batch':>6}{'serial ms':>11}{'numpy ms':>11}{'torch ms':>11}"
          f"{'numpy/torch':>13}")
    for batch in (1, 64):
        rng = np.random.default_rng(0)
        x = rng.random((batch, 3, 64, 64)).astype(np.float32)
        dy = np.eye(10, dtype=np.float32)[rng.integers(0, 10, batch)]
        # All NumPy cases first, then all torch cases: torch's OpenMP threads keep spinning for
        # a while after each call, and interleaving the two would charge that to NumPy.
        with fast.threads(1):
            serial = {name: best_ms(fn, args.repeats)
                      for name, fn in numpy_cases(model, x, dy).items()}
        ours = {name: best_ms(fn, args.repeats) for name, fn in numpy_cases(model, x, dy).items()}
        theirs = ({name: best_ms(fn, args.repeats)
                   for name, fn in torch_cases(model, x, dy).items()} if have_torch else {})
        for name, t_np in ours.items():
            row = f"{name:<28}{batch:>6}{serial[name]:>11.2f}{t_np:>11.2f}"
            if have_torch:
                print(f"{row}{theirs[name]:>11.2f}{t_np / theirs[name]:>13.2f}")
            else:
                print(f"{row}{'-':>11}{'-':>13}")
        sys.stdout.flush()


def main():
    model = reference_net(seed=0)
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
        print("torch is not installed: NumPy timings only (pip install -e '.[oracle]')")
    threads = "" if not have_torch else f", torch {__import__('torch').get_num_threads()}"
    print(f"reference net, float32, threads: numpy {fast.get_threads()}{threads}"
          f"{'' if args.threads else ' (defaults)'}, best of {args.repeats}")
    print("\n1. glibc's default malloc")
    table(model, have_torch)
    if keep_freed_memory():
        print("\n2. freed memory kept for reuse (MALLOC_MMAP_THRESHOLD_ = MALLOC_TRIM_THRESHOLD_ "
              "= 1 GiB), NumPy and torch alike")
        table(model, have_torch)
    else:
        print("\n(no glibc mallopt here: the second table is not made)")


main()
