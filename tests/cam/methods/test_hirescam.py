import numpy as np

import numpy_gradcam as ng


def test_equals_gradcam_when_the_gradient_is_spatially_constant(gap_model, images):
    """GAP → linear: ∂y^c/∂A^k_ij = w_ck / Z at every (i, j), so Σ_k g^k ⊙ A^k = Σ_k α_k A^k."""
    x, labels = images
    hires = ng.explain(gap_model, x, target=labels, method="hirescam", relu=False)
    grad = ng.explain(gap_model, x, target=labels, method="gradcam", relu=False)
    g = hires.gradients
    assert np.ptp(g, axis=(2, 3)).max() < 1e-15                         # the premise
    np.testing.assert_allclose(hires.cam, grad.cam, rtol=1e-12, atol=1e-15)


def test_differs_from_gradcam_on_a_fully_connected_head(fc_model, images):
    x, labels = images
    hires = ng.explain(fc_model, x, target=labels, method="hirescam", relu=False)
    grad = ng.explain(fc_model, x, target=labels, method="gradcam", relu=False)
    assert np.abs(hires.cam - grad.cam).max() > 1e-6
    np.testing.assert_array_equal(hires.weights, hires.gradients)       # element-wise weights
    # the map sums to Σ g ⊙ A, the first-order part of the score
    np.testing.assert_allclose(hires.cam.sum(axis=(1, 2)),
                               (hires.gradients * hires.activations).sum(axis=(1, 2, 3)),
                               rtol=1e-12)
