import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from numpy_gradcam import nn
from tests.gradcheck import assert_gradient


def small_model(seed=0):
    rng = np.random.default_rng(seed)
    model = nn.Sequential([
        ("conv1", nn.Conv2d(2, 3, 3, padding=1, rng=rng)),
        ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(3, 4, 3, padding=1, rng=rng)),
        ("bn2", nn.BatchNorm2d(4)),
        ("relu2", nn.ReLU()),
        ("gap", nn.GlobalAvgPool2d()),
        ("fc", nn.Linear(4, 3, rng=rng)),
    ], class_names=["a", "b", "c"], target_layer="relu2")
    bn = model["bn2"]
    bn.params["weight"] = rng.uniform(0.5, 2, 4)
    bn.buffers["running_mean"] = rng.standard_normal(4) * 0.1
    return model


def far_from_kinks(trace, margin=1e-4):
    """True when no ReLU input is within ``margin`` of 0 and no max-pool window has a near tie."""
    pre_relu = [trace.outputs[n] for n in ("conv1", "bn2")]
    if any(np.abs(z).min() < margin for z in pre_relu):
        return False
    z = trace.outputs["relu1"]
    windows = np.sort(z.reshape(*z.shape[:2], 3, 2, 3, 2).transpose(0, 1, 2, 4, 3, 5)
                      .reshape(*z.shape[:2], 3, 3, 4), axis=-1)
    top_two_gap = windows[..., -1] - windows[..., -2]
    # A window of zeros (all inputs below the ReLU) ties harmlessly: no gradient flows there.
    return bool(((top_two_gap > margin) | (windows[..., -1] == 0)).all())


@given(st.integers(0, 2**32 - 1))
def test_end_to_end_gradients_match_finite_differences(seed):
    model = small_model(seed % 1000)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, 2, 6, 6))
    trace = model.trace(x)
    assume(far_from_kinks(trace))
    dy = rng.standard_normal((2, 3))

    def score(v):
        return np.sum(dy * model.forward(v))

    # logit -> input
    assert_gradient(model.backward_to_input(trace, dy), score, x)
    # logit -> every parameter
    dx, grads = model.backward(trace, dy)
    np.testing.assert_allclose(dx, model.backward_to_input(trace, dy), atol=1e-14)
    params = model.parameters()
    assert set(grads) == set(params)
    for name, param in params.items():
        assert_gradient(grads[name], lambda v: score(x), param)
    # logit -> a named layer (the Grad-CAM gradient dy/dA). Not relu1: as a free variable its
    # zeros tie inside the max-pool windows, a kink the oracle test covers instead.
    for layer in ("pool1", "conv2", "relu2"):
        A = trace.outputs[layer].copy()
        assert_gradient(model.backward_to(trace, dy, layer),
                        lambda v, layer=layer: np.sum(dy * model.forward_from(layer, v)), A)


def test_many_targets_in_one_pass_equal_one_pass_each():
    model = small_model()
    x = np.random.default_rng(5).standard_normal((2, 2, 6, 6))
    trace = model.trace(x)
    seeds = np.broadcast_to(np.eye(3)[:, None, :], (3, 2, 3))    # (T=3 classes, N=2, C=3)
    together = model.backward_to(trace, seeds, "relu1")
    assert together.shape == (3, 2, 3, 6, 6)
    for c in range(3):
        np.testing.assert_allclose(together[c], model.backward_to(trace, seeds[c], "relu1"),
                                   rtol=1e-13, atol=1e-15)


def test_forward_keep_returns_the_named_activations():
    model = small_model()
    x = np.random.default_rng(0).standard_normal((1, 2, 6, 6))
    logits, acts = model.forward(x, keep=("relu2", "pool1"))
    assert logits.shape == (1, 3)
    assert acts["relu2"].shape == (1, 4, 3, 3) and acts["pool1"].shape == (1, 3, 3, 3)
    assert (acts["relu2"] >= 0).all()
    np.testing.assert_array_equal(model.forward(x), logits)


