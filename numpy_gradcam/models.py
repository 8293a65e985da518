"""The model architectures, and loading the trained ones shipped in ``data/``.

Three trained models, all on 3×64×64 RGB images in [0, 1] and the four shape classes:

- ``tinycnn-gap``: conv stack → global average pool → linear. CAM-compatible (Zhou et al. 2016):
  the class score is linear in the GAP of ``A = relu4``, which is what CAM needs.
- ``tinycnn-fc``: the same conv stack, same layer names, then flatten → linear → ReLU → linear.
  CAM cannot explain it (there is no GAP→linear head); Grad-CAM can.
- ``tinycnn-biased``: ``tinycnn-gap``'s architecture trained on the biased split of the data set.

The conv stack is four 3×3 convolutions, each followed by BatchNorm and ReLU, with a 2×2 max
pool after the first three. Receptive field of one ``relu4`` unit: 3 → 4 → 8 → 10 → 18 → 22 → 38
pixels, which covers the largest object (24 px); ``relu4`` is 8×8 for a 64×64 input.
``target_layer = "relu4"``: the last ReLU of the conv stack, the paper's choice — deeper layers
have no spatial extent left, shallower ones see edges rather than shapes (the "wrong layer"
pitfall of 004_eb38e0558e67099d.txt).

``reference_net`` is the issue's benchmark net (three convs, no BatchNorm) on which the torch
timings were first measured.
"""

from __future__ import annotations

from pathlib import Path

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

MODEL_NAMES = ("tinycnn-gap", "tinycnn-fc", "tinycnn-biased")
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


#: What ``load_model`` needs from a model card.
CARD_KEYS = ("architecture", "class_names", "sha256")

ARCHITECTURES = {"tinycnn-gap": tinycnn_gap, "tinycnn-fc": tinycnn_fc,
                 "tinycnn-biased": tinycnn_gap, "resnet18": resnet18, "resnet34": resnet34,
                 "resnet50": resnet50, "vgg16": vgg16, "mobilenet_v2": mobilenet_v2,
                 "efficientnet_lite0": efficientnet_lite0}


def build(name: str, **kwargs) -> Module:
    """An untrained model of the named architecture (``seed`` sets its initial weights;
    ``num_classes``, 1000 by default for the ImageNet architectures,
    :mod:`numpy_gradcam.architectures`)."""
    _validate.choice(name, "model name", tuple(ARCHITECTURES))
    return ARCHITECTURES[name](**kwargs)


def data_dir() -> Path:
    """Where the shipped weights are: ``numpy_gradcam/data/`` in an installed package, or the
    checkout's top-level ``data/`` folder when running from a source tree (or an editable
    install)."""
    package = Path(__file__).resolve().parent
    installed = package / "data"
    return installed if installed.is_dir() else package.parent / "data"


def load_model(name: str = "tinycnn-gap") -> Sequential:
    """A trained model shipped in ``data/``: one of :data:`MODEL_NAMES`.

    The weights file's sha256 is checked against the model card before loading; a mismatch (a
    corrupted or tampered file) raises ``ValueError``. The model's ``card`` attribute holds the
    card (architecture, class names, training command and seed, held-out accuracy).
    """
    _validate.choice(name, "name", MODEL_NAMES)
    folder = data_dir()
    card_path, weights_path = folder / f"{name}.json", folder / f"{name}.npz"
    if not card_path.is_file() or not weights_path.is_file():
        raise FileNotFoundError(
            f"the weights of {name!r} are not in {folder} (expected {card_path.name} and "
            f"{weights_path.name}); reinstall numpy-gradcam"
        )
    from .io import load_json, load_npz, sha256_file

    card = load_json(card_path)                                 # ValueError names the file
    if not isinstance(card, dict) or not all(key in card for key in CARD_KEYS):
        raise ValueError(f"the model card {card_path} must be a JSON object with the keys "
                         f"{', '.join(CARD_KEYS)}; it is corrupted or was changed")
    digest = sha256_file(weights_path)
    if digest != card["sha256"]:
        raise ValueError(
            f"the weights file {weights_path} has sha256 {digest[:16]}…, but its model card "
            f"expects {card['sha256'][:16]}…: the file is corrupted or was changed"
        )
    model = build(card["architecture"], class_names=card["class_names"],
                  **card.get("architecture_options", {}))
    model.load_state_dict(load_npz(weights_path))
    model.card = card
    model.name = name
    return model
