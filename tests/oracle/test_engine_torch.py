"""Every layer and the whole model against PyTorch autograd: forward and backward.

float64 agreement ≤ 1e-10, float32 ≤ 1e-5; on CUDA as well when a GPU is present.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numpy_gradcam import nn
from numpy_gradcam.models import reference_net, tinycnn_fc, tinycnn_gap
from numpy_gradcam.oracle import to_torch
from tests.conftest import require_torch

TOL = {np.float64: 1e-10, np.float32: 1e-5}


def devices():
    torch = require_torch()
    return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def torch_grads(torch_model, x, dy, layer_names=(), device="cpu"):
    """Autograd: logits, ∂(Σ dy·logits)/∂x, parameter grads, and grads at named layer outputs."""
    torch = require_torch()
    xt = torch.tensor(x, requires_grad=True, device=device)
    kept, handles = {}, []
    for name in layer_names:
        def hook(module, inputs, output, name=name):
            output.retain_grad()
            kept[name] = output
        handles.append(getattr(torch_model, name).register_forward_hook(hook))
    logits = torch_model(xt)
    (logits * torch.tensor(dy, device=xt.device)).sum().backward()
    for h in handles:
        h.remove()
    return (logits.detach().cpu().numpy(), xt.grad.cpu().numpy(),
            {k: p.grad.cpu().numpy() for k, p in torch_model.named_parameters()},
            {k: v.grad.cpu().numpy() for k, v in kept.items()})


def assert_close(ours, theirs, dtype, what):
    scale = max(1.0, float(np.abs(theirs).max()))
    err = float(np.abs(ours - theirs).max()) / scale
    assert err <= TOL[dtype], f"{what}: max error {err:.2e} > {TOL[dtype]:.0e}"


@st.composite
def layer_cases(draw):
    kind = draw(st.sampled_from(["conv", "maxpool", "avgpool", "linear", "relu", "gap", "flatten",
                                 "relu6", "dropout", "identity", "zeropad", "adaptive",
                                 "depthwise"]))
    k = draw(st.integers(1, 3))
    s = draw(st.integers(1, 3))
    p = draw(st.integers(0, k // 2))
    return kind, k, s, p, draw(st.integers(0, 2**32 - 1))


def build_layer(kind, k, s, p, rng, torch):
    C, F = 3, 4
    if kind == "conv":
        return nn.Conv2d(C, F, k, stride=s, padding=p, rng=rng), (2, C, 7, 6)
    if kind == "depthwise":                                  # through to_torch's groups
        return nn.Conv2d(C, 2 * C, k, stride=s, padding=p, groups=C, rng=rng), (2, C, 7, 6)
    if kind == "maxpool":
        return nn.MaxPool2d(k + 1, stride=s, padding=min(p, (k + 1) // 2)), (2, C, 7, 6)
    if kind == "avgpool":
        return nn.AvgPool2d(k + 1, stride=s, padding=min(p, (k + 1) // 2)), (2, C, 7, 6)
    if kind == "relu6":
        return nn.ReLU6(), (2, C, 4, 4)
    if kind == "dropout":
        return nn.Dropout(0.3), (2, C, 4, 4)                 # evaluation: the identity
    if kind == "identity":
        return nn.Identity(), (2, C, 3, 3)
    if kind == "zeropad":
        return nn.ZeroPad2d((p, k, s, 0)), (2, C, 4, 5)      # asymmetric
    if kind == "adaptive":
        return nn.AdaptiveAvgPool2d((k + 1, s + 2)), (2, C, 7, 6)
    if kind == "linear":
        return nn.Linear(5, F, rng=rng), (3, 5)
    if kind == "relu":
        return nn.ReLU(), (2, C, 4, 4)
    if kind == "gap":
        return nn.GlobalAvgPool2d(), (2, C, 4, 5)
    return nn.Flatten(), (2, C, 3, 2)


@pytest.mark.oracle
@given(layer_cases(), st.sampled_from([np.float64, np.float32]))
def test_each_layer_forward_and_backward_equal_torch(case, dtype):
    torch = require_torch()
    kind, k, s, p, seed = case
    rng = np.random.default_rng(seed)
    layer, shape = build_layer(kind, k, s, p, rng, torch)
    model = nn.Sequential([("layer", layer)])
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    torch_model = to_torch(model, dtype=tdtype)
    # Integers in a small range give max-pool ties, which must be routed as torch routes them.
    x = (rng.integers(-2, 3, shape) if kind == "maxpool" else rng.standard_normal(shape))
    x = x.astype(dtype)
    out, cache = layer.forward(x)
    dout = rng.standard_normal(out.shape).astype(dtype)
    dx, grads = layer.backward(dout, cache)
    t_out, t_dx, t_grads, _ = torch_grads(torch_model, x, dout)
    assert out.dtype == dtype and dx.dtype == dtype
    assert_close(out, t_out, dtype, f"{kind} forward")
    assert_close(dx, t_dx, dtype, f"{kind} input gradient")
    for name, g in grads.items():
        assert_close(g, t_grads[f"layer.{name}"], dtype, f"{kind} {name} gradient")


@pytest.mark.oracle
@pytest.mark.parametrize("train", [False, True])
def test_batchnorm_equals_torch_in_both_modes(train):
    require_torch()
    rng = np.random.default_rng(0)
    bn = nn.BatchNorm2d(3)
    bn.params["weight"] = rng.uniform(0.5, 2, 3)
    bn.params["bias"] = rng.standard_normal(3)
    bn.buffers["running_mean"] = rng.standard_normal(3)
    bn.buffers["running_var"] = rng.uniform(0.5, 2, 3)
    model = nn.Sequential([("bn", bn)])
    torch_model = to_torch(model).train(train)
    x = rng.standard_normal((4, 3, 5, 5))
    dout = rng.standard_normal(x.shape)
    out, cache = bn.forward(x, train=train)
    dx, grads = bn.backward(dout, cache)
    t_out, t_dx, t_grads, _ = torch_grads(torch_model, x, dout)
    assert_close(out, t_out, np.float64, "forward")
    assert_close(dx, t_dx, np.float64, "input gradient")
    assert_close(grads["weight"], t_grads["bn.weight"], np.float64, "gamma gradient")
    assert_close(grads["bias"], t_grads["bn.bias"], np.float64, "beta gradient")
    for name in ("running_mean", "running_var"):
        assert_close(bn.buffers[name], getattr(torch_model.bn, name).numpy(), np.float64, name)
    assert int(bn.buffers["num_batches_tracked"]) == int(torch_model.bn.num_batches_tracked)


def trained_like(model, seed):
    """Give BatchNorm layers non-trivial statistics, as a trained model has."""
    rng = np.random.default_rng(seed)
    for layer in model.layers.values():
        if isinstance(layer, nn.BatchNorm2d):
            C = layer.num_features
            layer.params["weight"] = rng.uniform(0.5, 1.5, C)
            layer.params["bias"] = rng.normal(0, 0.2, C)
            layer.buffers["running_mean"] = rng.normal(0, 0.2, C)
            layer.buffers["running_var"] = rng.uniform(0.5, 1.5, C)
    return model


MODELS = {
    "reference": (lambda: reference_net(seed=1), "relu3", (2, 3, 32, 32)),
    "gap": (lambda: trained_like(tinycnn_gap(seed=2), 2), "relu4", (2, 3, 64, 64)),
    "fc": (lambda: trained_like(tinycnn_fc(seed=3), 3), "relu4", (2, 3, 64, 64)),
}


@pytest.mark.oracle
@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_whole_model_equals_torch(name, dtype):
    torch = require_torch()
    build, layer, shape = MODELS[name]
    model = build()
    rng = np.random.default_rng(4)
    x = rng.random(shape).astype(dtype)
    dy = rng.standard_normal((shape[0], model.num_classes)).astype(dtype)
    for device in devices():
        tdtype = torch.float64 if dtype == np.float64 else torch.float32
        torch_model = to_torch(model, dtype=tdtype, device=device)
        t_logits, t_dx, t_grads, t_layer = torch_grads(torch_model, x, dy, (layer, "pool1"), device)
        trace = model.trace(x)
        assert_close(trace.logits, t_logits, dtype, f"{device} logits")
        dx, grads = model.backward(trace, dy)
        assert_close(dx, t_dx, dtype, f"{device} input gradient")
        for key, g in grads.items():
            assert_close(g, t_grads[key], dtype, f"{device} {key} gradient")
        for key in (layer, "pool1"):
            ours = model.backward_to(trace, dy, key)
            assert_close(ours, t_layer[key], dtype, f"{device} d/d{key}")


@pytest.mark.oracle
def test_guided_rule_equals_hook_based_torch_guided_backprop():
    torch = require_torch()
    model = trained_like(tinycnn_gap(seed=5), 5)
    x = np.random.default_rng(6).random((2, 3, 64, 64))
    dy = np.eye(4)[[1, 3]]
    torch_model = to_torch(model)

    def guided(module, grad_input, grad_output):
        # torch's ReLU backward already applies [x > 0]; guided keeps only positive gradient.
        return (torch.clamp(grad_input[0], min=0.0),)

    handles = [m.register_full_backward_hook(guided) for m in torch_model.modules()
               if isinstance(m, torch.nn.ReLU)]
    _, t_dx, _, _ = torch_grads(torch_model, x, dy)
    for h in handles:
        h.remove()
    ours = model.backward_to_input(model.trace(x), dy, rule="guided")
    assert_close(ours, t_dx, np.float64, "guided backprop saliency")
    assert np.abs(ours).max() > 0


@pytest.mark.oracle
def test_multi_target_backward_equals_one_autograd_call_per_class():
    require_torch()
    model = trained_like(tinycnn_gap(seed=7), 7)
    x = np.random.default_rng(8).random((2, 3, 64, 64))
    C = model.num_classes
    seeds = np.broadcast_to(np.eye(C)[:, None, :], (C, 2, C))      # every class of every image
    ours = model.backward_to(model.trace(x), seeds, "relu4")          # one pass
    torch_model = to_torch(model)
    for c in range(C):
        _, _, _, t_layer = torch_grads(torch_model, x, seeds[c], ("relu4",))
        assert_close(ours[c], t_layer["relu4"], np.float64, f"class {c}")
