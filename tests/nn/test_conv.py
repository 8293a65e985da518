import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from numpy_gradcam.nn import Conv2d, conv
from numpy_gradcam.nn.conv import (
    conv2d_backward,
    conv2d_backward_input,
    conv2d_backward_loops,
    conv2d_forward,
    conv2d_forward_loops,
    merge_phases,
    split_phases,
)
from tests.gradcheck import assert_gradient


@st.composite
def conv_cases(draw):
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    H = draw(st.integers(max(1, kh - 2 * ph), 7))
    W = draw(st.integers(max(1, kw - 2 * pw), 7))
    # groups divides both channel counts by construction; C/G = 1 with G > 1 is depthwise.
    groups = draw(st.integers(1, 3))
    C, F = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    return dict(
        N=draw(st.integers(1, 2)), C=C, F=F, groups=groups,
        H=H, W=W, kernel=(kh, kw), stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        padding=(ph, pw), seed=draw(st.integers(0, 2**32 - 1)),
    )


# Depthwise with two filters per channel at stride 2, and MobileNet's depthwise 3×3 at stride 2.
DEPTHWISE = [
    dict(N=2, C=3, F=6, groups=3, H=6, W=7, kernel=(3, 2), stride=(2, 2), padding=(1, 0), seed=1),
    dict(N=1, C=4, F=4, groups=4, H=7, W=6, kernel=(3, 3), stride=(2, 2), padding=(1, 1), seed=2),
]


def arrays(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["N"], case["C"], case["H"], case["W"]))
    w = rng.standard_normal((case["F"], case["C"] // case["groups"], *case["kernel"]))
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


def test_hand_computed_depthwise_case():
    # Two channels, each with its own kernel and nothing from the other (groups = C = 2):
    # channel 0, kernel [[1, 0], [0, -1]], bias 10: x[y, x] - x[y+1, x+1] + 10 = 6, as above;
    # channel 1 (x + 10), kernel [[0, 1], [1, 0]], bias -1: x[y, x+1] + x[y+1, x] + 20 - 1,
    # [[2 + 4, 3 + 5], [5 + 7, 6 + 8]] + 19.
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    x = np.concatenate([x, x + 10], axis=1)                        # (1, 2, 3, 3)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]], [[[0.0, 1.0], [1.0, 0.0]]]])   # (2, 1, 2, 2)
    out, _ = conv2d_forward(x, w, np.array([10.0, -1.0]), groups=2)
    np.testing.assert_array_equal(out, [[[[6.0, 6.0], [6.0, 6.0]], [[25.0, 27.0], [31.0, 33.0]]]])
    # stride 2, padding 1, no bias; channel 1 reads xp[2y, 2x+1] + xp[2y+1, 2x] of (x + 10):
    # out[0,0] = 0 + 0;  out[0,1] = 0 + 12;  out[1,0] = 14 + 0;  out[1,1] = 16 + 18.
    out, _ = conv2d_forward(x, w, None, stride=(2, 2), padding=(1, 1), groups=2)
    np.testing.assert_array_equal(out, [[[[-1.0, -3.0], [-7.0, -4.0]],
                                         [[0.0, 12.0], [14.0, 34.0]]]])


@given(conv_cases())
@example(DEPTHWISE[0])
@example(DEPTHWISE[1])
def test_fast_equals_loops(case):
    rng, x, w, b = arrays(case)
    stride, padding, groups = case["stride"], case["padding"], case["groups"]
    fast, fast_cache = conv2d_forward(x, w, b, stride, padding, groups=groups)
    slow, slow_cache = conv2d_forward_loops(x, w, b, stride, padding, groups=groups)
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(fast.shape)
    fast_grads = conv2d_backward(dout, fast_cache)
    for got, want in zip(fast_grads, conv2d_backward_loops(dout, slow_cache), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@given(conv_cases())
@example(DEPTHWISE[0])
@example(DEPTHWISE[1])
def test_gradients_match_finite_differences(case):
    rng, x, w, b = arrays(case)
    stride, padding, groups = case["stride"], case["padding"], case["groups"]

    def f(x, w, b):
        return np.sum(dout * conv2d_forward(x, w, b, stride, padding, groups=groups)[0])

    out, cache = conv2d_forward(x, w, b, stride, padding, groups=groups)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv2d_backward(dout, cache)
    assert_gradient(dx, lambda v: f(v, w, b), x)
    assert_gradient(dw, lambda v: f(x, v, b), w)
    assert_gradient(db, lambda v: f(x, w, v), b)


@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 2), st.integers(0, 2),
       st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_merge_phases_is_the_adjoint_of_split_phases(sh, sw, ph, pw, H, W, seed):
    # <split(x), dq> = <x, merge(dq)> for every x and dq: what the input gradient relies on.
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 3, H, W))
    q = split_phases(x, (sh, sw), (ph, pw))
    dq = rng.standard_normal(q.shape)
    dx = merge_phases(dq, x.shape, (sh, sw), (ph, pw))
    assert dx.shape == x.shape
    np.testing.assert_allclose(np.sum(q * dq), np.sum(x * dx), rtol=1e-12)


