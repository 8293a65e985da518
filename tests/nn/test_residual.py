"""Residual blocks: the backward pass of a block is its forward read backwards, checked by
finite differences (float64, random upstream gradient, away from the ReLU kinks) through a block
with and without a projection shortcut, and a container's names and state_dict keys."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from numpy_gradcam import nn
from numpy_gradcam.nn.residual import BasicBlock, Bottleneck, downsample
from tests.gradcheck import assert_model_gradients, randomise_batchnorm


def block_model(kind, inplanes, planes, stride, seed):
    """``block`` → GAP → ``fc``, with random BatchNorm statistics and affine parameters."""
    rng = np.random.default_rng(seed)
    cls = {"basic": BasicBlock, "bottleneck": Bottleneck}[kind]
    out = planes * cls.expansion
    shortcut = downsample(inplanes, out, stride, rng) if stride != 1 or inplanes != out else None
    model = nn.Sequential([("block", cls(inplanes, planes, stride, shortcut, rng=rng)),
                           ("gap", nn.GlobalAvgPool2d()), ("fc", nn.Linear(out, 3, rng=rng))])
    return randomise_batchnorm(model, rng)


def pre_relu(model, trace):
    """Every ReLU input of the block: the kinks a finite difference must stay away from."""
    out = trace.outputs
    sums = out["block.bn2" if "block.bn3" not in out else "block.bn3"] + (
        out["block.downsample"] if "block.downsample" in out else trace.x)
    firsts = [out["block.bn1"]] + ([out["block.bn2"]] if "block.bn3" in out else [])
    return firsts + [sums]


@given(kind=st.sampled_from(["basic", "bottleneck"]), stride=st.integers(1, 2),
       inplanes=st.integers(2, 4), planes=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_block_gradients_match_finite_differences(kind, stride, inplanes, planes, seed):
    model = block_model(kind, inplanes, planes, stride, seed)
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal((2, inplanes, 5, 5))
    trace = model.trace(x)
    assume(all(np.abs(z).min() > 1e-3 for z in pre_relu(model, trace)))
    dy = rng.standard_normal((2, 3))
    assert_model_gradients(model, x, dy, "block")


def test_the_relu_called_twice_is_recorded_at_its_last_call():
    """layer.relu is the block's output: its last call, as a torch forward hook keeps it."""
    model = block_model("basic", 2, 2, 1, 0)
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 4))
    trace = model.trace(x)
    np.testing.assert_array_equal(trace.outputs["block.relu"], trace.outputs["block"])
    assert len(trace.calls["block.relu"]) == 2 and len(trace.calls["block.conv1"]) == 1
    dy = np.ones((1, 3))
    np.testing.assert_array_equal(model.backward_to(trace, dy, "block.relu"),
                                  model.backward_to(trace, dy, "block"))


def test_names_and_state_dict_keys_are_torchvisions():
    model = block_model("bottleneck", 4, 2, 2, 0)
    assert model.layer_names == [
        "block", "block.conv1", "block.bn1", "block.conv2", "block.bn2", "block.conv3",
        "block.bn3", "block.relu", "block.downsample", "block.downsample.0",
        "block.downsample.1", "gap", "fc"]
    keys = list(model.state_dict())
    assert keys[:6] == ["block.conv1.weight", "block.bn1.weight", "block.bn1.bias",
                        "block.bn1.running_mean", "block.bn1.running_var",
                        "block.bn1.num_batches_tracked"]
    assert "block.downsample.0.weight" in keys and "block.downsample.1.running_var" in keys
    assert isinstance(model["block.downsample.1"], nn.BatchNorm2d)
    with pytest.raises(ValueError, match=r"layer must be one of block, block\.conv1"):
        model["block.conv9"]
