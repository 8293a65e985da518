"""The ``tf-keras-vis`` preset.

Without TensorFlow: hand-worked cases of each convention (scipy and matplotlib are runtime
dependencies: the resize and the overlay are checked against them here) and the preset's
errors. With tf-keras-vis (``require_library``): ``Gradcam`` and ``Layercam`` on a Keras copy of
the shipped models, stage by stage, and the README's colouring.
"""

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import scipy.ndimage

import numpy_gradcam as ng
from numpy_gradcam.cam import upsampling
from numpy_gradcam.cam.presets import PRESETS
from numpy_gradcam.cam.presets.tf_keras_vis import expand_cam, jet_uint8, normalize, render
from tests.cam.presets.keras_mirror import to_keras, to_nhwc
from tests.conftest import require_library

PRESET = "tf-keras-vis"
TOL = 1e-5


# --- the conventions, by hand ---------------------------------------------------------------

def test_zoom_aligns_the_corners():
    # 2 → 4 with the first and last samples on the input's: 0, 1/3, 2/3, 1
    out = expand_cam(np.array([[[0.0, 1.0]]]), (1, 4))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0, 0], [0.0, 1 / 3, 2 / 3, 1.0], atol=1e-7)
    # half-pixel centres (the paper preset's default) would give 0, 0.25, 0.75, 1
    assert not np.allclose(out, upsampling.upsample(np.array([[[0.0, 1.0]]]), (1, 4)))


def test_zoom_is_our_corner_aligned_bilinear_upsampling():
    L = np.random.default_rng(0).random((2, 8, 8))
    np.testing.assert_allclose(expand_cam(L, (64, 50)),
                               upsampling.upsample(L, (64, 50), align_corners=True), atol=1e-6)


def test_normalize_puts_the_epsilon_1e_7_in_the_denominator_per_map():
    cam = np.array([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 5.0], [5.0, 5.0]]], dtype=np.float32)
    out = normalize(cam)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[0], np.array([[0.0, 1.0], [2.0, 3.0]]) / (3.0 + 1e-7),
                               rtol=1e-7)
    assert out[1].tolist() == [[0.0, 0.0], [0.0, 0.0]]               # constant: zeros, not NaN
    # the epsilon shows on a small range: 1e-6 / (1e-6 + 1e-7) = 1 / 1.1
    small = normalize(np.array([[[0.0, 1e-6]]], dtype=np.float32))
    np.testing.assert_allclose(small[0, 0], [0.0, 1 / 1.1], rtol=1e-6)


def test_the_readme_colouring_truncates_matplotlibs_jet():
    # jet(0) = (0, 0, 0.5) and jet(1) = (0.5, 0, 0): 127.5 truncated to 127
    out = jet_uint8(np.array([[[0.0, 1.0]]], dtype=np.float32))
    assert out.dtype == np.uint8 and out.tolist() == [[[[0, 0, 127], [127, 0, 0]]]]


def test_render_blends_half_and_half():
    image = np.full((1, 3, 1, 2), 0.2)
    out = render(np.zeros((1, 1, 1)), image, {})                     # an all-zero map
    assert out.cam_normalized is None and out.heatmap.tolist() == [[[0.0, 0.0]]]
    np.testing.assert_allclose(out.colored[0, :, 0, 0], [0.0, 0.0, 127 / 255])
    np.testing.assert_allclose(out.overlay[0, :, 0, 0], [0.1, 0.1, 0.1 + 127 / 510], rtol=1e-6)


def test_the_map_is_normalised_after_the_resize():
    # 0, 1, 0 → 4 samples at 0, 2/3, 4/3, 2 miss the peak: 0, 2/3, 2/3, 0, and only then is it
    # normalised to 0, 1, 1, 0 (normalised first, it would stay 0, 2/3, 2/3, 0)
    out = render(np.array([[[0.0, 1.0, 0.0]]]), np.zeros((1, 3, 1, 4)), {})
    np.testing.assert_allclose(out.heatmap[0, 0], [0.0, 1.0, 1.0, 0.0], atol=1e-6)


