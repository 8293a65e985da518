"""Tests for numpy_gradcam.cam.colormaps: heatmap (N, H, W) in [0, 1] -> RGB (N, 3, H, W)."""

import matplotlib
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from numpy_gradcam.cam.colormaps import colormap


def test_gray_quantises_to_its_256_entry_table_by_hand():
    # gray's table holds entry i = i / 255 (i = 0..255); value v takes entry min(floor(256 v), 255):
    # 0 -> 0; 0.003 -> floor(0.768) = 0; 0.25 -> 64; 0.5 -> 128; 0.999 -> floor(255.744) = 255;
    # 1 -> 256, clamped to 255.
    heatmap = np.array([[[0.0, 0.003, 0.25, 0.5, 0.999, 1.0]]])  # (1, 1, 6)
    grey = np.array([0.0, 0.0, 64 / 255, 128 / 255, 1.0, 1.0])
    expected = np.stack([grey, grey, grey])[None, :, None, :]  # (1, 3, 1, 6)
    np.testing.assert_allclose(colormap(heatmap, "gray"), expected, rtol=0, atol=1e-15)


def test_jet_ends_are_dark_blue_and_dark_red():
    # matplotlib's jet: blue 0.5 at 0 (red, green 0); red 0.5 at 1 (green, blue 0).
    colored = colormap(np.array([[[0.0, 1.0]]]))  # jet is the default
    np.testing.assert_array_equal(colored[0, :, 0, 0], np.array([0.0, 0.0, 0.5]))
    np.testing.assert_array_equal(colored[0, :, 0, 1], np.array([0.5, 0.0, 0.0]))


def test_channels_come_before_the_spatial_axes():
    heatmap = np.array([[[0.0, 1.0], [1.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]]])  # (2, 2, 2)
    colored = colormap(heatmap, "jet")
    assert colored.shape == (2, 3, 2, 2)
    np.testing.assert_array_equal(colored[0, :, 0, 1], np.array([0.5, 0.0, 0.0]))
    np.testing.assert_array_equal(colored[1, :, 1, 0], np.array([0.0, 0.0, 0.5]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_and_single_map(dtype):
    colored = colormap(np.zeros((4, 5), dtype=dtype))
    assert colored.shape == (3, 4, 5)
    assert colored.dtype == dtype
    assert colored.flags.c_contiguous


heatmaps = arrays(np.float64, st.tuples(st.integers(1, 2), st.integers(1, 6), st.integers(1, 6)),
                  elements=st.floats(0, 1))


@pytest.mark.parametrize("name", ["jet", "hot", "viridis", "turbo", "tab10"])
@given(heatmap=heatmaps)
def test_equals_matplotlib(name, heatmap):
    expected = matplotlib.colormaps[name](heatmap)[..., :3]  # (N, H, W, 3)
    np.testing.assert_array_equal(colormap(heatmap, name), np.moveaxis(expected, -1, 1))


@pytest.mark.parametrize("name", ["jet", "viridis", "tab10"])
@given(heatmap=heatmaps)
def test_is_the_documented_table_lookup(name, heatmap):
    # Entry min(floor(v * N), N - 1) of the N-entry table (an int indexes matplotlib's table).
    cmap = matplotlib.colormaps[name]
    index = np.minimum(np.floor(heatmap * cmap.N), cmap.N - 1).astype(int)
    expected = cmap(index)[..., :3]
    np.testing.assert_array_equal(colormap(heatmap, name), np.moveaxis(expected, -1, 1))


def test_float32_values_equal_matplotlib_on_float32():
    heatmap = np.linspace(0, 1, 101, dtype=np.float32).reshape(1, 1, 101)
    expected = matplotlib.colormaps["jet"](heatmap)[..., :3].astype(np.float32)
    np.testing.assert_array_equal(colormap(heatmap), np.moveaxis(expected, -1, 1))


def test_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match=r"cmap.*'jte'.*'jet'.*viridis"):
        colormap(np.zeros((1, 2, 2)), "jte")


@pytest.mark.parametrize(
    "heatmap, cmap, error, match",
    [
        (np.zeros((1, 2, 2)), 3, TypeError, "cmap"),
        (np.full((1, 2, 2), 1.5), "jet", ValueError, "heatmap"),
        (np.full((1, 2, 2), -0.1), "jet", ValueError, "heatmap"),
        (np.array([[[np.nan, 0.5]]]), "jet", ValueError, "heatmap"),
        (np.zeros(4), "jet", ValueError, "heatmap"),
        (np.zeros((1, 1, 2, 2)), "jet", ValueError, "heatmap"),
        (np.zeros((1, 2, 2), dtype=np.uint8), "jet", TypeError, "heatmap"),
    ],
)
def test_bad_input(heatmap, cmap, error, match):
    with pytest.raises(error, match=match):
        colormap(heatmap, cmap)
