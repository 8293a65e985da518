"""``verify`` on Grad-CAMs written the way a user writes one in PyTorch (issue 19).

Each probe is a torch Grad-CAM on the torch copy of the shipped model (``to_torch``): a forward
hook on the target layer keeps ``A`` (``retain_grad``), ``backward`` fills ``A.grad``, the map is
resized with ``F.interpolate`` or ``cv2.resize`` and coloured with matplotlib's jet or OpenCV's
``applyColorMap``; its stages are saved with ``np.savez`` and verified. Each mistake is made
there, in the user's code (a hook on ``bn4``, ``backward`` twice, ``model.eval()`` forgotten),
never by asking our pipeline for it; the correct code, in float64 and float32, must match and
never be given a mistake's name.
"""

import matplotlib
import numpy as np
import pytest

from numpy_gradcam.models import load_model
from numpy_gradcam.verification.vectors import CASES, get_case, reference
from numpy_gradcam.verification.verify import verify
from tests.conftest import require_library, require_torch

_GOLDEN = {}
#: The cases of the shipped tiny CNNs (the user's code below hooks their relu4).
TINY_CASES = [case.name for case in CASES if case.model in ("tinycnn-gap", "tinycnn-fc")]


def golden(case):
    if case not in _GOLDEN:
        _GOLDEN[case] = reference(case)[0]
    return _GOLDEN[case]


def user_gradcam(case, *, dtype="float64", layer="relu4", score="logit", train=False,
                 first_target=None, backward_twice=False, pooling="mean", sign=1, relu=True,
                 normalize="min-max", align_corners=False, resize="torch", colormap="matplotlib"):
    """A user's Grad-CAM of the golden case ``case``: its stages, as NumPy arrays.

    first_target : a class backpropagated before the case's target, ``A.grad`` not zeroed.
    backward_twice : the target's score backpropagated twice.
    pooling : ``"mean"`` (the paper), ``"sum"``, ``"batch-mean"`` or ``"channel-mean"``.
    resize : ``"torch"`` (``F.interpolate``), ``"cv2"`` or ``"cv2-swapped"`` (``dsize=(H, W)``).
    colormap : ``"matplotlib"``, ``"cv2-as-rgb"`` (``applyColorMap``'s BGR used as RGB) or
        ``"cv2-rgb"`` (converted with ``cvtColor``).
    """
    torch = require_torch()
    F = torch.nn.functional
    from numpy_gradcam.oracle import to_torch

    model = to_torch(load_model(get_case(case).model), dtype=getattr(torch, dtype))
    model.train(train)
    image, targets = golden(case)["image"], golden(case)["targets"]
    x = torch.tensor(image, dtype=getattr(torch, dtype))
    kept = {}

    def keep(module, inputs, output):
        output.retain_grad()
        kept["A"] = output

    getattr(model, layer).register_forward_hook(keep)
    logits = model(x)
    rows = torch.arange(len(targets))
    scores = logits if score == "logit" else torch.softmax(logits, dim=1)
    if first_target is not None:
        scores[rows, first_target].sum().backward(retain_graph=True)
    for _ in range(2 if backward_twice else 1):
        scores[rows, torch.as_tensor(targets)].sum().backward(retain_graph=True)
    A, dA = kept["A"].detach(), sign * kept["A"].grad
    if case == "gap-counterfactual":
        dA = -dA
    weights = {"mean": lambda: dA.mean(dim=(2, 3)), "sum": lambda: dA.sum(dim=(2, 3)),
               "batch-mean": lambda: dA.mean(dim=(0, 2, 3)).expand(len(A), -1),
               "channel-mean": lambda: dA.mean(dim=1)}[pooling]()
    if pooling == "channel-mean":
        cam = (weights[:, None] * A).sum(dim=1)                             # (N, h, w)
    else:
        cam = (weights[:, :, None, None] * A).sum(dim=1)
    if relu:
        cam = F.relu(cam)
    low = cam.amin(dim=(1, 2), keepdim=True) if normalize == "min-max" else 0
    cam_normalized = (cam - low) / (cam.amax(dim=(1, 2), keepdim=True) - low)
    H, W = image.shape[2:]
    if resize == "torch":
        heatmap = F.interpolate(cam_normalized[:, None], size=(H, W), mode="bilinear",
                                align_corners=align_corners)[:, 0].numpy()
    else:
        cv2 = require_library("cv2")
        dsize = (W, H) if resize == "cv2" else (H, W)            # OpenCV: (width, height)
        heatmap = np.stack([cv2.resize(m, dsize) for m in cam_normalized.numpy()])
    if colormap == "matplotlib":
        colored = matplotlib.colormaps["jet"](heatmap)[..., :3]             # (N, H, W, 3)
    else:
        cv2 = require_library("cv2")
        colored = np.stack([cv2.applyColorMap(np.uint8(255 * h), cv2.COLORMAP_JET)
                            for h in heatmap])
        if colormap == "cv2-rgb":
            colored = np.stack([cv2.cvtColor(c, cv2.COLOR_BGR2RGB) for c in colored])
        colored = colored / 255.0
    colored = np.moveaxis(colored, -1, 1)                                   # (N, 3, H, W)
    stages = {"image": image, "logits": logits.detach().numpy(), "targets": targets,
              "activations": A.numpy(), "gradients": dA.numpy(), "weights": weights.numpy(),
              "cam": cam.detach().numpy(), "cam_normalized": cam_normalized.detach().numpy(),
              "heatmap": heatmap, "colored": colored}
    if heatmap.shape[1:] == (H, W):
        stages["overlay"] = 0.4 * colored + 0.6 * image
    if pooling == "channel-mean":
        del stages["weights"]                         # (N, h, w), not one weight per channel
    return stages


