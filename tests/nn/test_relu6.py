import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from numpy_gradcam.nn.relu6 import ReLU6, relu6_backward, relu6_forward
from tests.gradcheck import assert_each_target_alone, assert_gradient, away_from_zero


def away_from_kinks(rng, shape):
    """Values on both sides of both kinks, none within 0.1 of 0 or of 6 (out of reach of h)."""
    z = np.clip(away_from_zero(rng, shape), -2.9, 2.9)       # 0.1 to 2.9 from a kink
    return z + 6 * rng.integers(0, 2, size=shape)            # ... the kink at 0 or the one at 6


def test_hand_computed_with_derivative_zero_at_both_kinks_like_torch():
    x = np.array([[-2.0, 0.0, 3.0, 6.0, 7.5]])
    out, cache = relu6_forward(x)
    np.testing.assert_array_equal(out, [[0.0, 0.0, 3.0, 6.0, 6.0]])
    dout = np.array([[5.0, 7.0, -11.0, 13.0, 17.0]])
    np.testing.assert_array_equal(relu6_backward(dout, cache), [[0.0, 0.0, -11.0, 0.0, 0.0]])


@given(st.integers(0, 2**32 - 1), st.lists(st.integers(1, 4), min_size=1, max_size=4))
def test_matches_finite_differences(seed, shape):
    rng = np.random.default_rng(seed)
    x = away_from_kinks(rng, shape)
    out, cache = relu6_forward(x)
    dout = rng.standard_normal(out.shape)
    assert_gradient(relu6_backward(dout, cache), lambda v: np.sum(dout * relu6_forward(v)[0]), x)


def test_leading_target_axis_broadcasts():
    rng = np.random.default_rng(1)
    x = away_from_kinks(rng, (2, 3, 4, 4))
    layer = ReLU6()
    _, cache = layer.forward(x)
    dout = rng.standard_normal((5, 2, 3, 4, 4))
    assert_each_target_alone(layer.backward_input, dout, cache, x.shape)


def test_float32_stays_float32():
    x = np.array([-1.0, 2.0, 9.0], dtype=np.float32)
    out, cache = ReLU6().forward(x)
    assert out.dtype == np.float32
    assert ReLU6().backward_input(np.ones(3, dtype=np.float32), cache).dtype == np.float32
