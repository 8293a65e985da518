"""pytorch-grad-cam 1.5.7 on torchvision's ResNet-18 and MobileNetV2, reproduced by the
``pytorch-grad-cam`` preset: random weights and randomised BatchNorm statistics, the same weights
in both, heatmaps ≤ 1e-5, at each model's default layer (``layer4``, ``features.18``: the
README's ``model.layer4[-1]`` and ``model.features[-1]``). The models run in float64: with random
weights a map's range can be ~1e-3 (MobileNetV2's is 7e-4 here), and float32 rounding alone,
amplified by the min-max normalisation, then reaches 4e-5 on either side; in float64 the
difference left is the library's float32 resize (~1e-6).

Needs pytorch_grad_cam and torchvision (CI's second environment)."""

import numpy as np
import pytest

import numpy_gradcam as ng
from tests.architectures.test_torchvision import ours_from, randomised
from tests.conftest import require_library

TOL = 1e-5
METHODS = [("gradcam", "GradCAM"), ("gradcam++", "GradCAMPlusPlus"), ("scorecam", "ScoreCAM"),
           ("layercam", "LayerCAM")]


@pytest.fixture(scope="module", params=["resnet18", "mobilenet_v2"])
def models(request):
    require_library("pytorch_grad_cam")
    tv_model = randomised(request.param, seed=11)                      # float64
    return tv_model, ours_from(tv_model, request.param)


@pytest.mark.parametrize("method, kind", METHODS)
def test_the_preset_reproduces_the_library(method, kind, models):
    torch = require_library("torch")
    pgc = require_library("pytorch_grad_cam")
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    tv_model, model = models
    x = np.random.default_rng(5).random((2, 3, 64, 64))
    targets = [3, 917]
    layer = tv_model.get_submodule(model.target_layer)
    cam = getattr(pgc, kind)(model=tv_model, target_layers=[layer])
    theirs = cam(input_tensor=torch.from_numpy(x),
                 targets=[ClassifierOutputTarget(c) for c in targets])
    ours = ng.explain(model, x, targets, method=method, preset="pytorch-grad-cam")
    err = np.abs(ours.heatmap - theirs).max()
    assert ours.heatmap.shape == theirs.shape and err <= TOL, f"{method}: {err:.2e}"