def saved(stages, tmp_path):
    """The stages as the user saves them: ``np.savez``."""
    path = tmp_path / "mine.npz"
    np.savez(path, **stages)
    return path


_REPORTS = {}


def probe_report(case, tmp_path, **mistake):
    """verify's report on the user's Grad-CAM of ``case`` with ``mistake`` (cached: the
    tests of the names and of the details share the probes)."""
    key = (case, tuple(sorted(mistake.items())))
    if key not in _REPORTS:
        _REPORTS[key] = verify(saved(user_gradcam(case, **mistake), tmp_path), case)
    return _REPORTS[key]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", TINY_CASES)
def test_a_correct_torch_gradcam_matches(case, dtype, tmp_path):
    report = verify(saved(user_gradcam(case, dtype=dtype), tmp_path), case)
    assert report.matches and report.diagnosis == [], report.text()


# Each probe: the case where it shows, the user's code with the mistake, the name verify gives.
PROBES = {
    "softmax": ("gap-predicted", {"score": "softmax"}, "softmax-score"),
    "no ReLU": ("gap-predicted", {"relu": False}, "missing-relu"),
    "sum of gradients": ("gap-predicted", {"pooling": "sum"}, "gradient-sum"),
    "backward twice": ("gap-predicted", {"backward_twice": True}, "repeated-backward"),
    "A.grad not zeroed": ("gap-other-class", {"first_target": 0}, "accumulated-gradients"),
    "batch mean": ("gap-batch", {"pooling": "batch-mean"}, "batch-mean"),
    "channel mean": ("fc-predicted", {"pooling": "channel-mean"}, "channel-mean"),
    "model.eval() forgotten": ("gap-predicted", {"train": True}, "training-mode"),
    "L / max L": ("fc-positive-min", {"normalize": "max"}, "max-normalization"),
    "align_corners=True": ("gap-predicted", {"align_corners": True}, "align-corners"),
    "counterfactual sign": ("gap-counterfactual", {"sign": -1}, "counterfactual-sign"),
    "hook on bn4": ("gap-predicted", {"layer": "bn4"}, "wrong-layer"),
    "hook on conv4": ("gap-predicted", {"layer": "conv4"}, "pre-batchnorm-layer"),
    "hook on pool3": ("gap-predicted", {"layer": "pool3"}, "previous-block"),
    "cv2 dsize (H, W)": ("gap-nonsquare", {"resize": "cv2-swapped"}, "size-swapped"),
    "applyColorMap as RGB": ("gap-predicted", {"colormap": "cv2-as-rgb"}, "opencv-jet-bgr"),
    "applyColorMap + cvtColor": ("gap-predicted", {"colormap": "cv2-rgb"}, "opencv-jet"),
}


@pytest.mark.parametrize("probe", list(PROBES))
def test_each_torch_mistake_is_named_alone(probe, tmp_path):
    case, mistake, name = PROBES[probe]
    report = probe_report(case, tmp_path, **mistake)
    assert not report.matches
    assert report.diagnosis == [name], report.text()


