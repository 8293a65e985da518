"""Every method of the family against an implementation written here with torch autograd,
hooks and torch's own ops (interpolate, SVD-free eigh, fold), independent of our code: only
the weights are shared. Compared in float64 before any normalisation or upsampling (except
where the method itself upsamples: Score-CAM's masks, guided Grad-CAM's heatmap), to 1e-10.

Grad-CAM++'s higher derivatives are *computed* here (forward-mode autograd, nested three times,
along every one-hot direction of A) rather than taken from the closed form, so the test also
checks the paper's exp trick: that ∂²Y/∂A² = exp(S) g² and ∂³Y/∂A³ = exp(S) g³.
"""

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam.datasets import make_shapes
from numpy_gradcam.oracle import to_torch
from tests.conftest import require_torch

MODELS = ["tinycnn-gap", "tinycnn-fc", "tinycnn-biased"]
TOL = 1e-10


@pytest.fixture(scope="module")
def batch():
    x, labels, _ = make_shapes(2, seed=77)
    return x, [int(t) for t in (labels + 1) % 4]                       # not always the predicted


def close(ours, theirs, what):
    theirs = np.asarray(theirs)
    scale = max(1.0, np.abs(theirs).max())
    err = np.abs(ours - theirs).max() / scale
    assert err <= TOL, f"{what}: {err:.2e}"


def hooked(torch_model, layer, x):
    """Logits and the activations A of ``layer`` (kept in the graph)."""
    torch = require_torch()
    kept = {}
    handle = getattr(torch_model, layer).register_forward_hook(
        lambda module, inputs, output: kept.__setitem__("A", output))
    logits = torch_model(torch.as_tensor(x))
    handle.remove()
    return logits, kept["A"]


def head(torch_model, layer):
    """The layers after ``layer`` as a torch Sequential."""
    torch = require_torch()
    names = [name for name, _ in torch_model.named_children()]
    return torch.nn.Sequential(*[getattr(torch_model, n) for n in names[names.index(layer) + 1:]])


def gradient(torch_model, layer, x, targets):
    torch = require_torch()
    logits, A = hooked(torch_model, layer, x)
    y = logits[torch.arange(len(targets)), torch.tensor(targets)]
    (g,) = torch.autograd.grad(y.sum(), A)
    return logits.detach(), A.detach(), g


def setup(name, x, targets):
    model = ng.load_model(name)
    tm = to_torch(model)
    return model, tm, gradient(tm, model.target_layer, x, targets)


# --- gradient methods -------------------------------------------------------------------------

def derivatives_of_exp_score(tm, layer, A, targets, channels):
    """d^k/dt^k exp(S^c(A + t e_i)) at t = 0 for k = 1, 2, 3 and every one-hot e_i of the
    given channels: ``(3, N, len(channels), h, w)``."""
    torch = require_torch()
    from torch.func import jvp, vmap
    f_head = head(tm, layer)
    K, h, w = A.shape[1:]
    out = []
    for n, c in enumerate(targets):
        a = A[n]

        def Y(a, c=c):
            return torch.exp(f_head(a[None])[0, c])

        def d1(a, v):
            return jvp(Y, (a,), (v,))[1]

        def d2(a, v):
            return jvp(lambda b: d1(b, v), (a,), (v,))[1]

        def d3(a, v):
            return jvp(lambda b: d2(b, v), (a,), (v,))[1]

        basis = torch.zeros(len(channels), h, w, K, h, w, dtype=a.dtype)
        for row, k in enumerate(channels):
            basis[row, :, :, k] = torch.eye(h * w, dtype=a.dtype).reshape(h, w, h, w)
        basis = basis.reshape(-1, K, h, w)                               # one-hot directions
        ds = vmap(lambda v, a=a: torch.stack([d1(a, v), d2(a, v), d3(a, v)]))(basis)
        out.append(ds.T.reshape(3, len(channels), h, w))
    return torch.stack(out, dim=1).detach()


@pytest.mark.oracle
@pytest.mark.parametrize("name", ["tinycnn-gap", "tinycnn-fc"])
def test_gradcam_plusplus_paper_form_with_autograd_higher_derivatives(name, batch):
    """w_k depends on channel k only: check the 4 channels of largest Σ relu(g)·A per image
    (a full check of all 64 channels costs 16× more and adds nothing)."""
    torch = require_torch()
    x, targets = batch
    model, tm, (_logits, A, g) = setup(name, x, targets)
    e = ng.explain(model, x, target=targets, method="gradcam++")
    for n in range(len(targets)):
        channels = torch.argsort((torch.relu(g[n]) * A[n]).sum(dim=(1, 2)))[-4:].tolist()
        d1, d2, d3 = derivatives_of_exp_score(tm, model.target_layer, A[n:n + 1],
                                              targets[n:n + 1], channels)
        A_n = A[n:n + 1, channels]
        denominator = 2 * d2 + A_n.sum(dim=(2, 3), keepdim=True) * d3
        safe = torch.where(denominator != 0, denominator, torch.ones_like(denominator))
        alpha = torch.where(denominator != 0, d2 / safe, torch.zeros_like(d2))
        w = (alpha * torch.relu(d1)).sum(dim=(2, 3))[0]
        assert (w > 0).all()
        close(e.weights[n, channels], w.numpy(), f"{name} gradcam++ w, image {n}")


