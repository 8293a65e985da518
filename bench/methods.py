"""Grad-CAM, Score-CAM and Grad-CAM++: numpy-gradcam beside pytorch-grad-cam, on the same
weights.

    python bench/methods.py [--model tinycnn-gap] [--repeats 5] [--threads N]

Both run in float32 (pytorch-grad-cam's precision) on CPU, at batch 1 and 64. Without
``--threads`` neither side is configured at all: numpy-gradcam as a user who sets nothing gets
it (the worker threads of ``numpy_gradcam.fast`` on the usable cores, one BLAS thread each), torch
with its own default threads. ``--threads N`` gives both sides N threads
(``numpy_gradcam.fast.set_threads`` and ``torch.set_num_threads``). Our side uses the
pytorch-grad-cam conventions (``scorecam_variant`` and ``gradcampp_form="pytorch-grad-cam"``)
and the same Score-CAM batch size, 64 masked inputs (ours: per thread). The two sides alternate,
two runs each per repeat, in one process, so that both see the same load on a shared machine; each
reports its best run of the whole method (forward, backward, weights, map). Two runs, because the
first run after the other side pays for what that side left running (torch's OpenMP threads keep
spinning for a while after each call).

pytorch-grad-cam (``pip install grad-cam``) needs torchvision and OpenCV, which import beside
torch 2.14.1 + torchvision 0.29.1 but not beside the suite's torch 2.13.0. Run this script with
the Python of an environment that has them, e.g. the one ``.ci/run`` builds for the presets
(``pip install torch==2.14.1 torchvision==0.29.1 -e ".[libraries-torch]"``)::

    PYTHONPATH=. .ci-venv-torch-libraries/bin/python bench/methods.py

Without pytorch-grad-cam only our timings and the floor are printed.

Score-CAM's arithmetic floor: ``N·K`` masked forward passes (``K`` feature maps per image) ×
the multiply-add FLOPs of one forward (convolutions and linear layers, ``2·Ho·Wo·F·C·kh·kw`` and
``2·in·out``) ÷ the float32 matrix-product rate of our worker threads measured in this run
(one 1024×1024 product per thread, all at once, one BLAS thread each, best of 5). It is the
time of the arithmetic alone at full BLAS speed. (Our Score-CAM skips the maps that are zero
everywhere, so it could come in under the floor.) The last column is the largest difference
between the two heatmaps, after renormalising ours as pytorch-grad-cam does after its resize
(a check that both computed the same thing, in float32).

Two last lines, at batch 64: the forward passes alone, the masked inputs of Score-CAM (the
live channels, built once) through our compiled forward (64 per thread, as in Score-CAM) and
through the torch model (batches of 64, ``torch.no_grad``) -- pytorch-grad-cam's Score-CAM
cannot be faster than its torch forwards; and the convolution products alone, as the compiled
forward computes them (its shapes, random data, all threads at once) -- what an im2col forward
costs before any copy, pooling or ReLU.
"""

import argparse
import contextlib
import io
import sys
from functools import partial
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
parser.add_argument("--model", default="tinycnn-gap")
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--threads", type=int, default=None,
                    help="threads for both sides (default: each side's own default)")
args = parser.parse_args()

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import best_s  # noqa: E402  (bench/ is on sys.path when run as a script)

from numpy_gradcam import fast  # noqa: E402

if args.threads is not None:
    fast.set_threads(args.threads)
THREADS = fast.get_threads()

BATCHES = (1, 64)
SCORECAM_BATCH = 64


def inputs(model, n):
    from numpy_gradcam.datasets import make_shapes
    x, labels, _ = make_shapes(n, seed=11, dtype=np.float32)
    return x, [int(c) for c in labels]


def forward_flops(model, x):
    """Multiply-add FLOPs of one forward pass of one image (convolutions and linear layers)."""
    from numpy_gradcam.nn import Conv2d, Linear
    trace = model.trace(x[:1].astype(np.float64))
    flops = 0
    for name, layer in model.layers.items():
        out = trace.outputs[name]
        if isinstance(layer, Conv2d):
            kh, kw = layer.kernel_size
            flops += 2 * out.shape[2] * out.shape[3] * layer.out_channels * layer.in_channels \
                * kh * kw
        elif isinstance(layer, Linear):
            flops += 2 * layer.in_features * layer.out_features
    return flops


