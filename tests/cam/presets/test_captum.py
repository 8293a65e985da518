"""The ``captum`` preset (:mod:`numpy_gradcam.cam.presets.captum`).

Without the library: hand-worked cases of each convention (the cumulative-sum threshold, the
signs, the gray background, the compositing formula) and the preset's errors. With Captum
installed (``require_library``): ``LayerGradCam``, ``LayerAttribution.interpolate`` and
``visualize_image_attr`` on the shipped models, stage by stage — ``norm_attr`` and the colours of
both layers as Captum's figure holds them, and the figure itself rendered at the image's size.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numpy_gradcam as ng
from numpy_gradcam.cam.presets import PRESETS
from numpy_gradcam.cam.presets.captum import (
    SIGNS,
    blended_heat_map,
    cumulative_sum_threshold,
    gray_background,
    interpolate,
    normalize_attr,
)
from tests.conftest import require_library

PRESET = "captum"
TOL = 1e-5


# --- the conventions, by hand ---------------------------------------------------------------

def test_cumulative_sum_threshold_is_where_the_running_sum_reaches_the_percentile():
    # sorted 1, 2, 3, 4; running sums 1, 3, 6, 10: 50 % of 10 is first reached at 3, 98 % at 4
    values = np.array([[4.0, 1.0], [3.0, 2.0]], dtype=np.float32)
    assert cumulative_sum_threshold(values, 50.0) == 3
    assert cumulative_sum_threshold(values, 98.0) == 4


def test_the_top_two_percent_of_the_mass_saturates():
    # 99 ones and one 1.5: 98 % of 100.5 is reached at the 99th one, so the threshold is 1,
    # not the maximum, and 1.5 is clipped to 1
    attr = np.ones((1, 10, 10), dtype=np.float32)
    attr[0, 3, 7] = 1.5
    np.testing.assert_array_equal(normalize_attr(attr), np.ones((1, 10, 10)))


def test_signs():
    attr = np.array([[[-4.0, 2.0], [0.0, 1.0]]], dtype=np.float32)
    # positive: max(attr, 0) = 0, 2, 0, 1; running sums 0, 0, 1, 3 reach 98 % of 3 at 2
    np.testing.assert_array_equal(normalize_attr(attr, "positive"), [[[0, 1], [0, 0.5]]])
    # negative: min(attr, 0) / −4 (the threshold takes the sign)
    np.testing.assert_array_equal(normalize_attr(attr, "negative"), [[[1, 0], [0, 0]]])
    # all and absolute value: |attr| sorted 0, 1, 2, 4 (sums 0, 1, 3, 7): threshold 4
    np.testing.assert_array_equal(normalize_attr(attr, "all"), [[[-1, 0.5], [0, 0.25]]])
    np.testing.assert_array_equal(normalize_attr(attr, "absolute_value"), [[[1, 0.5], [0, 0.25]]])
    with pytest.raises(ValueError, match="sign"):
        normalize_attr(attr, "both")


def test_a_map_with_nothing_positive_gives_zeros_where_captum_raises():
    attr = np.array([[[-1.0, -2.0]], [[1.0, 2.0]]], dtype=np.float32)
    np.testing.assert_array_equal(normalize_attr(attr), [[[0, 0]], [[0.5, 1]]])


def test_interpolate_is_legacy_nearest():
    L = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    out = interpolate(L, (3, 4))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4]]])


def test_the_background_is_the_channel_mean_scaled_to_its_own_range():
    # 0.2, 0.6, 1.0 -> 51, 153, 255 (img * 255 truncated); scaled to 0, 0.5, 1 -> gray entries
    # 0, 128, 255 of 256
    image = np.array([0.2, 0.6, 1.0])[None, None, None, :].repeat(3, axis=1)   # (1, 3, 1, 3)
    gray = gray_background(image)[0, :, 0, :]                                # (3, 3)
    np.testing.assert_allclose(gray, np.array([[0.0, 128 / 255, 1.0]] * 3), atol=1e-15)
    np.testing.assert_array_equal(gray_background(np.full((1, 3, 2, 2), 0.7)), 0)  # black


def test_blended_heat_map_is_half_heat_map_half_gray():
    # Greens(0) = #f7fcf5 over gray 0 (black), Greens(1) = #00441b over gray 1 (white)
    image = np.array([0.0, 1.0])[None, None, None, :].repeat(3, axis=1)      # (1, 3, 1, 2)
    colored, overlay = blended_heat_map(image, np.array([[[0.0, 1.0]]], dtype=np.float32))
    np.testing.assert_allclose(colored[0, :, 0].T * 255, [[247, 252, 245], [0, 68, 27]],
                               atol=1e-12)
    expected = 0.5 * np.array([[247, 252, 245], [0, 68, 27]]) / 255 + 0.5 * np.array([[0], [1]])
    np.testing.assert_allclose(overlay[0, :, 0].T, expected, atol=1e-12)


def test_the_preset_fixes_its_conventions_and_covers_gradcam_only(model, images):
    x, targets = images
    for option, value in [("relu", False), ("cmap", "Greens"), ("alpha", 0.5),
                          ("upsample", "nearest"), ("normalize", False)]:
        with pytest.raises(ValueError, match=f"fixes {option}"):
            ng.explain(model, x, targets, preset=PRESET, **{option: value})
    for method in ("gradcam++", "layercam", "guided-gradcam", "occlusion"):
        with pytest.raises(ValueError, match="covers the methods gradcam; got"):
            ng.explain(model, x, targets, method=method, preset=PRESET)


def test_the_preset_keeps_the_sign_and_has_no_feature_map_normalisation(model, images):
    x, targets = images
    e = ng.explain(model, x, targets, preset=PRESET)
    assert not PRESETS[PRESET].relu and (e.cam < 0).any()
    assert e.cam_normalized is None
    assert e.heatmap.dtype == np.float32 and e.heatmap.min() == 0 and e.heatmap.max() == 1
    assert e.colored.shape == e.overlay.shape == (3, 3, 64, 64)


# --- against Captum ---------------------------------------------------------------------------

@given(seed=st.integers(0, 2**32 - 1), sign=st.sampled_from(SIGNS),
       outlier_perc=st.sampled_from([0, 2, 10]))
def test_normalize_attr_equals_captums(seed, sign, outlier_perc):
    require_library("captum")
    from captum.attr._utils.visualization import _normalize_attr

    attr = np.random.default_rng(seed).normal(size=(1, 9, 11)).astype(np.float32)
    theirs = _normalize_attr(attr[0], sign, outlier_perc)
    np.testing.assert_array_equal(normalize_attr(attr, sign, outlier_perc)[0], theirs)


def _captum_figure(x, upsampled):
    """``visualize_image_attr(..., "blended_heat_map", sign="positive")`` of one image
    ``(3, H, W)`` and map ``(H, W)``, drawn on axes of exactly ``H × W`` pixels."""
    from captum.attr import visualization as viz
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    H, W = upsampled.shape
    figure = Figure(figsize=(W / 100, H / 100), dpi=100)
    FigureCanvasAgg(figure)
    axis = figure.add_axes((0, 0, 1, 1))
    viz.visualize_image_attr(upsampled[..., None], np.moveaxis(x, 0, -1).astype(np.float32),
                             method="blended_heat_map", sign="positive",
                             plt_fig_axis=(figure, axis), use_pyplot=False)
    return figure, axis


@pytest.mark.parametrize("name", ["tinycnn-gap", "tinycnn-fc"])
def test_stage_by_stage(name, images):
    torch = require_library("torch")
    require_library("captum")
    from captum.attr import LayerAttribution, LayerGradCam

    from numpy_gradcam.oracle import to_torch

    model = ng.load_model(name)
    x, targets = images
    torch_model = to_torch(model).float().eval()
    attr = LayerGradCam(torch_model, getattr(torch_model, model.target_layer)).attribute(
        torch.tensor(x, dtype=torch.float32), target=targets)           # (N, 1, h, w)
    upsampled = LayerAttribution.interpolate(attr, x.shape[2:])        # (N, 1, H, W)
    attr, upsampled = attr[:, 0].detach().numpy(), upsampled[:, 0].detach().numpy()
    e = ng.explain(model, x, targets, preset=PRESET)
    assert np.abs(e.cam - attr).max() / np.abs(attr).max() <= TOL, "cam (signed)"
    np.testing.assert_array_equal(interpolate(attr, x.shape[2:]), upsampled)
    ours = normalize_attr(upsampled)
    for n in range(len(x)):
        figure, axis = _captum_figure(x[n], upsampled[n])
        gray_image, heat_image = axis.images
        norm_attr = np.asarray(heat_image.get_array())
        np.testing.assert_array_equal(ours[n], norm_attr)
        assert np.abs(e.heatmap[n] - norm_attr).max() <= TOL, "heatmap end to end"
        colored, overlay = blended_heat_map(x[n:n + 1], norm_attr[None])
        np.testing.assert_array_equal(np.moveaxis(colored[0], 0, -1),
                                      heat_image.to_rgba(heat_image.get_array())[..., :3])
        np.testing.assert_array_equal(np.moveaxis(gray_background(x[n:n + 1])[0], 0, -1),
                                      gray_image.to_rgba(gray_image.get_array())[..., :3])
        # the figure itself: Agg composites the two layers in 8 bits, hence a few levels of 255
        axis.axis("off")
        figure.canvas.draw()
        drawn = np.asarray(figure.canvas.buffer_rgba())[..., :3] / 255
        assert np.abs(np.moveaxis(overlay[0], 0, -1) - drawn).max() <= 3 / 255, "overlay"
        assert np.abs(e.overlay[n] - overlay[0]).max() <= TOL, "overlay end to end"