def test_every_catalogue_entry_but_the_pipeline_internal_ones_is_probed():
    from numpy_gradcam.verification.mistakes import CATALOGUE

    internal = {"relu-on-weights", "relu-on-gradients", "absolute-gradients", "bgr-input",
                "normalize-after-upsampling", "nearest-upsampling", "bgr-colormap",
                "uint8-truncation", "uint8-rounding"}          # injected in test_verify.py
    probed = {name for _, _, name in PROBES.values()}
    assert probed | internal == {m.name for m in CATALOGUE} and not probed & internal


def test_the_details_say_which_layer_class_and_ratio(tmp_path):
    def text(case, **mistake):
        return probe_report(case, tmp_path, **mistake).text()

    assert "pre-batchnorm-layer (conv4 instead of relu4)" in text("gap-predicted", layer="conv4")
    assert "previous-block (pool3 instead of relu4)" in text("gap-predicted", layer="pool3")
    assert ("accumulated-gradients (class 0 (circle) backpropagated first)"
            in text("gap-other-class", first_target=0))
    doubled = text("gap-predicted", backward_twice=True)
    assert "repeated-backward (ratio 2)" in doubled and "2 x the reference" in doubled
    assert "opencv-jet (a convention, not a bug)" in text("gap-predicted", colormap="cv2-rgb")


def test_training_mode_is_found_from_the_logits_alone():
    stages = user_gradcam("gap-predicted", train=True)
    report = verify({"logits": stages["logits"]}, "gap-predicted")
    assert report.first_divergence == "logits" and report.diagnosis == ["training-mode"]


def test_a_uint8_overlay_is_told_to_divide_by_255(tmp_path):
    stages = user_gradcam("gap-predicted")
    overlay = np.uint8(255 * stages["overlay"])                          # the user's PNG
    report = verify(saved({"overlay": overlay}, tmp_path), "gap-predicted")
    assert report.first_divergence == "overlay"
    hint = report.stages["overlay"].hint
    assert f"values up to {overlay.max()} where the reference lies in [0, 1]" in hint
    assert "a 0–255 (uint8) array? divided by 255 its max abs error is 0.0039" in hint
    assert f"hint: overlay: {hint}" in report.text()


# ---- pytorch-grad-cam's show_cam_on_image with its default use_rgb=False ---------------------

def _show_cam_on_image(img, mask, use_rgb=False, image_weight=0.5):
    """pytorch-grad-cam 1.5.7's ``show_cam_on_image`` as its source writes it (for the first
    environment, which does not install the library; the test below uses the real one)."""
    cv2 = require_library("cv2")
    heatmap = cv2.applyColorMap(np.uint8(255 * mask), cv2.COLORMAP_JET)
    if use_rgb:
        heatmap = cv2.cvtColor(heatmap, cv2.COLOR_BGR2RGB)
    heatmap = np.float32(heatmap) / 255
    cam = (1 - image_weight) * heatmap + image_weight * img
    cam = cam / np.max(cam)
    return np.uint8(255 * cam), heatmap


def _pgc_stages(show_cam_on_image):
    heatmap = reference("gap-predicted", preset="pytorch-grad-cam")[0]["heatmap"][0]
    img = np.moveaxis(golden("gap-predicted")["image"][0], 0, -1).astype(np.float32)
    overlay = show_cam_on_image(img, heatmap)
    return {"heatmap": heatmap, "overlay": np.moveaxis(overlay, -1, 0) / 255.0}


def test_show_cam_on_image_default_bgr_is_named_under_the_preset():
    theirs = _pgc_stages(lambda img, mask: _show_cam_on_image(img, mask)[0])
    report = verify(theirs, "gap-predicted", preset="pytorch-grad-cam")
    assert report.diagnosis == ["bgr-colormap"], report.text()
    correct = _pgc_stages(lambda img, mask: _show_cam_on_image(img, mask, use_rgb=True)[0])
    assert verify(correct, "gap-predicted", preset="pytorch-grad-cam").matches


def test_the_real_show_cam_on_image_default_is_named_under_the_preset():
    require_library("pytorch_grad_cam")
    from pytorch_grad_cam.utils.image import show_cam_on_image

    report = verify(_pgc_stages(show_cam_on_image), "gap-predicted", preset="pytorch-grad-cam")
    assert report.diagnosis == ["bgr-colormap"], report.text()
