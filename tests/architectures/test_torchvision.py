"""The real architectures against torchvision: random weights and randomised BatchNorm
statistics, float64 and float32, inputs that are neither 224 nor square. Logits, every module's
output (its last call's, as a forward hook keeps it) and dy/dA at several layers.

Needs torchvision (CI's second environment: torch 2.14.1 + torchvision 0.29.1); skipped without
it unless NUMPY_GRADCAM_REQUIRE_LIBRARIES names it.
"""

import numpy as np
import pytest

from numpy_gradcam import architectures
from tests.architectures.oracle import (
    TOL,
    close,
    not_inplace,
    randomise_batchnorm,
    torch_stages,
)
from tests.conftest import require_library

ARCHS = ("resnet18", "resnet34", "resnet50")
#: Layers whose gradient is compared: stages, blocks, leaves inside a block's residual branch,
#: a shortcut, and the relu a block calls more than once.
GRADIENT_LAYERS = ("layer4", "layer3.1", "layer4.1.conv2", "layer2.0.downsample.1",
                   "layer1.0.relu", "maxpool")


def randomised(arch, seed):
    """A torchvision model with random weights and BatchNorm statistics, in evaluation mode."""
    torch = require_library("torch")
    tv = require_library("torchvision")
    torch.manual_seed(seed)
    model = getattr(tv.models, arch)(weights=None).double().eval()
    return randomise_batchnorm(not_inplace(model), seed + 1)


def ours_from(tv_model, arch):
    model = getattr(architectures, arch)(num_classes=1000)
    model.load_state_dict({k: v.detach().cpu().numpy() for k, v in
                           tv_model.state_dict().items()})
    return model


@pytest.mark.parametrize("arch", ARCHS)
def test_float64_every_stage_and_gradient(arch):
    tv_model = randomised(arch, seed=ARCHS.index(arch))
    model = ours_from(tv_model, arch)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 67, 45))                      # neither 224 nor square
    dy = rng.standard_normal((2, 1000))
    logits, dx, outputs, grads = torch_stages(tv_model, x, dy, GRADIENT_LAYERS)
    trace = model.trace(x)
    close(trace.logits, logits, TOL[np.float64], "logits")
    assert set(trace.outputs) == set(outputs) == set(model.layer_names)
    for name in model.layer_names:
        close(trace.outputs[name], outputs[name], TOL[np.float64], name)
    for name in GRADIENT_LAYERS:
        close(model.backward_to(trace, dy, name), grads[name], TOL[np.float64], f"d/d{name}")
    close(model.backward_to_input(trace, dy), dx, TOL[np.float64], "d/dx")


@pytest.mark.parametrize("arch", ["resnet18", "resnet50"])
def test_float32(arch):
    tv_model = randomised(arch, seed=7)
    model = ours_from(tv_model, arch)
    x = np.random.default_rng(1).standard_normal((1, 3, 50, 77)).astype(np.float32)
    dy = np.random.default_rng(2).standard_normal((1, 1000)).astype(np.float32)
    logits, _, _, grads = torch_stages(tv_model.float(), x, dy, ("layer4",))
    trace = model.trace(x)
    assert trace.logits.dtype == np.float32
    close(trace.logits, logits, TOL[np.float32], "logits")
    close(model.backward_to(trace, dy, "layer4"), grads["layer4"], TOL[np.float32], "d/dlayer4")


def test_the_state_dict_is_torchvisions_key_for_key():
    tv_model = randomised("resnet18", seed=3)
    ours = architectures.resnet18().state_dict()
    theirs = {k: v.numpy() for k, v in tv_model.state_dict().items()}
    assert list(ours) == list(theirs)
    assert all(ours[k].shape == theirs[k].shape for k in ours)


def test_to_torch_builds_torchvisions_model_with_our_weights():
    torch = require_library("torch")
    require_library("torchvision")
    from numpy_gradcam.oracle import to_torch

    model = architectures.resnet18(num_classes=6, seed=5)
    x = np.random.default_rng(6).standard_normal((2, 3, 40, 56))
    with torch.no_grad():
        theirs = to_torch(model)(torch.from_numpy(x)).numpy()
    close(model.forward(x), theirs, TOL[np.float64], "logits through to_torch")
