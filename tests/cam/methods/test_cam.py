import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam import models, nn
from numpy_gradcam.nn.head import gap_head_of
from tests.gradcheck import randomise_batchnorm


def test_cam_equals_gradcam_times_Z_on_the_gap_model(gap_model, images):
    """α^Grad-CAM_k = W_ck / Z, so Z · Grad-CAM = CAM, maps and weights alike."""
    x, labels = images
    cam = ng.explain(gap_model, x, target=labels, method="cam", relu=False)
    grad = ng.explain(gap_model, x, target=labels, method="gradcam", relu=False)
    Z = cam.activations.shape[2] * cam.activations.shape[3]
    np.testing.assert_allclose(grad.cam * Z, cam.cam, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(grad.weights * Z, cam.weights, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(cam.weights, gap_model["fc"].params["weight"][labels])
    assert cam.gradients is None


def test_a_model_without_a_gap_head_is_refused(fc_model, gap_model, images):
    x = images[0]
    with pytest.raises(ValueError, match=r"'cam' needs a global-average-pool → linear head.*"
                                         r"flatten \(Flatten\)"):
        ng.explain(fc_model, x, method="cam")
    with pytest.raises(ValueError, match="after the explained layer 'relu3'"):
        ng.explain(gap_model, x, method="cam", layer="relu3")


def test_gradient_and_score_options_are_refused(gap_model, images):
    with pytest.raises(ValueError, match="counterfactual"):
        ng.explain(gap_model, images[0], method="cam", counterfactual=True)
    with pytest.raises(ValueError, match="score='softmax' does not apply to method 'cam'"):
        ng.explain(gap_model, images[0], method="cam", score="softmax")


# --- the head CAM reads: shown by a Sequential, declared by an architecture ------------------

#: CAM at each architecture's default layer: None where it applies, else what its error says
#: after "method 'cam' needs a global-average-pool → linear head right after the explained ".
AT_THE_DEFAULT_LAYER = {
    "tinycnn-gap": None,
    "tinycnn-biased": None,
    "tinycnn-fc": r"layer 'relu4'.*the layers after it are: flatten \(Flatten\), fc1 \(Linear\)",
    "resnet18": None,
    "resnet34": None,
    "resnet50": None,
    "vgg16": r"layer 'features.30'.*VGG declares none \(its gap_head is None",
    "mobilenet_v2": None,
    "efficientnet_lite0": r"layer '_conv_head'.*this model's head averages the output of "
                          r"'_swish' \(then '_fc'\)",
}
NEEDS = "method 'cam' needs a global-average-pool → linear head right after the explained "


def assert_close(actual, expected, what, tol=1e-10):
    """``max |actual − expected| <= tol · max |expected|`` (float64), shapes equal."""
    assert actual.shape == expected.shape, f"{what}: {actual.shape} != {expected.shape}"
    err = np.abs(actual - expected).max() / max(np.abs(expected).max(), 1e-300)
    assert err <= tol, f"{what}: max |Δ| / max |expected| = {err:.2e} > {tol:.0e}"


@pytest.fixture(scope="module")
def built():
    """Each architecture with 5 classes, built once for this module (VGG-16 takes seconds), its
    BatchNorms randomised: freshly initialised, MobileNetV2's maps are ~1e-9, below the
    normalisation's epsilon."""
    cache = {}

    def build(name):
        if name not in cache:
            model = models.build(name, num_classes=5, seed=0)
            cache[name] = randomise_batchnorm(model, np.random.default_rng(1))
        return cache[name]
    return build


def test_every_architecture_is_listed():
    assert set(AT_THE_DEFAULT_LAYER) == set(models.ARCHITECTURES)


def cam_and_gradcam(model, x, layer=None):
    """CAM and Grad-CAM (same targets) at ``layer``, signed (no ReLU), and Z = h·w."""
    cam = ng.explain(model, x, method="cam", layer=layer, relu=False)
    grad = ng.explain(model, x, target=list(cam.targets), layer=layer, relu=False)
    return cam, grad, cam.activations.shape[2] * cam.activations.shape[3]


@pytest.mark.parametrize("name", list(AT_THE_DEFAULT_LAYER))
def test_cam_at_each_architectures_default_layer(name, built):
    """Where the head is GAP → linear, CAM is Grad-CAM times Z (α^Grad-CAM = W[c] / Z), and the
    min-max normalised maps are equal (a positive factor cancels); elsewhere a clear error."""
    model = built(name)
    x = np.random.default_rng(7).random((2, 3, 64, 64))
    if AT_THE_DEFAULT_LAYER[name] is not None:
        with pytest.raises(ValueError, match=NEEDS + AT_THE_DEFAULT_LAYER[name]):
            ng.explain(model, x, method="cam")
        return
    cam, grad, Z = cam_and_gradcam(model, x)
    assert_close(cam.cam, Z * grad.cam, "cam")
    assert_close(cam.weights, Z * grad.weights, "weights")
    assert_close(cam.cam_normalized, grad.cam_normalized, "cam_normalized")
    assert (cam.cam_normalized.max(axis=(1, 2)) == 1).all()             # no map below eps


@pytest.mark.parametrize("name, layer", [("efficientnet_lite0", "_swish"),
                                         ("resnet18", "layer4.1"),
                                         ("mobilenet_v2", "features.18.2")])
def test_cam_at_the_layer_the_head_averages_and_those_holding_the_same_array(name, layer, built):
    """EfficientNet-Lite's head averages ``_swish``'s last call (the ReLU6 after ``_bn1``); a
    ResNet's last block and MobileNetV2's last ReLU6 hold the array ``layer4`` and ``features``
    return."""
    x = np.random.default_rng(8).random((2, 3, 64, 64))
    cam, grad, Z = cam_and_gradcam(built(name), x, layer)
    assert_close(cam.cam, Z * grad.cam, "cam")


@pytest.mark.parametrize("name, layer, error", [
    ("resnet18", "layer4.0", "averages the output of 'layer4'"),
    ("mobilenet_v2", "features.17", "averages the output of 'features'"),
    ("mobilenet_v2", "features.18.1", "averages the output of 'features'")])
def test_cam_elsewhere_names_the_layer_to_explain(name, layer, error, built):
    with pytest.raises(ValueError, match=f"{NEEDS}layer '{layer}'.*{error}"):
        ng.explain(built(name), np.full((1, 3, 64, 64), 0.5), method="cam", layer=layer)


@pytest.mark.parametrize("name", list(AT_THE_DEFAULT_LAYER))
def test_each_head_is_the_models_own_forward(name, built):
    """A declared (or shown) head is checked against the forward pass it describes: the logits
    are ``W · mean_ij A_ij + b`` with ``A`` the recorded output of ``features`` and ``W``, ``b``
    the parameters of ``linear``."""
    model = built(name)
    head = gap_head_of(model)
    if name in ("tinycnn-fc", "vgg16"):
        assert head is None
        return
    trace = model.trace(np.random.default_rng(9).random((2, 3, 64, 48)))
    A = trace.outputs[head.features]                                    # (N, K, h, w)
    linear = model[head.linear].params
    expected = A.mean(axis=(2, 3)) @ linear["weight"].T + linear["bias"]  # (N, 5)
    assert_close(trace.logits, expected, "logits", tol=1e-12)


def test_cam_on_mobilenet_v2_is_the_classifier_row_times_the_features():
    """MobileNetV2's head is a mean written in ``forward_with``, ``classifier.0`` (Dropout: the
    identity in evaluation) and ``classifier.1`` (Linear): CAM at ``features.18`` is
    ``ReLU(Σ_k W[c, k] A^k)``, computed here by hand from the linear weight and the activations;
    Grad-CAM's ``α = mean ∂y^c/∂A = W[c] / Z`` gives the same map over Z = h·w, and, after the
    min-max normalisation (which removes a positive factor), the same normalised map and
    heatmap."""
    model = randomise_batchnorm(models.build("mobilenet_v2", num_classes=5, seed=1),
                                np.random.default_rng(2))
    x = np.random.default_rng(6).random((2, 3, 64, 64))                # features.18: 2×2
    cam = ng.explain(model, x, method="cam")
    grad = ng.explain(model, x, target=list(cam.targets))

    logits, kept = model.forward(x, keep="features.18")
    A = kept["features.18"]                                             # (2, 1280, 2, 2)
    W = model["classifier.1"].params["weight"]                          # (5, 1280)
    c = logits.argmax(axis=1)                                           # the predicted classes
    L = np.maximum(np.einsum("nk,nkij->nij", W[c], A), 0)               # (2, 2, 2)
    low, high = L.min(axis=(1, 2), keepdims=True), L.max(axis=(1, 2), keepdims=True)
    assert (high - low > 1e-6).all()                                    # no flat map
    L_norm = (L - low) / (high - low)

    np.testing.assert_array_equal(cam.targets, c)
    np.testing.assert_array_equal(cam.weights, W[c])
    Z = 2 * 2
    for stage, ours, expected in [("cam", cam.cam, L), ("cam", cam.cam, Z * grad.cam),
                                  ("cam_normalized", cam.cam_normalized, L_norm),
                                  ("cam_normalized", cam.cam_normalized, grad.cam_normalized),
                                  ("heatmap", cam.heatmap, grad.heatmap)]:
        assert_close(ours, expected, stage)


def test_a_sequential_head_may_hold_layers_that_are_identities_in_evaluation():
    """AdaptiveAvgPool2d(1) → Flatten → Dropout → Identity → Linear is a GAP → linear head in
    evaluation; a ReLU after the pool is not (a ReLU of the means is no linear head)."""
    rng = np.random.default_rng(10)
    conv, fc = nn.Conv2d(3, 4, 3, padding=1, rng=rng), nn.Linear(4, 3, rng=rng)
    stem = [("conv", conv), ("relu", nn.ReLU()), ("pool", nn.AdaptiveAvgPool2d(1))]
    model = nn.Sequential(stem + [("flatten", nn.Flatten()), ("drop", nn.Dropout(0.5)),
                                  ("id", nn.Identity()), ("fc", fc)], target_layer="relu")
    x = rng.random((2, 3, 6, 5))
    cam, grad, Z = cam_and_gradcam(model, x)
    assert_close(cam.cam, np.einsum("nk,nkij->nij", fc.params["weight"][cam.targets],
                                    cam.activations), "cam")
    assert_close(cam.cam, Z * grad.cam, "cam")
    relu_after = nn.Sequential(stem + [("flatten", nn.Flatten()), ("relu2", nn.ReLU()),
                                       ("fc", fc)], target_layer="relu")
    with pytest.raises(ValueError, match=NEEDS + r"layer 'relu'.*relu2 \(ReLU\)"):
        ng.explain(relu_after, x, method="cam")
