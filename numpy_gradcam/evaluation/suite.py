"""The whole evaluation, streamed over held-out data in batches: what ``numpy-gradcam evaluate``
runs.

Images come from ``make_shapes(batch, seed=rng)`` with one ``numpy.random.Generator`` seeded by
``seed`` and passed from batch to batch, so memory holds one batch of images whatever ``n`` is,
and the same ``(seed, n, batch_size)`` gives the same images (a different ``batch_size`` gives
different ones). Per image only a few numbers are kept (and the perturbation curves, ``steps + 1``
numbers each). Every method explains the model's **predicted** class (the Grad-CAM paper's
protocol for localisation; at the shipped models' 99.9 % accuracy it is nearly always the true
class).

Images whose mask is empty cannot be scored: they are skipped and counted (``skipped_empty``).
"""

from __future__ import annotations

import numpy as np

from .. import _validate
from ..datasets import make_shapes
from ..progress import Progress
from . import baselines, confidence, deletion, localization, report, sanity
from .maps import method_maps
from .masks import nonempty
from .pointing_game import PAPER_TOLERANCE_64, energy_pointing_game, pointing_game
from .scoring import target_probabilities

METRICS = ("pointing", "energy", "localization", "deletion", "confidence", "sanity")

COLUMNS = {
    "pointing": [
        report.Column("pointing_0", "pointing game, tol 0 (%)", "rate", 100, 1),
        report.Column("pointing_paper", "pointing game, tol 4.3 px = paper (%)", "rate", 100, 1),
    ],
    "energy": [
        report.Column("energy_mask", "energy in mask (%)", "mean", 100, 1),
        report.Column("energy_box", "energy in box (%)", "mean", 100, 1),
    ],
    "localization": [
        report.Column("loc_error", "loc. error (%)", "rate", 100, 1, "lower"),
        report.Column("top1_loc_error", "top-1 loc. error (%)", "rate", 100, 1, "lower"),
        report.Column("mask_iou", "mask IoU", "mean", 1, 3),
    ],
    "deletion": [
        report.Column("deletion_auc", "deletion AUC", "mean", 1, 3, "lower"),
        report.Column("insertion_auc", "insertion AUC", "mean", 1, 3),
    ],
    "confidence": [
        report.Column("average_drop", "average drop (%)", "mean", 100, 1, "lower"),
        report.Column("increase", "increase in confidence (%)", "rate", 100, 1),
    ],
}


def check_metrics(metrics) -> tuple[str, ...]:
    """The metric names, checked against :data:`METRICS` (the error names them all)."""
    if isinstance(metrics, str) or not isinstance(metrics, (list, tuple)) or not metrics:
        raise TypeError(f"metrics must be a non-empty list of names from {METRICS}, "
                        f"got {_validate.describe(metrics)}")
    for m in metrics:
        _validate.choice(m, "metric", METRICS)
    return tuple(metrics)


def score_batch(model, x, masks, maps, targets, correct, metrics, Y, steps) -> dict:
    """Per-image values ``(B,)`` of every metric for one batch of maps ``(B, H, W)``, and the
    deletion/insertion curves ``(B, steps + 1)`` when asked for."""
    out = {}
    if "pointing" in metrics:
        out["pointing_0"] = pointing_game(maps, masks)
        out["pointing_paper"] = pointing_game(maps, masks, tolerance=PAPER_TOLERANCE_64)
    if "energy" in metrics:
        boxes = localization.box_masks(localization.bounding_boxes(masks), masks.shape[1:])
        out["energy_mask"] = energy_pointing_game(maps, masks)
        out["energy_box"] = energy_pointing_game(maps, boxes)
    if "localization" in metrics:
        loc = localization.localization(maps, masks)
        out["loc_error"] = ~loc["hit"]
        out["top1_loc_error"] = ~(loc["hit"] & correct)
        out["mask_iou"] = loc["mask_iou"]
    if "confidence" in metrics:
        drop, increase = confidence.confidence_change(model, x, maps, targets, Y=Y)
        out["average_drop"], out["increase"] = drop, increase
    if "deletion" in metrics and len(x):
        for mode in deletion.MODES:
            curves = deletion.perturbation_curve(model, x, maps, targets, mode, steps)
            out[f"{mode}_curve"] = curves
            out[f"{mode}_auc"] = deletion.auc(curves)
    return out


