"""The compiled forward on the real architectures (residual and inverted-residual blocks,
depthwise and "same"-padded convolutions, heads left to the reference) equals the reference
engine, and the graph it is lowered from is the one ``forward_with`` describes."""

import numpy as np
import pytest

from numpy_gradcam import fast, nn
from numpy_gradcam.fast.buffers import Space
from numpy_gradcam.fast.compiled import compile_forward, compile_program
from numpy_gradcam.fast.graph import capture
from numpy_gradcam.models import build
from tests.fast.test_compiled import naive_conv
from tests.gradcheck import randomise_batchnorm

#: (architecture, build options, input (H, W)): not square, not 224, odd sizes for the "same"
#: padding's asymmetric case; efficientnet_lite0 with the port's static padding (224) and
#: TensorFlow's per-input one (None).
CASES = [("resnet18", {}, (45, 38)), ("resnet50", {}, (37, 33)), ("mobilenet_v2", {}, (41, 35)),
         ("efficientnet_lite0", {}, (39, 45)),
         ("efficientnet_lite0", {"image_size": None}, (39, 45))]


def close(actual, expected, rtol):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


@pytest.fixture(scope="module", params=CASES, ids=lambda case: f"{case[0]}{case[1] or ''}")
def architecture(request):
    name, options, size = request.param
    model = build(name, num_classes=7, seed=3, **options)
    randomise_batchnorm(model, np.random.default_rng(4), bias_scale=0.1)
    return model, size


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_the_compiled_forward_equals_the_reference(architecture, dtype, rtol):
    """Logits (the head run by the reference from the boundary), and the target layer's output
    compiled alone; the program exists, so nothing fell back to the reference unseen."""
    model, (H, W) = architecture
    x = np.random.default_rng(5).random((3, 3, H, W)).astype(dtype)
    trace = model.trace(x)
    layer = model.target_layer
    assert compile_program(model) is not None
    assert compile_program(model, layer, cut=True) is not None
    logits = compile_forward(model, dtype=dtype)(x)
    assert logits.dtype == dtype
    close(logits, trace.logits, rtol)
    close(compile_forward(model, stop=layer)(x), trace.outputs[layer], rtol)


@pytest.mark.parametrize("threads", [1, 2])
def test_grad_cam_passes_started_at_the_target_layer(architecture, threads):
    """fast.trace(start=target): A, the logits and dy/dA as the reference's own trace gives them,
    float64, two targets at once."""
    model, (H, W) = architecture
    rng = np.random.default_rng(6)
    x = rng.random((3, 3, H, W))
    dy = rng.standard_normal((2, 3, 7))
    trace, layer = model.trace(x), model.target_layer
    with fast.threads(threads):
        started = fast.trace(model, x, start=layer)
    close(started.outputs[layer], trace.outputs[layer], 1e-12)
    close(started.logits, trace.logits, 1e-12)
    close(started.backward_to(dy, layer), model.backward_to(trace, dy, layer), 1e-12)


def test_the_graph_of_a_resnet():
    """Every call of forward_with is a node: BasicBlock's one relu module called twice, the
    residual sums, the head left out (x.reshape ends the capture at avgpool)."""
    model = build("resnet18", num_classes=3)
    graph = capture(model)
    assert not graph.complete and graph.boundary == "avgpool"
    assert graph.calls["layer4.1.relu"] == 2 and graph.calls["layer4"] == 1
    assert graph.outputs["layer4.1.relu"] is graph.outputs["layer4.1"]       # the last call
    sums = [node for node in graph.nodes if node.op == "add"]
    assert len(sums) == 8                                                      # one per block
    assert graph.outputs["layer4.1"].inputs[0] is sums[-1]                     # relu(out + x)
    shortcut = graph.outputs["layer4.0.downsample"]
    assert shortcut in sums[-2].inputs
    assert graph.is_cut("layer4") and graph.is_cut("layer3.1") and graph.is_cut("maxpool")
    # Inside a branch, or a module called twice: not a place where a pass can start.
    assert not graph.is_cut("layer4.1.conv2") and not graph.is_cut("layer4.1.relu")
    assert compile_program(model, "layer4.1.conv2") is not None       # but it can be computed
    assert compile_program(model, "layer4.1.conv2", cut=True) is None
    assert "fc" not in graph.outputs and compile_program(model, "fc") is None


def test_a_sequential_is_captured_whole():
    model = nn.Sequential([("conv", nn.Conv2d(3, 2, 3)), ("relu", nn.ReLU()),
                           ("gap", nn.GlobalAvgPool2d()), ("fc", nn.Linear(2, 4))])
    graph = capture(model)
    assert graph.complete and graph.logits is graph.outputs["fc"]
    assert [node.name for node in graph.nodes] == [None, "conv", "relu", "gap", "fc"]
    assert len(compile_program(model).steps) == 3                     # conv and relu fused


def test_a_grouped_convolution_that_is_not_depthwise_is_left_to_the_reference():
    model = nn.Sequential([("conv", nn.Conv2d(4, 4, 3, groups=2)), ("gap", nn.GlobalAvgPool2d())])
    assert compile_program(model) is None
    assert fast.fast_forward(model) == model.forward


@pytest.mark.parametrize("stride, size", [((1, 1), (7, 6)), ((2, 2), (8, 9)), ((2, 1), (7, 8))])
def test_the_depthwise_step_is_the_depthwise_convolution(stride, size, monkeypatch):
    """Per-channel filters over blocks of channels (two blocks here), with TensorFlow's "same"
    padding (asymmetric at stride 2 on an even size), against the definition."""
    from numpy_gradcam.fast import compiled
    from numpy_gradcam.nn.mbconv import Conv2dSamePadding, same_padding

    rng = np.random.default_rng(8)
    C = 5
    conv = Conv2dSamePadding(C, C, 3, stride, groups=C, rng=9)
    x = rng.normal(size=(C, 2, *size))                                  # (C, N, H, W)
    (top, bottom), (left, right) = (same_padding(n, 3, s)
                                    for n, s in zip(size, stride, strict=True))
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    weight, bias = conv.params["weight"], conv.params["bias"]
    expected = np.concatenate([naive_conv(xp[c:c + 1], weight[c:c + 1], stride, (0, 0))
                               for c in range(C)]) + bias[:, None, None, None]
    monkeypatch.setattr(compiled, "DEPTHWISE_NUMBERS", 3 * expected[0].size)   # 2 blocks
    close(compiled._depthwise_step(conv)(x, Space()), expected, 1e-12)


def test_the_cols_of_every_convolution_share_one_buffer():
    """Space.within_step: one buffer, grown to the largest shape asked for, viewed in each."""
    space = Space()
    small, large = space.within_step((2, 3), np.float32), space.within_step((4, 5), np.float64)
    again = space.within_step((3, 2), np.float32)
    assert small.shape == (2, 3) and large.shape == (4, 5) and again.dtype == np.float32
    assert np.shares_memory(large, again) and space.arrays["within step"].nbytes == 4 * 5 * 8