def test_the_overlay_is_what_matplotlib_draws_with_alpha_half(model, images):
    x, targets = images
    e = ng.explain(model, x[:1], targets[:1], preset=PRESET)
    img = np.moveaxis(np.uint8(np.rint(255 * x[0])), 0, -1)            # the README's uint8 image
    heatmap = np.uint8(matplotlib.cm.jet(e.heatmap[0])[..., :3] * 255)
    fig = plt.figure(figsize=(1, 1), dpi=64)                          # one pixel per image pixel
    try:
        ax = fig.add_axes((0, 0, 1, 1))
        ax.axis("off")
        ax.imshow(img)
        ax.imshow(heatmap, cmap="jet", alpha=0.5)                     # the README's overlay
        fig.canvas.draw()
        drawn = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255
    finally:
        plt.close(fig)
    ours = np.moveaxis(e.overlay[0], 0, -1)
    assert np.abs(drawn - ours).max() <= 2 / 255                      # 8-bit compositing


def test_the_preset_fixes_its_conventions_and_covers_gradcam_and_layercam(model, images):
    x, targets = images
    for option, value in [("cmap", "jet"), ("alpha", 0.5), ("align_corners", True),
                          ("eps", 1e-7), ("relu", False)]:
        with pytest.raises(ValueError, match=f"fixes {option}"):
            ng.explain(model, x, targets, preset=PRESET, **{option: value})
    for method in ("gradcam++", "scorecam", "xgradcam"):
        with pytest.raises(ValueError, match="covers the methods gradcam, layercam; got"):
            ng.explain(model, x, targets, method=method, preset=PRESET)
    assert PRESETS[PRESET].methods == ("gradcam", "layercam")


def test_the_preset_records_its_conventions_and_stages(model, images):
    x, targets = images
    e = ng.explain(model, x, targets, preset=PRESET)
    assert e.options["preset"] == PRESET and "zoom" in e.options["upsample"]
    assert e.cam_normalized is None
    assert e.heatmap.dtype == np.float32 and e.heatmap.shape == (3, 64, 64)
    assert (e.heatmap.max(axis=(1, 2)) < 1).all()                     # the epsilon
    np.testing.assert_allclose(e.heatmap.max(axis=(1, 2)), 1.0, atol=1e-6)
    levels = e.colored * 255
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-4)


# --- against tf-keras-vis ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def keras_models():
    """name → (our model, its Keras copy ending in a softmax, as a Keras classifier does)."""
    require_library("tf_keras_vis")
    return {name: (ng.load_model(name), to_keras(ng.load_model(name), final_activation="softmax"))
            for name in ("tinycnn-gap", "tinycnn-fc")}


def _visualizer(kind, keras_model, linear=True):
    require_library("tf_keras_vis")
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.layercam import Layercam
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear

    cls = {"gradcam": Gradcam, "layercam": Layercam}[kind]
    return cls(keras_model, model_modifier=ReplaceToLinear() if linear else None, clone=True)


def _score(targets):
    from tf_keras_vis.utils.scores import CategoricalScore

    return CategoricalScore(targets)


@pytest.mark.parametrize("name", ["tinycnn-gap", "tinycnn-fc"])
@pytest.mark.parametrize("method", ["gradcam", "layercam"])
def test_stage_by_stage(method, name, keras_models, images):
    ours, theirs = keras_models[name]
    x, targets = images
    vis = _visualizer(method, theirs)
    kwargs = dict(penultimate_layer="relu4", seek_penultimate_conv_layer=False)
    cam = vis(_score(targets), to_nhwc(x), expand_cam=False, normalize_cam=False, **kwargs)
    heatmap = vis(_score(targets), to_nhwc(x), **kwargs)              # the library's defaults
    e = ng.explain(ours, x, targets, method=method, preset=PRESET)
    cam = np.asarray(cam)
    assert np.abs(e.cam - cam).max() / max(1.0, np.abs(cam).max()) <= TOL, "cam"
    assert np.abs(e.heatmap - heatmap).max() <= TOL, "heatmap"
    # from the library's own map: the resize and normalisation, then the README's uint8 colours
    assert np.abs(normalize(expand_cam(cam, (64, 64))) - heatmap).max() <= 1e-6
    colors = np.uint8(matplotlib.cm.jet(heatmap)[..., :3] * 255)      # the README, per image
    np.testing.assert_array_equal(jet_uint8(heatmap), colors)


