"""Grouped and depthwise ``Conv2d`` against ``torch.nn.functional.conv2d(groups=...)`` autograd:
the forward, the input gradient (also with a leading target axis), and the weight and bias
gradients. float64 agreement ≤ 1e-10 relative, float32 ≤ 1e-5.
"""

import numpy as np
import pytest

from numpy_gradcam import nn

TOL = {np.float64: 1e-10, np.float32: 1e-5}

# (N, C, F, groups, (H, W), kernel, stride, padding, bias)
CONFIGS = {
    "depthwise 3x3 stride 1": (2, 8, 8, 8, (9, 9), 3, 1, 1, True),
    "depthwise 3x3 stride 2": (2, 8, 8, 8, (9, 10), 3, 2, 1, True),
    "depthwise 5x5 stride 2, no bias": (3, 6, 6, 6, (11, 8), 5, 2, 2, False),
    "depthwise, 2 filters per channel": (2, 4, 8, 4, (7, 7), 3, (2, 1), (1, 0), True),
    "2 groups": (2, 6, 4, 2, (8, 7), 3, 1, 1, True),
    "3 groups, stride 2, 1x3 kernel": (2, 6, 9, 3, (7, 9), (1, 3), 2, (0, 1), True),
    "1 group": (2, 3, 5, 1, (6, 6), 2, (1, 2), 1, True),
}


def relative_error(ours, theirs):
    return float(np.abs(ours - theirs).max()) / max(float(np.abs(theirs).max()), 1e-300)


@pytest.mark.oracle
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_grouped_conv_forward_and_gradients_equal_torch(torch, name, dtype):
    N, C, F, groups, (H, W), kernel, stride, padding, bias = CONFIGS[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    layer = nn.Conv2d(C, F, kernel, stride=stride, padding=padding, bias=bias, groups=groups,
                      rng=rng)
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    out, cache = layer.forward(x)
    dout = rng.standard_normal(out.shape).astype(dtype)
    dx, grads = layer.backward(dout, cache)

    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(layer.params["weight"], dtype=tdtype, requires_grad=True)
    bt = torch.tensor(layer.params["bias"], dtype=tdtype, requires_grad=True) if bias else None
    out_t = torch.nn.functional.conv2d(xt, wt, bt, stride=layer.stride, padding=layer.padding,
                                       groups=groups)
    (out_t * torch.tensor(dout)).sum().backward()

    assert out.dtype == dtype and dx.dtype == dtype
    pairs = [("forward", out, out_t), ("input gradient", dx, xt.grad),
             ("weight gradient", grads["weight"], wt.grad)]
    if bias:
        pairs.append(("bias gradient", grads["bias"], bt.grad))
    else:
        assert "bias" not in grads
    for what, ours, theirs in pairs:
        theirs = theirs.detach().numpy()
        assert ours.shape == theirs.shape, what
        err = relative_error(ours, theirs)
        assert err <= TOL[dtype], f"{name}, {what}: relative error {err:.2e} > {TOL[dtype]:.0e}"


@pytest.mark.oracle
@pytest.mark.parametrize("name", ["depthwise 3x3 stride 2", "3 groups, stride 2, 1x3 kernel"])
def test_input_gradient_of_many_targets_equals_one_autograd_call_each(torch, name):
    N, C, F, groups, (H, W), kernel, stride, padding, bias = CONFIGS[name]
    rng = np.random.default_rng(7)
    layer = nn.Conv2d(C, F, kernel, stride=stride, padding=padding, bias=bias, groups=groups,
                      rng=rng)
    x = rng.standard_normal((N, C, H, W))
    out, cache = layer.forward(x)
    douts = rng.standard_normal((3, *out.shape))                   # 3 targets at once
    dx = layer.backward_input(douts, cache)
    assert dx.shape == (3, *x.shape)
    wt = torch.tensor(layer.params["weight"])
    bt = torch.tensor(layer.params["bias"]) if bias else None
    for t in range(3):
        xt = torch.tensor(x, requires_grad=True)
        out_t = torch.nn.functional.conv2d(xt, wt, bt, stride=layer.stride,
                                           padding=layer.padding, groups=groups)
        (out_t * torch.tensor(douts[t])).sum().backward()
        err = relative_error(dx[t], xt.grad.numpy())
        assert err <= TOL[np.float64], f"{name}, target {t}: relative error {err:.2e}"
