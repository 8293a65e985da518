"""The shipped models, loaded once for every test under ``tests/cam``.

Each subdirectory keeps its own images (the method tests explain the true labels, the preset
tests targets that are not only the predicted classes). The models are shared by the whole
session, so a test must not change them (their parameters, ``threads``): one that needs to
loads its own with :func:`numpy_gradcam.load_model`.
"""

import pytest

import numpy_gradcam as ng


@pytest.fixture(scope="session")
def gap_model():
    """``tinycnn-gap``: convolutions, global average pooling, one linear layer."""
    return ng.load_model("tinycnn-gap")


@pytest.fixture(scope="session")
def fc_model():
    """``tinycnn-fc``: convolutions, flatten, fully connected layers."""
    return ng.load_model("tinycnn-fc")
