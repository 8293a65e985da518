"""The ``keras`` preset: the Keras example "Grad-CAM class activation visualization".

Without TensorFlow: hand-worked cases of each convention (Pillow and matplotlib are runtime
dependencies, so their conventions are checked here too) and the preset's errors. With
TensorFlow (``require_library``): the example's two functions, written below line by line as on
keras.io (examples/vision/grad_cam.py), run on a Keras copy of the shipped models and compared
stage by stage.
"""

import matplotlib
import numpy as np
import pytest
from PIL import Image

import numpy_gradcam as ng
from numpy_gradcam.cam.presets import PRESETS
from numpy_gradcam.cam.presets.keras import (
    array_to_img,
    divide_by_max,
    jet_colors,
    render,
    save_and_display_gradcam,
)
from numpy_gradcam.cam.presets.pillow import resize_uint8
from numpy_gradcam.verification.mistakes import Conventions, stages
from tests.cam.presets.keras_mirror import to_keras, to_nchw, to_nhwc
from tests.conftest import require_library

PRESET = "keras"
TOL = 1e-5


# --- the conventions, by hand ---------------------------------------------------------------

def test_divide_by_max_subtracts_no_minimum_and_never_gives_nan():
    L = np.array([[[1.0, 2.0], [3.0, 4.0]],
                  [[-1.0, 2.0], [4.0, 0.0]],             # the ReLU, then / max of the signed map
                  [[0.0, 0.0], [0.0, 0.0]],              # the example: 0/0 = NaN; here zeros
                  [[-1.0, -2.0], [-3.0, -4.0]]])         # the example: 0/negative; zeros
    expected = [[[0.25, 0.5], [0.75, 1.0]], [[0.0, 0.5], [1.0, 0.0]],
                [[0.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]]
    out = divide_by_max(L)
    assert out.dtype == np.float32
    assert out.tolist() == expected


def test_array_to_img_rescales_the_whole_image_not_each_channel_and_truncates():
    x = np.array([[[[0.25, 0.25, 0.25], [0.5, 0.75, 0.5]]]])        # (1, 1, 2, 3)
    # − 0.25 → [[0, 0, 0], [0.25, 0.5, 0.25]]; / 0.5; · 255 → 127.5 truncated to 127
    assert array_to_img(x).tolist() == [[[[0, 0, 0], [127, 255, 127]]]]
    assert array_to_img(np.full((1, 2, 2, 3), 0.3)).tolist() == np.zeros((1, 2, 2, 3)).tolist()


def test_the_jet_table_is_matplotlibs_indexed_by_the_truncated_uint8_map():
    table = jet_colors()
    assert table.shape == (256, 3)
    np.testing.assert_array_equal(table[0], [0.0, 0.0, 0.5])          # dark blue
    np.testing.assert_array_equal(table[255], [0.5, 0.0, 0.0])        # dark red
    # 255 · 0.999 = 254.7: entry 254 (red 0.518), not 255 (red 0.5), since np.uint8 truncates;
    # array_to_img then divides by the largest value, 0.518, so entry 0's blue 0.5 becomes 246
    heatmap = np.array([[[0.999, 0.0]]], dtype=np.float32)
    colored, _ = save_and_display_gradcam(np.zeros((1, 3, 1, 2)), heatmap)
    assert 0.51 < table[254, 0] < 0.52
    assert (colored[0, :, 0, :].T * 255).tolist() == [[255, 0, 0], [0, 0, 246]]


def test_pillows_default_resize_of_an_rgb_image_is_bicubic():
    rng = np.random.default_rng(0)
    u8 = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    theirs = np.asarray(Image.fromarray(u8).resize((13, 11)))          # (width, height)
    ours = resize_uint8(np.moveaxis(u8, -1, 0), (11, 13), resample="bicubic")
    np.testing.assert_array_equal(np.moveaxis(ours, 0, -1), theirs)


def test_the_map_is_coloured_at_feature_map_size_then_resized_by_pillows_default():
    rng = np.random.default_rng(2)
    heatmap = rng.random((1, 3, 4)).astype(np.float32)
    colored, _ = save_and_display_gradcam(np.zeros((1, 3, 9, 10)), heatmap)
    jet = matplotlib.colormaps["jet"](np.arange(256))[:, :3][np.uint8(255 * heatmap[0])]
    jet = jet.astype(np.float32) - jet.min()                         # array_to_img, by hand
    small = Image.fromarray(np.uint8(jet / jet.max() * 255))          # (3, 4) RGB
    expected = np.asarray(small.resize((10, 9)))                      # (width, height)
    np.testing.assert_array_equal(np.moveaxis(colored[0], 0, -1) * 255, expected)


def test_a_uniform_map_over_a_gray_image_becomes_pure_red_after_the_two_rescales():
    # heatmap 1 → jet[255] = (0.5, 0, 0) → array_to_img → (255, 0, 0); the blend 0.4·jet + img
    # = (229.5, 127.5, 127.5) is rescaled again: (102, 0, 0) / 102 → (255, 0, 0)
    image = np.full((1, 3, 4, 4), 0.5)
    colored, overlay = save_and_display_gradcam(image, np.ones((1, 2, 2), dtype=np.float32))
    assert np.unique(colored.reshape(3, -1), axis=1).T.tolist() == [[1.0, 0.0, 0.0]]
    assert np.unique(overlay.reshape(3, -1), axis=1).T.tolist() == [[1.0, 0.0, 0.0]]


def test_the_blend_keeps_the_image_at_full_weight():
    # heatmap 0 → jet[0] = (0, 0, 0.5) → (0, 0, 255); image black left, white right:
    # 0.4·(0, 0, 255) + (0 | 255) = (0, 0, 102) | (255, 255, 357) → / 357 · 255
    image = np.zeros((1, 3, 1, 2))
    image[..., 1] = 1.0
    _, overlay = save_and_display_gradcam(image, np.zeros((1, 1, 1), dtype=np.float32))
    expected = np.floor(np.array([[0, 0, 102], [255, 255, 357]]) / np.float32(357) * 255)
    np.testing.assert_array_equal(overlay[0, :, 0, :].T * 255, expected)


def test_render_has_no_input_size_grayscale_stage_and_no_nan(images):
    x, _ = images
    out = render(np.zeros((1, 8, 8)), x[:1], {})
    assert out.heatmap is None and out.cam_normalized.tolist() == np.zeros((1, 8, 8)).tolist()
    assert np.isfinite(out.overlay).all()
    np.testing.assert_array_equal(out.colored[0, :, 0, 0], [0.0, 0.0, 1.0])


def test_the_preset_fixes_its_conventions_and_covers_gradcam_only(model, images):
    x, targets = images
    for option, value in [("cmap", "hot"), ("alpha", 0.4), ("upsample", "bicubic"),
                          ("normalize", True), ("score", "softmax")]:
        with pytest.raises(ValueError, match=f"fixes {option}"):
            ng.explain(model, x, targets, preset=PRESET, **{option: value})
    for method in ("scorecam", "gradcam++", "layercam"):
        with pytest.raises(ValueError, match="covers the methods gradcam; got method="):
            ng.explain(model, x, targets, method=method, preset=PRESET)
    assert PRESETS[PRESET].methods == ("gradcam",)


def test_the_preset_records_its_conventions_and_renders_uint8_stages(model, images):
    x, targets = images
    e = ng.explain(model, x, targets, preset=PRESET)
    assert e.options["preset"] == PRESET and "jet" in e.options["cmap"]
    assert e.heatmap is None
    assert e.cam_normalized.shape == (3, 8, 8) and e.cam_normalized.dtype == np.float32
    np.testing.assert_allclose(e.cam_normalized.max(axis=(1, 2)), 1.0)
    assert e.colored.shape == e.overlay.shape == (3, 3, 64, 64)
    for stage in (e.colored, e.overlay):
        levels = stage * 255
        np.testing.assert_allclose(levels, np.round(levels), atol=1e-4)
    # both rescales stretch each picture to the full range
    assert e.overlay.min(axis=(1, 2, 3)).tolist() == [0.0] * 3
    assert e.overlay.max(axis=(1, 2, 3)).tolist() == [1.0] * 3
    single = ng.explain(model, x[0], targets[0], preset=PRESET)
    assert single.heatmap is None and single.overlay.shape == (3, 64, 64)


# --- against TensorFlow: the example, line by line --------------------------------------------

def make_gradcam_heatmap(img_array, model, last_conv_layer_name, pred_index=None, record=None):
    """keras.io's ``make_gradcam_heatmap``; ``record`` (the test's addition) keeps the
    intermediates."""
    tf = require_library("tensorflow")
    keras = require_library("keras")
    grad_model = keras.models.Model(
        model.input, [model.get_layer(last_conv_layer_name).output, model.output]
    )
    with tf.GradientTape() as tape:
        last_conv_layer_output, preds = grad_model(img_array)
        if pred_index is None:
            pred_index = tf.argmax(preds[0])
        class_channel = preds[:, pred_index]
    grads = tape.gradient(class_channel, last_conv_layer_output)
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))
    if record is not None:
        record.update(A=last_conv_layer_output.numpy(), dy_dA=grads.numpy(),
                      alpha=pooled_grads.numpy())
    last_conv_layer_output = last_conv_layer_output[0]
    heatmap = last_conv_layer_output @ pooled_grads[..., tf.newaxis]
    heatmap = tf.squeeze(heatmap)
    if record is not None:
        record.update(L=heatmap.numpy())
    heatmap = tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)
    return heatmap.numpy()


