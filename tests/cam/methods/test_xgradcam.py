import numpy as np

import numpy_gradcam as ng

from .conftest import toy_image, toy_model


def test_weights_of_a_hand_computed_toy_with_a_dead_channel():
    """fc weight [[2, 1], [0, 1]], class 0, Z = 4: g^0 = 1/2, g^1 = 1/4 everywhere.
    A^0 = [[1, 3], [0, 0]] (Σ = 4): α_0 = Σ_ij (A_ij / 4) · 1/2 = 1/2.
    A^1 = 0 (a dead channel): α_1 = 0, not 0/0."""
    model = toy_model([[2.0, 1.0], [0.0, 1.0]])
    x = toy_image([[1 / 3, 1], [0, 0]], [[0, 0], [0, 0]])
    e = ng.explain(model, x, target=0, method="xgradcam")
    np.testing.assert_allclose(e.weights, [0.5, 0.0], rtol=1e-15)
    assert np.isfinite(e.cam).all()


def test_equals_gradcam_when_the_gradient_is_spatially_constant(gap_model, images):
    """Σ_ij (A_ij / Σ A) g = g when g is constant: the GAP head makes XGrad-CAM = Grad-CAM
    except on dead channels, whose A^k = 0 contributes nothing to L either way."""
    x, labels = images
    xg = ng.explain(gap_model, x, target=labels, method="xgradcam", relu=False)
    gc = ng.explain(gap_model, x, target=labels, relu=False)
    np.testing.assert_allclose(xg.cam, gc.cam, rtol=1e-10, atol=1e-13)
