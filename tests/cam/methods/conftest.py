"""Shared fixtures of the method tests: a few images, and a toy model small enough to compute
every method by hand (the shipped models, ``gap_model`` and ``fc_model``, come from
``tests/cam/conftest.py``).

The toy: ``conv`` is a 1×1 convolution that copies the red and green channels (``A^0 = relu(R)``,
``A^1 = relu(G)``), then global average pooling and a linear layer with weight ``fc_weight``
and no bias, so ``y = fc_weight @ [mean A^0, mean A^1]``.
"""

import numpy as np
import pytest

from numpy_gradcam.datasets import make_shapes
from numpy_gradcam.nn import Conv2d, GlobalAvgPool2d, Linear, ReLU, Sequential


@pytest.fixture(scope="session")
def images():
    """Two shapes images and their labels."""
    x, labels, _ = make_shapes(2, seed=2024)
    return x, [int(c) for c in labels]


def toy_model(fc_weight=((1.0, 0.0), (0.0, 1.0))):
    """The toy of the module docstring (classes ``"a"``, ``"b"``; layer ``relu``)."""
    conv = Conv2d(3, 2, 1, bias=False)
    conv.params["weight"] = np.array([[1.0, 0, 0], [0, 1.0, 0]]).reshape(2, 3, 1, 1)
    fc = Linear(2, 2, bias=False)
    fc.params["weight"] = np.array(fc_weight, dtype=np.float64)
    return Sequential([("conv", conv), ("relu", ReLU()), ("gap", GlobalAvgPool2d()),
                       ("fc", fc)], class_names=("a", "b"), target_layer="relu")


def toy_image(R, G):
    """An RGB image ``(3, H, W)`` with the given red and green planes and no blue."""
    R, G = np.asarray(R, dtype=np.float64), np.asarray(G, dtype=np.float64)
    return np.stack([R, G, np.zeros_like(R)])