def example_display(img, heatmap, alpha=0.4):
    """keras.io's ``save_and_display_gradcam`` for the image array ``img`` (its ``load_img``
    and ``img_to_array`` of the file), without saving: ``(jet_heatmap, superimposed_img)`` as
    arrays."""
    keras = require_library("keras")
    heatmap = np.uint8(255 * heatmap)
    jet = matplotlib.colormaps["jet"]
    jet_colors = jet(np.arange(256))[:, :3]
    jet_heatmap = jet_colors[heatmap]
    jet_heatmap = keras.utils.array_to_img(jet_heatmap)
    jet_heatmap = jet_heatmap.resize((img.shape[1], img.shape[0]))
    jet_heatmap = keras.utils.img_to_array(jet_heatmap)
    superimposed_img = jet_heatmap * alpha + img
    superimposed_img = keras.utils.array_to_img(superimposed_img)
    return jet_heatmap, np.asarray(superimposed_img)


@pytest.fixture(scope="module")
def keras_models():
    """name → (our model, its Keras copy with the example's ``activation = None``)."""
    require_library("tensorflow")
    models = {}
    for name in ("tinycnn-gap", "tinycnn-fc"):
        ours = ng.load_model(name)
        theirs = to_keras(ours, final_activation="softmax")
        theirs.layers[-1].activation = None                          # "Remove last layer's softmax"
        models[name] = ours, theirs
    return models


