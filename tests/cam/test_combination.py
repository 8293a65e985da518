"""Tests for numpy_gradcam.cam.combination: L = ReLU(Σ_k alpha_k A^k) (Eq. 2)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from numpy_gradcam.cam.combination import combine

# One image, K = 2 feature maps of 2 x 2.
A = np.array([[[[1.0, 2.0], [0.0, 4.0]],
               [[3.0, 0.0], [1.0, 1.0]]]])  # (1, 2, 2, 2)


def test_hand_computed_channel_weights():
    alpha = np.array([[2.0, -1.0]])  # (1, 2)
    # 2 * [[1, 2], [0, 4]] - 1 * [[3, 0], [1, 1]] = [[-1, 4], [-1, 7]]
    signed = np.array([[[-1.0, 4.0], [-1.0, 7.0]]])
    np.testing.assert_array_equal(combine(alpha, A, relu=False), signed)
    # ReLU keeps the positive evidence only.
    np.testing.assert_array_equal(combine(alpha, A), np.array([[[0.0, 4.0], [0.0, 7.0]]]))


def test_hand_computed_element_wise_weights():
    alpha = np.array([[[[1.0, 0.0], [2.0, -1.0]],
                       [[0.5, 1.0], [-3.0, 2.0]]]])  # (1, 2, 2, 2), e.g. HiResCAM's
    # [[1*1 + 0.5*3, 0*2 + 1*0], [2*0 - 3*1, -1*4 + 2*1]] = [[2.5, 0], [-3, -2]]
    np.testing.assert_array_equal(combine(alpha, A, relu=False),
                                  np.array([[[2.5, 0.0], [-3.0, -2.0]]]))
    np.testing.assert_array_equal(combine(alpha, A), np.array([[[2.5, 0.0], [0.0, 0.0]]]))


def _alpha_and_A(elementwise):
    """Draw (alpha, A) of matching shapes: alpha (N, K) or (N, K, h, w)."""
    shapes = st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 4), st.integers(1, 4))

    @st.composite
    def draw(draw_):
        N, K, h, w = draw_(shapes)
        values = st.floats(-10, 10)
        A_ = draw_(arrays(np.float64, (N, K, h, w), elements=values))
        alpha_shape = (N, K, h, w) if elementwise else (N, K)
        alpha_ = draw_(arrays(np.float64, alpha_shape, elements=values))
        return alpha_, A_

    return draw()


@given(st.booleans().flatmap(_alpha_and_A))
def test_cam_is_never_negative(alpha_A):
    alpha, A_ = alpha_A
    assert (combine(alpha, A_) >= 0).all()


@given(st.booleans().flatmap(_alpha_and_A))
def test_signed_map_is_the_literal_sum(alpha_A):
    alpha, A_ = alpha_A
    N, K, h, w = A_.shape
    expected = np.zeros((N, h, w))
    for n in range(N):
        for k in range(K):
            expected[n] += alpha[n, k] * A_[n, k]  # alpha[n, k]: a number, or (h, w)
    np.testing.assert_allclose(combine(alpha, A_, relu=False), expected, rtol=1e-12, atol=1e-12)


@given(st.booleans().flatmap(_alpha_and_A))
def test_counterfactual_identity(alpha_A):
    # The counterfactual map uses -dy_dA, hence -alpha: ReLU(Σ -alpha A) = ReLU(-Σ alpha A).
    alpha, A_ = alpha_A
    np.testing.assert_array_equal(combine(-alpha, A_),
                                  np.maximum(-combine(alpha, A_, relu=False), 0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    L = combine(np.ones((1, 2), dtype=dtype), np.ones((1, 2, 3, 3), dtype=dtype))
    assert L.dtype == dtype
    assert L.shape == (1, 3, 3)


@pytest.mark.parametrize(
    "alpha, A_, match",
    [
        (np.ones((1, 3)), A, "alpha"),  # K = 3 weights for K = 2 maps
        (np.ones((2, 2)), A, "alpha"),  # N = 2 weights for 1 image
        (np.ones((1, 2, 3, 3)), A, "alpha"),  # element-wise weights of the wrong size
        (np.ones((1, 2, 1)), A, "alpha"),  # 3-d weights
        (np.ones(2), A, "alpha"),
        (np.ones((1, 2)), A[0], "A"),  # (K, h, w): missing the batch axis
        (np.array([[np.nan, 1.0]]), A, "alpha"),
        (np.ones((1, 2)), np.full_like(A, np.inf), "A"),
    ],
)
def test_bad_shapes_raise_value_error_naming_the_argument(alpha, A_, match):
    with pytest.raises(ValueError, match=match):
        combine(alpha, A_)


def test_relu_must_be_a_bool():
    with pytest.raises(TypeError, match="relu"):
        combine(np.ones((1, 2)), A, relu="yes")
