"""SGD and Adam/AdamW: by hand, and N steps against torch.optim on the same gradients."""

import numpy as np
import pytest

from numpy_gradcam.nn.optim import SGD, Adam


def params_and_grads(seed=0, steps=5):
    rng = np.random.default_rng(seed)
    params = {"conv1.weight": rng.standard_normal((4, 3, 3, 3)), "fc.bias": rng.standard_normal(5)}
    grads = [{k: rng.standard_normal(v.shape) for k, v in params.items()} for _ in range(steps)]
    return params, grads


def test_sgd_by_hand_and_in_place():
    w = np.array([1.0, -2.0])
    params = {"w": w}
    opt = SGD(params, lr=0.1, momentum=0.5)
    opt.step({"w": np.array([1.0, 1.0])})          # b = g = 1: w - 0.1
    opt.step({"w": np.array([1.0, 1.0])})          # b = 0.5 + 1 = 1.5: w - 0.15
    np.testing.assert_allclose(w, [1.0 - 0.25, -2.0 - 0.25])
    assert params["w"] is w                         # the live array was updated, not replaced


def test_adam_first_step_is_lr_times_sign():
    # m_1/(1-β1) = g and sqrt(v_1/(1-β2)) = |g|: the first step is lr·g/(|g| + ε) ≈ lr·sign(g)
    w = np.zeros(3)
    Adam({"w": w}, lr=0.01).step({"w": np.array([2.0, -0.5, 1e-3])})
    np.testing.assert_allclose(w, [-0.01, 0.01, -0.01], rtol=1e-4)


def test_float32_gradients_update_float64_params():
    w = np.zeros(2)
    Adam({"w": w}, lr=0.1).step({"w": np.array([1.0, -1.0], dtype=np.float32)})
    assert w.dtype == np.float64
    np.testing.assert_allclose(w, [-0.1, 0.1], rtol=1e-6)


def test_missing_grad_leaves_param_alone():
    params, grads = params_and_grads()
    before = params["fc.bias"].copy()
    SGD(params, lr=0.1).step({"conv1.weight": grads[0]["conv1.weight"]})
    np.testing.assert_array_equal(params["fc.bias"], before)


def test_errors_are_clear():
    params, _ = params_and_grads()
    with pytest.raises(ValueError, match="grads has key 'nope'"):
        SGD(params, 0.1).step({"nope": np.zeros(1)})
    with pytest.raises(ValueError, match=r"grads\['fc.bias'\] must have shape \(5,\)"):
        SGD(params, 0.1).step({"fc.bias": np.zeros(4)})
    with pytest.raises(ValueError, match="lr must be a finite number >= 0, got -1"):
        SGD(params, -1)
    with pytest.raises(TypeError, match="float64 array"):
        Adam({"w": np.zeros(2, dtype=np.float32)})
    with pytest.raises(TypeError, match="params must be a non-empty dict"):
        Adam([np.zeros(2)])
    with pytest.raises(ValueError, match=r"betas\[1\] must be in \[0, 1\)"):
        Adam(params, betas=(0.9, 1.0))


def run_torch(torch, make, params, grads):
    tensors = [torch.tensor(v.copy(), requires_grad=True) for v in params.values()]
    opt = make(tensors)
    for g in grads:
        for t, gv in zip(tensors, g.values(), strict=True):
            t.grad = torch.tensor(gv)
        opt.step()
    return [t.detach().numpy() for t in tensors]


CASES = [
    ("sgd", dict(lr=0.1), "SGD", dict(lr=0.1)),
    ("sgd momentum+wd", dict(lr=0.05, momentum=0.9, weight_decay=0.01),
     "SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.01)),
    ("adam", dict(lr=1e-2), "Adam", dict(lr=1e-2)),
    ("adam L2", dict(lr=3e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, decoupled=False),
     "Adam", dict(lr=3e-3, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("adamw", dict(lr=3e-3, weight_decay=0.1, decoupled=True),
     "AdamW", dict(lr=3e-3, weight_decay=0.1)),
]


@pytest.mark.oracle
@pytest.mark.parametrize(("label", "ours", "theirs", "their_kwargs"), CASES,
                         ids=[c[0] for c in CASES])
def test_matches_torch_optim_over_many_steps(torch, label, ours, theirs, their_kwargs):
    params, grads = params_and_grads(seed=1, steps=20)
    expected = run_torch(torch, lambda ts: getattr(torch.optim, theirs)(ts, **their_kwargs),
                         params, grads)
    cls = SGD if theirs == "SGD" else Adam
    opt = cls(params, **ours)
    for g in grads:
        opt.step(g)
    for got, want in zip(params.values(), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


@pytest.mark.oracle
def test_changing_lr_between_steps_matches_torch(torch):
    # a schedule sets opt.lr between steps, as a torch scheduler sets param_groups[0]["lr"]
    params, grads = params_and_grads(seed=2, steps=10)
    tensors = [torch.tensor(v.copy(), requires_grad=True) for v in params.values()]
    topt = torch.optim.AdamW(tensors, lr=1.0, weight_decay=0.05)
    opt = Adam(params, lr=1.0, weight_decay=0.05)
    for i, g in enumerate(grads):
        lr = 0.01 * (1 + np.cos(np.pi * i / len(grads))) / 2
        topt.param_groups[0]["lr"] = lr
        opt.lr = lr
        for t, gv in zip(tensors, g.values(), strict=True):
            t.grad = torch.tensor(gv)
        topt.step()
        opt.step(g)
    for got, t in zip(params.values(), tensors, strict=True):
        np.testing.assert_allclose(got, t.detach().numpy(), rtol=0, atol=1e-12)
