"""Tests for numpy_gradcam.cam.weighting: alpha^c_k = (1/Z) Σ_i Σ_j ∂y^c/∂A^k_ij (Eq. 1)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from numpy_gradcam.cam.weighting import gap_weights


def test_hand_computed_case():
    # Image 0, channel 0: (1 + 2 + 3 + 6) / 4 = 3;  channel 1: (-4 + 0 + 0 + 0) / 4 = -1.
    # Image 1, channel 0: (0.5 * 4) / 4 = 0.5;      channel 1: (8 - 8 + 1 + 3) / 4 = 1.
    dy_dA = np.array([
        [[[1.0, 2.0], [3.0, 6.0]], [[-4.0, 0.0], [0.0, 0.0]]],
        [[[0.5, 0.5], [0.5, 0.5]], [[8.0, -8.0], [1.0, 3.0]]],
    ])  # (N=2, K=2, h=2, w=2)
    expected = np.array([[3.0, -1.0], [0.5, 1.0]])
    np.testing.assert_array_equal(gap_weights(dy_dA), expected)


def test_non_square_map_divides_by_h_times_w():
    # h = 1, w = 3: Z = 3, (3 + 6 + 0) / 3 = 3 (dividing by h or w alone would give 9 or 3).
    dy_dA = np.array([[[[3.0, 6.0, 0.0]]]])  # (1, 1, 1, 3)
    np.testing.assert_array_equal(gap_weights(dy_dA), np.array([[3.0]]))
    # h = 3, w = 1 is the same numbers, transposed.
    np.testing.assert_array_equal(gap_weights(dy_dA.reshape(1, 1, 3, 1)), np.array([[3.0]]))


@given(arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 4), st.integers(1, 5),
                                     st.integers(1, 5)),
              elements=st.floats(-10, 10)))
def test_equals_the_loop_over_positions(dy_dA):
    N, K, h, w = dy_dA.shape
    expected = np.zeros((N, K))
    for n in range(N):
        for k in range(K):
            total = 0.0
            for i in range(h):
                for j in range(w):
                    total += dy_dA[n, k, i, j]
            expected[n, k] = total / (h * w)
    np.testing.assert_allclose(gap_weights(dy_dA), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    assert gap_weights(np.ones((1, 2, 3, 3), dtype=dtype)).dtype == dtype


@pytest.mark.parametrize(
    "dy_dA, error",
    [
        (np.ones((2, 3, 4)), ValueError),  # a (N, K, h) array: missing an axis
        (np.ones((1, 2, 0, 3)), ValueError),  # empty map: Z = 0
        (np.full((1, 1, 2, 2), np.nan), ValueError),
        (np.ones((1, 1, 2, 2), dtype=np.int64), TypeError),
        ("gradients", TypeError),
    ],
)
def test_bad_input_names_dy_dA(dy_dA, error):
    with pytest.raises(error, match="dy_dA"):
        gap_weights(dy_dA)