def test_keras_array_to_img_equals_ours():
    keras = require_library("keras")
    rng = np.random.default_rng(1)
    for x in (rng.random((5, 4, 3)), rng.normal(size=(3, 6, 3)) * 300, np.full((2, 2, 3), 0.7)):
        theirs = np.asarray(keras.utils.array_to_img(x))
        np.testing.assert_array_equal(array_to_img(x[None])[0], theirs)


def test_the_mirror_computes_our_logits(keras_models, images):
    x, _ = images
    for ours, theirs in keras_models.values():
        logits = ours.forward(x)
        assert np.abs(theirs(to_nhwc(x)).numpy() - logits).max() / np.abs(logits).max() <= TOL


@pytest.mark.parametrize("name", ["tinycnn-gap", "tinycnn-fc"])
def test_stage_by_stage(name, keras_models, images):
    ours, theirs = keras_models[name]
    x, targets = images
    e = ng.explain(ours, x, targets, preset=PRESET)
    for n, c in enumerate(targets):
        record = {}
        heatmap = make_gradcam_heatmap(to_nhwc(x[n:n + 1]), theirs, "relu4", c, record)
        for ours_stage, theirs_stage, stage in [
                (e.activations[n], to_nchw(record["A"])[0], "activations"),
                (e.gradients[n], to_nchw(record["dy_dA"])[0], "dy_dA"),
                (e.weights[n], record["alpha"], "weights"),
                (e.cam[n], np.maximum(record["L"], 0), "cam"),
                (e.cam_normalized[n], heatmap, "cam_normalized")]:
            scale = max(1.0, np.abs(theirs_stage).max())
            assert np.abs(ours_stage - theirs_stage).max() / scale <= TOL, stage
        img = (255 * np.moveaxis(x[n], 0, -1)).astype(np.float32)     # the file's 0..255 values
        jet_heatmap, superimposed = example_display(img, heatmap)
        # from the example's own heatmap: the uint8 stages must agree exactly
        colored, overlay = save_and_display_gradcam(x[n:n + 1], heatmap[None])
        np.testing.assert_array_equal(np.moveaxis(colored[0], 0, -1) * 255, jet_heatmap)
        np.testing.assert_array_equal(np.moveaxis(overlay[0], 0, -1) * 255, superimposed)
        # and end to end (the maps agree to 1e-7, far from a truncation boundary here)
        np.testing.assert_array_equal(np.moveaxis(e.colored[n], 0, -1) * 255, jet_heatmap)
        np.testing.assert_array_equal(np.moveaxis(e.overlay[n], 0, -1) * 255, superimposed)


