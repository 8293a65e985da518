import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numpy_gradcam.nn import GlobalAvgPool2d
from numpy_gradcam.nn.adaptive_avgpool import (
    AdaptiveAvgPool2d,
    adaptive_avgpool2d_backward_input,
    adaptive_avgpool2d_backward_input_loops,
    adaptive_avgpool2d_forward,
    adaptive_avgpool2d_forward_loops,
    bins,
    pooling_matrix,
)
from tests.gradcheck import assert_gradient


@st.composite
def adaptive_cases(draw):
    """Output sizes below, equal to and above the input's, dividing it or not."""
    return dict(
        shape=(draw(st.integers(1, 2)), draw(st.integers(1, 3)),
               draw(st.integers(1, 9)), draw(st.integers(1, 9))),
        output_size=(draw(st.integers(1, 9)), draw(st.integers(1, 9))),
        targets=draw(st.sampled_from([(), (3,)])),
        seed=draw(st.integers(0, 2**32 - 1)),
    )


def test_bins_hand_computed():
    # [floor(i·H/Ho), ceil((i+1)·H/Ho)): 5 into 3 overlaps, 6 into 3 does not, 2 into 5 repeats.
    assert bins(5, 3) == [(0, 2), (1, 4), (3, 5)]
    assert bins(6, 3) == [(0, 2), (2, 4), (4, 6)]
    assert bins(7, 3) == [(0, 3), (2, 5), (4, 7)]
    assert bins(2, 5) == [(0, 1), (0, 1), (0, 2), (1, 2), (1, 2)]
    assert bins(7, 1) == [(0, 7)]
    np.testing.assert_array_equal(pooling_matrix(5, 3), [[1 / 2, 1 / 2, 0, 0, 0],
                                                         [0, 1 / 3, 1 / 3, 1 / 3, 0],
                                                         [0, 0, 0, 1 / 2, 1 / 2]])


@given(st.integers(1, 40), st.integers(1, 40))
def test_bins_cover_the_input_without_gaps(size, out_size):
    edges = bins(size, out_size)
    assert edges[0][0] == 0 and edges[-1][1] == size
    for (start, end), (next_start, _) in itertools.pairwise(edges):
        assert start < end and start <= next_start <= end        # no gap; overlap at most
    if size % out_size == 0:                                     # the plain pooling case
        assert edges == [(i * size // out_size, (i + 1) * size // out_size)
                         for i in range(out_size)]


def test_overlapping_bins_hand_computed():
    # x[r, c] = 10 r + c on 5×5 into 3×3: the bins' mean rows are 0.5, 2, 3.5 (of {0,1},
    # {1,2,3}, {3,4}), so out[i, j] = 10 m_i + m_j.
    x = (10.0 * np.arange(5)[:, None] + np.arange(5)[None, :])[None, None]
    pool = AdaptiveAvgPool2d(3)
    out, cache = pool.forward(x)
    np.testing.assert_array_equal(out, [[[[5.5, 7.0, 8.5],
                                          [20.5, 22.0, 23.5],
                                          [35.5, 37.0, 38.5]]]])
    # One column, 5 rows into 3, dout = [2, 6, 4]: bin 0 gives 2/2 to rows 0, 1; bin 1 gives
    # 6/3 to rows 1, 2, 3; bin 2 gives 4/2 to rows 3, 4 — rows 1 and 3 receive two shares.
    column = AdaptiveAvgPool2d((3, 1))
    _, cache = column.forward(np.zeros((1, 1, 5, 1)))
    dx = column.backward_input(np.array([2.0, 6.0, 4.0]).reshape(1, 1, 3, 1), cache)
    np.testing.assert_array_equal(dx[0, 0, :, 0], [1.0, 3.0, 2.0, 4.0, 2.0])


def test_output_larger_than_input_repeats_pixels():
    out, _ = AdaptiveAvgPool2d((5, 1)).forward(np.array([1.0, 3.0]).reshape(1, 1, 2, 1))
    np.testing.assert_array_equal(out[0, 0, :, 0], [1.0, 1.0, 2.0, 3.0, 3.0])


@given(adaptive_cases())
def test_matrices_equal_loops(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["shape"])
    fast, cache = adaptive_avgpool2d_forward(x, case["output_size"])
    slow = adaptive_avgpool2d_forward_loops(x, case["output_size"])
    np.testing.assert_allclose(fast, slow, rtol=1e-13, atol=1e-14)
    dout = rng.standard_normal(case["targets"] + fast.shape)
    np.testing.assert_allclose(adaptive_avgpool2d_backward_input(dout, cache),
                               adaptive_avgpool2d_backward_input_loops(dout, x.shape),
                               rtol=1e-13, atol=1e-14)


@given(adaptive_cases())
def test_gradient_matches_finite_differences(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["shape"])
    out, cache = adaptive_avgpool2d_forward(x, case["output_size"])
    dout = rng.standard_normal(out.shape)

    def f(v):
        return np.sum(dout * adaptive_avgpool2d_forward(v, case["output_size"])[0])

    assert_gradient(adaptive_avgpool2d_backward_input(dout, cache), f, x)


def test_one_by_one_is_the_global_average_pool():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 5, 7, 6))
    gap = GlobalAvgPool2d()
    pool = AdaptiveAvgPool2d((1, 1))
    out, cache = pool.forward(x)
    assert out.shape == (2, 5, 1, 1)
    np.testing.assert_allclose(out[..., 0, 0], x.mean(axis=(2, 3)), rtol=1e-14, atol=1e-16)
    dout = rng.standard_normal((3, 2, 5))          # a leading target axis too
    np.testing.assert_allclose(pool.backward_input(dout[..., None, None], cache),
                               gap.backward_input(dout, gap.forward(x)[1]),
                               rtol=1e-14, atol=1e-16)


