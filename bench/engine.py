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

Then ``--archs`` (default resnet18, resnet50, mobilenet_v2, those built here) at 224×224, batch 1
and 8: forward and forward + backward to the default target layer, beside torchvision's model
(when installed), and the peak NumPy memory of a resnet50 batch-8 trace. NumPy's forward is the
compiled inference forward (``fast.compile_forward``, compiled once and reused, as the methods
that run many forward passes use it), as torch's is ``torch.no_grad()``; "compile" is what a
compile costs (BatchNorm folded into each weight, in the input's dtype: once per explain); the
backward is Grad-CAM's as explain runs it (``fast.trace(start=layer)``: compiled at the call,
the layers up to ``layer`` run compiled, traced after it), compile included; "forward, all
kept" is the split reference trace (``fast.trace(model, x)``: every output and cache kept),
which torch has no counterpart of.

Two tables for the reference net: first with glibc's default malloc, then with freed memory kept
for reuse (``timing.keep_freed_memory``, the same as ``MALLOC_MMAP_THRESHOLD_`` and
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
parser.add_argument("--archs", default="resnet18,resnet50,mobilenet_v2",
                    help="real architectures to time at 224×224 after the reference net "
                         "(comma-separated; empty for none; torch's side needs torchvision)")
parser.add_argument("--arch-repeats", type=int, default=3)
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


def arch_table(have_torch):
    """The real architectures at 224×224, batch 1 and 8, float32: forward, and forward + backward
    to the default target layer (Grad-CAM's passes), beside torchvision's model; the peak of the
    memory NumPy allocates for a batch-8 trace (every output and cache kept)."""
    import tracemalloc

    from numpy_gradcam.models import ARCHITECTURES, build
    from numpy_gradcam.oracle import to_torch
    names = [name for name in args.archs.split(",") if name]
    unknown = [name for name in names if name not in ARCHITECTURES]
    if unknown:
        print(f"\n(architectures not built here, skipped: {', '.join(unknown)})")
        names = [name for name in names if name in ARCHITECTURES]
    if not names:
        return
    print(f"\n3. real architectures, 224×224, float32, best of {args.arch_repeats} (every NumPy "
          f"case first, then torch's: torch's OpenMP threads spin for a while after each call)")
    inputs = {batch: np.random.default_rng(0).random((batch, 3, 224, 224)).astype(np.float32)
              for batch in (1, 8)}
    models = {name: build(name, seed=0) for name in names}
    ours, theirs = {}, {}
    for name, model in models.items():
        for batch, x in inputs.items():
            dy = np.random.default_rng(1).standard_normal((batch, model.num_classes))
            ours[name, batch] = numpy_arch_cases(model, model.target_layer, x,
                                                 dy.astype(np.float32))
        print(f"  (NumPy {name} done)", file=sys.stderr, flush=True)
    for name, model in models.items() if have_torch else ():
        import torch
        try:
            tm = to_torch(model, dtype=torch.float32)
        except ImportError as error:
            print(f"({name}: {error})")
            continue
        for batch, x in inputs.items():
            dy = np.random.default_rng(1).standard_normal((batch, model.num_classes))
            theirs[name, batch] = torch_arch_cases(tm, model.target_layer, x,
                                                   dy.astype(np.float32))
    print(f"{'arch':<14}{'case':<24}{'batch':>6}{'numpy ms':>11}{'torch ms':>11}"
          f"{'numpy/torch':>13}")
    for (name, batch), cases in ours.items():
        for case, t_np in cases.items():
            t = theirs.get((name, batch), {}).get(case)
            ratio = f"{t_np / t:>13.2f}" if t else f"{'-':>13}"
            shown = f"{t:>11.1f}" if t else f"{'-':>11}"
            print(f"{name:<14}{case:<24}{batch:>6}{t_np:>11.1f}{shown}{ratio}")
    if "resnet50" in models:
        tracemalloc.start()
        models["resnet50"].trace(inputs[8])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{'resnet50':<14}peak NumPy memory of one batch-8 trace (reference, every cache "
              f"kept): {peak / 2**20:.0f} MiB")


def numpy_arch_cases(model, layer, x, dy):
    compiled = fast.compile_forward(model, dtype=x.dtype)

    def forward():                                   # compiled once, as the many-forward
        compiled(x)                                  # methods run it (Score-CAM, occlusion)

    def compile_():
        fast.compile_forward(model, dtype=x.dtype)

    def to_layer():                                  # as explain runs Grad-CAM, compile included
        fast.trace(model, x, start=layer).backward_to(dy, layer)

    def traced():
        fast.trace(model, x)

    return {"forward": best_ms(forward, args.arch_repeats),
            "compile": best_ms(compile_, args.arch_repeats),
            f"backward to {layer}": best_ms(to_layer, args.arch_repeats),
            "forward, all kept": best_ms(traced, args.arch_repeats)}


def torch_arch_cases(tm, layer, x, dy):
    import torch
    module = tm.get_submodule(layer)
    kept = {}
    module.register_forward_hook(lambda m, i, o: kept.__setitem__("A", o))
    xt, dyt = torch.from_numpy(x), torch.from_numpy(dy)

    def forward():
        with torch.no_grad():
            tm(xt)

    def to_layer():
        logits = tm(xt)
        torch.autograd.grad((logits * dyt).sum(), kept["A"])

    return {"forward": best_ms(forward, args.arch_repeats),
            f"backward to {layer}": best_ms(to_layer, args.arch_repeats)}


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
    arch_table(have_torch)


main()
