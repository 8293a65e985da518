"""``numpy-gradcam demo``: Grad-CAM of the shipped model on a scene with two shapes.

The paper's "cat and dog" image in our world: a composite scene holding two different shapes.
For each of the two classes it draws the Grad-CAM map and its overlay, then the counterfactual
map of the first class, into one figure, and prints the model's prediction. ``--model`` may be
any model of the shapes classes: a shipped one, or a file written by ``numpy-gradcam train``.

With an ImageNet model (``--model efficientnet-lite0``, from the extra ``imagenet``) the scene is
a real photo, matplotlib's sample ``grace_hopper.jpg`` (nothing is downloaded): for its
``--top-k`` most probable classes (military uniform, mortarboard, Windsor tie) one row each,
the photo, the Grad-CAM overlay and the counterfactual map (regions whose removal would raise
the class score, the paper's §5), drawn into the photo's crop box at its own size and aspect.

``--out`` may be ``.png``, ``.jpg`` or ``.jpeg``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import _validate
from ..cam import explain
from ..datasets import CLASS_NAMES, make_composite
from ..figures import check_figure_path, image_of, panels, save
from ..io import load_image_uint8
from ..preprocessing import CropBox, explain_photo, overlay_on_photo
from .model_options import add_model_options, load, require_shapes_classes
from .outputs import require_writable_folder

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
    parser.add_argument("--top-k", type=int, default=3, metavar="K",
                        help="with an ImageNet model: explain the photo's K most probable "
                             "classes (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"figure to write, .png, .jpg or .jpeg (default: {DEFAULT_NAME}.png "
                             f"in the current directory, or -2, -3, … if that exists)")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    parser.set_defaults(run=run)
    return parser


def free_name(folder: Path, stem: str, suffix: str = ".png") -> Path:
    """``stem.png``, or ``stem-2.png``, ``stem-3.png``, … : the first that does not exist."""
    candidate, k = folder / f"{stem}{suffix}", 2
    while candidate.exists():
        candidate, k = folder / f"{stem}-{k}{suffix}", k + 1
    return candidate


def photo_path() -> Path:
    """matplotlib's sample photo of Grace Hopper (600×512, shipped with matplotlib)."""
    from matplotlib.cbook import get_sample_data

    return Path(get_sample_data("grace_hopper.jpg", asfileobj=False))


def run(args) -> int:
    _validate.positive_int(args.seed, "--seed", minimum=0)
    k = _validate.positive_int(args.top_k, "--top-k")
    if args.out is not None:
        check_figure_path(args.out)
        require_writable_folder(args.out)
    model = load(args)
    names = model.class_names or ()
    if len(names) == 1000 and tuple(names) != CLASS_NAMES:
        return run_photo(args, model, k)
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
    save(figure, out, force=args.force)
    print(f"scene {args.seed}: a {names[a]} and a {names[b]}")
    print("prediction: " + ", ".join(f"{names[c]} {p[c]:.3f}" for c in np.argsort(-p)))
    print(f"wrote {out}")
    return 0


def run_photo(args, model, k: int) -> int:
    """The demo of an ImageNet model: Grad-CAM and counterfactual maps of the sample photo's
    ``k`` most probable classes, two batched passes of ``k`` copies of the crop."""
    path = photo_path()
    first = explain_photo(model, path)                 # the top class, its probabilities, crop
    p = first.probabilities                                            # (1000,)
    top = [int(c) for c in np.argsort(-p)[:k]]
    x = np.stack([first.image] * k)                                    # (k, 3, H_in, W_in)
    gradcam = explain(model, x, target=top)
    counter = explain(model, x, target=top, counterfactual=True)
    box = CropBox(*first.options["preprocessing"]["crop_box"])
    photo = load_image_uint8(path)                                     # (3, H0, W0) uint8
    items = []
    for i, c in enumerate(top):
        label = f"\n'{model.class_names[c]}' p={p[c]:.3f}"
        # An all-zero counterfactual is a finding, not a failure: nothing in the crop counts
        # against the class at this layer (its Grad-CAM is positive everywhere). Say so.
        empty = "" if counter.cam[i].max() > 0 else " (empty:\nnothing counts against it here)"
        items += [(photo, f"photo, top-{i + 1}{label}"),
                  (overlay_on_photo(image_of(gradcam, i, box), photo), f"Grad-CAM{label}"),
                  (overlay_on_photo(image_of(counter, i, box), photo),
                   f"counterfactual{label}{empty}")]
    figure = panels(items, columns=3, aspect=photo.shape[1] / photo.shape[2],
                    title=f"{args.model}: Grad-CAM of the top {k} classes of {path.name} "
                          f"(layer {gradcam.layer})")
    out = args.out if args.out is not None else free_name(Path.cwd(), DEFAULT_NAME)
    save(figure, out, force=args.force)
    print(f"{path.name}: top {k}: " + ", ".join(f"{model.class_names[c]} {p[c]:.3f}"
                                                 for c in top))
    print(f"wrote {out}")
    return 0
