"""``numpy-gradcam train``: train one of the shipped models from scratch and write it to disk.

Writes two files: the weights ``FILE.npz`` (``state_dict()``: PyTorch's names and layouts) and
its model card ``FILE.json`` next to it (architecture, class names, input convention, the exact
training command, held-out accuracy, the weights' sha256). ``load_model("FILE.npz")`` and every
command's ``--model FILE.npz`` read the pair back as it is: the card names the architecture, so
no ``--arch`` is needed.

Data seeds (so that no held-out image was ever trained on):

- training images: ``make_shapes(n_train, seed=SEED)`` (``make_biased(..., split="train")`` for
  ``tinycnn-biased``); the model's initial weights and the shuffling also use ``SEED``;
- held-out images: ``HELDOUT_SEED = 1_000_003``, a seed the command refuses for training. For
  ``tinycnn-biased`` three held-out sets are scored: the biased distribution it was trained on
  (``make_biased(split="train")``), the cue-swapped one (``make_biased(split="test")``: the cue
  now mostly appears on the other classes) and plain shapes without any cue.

The two files appear together or not at all (written in a hidden folder beside ``--out``, then
renamed with Ctrl-C held back): a Ctrl-C at any point leaves any previous files as they were, and a
card never sits beside weights it does not describe (``load_model`` checks the card's sha256
against the weights anyway). An existing ``--out`` needs ``--force``.
"""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import numpy as np

from .. import _validate, datasets, memory, models, training
from ..io import save_json, save_npz, sha256_file, write_together
from .outputs import require_writable_folder

HELDOUT_SEED = 1_000_003
INPUT_SIZE = [3, 64, 64]
INPUT_RANGE = "[0, 1] floats, no normalisation layer"
DEFAULTS = {"batch_size": 64, "lr": 3e-3, "n_heldout": 2000}


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "train",
        help="train a model from scratch on the synthetic shapes and write weights + model card",
        description=(
            "Train tinycnn-gap, tinycnn-fc or tinycnn-biased on freshly generated shapes "
            "(data seed = --seed), score it on held-out images (data seed "
            f"{HELDOUT_SEED}), and write the weights FILE.npz and the model card FILE.json: "
            "any command's --model FILE.npz then reads them."
        ),
    )
    parser.add_argument("--model", required=True, choices=models.MODEL_NAMES,
                        help="which shipped model's architecture and data to train afresh")
    parser.add_argument("--epochs", required=True, type=int, help="passes over the training set")
    parser.add_argument("--n-train", required=True, type=int, help="number of training images")
    parser.add_argument("--seed", type=int, default=0,
                        help="data, initial weights and shuffling (default 0)")
    parser.add_argument("--out", required=True, type=Path, metavar="FILE.npz",
                        help="weights file; the model card goes to FILE.json next to it")
    parser.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"],
                        help=f"images per step (default {DEFAULTS['batch_size']})")
    parser.add_argument("--lr", type=float, default=DEFAULTS["lr"],
                        help=f"peak learning rate of Adam, cosine decay (default {DEFAULTS['lr']})")
    parser.add_argument("--warmup", type=int, default=0,
                        help="steps of linear learning-rate warm-up before the decay (default 0)")
    parser.add_argument("--n-heldout", type=int, default=DEFAULTS["n_heldout"],
                        help=f"held-out images to score (default {DEFAULTS['n_heldout']})")
    parser.add_argument("--widths", type=str, default=None,
                        help="conv widths, comma-separated (default "
                             f"{','.join(map(str, models.WIDTHS))})")
    parser.add_argument("--force", action="store_true", help="replace existing output files")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    parser.set_defaults(run=run)
    return parser


def _parse_widths(text):
    if text is None:
        return list(models.WIDTHS)
    try:
        widths = [int(w) for w in text.split(",")]
    except ValueError:
        raise ValueError(f"--widths must be comma-separated integers such as 16,32,64,64, "
                         f"got {text!r}") from None
    if not 1 <= len(widths) <= 4 or min(widths) < 1:
        raise ValueError(f"--widths must be 1 to 4 integers >= 1, got {text!r}")
    return widths


#: Peak bytes per image while a data set is made (a float32 64×64 RGB image is 49,152 bytes; its
#: masks and the generator's scratch about double it: 53–98 kB measured with ru_maxrss).
BYTES_PER_IMAGE = 100_000


def check_args(args):
    """Every argument error, before any time is spent training."""
    _validate.positive_int(args.epochs, "--epochs")
    _validate.positive_int(args.n_train, "--n-train")
    _validate.positive_int(args.batch_size, "--batch-size")
    _validate.positive_int(args.n_heldout, "--n-heldout")
    _validate.positive_int(args.warmup, "--warmup", minimum=0)
    memory.require(args.n_train, BYTES_PER_IMAGE, "--n-train")
    memory.require(args.n_heldout, BYTES_PER_IMAGE, "--n-heldout")
    if args.seed < 0 or args.seed == HELDOUT_SEED:
        raise ValueError(f"--seed must be an integer >= 0 other than {HELDOUT_SEED} (the "
                         f"held-out data's seed), got {args.seed}")
    if not (np.isfinite(args.lr) and args.lr > 0):
        raise ValueError(f"--lr must be a finite number > 0, got {args.lr}")
    widths = _parse_widths(args.widths)
    out = Path(args.out)
    card = card_path(out)
    if out.suffix != ".npz":
        raise ValueError(f"--out must be a .npz file name, got {str(out)!r}")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"--out: the directory {str(out.parent)!r} does not exist")
    for path in (out, card):
        if path.exists() and not args.force:
            raise FileExistsError(f"--out: {str(path)!r} exists; pass --force to replace it")
        if path.is_dir():
            raise IsADirectoryError(f"--out: {str(path)!r} is a directory")
    require_writable_folder(out)                      # before the training, not after it
    return widths


