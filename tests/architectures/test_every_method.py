"""Every method of the family on the real architectures, through ``explain``: the accelerator
(two threads, the layers up to A compiled, the many-forward methods on the compiled forward)
gives the reference's maps (one thread, every layer traced, ``model.forward``), float64.

CAM where the architecture's head allows it at the default layer (tests/cam/methods/test_cam.py
checks its refusal elsewhere); efficientnet_lite0's default layer ``_conv_head`` has BatchNorm
and ReLU6 before the pool, so its CAM is explained at ``_swish``.
"""

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam import fast
from numpy_gradcam.cam.methods import METHODS
from numpy_gradcam.models import build
from tests.gradcheck import randomise_batchnorm

ARCHITECTURES = ("resnet18", "mobilenet_v2", "efficientnet_lite0")

#: The stages an Explanation may hold, from the logits to the heatmap.
STAGES = ("logits", "activations", "gradients", "weights", "cam", "saliency", "heatmap")
ENGINE_STAGES = ("logits", "activations", "gradients")

#: Stages that are drops of another, compared on its scale: occlusion's saliency is a drop of
#: a logit, Score-CAM's weights are probabilities (on random weights, a drop can be ~1e-8 of
#: what drops, or exactly the rounding of a probability that does not move).
SCALE_OF = {("occlusion", "saliency"): "logits", ("scorecam", "weights"): "probabilities"}

#: Options that keep the slow methods short on a 40×40 input.
OPTIONS = {"scorecam": {"batch_size": 64}, "ablationcam": {"batch_size": 64},
           "occlusion": {"patch": 16, "stride": 12}}


@pytest.fixture(scope="module", params=ARCHITECTURES)
def architecture(request):
    model = build(request.param, num_classes=5, seed=11)
    randomise_batchnorm(model, np.random.default_rng(12), bias_scale=0.1)
    x = np.random.default_rng(13).random((2, 3, 40, 36))
    return model, x


@pytest.mark.parametrize("method", list(METHODS))
def test_the_accelerator_gives_the_references_map(architecture, method, monkeypatch):
    model, x = architecture
    x = x[:1] if method == "scorecam" else x                # K forward passes per image
    layer = "_swish" if (method == "cam" and "_swish" in model.children) else None
    options = {"method": method, "layer": layer, **OPTIONS.get(method, {})}   # top-1 targets
    with fast.threads(2):
        accelerated = ng.explain(model, x, **options)
    for module in ("scorecam", "occlusion"):
        monkeypatch.setattr(f"numpy_gradcam.cam.methods.{module}.fast_forward",
                            lambda model: model.forward)
    with fast.threads(1):
        reference = ng.explain(model, x, **options)
    assert accelerated.heatmap.shape == (len(x), 40, 36)
    assert np.isfinite(accelerated.heatmap).all()
    # Every stage, each on its own scale. The engine's outputs (logits, A, dy/dA) agree to
    # rounding; the stages made from them cancel (Score-CAM's weights are differences of
    # probabilities, ~1e-8 on random weights; a map sums signed terms), so that rounding reaches
    # ~1e-8 of them: 1e-6 there, still far below any wrong computation's O(1).
    compared = 0
    for stage in STAGES:
        ours, theirs = getattr(accelerated, stage), getattr(reference, stage)
        if theirs is None:
            assert ours is None, stage
            continue
        scale = np.abs(getattr(reference, SCALE_OF.get((method, stage), stage))).max()
        rtol = 1e-10 if stage in ENGINE_STAGES else 1e-6
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=rtol * scale, err_msg=stage)
        compared += scale > 0
    assert compared >= 3                                    # logits and two more, not zeros
