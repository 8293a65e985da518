"""The MBConv block and TensorFlow's "same" padding: the block's backward pass is its forward read
backwards, checked by finite differences (float64, central, random upstream gradient, away from
ReLU6's kinks at 0 and 6) through the input, the block's output and every parameter, with and
without the identity skip, expand ratio 1 and 6, static and dynamic padding; and the padding rule
on literal cases."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from numpy_gradcam import nn
from numpy_gradcam.nn.mbconv import (
    BN_EPS,
    BN_MOMENTUM,
    Conv2dSamePadding,
    MBConvBlock,
    same_padding,
)
from tests.gradcheck import assert_model_gradients, randomise_batchnorm


def block_model(in_channels, out_channels, kernel, stride, expand, image_size, seed):
    """``block`` → GAP → ``fc``, with random BatchNorm statistics and affine parameters."""
    rng = np.random.default_rng(seed)
    block = MBConvBlock(in_channels, out_channels, kernel, stride, expand, image_size, rng=rng)
    model = nn.Sequential([("block", block), ("gap", nn.GlobalAvgPool2d()),
                           ("fc", nn.Linear(out_channels, 3, rng=rng))])
    return randomise_batchnorm(model, rng)


def relu6_inputs(trace):
    """Every ReLU6 input of the block: the kinks (0 and 6) a finite difference must avoid."""
    return [trace.outputs[name] for name in ("block._bn0", "block._bn1") if name in trace.outputs]


@pytest.mark.parametrize("expand", [1, 6])
@pytest.mark.parametrize("skip", [True, False])
@settings(max_examples=8)
@given(kernel=st.sampled_from([3, 5]), H=st.integers(3, 6), W=st.integers(3, 6),
       static=st.sampled_from(["dynamic", "input's size", "another size"]),
       seed=st.integers(0, 2**32 - 1), data=st.data())
def test_block_gradients_match_finite_differences(expand, skip, kernel, H, W, static, seed,
                                                  data):
    if skip:
        c_in = c_out = data.draw(st.integers(1, 2), label="channels")
        stride = 1
    else:                                     # a stride, a change of channels, or both
        c_in, c_out, stride = data.draw(st.sampled_from([(2, 3, 1), (2, 2, 2), (1, 2, 2)]),
                                        label="channels in, out, stride")
    image_size = {"dynamic": None, "input's size": (H, W), "another size": (H + 1, W + 2)}[static]
    model = block_model(c_in, c_out, kernel, stride, expand, image_size, seed)
    block = model["block"]
    assert block.skip == skip and ("block._expand_conv" in model.layer_names) == (expand != 1)
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal((2, c_in, H, W))
    trace = model.trace(x)
    margin = 1e-3
    assume(all((np.abs(z).min() > margin) and (np.abs(z - 6).min() > margin)
               for z in relu6_inputs(trace)))
    dy = rng.standard_normal((2, 3))
    assert_model_gradients(model, x, dy, "block")


def test_names_are_the_ports_in_its_order():
    assert MBConvBlock(16, 24, 3, 2, 6).layer_names == [
        "_expand_conv", "_bn0", "_depthwise_conv", "_bn1", "_project_conv", "_bn2", "_swish"]
    block = MBConvBlock(32, 16, 3, 1, 1)
    assert block.layer_names == ["_depthwise_conv", "_bn1", "_project_conv", "_bn2", "_swish"]
    assert block["_depthwise_conv"].groups == 32 and block["_depthwise_conv"].params[
        "weight"].shape == (32, 1, 3, 3)
    assert "bias" not in block["_depthwise_conv"].params
    assert (block["_bn1"].eps, block["_bn1"].momentum) == (BN_EPS, BN_MOMENTUM) == (1e-3, 1 - 0.99)


def test_the_relu6_called_twice_is_recorded_at_its_last_call():
    model = block_model(2, 2, 3, 1, 6, None, 0)
    trace = model.trace(np.random.default_rng(1).standard_normal((1, 2, 4, 4)))
    np.testing.assert_array_equal(trace.outputs["block._swish"],
                                  np.clip(trace.outputs["block._bn1"], 0, 6))
    assert len(trace.calls["block._swish"]) == 2


def test_skip_adds_the_input():
    model = block_model(2, 2, 3, 1, 6, None, 0)
    x = np.random.default_rng(1).standard_normal((1, 2, 5, 5))
    trace = model.trace(x)
    np.testing.assert_array_equal(trace.outputs["block"], trace.outputs["block._bn2"] + x)


# --- TensorFlow's "same" padding ---------------------------------------------------------------

def test_same_padding_literal_cases():
    # 3×3 stride 2: an even size needs 1 zero (after), an odd one 2 (one each side)
    assert same_padding(224, 3, 2) == (0, 1) and same_padding(4, 3, 2) == (0, 1)
    assert same_padding(5, 3, 2) == (1, 1)
    # 5×5 stride 2: (1, 2) on even sizes, (2, 2) on odd; stride 1 pads k - 1 whatever the size
    assert same_padding(56, 5, 2) == (1, 2) and same_padding(7, 5, 2) == (2, 2)
    assert same_padding(7, 5, 1) == same_padding(8, 5, 1) == (2, 2)
    assert same_padding(9, 1, 1) == same_padding(9, 1, 2) == (0, 0)
    assert same_padding(1, 3, 2) == (1, 1)           # one pixel: its 3×3 window centred


@given(size=st.integers(1, 70), kernel=st.integers(1, 7), stride=st.integers(1, 3))
def test_same_padding_gives_ceil_size_over_stride(size, kernel, stride):
    before, after = same_padding(size, kernel, stride)
    assert (size + before + after - kernel) // stride + 1 == -(-size // stride)
    assert 0 <= after - before <= 1


def box_depthwise(image_size=None):
    """A depthwise 3×3 stride-2 convolution of 2 channels: a box sum, and twice a box sum."""
    conv = Conv2dSamePadding(2, 2, 3, 2, bias=False, groups=2, image_size=image_size)
    conv.params["weight"] = np.stack([np.ones((1, 3, 3)), 2 * np.ones((1, 3, 3))])
    return conv


def test_stride2_depthwise_on_an_even_size_pads_bottom_right():
    # x[r, c] = 4r + c on 4×4: one zero row below and column right, windows at rows/cols 0 and 2:
    # out[0,0] = Σ x[0:3, 0:3] = 45;  out[0,1] = Σ x[0:3, 2:4] = 39
    # out[1,0] = Σ x[2:4, 0:3] = 66;  out[1,1] = Σ x[2:4, 2:4] = 50
    x = np.arange(16.0).reshape(1, 1, 4, 4).repeat(2, axis=1)
    out, _ = box_depthwise().forward(x)
    expected = np.array([[45.0, 39.0], [66.0, 50.0]])
    np.testing.assert_array_equal(out, np.stack([expected, 2 * expected])[None])


def test_stride2_depthwise_on_an_odd_size_pads_both_sides():
    # x[r, c] = 5r + c on 5×5, one zero row/column on every side, windows centred on 0, 2, 4:
    # out[0,0] = Σ x[0:2, 0:2] = 12, out[0,1] = Σ x[0:2, 1:4] = 27, out[0,2] = Σ x[0:2, 3:5] = 24
    # out[1,0] = Σ x[1:4, 0:2] = 63, out[1,1] = Σ x[1:4, 1:4] = 108, out[1,2] = Σ x[1:4, 3:5] = 81
    # out[2,0] = Σ x[3:5, 0:2] = 72, out[2,1] = Σ x[3:5, 1:4] = 117, out[2,2] = Σ x[3:5, 3:5] = 84
    x = np.arange(25.0).reshape(1, 1, 5, 5).repeat(2, axis=1)
    conv = box_depthwise()
    out, cache = conv.forward(x)
    expected = np.array([[12.0, 27.0, 24.0], [63.0, 108.0, 81.0], [72.0, 117.0, 84.0]])
    np.testing.assert_array_equal(out, np.stack([expected, 2 * expected])[None])
    # the input gradient of an all-ones dout counts the windows that see each pixel
    dx = conv.backward_input(np.ones_like(out), cache)
    counts = np.array([1, 2, 1, 2, 1])
    np.testing.assert_array_equal(dx[0, 0], np.outer(counts, counts))
    np.testing.assert_array_equal(dx[0, 1], 2 * np.outer(counts, counts))


def test_static_padding_keeps_the_image_sizes_padding_for_any_input():
    # Padded as for 224 (0 before, 1 after), a 5×5 input becomes 6×6 and gives 2×2 windows at
    # 0 and 2: out[0,0] = Σ x[0:3, 0:3] = 54, out[0,1] = Σ x[0:3, 2:5] = 72,
    # out[1,0] = Σ x[2:5, 0:3] = 144, out[1,1] = Σ x[2:5, 2:5] = 162.
    x = np.arange(25.0).reshape(1, 1, 5, 5).repeat(2, axis=1)
    conv = box_depthwise(image_size=224)
    assert conv.zero_padding((5, 5)) == (0, 1, 0, 1) == conv.zero_padding((224, 224))
    out, cache = conv.forward(x)
    np.testing.assert_array_equal(out[0, 0], [[54.0, 72.0], [144.0, 162.0]])
    assert conv.backward_input(np.ones_like(out), cache).shape == x.shape


def test_state_dict_is_conv2ds():
    conv = Conv2dSamePadding(4, 4, 5, 2, bias=False, groups=4, image_size=(56, 56))
    assert list(conv.params) == ["weight"] and conv.params["weight"].shape == (4, 1, 5, 5)
    assert isinstance(conv, nn.Conv2d) and conv.padding == (0, 0)
    with pytest.raises(ValueError, match="image_size"):
        Conv2dSamePadding(4, 4, 5, image_size=0)