def evaluate(model, methods, n: int, seed=1_000_003, metrics=METRICS[:-1], batch_size: int = 100,
             limits: dict | None = None, curve_n: int | None = None, steps: int = deletion.STEPS,
             progress: bool = True) -> dict:
    """Score ``methods`` (registry names, plus the baselines ``"center-gaussian"`` and
    ``"random"``) on ``n`` held-out images, streamed in batches.

    ``limits`` maps a method to the number of images it is run on (the first ones; for slow
    methods); ``curve_n`` the number of images given deletion/insertion curves (all if None).

    Returns ``{"values": {method: {metric: (n_m,) array}}, "curves": {method: {mode: (n_c, steps +
    1)}}, "skipped_empty": int, "n": int, "accuracy": float}``.
    """
    n = _validate.positive_int(n, "n")
    batch_size = _validate.positive_int(batch_size, "batch_size")
    metrics = check_metrics(list(metrics))
    limits = dict(limits or {})
    curve_n = n if curve_n is None else _validate.positive_int(curve_n, "curve_n")
    rng = _validate.rng(seed, "seed")
    baseline_rng = np.random.default_rng(rng.integers(2**63))
    collected = {m: {} for m in methods}
    skipped, correct_total, done = 0, 0, 0
    total_work = sum(min(n, limits.get(m, n)) for m in methods)
    with Progress(total_work, f"evaluate {getattr(model, 'card', {}).get('name', '')}",
                  unit="maps", delay=1.0 if progress else float("inf")) as bar:
        for start in range(0, n, batch_size):
            x, labels, masks = make_shapes(min(batch_size, n - start), seed=rng)
            keep = nonempty(masks)
            skipped += int((~keep).sum())
            x, labels, masks = x[keep], labels[keep], masks[keep]
            targets = model.forward(x).argmax(axis=1)                    # predicted classes
            correct = targets == labels
            correct_total += int(correct.sum())
            Y = target_probabilities(model, x, targets) if "confidence" in metrics else None
            for method in methods:
                stop = min(len(x), max(0, limits.get(method, n) - start))
                if stop == 0:
                    continue
                if method == "center-gaussian":
                    maps = baselines.center_gaussian(stop, x.shape[2:])
                elif method == "random":
                    maps = baselines.random_map(stop, x.shape[2:], baseline_rng)
                else:
                    maps, _ = method_maps(model, x[:stop], method, targets=targets[:stop])
                curves_here = max(0, min(stop, curve_n - start))
                batch_metrics = [m for m in metrics if m != "deletion"]
                values = score_batch(model, x[:stop], masks[:stop], maps, targets[:stop],
                                     correct[:stop], batch_metrics,
                                     None if Y is None else Y[:stop], steps)
                if "deletion" in metrics and curves_here:
                    values.update(score_batch(model, x[:curves_here], masks[:curves_here],
                                              maps[:curves_here], targets[:curves_here],
                                              correct[:curves_here], ["deletion"], None, steps))
                for key, v in values.items():
                    collected[method].setdefault(key, []).append(v)
                bar.update(stop, batch=f"{start // batch_size + 1}")
            done += len(x)
    values = {m: {k: np.concatenate(v) for k, v in d.items()} for m, d in collected.items()}
    curves = {m: {mode: values[m].pop(f"{mode}_curve") for mode in deletion.MODES
                  if f"{mode}_curve" in values[m]} for m in methods}
    return {"values": values, "curves": curves, "skipped_empty": skipped, "n": done,
            "accuracy": correct_total / max(done, 1)}


def summarize(values: dict, metrics) -> tuple[dict, list]:
    """``({method: {metric: Estimate}}, columns)`` from :func:`evaluate`'s ``values``."""
    columns = [c for m in metrics if m in COLUMNS for c in COLUMNS[m]]
    rows = {}
    for method, per_metric in values.items():
        rows[method] = {c.key: getattr(report, c.summary)(per_metric[c.key])
                        for c in columns if c.key in per_metric}
    return rows, columns


def sanity_study(model, fresh, methods, n: int, seed, progress: bool = True) -> dict:
    """Cascading randomisation on ``n`` images ``make_shapes(n, seed)``: for each step of
    :func:`~numpy_gradcam.evaluation.sanity.cascade` and each method, the per-image Spearman
    correlation and SSIM ``(n,)`` of its map with the trained model's map (same image, same
    class). Returns ``{"steps": [labels], "spearman": {method: (steps, n)}, "ssim": {...}}``."""
    n = _validate.positive_int(n, "n")
    x, _, _ = make_shapes(n, seed=seed)
    targets = model.forward(x).argmax(axis=1)
    labels, reference = [], {}
    result = {"spearman": {m: [] for m in methods}, "ssim": {m: [] for m in methods}}
    steps = len(sanity.blocks(model)) + 1
    with Progress(steps * len(methods), "sanity check", unit="maps",
                  delay=1.0 if progress else float("inf")) as bar:
        for label, randomised in sanity.cascade(model, fresh):
            labels.append(label)
            for method in methods:
                maps, _ = method_maps(randomised, x, method, targets=targets)
                reference.setdefault(method, maps)
                result["spearman"][method].append(sanity.spearman(reference[method], maps))
                result["ssim"][method].append(sanity.ssim(reference[method], maps))
                bar.update(1)
    result = {k: {m: np.array(v) for m, v in d.items()} for k, d in result.items()}
    result["steps"] = labels
    return result
