import numpy as np

import numpy_gradcam as ng

from .conftest import toy_image, toy_model


def test_rule_on_a_hand_computed_toy():
    """As in the guided-backprop toy, but the forward mask is ignored: red gets +1/4 at every
    pixel, including where R = 0; the negative signal on A^1 is still dropped."""
    x = toy_image([[0.5, 0], [1, 0]], [[1, 1], [0, 0]])
    e = ng.explain(toy_model([[1.0, -1.0], [0.0, 1.0]]), x, target=0, method="deconvnet")
    expected = np.zeros((3, 2, 2))
    expected[0] = 0.25
    np.testing.assert_array_equal(e.saliency, expected)


def test_fills_the_saliency_of_a_shipped_model(fc_model, images):
    x, labels = images
    e = ng.explain(fc_model, x, target=labels, method="deconvnet")
    assert e.saliency.shape == (2, 3, 64, 64) and np.isfinite(e.saliency).all()
    np.testing.assert_allclose(e.cam, np.abs(e.saliency).max(axis=1))