def pgc_rescale(heatmap):
    """pytorch-grad-cam min-max normalises again *after* resizing (``scale_cam_image`` in
    ``aggregate_multi_layers``), with 1e-7 added to the maximum."""
    shifted = heatmap - heatmap.min(axis=(1, 2), keepdims=True)
    return shifted / (1e-7 + shifted.max(axis=(1, 2), keepdims=True))


def matmul_gflops(size=1024, repeats=5):
    """GFLOP/s of ``THREADS`` float32 products at once, one per worker thread (one BLAS thread
    each): the rate the worker threads of our Score-CAM can reach."""
    a = np.random.default_rng(0).random((size, size), dtype=np.float32)
    seconds = best_s(lambda: fast.parallel_map(lambda _: a @ a, range(THREADS), THREADS),
                     repeats)
    return 2 * size ** 3 * THREADS / seconds / 1e9


def pytorch_grad_cam(model):
    """``{method: callable(x, labels) -> heatmap}`` of pytorch-grad-cam, or None."""
    try:
        import torch
        from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, ScoreCAM
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    except ImportError as error:
        print(f"pytorch-grad-cam not available ({error}): NumPy timings only")
        return None
    from numpy_gradcam.oracle import to_torch
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    tm = to_torch(model, dtype=torch.float32)
    layer = getattr(tm, model.target_layer)
    score = ScoreCAM(model=tm, target_layers=[layer])
    score.batch_size = SCORECAM_BATCH
    plus = GradCAMPlusPlus(model=tm, target_layers=[layer])
    grad = GradCAM(model=tm, target_layers=[layer])

    def call(cam, x, labels):
        with contextlib.redirect_stderr(io.StringIO()):              # its tqdm progress bars
            return cam(torch.from_numpy(x), [ClassifierOutputTarget(c) for c in labels])

    def forwards(inputs):
        with torch.no_grad():
            for start in range(0, len(inputs), SCORECAM_BATCH):
                tm(torch.from_numpy(inputs[start:start + SCORECAM_BATCH]))

    return {"gradcam": partial(call, grad), "scorecam": partial(call, score),
            "gradcam++": partial(call, plus), "forwards": forwards,
            "version": f"torch {torch.__version__}, {torch.get_num_threads()} threads"}


def masked_inputs(model, x):
    """The inputs of our Score-CAM (pytorch-grad-cam variant) ``(P, C, H, W)``, live maps only."""
    from numpy_gradcam.cam.methods.base import live_maps
    from numpy_gradcam.cam.methods.scorecam import masks
    A = model.forward(x, keep=model.target_layer)[1][model.target_layer]
    n, k = live_maps(A).T
    H = masks(A[n, k][:, None], x.shape[2:], "pytorch-grad-cam")
    return np.ascontiguousarray(x[n] * H, dtype=np.float32)


def forwards_alone(model, x, pgc):
    """Seconds of the forward passes alone on Score-CAM's masked inputs: ours, torch's."""
    from numpy_gradcam.fast.batches import run_batches
    inputs = masked_inputs(model, x)
    forward = fast.compile_forward(model)

    def ours():
        run_batches(lambda start, stop: forward(inputs[start:stop]), len(inputs),
                    SCORECAM_BATCH, "forwards")

    t_ours = best_s(ours, args.repeats)
    t_torch = best_s(partial(pgc["forwards"], inputs), args.repeats) if pgc else float("nan")
    return len(inputs), t_ours, t_torch


