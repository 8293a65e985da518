"""Golden vectors: every stage of Grad-CAM, from the input to the overlay, for documented cases.

Another implementation (in any language) is verified against these numbers stage by stage; see
``docs/verification.md``. Each case is a model, an image, a target, and the ``explain`` options
(the conventions). Every stage keeps the batch axis ``N``, also for one image. Two sets:

- :data:`CASES`, the tiny ones (the default): a shipped model on images made by
  :func:`numpy_gradcam.datasets.make_shapes` from a fixed seed;
- :data:`REAL_CASES`: real architectures at 224×224 on a real photo, matplotlib's sample
  ``grace_hopper.jpg`` (its centre crop, :mod:`numpy_gradcam.preprocessing`): torchvision's
  ``resnet18`` with seeded random weights (:data:`SEEDED_MODELS`) and the pretrained
  EfficientNet-Lite0 (the extra ``imagenet``). Their weights are written as ``.safetensors``
  (float32, PyTorch's names), which torchvision's ``resnet18`` and the EfficientNet-Lite port
  load as they are: a torch user verifies a whole pipeline (pytorch-grad-cam, Captum, hooks).

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

``export(directory, cases=CASE_NAMES)`` writes, deterministically (the same version writes the
same bytes): ``<case>.npz`` (the stages), ``<case>.json`` for the small cases (the same arrays as
nested lists), ``model-<name>.npz`` or ``model-<name>.safetensors`` (each model's ``state_dict``,
once), and ``manifest.json`` (per case: the description, model, targets, conventions, input
normalisation, and each stage's shape and dtype; the sha256 of every file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__, explain, fast, weights
from ..datasets import make_shapes
from ..io import image_size, load_image, save_json, save_npz, sha256_file, write_together
from ..models import build, load_model
from ..nn.module import Module
from ..preprocessing import crop_box

STAGES = ("image", "logits", "probabilities", "targets", "activations", "gradients", "weights",
          "cam", "cam_normalized", "heatmap", "colored", "overlay")

#: Version of the file layout written by :func:`export` (not of the numbers).
FORMAT = 1


#: The cases' models that are an architecture with seeded random weights: name → (architecture,
#: seed). Built bare (no input normalisation, as torchvision's ``resnet18()``), their weights
#: rounded to float32: the numbers of the ``.safetensors`` file, whatever a reader's precision.
SEEDED_MODELS = {"resnet18-seed0": ("resnet18", 0)}

#: The real cases' photos (matplotlib's sample data) and their sha256: a changed file would
#: change every stage, so it is refused rather than compared.
PHOTOS = {"grace_hopper.jpg":
          "a8ca6d734765703b09728ab47fe59f473d93ae3967fc24c7c0288c3c7adb7130"}
#: The real architectures' input size (H, W).
PHOTO_INPUT = (224, 224)


def load_case_model(name: str) -> Module:
    """The model ``name`` of a case: one of :data:`SEEDED_MODELS`, or a shipped or pretrained
    name (:func:`numpy_gradcam.load_model`)."""
    if name not in SEEDED_MODELS:
        return load_model(name)
    architecture, seed = SEEDED_MODELS[name]
    model = build(architecture, seed=seed)
    model.load_state_dict(float32_weights(model))
    model.name = name
    return model


def float32_weights(model: Module) -> dict[str, np.ndarray]:
    """``model.state_dict()`` with its floating-point arrays as float32 (integers kept)."""
    return {key: value.astype(np.float32) if value.dtype.kind == "f" else value
            for key, value in model.state_dict().items()}


def photo_input(name: str) -> np.ndarray:
    """The sample photo ``name`` as a real architecture sees it ``(1, 3, 224, 224)``: its
    centre crop (:func:`numpy_gradcam.preprocessing.crop_box`), resized by
    :func:`numpy_gradcam.io.load_image`."""
    from matplotlib import cbook

    path = cbook.get_sample_data(name, asfileobj=False)
    if sha256_file(path) != PHOTOS[name]:
        raise ValueError(f"matplotlib's sample photo {str(path)!r} is not the one the golden "
                         f"vectors were made from (sha256 {PHOTOS[name]})")
    box = crop_box(image_size(path), PHOTO_INPUT)
    return load_image(path, size=PHOTO_INPUT, box=box.as_tuple())[None]


@dataclass(frozen=True)
class Case:
    """One golden-vector case: ``explain(load_case_model(model), image, target, **options)``.

    image : ``(seed, count, size, pad)``: ``make_shapes(count, seed=seed, size=size)``, then
        ``pad`` columns repeated from the edge on each side (a non-square image when > 0); or
        the name of a sample photo (:func:`photo_input`).
    target : None (each image's predicted class), an int, or a list (one per image).
    json : also written as plain JSON (the small cases).
    weights : the model file's format, ``"npz"`` or ``"safetensors"`` (float32, for torch).
    """

    name: str
    description: str
    model: str
    image: tuple[int, int, int, int] | str
    target: int | list[int] | None = None
    options: dict = field(default_factory=dict)
    json: bool = False
    weights: str = "npz"

    @property
    def model_file(self) -> str:
        return f"model-{self.model}.{self.weights}"

    def load_model(self) -> Module:
        return load_case_model(self.model)

    def images(self) -> np.ndarray:
        if isinstance(self.image, str):
            return photo_input(self.image)
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

REAL_CASES = (
    Case("resnet18-photo", "torchvision's resnet18 with seeded random weights (build('resnet18', "
         "seed=0), rounded to float32: model-resnet18-seed0.safetensors), no input "
         "normalisation, on grace_hopper.jpg's centre crop at 224x224, its predicted class, "
         "layer4", "resnet18-seed0", "grace_hopper.jpg", weights="safetensors"),
    Case("lite0-photo", "the pretrained EfficientNet-Lite0 (load_model('efficientnet-lite0'), "
         "the extra imagenet; model-efficientnet-lite0.safetensors, the EfficientNet-Lite "
         "port's names), which normalises its input (255 x - 127) / 128 first, on "
         "grace_hopper.jpg's centre crop at 224x224, its predicted class (military uniform, "
         "652), _conv_head", "efficientnet-lite0", "grace_hopper.jpg", weights="safetensors"),
)

CASE_NAMES = tuple(case.name for case in CASES)
REAL_CASE_NAMES = tuple(case.name for case in REAL_CASES)


def get_case(name) -> Case:
    """The case named ``name`` (of :data:`CASES` or :data:`REAL_CASES`); a ValueError lists the
    valid names."""
    for case in CASES + REAL_CASES:
        if case.name == name:
            return case
    raise ValueError(f"unknown case {name!r}; valid cases: "
                     f"{', '.join(CASE_NAMES + REAL_CASE_NAMES)}")


def reference(case: Case | str, model=None, preset: str = "paper"
              ) -> tuple[dict[str, np.ndarray | None], dict]:
    """The reference stages of ``case`` (every key of :data:`STAGES`, batch axis kept; None for
    a stage the ``preset``'s library does not have) and its conventions (the ``explain``
    options, the method and the layer)."""
    case = get_case(case) if isinstance(case, str) else case
    model = case.load_model() if model is None else model
    with fast.threads(1):                    # the serial reference: every layer traced by nn/
        explanation = explain(model, case.images(), target=case.target, method="gradcam",
                              preset=preset, **case.options)
    arrays = explanation.arrays()
    conventions = dict(explanation.options, method="gradcam", layer=explanation.layer)
    return {stage: arrays.get(stage) for stage in STAGES}, conventions


def _stage_info(arrays: dict[str, np.ndarray]) -> dict:
    return {key: {"shape": list(value.shape), "dtype": str(value.dtype)}
            for key, value in arrays.items()}


def _model_weights(case: Case, model: Module) -> dict[str, np.ndarray]:
    return float32_weights(model) if case.weights == "safetensors" else model.state_dict()


def _write_cases(directory: Path, chosen: list[Case], models: dict) -> dict:
    """Write each case's stages, its model's weights and the manifest into ``directory`` (new,
    empty); return the manifest."""
    described, files = {}, {}
    for case in chosen:
        if case.model_file not in files:
            weights.write(directory / case.model_file, _model_weights(case, models[case.model]))
            files[case.model_file] = sha256_file(directory / case.model_file)
        arrays, conventions = reference(case, models[case.model])
        save_npz(directory / f"{case.name}.npz", arrays)
        case_files = [f"{case.name}.npz"]
        if case.json:
            save_json(directory / f"{case.name}.json", arrays)
            case_files.append(f"{case.name}.json")
        for name in case_files:
            files[name] = sha256_file(directory / name)
        card = getattr(models[case.model], "card", None) or {}
        described[case.name] = {
            "description": case.description, "model": case.model,
            "model_file": case.model_file,
            "input_normalization": card.get("input_normalization"),
            "targets": arrays["targets"].tolist(), "conventions": conventions,
            "files": case_files, "stages": _stage_info(arrays),
        }
    manifest = {"format": FORMAT, "numpy_gradcam": __version__, "stage_order": list(STAGES),
                "cases": described, "sha256": files,
                "models": {case.model: case.model_file for case in chosen}}
    save_json(directory / "manifest.json", manifest)
    return manifest


def export(directory, force: bool = False, cases=CASE_NAMES) -> dict:
    """Write the golden vectors of ``cases`` (names; the tiny cases by default,
    :data:`REAL_CASE_NAMES` for the real architectures) into ``directory`` (created if missing).

    Existing files are replaced only with ``force=True``. The files appear together when all
    are written, or not at all (:func:`numpy_gradcam.io.write_together`), and their bytes are
    the same whatever the machine's BLAS thread settings. Returns the manifest (also written as
    ``manifest.json``).
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise NotADirectoryError(f"{str(directory)!r} exists and is not a directory")
    chosen = [get_case(name) for name in cases]
    directory.mkdir(parents=True, exist_ok=True)
    names = ["manifest.json", *(case.model_file for case in chosen)]
    names += [f"{case.name}.{suffix}" for case in chosen for suffix in ("npz", "json")
              if suffix == "npz" or case.json]
    existing = [name for name in names if (directory / name).exists()]
    if existing and not force:
        raise FileExistsError(f"{str(directory)!r} already holds {', '.join(existing[:3])}"
                              f"{' ...' if len(existing) > 3 else ''}: pass force=True (or "
                              f"--force) to replace the golden vectors")
    models = {case.model: case.load_model() for case in chosen}   # a missing extra: no file yet
    # The files appear together or not at all; BLAS on one thread, so that the bytes do not
    # depend on the machine's thread settings (OPENBLAS_NUM_THREADS changed a logit by 1.8e-15).
    with write_together(directory, list(dict.fromkeys(names)), force) as staging, \
            fast.workers.blas_threads(1):
        manifest = _write_cases(staging, chosen, models)
    return manifest
