"""VGG-16 and MobileNetV2 without torch: their names, their default layer, seeds, the gradient
through the head, and Grad-CAM at the default layer and inside.

VGG-16 holds 134 million parameters even with few classes (its first linear layer alone is
25088 × 4096): it is built once for the module."""

import copy

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam import nn
from numpy_gradcam.architectures.mobilenet import mobilenet_v2
from numpy_gradcam.architectures.vgg import vgg16


@pytest.fixture(scope="module")
def vgg():
    return vgg16(num_classes=5, seed=0)


@pytest.fixture(scope="module")
def mobilenet():
    return mobilenet_v2(num_classes=5, seed=1)


def test_vgg16_names_are_torchvisions_and_the_default_layer_is_the_last_pool(vgg):
    names = vgg.layer_names
    assert len(names) == 41
    assert names[:4] == ["features", "features.0", "features.1", "features.2"]
    assert names[-10:] == ["features.30", "avgpool", "classifier"] + [
        f"classifier.{i}" for i in range(7)]
    assert vgg.target_layer == "features.30" and isinstance(vgg["features.30"], nn.MaxPool2d)
    assert [i for i in range(31) if isinstance(vgg[f"features.{i}"], nn.MaxPool2d)] == \
        [4, 9, 16, 23, 30]
    assert vgg.arch == "vgg16" and vgg.num_classes == 5 and vgg.in_channels == 3
    assert vgg["classifier.0"].params["weight"].shape == (4096, 512 * 7 * 7)


def test_mobilenet_v2_names_are_torchvisions_and_the_default_layer_is_features_18(mobilenet):
    names = mobilenet.layer_names
    assert len(names) == 212
    assert names[:7] == ["features", "features.0", "features.0.0", "features.0.1",
                         "features.0.2", "features.1", "features.1.conv"]
    assert names[-7:] == ["features.18", "features.18.0", "features.18.1", "features.18.2",
                          "classifier", "classifier.0", "classifier.1"]
    assert "features.1.conv.2" in names and "features.1.conv.3" not in names   # t = 1
    assert "features.2.conv.3" in names and "features.17.conv.1.2" in names
    assert mobilenet.target_layer == "features.18"
    assert mobilenet.arch == "mobilenet_v2" and mobilenet.num_classes == 5
    residual = [i for i in range(1, 18) if mobilenet[f"features.{i}"].use_res_connect]
    assert residual == [3, 5, 6, 8, 9, 10, 12, 13, 15, 16]
    assert isinstance(mobilenet["classifier.0"], nn.Dropout) and mobilenet["classifier.0"].p == 0.2


def test_the_same_seed_builds_the_same_model(vgg):
    a, b = mobilenet_v2(num_classes=5, seed=3), mobilenet_v2(num_classes=5, seed=3)
    expected = b.state_dict()
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(value, expected[key])
    assert a["classifier.0"].rng.random() == b["classifier.0"].rng.random()
    c = mobilenet_v2(seed=4)
    assert not np.array_equal(c.state_dict()["features.0.0.weight"],
                              a.state_dict()["features.0.0.weight"])
    # VGG-16 is too big to build twice here: its first convolution is the first draw from the
    # seed's stream, and the stream runs on (no layer restarts it); each Dropout has its own.
    np.testing.assert_array_equal(vgg["features.0"].params["weight"],
                                  nn.Conv2d(3, 64, 3, padding=1, rng=0).params["weight"])
    assert not np.array_equal(vgg["features.12"].params["weight"],
                              vgg["features.14"].params["weight"])
    first, second = np.random.default_rng(0).spawn(2)
    assert copy.deepcopy(vgg["classifier.2"].rng).random() == first.random()
    assert copy.deepcopy(vgg["classifier.5"].rng).random() == second.random()


def head(model, A):
    """The logits from the target layer's output ``A``, as torchvision's ``forward`` writes them
    (VGG's ``classifier(flatten(avgpool(A)))``, MobileNetV2's
    ``classifier(flatten(adaptive_avg_pool2d(A, 1)))``), each layer the model's own; and the
    signs of the classifier's ReLU inputs (where the head is not linear)."""
    if model.arch == "vgg16":
        v = model["avgpool"].forward(A)[0].reshape(len(A), -1)          # (N, 25088)
    else:
        v = A.mean(axis=(2, 3))                                         # (N, 1280)
    signs = []
    for leaf in model["classifier"].children.values():
        if isinstance(leaf, nn.ReLU):
            signs.append(v > 0)
        v = leaf.forward(v)[0]
    return v, signs


