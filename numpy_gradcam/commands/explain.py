"""``numpy-gradcam explain IMAGE``: the Grad-CAM overlay of one image file.

The image is read with Pillow (RGB, grey, RGBA, palette, 16-bit …), resized to the model's input
size for the forward and backward passes, and the normalised map is upsampled to the *original*
image's size and blended onto it, so the overlay has the resolution of the file you gave.

``--model`` is a shipped model or a weights file: one written by ``numpy-gradcam train`` (its
model card beside it says the rest), or any other with ``--arch``, e.g. ``--model resnet18.pth
--arch resnet18`` (then the input size is the architecture's, 224×224 for the ImageNet ones).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .. import _validate
from ..cam import explain
from ..cam.methods import METHODS
from ..cam.presets import PRESETS
from ..io import load_image, save_png
from .model_options import add_model_options, load


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
    parser.add_argument("--counterfactual", action="store_true",
                        help="explain what lowers the class score (negated gradients)")
    parser.add_argument("--out", type=Path, default=None,
                        help="PNG to write (default: IMAGE-METHOD-CLASS.png in the current "
                             "directory)")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    parser.set_defaults(run=run)
    return parser


def parse_target(text):
    """A class name, or an index given as digits; None stays None."""
    if text is None:
        return None
    # ASCII digits only: str.isdigit() also accepts "²", which int() then refuses.
    return int(text) if re.fullmatch(r"-?[0-9]+", text) else text


#: The most probable classes printed (all four of the shapes; ImageNet's top five).
SHOWN = 5

#: explain's options that the paper preset's rendering reads.
RENDER_OPTIONS = ("upsample", "align_corners", "normalize", "eps", "cmap", "alpha")


def run(args) -> int:
    if args.alpha is not None:
        _validate.fraction(args.alpha, "--alpha")
    model = load(args)
    original = load_image(args.image)                                   # (3, H0, W0)
    size = tuple(model.card["input_size"][1:])
    x = load_image(args.image, size=size)                               # (3, h_in, w_in)
    e = explain(model, x, target=parse_target(args.target), layer=args.layer,
                method=args.method, counterfactual=args.counterfactual, cmap=args.cmap,
                alpha=args.alpha, preset=args.preset)
    # the same rendering of the map L, at the resolution of the file
    options = {k: e.options[k] for k in RENDER_OPTIONS if k in e.options}
    overlay = PRESETS[args.preset].render(e.cam[None], original[None], options).overlay[0]
    target = e.target_names
    out = args.out or Path.cwd() / f"{args.image.stem}-{args.method}-{target}.png"
    save_png(out, overlay, force=args.force)
    p = e.probabilities
    names = model.class_names or [str(c) for c in range(len(p))]
    print("prediction: " + ", ".join(f"{names[c]} {p[c]:.3f}"
                                     for c in np.argsort(-p)[:SHOWN]))
    kind = "counterfactual " if args.counterfactual else ""
    print(f"{kind}{args.method} for '{target}' at layer {e.layer}: wrote {out}")
    return 0