@pytest.mark.parametrize("stride", [(1, 1), (2, 2), (3, 1)])
def test_depthwise_one_image_at_a_time_equals_the_whole_batch(stride, monkeypatch):
    # The tests' batches fit in one depthwise chunk; here every image is a chunk of its own.
    rng = np.random.default_rng(5)
    x, w, b = rng.normal(size=(3, 2, 7, 6)), rng.normal(size=(4, 1, 3, 2)), rng.normal(size=4)
    out, cache = conv2d_forward(x, w, b, stride, (1, 1), groups=2)
    douts = rng.normal(size=(2, *out.shape))                       # 2 targets
    dx, (dw, db) = conv2d_backward_input(douts, cache), conv.conv2d_backward_params(douts[0], cache)
    monkeypatch.setattr(conv, "DEPTHWISE_CHUNK", 1)
    out_1, cache_1 = conv2d_forward(x, w, b, stride, (1, 1), groups=2)
    np.testing.assert_array_equal(out_1, out)
    np.testing.assert_array_equal(conv2d_backward_input(douts, cache_1), dx)
    dw_1, db_1 = conv.conv2d_backward_params(douts[0], cache_1)
    np.testing.assert_allclose(dw_1, dw, rtol=1e-13)               # summed in another order
    np.testing.assert_array_equal(db_1, db)


@pytest.mark.parametrize("C, F, groups", [(3, 4, 1), (6, 4, 2), (3, 6, 3), (4, 4, 4)])
def test_backward_input_with_leading_target_axis_equals_one_at_a_time(C, F, groups):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, C, 6, 5)), rng.standard_normal((F, C // groups, 3, 3))
    out, cache = conv2d_forward(x, w, None, (2, 1), (1, 1), groups=groups)
    dout = rng.standard_normal((3, *out.shape))                    # 3 targets
    together = conv2d_backward_input(dout, cache)
    assert together.shape == (3, *x.shape)
    for t in range(3):
        np.testing.assert_allclose(together[t], conv2d_backward_input(dout[t], cache), atol=1e-13)


@pytest.mark.parametrize("C, F, groups", [(3, 4, 1), (4, 6, 2), (3, 3, 3)])
def test_float32_is_kept(C, F, groups):
    layer = Conv2d(C, F, 3, padding=1, groups=groups)
    out, cache = layer.forward(np.ones((1, C, 5, 5), dtype=np.float32))
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


def test_grouped_layer_shapes_init_and_repr():
    layer = Conv2d(6, 12, 3, stride=2, padding=1, groups=3, rng=0)
    assert layer.groups == 3 and type(layer.groups) is int
    assert layer.params["weight"].shape == (12, 2, 3, 3)
    # PyTorch's bound: fan_in = in_channels / groups · kh · kw = 2 · 3 · 3
    bound = 1 / np.sqrt(2 * 3 * 3)
    assert np.abs(layer.params["weight"]).max() <= bound
    assert np.abs(layer.params["weight"]).max() > 1 / np.sqrt(6 * 3 * 3)    # not the ungrouped one
    assert np.abs(layer.params["bias"]).max() <= bound
    out, cache = layer.forward(np.zeros((2, 6, 9, 9)))
    assert out.shape == (2, 12, 5, 5)
    dx, grads = layer.backward(np.ones_like(out), cache)
    assert dx.shape == (2, 6, 9, 9) and grads["weight"].shape == (12, 2, 3, 3)
    assert repr(layer) == ("Conv2d(6, 12, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
                           "groups=3, bias=True)")
    assert "groups" not in repr(Conv2d(6, 12, 3))


def test_depthwise_layer_equals_one_convolution_per_channel():
    layer = Conv2d(3, 6, 3, padding=1, groups=3, rng=1)
    x = np.random.default_rng(2).standard_normal((2, 3, 5, 4))
    out, _ = layer.forward(x)
    W, b = layer.params["weight"], layer.params["bias"]
    for c in range(3):
        filters = slice(2 * c, 2 * c + 2)                          # two filters per channel
        alone, _ = conv2d_forward(x[:, c:c + 1], W[filters], b[filters], padding=(1, 1))
        np.testing.assert_allclose(out[:, filters], alone, rtol=1e-13, atol=1e-13)


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
        (dict(in_channels=4, out_channels=6, kernel_size=3, groups=0), "groups"),
        (dict(in_channels=4, out_channels=6, kernel_size=3, groups=2.0), "groups"),
        (dict(in_channels=4, out_channels=6, kernel_size=3, groups=True), "groups"),
        (dict(in_channels=4, out_channels=6, kernel_size=3, groups=4), r"groups.*in_channels"),
        (dict(in_channels=6, out_channels=4, kernel_size=3, groups=3), r"groups.*out_channels"),
    ],
)
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Conv2d(**kwargs)


