"""Tests for numpy_gradcam.cam.upsampling: heatmap = W_y @ L @ W_x.T."""

import numpy as np
import pytest
import scipy.ndimage
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from numpy_gradcam.cam.upsampling import interpolation_matrix, upsample

MODES = [("bilinear", False), ("bilinear", True), ("nearest", False),
         ("bicubic", False), ("bicubic", True)]

# The 2 x 2 map of the hand-worked examples. Bilinear interpolation of a map that is linear in
# its coordinates gives that linear function back, here L(y, x) = 6 y + 3 x at the source point.
L2 = np.array([[[0.0, 3.0],
                [6.0, 9.0]]])  # (1, 2, 2)


def test_bilinear_2x2_to_4x4_half_pixel_centres_by_hand():
    # align_corners=False, n_in = 2, n_out = 4, scale = 2/4 = 0.5:
    # src = 0.5 * (o + 0.5) - 0.5 = [-0.25, 0.25, 0.75, 1.25] for o = 0..3;
    # -0.25 is clamped to 0 and 1.25 has no right neighbour (index 1 repeated), so the
    # samples are at [0, 0.25, 0.75, 1] along both axes.
    # x: [0, 3] -> [0, 0.75, 2.25, 3] and [6, 9] -> [6, 6.75, 8.25, 9];
    # y: row 1 = 0.75 * [0, 0.75, 2.25, 3] + 0.25 * [6, 6.75, 8.25, 9] = [1.5, 2.25, 3.75, 4.5],
    #    row 2 = 0.25 * [0, 0.75, 2.25, 3] + 0.75 * [6, 6.75, 8.25, 9] = [4.5, 5.25, 6.75, 7.5].
    expected = np.array([[[0.0, 0.75, 2.25, 3.0],
                          [1.5, 2.25, 3.75, 4.5],
                          [4.5, 5.25, 6.75, 7.5],
                          [6.0, 6.75, 8.25, 9.0]]])
    np.testing.assert_allclose(upsample(L2, (4, 4)), expected, rtol=0, atol=1e-14)


def test_bilinear_2x2_to_4x4_corners_aligned_by_hand():
    # align_corners=True: src = o * (2 - 1) / (4 - 1) = [0, 1/3, 2/3, 1].
    # x: [0, 3] -> [0, 1, 2, 3] and [6, 9] -> [6, 7, 8, 9];
    # y: row 1 = 2/3 * [0, 1, 2, 3] + 1/3 * [6, 7, 8, 9] = [2, 3, 4, 5],
    #    row 2 = 1/3 * [0, 1, 2, 3] + 2/3 * [6, 7, 8, 9] = [4, 5, 6, 7].
    expected = np.array([[[0.0, 1.0, 2.0, 3.0],
                          [2.0, 3.0, 4.0, 5.0],
                          [4.0, 5.0, 6.0, 7.0],
                          [6.0, 7.0, 8.0, 9.0]]])
    np.testing.assert_allclose(upsample(L2, (4, 4), align_corners=True), expected,
                               rtol=0, atol=1e-14)


def test_nearest_by_hand():
    # 2 -> 4: floor(o * 2/4) = [0, 0, 1, 1];  2 -> 3 (width): floor(o * 2/3) = [0, 0, 1].
    expected = np.array([[[0.0, 0.0, 3.0],
                          [0.0, 0.0, 3.0],
                          [6.0, 6.0, 9.0],
                          [6.0, 6.0, 9.0]]])
    np.testing.assert_array_equal(upsample(L2, (4, 3), mode="nearest"), expected)
    # Downsampling 3 -> 2: floor(o * 3/2) = [0, 1]: the last row is dropped, not averaged.
    np.testing.assert_array_equal(interpolation_matrix(3, 2, "nearest"),
                                  np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))