def test_the_predicted_class_is_the_default_target(keras_models, images):
    ours, theirs = keras_models["tinycnn-gap"]
    x, _ = images
    e = ng.explain(ours, x[:1], preset=PRESET)
    heatmap = make_gradcam_heatmap(to_nhwc(x[:1]), theirs, "relu4")    # pred_index=None
    assert np.abs(e.cam_normalized[0] - heatmap).max() <= TOL


@pytest.mark.parametrize("name", ["tinycnn-gap", "tinycnn-fc"])
def test_the_example_on_a_batch_is_the_batch_mean_mistake(name, keras_models, images):
    # reduce_mean over axes (0, 1, 2): one alpha for the batch, and image 0's map only
    ours, theirs = keras_models[name]
    x, targets = images
    c = targets[0]
    heatmap = make_gradcam_heatmap(to_nhwc(x[:2]), theirs, "relu4", c)
    mistaken = stages(ours, x[:2], [c, c], Conventions(pooling_axes=(0, 2, 3)))["cam"][0]
    assert np.abs(heatmap - mistaken / mistaken.max()).max() <= TOL
    preset = ng.explain(ours, x[:1], [c], preset=PRESET).cam_normalized[0]
    if name == "tinycnn-gap":
        # GAP → linear: ∂y^c/∂A = W_c / (h·w) whatever the image, so the batch mean is harmless
        assert np.abs(heatmap - preset).max() <= TOL
    else:
        assert np.abs(heatmap - preset).max() > 0.05                  # not what the preset does


def test_the_examples_normalisation_gives_nan_on_an_all_zero_map():
    tf = require_library("tensorflow")
    heatmap = tf.zeros((2, 2))
    theirs = (tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)).numpy()
    assert np.isnan(theirs).all()                                     # the example
    assert divide_by_max(np.zeros((1, 2, 2))).tolist() == [[[0.0, 0.0], [0.0, 0.0]]]   # ours
