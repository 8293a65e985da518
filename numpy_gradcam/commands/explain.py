"""``numpy-gradcam explain IMAGE``: the Grad-CAM overlay of one image file.

The image is read with Pillow (RGB, grey, RGBA, palette, 16-bit …), turned upright by its EXIF
orientation, and its crop box (``--fit``: by default the short side resized to the model's input
size and the centre cropped; see numpy_gradcam.preprocessing) is resized to the model's input for
the forward and backward passes. The normalised map is upsampled into the crop box of the
*original* photo and blended onto it there, so the overlay has the size and aspect of the file you
gave; outside the crop box, which the model did not see, the photo is left as it is. A large JPEG
is decoded at 1/2, 1/4 or 1/8 scale for the model and kept at full size only as 8-bit samples.

``--model`` is a shipped model or a weights file: one written by ``numpy-gradcam train`` (its
model card beside it says the rest), or any other with ``--arch``, e.g. ``--model resnet18.pth
--arch resnet18`` (then the input size is the architecture's, 224×224 for the ImageNet ones).

``--figure FIGURE.png`` also writes a titled figure for a reader: the same overlay under a title
(the class, its probability, the method and the layer) beside a colour bar of the map's 0..1 scale
as the overlay coloured it. The plain overlay (``--out``) is written either way.
"""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import numpy as np
from PIL import Image

from .. import _validate
from ..cam.methods import METHODS
from ..cam.presets import PRESETS
from ..cam.upsampling import MODES
from ..io import atomic_write, load_image_uint8, save_figure
from ..preprocessing import FITS, explain_photo, overlay_on_photo
from .model_options import add_model_options, load
from .outputs import refuse_inputs, require_writable_folder


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "explain", help="write the Grad-CAM overlay of an image file", description=__doc__,
    )
    parser.add_argument("image", type=Path, help="the image file (PNG, JPEG, …)")
    add_model_options(parser)
    parser.add_argument("--target", default=None,
                        help="class to explain, by name or index (default: the predicted class)")
    parser.add_argument("--layer", default=None,
                        help="layer to explain (default: the model's target layer: the tiny "
                             "CNNs' last conv ReLU, a ResNet's layer4, …)")
    parser.add_argument("--method", default="gradcam", choices=sorted(METHODS),
                        help="default: %(default)s")
    parser.add_argument("--preset", default="paper", choices=list(PRESETS),
                        help="whose conventions render the map: the paper's (default) or a "
                             "library's, reproduced exactly (see numpy_gradcam.cam.presets)")
    parser.add_argument("--alpha", type=float, default=None,
                        help="overlay weight of the coloured map, in [0, 1] (default: 0.4; "
                             "preset 'paper' only)")
    parser.add_argument("--cmap", default=None,
                        help="matplotlib colormap (default: jet; preset 'paper' only)")
    parser.add_argument("--upsample", default=None, choices=MODES,
                        help="how the map L (h x w) is resized to the crop box: bilinear as in "
                             "the paper, nearest (see its blocks) or bicubic (default: bilinear; "
                             "preset 'paper' only; see numpy_gradcam.cam.upsampling)")
    parser.add_argument("--counterfactual", action="store_true",
                        help="explain what lowers the class score (negated gradients)")
    parser.add_argument("--fit", default="center-crop", choices=FITS,
                        help="how the photo becomes the model's input: 'center-crop' (the "
                             "largest centred box of the input's aspect ratio) or 'squash' (the "
                             "whole photo, aspect not kept) (default: %(default)s)")
    parser.add_argument("--crop-fraction", type=float, default=1.0,
                        help="side of the centre crop as a fraction of the largest one "
                             "(default: %(default)s; 0.875 = torchvision's ImageNet evaluation "
                             "Resize(256) + CenterCrop(224))")
    parser.add_argument("--top-k", type=int, default=SHOWN, metavar="K",
                        help="how many of the most probable classes to print (default: "
                             "%(default)s; all of them when the model has fewer)")
    parser.add_argument("--out", type=Path, default=None,
                        help="PNG to write (default: IMAGE-METHOD-CLASS.png in the current "
                             "directory)")
    parser.add_argument("--figure", type=Path, default=None, metavar="FIGURE.png",
                        help="also write a titled figure: the overlay, its class, probability, "
                             "method and layer, and a colour bar of the map's 0..1 scale")
    parser.add_argument("--force", action="store_true",
                        help="replace --out (and --figure) if it exists")
    parser.set_defaults(run=run)
    return parser


def parse_target(text):
    """A class name, or an index given as digits; None stays None."""
    if text is None:
        return None
    # ASCII digits only: str.isdigit() also accepts "²", which int() then refuses.
    return int(text) if re.fullmatch(r"-?[0-9]+", text) else text


#: The most probable classes printed by default (all four of the shapes; ImageNet's top five).
SHOWN = 5