def test_leading_target_axis():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 3, 7, 5))
    pool = AdaptiveAvgPool2d((3, 2))
    out, cache = pool.forward(x)
    dout = rng.standard_normal((4, *out.shape))
    dx = pool.backward_input(dout, cache)
    assert dx.shape == (4, *x.shape)
    for t in range(4):
        np.testing.assert_allclose(dx[t], pool.backward_input(dout[t], cache), rtol=1e-15)


def test_none_keeps_that_axis():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((1, 2, 3, 5))
    out, _ = AdaptiveAvgPool2d((None, 2)).forward(x)
    assert out.shape == (1, 2, 3, 2)
    np.testing.assert_allclose(out, adaptive_avgpool2d_forward_loops(x, (3, 2)), rtol=1e-14)
    assert AdaptiveAvgPool2d((None, None)).forward(x)[0].shape == x.shape
    assert AdaptiveAvgPool2d([4, None]).output_size == (4, None)


def test_float32_is_kept():
    x = np.random.default_rng(10).standard_normal((1, 2, 5, 4)).astype(np.float32)
    out, cache = AdaptiveAvgPool2d(3).forward(x)
    assert out.dtype == np.float32
    assert AdaptiveAvgPool2d(3).backward_input(np.ones_like(out), cache).dtype == np.float32


def test_output_size_and_input_errors():
    assert AdaptiveAvgPool2d(7).output_size == (7, 7)
    assert repr(AdaptiveAvgPool2d((None, 2))) == "AdaptiveAvgPool2d(output_size=(None, 2))"
    with pytest.raises(ValueError, match="output_size must be an integer >= 1, got 0"):
        AdaptiveAvgPool2d(0)
    with pytest.raises(ValueError, match="output_size must be an integer >= 1, got -2"):
        AdaptiveAvgPool2d((3, -2))
    with pytest.raises(TypeError, match=r"None alone is not accepted, write \(None, None\)"):
        AdaptiveAvgPool2d(None)
    with pytest.raises(TypeError, match=r"output_size must be an integer >= 1, got 1\.5"):
        AdaptiveAvgPool2d(1.5)
    with pytest.raises(ValueError, match=r"output_size must be an int or a pair \(h, w\)"):
        AdaptiveAvgPool2d((1, 2, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\) with H, W >= 1"):
        AdaptiveAvgPool2d(1).forward(np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match=r"got \(1, 2, 0, 4\)"):
        AdaptiveAvgPool2d(1).forward(np.zeros((1, 2, 0, 4)))