def test_nearest_index_is_computed_in_float32_like_torch():
    # o = 41, n_in = 2, n_out = 82: exactly 41 * 2/82 = 1, but float32(2/82) = 0.024390243...
    # is below 1/41 and 41 * it rounds to 0.99999994 in float32, so torch picks index 0.
    row = interpolation_matrix(2, 82, "nearest")[41]
    np.testing.assert_array_equal(row, np.array([1.0, 0.0]))


def test_bicubic_matrix_by_hand():
    # Keys' kernel, a = -0.75: W(x) = 1.25|x|^3 - 2.25|x|^2 + 1 for |x| <= 1,
    # W(x) = -0.75|x|^3 + 3.75|x|^2 - 6|x| + 3 for 1 < |x| < 2. At t = 0.5 the four
    # neighbours are at distances 1.5, 0.5, 0.5, 1.5: W(0.5) = 0.59375, W(1.5) = -0.09375.
    # n_in = 4 -> n_out = 2, align_corners=False: src = 2 * (o + 0.5) - 0.5 = [0.5, 2.5].
    # o = 0: neighbours -1, 0, 1, 2 -> -1 clamps to 0: [-0.09375 + 0.59375, 0.59375, -0.09375, 0]
    # o = 1: neighbours 1, 2, 3, 4 -> 4 clamps to 3: [0, -0.09375, 0.59375, 0.59375 - 0.09375]
    expected = np.array([[0.5, 0.59375, -0.09375, 0.0],
                         [0.0, -0.09375, 0.59375, 0.5]])
    np.testing.assert_array_equal(interpolation_matrix(4, 2, "bicubic"), expected)


def test_single_output_pixel_like_torch():
    # align_corners=True with n_out = 1 samples index 0; half-pixel centres sample the middle:
    # src = 5 * (0 + 0.5) - 0.5 = 2.
    np.testing.assert_array_equal(interpolation_matrix(5, 1, "bilinear", align_corners=True),
                                  np.array([[1.0, 0.0, 0.0, 0.0, 0.0]]))
    np.testing.assert_array_equal(interpolation_matrix(5, 1, "bilinear"),
                                  np.array([[0.0, 0.0, 1.0, 0.0, 0.0]]))


def test_single_input_pixel_gives_a_constant():
    L = np.array([[[2.5]]])  # (1, 1, 1)
    for mode, align_corners in MODES:
        out = upsample(L, (3, 4), mode, align_corners)
        np.testing.assert_allclose(out, np.full((1, 3, 4), 2.5), rtol=1e-15)


sizes = st.tuples(st.integers(1, 9), st.integers(1, 9))
out_sizes = st.tuples(st.integers(1, 24), st.integers(1, 24))


@given(sizes, out_sizes, st.floats(-100, 100), st.sampled_from(MODES))
def test_constant_stays_constant(size_in, size_out, c, mode_ac):
    mode, align_corners = mode_ac
    L = np.full((2, *size_in), c)
    out = upsample(L, size_out, mode, align_corners)
    np.testing.assert_allclose(out, np.full((2, *size_out), c), rtol=1e-13, atol=1e-13)


@given(sizes.flatmap(lambda s: arrays(np.float64, (2, *s), elements=st.floats(-100, 100))),
       out_sizes,
       st.sampled_from([m for m in MODES if m[0] != "bicubic"]))
def test_bilinear_and_nearest_stay_within_the_input_range(L, size_out, mode_ac):
    out = upsample(L, size_out, *mode_ac)
    for n in range(L.shape[0]):
        assert out[n].min() >= L[n].min() - 1e-12
        assert out[n].max() <= L[n].max() + 1e-12