def test_groups_that_do_not_divide_say_what_would():
    with pytest.raises(ValueError, match=r"got groups=4; accepted: one of \[1, 2\]"):
        Conv2d(6, 4, 3, groups=4)
    with pytest.raises(ValueError, match=r"got groups=5; accepted: one of \[1, 2, 4, 8\]"):
        Conv2d(8, 16, 3, groups=5)


def test_the_functions_refuse_weights_that_do_not_fit_groups():
    x = np.zeros((1, 4, 5, 5))
    for function in (conv2d_forward, conv2d_forward_loops):
        with pytest.raises(ValueError, match="groups=2"):
            function(x, np.zeros((6, 4, 3, 3)), None, groups=2)     # (F, C, ...) given
        with pytest.raises(ValueError, match="groups=2"):
            function(x, np.zeros((3, 2, 3, 3)), None, groups=2)     # F = 3 not divisible
        with pytest.raises(ValueError, match="groups=1"):
            function(x, np.zeros((4, 1, 3, 3)), None)               # depthwise weight, no groups


def test_wrong_channels_and_too_small_input():
    layer = Conv2d(3, 4, 5)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        layer.forward(np.zeros((1, 2, 8, 8)))
    with pytest.raises(ValueError, match="smaller than the kernel"):
        layer.forward(np.zeros((1, 3, 4, 8)))


@pytest.mark.parametrize("C, groups", [(3, 1), (6, 2)])
def test_the_weight_gradient_rebuilds_cols_when_the_cache_does_not_keep_them(C, groups):
    rng = np.random.default_rng(3)
    x, b = rng.normal(size=(2, C, 7, 6)), rng.normal(size=4)
    w = rng.normal(size=(4, C // groups, 3, 2))
    for stride, padding in (((1, 1), (1, 1)), ((2, 1), (0, 1))):
        kept, cache = conv2d_forward(x, w, b, stride, padding, keep_cols=True, groups=groups)
        light, light_cache = conv2d_forward(x, w, b, stride, padding, keep_cols=False,
                                            groups=groups)
        assert light_cache[1] is None and cache[1] is not None
        np.testing.assert_array_equal(light, kept)
        dout = rng.normal(size=kept.shape)
        for ours, theirs in zip(conv2d_backward(dout, light_cache), conv2d_backward(dout, cache),
                                strict=True):
            np.testing.assert_array_equal(ours, theirs)