@pytest.mark.parametrize("which", ["vgg", "mobilenet"])
def test_the_gradient_at_the_target_layer_is_the_heads_derivative(which, request):
    """<∂(Σ dy·y)/∂A, v> = (f(A + h v) - f(A - h v)) / 2h along a random direction v, for the
    part of the model the blocks' and leaves' tests do not cover: the flatten, and MobileNetV2's
    mean over (h, w), written out in the model's forward_with/backward_with. h is short enough
    that no ReLU of the classifier changes sign between A - h v and A + h v: f is linear there."""
    model = request.getfixturevalue(which)
    rng = np.random.default_rng(5)
    x = rng.random((2, 3, 70, 40))          # feature maps 2×1 (VGG), 3×2 (MobileNetV2)
    dy = rng.standard_normal((2, 5))
    trace = model.trace(x)
    A = trace.outputs[model.target_layer]
    np.testing.assert_array_equal(head(model, A)[0], trace.logits)
    dA = model.backward_to(trace, dy, model.target_layer)
    v = rng.standard_normal(A.shape)
    N, h = len(A), 1e-6
    while True:                                     # a step short enough to cross no kink
        # A + h v and A - h v as one batch: VGG's first linear layer is read once
        logits, signs = head(model, np.concatenate([A + h * v, A - h * v]))
        plus, minus = logits[:N], logits[N:]
        if all(np.array_equal(s[:N], s[N:]) for s in signs):
            break
        h /= 4
    assert h > 1e-9
    numeric = ((plus - minus) * dy).sum() / (2 * h)
    np.testing.assert_allclose((dA * v).sum(), numeric, rtol=1e-7)


@pytest.mark.parametrize("which, layer, size", [
    ("vgg", "features.30", (2, 1)), ("vgg", "features.22", (8, 6)), ("vgg", "avgpool", (7, 7)),
    ("mobilenet", "features.18", (2, 2)), ("mobilenet", "features.13", (4, 3)),
    ("mobilenet", "features.6.conv.1.2", (8, 6))])
def test_gradcam_at_the_default_layer_a_block_and_a_leaf(which, layer, size, request):
    model = request.getfixturevalue(which)
    x = np.random.default_rng(0).random((2, 3, 64, 48))                # not square
    e = ng.explain(model, x, layer=layer)
    assert e.activations.shape[2:] == size and e.heatmap.shape == (2, 64, 48)
    assert (e.cam >= 0).all()
    A, dy_dA = ng.gradients(model, x, target=list(e.targets), layer=layer)
    np.testing.assert_array_equal(A, e.activations)
    np.testing.assert_allclose(dy_dA, e.gradients, rtol=1e-12, atol=1e-15)
    if layer == model.target_layer:
        np.testing.assert_array_equal(ng.explain(model, x).heatmap, e.heatmap)


def test_traces_of_different_sizes_keep_their_own_backward(mobilenet):
    """The mean before the classifier is differentiated with the size of the trace's own
    feature map, whatever was traced since."""
    rng = np.random.default_rng(2)
    big, small = rng.random((1, 3, 64, 48)), rng.random((1, 3, 20, 33))
    dy = rng.standard_normal((1, 5))
    alone = mobilenet.backward_to_input(mobilenet.trace(big), dy)
    first = mobilenet.trace(big)
    mobilenet.trace(small)
    np.testing.assert_array_equal(mobilenet.backward_to_input(first, dy), alone)


def test_sizes_torchvision_accepts_run_and_smaller_ones_are_refused(vgg, mobilenet):
    _, kept = mobilenet.forward(np.zeros((1, 3, 1, 1)), keep="features.18")
    assert kept["features.18"].shape == (1, 1280, 1, 1)              # min_size 1×1
    _, kept = vgg.forward(np.zeros((1, 3, 32, 40)), keep="features.30")
    assert kept["features.30"].shape == (1, 512, 1, 1)               # min_size 32×32
    with pytest.raises(ValueError, match=r"x must be at least 32×32 pixels for vgg16, got 31×40"):
        vgg.forward(np.zeros((1, 3, 31, 40)))
    with pytest.raises(ValueError, match=r"at least 32×32 pixels for vgg16, got 40×5 "):
        ng.explain(vgg, np.zeros((3, 40, 5)))
