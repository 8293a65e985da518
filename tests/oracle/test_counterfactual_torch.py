"""``counterfactual=True`` with every gradient method's weights, against torch (issue 21).

The counterfactual explanation uses ``-∂y^c/∂A`` (DESIGN.md): it explains the score ``-y^c``.
So its oracle is the torch copy of the model with one more module at the end, ``Negate``, whose
logits are ``-y``: each method's weights are computed there with autograd exactly as for the
plain explanation, with nothing of our counterfactual code involved. Grad-CAM++ in the paper's
form explains ``Y = exp(-S^c)`` then, and its higher derivatives are computed by forward-mode
autograd through the negated model (``derivatives_of_exp_score``), not from the closed form.
"""

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam.oracle import to_torch
from tests.conftest import require_torch
from tests.oracle.test_methods_torch import close, derivatives_of_exp_score, gradient

MODELS = ["tinycnn-gap", "tinycnn-fc"]


@pytest.fixture(scope="module")
def batch():
    x, labels, _ = ng.datasets.make_shapes(2, seed=78)
    return x, [int(t) for t in (labels + 2) % 4]                       # not the predicted class


def negated(model):
    """The torch copy of ``model`` followed by ``-logits``."""
    torch = require_torch()

    class Negate(torch.nn.Module):
        def forward(self, y):
            return -y

    tm = to_torch(model)
    tm.add_module("negate", Negate())
    return tm


def expected_weights(A, g):
    """Each gradient method's weights from the activations and gradients (of ``-y^c``)."""
    torch = require_torch()
    sum_A = A.sum(dim=(2, 3), keepdim=True)
    a_pp = torch.where(g != 0, g ** 2 / (2 * g ** 2 + sum_A * g ** 3 + 1e-6), 0.0)
    safe = torch.where(sum_A != 0, sum_A, torch.ones_like(sum_A))
    return {
        ("gradcam", None): g.mean(dim=(2, 3)),
        ("guided-gradcam", None): g.mean(dim=(2, 3)),
        ("gradcam++", "pytorch-grad-cam"): (torch.relu(g) * a_pp).sum(dim=(2, 3)),
        ("xgradcam", None): torch.where(sum_A[..., 0, 0] != 0,
                                        (g * A).sum(dim=(2, 3)) / safe[..., 0, 0], 0.0),
        ("hirescam", None): g,
        ("layercam", None): torch.relu(g),
    }


@pytest.mark.oracle
@pytest.mark.parametrize("name", MODELS)
def test_counterfactual_weights_of_every_gradient_method(name, batch):
    torch = require_torch()
    x, targets = batch
    model = ng.load_model(name)
    _logits, A, g = gradient(negated(model), model.target_layer, x, targets)
    plain_g = gradient(to_torch(model), model.target_layer, x, targets)[2]
    np.testing.assert_allclose(g.numpy(), -plain_g.numpy(), rtol=1e-12)   # the oracle is -y^c
    for (method, form), weights in expected_weights(A, g).items():
        options = {"gradcampp_form": form} if form else {}
        e = ng.explain(model, x, target=targets, method=method, counterfactual=True, **options)
        w = weights if weights.ndim == 4 else weights[:, :, None, None]
        close(e.weights, weights.numpy(), f"{name} {method} counterfactual weights")
        close(e.cam, torch.relu((w * A).sum(dim=1)).numpy(), f"{name} {method} counterfactual cam")


@pytest.mark.oracle
def test_counterfactual_gradcam_plusplus_paper_form_explains_exp_of_minus_the_score(batch):
    """``w_k = Σ α relu(∂Y/∂A)`` with ``Y = exp(-S^c)`` and α from autograd's second and third
    derivatives of ``Y``, on the 4 channels of largest ``Σ relu(g)·A`` per image (tinycnn-gap
    only: the nested forward-mode derivatives cost 5 s on tinycnn-fc and check the same code)."""
    torch = require_torch()
    x, targets = batch
    name = "tinycnn-gap"
    model = ng.load_model(name)
    tm = negated(model)
    _logits, A, g = gradient(tm, model.target_layer, x, targets)
    e = ng.explain(model, x, target=targets, method="gradcam++", counterfactual=True)
    for n in range(len(targets)):
        channels = torch.argsort((torch.relu(g[n]) * A[n]).sum(dim=(1, 2)))[-4:].tolist()
        d1, d2, d3 = derivatives_of_exp_score(tm, model.target_layer, A[n:n + 1],
                                              targets[n:n + 1], channels)
        denominator = 2 * d2 + A[n:n + 1, channels].sum(dim=(2, 3), keepdim=True) * d3
        safe = torch.where(denominator != 0, denominator, torch.ones_like(denominator))
        alpha = torch.where(denominator != 0, d2 / safe, torch.zeros_like(d2))
        w = (alpha * torch.relu(d1)).sum(dim=(2, 3))[0]
        assert (w > 0).all()
        close(e.weights[n, channels], w.numpy(), f"{name} counterfactual gradcam++ w, image {n}")
