import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numpy_gradcam as ng
from numpy_gradcam.datasets import make_shapes


@pytest.fixture(scope="module")
def gap_model():
    return ng.load_model("tinycnn-gap")


@pytest.fixture(scope="module")
def images():
    return make_shapes(6, seed=2024)


def test_every_stage_is_kept_with_the_documented_shapes(gap_model, images):
    x, labels, _ = images
    e = ng.explain(gap_model, x, target=list(labels))
    K, h, w = e.activations.shape[1:]
    assert e.gradients.shape == (6, K, h, w) and e.weights.shape == (6, K)
    assert e.cam.shape == e.cam_normalized.shape == (6, h, w)
    assert e.heatmap.shape == (6, 64, 64)
    assert e.colored.shape == e.overlay.shape == (6, 3, 64, 64)
    assert e.layer == gap_model.target_layer == "relu4"
    assert (e.cam >= 0).all()
    assert e.cam_normalized.min() >= 0 and e.cam_normalized.max() <= 1
    assert np.isfinite(e.overlay).all() and e.overlay.min() >= 0 and e.overlay.max() <= 1
    np.testing.assert_array_equal(e.targets, labels)


def test_one_image_in_gives_arrays_without_the_batch_axis(gap_model, images):
    x = images[0][0]
    e = ng.explain(gap_model, x)
    assert e.heatmap.shape == (64, 64) and e.overlay.shape == (3, 64, 64)
    assert np.ndim(e.targets) == 0 and isinstance(e.target_names, str)
    batch = ng.explain(gap_model, x[None])
    np.testing.assert_array_equal(batch.overlay[0], e.overlay)


def test_gradcam_equals_cam_up_to_one_over_Z_on_the_gap_model(gap_model, images):
    """y^c = Σ_k w_ck (1/Z) Σ_ij A^k_ij + b, so dy^c/dA^k_ij = w_ck / Z and alpha_k = w_ck / Z:
    Grad-CAM's signed map is CAM's (Σ_k w_ck A^k) divided by Z — Grad-CAM generalises CAM."""
    x, labels, _ = images
    e = ng.explain(gap_model, x, target=list(labels), relu=False)
    Z = e.activations.shape[2] * e.activations.shape[3]
    W = gap_model["fc"].params["weight"]                               # (classes, K)
    cam = np.einsum("nk,nkij->nij", W[labels], e.activations)          # CAM, Zhou et al.
    np.testing.assert_allclose(e.cam * Z, cam, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(e.weights * Z, W[labels], rtol=1e-12, atol=1e-14)


def test_counterfactual_is_relu_of_the_negated_signed_map(gap_model, images):
    x = images[0]
    signed = ng.explain(gap_model, x, target=1, relu=False).cam
    counter = ng.explain(gap_model, x, target=1, counterfactual=True).cam
    np.testing.assert_allclose(counter, np.maximum(-signed, 0), atol=1e-15)


@given(st.floats(0.0, 1.0))
def test_alpha_zero_returns_the_image_and_one_the_colored_map(a):
    model = ng.load_model("tinycnn-gap")
    x = make_shapes(1, seed=5)[0][0]
    e = ng.explain(model, x, alpha=a)
    np.testing.assert_allclose(e.overlay, a * e.colored + (1 - a) * x, atol=1e-12)
    if a == 0.0:
        np.testing.assert_array_equal(e.overlay, x)


def test_float32_is_kept(gap_model, images):
    e = ng.explain(gap_model, images[0][:2].astype(np.float32))
    assert e.activations.dtype == e.gradients.dtype == e.cam.dtype == np.float32


def test_same_call_gives_bit_identical_arrays(gap_model, images):
    a = ng.explain(gap_model, images[0]).arrays()
    b = ng.explain(gap_model, images[0]).arrays()
    for k in a:
        assert a[k].tobytes() == b[k].tobytes(), k


@pytest.mark.parametrize("kwargs, match", [
    (dict(target=4), r"class index in \[0, 3\]"),
    (dict(layer="relu9"), "layer must be one of conv1, bn1, relu1"),
    (dict(layer="fc"), "no spatial layout"),
    (dict(method="gradcam+++"), "method must be one of 'gradcam'"),
    (dict(preset="opencv"), "preset must be one of 'paper'"),
    (dict(alpha=1.5), r"alpha must be in \[0, 1\], got 1.5"),
    (dict(alpha=-0.1), r"alpha must be in \[0, 1\]"),
    (dict(upsample="area"), "upsample must be one of 'bilinear', 'nearest', 'bicubic'"),
    (dict(relu="yes"), "relu must be True or False"),
    (dict(eps=-1.0), "eps must be a finite number >= 0, got -1.0"),
    (dict(cmap="not-a-colormap"), "cmap"),
])
def test_bad_options_are_named(gap_model, images, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ng.explain(gap_model, images[0][0], **kwargs)


@pytest.mark.parametrize("x, match", [
    (np.full((3, 64, 64), np.nan), "finite"),
    (np.zeros((64, 64)), "3 or 4 dimensions"),
    (np.zeros((1, 64, 64)), "3 channel"),
    (np.zeros((3, 64, 64), dtype=np.uint8), "float32 or float64"),
    (np.full((3, 64, 64), 255.0), r"\[0, 1\]"),
    (np.zeros((0, 3, 64, 64)), "at least one image"),
    ("image.png", "NumPy array"),
])
def test_bad_images_are_named(gap_model, x, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ng.explain(gap_model, x)


def test_all_black_image_gives_a_finite_explanation(gap_model):
    e = ng.explain(gap_model, np.zeros((3, 64, 64)))
    assert np.isfinite(e.overlay).all() and np.isfinite(e.cam_normalized).all()