def test_input_grad_false_skips_only_the_input_gradient():
    model = small_model()
    trace = model.trace(np.random.default_rng(0).standard_normal((2, 2, 6, 6)))
    dy = np.ones((2, 3))
    dx, grads = model.backward(trace, dy, input_grad=False)
    full_dx, full = model.backward(trace, dy)
    assert dx is None and full_dx.shape == (2, 2, 6, 6)
    for k in full:
        np.testing.assert_array_equal(grads[k], full[k])


def test_state_dict_round_trip_uses_pytorch_names():
    a, b = small_model(1), small_model(2)
    state = a.state_dict()
    assert state["conv1.weight"].shape == (3, 2, 3, 3)
    assert state["fc.weight"].shape == (3, 4)
    assert {"bn2.running_mean", "bn2.running_var", "bn2.num_batches_tracked"} <= set(state)
    b.load_state_dict(state)
    x = np.random.default_rng(0).standard_normal((1, 2, 6, 6))
    np.testing.assert_array_equal(a.forward(x), b.forward(x))
    state["conv1.weight"][:] = 0                                   # a copy, not the live array
    assert np.abs(a["conv1"].params["weight"]).sum() > 0


@pytest.mark.parametrize("mutate, match", [
    (lambda s: s.pop("fc.bias"), "missing key 'fc.bias'"),
    (lambda s: s.update(extra=np.zeros(1)), "unexpected key 'extra'"),
    (lambda s: s.update({"conv1.weight": np.zeros((3, 2, 5, 5))}), r"conv1.weight.*\(3, 2, 3, 3\)"),
    (lambda s: s["fc.weight"].__setitem__((0, 0), np.nan), r"fc.weight.*finite"),
    (lambda s: s.update({"fc.bias": np.zeros(3, dtype=np.int64)}), r"fc.bias.*float"),
    (lambda s: s["bn2.running_var"].__setitem__(0, -1.0), r"bn2.running_var.*must be >= 0"),
])
def test_load_state_dict_names_the_first_mismatch_and_changes_nothing(mutate, match):
    model = small_model()
    before = model.state_dict()
    state = model.state_dict()
    mutate(state)
    with pytest.raises((ValueError, TypeError), match=match):
        model.load_state_dict(state)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


@pytest.mark.parametrize("x, match", [
    (np.zeros((2, 6, 6)), "4 dimensions"),
    (np.zeros((1, 3, 6, 6)), "2 channels"),
    (np.zeros((1, 2, 6, 6), dtype=np.int64), "float32 or float64"),
    (np.zeros((1, 2, 6, 6), dtype=np.complex128), "float32 or float64"),
    (np.full((1, 2, 6, 6), np.nan), "finite"),
    (np.zeros((0, 2, 6, 6)), "at least one image"),
])
def test_bad_input_is_named(x, match):
    with pytest.raises((ValueError, TypeError), match=match):
        small_model().forward(x)


def test_bad_layer_and_seed():
    model = small_model()
    trace = model.trace(np.zeros((2, 2, 6, 6)))
    with pytest.raises(ValueError, match="layer must be one of conv1, relu1"):
        model.backward_to(trace, np.ones((2, 3)), "relu9")
    with pytest.raises(ValueError, match=r"dy must have the logits' shape \(2, 3\)"):
        model.backward_to(trace, np.ones((2, 4)), "relu1")
    with pytest.raises(ValueError, match="layer must be one of"):
        model.forward(np.zeros((1, 2, 6, 6)), keep="nope")
    with pytest.raises(ValueError, match="unique"):
        nn.Sequential([("a", nn.ReLU()), ("a", nn.ReLU())])
    with pytest.raises(ValueError, match="identifiers"):
        nn.Sequential([("conv.1", nn.ReLU())])


