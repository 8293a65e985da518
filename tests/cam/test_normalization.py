"""Tests for numpy_gradcam.cam.normalization: (L - min L) / (max L - min L), per map."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from numpy_gradcam.cam.normalization import normalize


def test_hand_computed_case():
    L = np.array([
        [[1.0, 3.0], [5.0, 9.0]],  # min 1, max 9, range 8
        [[0.0, 0.0], [0.0, 0.0]],  # all zeros: no evidence, stays zeros
        [[-2.0, 0.0], [2.0, -1.0]],  # min -2, max 2, range 4
    ])
    expected = np.array([
        [[0.0, 0.25], [0.5, 1.0]],
        [[0.0, 0.0], [0.0, 0.0]],
        [[0.0, 0.5], [1.0, 0.25]],
    ])
    np.testing.assert_array_equal(normalize(L), expected)


def test_constant_map_gives_zeros_not_nan():
    out = normalize(np.full((2, 3, 3), 7.5))
    np.testing.assert_array_equal(out, np.zeros((2, 3, 3)))


def test_range_at_most_eps_gives_zeros():
    L = np.array([[[0.0, 1e-9]]])  # range 1e-9 <= eps = 1e-8
    np.testing.assert_array_equal(normalize(L), np.zeros((1, 1, 2)))
    np.testing.assert_array_equal(normalize(L, eps=0), np.array([[[0.0, 1.0]]]))


def test_eps_in_denominator_hand_computed():
    # pytorch-grad-cam's form: (L - min) / (max - min + eps); with eps = 1 and range 3:
    # [0, 1, 3] - 0 = [0, 1, 3], divided by 3 + 1 = 4.
    L = np.array([[[0.0, 1.0, 3.0]]])
    np.testing.assert_array_equal(normalize(L, eps=1.0, eps_in_denominator=True),
                                  np.array([[[0.0, 0.25, 0.75]]]))
    np.testing.assert_array_equal(normalize(np.zeros((1, 2, 2)), eps_in_denominator=True),
                                  np.zeros((1, 2, 2)))


def test_each_map_is_normalised_on_its_own():
    L = np.array([[[0.0, 1.0]], [[0.0, 100.0]]])  # (2, 1, 2)
    np.testing.assert_array_equal(normalize(L), np.array([[[0.0, 1.0]], [[0.0, 1.0]]]))


maps = arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 5), st.integers(1, 5)),
              elements=st.floats(-1e3, 1e3))


@given(maps, st.booleans())
def test_output_is_in_unit_interval(L, eps_in_denominator):
    out = normalize(L, eps_in_denominator=eps_in_denominator)
    assert out.shape == L.shape
    assert np.isfinite(out).all()
    assert (out >= 0).all() and (out <= 1).all()


@given(maps)
def test_max_goes_to_one_and_min_to_zero(L):
    ranges = L.max(axis=(1, 2)) - L.min(axis=(1, 2))
    assume((ranges > 1e-3).all())
    out = normalize(L)
    np.testing.assert_array_equal(out.max(axis=(1, 2)), np.ones(L.shape[0]))
    np.testing.assert_array_equal(out.min(axis=(1, 2)), np.zeros(L.shape[0]))
    # ... and the extremes stay where they were.
    for n in range(L.shape[0]):
        assert out[n][L[n] == L[n].max()].min() == 1.0
        assert out[n][L[n] == L[n].min()].max() == 0.0


@given(maps, st.floats(1e-3, 1e3), st.floats(-1e3, 1e3))
def test_invariant_to_positive_scaling_and_shift(L, scale, shift):
    # With |L| <= 1e3 and a range >= 1, rounding in scale * L + shift moves a normalised
    # value by at most a few times 1e-16 * (1e3 + 1e3 / scale) <= ~1e-9.
    ranges = L.max(axis=(1, 2)) - L.min(axis=(1, 2))
    assume((ranges >= 1).all())
    np.testing.assert_allclose(normalize(scale * L + shift), normalize(L), atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    L = np.arange(6, dtype=dtype).reshape(1, 2, 3)
    for form in (False, True):
        assert normalize(L, eps_in_denominator=form).dtype == dtype


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"L": np.ones(4)}, ValueError, "L"),  # 1-d: not a map
        ({"L": np.ones((1, 1, 1, 2, 2))}, ValueError, "L"),
        ({"L": np.array([[[np.nan, 1.0]]])}, ValueError, "L"),
        ({"L": np.ones((1, 0, 3))}, ValueError, "L"),
        ({"L": np.ones((1, 2, 2), dtype=np.uint8)}, TypeError, "L"),
        ({"L": np.ones((1, 2, 2)), "eps": -1e-8}, ValueError, "eps"),
        ({"L": np.ones((1, 2, 2)), "eps": "small"}, TypeError, "eps"),
        ({"L": np.ones((1, 2, 2)), "eps_in_denominator": "yes"}, TypeError, "eps_in_denominator"),
    ],
)
def test_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        normalize(**kwargs)
