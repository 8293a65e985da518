"""Shared test configuration.

Hypothesis profiles: ``dev`` (the default, random, more examples) and ``ci`` (derandomised,
bounded, no deadline: a red CI always means a real defect, never an unlucky draw). Choose with
``HYPOTHESIS_PROFILE=ci``.

Oracle tests compare against torch. Without torch they are skipped, unless
``NUMPY_GRADCAM_REQUIRE_TORCH=1`` (set by ``.ci/run``), where a missing torch is a failure.
"""

import os

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

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
