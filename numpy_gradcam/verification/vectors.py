"""Golden vectors: every stage of Grad-CAM, from the input to the overlay, for documented cases.

Another implementation (in any language) is verified against these numbers stage by stage; see
``docs/verification.md``. Each case is the shipped model, an image made by
:func:`numpy_gradcam.datasets.make_shapes` from a fixed seed, a target, and the ``explain``
options (the conventions). Every stage keeps the batch axis ``N``, also for one image.

The stage keys, in pipeline order (:data:`STAGES`)::

    image          (N, 3, H, W)   the input, RGB in [0, 1]
    logits         (N, classes)   the scores before the softmax
    probabilities  (N, classes)   softmax(logits)
    targets        (N,)           the class c explained, int64
    activations    (N, K, h, w)   A at the target layer
    gradients      (N, K, h, w)   dy_dA = ∂y^c/∂A (negated for a counterfactual case)
    weights        (N, K)         alpha_k = (1/Z) Σ_ij dy_dA
    cam            (N, h, w)      L = ReLU(Σ_k alpha_k A^k)
    cam_normalized (N, h, w)      (L − min L) / (max L − min L)
    heatmap        (N, H, W)      bilinear resize of cam_normalized, half-pixel centres
    colored        (N, 3, H, W)   matplotlib's jet, RGB
    overlay        (N, 3, H, W)   0.4·colored + 0.6·image

``export(directory)`` writes, deterministically (the same version writes the same bytes):
``<case>.npz`` (the stages), ``<case>.json`` for the small cases (the same arrays as nested
lists), ``model-<name>.npz`` (each model's ``state_dict``, once), and ``manifest.json`` (per case:
the description, model, targets, conventions, and each stage's shape and dtype; the sha256 of
every file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__, explain, fast
from ..datasets import make_shapes
from ..io import save_json, save_npz, sha256_file
from ..models import load_model

STAGES = ("image", "logits", "probabilities", "targets", "activations", "gradients", "weights",
          "cam", "cam_normalized", "heatmap", "colored", "overlay")

#: Version of the file layout written by :func:`export` (not of the numbers).
FORMAT = 1


@dataclass(frozen=True)
class Case:
    """One golden-vector case: ``explain(load_model(model), image, target, **options)``.

    image : ``(seed, count, size, pad)``: ``make_shapes(count, seed=seed, size=size)``, then
        ``pad`` columns repeated from the edge on each side (a non-square image when > 0).
    target : None (each image's predicted class), an int, or a list (one per image).
    json : also written as plain JSON (the small cases).
    """

    name: str
    description: str
    model: str
    image: tuple[int, int, int, int]
    target: int | list[int] | None = None
    options: dict = field(default_factory=dict)
    json: bool = False

    def images(self) -> np.ndarray:
        seed, count, size, pad = self.image
        x, _, _ = make_shapes(count, seed=seed, size=size)                  # (N, 3, S, S)
        if pad:
            x = np.pad(x, ((0, 0), (0, 0), (0, 0), (pad, pad)), mode="edge")  # (N, 3, S, S+2p)
        return x


CASES = (
    Case("gap-predicted", "tinycnn-gap, one 64x64 image, its predicted class (circle, 0)",
         "tinycnn-gap", (0, 1, 64, 0)),
    Case("gap-other-class", "tinycnn-gap, the same image, a class it is not (square, index 1)",
         "tinycnn-gap", (0, 1, 64, 0), target=1),
    Case("gap-counterfactual", "tinycnn-gap, the same image, predicted class, counterfactual "
         "(-∂y^c/∂A)", "tinycnn-gap", (0, 1, 64, 0), options={"counterfactual": True}),
    Case("gap-batch", "tinycnn-gap, a batch of 3 images, each its true class (2, 0, 1): "
         "shows a mean over the batch axis", "tinycnn-gap", (0, 3, 64, 0), target=[2, 0, 1]),
    Case("gap-nonsquare", "tinycnn-gap, one non-square 64x96 image (H=64, W=96; the 64x64 "
         "image padded with its edge columns), predicted class: the only case where a (width, "
         "height) swap of the resize is visible", "tinycnn-gap", (0, 1, 64, 16)),
    Case("gap-small", "tinycnn-gap, one 32x32 image (a 4x4 map), predicted class; small "
         "enough to ship as plain JSON", "tinycnn-gap", (0, 1, 32, 0), json=True),
    Case("fc-predicted", "tinycnn-fc (flatten + two linear layers: gradients vary across "
         "positions), one 64x64 image, its predicted class", "tinycnn-fc", (0, 1, 64, 0)),
    Case("fc-batch", "tinycnn-fc, a batch of 2 images, each its true class (0, 1)",
         "tinycnn-fc", (0, 2, 64, 0), target=[0, 1]),
    Case("fc-positive-min", "tinycnn-fc, one 64x64 image (make_shapes(1, seed=46)), its "
         "predicted class (circle, 0): the ReLU'd map's minimum is positive (min L / max L = "
         "0.011), so normalising by the maximum alone (L / max L) differs from min-max",
         "tinycnn-fc", (46, 1, 64, 0)),
)

CASE_NAMES = tuple(case.name for case in CASES)


def get_case(name) -> Case:
    """The case named ``name``; a ValueError lists the valid names."""
    for case in CASES:
        if case.name == name:
            return case
    raise ValueError(f"unknown case {name!r}; valid cases: {', '.join(CASE_NAMES)}")


def reference(case: Case | str, model=None, preset: str = "paper"
              ) -> tuple[dict[str, np.ndarray | None], dict]:
    """The reference stages of ``case`` (every key of :data:`STAGES`, batch axis kept; None for
    a stage the ``preset``'s library does not have) and its conventions (the ``explain``
    options, the method and the layer)."""
    case = get_case(case) if isinstance(case, str) else case
    model = load_model(case.model) if model is None else model
    with fast.threads(1):                    # the serial reference: every layer traced by nn/
        explanation = explain(model, case.images(), target=case.target, method="gradcam",
                              preset=preset, **case.options)
    arrays = explanation.arrays()
    conventions = dict(explanation.options, method="gradcam", layer=explanation.layer)
    return {stage: arrays.get(stage) for stage in STAGES}, conventions


def _stage_info(arrays: dict[str, np.ndarray]) -> dict:
    return {key: {"shape": list(value.shape), "dtype": str(value.dtype)}
            for key, value in arrays.items()}


def export(directory, force: bool = False) -> dict:
    """Write the golden vectors of every case into ``directory`` (created if missing).

    Existing files are replaced only with ``force=True`` (each atomically). Returns the
    manifest (also written as ``manifest.json``).
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(f"{str(directory)!r} exists and is not a directory")
    directory.mkdir(parents=True, exist_ok=True)
    names = ["manifest.json", *(f"model-{case.model}.npz" for case in CASES)]
    names += [f"{case.name}.{suffix}" for case in CASES for suffix in ("npz", "json")
              if suffix == "npz" or case.json]
    existing = [name for name in names if (directory / name).exists()]
    if existing and not force:
        raise FileExistsError(f"{str(directory)!r} already holds {', '.join(existing[:3])}"
                              f"{' ...' if len(existing) > 3 else ''}: pass force=True (or "
                              f"--force) to replace the golden vectors")
    models, cases, files = {}, {}, {}
    for case in CASES:
        if case.model not in models:
            models[case.model] = load_model(case.model)
            name = f"model-{case.model}.npz"
            save_npz(directory / name, models[case.model].state_dict(), force=force)
            files[name] = sha256_file(directory / name)
        arrays, conventions = reference(case, models[case.model])
        save_npz(directory / f"{case.name}.npz", arrays, force=force)
        case_files = [f"{case.name}.npz"]
        if case.json:
            save_json(directory / f"{case.name}.json", arrays, force=force)
            case_files.append(f"{case.name}.json")
        for name in case_files:
            files[name] = sha256_file(directory / name)
        cases[case.name] = {
            "description": case.description, "model": case.model,
            "model_file": f"model-{case.model}.npz",
            "targets": arrays["targets"].tolist(), "conventions": conventions,
            "files": case_files, "stages": _stage_info(arrays),
        }
    manifest = {"format": FORMAT, "numpy_gradcam": __version__, "stage_order": list(STAGES),
                "cases": cases, "sha256": files,
                "models": {name: f"model-{name}.npz" for name in models}}
    save_json(directory / "manifest.json", manifest, force=force)
    return manifest