def top_k(probabilities: np.ndarray, k: int, class_names=None) -> str:
    """The ``k`` most probable classes of ``probabilities`` ``(num_classes,)``, most probable
    first, as ``"name p, …"`` (by index when there are no ``class_names``)."""
    names = class_names or [str(c) for c in range(len(probabilities))]
    order = np.argsort(-probabilities, kind="stable")[:k]
    return ", ".join(f"{names[c]} {probabilities[c]:.3f}" for c in order)


def color_scale(e, n: int = 256) -> np.ndarray:
    """The colours ``(n, 3)`` in [0, 1] that ``e``'s preset gives the map values 0..1.

    The ramp ``0, 1/(n-1), …, 1`` is rendered as a map ``L`` of shape ``(1, n, 1)`` by the
    preset itself (its normalisation leaves a 0..1 ramp as it is; the resize is to the same
    size), so the bar shows the colours of the overlay: matplotlib's for the paper's, OpenCV's
    uint8 ``COLORMAP_JET`` for pytorch-grad-cam's, …
    """
    ramp = np.linspace(0.0, 1.0, n)[None, :, None]                     # (1, n, 1)
    black = np.zeros((1, 3, n, 1))                                     # (1, 3, n, 1)
    colored = PRESETS[e.options["preset"]].render(ramp, black, e.options).colored
    return colored[0, :, :, 0].T                                       # (n, 3)


def titled_figure(e, overlay: np.ndarray, probability: float, counterfactual: bool):
    """A matplotlib Figure (no window: not pyplot's) of ``overlay`` ``(3, H0, W0)`` uint8 under
    the title "CLASS (p = …): METHOD at layer LAYER" with a colour bar of :func:`color_scale`."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import ListedColormap, Normalize
    from matplotlib.figure import Figure

    height, width = overlay.shape[1:]
    # 6 inches of photo, 1 of colour bar beside it, 0.7 of title above it.
    fig = Figure(figsize=(7.0, 6.0 * height / width + 0.7), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(overlay.transpose(1, 2, 0))                              # (H0, W0, 3)
    ax.set_axis_off()
    kind = "counterfactual " if counterfactual else ""
    # Two lines: a long class name and a long layer name on one line ran off the figure.
    ax.set_title(f"{e.target_names} (p = {probability:.3f})\n{kind}{e.method} at layer "
                 f"{e.layer}", fontsize=10)
    scale = ScalarMappable(Normalize(0.0, 1.0), ListedColormap(color_scale(e)))
    bar = fig.colorbar(scale, ax=ax, fraction=0.05)
    against = " against the class" if counterfactual else " for the class"
    bar.set_label(f"map value: 0 = least, 1 = most evidence{against}")
    return fig


def refuse_existing(paths, force: bool) -> None:
    """Refuse, before the work, an output that exists (without ``force``), one named twice, or
    one in a folder that is missing or read-only."""
    named = [Path(p) for p in paths if p is not None]
    if len({os.path.abspath(p) for p in named}) < len(named):
        raise ValueError(f"--out and --figure name the same file: {named[0]}")
    for path in named:
        if os.path.isdir(path):
            raise IsADirectoryError(errno.EISDIR, "a directory has this name", str(path))
        if not force and os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, "an output exists", str(path))
        require_writable_folder(path)


def run(args) -> int:
    if args.alpha is not None:
        _validate.fraction(args.alpha, "--alpha")
    k = _validate.positive_int(args.top_k, "--top-k")
    inputs = {"IMAGE": args.image, "--model": args.model}
    refuse_inputs({"--out": args.out, "--figure": args.figure}, inputs)
    refuse_existing([args.out, args.figure], args.force)
    model = load(args)
    e = explain_photo(model, args.image, fit=args.fit, crop_fraction=args.crop_fraction,
                      target=parse_target(args.target), layer=args.layer, method=args.method,
                      counterfactual=args.counterfactual, cmap=args.cmap, alpha=args.alpha,
                      upsample=args.upsample, preset=args.preset)
    overlay = overlay_on_photo(e, load_image_uint8(args.image))        # (3, H0, W0) uint8
    target = e.target_names
    out = args.out or Path.cwd() / f"{args.image.stem}-{args.method}-{target}.png"
    refuse_inputs({"--out": out}, inputs)                 # the default name is known only now
    with atomic_write(out, force=args.force) as tmp:
        Image.fromarray(overlay.transpose(1, 2, 0)).save(tmp, format="PNG")
    if args.figure is not None:
        probability = float(e.probabilities[e.targets])
        save_figure(titled_figure(e, overlay, probability, args.counterfactual), args.figure,
                    force=args.force)
    # Printed once every file is written: a reader that leaves early (`| head -1`) loses text,
    # never a file (see numpy_gradcam.cli).
    print("prediction: " + top_k(e.probabilities, k, model.class_names))
    kind = "counterfactual " if args.counterfactual else ""
    print(f"{kind}{args.method} for '{target}' at layer {e.layer}: wrote {out}")
    if args.figure is not None:
        print(f"titled figure: wrote {args.figure}")
    return 0
