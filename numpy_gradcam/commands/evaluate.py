"""``numpy-gradcam evaluate``: measure explanations against the shapes' ground-truth masks.

Writes to ``--out DIR``: ``results.md`` and ``results.csv`` (methods × metrics with 95 %
confidence intervals: Wilson for rates, normal approximation for means), ``deletion.png``
(mean deletion and insertion curves), and with the ``sanity`` metric ``sanity.md``,
``sanity.csv`` and ``sanity.png`` (cascading randomisation). The ``bias`` metric runs the
biased-model investigation instead: ``tinycnn-biased`` against ``--model`` on the cue-swapped
test split, written to ``bias.md``, ``bias.csv`` and ``bias_misclassified.png``. Existing files
are never replaced without ``--force``. A run's files appear together when it ends, or not at all
(a Ctrl-C or an error leaves the folder as it was); ``--force`` replaces the files the run writes
and leaves the others. See docs/evaluation.md for the protocols.

``--model`` is a model of the shapes classes (their masks are the ground truth): a shipped one,
or a file written by ``numpy-gradcam train``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from matplotlib import colormaps as mpl_colormaps
from matplotlib.figure import Figure

from .. import _validate
from ..cam import blending, colormaps
from ..cam.methods import METHODS
from ..cam.methods.cam import cam_head
from ..datasets import CLASS_NAMES, has_cue, make_biased
from ..evaluation import bias, report, suite
from ..evaluation.baselines import BASELINES
from ..figures import panels
from ..io import atomic_write, save_figure, write_together
from ..models import architecture_of, load_model
from .model_options import add_model_options, load, require_shapes_classes
from .outputs import refuse_inputs

ALL_METRICS = (*suite.METRICS, "bias")
DEFAULT_METRICS = suite.METRICS
#: Methods left out of the sanity check by default: hundreds of forward passes per image.
SLOW = ("scorecam", "ablationcam", "occlusion")
#: 20 distinct colours: one per method in the plots.
PALETTE = mpl_colormaps["tab20"]


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "evaluate", help="score the methods' heatmaps against ground truth (pointing game, "
                         "localisation, deletion/insertion, confidence, sanity checks)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_model_options(parser)
    parser.add_argument("--methods", default="all",
                        help="comma-separated methods of the registry and baselines "
                             f"({', '.join(BASELINES)}), or 'all' (default)")
    parser.add_argument("--metrics", default=",".join(DEFAULT_METRICS),
                        help=f"comma-separated, from {', '.join(ALL_METRICS)} "
                             "(default: all but bias)")
    parser.add_argument("--n", type=int, default=1000, help="held-out images (default 1000)")
    parser.add_argument("--seed", type=int, default=1_000_003,
                        help="held-out data seed, never used in training (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=100,
                        help="images per batch; bounds memory (default %(default)s)")
    parser.add_argument("--limit", action="append", default=[], metavar="METHOD=N",
                        help="run METHOD on only the first N images (for slow methods); "
                             "repeatable")
    parser.add_argument("--curve-n", type=int, default=None,
                        help="images given deletion/insertion curves (default: all --n)")
    parser.add_argument("--steps", type=int, default=16,
                        help="deletion/insertion steps (default %(default)s)")
    parser.add_argument("--sanity-n", type=int, default=64,
                        help="images of the sanity check (default %(default)s)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--force", action="store_true", help="replace existing outputs")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    parser.set_defaults(run=run)
    return parser


def parse_methods(text: str, model) -> list[str]:
    """``"all"`` or a comma list, checked against the registry and the baselines; ``"all"``
    leaves out CAM for a model without a GAP → linear head after its target layer."""
    accepted = (*METHODS, *BASELINES)
    if text == "all":
        names = [m for m in METHODS if m != "cam" or _cam_problem(model) is None]
        return names + list(BASELINES)
    return comma_list(text, "--methods", accepted)


def _cam_problem(model) -> str | None:
    """Why CAM cannot explain ``model`` at its target layer (the error of ``cam_head``), or
    None when it can."""
    try:
        cam_head(model, model.target_layer)
    except ValueError as error:
        return str(error)
    return None


def parse_metrics(text: str) -> list[str]:
    return comma_list(text, "--metrics", ALL_METRICS)


def comma_list(text: str, option: str, accepted) -> list[str]:
    """The names of a comma-separated option, each one of ``accepted``."""
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise ValueError(f"{option} must name at least one of {', '.join(accepted)}, "
                         f"got {text!r}")
    for name in names:
        _validate.choice(name, option, accepted)
    return names


def parse_limits(items, methods) -> dict[str, int]:
    limits = {}
    for item in items:
        method, _, count = item.partition("=")
        if method not in methods or not count.isdigit() or int(count) < 1:
            raise ValueError(f"--limit must be METHOD=N with METHOD among --methods and N >= 1, "
                             f"got {item!r}")
        limits[method] = int(count)
    return limits


def outputs(out: Path, metrics) -> list[Path]:
    files = []
    if set(metrics) & set(suite.COLUMNS):
        files += [out / "results.md", out / "results.csv"]
    if "deletion" in metrics:
        files.append(out / "deletion.png")
    if "sanity" in metrics:
        files += [out / "sanity.md", out / "sanity.csv", out / "sanity.png"]
    if "bias" in metrics:
        files += [out / "bias.md", out / "bias.csv", out / "bias_misclassified.png"]
    return files


def write_text(path: Path, text: str) -> None:
    with atomic_write(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def run(args) -> int:
    for name in ("n", "batch_size", "steps", "sanity_n"):
        _validate.positive_int(getattr(args, name), "--" + name.replace("_", "-"))
    if args.curve_n is not None:
        _validate.positive_int(args.curve_n, "--curve-n")
    metrics = parse_metrics(args.metrics)
    model = load(args)
    require_shapes_classes(model, args, "evaluate scores maps against the shapes' masks")
    methods = parse_methods(args.methods, model)
    if "cam" in methods and _cam_problem(model) is not None:
        raise ValueError(f"--methods cam cannot explain {args.model}: {_cam_problem(model)}; "
                         f"leave it out of --methods")
    limits = parse_limits(args.limit, methods)
    files = outputs(args.out, metrics)
    for f in files:
        refuse_inputs({"--out": f}, {"--model": args.model})
    existing = [str(f) for f in files if f.exists()]
    if existing and not args.force:
        raise FileExistsError(f"--out already holds {', '.join(existing)}; use --force to "
                              f"replace them")
    args.out.mkdir(parents=True, exist_ok=True)
    progress = not args.quiet
    scored = [m for m in metrics if m in suite.COLUMNS]
    # The run's files appear together when it is done, or not at all (Ctrl-C, an error); the
    # staging folder is made first, so a folder that takes no file is found before the scoring.
    with write_together(args.out, [f.name for f in files], args.force) as folder:
        if scored:
            result = suite.evaluate(model, methods, args.n, args.seed, scored, args.batch_size,
                                    limits, args.curve_n, args.steps, progress)
            write_results(args, folder, model, result, scored, limits)
        if "sanity" in metrics:
            fresh = architecture_of(model.card, seed=args.seed)
            sane = [m for m in methods if m in METHODS and m not in SLOW]
            study = suite.sanity_study(model, fresh, sane, args.sanity_n, args.seed, progress)
            write_sanity(args, folder, study)
        if "bias" in metrics:
            run_bias(args, folder, model)
    for f in files:
        print(f"wrote {f}")
    return 0


def write_results(args, folder: Path, model, result, metrics, limits) -> None:
    rows, columns = suite.summarize(result["values"], metrics)
    notes = {m: f"run on the first {k} images only (slow)" for m, k in limits.items()}
    if "cam" not in rows and args.methods == "all" and _cam_problem(model) is not None:
        notes["cam"] = f"not applicable: {args.model} has no GAP→linear head"
    head = (f"# Evaluation of {args.model}\n\n"
            f"`numpy-gradcam evaluate --model {args.model} --n {args.n} --seed {args.seed}"
            f" --batch-size {args.batch_size}`: {result['n']} held-out images, model accuracy "
            f"{100 * result['accuracy']:.1f} %, {result['skipped_empty']} skipped (empty mask). "
            f"Deletion/insertion on the first {args.curve_n or args.n} images, {args.steps} steps."
            f"\n95 % intervals: Wilson for rates, normal approximation for means.\n\n")
    write_text(folder / "results.md", head + report.markdown(rows, columns, notes))
    write_text(folder / "results.csv", report.csv_text(rows, columns))
    if "deletion" in metrics:
        fig = Figure(figsize=(11, 4.2))
        axes = fig.subplots(1, 2)
        for ax, mode in zip(axes, ("deletion", "insertion"), strict=True):
            for i, (method, curves) in enumerate(result["curves"].items()):
                if mode in curves:
                    c = curves[mode]
                    ax.plot(np.linspace(0, 1, c.shape[1]), c.mean(axis=0), label=method,
                            color=PALETTE(i % PALETTE.N),
                            linestyle="--" if method in BASELINES else "-")
            ax.set(title=f"{mode} ({args.model})", xlabel="fraction of pixels "
                   + ("deleted" if mode == "deletion" else "inserted"),
                   ylabel="mean p(class)", ylim=(0, 1))
        axes[1].legend(fontsize=7, ncol=2)
        fig.tight_layout()
        save_figure(fig, folder / "deletion.png")


def write_sanity(args, folder: Path, study) -> None:
    steps = study["steps"]
    columns = [report.Column(s, s, "mean", 1, 2, "lower") for s in steps]
    for kind in ("spearman", "ssim"):
        rows = {m: {s: report.mean(v[i]) for i, s in enumerate(steps)}
                for m, v in study[kind].items()}
        study[kind + "_rows"] = rows
    text = (f"# Sanity check of {args.model}: cascading randomisation\n\n"
            f"{args.sanity_n} images `make_shapes({args.sanity_n}, seed={args.seed})`; columns: "
            "the blocks randomised so far, top first. Mean [95 % CI].\n\n## Spearman rank "
            "correlation with the trained model's map\n\n"
            + report.markdown(study["spearman_rows"], columns)
            + "\n## SSIM with the trained model's map\n\n"
            + report.markdown(study["ssim_rows"], columns))
    write_text(folder / "sanity.md", text)
    csv = report.csv_text(study["spearman_rows"], columns).replace("\n", ",spearman\n")
    csv += report.csv_text(study["ssim_rows"], columns).split("\n", 1)[1].replace(
        "\n", ",ssim\n")
    write_text(folder / "sanity.csv", csv.replace("skipped,spearman", "skipped,similarity"))
    fig = Figure(figsize=(11, 4.2))
    axes = fig.subplots(1, 2)
    for ax, kind in zip(axes, ("spearman", "ssim"), strict=True):
        for i, (method, v) in enumerate(study[kind].items()):
            ax.plot(range(len(steps)), np.nanmean(v, axis=1), marker="o", label=method,
                    color=PALETTE(i % PALETTE.N))
        ax.set_xticks(range(len(steps)), steps, rotation=45, fontsize=7)
        ax.set(title=f"{kind} with the trained map ({args.model})", ylabel=kind,
               xlabel="randomised down to (cascade, top first)", ylim=(-0.2, 1.05))
        ax.axhline(0, color="grey", linewidth=0.5)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, folder / "sanity.png")


def run_bias(args, folder: Path, reference) -> None:
    if args.model == "tinycnn-biased":
        raise ValueError("--model is the unbiased reference of the bias investigation; "
                         "choose tinycnn-gap or tinycnn-fc")
    biased = load_model("tinycnn-biased")
    x, labels, masks, cue_masks = make_biased(args.n, seed=args.seed, split="test")
    cue = has_cue(cue_masks)
    shares = {name: bias.cue_shares(m, x, labels, masks, cue_masks)
              for name, m in (("tinycnn-biased", biased), (args.model, reference))}
    columns = [report.Column("cue", "energy on cue (%)", "mean", 100, 1, "lower"),
               report.Column("object", "energy on object (%)", "mean", 100, 1),
               report.Column("to_cue_class", "predicted class 0 (%)", "rate", 100, 1, "lower")]
    rows = {}
    for name, s in shares.items():
        for group, sel in (("all with cue", cue), ("correct", cue & s["correct"]),
                           ("wrong", cue & ~s["correct"]), ("no cue", ~cue)):
            if sel.any():
                rows[f"{name}, {group} ({int(sel.sum())})"] = {
                    "cue": report.mean(s["cue"][sel]), "object": report.mean(s["object"][sel]),
                    "to_cue_class": report.rate(s["predicted"][sel] == 0)}
    accuracy = {name: s["correct"].mean() for name, s in shares.items()}
    text = (f"# Biased-model investigation\n\n{args.n} images `make_biased({args.n}, "
            f"seed={args.seed}, split='test')` (cue-swapped: the cue is on {cue.sum()} images). "
            "Grad-CAM of the predicted class. Accuracy: "
            + ", ".join(f"{k} {100 * v:.1f} %" for k, v in accuracy.items())
            + f". The cue covers {100 * cue_masks[cue].mean():.2f} % of an image, the object "
            f"{100 * masks.mean():.2f} % on average.\n\n" + report.markdown(rows, columns))
    write_text(folder / "bias.md", text)
    write_text(folder / "bias.csv", report.csv_text(rows, columns))
    s_b, s_r = shares["tinycnn-biased"], shares[args.model]
    wrong = np.flatnonzero(cue & ~s_b["correct"])[:6]
    items = []
    for i in wrong:
        for name, s in (("biased", s_b), (args.model, s_r)):
            overlay = blending.blend(x[i:i + 1], colormaps.colormap(s["maps"][i:i + 1]), 0.5)[0]
            items.append((overlay, f"{name}: {CLASS_NAMES[s['predicted'][i]]}\n"
                                   f"cue {100 * s['cue'][i]:.0f} %, obj "
                                   f"{100 * s['object'][i]:.0f} %"))
        items.insert(len(items) - 2, (x[i], f"true: {CLASS_NAMES[labels[i]]}"))
    if items:
        fig = panels(items, title="tinycnn-biased mistakes on the cue-swapped split (Grad-CAM)",
                     columns=6, panel_size=2.0)
        save_figure(fig, folder / "bias_misclassified.png")
