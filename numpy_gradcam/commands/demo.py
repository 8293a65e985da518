"""``numpy-gradcam demo``: Grad-CAM of the shipped model on a scene with two shapes.

The paper's "cat and dog" image in our world: a composite scene holding two different shapes.
For each of the two classes it draws the Grad-CAM map and its overlay, then the counterfactual
map of the first class, into one PNG, and prints the model's prediction. ``--model`` may be any
model of the shapes classes: a shipped one, or a file written by ``numpy-gradcam train``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import _validate
from ..cam import explain
from ..datasets import make_composite
from ..figures import panels
from ..io import save_figure
from .model_options import add_model_options, load, require_shapes_classes

DEFAULT_NAME = "numpy-gradcam-demo"
# A scene whose two shapes the model ranks first and second (scenes with two objects are unlike
# its single-object training images, and in many of them one shape dominates the softmax).
DEFAULT_SEED = 112


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "demo", help="explain a two-shape scene with the shipped model and write a PNG figure",
        description=__doc__,
    )
    add_model_options(parser)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help="which composite scene to draw (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"PNG to write (default: {DEFAULT_NAME}.png in the current "
                             f"directory, or -2, -3, … if that exists)")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    parser.set_defaults(run=run)
    return parser


def free_name(folder: Path, stem: str, suffix: str = ".png") -> Path:
    """``stem.png``, or ``stem-2.png``, ``stem-3.png``, … : the first that does not exist."""
    candidate, k = folder / f"{stem}{suffix}", 2
    while candidate.exists():
        candidate, k = folder / f"{stem}-{k}{suffix}", k + 1
    return candidate


def run(args) -> int:
    _validate.positive_int(args.seed, "--seed", minimum=0)
    model = load(args)
    require_shapes_classes(model, args, "demo explains a scene of shapes")
    image, labels, _ = make_composite(seed=args.seed)
    names = model.class_names
    a, b = (int(c) for c in labels)
    both = explain(model, np.stack([image, image]), target=[a, b])      # one pass, two classes
    counter = explain(model, image, target=a, counterfactual=True)
    p = both.probabilities[0]
    figure = panels([
        (image, "input"),
        (both.heatmap[0], f"Grad-CAM '{names[a]}'"),
        (both.overlay[0], f"overlay '{names[a]}'"),
        (both.heatmap[1], f"Grad-CAM '{names[b]}'"),
        (both.overlay[1], f"overlay '{names[b]}'"),
        (counter.overlay, f"counterfactual '{names[a]}'"),
    ], title=f"{args.model}: Grad-CAM of the two shapes in one scene (layer {both.layer})")
    out = args.out if args.out is not None else free_name(Path.cwd(), DEFAULT_NAME)
    save_figure(figure, out, force=args.force)
    print(f"scene {args.seed}: a {names[a]} and a {names[b]}")
    print("prediction: " + ", ".join(f"{names[c]} {p[c]:.3f}" for c in np.argsort(-p)))
    print(f"wrote {out}")
    return 0
