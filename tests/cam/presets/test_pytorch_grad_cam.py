"""The ``pytorch-grad-cam`` preset and the OpenCV conventions it rests on.

Without the library: hand-worked cases of each convention and the preset's errors. With
pytorch-grad-cam and OpenCV installed (``require_library``): the real ``cv2`` functions and the
real ``GradCAM``/``show_cam_on_image`` on the shipped models, stage by stage.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import numpy_gradcam as ng
from numpy_gradcam.cam.methods.ablationcam import ablation_values
from numpy_gradcam.cam.presets import PRESETS
from numpy_gradcam.cam.presets.base import to_uint8
from numpy_gradcam.cam.presets.opencv import JET, apply_colormap_jet, resize_linear
from numpy_gradcam.cam.presets.pytorch_grad_cam import scale_cam_image, show_cam_on_image
from tests.conftest import require_library

PRESET = "pytorch-grad-cam"
TOL = 1e-5


# --- the conventions, by hand ---------------------------------------------------------------

def test_opencv_jet_table_ends_and_break_points():
    # OpenCV's jet runs from dark blue (0, 0, 128) to dark red (128, 0, 0), 4 levels a step
    assert JET[0].tolist() == [0, 0, 128]
    assert JET[1].tolist() == [0, 0, 132]
    assert JET[255].tolist() == [128, 0, 0]
    assert JET[32].tolist() == [0, 0, 255]
    assert JET[96].tolist() == [2, 255, 254]
    assert JET[159].tolist() == [254, 255, 1]          # blue: the table's odd entry (not 2)
    assert JET[160].tolist() == [255, 252, 0]


def test_apply_colormap_is_bgr_unless_asked_for_rgb():
    u8 = np.array([[0, 255]], dtype=np.uint8)
    assert apply_colormap_jet(u8).tolist() == [[[128, 0, 0], [0, 0, 128]]]
    assert apply_colormap_jet(u8, bgr=False).tolist() == [[[0, 0, 128], [128, 0, 0]]]
    with pytest.raises(TypeError, match="uint8"):
        apply_colormap_jet(np.zeros((2, 2)))


def test_to_uint8_truncates_and_refuses_what_would_wrap():
    assert to_uint8(np.array([0.0, 254.999, 255.5, 1.9])).tolist() == [0, 254, 255, 1]
    for bad in (256.0, -0.5, np.nan):
        with pytest.raises(ValueError, match=r"\[0, 256\)"):
            to_uint8(np.array([bad]))


def test_scale_cam_image_puts_the_epsilon_in_the_denominator():
    L = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    expected = np.array([[[0.0, 1.0], [2.0, 3.0]]]) / (3.0 + 1e-7)
    assert scale_cam_image(L).dtype == np.float32
    np.testing.assert_allclose(scale_cam_image(L), expected, rtol=1e-7)
    assert scale_cam_image(np.zeros((1, 2, 2))).tolist() == [[[0.0, 0.0], [0.0, 0.0]]]


def test_show_cam_on_image_blends_half_and_half_then_rescales_by_the_maximum():
    image = np.full((1, 3, 1, 2), 0.2)
    mask = np.array([[[0.0, 1.0]]])                     # jet entries 0 (0,0,128) and 255 (128,0,0)
    colored, overlay = show_cam_on_image(image, mask)
    np.testing.assert_array_equal(colored[0, :, 0, 0] * 255, [0, 0, 128])
    blend = 0.5 * np.array([[0, 0, 128], [128, 0, 0]]) / 255 + 0.5 * 0.2      # (pixel, rgb)
    expected = np.floor(255 * blend / blend.max() + 1e-9) / 255
    np.testing.assert_allclose(overlay[0, :, 0, :].T, expected, atol=1e-7)


def test_resize_linear_has_half_pixel_centres():
    # 2 → 4 with half-pixel centres: outputs sample at 0.25 - 0.5 → clamped 0, 0.25, 0.75, 1
    out = resize_linear(np.array([[[0.0, 1.0]]]), (1, 4))
    np.testing.assert_allclose(out[0, 0], [0.0, 0.25, 0.75, 1.0], atol=1e-7)


def test_ablation_values_zero_a_relu_output_and_push_others_down_a_batch_at_a_time():
    # min A = 0: zero, as in the paper; min A = -1: the i-th map of each batch of 32 goes to
    # -1 - (i + 1)·1e7, in float32 (20000001 is not a float32: it rounds to 20000000)
    A = np.ones((2, 34, 1, 2))
    A[0, 5, 0, 0], A[1, 3, 0, 1] = 0.0, -1.0
    values = ablation_values(A, "pytorch-grad-cam")
    assert values.dtype == A.dtype and values.shape == (2, 34)
    assert values[0].tolist() == [0.0] * 34
    assert values[1, :3].tolist() == [-10000001.0, -20000000.0, -30000000.0]
    assert values[1, 31] == np.float32(-1 - 32e7) and values[1, 32] == -10000001.0
    assert ablation_values(A).tolist() == [[0.0] * 34] * 2                  # the paper: zero


def test_the_preset_fixes_its_conventions(model, images):
    x, targets = images
    for option, value in [("cmap", "hot"), ("alpha", 0.5), ("upsample", "nearest"),
                          ("relu", True), ("eps", 1e-7), ("score", "softmax")]:
        with pytest.raises(ValueError, match=f"fixes {option}"):
            ng.explain(model, x, targets, preset=PRESET, **{option: value})
    with pytest.raises(ValueError, match="covers the methods"):
        ng.explain(model, x, targets, method="occlusion", preset=PRESET)
    with pytest.raises(ValueError, match="one layer"):
        ng.explain(model, x, targets, layers=["relu3", "relu4"], preset=PRESET)
    with pytest.raises(ValueError, match="gradcampp_form='pytorch-grad-cam'"):
        ng.explain(model, x, targets, method="gradcam++", gradcampp_form="paper", preset=PRESET)
    for method in ("eigencam", "ablationcam"):
        with pytest.raises(ValueError, match=f"{method}_variant='pytorch-grad-cam'"):
            ng.explain(model, x, targets, method=method, preset=PRESET,
                       **{f"{method}_variant": "paper"})
    with pytest.raises(ValueError, match=r"'paper'.*'pytorch-grad-cam'"):
        ng.explain(model, x, targets, preset="pytorch_grad_cam")


def test_the_preset_records_its_conventions_and_renders_uint8_stages(model, images):
    x, targets = images
    e = ng.explain(model, x, targets, preset=PRESET)
    assert e.options["preset"] == PRESET and "COLORMAP_JET" in e.options["cmap"]
    assert e.heatmap.dtype == np.float32 and e.heatmap.shape == (3, 64, 64)
    np.testing.assert_allclose(e.heatmap.max(axis=(1, 2)), 1.0, atol=1e-6)
    for stage in (e.colored, e.overlay):
        levels = stage * 255
        np.testing.assert_allclose(levels, np.round(levels), atol=1e-4)
    assert PRESETS[PRESET].methods[0] == "gradcam"


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_records_the_score_and_relu_it_used(preset, model, images):
    e = ng.explain(model, images[0], images[1], preset=preset)
    assert e.options["score"] == "logit" and e.options["preset"] == preset
    assert e.options["relu"] is (preset != "captum")                    # Captum keeps the sign


# --- against OpenCV and pytorch-grad-cam ------------------------------------------------------

def test_jet_table_equals_opencv():
    cv2 = require_library("cv2")
    u8 = np.arange(256, dtype=np.uint8).reshape(16, 16)
    np.testing.assert_array_equal(apply_colormap_jet(u8), cv2.applyColorMap(u8, cv2.COLORMAP_JET))


@given(h=st.integers(1, 12), w=st.integers(1, 12), H=st.integers(1, 70), W=st.integers(1, 70),
       seed=st.integers(0, 2**32 - 1))
def test_resize_linear_equals_opencv(h, w, H, W, seed):
    cv2 = require_library("cv2")
    maps = np.random.default_rng(seed).random((1, h, w)).astype(np.float32)
    theirs = cv2.resize(maps[0], (W, H))                               # dsize is (width, height)
    np.testing.assert_allclose(resize_linear(maps, (H, W))[0], theirs.reshape(H, W), atol=1e-6)


def _pgc_cam(kind, model, x, targets, layer="relu4"):
    """pytorch-grad-cam's ``kind`` on the torch copy of ``model``: (cam object, grayscale maps).
    ``cam.weights`` keeps what its ``get_cam_weights`` returned (Ablation-CAM's cost a forward
    pass per map: they are not computed twice)."""
    torch = require_library("torch")
    pgc = require_library("pytorch_grad_cam")
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    from numpy_gradcam.oracle import to_torch

    torch_model = to_torch(model).float().eval()
    cam = getattr(pgc, kind)(model=torch_model, target_layers=[getattr(torch_model, layer)])
    get_cam_weights = cam.get_cam_weights

    def recorded(*args):
        cam.weights = get_cam_weights(*args)
        return cam.weights

    cam.get_cam_weights = recorded
    kwargs = {"targets": [ClassifierOutputTarget(c) for c in targets]}
    grayscale = cam(input_tensor=torch.tensor(x, dtype=torch.float32), **kwargs)
    return cam, grayscale


def _pgc_activations(cam, x, layer):
    """The float32 activations ``(N, K, h, w)`` at ``layer`` of the library's model."""
    torch = require_library("torch")
    saved = []
    handle = getattr(cam.model, layer).register_forward_hook(lambda m, i, out: saved.append(out))
    with torch.no_grad():
        cam.model(torch.tensor(x, dtype=torch.float32))
    handle.remove()
    return saved[0]


