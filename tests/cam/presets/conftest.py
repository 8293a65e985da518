"""Shared fixtures of the preset tests: the shipped GAP model (``tests/cam/conftest.py``'s
``gap_model``, as ``model``) and three images whose targets are not only the predicted classes."""

import pytest

from numpy_gradcam.datasets import make_shapes


@pytest.fixture(scope="session")
def model(gap_model):
    return gap_model


@pytest.fixture(scope="module")
def images():
    x, labels, _ = make_shapes(3, seed=5)
    return x, [int(c) for c in (labels + 1) % 4]                     # not only the predicted
