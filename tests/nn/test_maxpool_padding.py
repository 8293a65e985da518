"""MaxPool2d's padding: −∞ borders, PyTorch's size rule and limit, ties to the first maximum.

The properties over random shapes, kernels, strides and paddings (fast == loops, finite
differences) are in test_pooling.py; here are the literal cases and the errors.
"""

import numpy as np
import pytest

from numpy_gradcam.nn import MaxPool2d
from numpy_gradcam.nn.maxpool import maxpool2d_backward_input, maxpool2d_forward
from tests.gradcheck import assert_each_target_alone, assert_gradient, distinct


def test_padded_hand_computed_all_negative_with_ties():
    # MaxPool2d(3, stride=2, padding=1) on a 3×3 input: Ho = (3 + 2 - 3) // 2 + 1 = 2, and the
    # windows cover rows/columns {0, 1} and {1, 2} of the input (the rest is padding). Every
    # input is negative, so a zero padding would win everywhere; −∞ never does.
    x = np.array([[[[-3.0, -1.0, -1.0],
                    [-1.5, -2.0, -5.0],
                    [-4.0, -6.0, -0.5]]]])
    pool = MaxPool2d(3, stride=2, padding=1)
    out, cache = pool.forward(x)
    np.testing.assert_array_equal(out, [[[[-1.0, -1.0], [-1.5, -0.5]]]])
    dx = pool.backward_input(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]), cache)
    # Windows (0,0) and (0,1) both hold -1 at (0,1) and (0,2): the first, (0,1), takes 10 + 20.
    np.testing.assert_array_equal(dx, [[[[0.0, 30.0, 0.0],
                                         [30.0, 0.0, 0.0],
                                         [0.0, 0.0, 40.0]]]])


def test_output_size_is_torchs_floor_rule():
    # (H + 2p - k) // s + 1: the ResNet stem halves 112 to 56, and a 1×1 input still gives 1×1.
    for H, W, expected in [(112, 112, (56, 56)), (7, 6, (4, 3)), (1, 1, (1, 1)), (2, 5, (1, 3))]:
        out, _ = MaxPool2d(3, stride=2, padding=1).forward(np.zeros((1, 2, H, W)))
        assert out.shape == (1, 2) + expected


def test_non_square_padding_only_along_one_axis():
    # kernel (1, 3), padding (0, 1), stride 1: a sliding maximum along each row, the ends seeing
    # only two real pixels; rows are untouched.
    x = np.array([[[[-5.0, -2.0, -7.0, -1.0]]]])
    out, cache = maxpool2d_forward(x, (1, 3), (1, 1), (0, 1))
    np.testing.assert_array_equal(out, [[[[-2.0, -2.0, -1.0, -1.0]]]])
    dx = maxpool2d_backward_input(np.array([[[[1.0, 2.0, 3.0, 4.0]]]]), cache)
    np.testing.assert_array_equal(dx, [[[[0.0, 3.0, 0.0, 7.0]]]])


def test_an_all_minus_inf_window_routes_to_its_first_real_pixel():
    # torch clips each window to the image and starts from its first real pixel, so the padding
    # never takes a gradient, even where the maximum is -inf itself (checked against torch in
    # tests/oracle/test_pooling_torch2.py).
    x = np.full((1, 1, 2, 3), -np.inf)
    pool = MaxPool2d(3, stride=1, padding=1)
    out, cache = pool.forward(x)
    assert np.all(out == -np.inf)
    dx = pool.backward_input(np.arange(1.0, 7.0).reshape(1, 1, 2, 3), cache)
    # The windows of outputs in columns 0 and 1 start at real column 0, those in column 2 at 1.
    np.testing.assert_array_equal(dx, [[[[1 + 2 + 4 + 5, 3 + 6, 0.0], [0.0, 0.0, 0.0]]]])


def test_padded_gradient_finite_differences_and_leading_target_axis():
    rng = np.random.default_rng(5)
    x = distinct(rng, (2, 3, 7, 6))
    out, cache = maxpool2d_forward(x, (3, 3), (2, 2), (1, 1))
    dout = rng.standard_normal((4, *out.shape))          # four targets at once
    dx = assert_each_target_alone(maxpool2d_backward_input, dout, cache, x.shape)
    assert_gradient(dx[2], lambda v: np.sum(dout[2] * maxpool2d_forward(v, (3, 3), (2, 2),
                                                                        (1, 1))[0]), x)


def test_padding_is_stored_as_a_pair_and_shown_when_nonzero():
    assert MaxPool2d(3, 2, 1).padding == (1, 1)
    assert MaxPool2d((3, 5), padding=(1, 2)).padding == (1, 2)
    assert MaxPool2d(2).padding == (0, 0)
    assert (repr(MaxPool2d(3, 2, 1))
            == "MaxPool2d(kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))")
    assert repr(MaxPool2d(2)) == "MaxPool2d(kernel_size=(2, 2), stride=(2, 2))"


def test_padding_errors_name_the_argument_and_the_limit():
    with pytest.raises(ValueError, match=r"padding must be at most half of kernel_size \(3, 3\) "
                                         r"for MaxPool2d, i.e. at most \(1, 1\), got \(2, 2\)"):
        MaxPool2d(3, stride=2, padding=2)
    with pytest.raises(ValueError, match=r"at most \(1, 2\), got \(1, 3\)"):
        MaxPool2d((3, 4), padding=(1, 3))
    with pytest.raises(ValueError, match=r"at most \(0, 0\), got \(1, 1\)"):
        MaxPool2d(1, padding=1)
    with pytest.raises(ValueError, match="padding must be an integer >= 0, got -1"):
        MaxPool2d(3, padding=-1)
    with pytest.raises(TypeError, match=r"padding must be an integer >= 0, got 1\.0"):
        MaxPool2d(3, padding=1.0)
    with pytest.raises(ValueError, match=r"padding must be an int or a pair"):
        MaxPool2d(3, padding=(1, 1, 1))


def test_input_smaller_than_the_kernel_is_accepted_when_the_padding_makes_up():
    out, _ = MaxPool2d(4, stride=1, padding=2).forward(np.ones((1, 1, 1, 1)))
    assert out.shape == (1, 1, 2, 2)
    with pytest.raises(ValueError, match=r"H, W >= \(2, 2\)"):
        MaxPool2d(4, padding=1).forward(np.ones((1, 1, 1, 5)))
    with pytest.raises(ValueError, match=r"H, W >= \(1, 1\)"):
        MaxPool2d(3, padding=1).forward(np.ones((1, 1, 0, 5)))