def products_alone(model, x, count):
    """Seconds of the convolution products of ``count`` forward passes alone: the matrix products
    of the compiled forward (``ConvBuffers``, a chunk of ``CHUNK`` images each), on ``THREADS``
    threads at once."""
    from numpy_gradcam.fast.buffers import ConvBuffers
    from numpy_gradcam.fast.compiled import images_per_chunk
    CHUNK = images_per_chunk(x.shape[1:])
    from numpy_gradcam.nn import Conv2d
    trace = model.trace(x[:1].astype(np.float64))
    convs, shape = [], x.shape[1:]
    for name, layer in model.layers.items():
        if isinstance(layer, Conv2d):
            convs.append((layer, shape))
        shape = trace.outputs[name].shape[1:]

    def per_thread(_):
        rng = np.random.default_rng(0)
        products = []
        for layer, (C, H, W) in convs:
            (kh, kw), stride, padding = layer.kernel_size, layer.stride, layer.padding
            flat = stride == (1, 1) and padding[0] < kh and padding[1] < kw
            (ph, pw), F = padding, layer.out_channels
            buffers = ConvBuffers((C, CHUNK, H, W), np.float32, (kh, kw), stride,
                                  (ph, ph, pw, pw), flat)
            cols = rng.random((C * kh * kw + 1, buffers.M), dtype=np.float32)   # bias row
            W2 = rng.random((F, len(cols)), dtype=np.float32)
            products.append((W2, cols, np.empty((F, buffers.M), dtype=np.float32)))

        def batch():                                                   # 64 forward passes
            for _ in range(SCORECAM_BATCH // CHUNK):
                for W2, cols, out in products:
                    np.matmul(W2, cols, out=out)

        return best_s(batch, args.repeats)

    seconds = max(fast.parallel_map(per_thread, range(THREADS), THREADS))
    return seconds * count / (SCORECAM_BATCH * THREADS)


CASES = (("gradcam", {}),
         ("scorecam", dict(scorecam_variant="pytorch-grad-cam", batch_size=SCORECAM_BATCH)),
         ("gradcam++", dict(gradcampp_form="pytorch-grad-cam")))


def main():
    import numpy_gradcam as ng
    model = ng.load_model(args.model)
    pgc = pytorch_grad_cam(model)
    gflops = matmul_gflops()
    rows = []
    for n in BATCHES:
        x, labels = inputs(model, n)
        A = model.forward(x[:1], keep=model.target_layer)[1][model.target_layer]
        floor = n * A.shape[1] * forward_flops(model, x) / (gflops * 1e9)
        for method, options in CASES:
            ours = partial(ng.explain, model, x, target=labels, method=method, eps=1e-7,
                           **options)
            theirs = partial(pgc[method], x, labels) if pgc else None
            ours()                                                    # warm up
            if theirs:
                theirs()
            t_ours = t_theirs = float("inf")
            for _ in range(args.repeats):                             # alternate the sides
                t_ours = min(t_ours, best_s(ours, 2, warm=False))
                if theirs:
                    t_theirs = min(t_theirs, best_s(theirs, 2, warm=False))
            diff = float("nan")
            if theirs:
                diff = np.abs(theirs() - pgc_rescale(ours().heatmap)).max()
            else:
                t_theirs = float("nan")
            rows.append((method, n, t_ours, t_theirs, floor if method == "scorecam" else None,
                         diff))
    count, t_forwards, t_torch_forwards = forwards_alone(model, x, pgc)
    t_products = products_alone(model, x, count)
    gflops = max(gflops, matmul_gflops())
    print(f"model {args.model}, float32, numpy-gradcam on {THREADS} threads"
          f"{'' if args.threads else ' (its default)'}, best of {2 * args.repeats} runs "
          f"alternating in pairs; "
          f"matmul {gflops:.1f} GFLOP/s; numpy {np.__version__}"
          + (f"; pytorch-grad-cam on {pgc['version']}" if pgc else ""))
    header = (f"{'method':<10} {'batch':>5} {'numpy ms':>9} {'pgc ms':>9} {'pgc/numpy':>9} "
              f"{'floor ms':>9} {'numpy/floor':>11} {'max|Δheatmap|':>14}")
    print(header)
    print("-" * len(header))
    for method, n, t_ours, t_theirs, floor, diff in rows:
        floor_text = (f"{1e3 * floor:9.2f} {t_ours / floor:11.2f}" if floor
                      else f"{'':>9} {'':>11}")
        print(f"{method:<10} {n:>5} {1e3 * t_ours:9.2f} {1e3 * t_theirs:9.2f} "
              f"{t_theirs / t_ours:9.2f} {floor_text} {diff:14.2e}")
    print(f"forward passes alone, {count} masked inputs of batch {BATCHES[-1]}: numpy "
          f"{t_forwards:.3f} s, torch {t_torch_forwards:.3f} s "
          f"(numpy/torch {t_forwards / t_torch_forwards:.2f})")
    scorecam_floor = next(floor for method, n, *_, floor, _ in rows
                          if method == "scorecam" and n == BATCHES[-1])
    print(f"convolution products alone, the same {count} forwards: {t_products:.3f} s "
          f"({t_products / scorecam_floor:.2f}× the floor)")


if __name__ == "__main__":
    main()
