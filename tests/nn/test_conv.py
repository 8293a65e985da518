import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numpy_gradcam.nn import Conv2d
from numpy_gradcam.nn.conv import (
    conv2d_backward,
    conv2d_backward_input,
    conv2d_backward_loops,
    conv2d_forward,
    conv2d_forward_loops,
)
from tests.gradcheck import assert_gradient


@st.composite
def conv_cases(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    H = draw(st.integers(max(1, kh - 2 * ph), 7))
    W = draw(st.integers(max(1, kw - 2 * pw), 7))
    return dict(
        N=draw(st.integers(1, 2)), C=draw(st.integers(1, 3)), F=draw(st.integers(1, 3)),
        H=H, W=W, kernel=(kh, kw), stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        padding=(ph, pw), seed=draw(st.integers(0, 2**32 - 1)),
    )


def arrays(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["N"], case["C"], case["H"], case["W"]))
    w = rng.standard_normal((case["F"], case["C"], *case["kernel"]))
    b = rng.standard_normal(case["F"])
    return rng, x, w, b


def test_hand_computed_case():
    # x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], kernel [[1, 0], [0, -1]], bias 10, stride 1:
    # out[y, x] = x[y, x] - x[y+1, x+1] + 10 = -4 + 10 everywhere.
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    out, _ = conv2d_forward(x, w, np.array([10.0]))
    np.testing.assert_array_equal(out, [[[[6.0, 6.0], [6.0, 6.0]]]])
    # stride 2, padding 1: with xp the zero-padded 5×5 input,
    # out[y, x] = xp[2y, 2x] - xp[2y+1, 2x+1]:
    # out[0,0] = 0 - x[0,0] = -1;  out[0,1] = 0 - x[0,2] = -3;
    # out[1,0] = 0 - x[2,0] = -7;  out[1,1] = x[1,1] - x[2,2] = 5 - 9 = -4.
    out, _ = conv2d_forward(x, w, None, stride=(2, 2), padding=(1, 1))
    np.testing.assert_array_equal(out, [[[[-1.0, -3.0], [-7.0, -4.0]]]])


@given(conv_cases())
def test_fast_equals_loops(case):
    rng, x, w, b = arrays(case)
    fast, fast_cache = conv2d_forward(x, w, b, case["stride"], case["padding"])
    slow, slow_cache = conv2d_forward_loops(x, w, b, case["stride"], case["padding"])
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(fast.shape)
    fast_grads = conv2d_backward(dout, fast_cache)
    for got, want in zip(fast_grads, conv2d_backward_loops(dout, slow_cache), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@given(conv_cases())
def test_gradients_match_finite_differences(case):
    rng, x, w, b = arrays(case)
    stride, padding = case["stride"], case["padding"]
    out, cache = conv2d_forward(x, w, b, stride, padding)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv2d_backward(dout, cache)
    assert_gradient(dx, lambda v: np.sum(dout * conv2d_forward(v, w, b, stride, padding)[0]), x)
    assert_gradient(dw, lambda v: np.sum(dout * conv2d_forward(x, v, b, stride, padding)[0]), w)
    assert_gradient(db, lambda v: np.sum(dout * conv2d_forward(x, w, v, stride, padding)[0]), b)


def test_backward_input_with_leading_target_axis_equals_one_at_a_time():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((4, 3, 3, 3))
    out, cache = conv2d_forward(x, w, None, (2, 1), (1, 1))
    dout = rng.standard_normal((3, *out.shape))                    # 3 targets
    together = conv2d_backward_input(dout, cache)
    assert together.shape == (3, *x.shape)
    for t in range(3):
        np.testing.assert_allclose(together[t], conv2d_backward_input(dout[t], cache), atol=1e-13)


def test_float32_is_kept():
    layer = Conv2d(3, 4, 3, padding=1)
    out, cache = layer.forward(np.ones((1, 3, 5, 5), dtype=np.float32))
    assert out.dtype == np.float32
    dx, grads = layer.backward(np.ones_like(out), cache)
    assert dx.dtype == np.float32 and grads["weight"].dtype == np.float32


def test_layer_shapes_and_pytorch_layout():
    layer = Conv2d(3, 8, (3, 5), stride=2, padding=(1, 2), bias=False)
    assert layer.params["weight"].shape == (8, 3, 3, 5)
    assert "bias" not in layer.params
    out, _ = layer.forward(np.zeros((2, 3, 9, 10)))
    # Ho = (9 + 2 - 3) // 2 + 1 = 5, Wo = (10 + 4 - 5) // 2 + 1 = 5
    assert out.shape == (2, 8, 5, 5)


def test_same_seed_same_weights_and_different_seed_different():
    a, b, c = Conv2d(3, 4, 3, rng=7), Conv2d(3, 4, 3, rng=7), Conv2d(3, 4, 3, rng=8)
    np.testing.assert_array_equal(a.params["weight"], b.params["weight"])
    assert not np.array_equal(a.params["weight"], c.params["weight"])
    bound = 1 / np.sqrt(3 * 3 * 3)
    assert np.abs(a.params["weight"]).max() <= bound


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(in_channels=0, out_channels=4, kernel_size=3), "in_channels"),
        (dict(in_channels=3, out_channels=4, kernel_size=(3,)), "kernel_size"),
        (dict(in_channels=3, out_channels=4, kernel_size=3, stride=0), "stride"),
        (dict(in_channels=3, out_channels=4, kernel_size=3, padding=-1), "padding"),
        (dict(in_channels=3.0, out_channels=4, kernel_size=3), "in_channels"),
    ],
)
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Conv2d(**kwargs)


def test_wrong_channels_and_too_small_input():
    layer = Conv2d(3, 4, 5)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        layer.forward(np.zeros((1, 2, 8, 8)))
    with pytest.raises(ValueError, match="smaller than the kernel"):
        layer.forward(np.zeros((1, 3, 4, 8)))


def test_the_weight_gradient_rebuilds_cols_when_the_cache_does_not_keep_them():
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    for stride, padding in (((1, 1), (1, 1)), ((2, 1), (0, 1))):
        kept, cache = conv2d_forward(x, w, b, stride, padding, keep_cols=True)
        light, light_cache = conv2d_forward(x, w, b, stride, padding, keep_cols=False)
        assert light_cache[1] is None and cache[1] is not None
        np.testing.assert_array_equal(light, kept)
        dout = rng.normal(size=kept.shape)
        for ours, theirs in zip(conv2d_backward(dout, light_cache), conv2d_backward(dout, cache),
                                strict=True):
            np.testing.assert_array_equal(ours, theirs)
