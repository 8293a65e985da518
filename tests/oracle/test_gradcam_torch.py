"""Grad-CAM on the shipped models against an autograd Grad-CAM written here with torch hooks
(independent of our code: only the weights are shared)."""

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam.datasets import make_shapes
from numpy_gradcam.oracle import to_torch
from tests.conftest import require_torch


def torch_gradcam(torch_model, layer, x, targets, score="logit", device="cpu"):
    """The paper's Grad-CAM with autograd: hook A, backprop y^c, alpha = mean of the gradient."""
    torch = require_torch()
    kept = {}
    handle = getattr(torch_model, layer).register_forward_hook(
        lambda module, inputs, output: kept.__setitem__("A", output))
    logits = torch_model(torch.tensor(x, device=device))
    handle.remove()
    scores = logits if score == "logit" else torch.softmax(logits, dim=1)
    y_c = scores[torch.arange(len(targets)), torch.tensor(targets)]
    (dy_dA,) = torch.autograd.grad(y_c.sum(), kept["A"])
    alpha = dy_dA.mean(dim=(2, 3))
    cam = torch.relu((alpha[:, :, None, None] * kept["A"]).sum(dim=1))
    return [t.detach().cpu().numpy() for t in (kept["A"], dy_dA, alpha, cam)]


@pytest.mark.oracle
@pytest.mark.parametrize("name", ["tinycnn-gap", "tinycnn-fc", "tinycnn-biased"])
@pytest.mark.parametrize("score", ["logit", "softmax"])
def test_gradcam_stages_equal_a_torch_autograd_gradcam(name, score):
    torch = require_torch()
    model = ng.load_model(name)
    x, labels, _ = make_shapes(4, seed=77)
    targets = [int(t) for t in (labels + 1) % 4]                      # not always the predicted
    e = ng.explain(model, x, target=targets, score=score)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        torch_model = to_torch(model, device=device)
        A, dy_dA, alpha, cam = torch_gradcam(torch_model, model.target_layer, x, targets, score,
                                             device)
        for ours, theirs, what in ((e.activations, A, "A"), (e.gradients, dy_dA, "dy_dA"),
                                   (e.weights, alpha, "alpha"), (e.cam, cam, "cam")):
            scale = max(1.0, np.abs(theirs).max())
            err = np.abs(ours - theirs).max() / scale
            assert err <= 1e-10, f"{name} {device} {what}: {err:.2e}"
