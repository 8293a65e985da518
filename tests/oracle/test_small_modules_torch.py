"""ReLU6, Dropout, Identity and ZeroPad2d against their torch modules: forward and backward.

float64 agreement ≤ 1e-12, float32 ≤ 1e-6 (these layers copy, mask or clamp: they are exact up to
the scaling of Dropout).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numpy_gradcam.nn.dropout import Dropout
from numpy_gradcam.nn.identity import Identity
from numpy_gradcam.nn.relu6 import ReLU6
from numpy_gradcam.nn.zeropad import ZeroPad2d

TOL = {np.float64: 1e-12, np.float32: 1e-6}

# The torch fixture only imports torch: nothing in it needs resetting between examples.
fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow])
shapes = st.lists(st.integers(1, 4), min_size=4, max_size=4).map(tuple)
dtypes = st.sampled_from([np.float64, np.float32])


def torch_forward_backward(torch, module, x, dout, train=False):
    """torch's ``out`` and ``∂(Σ dout·out)/∂x``."""
    xt = torch.tensor(x, requires_grad=True)
    out = module.train(train)(xt)
    (out * torch.from_numpy(dout)).sum().backward()
    return out.detach().numpy(), xt.grad.numpy()


def assert_same(ours, theirs, dtype):
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=TOL[dtype])


def check_layer(torch, ours, theirs, x, rng, train=False):
    out, cache = ours.forward(x, train=train)
    dout = rng.standard_normal(out.shape).astype(x.dtype)
    out_t, dx_t = torch_forward_backward(torch, theirs, x, dout, train)
    assert_same(out, out_t, x.dtype.type)
    assert_same(ours.backward_input(dout, cache), dx_t, x.dtype.type)


@fixture_ok
@given(st.integers(0, 2**32 - 1), shapes, dtypes)
def test_relu6_equals_torch_at_its_kinks_too(torch, seed, shape, dtype):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 9, shape)
    x.flat[::3] = rng.choice([0.0, 6.0], size=x.flat[::3].shape)      # exactly on a kink
    check_layer(torch, ReLU6(), torch.nn.ReLU6(), x.astype(dtype), rng)


def test_relu6_gradient_is_zero_exactly_at_zero_and_six_in_torch(torch):
    x = np.array([-1.0, 0.0, 3.0, 6.0, 7.0])
    _, dx_t = torch_forward_backward(torch, torch.nn.ReLU6(), x, np.ones(5))
    np.testing.assert_array_equal(dx_t, [0.0, 0.0, 1.0, 0.0, 0.0])
    check_layer(torch, ReLU6(), torch.nn.ReLU6(), x, np.random.default_rng(0))


@fixture_ok
@given(st.integers(0, 2**32 - 1), shapes, dtypes, st.sampled_from([0.0, 0.2, 0.5, 1.0]))
def test_dropout_in_evaluation_equals_torch(torch, seed, shape, dtype, p):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    check_layer(torch, Dropout(p, rng=seed), torch.nn.Dropout(p), x, rng)


@pytest.mark.parametrize("p", [0.0, 1.0])
def test_dropout_in_training_at_p_zero_and_one_equals_torch(torch, p):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 4))
    check_layer(torch, Dropout(p, rng=0), torch.nn.Dropout(p), x, rng, train=True)


@fixture_ok
@given(st.integers(0, 2**32 - 1), shapes, dtypes)
def test_identity_equals_torch(torch, seed, shape, dtype):
    rng = np.random.default_rng(seed)
    check_layer(torch, Identity(), torch.nn.Identity(), rng.standard_normal(shape).astype(dtype),
                rng)


@fixture_ok
@given(st.integers(0, 2**32 - 1), shapes, dtypes,
       st.one_of(st.integers(0, 3), st.tuples(*[st.integers(0, 3)] * 4)))
def test_zeropad2d_equals_torch(torch, seed, shape, dtype, padding):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    check_layer(torch, ZeroPad2d(padding), torch.nn.ZeroPad2d(padding), x, rng)
    assert repr(ZeroPad2d(padding)) == repr(torch.nn.ZeroPad2d(padding))   # (l, r, t, b)
