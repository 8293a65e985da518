"""A model that normalises its input (what ``load_model`` returns for a real architecture)
against its torch copy, ``to_torch(model)``: torchvision's ResNet-18 and the EfficientNet-Lite
port with a module ``normalize`` called first by a forward pre-hook, and a Sequential holding a
``Normalize``. The input is [0, 1] RGB; logits, every module's output (``normalize``'s too),
dy/dA at the default layer and dy/dx agree, and the torch copy's ``state_dict`` is the
architecture's alone. The constants are torchvision's weights' own, and a checkpoint that
``torch.save`` wrote loads into a model that predicts as torchvision does on normalised images.

Needs torchvision and the port (CI's second environment); skipped without them unless
NUMPY_GRADCAM_REQUIRE_LIBRARIES names them.
"""

import numpy as np
import pytest

from numpy_gradcam import load_model, models, nn
from numpy_gradcam.architectures.input_normalization import IMAGENET
from numpy_gradcam.oracle import to_torch
from tests.architectures.oracle import TOL, close, not_inplace, torch_stages
from tests.architectures.oracle import randomise_batchnorm as randomise_batchnorm_torch
from tests.conftest import require_library
from tests.gradcheck import randomise_batchnorm


def torch_name(name):
    """The port's ``_blocks`` is a ModuleList, never called: its output is its last block's."""
    return "_blocks.15" if name == "_blocks" else name


@pytest.mark.parametrize("arch, library", [("resnet18", "torchvision"),
                                           ("efficientnet_lite0", "efficientnet_lite_pytorch")])
def test_the_torch_copy_normalises_as_ours(arch, library):
    require_library("torch")
    require_library(library)
    model = models.build(arch, num_classes=7, seed=1, normalize=True)
    randomise_batchnorm(model, np.random.default_rng(1), bias_scale=0.1)
    torch_model = not_inplace(to_torch(model))
    assert set(torch_model.state_dict()) == set(model.state_dict())
    assert dict(torch_model.named_modules())["normalize"] is torch_model.normalize
    rng = np.random.default_rng(0)
    x01, dy = rng.random((2, 3, 64, 48)), rng.standard_normal((2, 7))
    layer = model.target_layer
    logits, dx, outputs, grads = torch_stages(torch_model, x01, dy, [layer], torch_name)
    trace = model.trace(x01)
    close(trace.logits, logits, TOL[np.float64], "logits")
    close(trace.outputs["normalize"], outputs["normalize"], 1e-15, "normalize")
    for name in model.layer_names:
        if torch_name(name) in outputs:
            close(trace.outputs[name], outputs[torch_name(name)], TOL[np.float64], name)
    close(model.backward_to(trace, dy, layer), grads[layer], TOL[np.float64], f"d/d{layer}")
    close(model.backward_to_input(trace, dy), dx, TOL[np.float64], "d/dx")


def test_a_sequential_with_a_normalize_layer_has_one_in_torch():
    torch = require_library("torch")
    model = nn.Sequential([("normalize", nn.Normalize((127.0,) * 3, (128.0,) * 3, 255.0)),
                           ("conv", nn.Conv2d(3, 2, 3, rng=0)), ("gap", nn.GlobalAvgPool2d())])
    torch_model = to_torch(model)
    assert list(torch_model.state_dict()) == ["conv.weight", "conv.bias"]
    x01 = np.random.default_rng(2).random((2, 3, 5, 5))
    close(model(x01), torch_model(torch.tensor(x01)).detach().numpy(), TOL[np.float64], "logits")


@pytest.mark.parametrize("weights", ["ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights",
                                     "VGG16_Weights", "MobileNet_V2_Weights"])
def test_the_constants_are_those_of_torchvision_weights_transforms(weights):
    tv = require_library("torchvision")
    transforms = getattr(tv.models, weights).IMAGENET1K_V1.transforms()    # no download
    assert (tuple(transforms.mean), tuple(transforms.std), 1.0) == IMAGENET


def test_a_torch_saved_checkpoint_predicts_as_torchvision_on_its_normalised_input(tmp_path):
    """The user's case: a fine-tuned torchvision ResNet-18 saved by ``torch.save`` inside a
    training checkpoint, with DataParallel's prefix; ``load_model(path, arch=)`` on [0, 1]
    images gives torchvision's logits on the images its weights' transforms normalise."""
    torch = require_library("torch")
    tv = require_library("torchvision")
    torch.manual_seed(0)
    tv_model = tv.models.resnet18(weights=None, num_classes=10).double().eval()
    randomise_batchnorm_torch(tv_model, seed=1)
    path = tmp_path / "checkpoint.pth"
    torch.save({"epoch": 3, "state_dict": {f"module.{k}": v
                                           for k, v in tv_model.state_dict().items()}}, path)
    model = load_model(path, arch="resnet18")
    assert any("'module.' prefix" in note for note in model.card["weights_notes"])
    transforms = tv.models.ResNet18_Weights.IMAGENET1K_V1.transforms()
    normalize = tv.transforms.Normalize(transforms.mean, transforms.std)
    x01 = np.random.default_rng(3).random((2, 3, 64, 64))
    with torch.no_grad():
        expected = tv_model(normalize(torch.tensor(x01))).numpy()
    close(model(x01), expected, TOL[np.float64], "logits")
