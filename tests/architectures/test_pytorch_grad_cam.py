"""pytorch-grad-cam 1.5.7 on torchvision's ResNet-18, reproduced by the ``pytorch-grad-cam``
preset: random weights and randomised BatchNorm statistics, the same weights in both, float32
(pytorch-grad-cam's precision), heatmaps ≤ 1e-5.

Needs pytorch_grad_cam and torchvision (CI's second environment)."""

import numpy as np
import pytest

import numpy_gradcam as ng
from tests.architectures.test_torchvision import ours_from, randomised
from tests.conftest import require_library

TOL = 1e-5
METHODS = [("gradcam", "GradCAM"), ("gradcam++", "GradCAMPlusPlus"), ("scorecam", "ScoreCAM"),
           ("layercam", "LayerCAM")]


@pytest.fixture(scope="module")
def models():
    require_library("pytorch_grad_cam")
    tv_model = randomised("resnet18", seed=11).float()
    return tv_model, ours_from(tv_model, "resnet18")


@pytest.mark.parametrize("method, kind", METHODS)
def test_the_preset_reproduces_the_library_on_resnet18(method, kind, models):
    torch = require_library("torch")
    pgc = require_library("pytorch_grad_cam")
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    tv_model, model = models
    x = np.random.default_rng(5).random((2, 3, 64, 64)).astype(np.float32)
    targets = [3, 917]
    cam = getattr(pgc, kind)(model=tv_model, target_layers=[tv_model.layer4])
    theirs = cam(input_tensor=torch.from_numpy(x),
                 targets=[ClassifierOutputTarget(c) for c in targets])
    ours = ng.explain(model, x, targets, method=method, preset="pytorch-grad-cam")
    err = np.abs(ours.heatmap - theirs).max()
    assert ours.heatmap.shape == theirs.shape and err <= TOL, f"{method}: {err:.2e}"
