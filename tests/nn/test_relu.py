import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numpy_gradcam.nn import ReLU
from numpy_gradcam.nn.relu import relu_backward, relu_forward
from tests.gradcheck import assert_gradient, away_from_zero

X = np.array([[-2.0, 0.0, 3.0]])
DOUT = np.array([[5.0, 7.0, -11.0]])


def test_standard_rule_has_derivative_zero_at_zero_like_torch():
    out, cache = relu_forward(X)
    np.testing.assert_array_equal(out, [[0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(relu_backward(DOUT, cache), [[0.0, 0.0, -11.0]])


def test_guided_rule_passes_only_positive_gradient_where_active():
    _, cache = relu_forward(np.array([[-2.0, 1.0, 3.0, 4.0]]))
    dout = np.array([[5.0, 7.0, -11.0, 0.5]])
    np.testing.assert_array_equal(relu_backward(dout, cache, "guided"), [[0.0, 7.0, 0.0, 0.5]])


def test_deconvnet_rule_ignores_the_forward_mask():
    _, cache = relu_forward(X)
    np.testing.assert_array_equal(relu_backward(DOUT, cache, "deconvnet"), [[5.0, 7.0, 0.0]])


@given(st.integers(0, 2**32 - 1), st.lists(st.integers(1, 4), min_size=1, max_size=4))
def test_standard_rule_matches_finite_differences(seed, shape):
    rng = np.random.default_rng(seed)
    x = away_from_zero(rng, shape)
    out, cache = relu_forward(x)
    dout = rng.standard_normal(out.shape)
    assert_gradient(relu_backward(dout, cache), lambda v: np.sum(dout * relu_forward(v)[0]), x)


def test_leading_target_axis_broadcasts():
    rng = np.random.default_rng(1)
    x = away_from_zero(rng, (2, 3, 4, 4))
    _, cache = relu_forward(x)
    dout = rng.standard_normal((5, 2, 3, 4, 4))
    np.testing.assert_array_equal(ReLU().backward_input(dout, cache)[3], dout[3] * (x > 0))


def test_unknown_rule_lists_the_valid_ones():
    with pytest.raises(ValueError, match="rule must be one of 'standard', 'guided', 'deconvnet'"):
        relu_backward(DOUT, X, "leaky")
