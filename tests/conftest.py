"""Shared test configuration.

Hypothesis profiles: ``dev`` (the default, random, more examples) and ``ci`` (derandomised,
bounded, no deadline: a red CI always means a real defect, never an unlucky draw). Choose with
``HYPOTHESIS_PROFILE=ci``.

Oracle tests compare against torch. Without torch they are skipped, unless
``NUMPY_GRADCAM_REQUIRE_TORCH=1`` (set by ``.ci/run``), where a missing torch is a failure.

Preset tests compare against the real libraries (pytorch-grad-cam, Captum, torch-cam, OpenCV,
TensorFlow/Keras, tf-keras-vis; ``require_library``). Without one its tests are skipped, unless
``NUMPY_GRADCAM_REQUIRE_LIBRARIES`` names it (a comma-separated list of import names, set by
``.ci/run`` in the environments that install them), where a missing one is a failure.
"""

import importlib
import os

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

import numpy_gradcam as ng

matplotlib.use("Agg")

settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=25,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def require_torch():
    """Import torch for an oracle test: skip without it, or fail when CI requires it."""
    try:
        import torch
    except ImportError:
        if os.environ.get("NUMPY_GRADCAM_REQUIRE_TORCH") == "1":
            pytest.fail("torch is required for the oracle tests (NUMPY_GRADCAM_REQUIRE_TORCH=1)")
        pytest.skip("torch is not installed (pip install -e '.[oracle]')")
    torch.set_num_threads(2)
    return torch


@pytest.fixture
def torch():
    return require_torch()


def require_library(name: str):
    """Import the library ``name`` (its import name, e.g. ``"pytorch_grad_cam"``) for a preset's
    oracle test: skip without it, or fail when ``NUMPY_GRADCAM_REQUIRE_LIBRARIES`` lists it."""
    try:
        module = importlib.import_module(name)
    except ImportError as error:
        required = os.environ.get("NUMPY_GRADCAM_REQUIRE_LIBRARIES", "").split(",")
        if name in required:
            pytest.fail(f"{name} is required here (NUMPY_GRADCAM_REQUIRE_LIBRARIES): {error}")
        pytest.skip(f"{name} is not installed (its oracle tests compare against it)")
    if name == "torch" or name.startswith(("pytorch_grad_cam", "captum", "torchcam")):
        importlib.import_module("torch").set_num_threads(2)
    return module


# The shipped models, loaded once for the session. Tests must not change them (their parameters
# or buffers): one that needs to loads its own with numpy_gradcam.load_model.


@pytest.fixture(scope="session")
def gap_model():
    """``tinycnn-gap``: convolutions, global average pooling, one linear layer."""
    return ng.load_model("tinycnn-gap")


@pytest.fixture(scope="session")
def fc_model():
    """``tinycnn-fc``: convolutions, flatten, fully connected layers."""
    return ng.load_model("tinycnn-fc")
