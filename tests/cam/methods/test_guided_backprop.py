import numpy as np
import pytest

import numpy_gradcam as ng

from .conftest import toy_image, toy_model


def test_rules_on_a_hand_computed_toy():
    """fc weight [[1, -1], [0, 1]], class 0: y = mean relu(R) - mean relu(G), Z = 4. The signal
    reaching the ReLU is +1/4 on A^0 and -1/4 on A^1. Guided: +1/4 where R > 0, and nothing of
    the negative signal; blue gets no signal (the 1×1 conv ignores it)."""
    x = toy_image([[0.5, 0], [1, 0]], [[1, 1], [0, 0]])
    e = ng.explain(toy_model([[1.0, -1.0], [0.0, 1.0]]), x, target=0, method="guided-backprop")
    expected = np.zeros((3, 2, 2))
    expected[0] = [[0.25, 0], [0.25, 0]]
    np.testing.assert_array_equal(e.saliency, expected)
    np.testing.assert_array_equal(e.cam, np.abs(expected).max(axis=0))


def test_saliency_is_non_negative_through_relus_and_not_class_discriminative(gap_model, images):
    x, labels = images
    a = ng.explain(gap_model, x, target=labels, method="guided-backprop")
    assert a.saliency.shape == (2, 3, 64, 64) and a.heatmap.shape == (2, 64, 64)
    assert a.activations is None and a.layer is None
    plain = ng.explain(gap_model, x, target=labels, method="saliency")
    assert not np.allclose(a.saliency, plain.saliency)


def test_a_layer_is_refused(gap_model, images):
    with pytest.raises(ValueError, match="'guided-backprop' explains the input pixels"):
        ng.explain(gap_model, images[0], method="guided-backprop", layer="relu4")
