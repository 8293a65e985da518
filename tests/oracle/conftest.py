"""Every test here compares against torch: skip them all without it (or fail, when CI sets
NUMPY_GRADCAM_REQUIRE_TORCH=1), before any of them reaches ``to_torch``."""

import pytest

from tests.conftest import require_torch


@pytest.fixture(autouse=True)
def _torch_is_required():
    require_torch()
