import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from numpy_gradcam.nn.identity import Identity
from tests.gradcheck import assert_gradient


def test_hand_computed_returns_its_input_and_upstream_gradient_themselves():
    x = np.array([[1.0, -2.0], [3.0, 0.5]])
    out, cache = Identity().forward(x)
    assert out is x
    np.testing.assert_array_equal(out, [[1.0, -2.0], [3.0, 0.5]])
    dout = np.array([[5.0, 7.0], [-11.0, 13.0]])
    assert Identity().backward_input(dout, cache) is dout


@given(st.integers(0, 2**32 - 1), st.lists(st.integers(1, 4), min_size=1, max_size=4))
def test_matches_finite_differences(seed, shape):
    rng = np.random.default_rng(seed)
    layer = Identity()
    x = rng.standard_normal(shape)
    out, cache = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    assert_gradient(layer.backward_input(dout, cache),
                    lambda v: np.sum(dout * layer.forward(v)[0]), x)


def test_leading_target_axis_passes_through():
    layer = Identity()
    _, cache = layer.forward(np.zeros((2, 3, 4, 4)))
    dout = np.random.default_rng(0).standard_normal((5, 2, 3, 4, 4))
    np.testing.assert_array_equal(layer.backward_input(dout, cache), dout)


def test_constructor_arguments_are_ignored_like_torch():
    x = np.ones((1, 2))
    assert Identity(54, unused="argument").forward(x)[0] is x
