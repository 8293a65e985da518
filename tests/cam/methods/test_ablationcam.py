import numpy as np
import pytest

import numpy_gradcam as ng

from .conftest import toy_image, toy_model


def test_weights_of_a_hand_computed_toy():
    """Logits [mean R, mean G] = [1/4, 1/2], class 1 (y = 1/2): zeroing A^0 leaves y, w_0 = 0;
    zeroing A^1 gives 0, w_1 = (1/2 - 0) / (1/2) = 1."""
    x = toy_image([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    e = ng.explain(toy_model(), x, target=1, method="ablationcam")
    np.testing.assert_allclose(e.weights, [0.0, 1.0], rtol=1e-15)


def test_on_a_linear_head_the_drop_is_the_channel_contribution(gap_model, images):
    """y^c = Σ_k W_ck mean(A^k) + b_c, so y^c - y^c_k = W_ck mean(A^k) and w_k is that over y^c."""
    x, labels = images
    e = ng.explain(gap_model, x, target=labels, method="ablationcam", batch_size=7)
    W = gap_model["fc"].params["weight"]
    y = e.logits[np.arange(2), labels]
    expected = W[labels] * e.activations.mean(axis=(2, 3)) / y[:, None]
    np.testing.assert_allclose(e.weights, expected, rtol=1e-10, atol=1e-13)


def test_counterfactual_is_refused(gap_model, images):
    with pytest.raises(ValueError, match="counterfactual"):
        ng.explain(gap_model, images[0][0], method="ablationcam", counterfactual=True)