def test_rows_of_interpolation_matrices_sum_to_one():
    for n_in in (1, 2, 3, 7):
        for n_out in (1, 2, 5, 16):
            for mode, align_corners in MODES:
                M = interpolation_matrix(n_in, n_out, mode, align_corners)
                assert M.shape == (n_out, n_in)
                np.testing.assert_allclose(M.sum(axis=1), np.ones(n_out), rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_and_leading_axes_are_kept(dtype):
    L = np.ones((2, 3, 3), dtype=dtype)
    assert upsample(L, (5, 7)).dtype == dtype
    assert upsample(L, (5, 7)).shape == (2, 5, 7)
    assert upsample(L[0], (5, 7)).shape == (5, 7)


# --- oracles -------------------------------------------------------------------------------

# The torch fixture only imports torch: nothing in it needs resetting between examples.
fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture,
                                             HealthCheck.too_slow])


@fixture_ok
@given(sizes.flatmap(lambda s: arrays(np.float64, (2, *s), elements=st.floats(-100, 100))),
       out_sizes, st.sampled_from(MODES))
def test_equals_torch_interpolate(torch, L, size_out, mode_ac):
    mode, align_corners = mode_ac
    expected = torch.nn.functional.interpolate(
        torch.from_numpy(L)[:, None], size=size_out, mode=mode,
        align_corners=None if mode == "nearest" else align_corners,
    )[:, 0].numpy()  # (N, 1, h, w) -> (N, H, W)
    np.testing.assert_allclose(upsample(L, size_out, mode, align_corners), expected,
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nearest_float32_rounding_equals_torch(torch, dtype):
    L = np.arange(6, dtype=dtype).reshape(1, 2, 3)
    expected = torch.nn.functional.interpolate(torch.from_numpy(L)[None], size=(82, 7),
                                               mode="nearest")[0].numpy()
    np.testing.assert_array_equal(upsample(L, (82, 7), mode="nearest"), expected)


@given(st.tuples(st.integers(2, 8), st.integers(2, 8)),
       st.tuples(st.integers(2, 20), st.integers(2, 20)), st.data())
def test_corner_aligned_bilinear_equals_scipy_zoom(size_in, size_out, data):
    (h, w), (H, W) = size_in, size_out
    zoom = (1, H / h, W / w)
    assume(round(h * zoom[1]) == H and round(w * zoom[2]) == W)  # zoom rounds its output size
    L = data.draw(arrays(np.float64, (2, h, w), elements=st.floats(-100, 100)))
    expected = scipy.ndimage.zoom(L, zoom, order=1, grid_mode=False)
    assert expected.shape == (2, H, W)
    np.testing.assert_allclose(upsample(L, (H, W), align_corners=True), expected,
                               rtol=0, atol=1e-12)


# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"L": np.ones(4)}, ValueError, "L"),
        ({"L": np.ones((1, 1, 1, 2, 2))}, ValueError, "L"),
        ({"L": np.array([[[np.nan, 1.0]]])}, ValueError, "L"),
        ({"L": np.ones((1, 0, 2))}, ValueError, "L"),
        ({"size": (0, 4)}, ValueError, "size"),
        ({"size": (4,)}, ValueError, "size"),
        ({"size": (4, 4, 4)}, ValueError, "size"),
        ({"size": "64"}, TypeError, "size"),
        ({"size": 64}, TypeError, "size"),
        ({"size": (4.0, 4)}, TypeError, "size"),
        ({"size": (True, 4)}, TypeError, "size"),
        ({"mode": "trilinear"}, ValueError, "mode"),
        ({"mode": "nearest", "align_corners": True}, ValueError, "align_corners"),
        ({"align_corners": "yes"}, TypeError, "align_corners"),
    ],
)
def test_bad_input(kwargs, error, match):
    arguments = {"L": np.ones((1, 2, 2)), "size": (4, 4)} | kwargs
    with pytest.raises(error, match=match):
        upsample(**arguments)


def test_bad_interpolation_matrix_lengths():
    with pytest.raises(ValueError, match="n_out"):
        interpolation_matrix(3, 0)
    with pytest.raises(TypeError, match="n_in"):
        interpolation_matrix(2.5, 3)
