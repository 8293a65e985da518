"""``numpy-gradcam vectors export DIR``: write the golden vectors of every documented case.

For each case (see ``docs/verification.md``): ``<case>.npz`` with every stage from the input to
the overlay (keys: image, logits, probabilities, targets, activations, gradients, weights, cam,
cam_normalized, heatmap, colored, overlay; the batch axis always kept), ``<case>.json`` with the
same arrays as nested lists for the small cases, ``model-<name>.npz`` (each model's weights, in
PyTorch's names and layouts), and ``manifest.json`` (cases, conventions, shapes, dtypes and the
sha256 of every file). The same version writes the same bytes.

Exit code: 0 on success; 2 for a usage error (a file that exists without --force, a DIR that
is not a directory).
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
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from ..verification.vectors import export

    manifest = export(args.directory, force=args.force)
    print(f"wrote {len(manifest['cases'])} cases and {len(manifest['sha256'])} files "
          f"into {args.directory} (see manifest.json)")
    return 0
