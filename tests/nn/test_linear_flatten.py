import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numpy_gradcam.nn import Flatten, Linear
from tests.gradcheck import assert_gradient


def test_linear_hand_computed():
    layer = Linear(2, 3)
    layer.params["weight"] = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    layer.params["bias"] = np.array([0.5, -0.5, 1.0])
    out, cache = layer.forward(np.array([[1.0, -1.0]]))
    np.testing.assert_array_equal(out, [[-0.5, -1.5, 0.0]])
    dx, grads = layer.backward(np.array([[1.0, 0.0, 2.0]]), cache)
    np.testing.assert_array_equal(dx, [[11.0, 14.0]])
    np.testing.assert_array_equal(grads["weight"], [[1.0, -1.0], [0.0, 0.0], [2.0, -2.0]])
    np.testing.assert_array_equal(grads["bias"], [1.0, 0.0, 2.0])


@given(st.integers(1, 3), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_linear_gradients_match_finite_differences(N, D, M, seed):
    rng = np.random.default_rng(seed)
    layer = Linear(D, M, rng=rng)
    x = rng.standard_normal((N, D))
    out, cache = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx, grads = layer.backward(dout, cache)
    assert_gradient(dx, lambda v: np.sum(dout * layer.forward(v)[0]), x)
    for name in ("weight", "bias"):
        param = layer.params[name]
        assert_gradient(grads[name], lambda v: np.sum(dout * layer.forward(x)[0]), param)


def test_flatten_is_c_order_and_backward_inverts_it():
    x = np.arange(24.0).reshape(2, 3, 2, 2)
    out, cache = Flatten().forward(x)
    np.testing.assert_array_equal(out[1, :5], [12.0, 13.0, 14.0, 15.0, 16.0])
    dout = np.arange(48.0).reshape(2, 2, 12)                       # two targets
    np.testing.assert_array_equal(Flatten().backward_input(dout, cache),
                                  dout.reshape(2, 2, 3, 2, 2))


def test_linear_rejects_wrong_width():
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        Linear(4, 2).forward(np.zeros((1, 5)))