@pytest.mark.oracle
@pytest.mark.parametrize("name", MODELS)
def test_gradient_weighted_methods(name, batch):
    torch = require_torch()
    x, targets = batch
    model, _tm, (_logits, A, g) = setup(name, x, targets)
    sum_A = A.sum(dim=(2, 3), keepdim=True)
    # pytorch-grad-cam's Grad-CAM++ (eps 1e-6 in the denominator, α = 0 where g = 0)
    a_pp = g ** 2 / (2 * g ** 2 + sum_A * g ** 3 + 1e-6)
    a_pp = torch.where(g != 0, a_pp, torch.zeros_like(a_pp))
    expected = {
        ("gradcam++", "pytorch-grad-cam"): (torch.relu(g) * a_pp).sum(dim=(2, 3)),
        ("xgradcam", None): torch.where(sum_A[..., 0, 0] != 0, (g * A).sum(dim=(2, 3))
                                        / torch.where(sum_A[..., 0, 0] != 0, sum_A[..., 0, 0],
                                                      torch.ones_like(sum_A[..., 0, 0])), 0.0),
        ("hirescam", None): g,
        ("layercam", None): torch.relu(g),
    }
    for (method, form), weights in expected.items():
        options = {"gradcampp_form": form} if form else {}
        e = ng.explain(model, x, target=targets, method=method, **options)
        w = weights if weights.ndim == 4 else weights[:, :, None, None]
        cam = torch.relu((w * A).sum(dim=1))
        close(e.weights, weights.numpy(), f"{name} {method} weights")
        close(e.cam, cam.numpy(), f"{name} {method} cam")


@pytest.mark.oracle
def test_cam_is_the_fc_weights_times_A(batch):
    torch = require_torch()
    x, targets = batch
    model, tm, (_logits, A, _g) = setup("tinycnn-gap", x, targets)
    W = tm.fc.weight.detach()[torch.tensor(targets)]                   # (N, K)
    e = ng.explain(model, x, target=targets, method="cam")
    close(e.cam, torch.relu((W[:, :, None, None] * A).sum(dim=1)).numpy(), "cam")


# --- gradient-free methods --------------------------------------------------------------------

@pytest.mark.oracle
@pytest.mark.parametrize("variant", ["paper", "pytorch-grad-cam"])
def test_scorecam(variant, batch):
    torch = require_torch()
    F = torch.nn.functional
    x, targets = batch
    model, tm, (_logits, A, _g) = setup("tinycnn-fc", x, targets)
    N, K = A.shape[:2]
    corners = variant == "pytorch-grad-cam"
    U = F.interpolate(A, size=x.shape[2:], mode="bilinear", align_corners=corners)
    lo, hi = U.amin(dim=(2, 3), keepdim=True), U.amax(dim=(2, 3), keepdim=True)
    if corners:
        masks = (U - lo) / (hi - lo + 1e-8)
    else:
        masks = torch.where(hi - lo > 1e-8, (U - lo) / torch.clamp(hi - lo, min=1e-300), 0.0)
    X = torch.as_tensor(x)
    with torch.no_grad():
        out = tm((X[:, None] * masks[:, :, None]).reshape(N * K, *X.shape[1:])).reshape(N, K, -1)
        c = torch.tensor(targets)
        if corners:
            w = torch.softmax(out[torch.arange(N), :, c], dim=1)
        else:
            p = torch.softmax(out, dim=2)[torch.arange(N), :, c]
            p_blank = torch.softmax(tm(torch.zeros_like(X[:1])), dim=1)[0, c]
            w = p - p_blank[:, None]
    e = ng.explain(model, x, target=targets, method="scorecam", scorecam_variant=variant)
    close(e.weights, w.numpy(), f"scorecam {variant} weights")
    close(e.cam, torch.relu((w[:, :, None, None] * A).sum(dim=1)).numpy(), "scorecam cam")


@pytest.mark.oracle
@pytest.mark.parametrize("name", ["tinycnn-gap", "tinycnn-fc"])
def test_ablationcam(name, batch):
    torch = require_torch()
    x, targets = batch
    model, tm, (logits, A, _g) = setup(name, x, targets)
    f_head = head(tm, model.target_layer)
    N, K = A.shape[:2]
    y = logits[torch.arange(N), torch.tensor(targets)]
    w = torch.zeros(N, K, dtype=A.dtype)
    with torch.no_grad():
        for k in range(K):
            ablated = A.clone()
            ablated[:, k] = 0
            y_k = f_head(ablated)[torch.arange(N), torch.tensor(targets)]
            w[:, k] = (y - y_k) / y
    e = ng.explain(model, x, target=targets, method="ablationcam")
    close(e.weights, w.numpy(), f"{name} ablationcam weights")


