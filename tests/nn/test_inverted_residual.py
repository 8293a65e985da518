"""MobileNetV2's inverted residual block: its backward pass is its forward read backwards,
checked by finite differences (float64, central, random upstream gradient, away from ReLU6's
kinks at 0 and 6) with and without the residual connection, expansion factor 1 and 6, through the
input, the block's output and every parameter; and its torchvision names."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from numpy_gradcam import nn
from numpy_gradcam.nn.inverted_residual import InvertedResidual
from tests.gradcheck import assert_model_gradients, randomise_batchnorm

#: How far every ReLU6 input must stay from 0 and 6: a step h = 1e-5 of an input or a weight
#: moves a pre-activation by far less, so no finite difference straddles a kink.
MARGIN = 1e-3


def block_model(expand_ratio, inp, oup, stride, seed):
    """``block`` → GAP → ``fc``, with random BatchNorm statistics and affine parameters (the
    shifts wide enough that some ReLU6 inputs pass 6, so the cap is exercised)."""
    rng = np.random.default_rng(seed)
    model = nn.Sequential([("block", InvertedResidual(inp, oup, stride, expand_ratio, rng=rng)),
                           ("gap", nn.GlobalAvgPool2d()), ("fc", nn.Linear(oup, 3, rng=rng))])
    return randomise_batchnorm(model, rng, bias_scale=3.0)      # past 6: the cap


def relu6_inputs(model, trace):
    """Every ReLU6's input (its cache): the kinks a finite difference must stay away from."""
    return [trace.caches[name] for name, leaf in model.named_leaves()
            if isinstance(leaf, nn.ReLU6)]


@given(expand_ratio=st.sampled_from([1, 6]), residual=st.booleans(), inp=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
def test_block_gradients_match_finite_differences(expand_ratio, residual, inp, seed):
    # With the residual connection: stride 1 and as many channels out as in; without: a stride
    # of 2 or a change of channels, drawn from the seed.
    stride, oup = (1, inp) if residual else [(2, inp), (1, inp + 1), (2, inp + 2)][seed % 3]
    model = block_model(expand_ratio, inp, oup, stride, seed)
    assert model["block"].use_res_connect == residual
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal((2, inp, 4, 5))
    trace = model.trace(x)
    assume(all(np.abs(z).min() > MARGIN and np.abs(z - 6).min() > MARGIN
               for z in relu6_inputs(model, trace)))
    dy = rng.standard_normal((2, 3))
    assert_model_gradients(model, x, dy, "block")              # through the sum, if any


@pytest.mark.parametrize("stride, oup, residual", [(1, 4, True), (2, 4, False), (1, 5, False)])
def test_the_block_adds_its_input_only_when_shape_allows(stride, oup, residual):
    """out = x + F(x) with stride 1 and C_in = C_out, else F(x): the branch ``conv``'s output."""
    model = block_model(6, 4, oup, stride, seed=0)
    x = np.random.default_rng(1).standard_normal((2, 4, 6, 5))
    trace = model.trace(x)
    branch = trace.outputs["block.conv"]
    assert branch.shape == (2, oup, 6 // stride, 5 // stride + (5 % stride))
    expected = x + branch if residual else branch
    np.testing.assert_array_equal(trace.outputs["block"], expected)
    dy = np.random.default_rng(2).standard_normal((2, 3))
    # the residual sum passes the gradient at its output unchanged to the branch
    np.testing.assert_array_equal(model.backward_to(trace, dy, "block.conv"),
                                  model.backward_to(trace, dy, "block"))


def test_names_and_state_dict_keys_are_torchvisions():
    expand = block_model(6, 2, 3, 2, seed=0)
    assert expand.layer_names == [
        "block", "block.conv", "block.conv.0", "block.conv.0.0", "block.conv.0.1",
        "block.conv.0.2", "block.conv.1", "block.conv.1.0", "block.conv.1.1", "block.conv.1.2",
        "block.conv.2", "block.conv.3", "gap", "fc"]
    assert expand["block"].hidden_dim == 12
    assert expand["block.conv.1.0"].groups == 12                        # depthwise
    assert expand["block.conv.1.0"].stride == (2, 2)
    assert [type(expand[f"block.conv.{i}.2"]).__name__ for i in (0, 1)] == ["ReLU6"] * 2
    no_expand = block_model(1, 2, 2, 1, seed=0)
    assert no_expand.layer_names == [
        "block", "block.conv", "block.conv.0", "block.conv.0.0", "block.conv.0.1",
        "block.conv.0.2", "block.conv.1", "block.conv.2", "gap", "fc"]
    keys = list(no_expand.state_dict())
    assert keys[:7] == ["block.conv.0.0.weight", "block.conv.0.1.weight", "block.conv.0.1.bias",
                        "block.conv.0.1.running_mean", "block.conv.0.1.running_var",
                        "block.conv.0.1.num_batches_tracked", "block.conv.1.weight"]
    assert "block.conv.0.0.bias" not in keys                            # BatchNorm has one


def test_a_stride_other_than_1_or_2_is_refused_by_name():
    with pytest.raises(ValueError, match=r"stride must be 1 or 2 .*got 3"):
        InvertedResidual(2, 2, 3, 6)