def test_a_trace_keeps_every_output_and_cache():
    """The reference keeps every intermediate: one output and one cache per layer, in order."""
    model = small_model(4)
    trace = model.trace(np.random.default_rng(1).standard_normal((3, 2, 6, 6)))
    assert list(trace.outputs) == list(trace.caches) == model.layer_names
    assert trace.outputs["fc"].shape == (3, 3)
    assert all(trace.caches[name] is not None for name in ("conv1", "relu1", "pool1", "fc"))


def test_resolve_layer_defaults_to_the_target_layer():
    model = small_model()
    assert model.resolve_layer() == "relu2" and model.resolve_layer("conv1") == "conv1"
    with pytest.raises(ValueError, match="layer must be one of conv1, relu1"):
        model.resolve_layer(["conv1"])
    bare = nn.Sequential([("relu", nn.ReLU())])
    with pytest.raises(ValueError, match="layer must be given: the model names no target_layer"):
        bare.resolve_layer()


def test_a_trace_from_a_layer_gives_the_full_trace_backward_to_it():
    """trace_from(layer, A) records only the layers after ``layer``; the backward pass from the
    logits down to ``layer`` is the full trace's, bit for bit (the same layers, the same A)."""
    model = small_model(6)
    rng = np.random.default_rng(7)
    full = model.trace(rng.standard_normal((3, 2, 6, 6)))
    part = model.trace_from("pool1", full.outputs["pool1"])
    assert list(part.outputs) == ["pool1", "conv2", "bn2", "relu2", "gap", "fc"]
    assert list(part.caches) == ["conv2", "bn2", "relu2", "gap", "fc"]
    np.testing.assert_array_equal(part.logits, full.logits)
    dy = rng.standard_normal((2, 3, 3))
    for layer in ("pool1", "relu2"):
        np.testing.assert_array_equal(model.backward_to(part, dy, layer),
                                      model.backward_to(full, dy, layer))
    with pytest.raises(ValueError, match="layer 'relu1' is not in this trace"):
        model.backward_to(part, dy, "relu1")
    with pytest.raises(ValueError, match=r"needs model\.trace"):
        model.backward_to_input(part, dy)


def test_a_state_that_does_not_fit_names_every_mismatch():
    """Missing, unexpected and wrongly shaped keys, all in one message; nothing changes."""
    model = small_model(9)
    before = model.state_dict()
    state = model.state_dict()
    del state["conv1.weight"], state["fc.bias"]
    state["extra"] = np.zeros(1)
    state["conv2.weight"] = np.zeros((4, 3, 2, 2))
    state["bn2.running_var"] = np.zeros(5)
    with pytest.raises(ValueError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    for part in ("missing key 'conv1.weight' (2 missing in all): conv1.weight, fc.bias",
                 "unexpected key 'extra'", "(1 unexpected in all): extra",
                 "state['conv2.weight'] must have shape (4, 3, 3, 3), got (4, 3, 2, 2)",
                 "state['bn2.running_var'] must have shape (4,), got (5,)"):
        assert part in message, part
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_a_pass_cannot_start_at_a_module_called_twice():
    """A trace records a module's last call; a pass that starts there would replace another
    (its first): refused with an error that says so, as EfficientNet-Lite's one _swish is."""

    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.add("act", nn.ReLU())
            self.add("conv", nn.Conv2d(2, 2, 1, rng=1))
            self.add("gap", nn.GlobalAvgPool2d())

        def forward_with(self, x, run):
            return run("gap", run("act", run("conv", run("act", x))))

    model = Twice()
    A = np.random.default_rng(0).random((1, 2, 3, 3))
    with pytest.raises(ValueError, match="'act': it is called more than once"):
        model.forward_from("act", A)
    np.testing.assert_allclose(model.forward_from("conv", A - 0.5),        # gap(relu(A))
                               np.maximum(A - 0.5, 0).mean(axis=(2, 3)))
