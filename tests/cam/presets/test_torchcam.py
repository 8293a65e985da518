"""The ``torchcam`` preset (:mod:`numpy_gradcam.cam.presets.torchcam`).

Without the library: hand-worked cases of each convention and the preset's errors. With torch-cam
installed (``require_library``): its ``GradCAM``, ``LayerCAM`` and ``XGradCAM`` on the shipped
models and its ``overlay_mask``, stage by stage — each of our stages fed the library's previous
one, so that the uint8 stages compare exactly.
"""

import matplotlib
import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam.cam.presets import PRESETS
from numpy_gradcam.cam.presets.torchcam import colorize, normalize, overlay_mask, to_pil_uint8
from tests.conftest import require_library

PRESET = "torchcam"
TOL = 1e-5


# --- the conventions, by hand ---------------------------------------------------------------

def test_normalize_puts_the_epsilon_in_the_denominator():
    L = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    expected = np.array([[[0.0, 1.0], [2.0, 3.0]]]) / (3.0 + 1e-8)
    assert normalize(L).dtype == np.float32
    np.testing.assert_allclose(normalize(L), expected, rtol=1e-7)
    assert normalize(np.zeros((1, 2, 2))).tolist() == [[[0.0, 0.0], [0.0, 0.0]]]


def test_the_image_is_truncated_to_uint8():
    image = np.array([0.0, 0.999, 1.0, 0.2]).reshape(1, 1, 2, 2)
    assert to_pil_uint8(image).tolist() == [[[[0, 254], [255, 51]]]]


def test_the_colour_is_jet_of_the_squared_mask():
    # squares 0, 0.25, 0.5625, 1, 1.21 (over: the last entry), 0.0025 -> jet entries
    # 0, 64, 144, 255, 255, 0 of matplotlib's table, truncated to bytes
    heatmap = np.array([[[0.0, 0.5, 0.75, 1.0, 1.1, -0.05]]], dtype=np.float32)
    colors = colorize(heatmap)[0, :, 0].T                               # (6, 3)
    expected = [[0, 0, 127], [0, 128, 255], [176, 255, 70], [127, 0, 0], [127, 0, 0],
                [0, 0, 127]]
    assert colorize(heatmap).dtype == np.uint8
    assert colors.tolist() == expected


def test_overlay_mask_blends_half_and_half_and_truncates():
    # mask 1 everywhere -> jet entry 255 (127, 0, 0); image 0.2 -> 51; Image.blend with the
    # image's weight 0.5: 127 + 0.5·(51 − 127) = 89, 0 + 0.5·51 = 25.5 -> 25
    image = np.full((1, 3, 2, 2), 0.2)
    heatmap, colored, overlay = overlay_mask(image, np.ones((1, 1, 1), np.float32))
    np.testing.assert_array_equal(heatmap, np.ones((1, 2, 2)))
    assert colored[0, :, 0, 0].tolist() == [127, 0, 0]
    assert overlay[0, :, 0, 0].tolist() == [89, 25, 25]


def test_the_preset_fixes_its_conventions_and_methods(model, images):
    x, targets = images
    for option, value in [("cmap", "hot"), ("alpha", 0.5), ("upsample", "bicubic"),
                          ("relu", True), ("eps", 1e-8), ("normalize", True)]:
        with pytest.raises(ValueError, match=f"fixes {option}"):
            ng.explain(model, x, targets, preset=PRESET, **{option: value})
    for method in ("gradcam++", "scorecam", "cam", "occlusion"):
        with pytest.raises(ValueError, match=r"covers the methods gradcam, layercam, xgradcam"):
            ng.explain(model, x, targets, method=method, preset=PRESET)
    with pytest.raises(ValueError, match="one layer"):
        ng.explain(model, x, targets, layers=["relu3", "relu4"], preset=PRESET)


def test_the_preset_renders_float32_and_uint8_stages(model, images):
    x, targets = images
    e = ng.explain(model, x, targets, preset=PRESET)
    assert e.options["preset"] == PRESET and "mask ** 2" in e.options["cmap"]
    assert e.cam_normalized.dtype == np.float32 and e.cam_normalized.shape == (3, 8, 8)
    assert e.cam_normalized.min() == 0 and e.cam_normalized.max() <= 1     # 1e-8 is lost in float32
    assert e.heatmap.dtype == np.float32 and e.heatmap.shape == (3, 64, 64)
    for stage in (e.colored, e.overlay):
        levels = stage * 255
        np.testing.assert_allclose(levels, np.round(levels), atol=1e-4)
    assert PRESETS[PRESET].relu and (e.cam >= 0).all()


# --- against torch-cam -------------------------------------------------------------------------

def _torchcam(kind, model, x, targets):
    """torch-cam's ``kind`` on the torch copy of ``model`` (float32): ``(cam after ReLU,
    normalised cam)``, both ``(N, h, w)``."""
    torch = require_library("torch")
    methods = require_library("torchcam.methods")
    from torchcam.methods.core import _CAM

    from numpy_gradcam.oracle import to_torch

    torch_model = to_torch(model).float().eval()
    with getattr(methods, kind)(torch_model, model.target_layer) as extractor:
        scores = torch_model(torch.tensor(x, dtype=torch.float32))
        cam = extractor(targets, scores, normalized=False)[0]
    return cam.numpy(), _CAM._normalize(cam.clone()).numpy()


@pytest.mark.parametrize("name", ["tinycnn-gap", "tinycnn-fc"])
@pytest.mark.parametrize("method, kind", [("gradcam", "GradCAM"), ("layercam", "LayerCAM"),
                                          ("xgradcam", "XGradCAM")])
def test_stage_by_stage(name, method, kind, images):
    require_library("torchcam")
    from PIL import Image
    from torchcam.utils import overlay_mask as tc_overlay_mask
    from torchvision.transforms.v2.functional import to_pil_image

    torch = require_library("torch")
    model = ng.load_model(name)
    x, targets = images
    cam, cam_normalized = _torchcam(kind, model, x, targets)
    e = ng.explain(model, x, targets, method=method, preset=PRESET)
    for ours, theirs, stage in [(e.cam, cam, "cam"), (e.cam_normalized, cam_normalized,
                                                       "cam_normalized")]:
        assert np.abs(ours - theirs).max() / max(1.0, np.abs(theirs).max()) <= TOL, stage

    heatmap, colored, overlay = overlay_mask(x, cam_normalized)       # from the library's mask
    mismatched = 0
    for n in range(len(x)):
        img = to_pil_image(torch.tensor(x[n], dtype=torch.float32))
        mask = to_pil_image(torch.tensor(cam_normalized[n]), mode="F")
        resized = np.asarray(mask.resize(img.size, resample=Image.Resampling.BICUBIC))
        np.testing.assert_allclose(heatmap[n], resized, rtol=0, atol=1e-6)
        assert np.abs(e.heatmap[n] - resized).max() <= TOL, "heatmap end to end"
        theirs_colored = matplotlib.colormaps["jet"](resized ** 2, bytes=True)[..., :3]
        np.testing.assert_array_equal(np.moveaxis(colored[n], 0, -1), theirs_colored)
        theirs = np.asarray(tc_overlay_mask(img, mask, alpha=0.5))        # (H, W, 3) uint8
        np.testing.assert_array_equal(np.moveaxis(overlay[n], 0, -1), theirs)
        # end to end, a 1e-7 difference in the map can move a pixel across a colour bin
        mismatched += np.count_nonzero(np.rint(np.moveaxis(e.overlay[n], 0, -1) * 255) != theirs)
    assert mismatched <= 0.01 * e.overlay.size, "overlay end to end"
