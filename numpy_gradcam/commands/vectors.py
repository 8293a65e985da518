"""``numpy-gradcam vectors export DIR``: write the golden vectors of every documented case.

For each case (see ``docs/verification.md``): ``<case>.npz`` with every stage from the input to
the overlay (keys: image, logits, probabilities, targets, activations, gradients, weights, cam,
cam_normalized, heatmap, colored, overlay; the batch axis always kept), ``<case>.json`` with the
same arrays as nested lists for the small cases, ``model-<name>.npz`` (each model's weights, in
PyTorch's names and layouts), and ``manifest.json`` (cases, conventions, shapes, dtypes and the
sha256 of every file). The same version writes the same bytes.

``--real`` writes the real-architecture cases instead (about 75 MB): torchvision's resnet18 with
seeded random weights and the pretrained EfficientNet-Lite0 (the extra imagenet) on matplotlib's
grace_hopper.jpg at 224x224, each model's weights as ``model-<name>.safetensors`` (float32), which
torch loads into torchvision's resnet18 or the EfficientNet-Lite port to verify a whole pipeline.

Exit code: 0 on success; 2 for a usage error (a file that exists without --force, a DIR that
is not a directory, --real without the extra imagenet).
"""

from __future__ import annotations

from pathlib import Path


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "vectors", help="golden vectors of every stage, for verifying another implementation",
        description=__doc__,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write the golden vectors into DIR",
                                description=__doc__)
    export.add_argument("directory", type=Path, metavar="DIR",
                        help="the folder to write into (created if missing)")
    export.add_argument("--force", action="store_true", help="replace files that exist")
    export.add_argument("--real", action="store_true",
                        help="the real-architecture cases (resnet18, EfficientNet-Lite0 on a "
                             "photo, weights as .safetensors) instead of the tiny ones")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from ..verification.vectors import CASE_NAMES, REAL_CASE_NAMES, export

    cases = REAL_CASE_NAMES if args.real else CASE_NAMES
    try:
        manifest = export(args.directory, force=args.force, cases=cases)
    except ImportError as error:                 # the extra imagenet (EfficientNet-Lite0)
        raise ValueError(str(error)) from error
    print(f"wrote {len(manifest['cases'])} cases and {len(manifest['sha256'])} files "
          f"into {args.directory} (see manifest.json)")
    return 0
