import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numpy_gradcam.nn.zeropad import ZeroPad2d, zero_pad2d_backward, zero_pad2d_forward
from tests.gradcheck import assert_each_target_alone, assert_gradient

paddings = st.tuples(*[st.integers(0, 3)] * 4)


def test_hand_computed_asymmetric_padding_is_left_right_top_bottom():
    x = np.array([[[[1.0, 2.0],
                    [3.0, 4.0]]]])
    out, cache = ZeroPad2d((1, 2, 0, 1)).forward(x)
    np.testing.assert_array_equal(out, [[[[0.0, 1.0, 2.0, 0.0, 0.0],
                                          [0.0, 3.0, 4.0, 0.0, 0.0],
                                          [0.0, 0.0, 0.0, 0.0, 0.0]]]])
    dout = np.arange(15.0).reshape(1, 1, 3, 5)
    np.testing.assert_array_equal(ZeroPad2d((1, 2, 0, 1)).backward_input(dout, cache),
                                  [[[[1.0, 2.0],
                                     [6.0, 7.0]]]])


def test_an_int_pads_all_four_sides():
    out, _ = ZeroPad2d(2).forward(np.ones((1, 1, 1, 3)))
    assert out.shape == (1, 1, 5, 7)
    assert out.sum() == 3.0 and out[0, 0, 2, 2:5].tolist() == [1.0, 1.0, 1.0]


@given(st.integers(0, 2**32 - 1), st.lists(st.integers(1, 3), min_size=4, max_size=4), paddings)
def test_matches_finite_differences(seed, shape, padding):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    out, cache = zero_pad2d_forward(x, padding)
    left, right, top, bottom = padding
    assert out.shape == (*shape[:2], top + shape[2] + bottom, left + shape[3] + right)
    dout = rng.standard_normal(out.shape)
    assert_gradient(zero_pad2d_backward(dout, cache),
                    lambda v: np.sum(dout * zero_pad2d_forward(v, padding)[0]), x)


def test_leading_target_axis_broadcasts():
    rng = np.random.default_rng(1)
    layer = ZeroPad2d((0, 1, 2, 3))
    out, cache = layer.forward(rng.standard_normal((2, 3, 4, 4)))
    dout = rng.standard_normal((5, *out.shape))
    assert_each_target_alone(layer.backward_input, dout, cache, (2, 3, 4, 4))


def test_a_single_image_chw_is_padded_like_torch_does():
    out, cache = ZeroPad2d((1, 0, 0, 1)).forward(np.ones((3, 2, 2)))
    assert out.shape == (3, 3, 3)
    assert ZeroPad2d((1, 0, 0, 1)).backward_input(out, cache).shape == (3, 2, 2)


@pytest.mark.parametrize("padding, error, message", [
    (-1, ValueError, r"padding must be >= 0 on every side, got -1 \(PyTorch's negative"),
    ((1, 0, -2, 0), ValueError, "padding must be >= 0 on every side"),
    ((1, 2), ValueError, r"4-tuple of ints \(left, right, top, bottom\), got \(1, 2\)"),
    (1.5, TypeError, "padding must be an int or a 4-tuple"),
    (True, TypeError, "padding must be an int or a 4-tuple"),
])
def test_bad_padding_is_refused_by_name(padding, error, message):
    with pytest.raises(error, match=message):
        ZeroPad2d(padding)


def test_an_input_without_two_spatial_axes_is_refused():
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\) or \(C, H, W\)"):
        ZeroPad2d(1).forward(np.ones(5))
