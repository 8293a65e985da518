import numpy as np

import numpy_gradcam as ng
from tests.gradcheck import numerical_gradient, relative_error

from .conftest import toy_image, toy_model


def test_rule_on_a_hand_computed_toy():
    """The true gradient: +1/4 on red where R > 0, -1/4 on green where G > 0."""
    x = toy_image([[0.5, 0], [1, 0]], [[1, 1], [0, 0]])
    e = ng.explain(toy_model([[1.0, -1.0], [0.0, 1.0]]), x, target=0, method="saliency")
    expected = np.zeros((3, 2, 2))
    expected[0] = [[0.25, 0], [0.25, 0]]
    expected[1] = [[-0.25, -0.25], [0, 0]]
    np.testing.assert_array_equal(e.saliency, expected)
    np.testing.assert_array_equal(e.cam, [[0.25, 0.25], [0.25, 0]])


def test_is_the_derivative_of_the_score(fc_model, images):
    """Finite differences of y^c on a 16×16 crop-sized copy of the model's input."""
    x, labels = images
    x0 = x[:1].copy()
    e = ng.explain(fc_model, x0, target=labels[:1], method="saliency")
    patch = (slice(None), slice(None), slice(30, 33), slice(30, 33))

    def f(sub):
        z = x0.copy()
        z[patch] = sub
        return float(fc_model.forward(z)[0, labels[0]])

    numeric = numerical_gradient(f, x0[patch].copy())
    assert relative_error(e.saliency[patch], numeric) < 1e-6