def _assert_stages_close(e, L, grayscale, pairs):
    """Each of ``pairs`` (ours, theirs, stage), then ``e``'s map against the library's ``L``
    (after its ReLU), ``scale_cam_image(L)`` and ``grayscale_cam``: within TOL of the larger of 1
    and theirs' largest magnitude."""
    from pytorch_grad_cam.utils.image import scale_cam_image as pgc_scale

    pairs = [*pairs, (e.cam, L, "cam"), (e.cam_normalized, pgc_scale(L), "cam_normalized"),
             (e.heatmap, grayscale, "heatmap")]
    for ours, theirs, stage in pairs:
        scale = max(1.0, np.abs(theirs).max())
        assert np.abs(ours - theirs).max() / scale <= TOL, stage


@pytest.mark.parametrize("name", ["tinycnn-gap", "tinycnn-fc"])
def test_gradcam_stage_by_stage(name, images):
    require_library("pytorch_grad_cam")
    from pytorch_grad_cam.utils.image import show_cam_on_image as pgc_show

    model = ng.load_model(name)
    x, targets = images
    cam, grayscale = _pgc_cam("GradCAM", model, x, targets)
    e = ng.explain(model, x, targets, preset=PRESET)
    A = cam.activations_and_grads.activations[0].numpy()
    dy_dA = cam.activations_and_grads.gradients[0].numpy()
    weights = cam.get_cam_weights(None, None, None, A, dy_dA)
    L = np.maximum((weights[:, :, None, None] * A).sum(axis=1), 0)
    _assert_stages_close(e, L, grayscale, [(e.activations, A, "activations"),
                                           (e.gradients, dy_dA, "dy_dA"),
                                           (e.weights, weights, "weights")])
    # colour and blend from the library's own mask: the uint8 stages must agree exactly
    img = np.moveaxis(x, 1, -1).astype(np.float32)
    colored, overlay = show_cam_on_image(x, grayscale)
    for n in range(len(x)):
        theirs = pgc_show(img[n], grayscale[n], use_rgb=True)           # (H, W, 3) uint8
        np.testing.assert_array_equal(np.rint(np.moveaxis(overlay[n], 0, -1) * 255), theirs)
    cv2 = require_library("cv2")
    rgb = cv2.cvtColor(cv2.applyColorMap(np.uint8(255 * grayscale[0]), cv2.COLORMAP_JET),
                       cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(np.rint(np.moveaxis(colored[0], 0, -1) * 255), rgb)


@pytest.mark.parametrize("method, kind", [("gradcam++", "GradCAMPlusPlus"),
                                          ("xgradcam", "XGradCAM"), ("hirescam", "HiResCAM"),
                                          ("layercam", "LayerCAM"), ("scorecam", "ScoreCAM")])
def test_the_family_matches_the_library(method, kind, model, images):
    x, targets = images
    _, grayscale = _pgc_cam(kind, model, x, targets)
    e = ng.explain(model, x, targets, method=method, preset=PRESET)
    assert np.abs(e.heatmap - grayscale).max() <= TOL, method


@pytest.mark.parametrize("name", ["tinycnn-gap", "tinycnn-fc"])
def test_eigencam_stage_by_stage(name, images):
    x, targets = images
    model = ng.load_model(name)
    cam, grayscale = _pgc_cam("EigenCAM", model, x, targets)            # imports the library
    from pytorch_grad_cam.utils.svd_on_activations import get_2d_projection

    A = _pgc_activations(cam, x, "relu4").numpy()                       # (N, K, h, w) float32
    projection = get_2d_projection(A)                                   # (N, h, w), its sign
    O = A.reshape(*A.shape[:2], -1).transpose(0, 2, 1)                  # (N, h·w, K)
    V1 = [np.linalg.svd(o - o.mean(axis=0), full_matrices=True)[2][0] for o in O]
    e = ng.explain(model, x, targets, method="eigencam", preset=PRESET)
    L = np.maximum(projection, 0)
    _assert_stages_close(e, L, grayscale, [(e.activations, A, "activations"),
                                           (e.weights, np.stack(V1), "V_1")])
    assert (L > 0).any() and (projection < 0).any()         # a sign flip would show in the cam


@pytest.mark.parametrize("name, layer", [("tinycnn-gap", "relu4"), ("tinycnn-fc", "relu4"),
                                         ("tinycnn-gap", "conv4")])
def test_ablationcam_stage_by_stage(name, layer, images):
    """At relu4 (min A = 0) maps are zeroed; at conv4 (min A < 0) they go to min A - (i+1)·1e7,
    which bn4 and relu4 turn into 0, where a zeroed conv4 map would not give 0."""
    require_library("pytorch_grad_cam")
    model = ng.load_model(name)
    x, targets = images[0][1:], images[1][1:]                          # two images: a K-pass each
    cam, grayscale = _pgc_cam("AblationCAM", model, x, targets, layer)
    A, weights = _pgc_activations(cam, x, layer).numpy(), cam.weights   # (N, K, h, w), (N, K)
    L = np.maximum((weights[:, :, None, None] * A).sum(axis=1), 0)
    e = ng.explain(model, x, targets, method="ablationcam", layer=layer, preset=PRESET)
    _assert_stages_close(e, L, grayscale, [(e.activations, A, "activations"),
                                           (e.weights, weights, "weights")])
    paper = ng.explain(model, x, targets, method="ablationcam", layer=layer)
    assert np.allclose(paper.weights, e.weights) is (layer == "relu4")


def test_the_ablation_value_is_the_library_layers():
    """The library's own AblationLayer, driven as AblationCAM drives it (batches of 32), writes
    the values of ablation_values into the maps it ablates."""
    torch = require_library("torch")
    require_library("pytorch_grad_cam")
    from pytorch_grad_cam.ablation_layer import AblationLayer

    A = np.random.default_rng(0).standard_normal((2, 40, 3, 3)).astype(np.float32)
    A[0] = np.maximum(A[0], 0)                                          # min 0: zeroed
    for n in range(2):
        layer = AblationLayer()
        expected = ablation_values(A[n:n + 1], "pytorch-grad-cam")[0]  # (K,)
        indices = layer.activations_to_be_ablated(torch.tensor(A[n]))
        for start in range(0, 40, 32):
            count = min(32, 40 - start)
            layer.set_next_batch(input_batch_index=n, activations=torch.tensor(A),
                                 num_channels_to_ablate=count)
            out = layer(None).numpy()                                   # (count, K, h, w)
            for i, k in enumerate(indices[start:start + count]):
                assert (out[i, k] == expected[k]).all(), (n, k)
                others = np.delete(np.arange(40), k)
                np.testing.assert_array_equal(out[i, others], A[n, others])
            layer.indices = layer.indices[count:]


def test_verify_recognises_the_real_library():
    from numpy_gradcam.verification.vectors import get_case
    from numpy_gradcam.verification.verify import verify

    case = get_case("gap-other-class")
    _, grayscale = _pgc_cam("GradCAM", ng.load_model(case.model), case.images(), [case.target])
    assert verify({"heatmap": grayscale}, case.name, preset=PRESET).matches
    report = verify({"heatmap": grayscale}, case.name)
    assert report.first_divergence == "heatmap"
    # normalise, resize, normalise again = normalise after the resize (the first is affine):
    # on the heatmap alone both explanations are right, and both are named
    assert report.diagnosis == ["normalize-after-upsampling", f"preset:{PRESET}"], report.text()
