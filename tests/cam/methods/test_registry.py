"""Every method through explain(): names, shapes, option errors."""

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam.cam.methods import METHODS

CONTRACT = ("gradcam", "gradcam++", "xgradcam", "hirescam", "layercam", "scorecam",
            "ablationcam", "eigencam", "cam", "guided-backprop", "guided-gradcam", "occlusion",
            "deconvnet", "saliency")
FAST = {"scorecam": dict(batch_size=128), "occlusion": dict(patch=32, stride=32)}


def test_the_contract_names_are_registered():
    assert set(CONTRACT) == set(METHODS)


def test_an_unknown_method_lists_the_valid_ones(gap_model, images):
    with pytest.raises(ValueError) as error:
        ng.explain(gap_model, images[0][0], method="gradcam+")
    for name in CONTRACT:
        assert repr(name) in str(error.value)


@pytest.mark.parametrize("name", CONTRACT)
def test_every_method_gives_every_stage_with_its_shape(fc_model, gap_model, images, name):
    model = gap_model if name == "cam" else fc_model
    x, labels = images
    e = ng.explain(model, x[0], target=labels[0], method=name, **FAST.get(name, {}))
    assert e.heatmap.shape == (64, 64) and e.overlay.shape == (3, 64, 64)
    assert (e.cam >= 0).all() and np.isfinite(e.overlay).all()
    assert 0 <= e.cam_normalized.min() and e.cam_normalized.max() <= 1
    spec = METHODS[name]
    if spec.space == "input":
        assert e.saliency.shape == (3, 64, 64) and e.layer is None and e.weights is None
    else:
        assert e.cam.shape == (8, 8) and e.layer == "relu4"
        assert (e.gradients is not None) == spec.needs_gradient
    if spec.saliency is not None:
        assert e.saliency.shape == (3, 64, 64)


@pytest.mark.parametrize("name", [n for n, m in METHODS.items() if not m.needs_gradient])
def test_gradient_only_options_are_refused_by_gradient_free_methods(gap_model, images, name):
    with pytest.raises(ValueError, match=f"counterfactual .* {name!r} uses no gradient"):
        ng.explain(gap_model, images[0][0], method=name, counterfactual=True)
    with pytest.raises(ValueError, match="gradcampp_form applies to method 'gradcam\\+\\+'"):
        ng.explain(gap_model, images[0][0], method=name, gradcampp_form="paper")
