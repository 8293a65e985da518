"""EfficientNet-Lite0 without torch: the port's names and state_dict keys, seeds, the padding of
any input size (static, as the port's pretrained model, or TensorFlow's per input), and Grad-CAM
at its default layer."""

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam.architectures.efficientnet_lite import EfficientNetLite, efficientnet_lite0
from numpy_gradcam.nn.mbconv import MBConvBlock

#: Blocks with an identity skip: every block of a stage but its first (stride 1, same channels).
SKIPS = (2, 4, 6, 7, 9, 10, 12, 13, 14)


@pytest.fixture(scope="module")
def model():
    return efficientnet_lite0(num_classes=7, seed=1)


def test_names_are_the_ports(model):
    names = model.layer_names
    assert names[:12] == [
        "_conv_stem", "_bn0", "_blocks", "_blocks.0", "_blocks.0._depthwise_conv",
        "_blocks.0._bn1", "_blocks.0._project_conv", "_blocks.0._bn2", "_blocks.0._swish",
        "_blocks.1", "_blocks.1._expand_conv", "_blocks.1._bn0"]
    assert names[-8:] == ["_blocks.15._bn2", "_blocks.15._swish", "_conv_head", "_bn1",
                          "_avg_pooling", "_dropout", "_fc", "_swish"]
    assert len(names) == 135                       # the port's named_modules, less the root
    blocks = model.layers["_blocks"].layers
    assert list(blocks) == [str(i) for i in range(16)]
    assert all(isinstance(b, MBConvBlock) for b in blocks.values())
    assert tuple(i for i, b in enumerate(blocks.values()) if b.skip) == SKIPS
    assert model.target_layer == "_conv_head"
    assert (model.in_channels, model.num_classes) == (3, 7)
    assert model["_dropout"].p == 0.2
    assert all((bn.eps, bn.momentum) == (1e-3, 1 - 0.99) for name, bn in model.named_leaves()
               if isinstance(bn, ng.nn.BatchNorm2d))


def test_state_dict_keys_and_shapes(model):
    state = model.state_dict()
    assert len(state) == 296                       # as the shipped .pth
    keys = list(state)
    assert keys[:7] == ["_conv_stem.weight", "_bn0.weight", "_bn0.bias", "_bn0.running_mean",
                        "_bn0.running_var", "_bn0.num_batches_tracked",
                        "_blocks.0._depthwise_conv.weight"]
    assert keys[-3:] == ["_bn1.num_batches_tracked", "_fc.weight", "_fc.bias"]
    shapes = {k: v.shape for k, v in state.items()}
    assert shapes["_conv_stem.weight"] == (32, 3, 3, 3)
    assert shapes["_blocks.1._expand_conv.weight"] == (96, 16, 1, 1)
    assert shapes["_blocks.3._depthwise_conv.weight"] == (144, 1, 5, 5)
    assert shapes["_blocks.15._project_conv.weight"] == (320, 1152, 1, 1)
    assert shapes["_conv_head.weight"] == (1280, 320, 1, 1)
    assert shapes["_fc.weight"] == (7, 1280) and shapes["_fc.bias"] == (7,)
    assert not any(k.endswith(".bias") and "_bn" not in k and k != "_fc.bias" for k in keys)


def test_seeds_are_reproducible():
    a, b = efficientnet_lite0(seed=3).parameters(), efficientnet_lite0(seed=3).parameters()
    for key, value in a.items():
        np.testing.assert_array_equal(value, b[key])
    c = efficientnet_lite0(seed=4).parameters()
    assert not np.array_equal(c["_conv_stem.weight"], a["_conv_stem.weight"])
    assert not np.array_equal(c["_fc.weight"], a["_fc.weight"])


def test_gradcam_at_the_default_layer_on_a_non_square_input(model):
    x = np.random.default_rng(0).random((2, 3, 64, 48))
    e = ng.explain(model, x)
    # static padding (for 224): 64 → 32 → 16 → 8 → 4 → 2 and 48 → 24 → 12 → 6 → 3 → 1, where
    # the last 5×5 stride-2 convolution pads 3 by (1, 2) to 6 and sees one window
    assert e.activations.shape == (2, 1280, 2, 1) and e.heatmap.shape == (2, 64, 48)
    A, dy_dA = ng.gradients(model, x, target=list(e.targets))
    np.testing.assert_array_equal(A, e.activations)
    np.testing.assert_allclose(dy_dA, e.gradients, rtol=1e-12, atol=1e-15)
    assert (e.cam >= 0).all() and np.isfinite(e.heatmap).all()


def test_tensorflows_same_padding_gives_ceil_of_size_over_32():
    model = efficientnet_lite0(num_classes=5, image_size=None)
    for H, W in ((64, 48), (67, 45), (1, 1)):
        _, kept = model.forward(np.zeros((1, 3, H, W)), keep="_conv_head")
        assert kept["_conv_head"].shape == (1, 1280, -(-H // 32), -(-W // 32))


def test_static_and_tensorflows_padding_agree_on_multiples_of_32_only():
    static, dynamic = efficientnet_lite0(seed=2), efficientnet_lite0(seed=2, image_size=None)
    x = np.random.default_rng(1).random((1, 3, 64, 96))
    np.testing.assert_array_equal(static.forward(x), dynamic.forward(x))
    x = np.random.default_rng(1).random((1, 3, 66, 66))
    _, a = static.forward(x, keep="_blocks.2")
    _, b = dynamic.forward(x, keep="_blocks.2")
    # 66 → 33 at the stem (pads 0/1 either way: 66 is even); then 33 is odd: TensorFlow pads it
    # (1, 1) to 17 outputs, the static padding (0, 1) to 16
    assert a["_blocks.2"].shape[2:] == (16, 16) and b["_blocks.2"].shape[2:] == (17, 17)


def test_image_size_is_checked():
    with pytest.raises(ValueError, match="image_size"):
        EfficientNetLite(image_size=(224, 0))
    assert efficientnet_lite0(image_size=(240, 200)).image_size == (240, 200)
