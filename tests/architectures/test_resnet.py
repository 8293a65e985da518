"""The ResNets without torch: their names, their default layer, and Grad-CAM on them."""

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam import architectures, models


def test_names_are_torchvisions_and_the_default_layer_is_layer4():
    model = architectures.resnet18(num_classes=7)
    names = model.layer_names
    assert names[:6] == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer1.0"]
    assert names[-2:] == ["avgpool", "fc"]
    assert "layer4.1.conv2" in names and "layer2.0.downsample.0" in names
    assert "layer1.0.downsample" not in names                  # no projection where none needed
    assert model.target_layer == "layer4" and model.num_classes == 7
    assert model.in_channels == 3
    assert [type(b).__name__ for _, b in architectures.resnet50().layers["layer1"].layers.items()] \
        == ["Bottleneck"] * 3


def test_build_knows_them_and_seeds_them():
    a, b = models.build("resnet18", seed=3), models.build("resnet18", seed=3)
    assert a.num_classes == 1000
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(value, b.state_dict()[key])
    c = models.build("resnet18", seed=4)
    assert not np.array_equal(c.state_dict()["conv1.weight"], a.state_dict()["conv1.weight"])
    assert models.build("resnet50", num_classes=3).state_dict()["fc.weight"].shape == (3, 2048)


def test_gradcam_at_a_stage_a_block_and_a_leaf():
    model = architectures.resnet18(num_classes=5, seed=1)
    x = np.random.default_rng(0).random((2, 3, 64, 48))
    for layer, size in (("layer4", (2, 2)), ("layer3.1", (4, 3)), ("layer2.0.conv1", (8, 6))):
        e = ng.explain(model, x, layer=layer)
        assert e.activations.shape[2:] == size and e.heatmap.shape == (2, 64, 48)
        A, dy_dA = ng.gradients(model, x, target=list(e.targets), layer=layer)
        np.testing.assert_array_equal(A, e.activations)
        np.testing.assert_allclose(dy_dA, e.gradients, rtol=1e-12, atol=1e-15)


def test_any_size_down_to_one_pixel_runs_as_torchvisions_does():
    """Each stride-2 step is padded, so even a 1×1 image reaches layer4 (1×1), as in torch."""
    model = architectures.resnet18(num_classes=5)
    _, kept = model.forward(np.zeros((1, 3, 1, 1)), keep="layer4")
    assert kept["layer4"].shape == (1, 512, 1, 1)
    with pytest.raises(ValueError, match=r"x must have 3 channels in axis 1 \(NCHW\)"):
        model.forward(np.zeros((1, 1, 32, 32)))


def test_cam_is_gradcam_times_z_at_layer4():
    """A ResNet's head after layer4 is GAP (adaptive, 1×1) → fc: CAM applies, and Grad-CAM's
    weights are CAM's over Z = h·w (the theorem of the Grad-CAM paper, §3.1)."""
    model = architectures.resnet18(num_classes=4, seed=2)
    x = np.random.default_rng(3).random((2, 3, 96, 64))
    cam = ng.explain(model, x, method="cam", relu=False, normalize=False)
    grad = ng.explain(model, x, target=list(cam.targets), relu=False, normalize=False)
    h, w = grad.activations.shape[2:]
    np.testing.assert_allclose(grad.weights * h * w, cam.weights, rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="method 'cam' needs a global-average-pool"):
        ng.explain(model, x, method="cam", layer="layer3")


def test_a_pass_from_a_stage_gives_the_logits_and_ablation_cam_runs():
    model = architectures.resnet18(num_classes=4, seed=2)
    x = np.random.default_rng(4).random((2, 3, 64, 64))
    logits, kept = model.forward(x, keep="layer3")
    np.testing.assert_allclose(model.forward_from("layer3", kept["layer3"]), logits, rtol=1e-12,
                               atol=1e-14)
    e = ng.explain(model, x, method="ablationcam", batch_size=256)
    assert e.weights.shape == (2, 512) and np.isfinite(e.weights).all()
    _, inner = model.forward(x, keep="layer4.0")
    np.testing.assert_allclose(model.forward_from("layer4.0", inner["layer4.0"]), logits,
                               rtol=1e-12, atol=1e-14)               # a block inside a stage
    with pytest.raises(ValueError, match="inside a residual branch"):
        model.forward_from("layer4.1.conv2", inner["layer4.0"])
