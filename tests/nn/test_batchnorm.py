import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numpy_gradcam.nn import BatchNorm2d
from tests.gradcheck import assert_gradient


def make(C, rng):
    bn = BatchNorm2d(C)
    bn.params["weight"] = rng.uniform(0.5, 2.0, C)
    bn.params["bias"] = rng.standard_normal(C)
    bn.buffers["running_mean"] = rng.standard_normal(C)
    bn.buffers["running_var"] = rng.uniform(0.5, 2.0, C)
    return bn


def test_training_statistics_and_running_update_by_hand():
    bn = BatchNorm2d(1)
    x = np.array([1.0, 2.0, 3.0, 6.0]).reshape(2, 1, 1, 2)     # mean 3, biased var 3.5
    out, _ = bn.forward(x, train=True)
    np.testing.assert_allclose(out.ravel(), (np.array([1, 2, 3, 6]) - 3) / np.sqrt(3.5 + 1e-5))
    # running_mean = 0.9·0 + 0.1·3; running_var = 0.9·1 + 0.1·(3.5·4/3) (unbiased)
    np.testing.assert_allclose(bn.buffers["running_mean"], [0.3])
    np.testing.assert_allclose(bn.buffers["running_var"], [0.9 + 0.1 * 14 / 3])
    assert bn.buffers["num_batches_tracked"] == 1


def test_evaluation_mode_is_a_fixed_affine_map_and_changes_no_buffer():
    bn = BatchNorm2d(1)
    bn.params["weight"][:] = 2.0
    bn.buffers["running_mean"][:] = 1.0
    bn.buffers["running_var"][:] = 4.0 - 1e-5
    out, _ = bn.forward(np.array([[[[3.0, 5.0]]]]))
    np.testing.assert_allclose(out, [[[[2.0, 4.0]]]])              # 2·(x - 1)/2
    np.testing.assert_array_equal(bn.buffers["running_mean"], [1.0])
    assert bn.buffers["num_batches_tracked"] == 0


@given(st.booleans(), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_gradients_match_finite_differences(train, N, C, seed):
    rng = np.random.default_rng(seed)
    bn = make(C, rng)
    x = rng.standard_normal((N, C, 3, 2))

    def f(v, param=None):
        saved = {k: v_.copy() for k, v_ in bn.buffers.items()}
        out = bn.forward(x if param else v, train=train)[0]
        bn.buffers.update(saved)                                   # keep running stats fixed
        return np.sum(dout * out)

    out, cache = bn.forward(x, train=train)
    dout = rng.standard_normal(out.shape)
    dx, grads = bn.backward(dout, cache)
    assert_gradient(dx, f, x)
    assert_gradient(grads["weight"], lambda v: f(None, param=True), bn.params["weight"])
    assert_gradient(grads["bias"], lambda v: f(None, param=True), bn.params["bias"])


def test_training_mode_needs_more_than_one_value():
    with pytest.raises(ValueError, match="more than one value"):
        BatchNorm2d(2).forward(np.zeros((1, 2, 1, 1)), train=True)
