"""``numpy-gradcam verify THEIRS.npz --case NAME``: compare your stages with a golden case.

THEIRS.npz holds any subset of the stages, under the keys image, logits, probabilities, targets,
activations, gradients, weights, cam, cam_normalized, heatmap, colored, overlay, each with the
case's shape (see ``numpy-gradcam vectors export`` and ``docs/verification.md``). The report
gives each stage's max absolute and relative error and the first stage that diverges; on a
mismatch it names the known mistakes (softmax instead of logit, a missing or misplaced ReLU, the
corner convention, a hook on the wrong layer, gradients not zeroed, model.eval() forgotten, ...)
that reproduce your numbers, and any library preset whose conventions do (re-run with that
--preset). It prints the ratio of a stage that is a constant multiple of the reference, hints
/ 255 for a 0-255 array, and lists the mistakes it tried when none explains the difference.
With ``--preset NAME`` the reference follows that library's conventions (``explain --preset``)
and the catalogue is tried under them.

Exit code: 0 when every stage given matches; 1 on a mismatch; 2 for a usage error (an unknown
case, a file without stage keys, a wrong shape, NaN, pickled objects).
"""

from __future__ import annotations

from pathlib import Path

from .json_report import dumps


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "verify", help="compare another implementation's stages with a golden case, diagnose",
        description=__doc__,
    )
    parser.add_argument("theirs", type=Path, metavar="THEIRS.npz",
                        help="your stages, keyed by stage name")
    parser.add_argument("--case", required=True, metavar="NAME",
                        help="the golden case (e.g. gap-predicted; the list is in the docs)")
    parser.add_argument("--preset", default="paper", metavar="NAME",
                        help="compare with the case under a library's conventions: paper "
                             "(default), pytorch-grad-cam, captum, torchcam, tf-keras-vis, keras")
    parser.add_argument("--json", action="store_true",
                        help="print the report as strict JSON (an infinite or NaN error as the "
                             "string \"inf\", \"-inf\" or \"nan\")")
    parser.set_defaults(run=run)
    return parser


def run(args) -> int:
    from ..verification.verify import verify

    try:
        report = verify(args.theirs, args.case, preset=args.preset)
    except ImportError as error:                 # lite0-photo without the extra imagenet
        raise ValueError(f"--case {args.case}: {error}") from error
    print(dumps(report.as_dict()) if args.json else report.text())
    return 0 if report.matches else 1
