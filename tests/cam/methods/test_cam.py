import numpy as np
import pytest

import numpy_gradcam as ng


def test_cam_equals_gradcam_times_Z_on_the_gap_model(gap_model, images):
    """α^Grad-CAM_k = W_ck / Z, so Z · Grad-CAM = CAM, maps and weights alike."""
    x, labels = images
    cam = ng.explain(gap_model, x, target=labels, method="cam", relu=False)
    grad = ng.explain(gap_model, x, target=labels, method="gradcam", relu=False)
    Z = cam.activations.shape[2] * cam.activations.shape[3]
    np.testing.assert_allclose(grad.cam * Z, cam.cam, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(grad.weights * Z, cam.weights, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(cam.weights, gap_model["fc"].params["weight"][labels])
    assert cam.gradients is None


def test_a_model_without_a_gap_head_is_refused(fc_model, gap_model, images):
    x = images[0]
    with pytest.raises(ValueError, match=r"'cam' needs a global-average-pool → linear head.*"
                                         r"flatten \(Flatten\)"):
        ng.explain(fc_model, x, method="cam")
    with pytest.raises(ValueError, match="after the explained layer 'relu3'"):
        ng.explain(gap_model, x, method="cam", layer="relu3")


def test_gradient_and_score_options_are_refused(gap_model, images):
    with pytest.raises(ValueError, match="counterfactual"):
        ng.explain(gap_model, images[0], method="cam", counterfactual=True)
    with pytest.raises(ValueError, match="score='softmax' does not apply to method 'cam'"):
        ng.explain(gap_model, images[0], method="cam", score="softmax")
