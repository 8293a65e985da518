import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numpy_gradcam.nn import AvgPool2d, GlobalAvgPool2d, MaxPool2d
from numpy_gradcam.nn.avgpool import avgpool2d_backward_input, avgpool2d_forward
from numpy_gradcam.nn.maxpool import (
    maxpool2d_backward_input,
    maxpool2d_forward,
    maxpool2d_forward_loops,
)
from tests.gradcheck import assert_gradient, distinct


@st.composite
def pool_cases(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ph, pw = draw(st.integers(0, kh // 2)), draw(st.integers(0, kw // 2))   # PyTorch's limit
    return dict(
        shape=(draw(st.integers(1, 2)), draw(st.integers(1, 3)),
               draw(st.integers(max(1, kh - 2 * ph), 7)),      # the padding may make up for H < kh
               draw(st.integers(max(1, kw - 2 * pw), 7))),
        kernel=(kh, kw), stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        padding=(ph, pw), seed=draw(st.integers(0, 2**32 - 1)),
    )


def settings(case):
    return case["kernel"], case["stride"], case["padding"]


def test_maxpool_hand_computed_with_ties_routed_to_the_first():
    x = np.array([[[[1.0, 3.0, 2.0, 2.0],
                    [3.0, 0.0, 2.0, 2.0],
                    [5.0, 6.0, 0.0, -1.0],
                    [7.0, 8.0, -2.0, -3.0]]]])
    out, cache = maxpool2d_forward(x, (2, 2), (2, 2))
    np.testing.assert_array_equal(out, [[[[3.0, 2.0], [8.0, 0.0]]]])
    dx = maxpool2d_backward_input(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]), cache)
    # Window (0,0) has 3 at (0,1) and (1,0): the first in row-major order, (0,1), takes it;
    # window (0,1) is all 2s: (0,2) takes it.
    np.testing.assert_array_equal(dx, [[[[0.0, 10.0, 20.0, 0.0],
                                         [0.0, 0.0, 0.0, 0.0],
                                         [0.0, 0.0, 40.0, 0.0],
                                         [0.0, 30.0, 0.0, 0.0]]]])


@given(pool_cases())
def test_maxpool_fast_equals_loops(case):
    x = np.random.default_rng(case["seed"]).integers(0, 3, case["shape"]).astype(float)  # many ties
    fast, cache = maxpool2d_forward(x, *settings(case))
    slow, argmax = maxpool2d_forward_loops(x, *settings(case))
    np.testing.assert_array_equal(fast, slow)
    # The gradient goes to the loop version's argmax: scatter dout by hand and compare. The
    # argmax is a window offset in the padded input; the inputs are >= 0 > -inf, so it is
    # never a padded position.
    dout = np.random.default_rng(case["seed"] + 1).standard_normal(fast.shape)
    expected = np.zeros_like(x)
    kw = case["kernel"][1]
    (sh, sw), (ph, pw) = case["stride"], case["padding"]
    for n, c, y, x_ in np.ndindex(*fast.shape):
        i, j = divmod(argmax[n, c, y, x_], kw)
        expected[n, c, y * sh + i - ph, x_ * sw + j - pw] += dout[n, c, y, x_]
    np.testing.assert_allclose(maxpool2d_backward_input(dout, cache), expected, atol=1e-14)


@given(pool_cases())
def test_maxpool_gradient_matches_finite_differences(case):
    rng = np.random.default_rng(case["seed"])
    x = distinct(rng, case["shape"])
    out, cache = maxpool2d_forward(x, *settings(case))
    dout = rng.standard_normal(out.shape)
    def f(v):
        return np.sum(dout * maxpool2d_forward(v, *settings(case))[0])

    assert_gradient(maxpool2d_backward_input(dout, cache), f, x)


@given(pool_cases())
def test_avgpool_gradient_matches_finite_differences(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["shape"])
    out, cache = avgpool2d_forward(x, *settings(case))
    dout = rng.standard_normal(out.shape)
    def f(v):
        return np.sum(dout * avgpool2d_forward(v, *settings(case))[0])

    assert_gradient(avgpool2d_backward_input(dout, cache), f, x)


def test_avgpool_hand_computed():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    out, cache = AvgPool2d(2).forward(x)
    np.testing.assert_array_equal(out, [[[[2.5, 4.5], [10.5, 12.5]]]])
    dx = AvgPool2d(2).backward_input(np.array([[[[4.0, 8.0], [12.0, 16.0]]]]), cache)
    np.testing.assert_array_equal(dx[0, 0, :2, :2], [[1.0, 1.0], [1.0, 1.0]])
    np.testing.assert_array_equal(dx[0, 0, 3, 3], 4.0)


def test_avgpool_padded_hand_computed_counts_the_padding():
    # x = [[1, 2], [3, 4]], AvgPool2d(2, stride=1, padding=1): the zero-padded 4×4 input, every
    # window divided by 4 (PyTorch's count_include_pad=True), so a corner window holds one pixel.
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    pool = AvgPool2d(2, stride=1, padding=1)
    out, cache = pool.forward(x)
    np.testing.assert_array_equal(out, [[[[0.25, 0.75, 0.5],
                                          [1.0, 2.5, 1.5],
                                          [0.75, 1.75, 1.0]]]])
    # dout all 4s: each pixel sits in four windows and gets 4/4 from each.
    dx = pool.backward_input(np.full((1, 1, 3, 3), 4.0), cache)
    np.testing.assert_array_equal(dx, [[[[4.0, 4.0], [4.0, 4.0]]]])


def test_avgpool_leading_target_axis_with_padding():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 5, 4))
    out, cache = avgpool2d_forward(x, (3, 2), (2, 1), (1, 1))
    dout = rng.standard_normal((3, *out.shape))
    dx = avgpool2d_backward_input(dout, cache)
    assert dx.shape == (3, *x.shape)
    np.testing.assert_array_equal(dx[1], avgpool2d_backward_input(dout[1], cache))


def test_global_avg_pool_hand_computed_and_finite_differences():
    gap = GlobalAvgPool2d()
    x = np.arange(8.0).reshape(1, 2, 2, 2)
    out, cache = gap.forward(x)
    np.testing.assert_array_equal(out, [[1.5, 5.5]])
    np.testing.assert_array_equal(gap.backward_input(np.array([[4.0, -8.0]]), cache),
                                  [[[[1.0, 1.0], [1.0, 1.0]], [[-2.0, -2.0], [-2.0, -2.0]]]])
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4, 5))
    dout = rng.standard_normal((2, 3))
    assert_gradient(gap.backward_input(dout, gap.forward(x)[1]),
                    lambda v: np.sum(dout * gap.forward(v)[0]), x)


def test_pool_leading_target_axis():
    rng = np.random.default_rng(2)
    x = distinct(rng, (2, 3, 4, 4))
    out, cache = maxpool2d_forward(x, (2, 2), (2, 2))
    dout = rng.standard_normal((4, *out.shape))
    np.testing.assert_array_equal(maxpool2d_backward_input(dout, cache)[2],
                                  maxpool2d_backward_input(dout[2], cache))


def test_stride_defaults_to_kernel_and_errors():
    assert MaxPool2d(3).stride == (3, 3)
    assert MaxPool2d(3, stride=1).stride == (1, 1)
    with pytest.raises(ValueError, match="kernel_size"):
        MaxPool2d(0)
    with pytest.raises(ValueError, match=r"H, W >= \(4, 4\)"):
        MaxPool2d(4).forward(np.zeros((1, 1, 3, 8)))