@pytest.mark.parametrize("name", ["tinycnn-gap", "tinycnn-fc"])
def test_a_non_conv_layer_is_only_where_the_search_for_a_conv_layer_starts(name, keras_models,
                                                                           images):
    # by default tf-keras-vis explains the nearest Conv layer at or before the named one: conv4
    ours, theirs = keras_models[name]
    x, targets = images
    vis = _visualizer("gradcam", theirs)
    for layer in ("relu4", None):
        heatmap = vis(_score(targets), to_nhwc(x), penultimate_layer=layer)
        at_conv4 = ng.explain(ours, x, targets, layer="conv4", preset=PRESET).heatmap
        assert np.abs(at_conv4 - heatmap).max() <= TOL, layer
        at_relu4 = ng.explain(ours, x, targets, layer="relu4", preset=PRESET).heatmap
        assert np.abs(at_relu4 - heatmap).max() > 0.01


def test_without_replace_to_linear_the_score_is_the_softmax(keras_models, images):
    # the test's copy does end in a softmax, and ReplaceToLinear is what makes the score a logit
    ours, theirs = keras_models["tinycnn-fc"]
    x, targets = images
    heatmap = _visualizer("gradcam", theirs, linear=False)(
        _score(targets), to_nhwc(x), penultimate_layer="relu4", seek_penultimate_conv_layer=False)
    e = ng.explain(ours, x, targets, layer="relu4", preset=PRESET)
    assert np.abs(e.heatmap - heatmap).max() > 0.1


def test_gradcam_plus_plus_normalises_alpha_which_ours_does_not(keras_models, images):
    # why the preset leaves tf-keras-vis's GradcamPlusPlus out: its α_ij is divided by Σ_ij α_ij
    require_library("tf_keras_vis")
    from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear

    ours, theirs = keras_models["tinycnn-gap"]
    x, targets = images
    vis = GradcamPlusPlus(theirs, model_modifier=ReplaceToLinear(), clone=True)
    heatmap = vis(_score(targets), to_nhwc(x), penultimate_layer="relu4",
                  seek_penultimate_conv_layer=False)
    e = ng.explain(ours, x, targets, preset="paper")                  # A and ∂y^c/∂A only
    A, g = e.activations, e.gradients                                 # (N, K, h, w)
    S = e.logits[np.arange(len(x)), targets][:, None, None, None]
    sum_A = A.sum(axis=(2, 3), keepdims=True)
    second = np.exp(S) * g**2
    alpha = second / (2 * second + np.exp(S) * g**3 * sum_A + (second == 0))
    total = alpha.sum(axis=(2, 3), keepdims=True)
    alpha = alpha / (total + (total == 0))
    w = (np.maximum(np.exp(S) * g, 0) * alpha).sum(axis=(2, 3))       # (N, K)
    L = np.maximum((w[:, :, None, None] * A).sum(axis=1), 0)
    by_hand = scipy.ndimage.zoom(L, (1, 8, 8), order=1)
    lo, hi = by_hand.min(axis=(1, 2), keepdims=True), by_hand.max(axis=(1, 2), keepdims=True)
    assert np.abs((by_hand - lo) / (hi - lo + 1e-7) - heatmap).max() <= 1e-4
    for form in ("paper", "pytorch-grad-cam"):
        L_ours = ng.explain(ours, x, targets, method="gradcam++", gradcampp_form=form).cam
        mine = normalize(expand_cam(L_ours, (64, 64)))
        assert np.abs(mine - heatmap).max() > 0.01, form
