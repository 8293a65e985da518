"""Pillow's ``Image.resize`` and ``Image.blend`` in NumPy (:mod:`numpy_gradcam.cam.presets.pillow`).

Hand-worked cases of each convention (kernel, truncated window, fixed point, pass order,
truncating blend), then the real Pillow — a runtime dependency, so these always run: mode ``"F"``
within 1e-6, uint8 (``"L"`` and ``"RGB"``) and ``Image.blend`` exactly, over random images and
sizes, up and down.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from numpy_gradcam.cam.presets.pillow import (
    bicubic_kernel,
    blend,
    filter_weights,
    fixed_point,
    resize_float,
    resize_uint8,
    vertical_first,
)

RESAMPLE = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR}


# --- the conventions, by hand ---------------------------------------------------------------

def test_bicubic_kernel_has_a_minus_one_half():
    # a = -0.5: f(0.5) = 0.5625, f(1.5) = -0.0625 (PyTorch's a = -0.75 gives 0.59375, -0.09375)
    assert [bicubic_kernel(x) for x in (0.0, 0.5, 1.0, 1.5, 2.0, -1.5)] == \
        [1.0, 0.5625, 0.0, -0.0625, 0.0, -0.0625]


def test_upscaling_truncates_the_window_at_the_edges_and_renormalises():
    # 2 -> 4: centres 0.25, 0.75, 1.25, 1.75; the first output reads only pixels 0 and 1, with
    # f(0.25) = 111/128 and f(1.25) = -9/128, renormalised by their sum 102/128
    expected = np.array([[111, -9], [111, 29], [29, 111], [-9, 111]]) / \
        np.array([[102], [140], [140], [102]])
    np.testing.assert_allclose(filter_weights(2, 4, "bicubic"), expected, rtol=1e-15)


def test_downscaling_widens_the_filter():
    # 4 -> 2 bilinear: the triangle is stretched by the scale 2 (antialiasing), so each output
    # reads three pixels with weights 0.75, 0.75, 0.25, renormalised
    expected = np.array([[3, 3, 1, 0], [0, 1, 3, 3]]) / 7
    np.testing.assert_allclose(filter_weights(4, 2, "bilinear"), expected, rtol=1e-15)


def test_fixed_point_rounds_half_away_from_zero():
    weights = np.array([0.25, -0.25, 1.5 / 2**22, -1.5 / 2**22, 0.4 / 2**22])
    assert fixed_point(weights).tolist() == [2**20, -2**20, 2, -2, 0]


def test_uint8_resize_clips_the_overshoot_and_rounds():
    # the weights above times 255: -22.5 -> 0, 52.82 -> 53, 202.18 -> 202, 277.5 -> 255
    u8 = np.array([[0, 255]], dtype=np.uint8)
    assert resize_uint8(u8, (1, 4)).tolist() == [[0, 53, 202, 255]]
    np.testing.assert_allclose(resize_float(np.array([[0.0, 1.0]]), (1, 4))[0],
                               [-3 / 34, 29 / 140, 111 / 140, 37 / 34], rtol=1e-7)


def test_an_unchanged_size_is_a_copy():
    u8 = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(resize_uint8(u8, (3, 4)), u8)
    maps = np.random.default_rng(0).random((2, 3, 4)).astype(np.float32)
    np.testing.assert_array_equal(resize_float(maps, (3, 4)), maps)


def test_the_vertical_pass_runs_first_when_the_height_shrinks_most():
    assert vertical_first(40, 10, 5, 12)            # height shrinks, width grows
    assert not vertical_first(40, 30, 30, 20)       # 10 rows lost, 10 columns: not twice as many
    assert vertical_first(40, 30, 19, 20)           # 21 rows lost > 2 * 10 columns
    assert not vertical_first(10, 40, 20, 5)        # the height grows


def test_blend_truncates_and_weights_the_second_image():
    zero, full = np.zeros((1, 1), np.uint8), np.full((1, 1), 255, np.uint8)
    assert blend(zero, full, 0.5).tolist() == [[127]]           # 127.5, truncated
    assert blend(full, zero, 0.5).tolist() == [[127]]
    assert blend(zero, np.full((1, 1), 200, np.uint8), 0.25).tolist() == [[50]]
    with pytest.raises(ValueError, match="alpha"):
        blend(zero, full, 1.5)
    with pytest.raises(TypeError, match="uint8"):
        blend(zero.astype(float), full, 0.5)


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="resample"):
        resize_float(np.zeros((2, 2)), (3, 3), "lanczos")
    with pytest.raises(TypeError, match="uint8"):
        resize_uint8(np.zeros((2, 2)), (3, 3))
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        resize_uint8(np.zeros((2, 2), np.uint8), (0, 3))


# --- against Pillow -------------------------------------------------------------------------

sizes = st.tuples(st.integers(1, 24), st.integers(1, 24), st.integers(1, 70), st.integers(1, 70))


@given(sizes=sizes, resample=st.sampled_from(sorted(RESAMPLE)), seed=st.integers(0, 2**32 - 1))
def test_resize_float_equals_pillow_mode_f(sizes, resample, seed):
    h, w, H, W = sizes
    maps = np.random.default_rng(seed).random((2, h, w)).astype(np.float32)
    ours = resize_float(maps, (H, W), resample)
    for m, mine in zip(maps, ours, strict=True):
        theirs = np.asarray(Image.fromarray(m, mode="F").resize((W, H), RESAMPLE[resample]))
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-6)


@given(sizes=sizes, resample=st.sampled_from(sorted(RESAMPLE)), seed=st.integers(0, 2**32 - 1))
def test_resize_uint8_equals_pillow_exactly(sizes, resample, seed):
    h, w, H, W = sizes
    rgb = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    theirs = np.asarray(Image.fromarray(rgb, mode="RGB").resize((W, H), RESAMPLE[resample]))
    ours = resize_uint8(np.moveaxis(rgb, -1, 0), (H, W), resample)           # (3, H, W)
    np.testing.assert_array_equal(np.moveaxis(ours, 0, -1), theirs)
    gray = rgb[..., 0]
    theirs = np.asarray(Image.fromarray(gray, mode="L").resize((W, H), RESAMPLE[resample]))
    np.testing.assert_array_equal(resize_uint8(gray, (H, W), resample), theirs)


@pytest.mark.parametrize("h, w, H, W", [(40, 10, 5, 12), (48, 27, 8, 23), (12, 59, 6, 53),
                                        (9, 22, 3, 48), (64, 64, 8, 8), (8, 8, 64, 64)])
def test_resize_uint8_follows_pillows_pass_order(h, w, H, W):
    # the order changes how the uint8 intermediate rounds: these sizes tell the two apart
    rgb = np.random.default_rng(h * w).integers(0, 256, (h, w, 3), dtype=np.uint8)
    theirs = np.asarray(Image.fromarray(rgb).resize((W, H), Image.Resampling.BICUBIC))
    np.testing.assert_array_equal(np.moveaxis(resize_uint8(np.moveaxis(rgb, -1, 0), (H, W)),
                                              0, -1), theirs)


@given(alpha=st.one_of(st.sampled_from([0.0, 0.3, 0.5, 0.7, 1.0]), st.floats(0, 1)),
       seed=st.integers(0, 2**32 - 1))
def test_blend_equals_pillow_exactly(alpha, seed):
    rng = np.random.default_rng(seed)
    im1, im2 = rng.integers(0, 256, (2, 9, 7, 3), dtype=np.uint8)
    theirs = Image.blend(Image.fromarray(im1), Image.fromarray(im2), alpha)
    np.testing.assert_array_equal(blend(im1, im2, alpha), np.asarray(theirs))
