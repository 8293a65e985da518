"""Tests for numpy_gradcam.cam.blending: overlay = alpha * colored + (1 - alpha) * image."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from numpy_gradcam.cam.blending import blend


def test_hand_computed_case():
    image = np.array([0.2, 0.4, 1.0]).reshape(1, 3, 1, 1)
    colored = np.array([1.0, 0.0, 0.5]).reshape(1, 3, 1, 1)
    # alpha = 0.4: 0.4 * 1.0 + 0.6 * 0.2 = 0.52;  0.4 * 0 + 0.6 * 0.4 = 0.24;
    #              0.4 * 0.5 + 0.6 * 1.0 = 0.8.
    expected = np.array([0.52, 0.24, 0.8]).reshape(1, 3, 1, 1)
    np.testing.assert_allclose(blend(image, colored), expected, rtol=0, atol=1e-15)
    # alpha = 0.25: 0.25 + 0.15 = 0.4;  0 + 0.3 = 0.3;  0.125 + 0.75 = 0.875.
    np.testing.assert_allclose(blend(image, colored, alpha=0.25),
                               np.array([0.4, 0.3, 0.875]).reshape(1, 3, 1, 1), rtol=0, atol=1e-15)


@st.composite
def image_pairs(draw):
    shape = draw(st.sampled_from([(3,), (1, 3), (2, 3)])) + draw(
        st.tuples(st.integers(1, 4), st.integers(1, 4)))
    unit = st.floats(0, 1)
    return (draw(arrays(np.float64, shape, elements=unit)),
            draw(arrays(np.float64, shape, elements=unit)))


@given(image_pairs())
def test_alpha_zero_returns_the_image_and_one_the_colored_map(pair):
    image, colored = pair
    np.testing.assert_array_equal(blend(image, colored, alpha=0), image)
    np.testing.assert_array_equal(blend(image, colored, alpha=1), colored)


def test_a_subnormal_alpha_raises_no_floating_point_error():
    """A subnormal alpha is a valid fraction: its products underflow, harmlessly, even where the
    caller made NumPy raise on every floating-point error (found by tests/hostile/test_fuzz.py)."""
    image = np.zeros((1, 3, 2, 2))
    colored = np.full((1, 3, 2, 2), 0.3)                       # 0.3 * alpha is inexact
    with np.errstate(all="raise"):
        overlay = blend(image, colored, alpha=2.225073858507e-311)
    np.testing.assert_allclose(overlay, image, rtol=0, atol=1e-300)


@given(image_pairs(), st.floats(0, 1))
def test_overlay_lies_between_image_and_colored(pair, alpha):
    image, colored = pair
    overlay = blend(image, colored, alpha)
    assert overlay.shape == image.shape
    assert (overlay >= np.minimum(image, colored) - 1e-15).all()
    assert (overlay <= np.maximum(image, colored) + 1e-15).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    x = np.full((3, 2, 2), 0.5, dtype=dtype)
    assert blend(x, x).dtype == dtype


@pytest.mark.parametrize(
    "image, colored, alpha, error, match",
    [
        (np.zeros((1, 3, 2, 2)), np.zeros((1, 3, 2, 2)), -0.1, ValueError, "alpha"),
        (np.zeros((1, 3, 2, 2)), np.zeros((1, 3, 2, 2)), 1.5, ValueError, "alpha"),
        (np.zeros((1, 3, 2, 2)), np.zeros((1, 3, 2, 2)), "0.4", TypeError, "alpha"),
        (np.zeros((1, 3, 2, 2)), np.zeros((1, 3, 4, 4)), 0.4, ValueError, "colored"),
        (np.zeros((1, 3, 2, 2)), np.zeros((3, 2, 2)), 0.4, ValueError, "colored"),
        (np.zeros((1, 4, 2, 2)), np.zeros((1, 4, 2, 2)), 0.4, ValueError, "image"),
        (np.full((1, 3, 2, 2), 255.0), np.zeros((1, 3, 2, 2)), 0.4, ValueError, "image"),
        (np.zeros((1, 3, 2, 2)), np.full((1, 3, 2, 2), np.nan), 0.4, ValueError, "colored"),
        (np.zeros((2, 2)), np.zeros((2, 2)), 0.4, ValueError, "image"),
        (np.zeros((1, 3, 2, 2), dtype=np.uint8), np.zeros((1, 3, 2, 2)), 0.4, TypeError, "image"),
    ],
)
def test_bad_input(image, colored, alpha, error, match):
    with pytest.raises(error, match=match):
        blend(image, colored, alpha)