def card_path(out: Path) -> Path:
    return out.with_suffix(".json")


def command_line(args, widths) -> str:
    """The training command with every option spelled out (what reproduces these weights)."""
    words = ["numpy-gradcam", "train", "--model", args.model, "--epochs", str(args.epochs),
             "--n-train", str(args.n_train), "--seed", str(args.seed),
             "--out", str(args.out), "--batch-size", str(args.batch_size),
             "--lr", repr(float(args.lr)), "--n-heldout", str(args.n_heldout)]
    if args.warmup:
        words += ["--warmup", str(args.warmup)]
    if widths != list(models.WIDTHS):
        words += ["--widths", ",".join(map(str, widths))]
    return shlex.join(words)


def training_data(model_name, n, seed):
    """Images (float32) and labels: shapes, or the biased "train" split for tinycnn-biased."""
    if model_name == "tinycnn-biased":
        images, labels, _, _ = datasets.make_biased(n, seed=seed, split="train", dtype=np.float32)
    else:
        images, labels, _ = datasets.make_shapes(n, seed=seed, dtype=np.float32)
    return images, labels


def heldout_accuracies(model, model_name, n, batch_size=256):
    """Accuracy on fresh images from ``HELDOUT_SEED``: ``{"heldout_accuracy": ..., ...}``."""
    result = {}
    if model_name == "tinycnn-biased":
        for key, split in (("biased_split_accuracy", "train"), ("cue_swapped_accuracy", "test")):
            images, labels, _, _ = datasets.make_biased(n, seed=HELDOUT_SEED, split=split,
                                                        dtype=np.float32)
            result[key] = training.evaluate(model, images, labels, batch_size)
        images, labels, _ = datasets.make_shapes(n, seed=HELDOUT_SEED, dtype=np.float32)
        result["no_cue_accuracy"] = training.evaluate(model, images, labels, batch_size)
        result["heldout_accuracy"] = result["biased_split_accuracy"]
    else:
        images, labels, _ = datasets.make_shapes(n, seed=HELDOUT_SEED, dtype=np.float32)
        result["heldout_accuracy"] = training.evaluate(model, images, labels, batch_size)
    return result


def run(args) -> int:
    widths = check_args(args)
    out = Path(args.out)
    architecture = "tinycnn-gap" if args.model == "tinycnn-biased" else args.model
    options = {"widths": widths}
    if architecture == "tinycnn-fc":
        options.update(size=INPUT_SIZE[1], hidden=64)

    images, labels = training_data(args.model, args.n_train, args.seed)
    model = models.build(architecture, class_names=datasets.CLASS_NAMES, seed=args.seed, **options)
    start = time.perf_counter()
    history = training.train(model, images, labels, args.epochs, batch_size=args.batch_size,
                             optimizer="adam", lr=args.lr, schedule="cosine", warmup=args.warmup,
                             seed=args.seed,
                             progress=not args.quiet, augment=True)
    train_time = time.perf_counter() - start
    scores = heldout_accuracies(model, args.model, args.n_heldout)

    card = {
        "name": args.model,
        "architecture": architecture,
        "architecture_options": options,
        "class_names": list(datasets.CLASS_NAMES),
        "num_classes": len(datasets.CLASS_NAMES),
        "input_size": INPUT_SIZE,
        "input_range": INPUT_RANGE,
        "target_layer": model.target_layer,
        "training": {
            "command": command_line(args, widths),
            "seed": args.seed,
            "data": ("make_biased(n_train, seed=seed, split='train')"
                     if args.model == "tinycnn-biased" else "make_shapes(n_train, seed=seed)"),
            "n_train": args.n_train,
            "epochs": args.epochs,
            "batch_size": args.batch_size,
            "optimizer": "adam (torch.optim.Adam formulas), no weight decay",
            "lr": args.lr,
            "schedule": (f"linear warm-up over {args.warmup} steps, then " if args.warmup
                         else "") + "cosine decay to 0",
            "augmentation": "random left-right and up-down flips",
            "dtype": "float32 compute, float64 weights",
            "final_loss": history.loss[-1],
            "final_train_accuracy": history.train_accuracy[-1],
            "train_time_s": round(train_time, 1),
        },
        "evaluation": {"heldout_seed": HELDOUT_SEED, "n_heldout": args.n_heldout, **scores},
    }
    # The card names the weights' sha256; the pair appears together or not at all (a Ctrl-C
    # between two renames would leave a new card beside old weights).
    with write_together(out.parent, [out.name, card_path(out).name], args.force) as folder:
        save_npz(folder / out.name, model.state_dict())
        card["sha256"] = sha256_file(folder / out.name)
        save_json(folder / card_path(out).name, card)

    print(f"trained {args.model} in {train_time:.1f} s ({args.epochs} epochs, "
          f"{args.n_train} images, seed {args.seed})")
    for key, value in scores.items():
        if key != "heldout_accuracy" or args.model != "tinycnn-biased":
            print(f"  {key.replace('_', ' ')}: {value:.4f} on {args.n_heldout} held-out images")
    print(f"wrote {out} and {card_path(out)}")
    sys.stdout.flush()
    return 0
