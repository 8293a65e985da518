"""VGG-16 and MobileNetV2 against torchvision: random weights (and, for MobileNetV2, randomised
BatchNorm statistics), float64 and float32, inputs that are neither 224 nor square. Logits, every
module's output (as a forward hook keeps it) and dy/dA at several layers; state_dict keys in
torchvision's order.

MobileNetV2 goes from torchvision to ours (``load_state_dict`` of its state_dict). VGG-16 holds
134 million parameters even with 10 classes, too many to initialise twice in a test: ours is
built once, its weights scaled up to He et al.'s variance (torchvision's initialisation; the
engine's default shrinks the signal √6-fold per layer), and copied into a torchvision model built
without initialising (``device="meta"``).

Needs torchvision (CI's second environment: torch 2.14.1 + torchvision 0.29.1); skipped without
it unless NUMPY_GRADCAM_REQUIRE_LIBRARIES names it.
"""

import numpy as np
import pytest

from numpy_gradcam import nn
from numpy_gradcam.architectures.mobilenet import mobilenet_v2
from numpy_gradcam.architectures.vgg import vgg16
from tests.architectures.oracle import (
    TOL,
    close,
    not_inplace,
    randomise_batchnorm,
    torch_stages,
)
from tests.conftest import require_library

NUM_CLASSES = 10
#: Layers whose gradient is compared: the target layer, the whole feature stack, blocks (one
#: adding its input back, and a residual branch before that sum), leaves inside blocks, and the
#: pool of the head.
GRADIENT_LAYERS = {
    "vgg16": ("features.30", "features.22", "features.10", "avgpool", "classifier.4"),
    "mobilenet_v2": ("features.18", "features", "features.16", "features.15.conv",
                     "features.16.conv.1.2", "features.3.conv.2", "features.1.conv.0.1",
                     "features.0"),
}


def randomised_mobilenet(seed):
    """torchvision's MobileNetV2 with random weights and BatchNorm statistics, evaluating."""
    torch = require_library("torch")
    tv = require_library("torchvision")
    torch.manual_seed(seed)
    model = not_inplace(tv.models.mobilenet_v2(weights=None, num_classes=NUM_CLASSES))
    return randomise_batchnorm(model.double().eval(), seed + 1)


def mobilenet_pair(seed):
    tv_model = randomised_mobilenet(seed)
    model = mobilenet_v2(num_classes=NUM_CLASSES)
    model.load_state_dict({k: v.detach().cpu().numpy() for k, v in
                           tv_model.state_dict().items()})
    return tv_model, model


@pytest.fixture(scope="module")
def vgg():
    """Ours, built once; every convolution and linear layer scaled to He et al.'s variance."""
    require_library("torchvision")
    model = vgg16(num_classes=NUM_CLASSES, seed=11)
    for _, leaf in model.named_leaves():
        if isinstance(leaf, (nn.Conv2d, nn.Linear)):
            leaf.params["weight"] *= np.sqrt(6)   # 1/(3·fan_in) → 2/fan_in
    return model


def torchvision_vgg(model, dtype):
    """torchvision's VGG-16 holding our weights, evaluating: built on the meta device (no
    initialisation), then given memory and our state."""
    torch = require_library("torch")
    tv = require_library("torchvision")
    with torch.device("meta"):
        tv_model = tv.models.vgg16(weights=None, num_classes=NUM_CLASSES)
    tv_model = not_inplace(tv_model).to_empty(device="cpu").to(dtype)
    # Each leaf's live arrays (state_dict() would copy 1 GB first); load_state_dict copies them.
    state = {f"{name}.{k}": torch.from_numpy(v) for name, leaf in model.named_leaves()
             for group in (leaf.params, leaf.buffers) for k, v in group.items()}
    tv_model.load_state_dict(state, strict=True)
    return tv_model.eval()


def compare_float64(tv_model, model, arch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 67, 45))                      # neither 224 nor square
    dy = rng.standard_normal((2, NUM_CLASSES))
    layers = GRADIENT_LAYERS[arch]
    logits, dx, outputs, grads = torch_stages(tv_model, x, dy, layers)
    assert model.layer_names == [name for name, _ in tv_model.named_modules() if name]
    trace = model.trace(x)
    close(trace.logits, logits, TOL[np.float64], "logits")
    assert set(trace.outputs) == set(model.layer_names)
    for name in model.layer_names:
        close(trace.outputs[name], outputs[name], TOL[np.float64], name)
    for name in layers:
        close(model.backward_to(trace, dy, name), grads[name], TOL[np.float64], f"d/d{name}")
    close(model.backward_to_input(trace, dy), dx, TOL[np.float64], "d/dx")


def compare_float32(tv_model, model, arch):
    x = np.random.default_rng(1).standard_normal((1, 3, 50, 77)).astype(np.float32)
    dy = np.random.default_rng(2).standard_normal((1, NUM_CLASSES)).astype(np.float32)
    target = model.target_layer
    logits, _, _, grads = torch_stages(tv_model, x, dy, (target,))
    trace = model.trace(x)
    assert trace.logits.dtype == np.float32
    close(trace.logits, logits, TOL[np.float32], "logits")
    close(model.backward_to(trace, dy, target), grads[target], TOL[np.float32], f"d/d{target}")


def test_mobilenet_v2_float64_every_stage_and_gradient():
    tv_model, model = mobilenet_pair(seed=0)
    compare_float64(tv_model, model, "mobilenet_v2")


def test_mobilenet_v2_float32():
    """float32 in, float32 throughout. (VGG-16's float32 pass is left out: each layer casts its
    float64 weights, 0.5 GB for VGG-16, and it adds seconds for no code of its own.)"""
    tv_model, model = mobilenet_pair(seed=7)
    compare_float32(tv_model.float(), model, "mobilenet_v2")


def test_vgg16_float64_every_stage_and_gradient(vgg):
    torch = require_library("torch")
    compare_float64(torchvision_vgg(vgg, torch.float64), vgg, "vgg16")


def test_the_state_dicts_are_torchvisions_key_for_key(vgg):
    torch = require_library("torch")
    tv = require_library("torchvision")
    ours = mobilenet_v2(num_classes=NUM_CLASSES).state_dict()
    theirs = {k: v.numpy() for k, v in randomised_mobilenet(3).state_dict().items()}
    assert list(ours) == list(theirs)
    assert all(ours[k].shape == theirs[k].shape and ours[k].dtype == theirs[k].dtype
               for k in ours)
    with torch.device("meta"):                                  # shapes only: no memory
        theirs = tv.models.vgg16(weights=None, num_classes=NUM_CLASSES).state_dict()
    ours = {f"{name}.{k}": v for name, leaf in vgg.named_leaves()
            for group in (leaf.params, leaf.buffers) for k, v in group.items()}
    assert list(ours) == list(theirs)
    assert all(ours[k].shape == tuple(theirs[k].shape) for k in ours)


def test_to_torch_builds_torchvisions_mobilenet_v2():
    torch = require_library("torch")
    tv = require_library("torchvision")
    from numpy_gradcam.oracle import to_torch
    _, model = mobilenet_pair(seed=5)
    torch_model = to_torch(model)
    assert isinstance(torch_model, tv.models.MobileNetV2)
    x = np.random.default_rng(3).standard_normal((1, 3, 40, 29))
    with torch.no_grad():
        close(model.forward(x), torch_model(torch.from_numpy(x)).numpy(), TOL[np.float64],
              "logits")
