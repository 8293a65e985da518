"""``numpy-gradcam figure IMAGE`` or ``figure --scene SEED``: Fig. 1 of the Grad-CAM paper.

For two classes of one image (by default the two shapes of a composite scene, or the two most
probable classes of an image file), one row each: the original image, guided backpropagation,
the Grad-CAM overlay, guided Grad-CAM (their product) and the occlusion map, as one PNG. Guided
backprop shows fine detail of both objects; Grad-CAM, guided Grad-CAM and occlusion should each
light up only the object of their row's class.

An image file is seen as ``explain`` sees it, through its crop box
(:func:`numpy_gradcam.preprocessing.crop_box`), and every panel is the whole photo at its own
size and aspect with the map drawn back into that box (nothing outside it: the model saw none
of it). ``--out`` may be ``.png``, ``.jpg`` or ``.jpeg``.

``--model`` may be a weights file (``--arch`` where it has no model card); ``--scene`` needs a
model of the shapes classes. Occlusion runs one forward pass per patch position and class; its
defaults scale with the model's input side ``S``: ``--patch`` ``round(S/4)`` and ``--stride``
``round(S/8)``, 7×7 positions (98 forwards for the two classes: seconds for a 224×224
architecture, where patch 8 stride 4 would be 2 × 2,025). A progress line shows on standard
error when it takes over a second.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import _validate
from ..cam import explain
from ..datasets import make_composite
from ..figures import check_figure_path, figure1, image_of, into_box, saliency_rgb, save
from ..io import image_size, load_image, load_image_uint8
from ..preprocessing import CropBox, crop_box, overlay_on_photo
from .explain import parse_target
from .model_options import add_model_options, load, require_shapes_classes
from .outputs import refuse_inputs, require_writable_folder

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
    parser.add_argument("--patch", type=int, default=None,
                        help="occlusion patch size in model-input pixels (default: a quarter "
                             "of the input side, 16 at 64×64, 56 at 224×224)")
    parser.add_argument("--stride", type=int, default=None,
                        help="occlusion stride in model-input pixels (default: an eighth of "
                             "the input side, 8 at 64×64, 28 at 224×224)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="figure to write, .png, .jpg or .jpeg (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    parser.set_defaults(run=run)
    return parser


def occlusion_defaults(input_size) -> tuple[int, int]:
    """``(patch, stride)`` for an input side ``S = min(H_in, W_in)``: ``round(S/4)`` and
    ``round(S/8)`` (at least 1): 7×7 patch positions at any input size."""
    S = min(input_size)
    return max(1, round(S / 4)), max(1, round(S / 8))


def _input(args, model):
    """``(image (3, H_in, W_in), photo (3, H0, W0) uint8, crop box, source text, default classes
    or None)``: the model's input and the picture it was cut from."""
    if (args.image is None) == (args.scene is None):
        raise ValueError("give either IMAGE or --scene SEED (exactly one)")
    if args.scene is not None:
        seed = _validate.positive_int(args.scene, "--scene", minimum=0)
        require_shapes_classes(model, args, "--scene draws a scene of shapes")
        image, labels, _ = make_composite(seed=seed)
        photo = np.round(image * 255.0).astype(np.uint8)              # the scene is its photo
        box = CropBox(0, 0, *image.shape[1:])
        return image, photo, box, f"scene {seed}", [int(c) for c in labels]
    size = tuple(model.card["input_size"][1:])
    box = crop_box(image_size(args.image), size)          # the photo as explain sees it
    image = load_image(args.image, size=size, box=box.as_tuple())
    return image, load_image_uint8(args.image), box, str(args.image), None


def run(args) -> int:
    check_figure_path(args.out)
    refuse_inputs({"--out": args.out}, {"IMAGE": args.image, "--model": args.model})
    if args.out.exists() and not args.force:
        raise FileExistsError(f"{args.out} exists; use --force to replace it")
    require_writable_folder(args.out)
    model = load(args)
    patch, stride = occlusion_defaults(model.card["input_size"][1:])
    patch = _validate.positive_int(args.patch, "--patch") if args.patch is not None else patch
    stride = _validate.positive_int(args.stride, "--stride") if args.stride is not None else stride
    image, photo, box, source, classes = _input(args, model)
    if args.classes is not None:
        classes = [parse_target(c) for c in args.classes]
    if classes is None:
        classes = [int(c) for c in np.argsort(-model.forward(image[None])[0])[:2]]
    pair = np.stack([image, image])                                    # one row per class
    guided = explain(model, pair, target=classes, method="guided-gradcam")
    guided_backprop = explain(model, pair, target=classes, method="guided-backprop")
    occlusion = explain(model, pair, target=classes, method="occlusion", patch=patch,
                        stride=stride)
    names = guided.target_names
    size = photo.shape[1:]
    rows = [(names[i],
             into_box(saliency_rgb(guided_backprop.saliency[i]), size, box),
             overlay_on_photo(image_of(guided, i, box), photo),
             into_box(saliency_rgb(guided.saliency[i]), size, box),
             overlay_on_photo(image_of(occlusion, i, box), photo)) for i in range(2)]
    title = (f"{args.model} on {source}: Grad-CAM layer {guided.layer}, occlusion "
             f"patch {patch} stride {stride}")
    save(figure1(photo, rows, title=title), args.out, force=args.force)
    p = guided.probabilities[0]
    print(f"{source}: explaining '{names[0]}' (p={p[guided.targets[0]]:.3f}) and "
          f"'{names[1]}' (p={p[guided.targets[1]]:.3f})")
    print(f"wrote {args.out}")
    return 0
