"""``numpy-gradcam figure IMAGE`` or ``figure --scene SEED``: Fig. 1 of the Grad-CAM paper.

For two classes of one image (by default the two shapes of a composite scene, or the two most
probable classes of an image file), one row each: the original image, guided backpropagation,
the Grad-CAM overlay, guided Grad-CAM (their product) and the occlusion map, as one PNG. Guided
backprop shows fine detail of both objects; Grad-CAM, guided Grad-CAM and occlusion should each
light up only the object of their row's class.

``--model`` may be a weights file (``--arch`` where it has no model card); ``--scene`` needs a
model of the shapes classes. Occlusion runs one forward pass per patch position: on a real
architecture at 224×224, choose a large ``--patch`` and ``--stride``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import _validate
from ..cam import explain
from ..datasets import make_composite
from ..figures import figure1
from ..io import image_size, load_image, save_figure
from ..preprocessing import crop_box
from .explain import parse_target
from .model_options import add_model_options, load, require_shapes_classes

DEFAULT_OUT = Path("numpy-gradcam-figure1.png")


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "figure", help="draw the Grad-CAM paper's Figure 1 for two classes of one image",
        description=__doc__,
    )
    parser.add_argument("image", type=Path, nargs="?", default=None,
                        help="an image file (PNG, JPEG, …); or use --scene")
    parser.add_argument("--scene", type=int, default=None, metavar="SEED",
                        help="use the composite scene of this seed (two shapes) instead of IMAGE")
    add_model_options(parser)
    parser.add_argument("--classes", nargs=2, default=None, metavar=("FIRST", "SECOND"),
                        help="the two classes, by name or index (default: the scene's two "
                             "shapes, or the image's two most probable classes)")
    parser.add_argument("--patch", type=int, default=12,
                        help="occlusion patch size in pixels (default: %(default)s)")
    parser.add_argument("--stride", type=int, default=2,
                        help="occlusion stride in pixels (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="PNG to write (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    parser.set_defaults(run=run)
    return parser


def _input(args, model):
    """``(image (3, H, W), source text, default classes or None)``."""
    if (args.image is None) == (args.scene is None):
        raise ValueError("give either IMAGE or --scene SEED (exactly one)")
    if args.scene is not None:
        seed = _validate.positive_int(args.scene, "--scene", minimum=0)
        require_shapes_classes(model, args, "--scene draws a scene of shapes")
        image, labels, _ = make_composite(seed=seed)
        return image, f"scene {seed}", [int(c) for c in labels]
    size = tuple(model.card["input_size"][1:])
    box = crop_box(image_size(args.image), size)          # the photo as explain sees it
    return load_image(args.image, size=size, box=box.as_tuple()), str(args.image), None


def run(args) -> int:
    _validate.positive_int(args.patch, "--patch")
    _validate.positive_int(args.stride, "--stride")
    if args.out.exists() and not args.force:
        raise FileExistsError(f"{args.out} exists; use --force to replace it")
    model = load(args)
    image, source, classes = _input(args, model)
    if args.classes is not None:
        classes = [parse_target(c) for c in args.classes]
    if classes is None:
        classes = [int(c) for c in np.argsort(-model.forward(image[None])[0])[:2]]
    pair = np.stack([image, image])                                    # one row per class
    guided = explain(model, pair, target=classes, method="guided-gradcam")
    guided_backprop = explain(model, pair, target=classes, method="guided-backprop")
    occlusion = explain(model, pair, target=classes, method="occlusion", patch=args.patch,
                        stride=args.stride)
    names = guided.target_names
    rows = [(names[i], guided_backprop.saliency[i], guided.overlay[i], guided.saliency[i],
             occlusion.overlay[i]) for i in range(2)]
    title = (f"{args.model} on {source}: Grad-CAM layer {guided.layer}, occlusion "
             f"patch {args.patch} stride {args.stride}")
    save_figure(figure1(image, rows, title=title), args.out, force=args.force)
    p = guided.probabilities[0]
    print(f"{source}: explaining '{names[0]}' (p={p[guided.targets[0]]:.3f}) and "
          f"'{names[1]}' (p={p[guided.targets[1]]:.3f})")
    print(f"wrote {args.out}")
    return 0