@pytest.mark.oracle
@pytest.mark.parametrize("variant", ["paper", "pytorch-grad-cam"])
def test_eigencam_with_an_eigendecomposition(variant, batch):
    torch = require_torch()
    x, targets = batch
    model, _tm, (_logits, A, _g) = setup("tinycnn-gap", x, targets)
    N, K, h, w = A.shape
    O = A.reshape(N, K, h * w).transpose(1, 2)                          # (N, h·w, K)
    if variant == "pytorch-grad-cam":
        O = O - O.mean(dim=1, keepdim=True)
    _, vectors = torch.linalg.eigh(O.transpose(1, 2) @ O)              # ascending eigenvalues
    v = vectors[:, :, -1]
    v = v * torch.sign(v.sum(dim=1, keepdim=True))
    e = ng.explain(model, x, target=targets, method="eigencam", eigencam_variant=variant)
    close(e.weights, v.numpy(), f"eigencam {variant} V_1")
    close(e.cam, torch.relu(O @ v[:, :, None]).reshape(N, h, w).numpy(), "eigencam cam")


@pytest.mark.oracle
@pytest.mark.parametrize("fill", [0.0, 0.5])
def test_occlusion_with_fold(fill, batch):
    torch = require_torch()
    F = torch.nn.functional
    x, targets = batch
    model, tm, (_logits, _A, _g) = setup("tinycnn-fc", x, targets)
    X = torch.as_tensor(x[:1])
    c = targets[0]
    patch, stride = (16, 12), (12, 10)
    H, W = x.shape[2:]
    drops = []
    with torch.no_grad():
        y = tm(X)[0, c]
        for u in range(0, H - patch[0] + 1, stride[0]):
            for v in range(0, W - patch[1] + 1, stride[1]):
                occluded = X.clone()
                occluded[..., u:u + patch[0], v:v + patch[1]] = fill
                drops.append(y - tm(occluded)[0, c])
    drops = torch.stack(drops)[None, None, :].expand(1, patch[0] * patch[1], -1)
    total = F.fold(drops, (H, W), patch, stride=stride)[0, 0]
    count = F.fold(torch.ones_like(drops), (H, W), patch, stride=stride)[0, 0]
    S = torch.where(count > 0, total / torch.clamp(count, min=1), 0.0)
    e = ng.explain(model, x[:1], target=targets[:1], method="occlusion", patch=patch,
                   stride=stride, fill=fill, relu=False, normalize=False)
    close(e.cam[0], S.numpy(), f"occlusion fill {fill}")


# --- input-space gradient methods -------------------------------------------------------------

def input_gradient(tm, x, targets, rule):
    """∂y^c/∂x with every ReLU's backward replaced by the rule, through backward hooks."""
    torch = require_torch()

    def guided(module, grad_input, grad_output):
        return (torch.clamp(grad_input[0], min=0),)           # (x > 0)·dout, kept where > 0

    def deconvnet(module, grad_input, grad_output):
        return (torch.clamp(grad_output[0], min=0),)          # the forward mask is ignored

    hooks = {"guided": guided, "deconvnet": deconvnet}
    handles = [m.register_full_backward_hook(hooks[rule]) for m in tm.modules()
               if isinstance(m, torch.nn.ReLU) and rule in hooks]
    X = torch.tensor(x, requires_grad=True)
    logits = tm(X)
    logits[torch.arange(len(targets)), torch.tensor(targets)].sum().backward()
    for handle in handles:
        handle.remove()
    return X.grad


@pytest.mark.oracle
@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("method, rule", [("guided-backprop", "guided"),
                                          ("deconvnet", "deconvnet"), ("saliency", "standard")])
def test_input_gradients(name, method, rule, batch):
    x, targets = batch
    model = ng.load_model(name)
    tm = to_torch(model)
    expected = input_gradient(tm, x, targets, rule)
    e = ng.explain(model, x, target=targets, method=method)
    close(e.saliency, expected.numpy(), f"{name} {method}")


@pytest.mark.oracle
@pytest.mark.parametrize("name", ["tinycnn-gap", "tinycnn-fc"])
def test_guided_gradcam(name, batch):
    torch = require_torch()
    F = torch.nn.functional
    x, targets = batch
    model, _tm, (_logits, A, g) = setup(name, x, targets)
    L = torch.relu((g.mean(dim=(2, 3), keepdim=True) * A).sum(dim=1, keepdim=True))
    lo, hi = L.amin(dim=(2, 3), keepdim=True), L.amax(dim=(2, 3), keepdim=True)
    L = (L - lo) / (hi - lo)
    heat = F.interpolate(L, size=x.shape[2:], mode="bilinear", align_corners=False)
    expected = input_gradient(to_torch(model), x, targets, "guided") * heat
    e = ng.explain(model, x, target=targets, method="guided-gradcam")
    close(e.saliency, expected.numpy(), f"{name} guided-gradcam")
