"""The accelerator equals the reference engine: on every shipped model and on random
architectures, with 1 and 2 threads, through ``explain`` and through each fast path alone.

Tolerances are those of the engine's own tests: ``1e-12`` relative in float64 (sums in another
order: a chunk's matrix products have other shapes), ``1e-5`` in float32.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numpy_gradcam as ng
from numpy_gradcam import fast, nn
from numpy_gradcam.cam.gradients import seed
from numpy_gradcam.datasets import make_shapes
from numpy_gradcam.models import MODEL_NAMES

THREADS = (1, 2)


def close(actual, expected, rtol=1e-12):
    scale = np.abs(expected).max() if np.size(expected) else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


@pytest.fixture(scope="module")
def shapes():
    x, labels, _ = make_shapes(5, seed=31)
    return x, [int(c) for c in labels]


@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize("threads", THREADS)
def test_explain_equals_the_reference_passes(name, threads, shapes):
    """Grad-CAM's A and dy_dA, and guided backprop's input gradient, against the reference's
    own trace and backward passes called by hand."""
    model = ng.load_model(name)
    x, labels = shapes
    with fast.threads(threads):
        e = ng.explain(model, x, target=labels)
        g = ng.explain(model, x, target=labels, method="guided-backprop")
    trace = model.trace(x)
    dy = seed(trace.logits, np.array(labels))
    close(e.logits, trace.logits)
    close(e.activations, trace.outputs[model.target_layer])
    close(e.gradients, model.backward_to(trace, dy, model.target_layer))
    close(g.saliency, model.backward_to_input(trace, dy, rule="guided"))


@pytest.mark.parametrize("name", MODEL_NAMES)
@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("method, options", [("scorecam", {"batch_size": 16}),
                                             ("occlusion", {"patch": 16, "stride": 16}),
                                             ("ablationcam", {"batch_size": 16})])
def test_many_forward_methods_equal_their_reference_run(name, threads, method, options, shapes,
                                                        monkeypatch):
    """The same method with the compiled forward replaced by the reference ``model.forward``
    and one thread, against the accelerator with 1 and 2 threads."""
    model = ng.load_model(name)
    x, labels = shapes
    with fast.threads(threads):
        accelerated = ng.explain(model, x[:2], target=labels[:2], method=method, **options)
    for module in ("scorecam", "occlusion"):
        monkeypatch.setattr(f"numpy_gradcam.cam.methods.{module}.fast_forward",
                            lambda model: model.forward)
    with fast.threads(1):
        reference = ng.explain(model, x[:2], target=labels[:2], method=method, **options)
    stage = "saliency" if method == "occlusion" else "weights"
    close(getattr(accelerated, stage), getattr(reference, stage), rtol=1e-10)
    close(accelerated.heatmap, reference.heatmap, rtol=1e-10)


@st.composite
def architectures(draw):
    """A random stack: 1–3 blocks of conv (kernel 1–3, stride 1–2, padding 0–1) [→ BatchNorm]
    [→ ReLU] [→ max or average pool], then GAP → linear or flatten → linear."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    layers, channels, size = [], 3, draw(st.integers(10, 16))
    image = size
    for b in range(draw(st.integers(1, 3))):
        kernel, stride = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        padding = draw(st.integers(0, min(1, kernel - 1)))
        if size + 2 * padding < kernel:
            break
        width = draw(st.integers(1, 6))
        layers.append((f"conv{b}", nn.Conv2d(channels, width, kernel, stride=stride,
                                             padding=padding, rng=rng)))
        size = (size + 2 * padding - kernel) // stride + 1
        if draw(st.booleans()):
            bn = nn.BatchNorm2d(width)
            bn.params["weight"], bn.params["bias"] = rng.uniform(0.5, 2, width), rng.normal(
                size=width)
            bn.buffers["running_mean"] = rng.normal(size=width)
            bn.buffers["running_var"] = rng.uniform(0.5, 2, width)
            layers.append((f"bn{b}", bn))
        if draw(st.booleans()):
            layers.append((f"relu{b}", nn.ReLU()))
        pool = draw(st.sampled_from([None, nn.MaxPool2d, nn.AvgPool2d]))
        if pool is not None and size >= 2:
            layers.append((f"pool{b}", pool(2)))
            size //= 2
        channels = width
    if draw(st.booleans()):
        layers += [("gap", nn.GlobalAvgPool2d()), ("fc", nn.Linear(channels, 3, rng=rng))]
    else:
        layers += [("flatten", nn.Flatten()), ("fc", nn.Linear(channels * size * size, 3,
                                                               rng=rng))]
    return nn.Sequential(layers, target_layer=layers[0][0]), image


@settings(max_examples=25)
@given(architecture=architectures(), n=st.integers(1, 9), data=st.data())
def test_a_random_architecture(architecture, n, data):
    """The compiled forward and the split trace with its backward passes, 1 and 2 threads."""
    model, size = architecture
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = rng.random((n, 3, size, size))
    dy = rng.standard_normal((2, n, 3))                                # two targets at once
    trace = model.trace(x)
    layer = data.draw(st.sampled_from([name for name in model.layer_names
                                       if trace.outputs[name].ndim == 4]))
    for threads in THREADS:
        with fast.threads(threads):
            close(fast.compile_forward(model)(x), trace.logits)
            close(fast.compile_forward(model, stop=layer)(x), trace.outputs[layer])
            split = fast.trace(model, x)
            close(split.logits, trace.logits)
            close(split.backward_to(dy, layer), model.backward_to(trace, dy, layer))
            close(split.backward_to_input(dy[0], rule="guided"),
                  model.backward_to_input(trace, dy[0], rule="guided"))
            started = fast.trace(model, x, start=layer)
            close(started.outputs[layer], trace.outputs[layer])
            close(started.logits, trace.logits)
            close(started.backward_to(dy, layer), model.backward_to(trace, dy, layer))
