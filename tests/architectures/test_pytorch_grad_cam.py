"""pytorch-grad-cam 1.5.7 on torchvision's ResNet-18 and MobileNetV2, reproduced by the
``pytorch-grad-cam`` preset: random weights and randomised BatchNorm statistics, the same weights
in both, heatmaps ≤ 1e-5, at each model's default layer (``layer4``, ``features.18``: the
README's ``model.layer4[-1]`` and ``model.features[-1]``). The models run in float64: with random
weights a map's range can be ~1e-3 (MobileNetV2's is 7e-4 here), and float32 rounding alone,
amplified by the min-max normalisation, then reaches 4e-5 on either side; in float64 the
difference left is the library's float32 resize (~1e-6). And a convention the preset does not
reproduce: of a module called twice (a BasicBlock's ``relu``), the library explains the first call,
we the last.

Needs pytorch_grad_cam and torchvision (CI's second environment)."""

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam.cam.combination import combine
from numpy_gradcam.cam.presets.pytorch_grad_cam import PYTORCH_GRAD_CAM
from numpy_gradcam.cam.weighting import gap_weights
from tests.architectures.oracle import close
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


def test_a_relu_called_twice_is_its_first_call_for_the_library_its_last_for_us():
    """torchvision's BasicBlock calls its one ``relu`` twice: on ``bn1``'s output, then on the
    block's sum. pytorch-grad-cam 1.5.7 explains the **first** call: its forward hooks append
    each call's activation to a list, and ``BaseCAM.compute_cam_per_layer`` takes
    ``activations_list[i]`` for target layer ``i`` (the gradients, prepended as they arrive
    backwards, give ``grads_list[i]`` from the same first call). Our trace records the **last**
    call, as a forward hook storing outputs by name does (:mod:`numpy_gradcam.nn.module`).

    (a) The library at ``layer4[1].relu`` is Grad-CAM, rendered by our preset, at the first
    call: ``A = ReLU(bn1's output)``, ``conv2``'s input, with the gradient there carried by
    hand through ``conv2``'s backward from ours at ``layer4.1.conv2``; both pinned to the first
    call's tensors in torch by a hook. (b) Ours at ``layer4.1.relu`` is ours at the block
    ``layer4.1`` and the library's at the block, not the library's at the relu. This fails if
    either library changes its convention."""
    torch = require_library("torch")
    pgc = require_library("pytorch_grad_cam")
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    tv_model = randomised("resnet18", seed=11)                          # float64
    model = ours_from(tv_model, "resnet18")
    x = np.random.default_rng(5).random((2, 3, 64, 64))                # layer4: 2×2
    trace = model.trace(x)
    targets = trace.logits.argmax(axis=1)           # the predicted classes: no map is all <= 0
    dy = np.eye(1000)[targets]                                          # (2, 1000)

    calls = []                                      # the relu's output at each call, in torch

    def keep(module, inputs, output):
        output.retain_grad()
        calls.append(output)
    handle = tv_model.layer4[1].relu.register_forward_hook(keep)
    (tv_model(torch.from_numpy(x)) * torch.from_numpy(dy)).sum().backward()
    handle.remove()
    assert len(calls) == 2

    A = np.maximum(trace.outputs["layer4.1.bn1"], 0)                    # (2, 512, 2, 2)
    conv2 = model["layer4.1.conv2"]
    dy_dA = conv2.backward_input(model.backward_to(trace, dy, "layer4.1.conv2"),
                                 trace.caches["layer4.1.conv2"])        # (2, 512, 2, 2)
    close(A, calls[0].detach().numpy(), 1e-10, "the first call's output")
    close(dy_dA, calls[0].grad.numpy(), 1e-10, "the gradient at the first call")
    close(trace.outputs["layer4.1.relu"], calls[1].detach().numpy(), 1e-10,
          "layer4.1.relu, as we record it: the last call's output")
    first_call = PYTORCH_GRAD_CAM.render(combine(gap_weights(dy_dA), A), x, {}).heatmap

    def library(layer):
        with pgc.GradCAM(model=tv_model, target_layers=[layer]) as cam:
            return cam(input_tensor=torch.from_numpy(x),
                       targets=[ClassifierOutputTarget(int(c)) for c in targets])

    def ours(layer):
        return ng.explain(model, x, list(targets), layer=layer, preset="pytorch-grad-cam").heatmap

    theirs_relu, theirs_block = library(tv_model.layer4[1].relu), library(tv_model.layer4[1])
    ours_relu, ours_block = ours("layer4.1.relu"), ours("layer4.1")
    assert np.abs(first_call - theirs_relu).max() <= TOL                # (a)
    np.testing.assert_array_equal(ours_relu, ours_block)                # (b)
    assert np.abs(ours_relu - theirs_block).max() <= TOL
    assert np.abs(ours_relu - theirs_relu).max() > 0.1
