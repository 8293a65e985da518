"""Shared fixtures of the preset tests: the shipped GAP model and three images whose targets are
not only the predicted classes."""

import pytest

import numpy_gradcam as ng
from numpy_gradcam.datasets import make_shapes


@pytest.fixture(scope="module")
def model():
    return ng.load_model("tinycnn-gap")


@pytest.fixture(scope="module")
def images():
    x, labels, _ = make_shapes(3, seed=5)
    return x, [int(c) for c in (labels + 1) % 4]                     # not only the predicted
