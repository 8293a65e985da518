"""Central finite differences in float64, the ground truth every hand-written derivative meets.

Checks use a *random* upstream gradient ``dout`` (an all-ones one hides swapped axes): the
scalar ``f(x) = Σ dout · forward(x)`` has gradient ``backward(dout)``, which we compare with
``(f(x + h e_i) - f(x - h e_i)) / 2h`` for every coordinate ``i``.
"""

import numpy as np


def numerical_gradient(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """∂f/∂x by central differences; ``f`` maps an array like ``x`` to a float. Restores ``x``."""
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = f(x)
        flat[i] = old - h
        f_minus = f(x)
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(|a| + |b|), the CS231n measure, 0 when both are 0."""
    denom = np.maximum(np.abs(a) + np.abs(b), 1e-12)
    return float(np.max(np.abs(a - b) / denom)) if a.size else 0.0


def assert_gradient(analytic: np.ndarray, f, x: np.ndarray, tol: float = 1e-7, h: float = 1e-6):
    numeric = numerical_gradient(f, x, h)
    assert analytic.shape == x.shape, f"gradient shape {analytic.shape} != input {x.shape}"
    err = relative_error(analytic, numeric)
    # Entries whose true value is ~0 give relative errors of order h²/|value|; compare those
    # on an absolute scale against the gradient's magnitude instead.
    scale = max(np.abs(numeric).max(initial=0.0), 1e-8)
    abs_err = float(np.abs(analytic - numeric).max(initial=0.0)) / scale
    assert err < tol or abs_err < tol, f"relative error {err:.3e}, scaled abs error {abs_err:.3e}"


def away_from_zero(rng: np.random.Generator, shape, margin: float = 0.1) -> np.ndarray:
    """Standard normals pushed at least ``margin`` away from 0: no ReLU kink within reach of h."""
    z = rng.standard_normal(shape)
    return np.where(z >= 0, z + margin, z - margin)


def distinct(rng: np.random.Generator, shape, gap: float = 0.01) -> np.ndarray:
    """Values that differ pairwise by at least ``gap``, shuffled: no max-pool tie within reach."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * gap - n * gap / 2).reshape(shape)


def assert_each_target_alone(backward_input, dout: np.ndarray, cache, shape) -> np.ndarray:
    """``backward_input(dout, cache)`` with a leading target axis (``dout`` ``(T, *out)``) has
    shape ``(T, *shape)`` and equals the targets' backward passes one at a time, bit for bit.
    Returns it, ``dx`` ``(T, *shape)``."""
    dx = backward_input(dout, cache)
    assert dx.shape == (len(dout), *shape)
    for t in range(len(dout)):
        np.testing.assert_array_equal(dx[t], backward_input(dout[t], cache))
    return dx


def assert_model_gradients(model, x: np.ndarray, dy: np.ndarray, layer: str, h: float = 1e-5):
    """Finite differences of ``Σ dy·model(x)`` against the backward passes of ``model``: with
    respect to ``x``, to ``layer``'s output (through ``forward_from``) and to every parameter.

    ``h = 1e-5``: a block is deep enough that 1e-6's rounding error (~eps·|f|/h) nears 1e-7.
    Keep ``x`` and the weights away from every kink before calling (``assume`` a margin). A
    draw where some gradient (of ``x``, of ``layer``'s output, of a parameter) lies within 1e8
    times the rounding floor ``eps·Σ|dy·logits|/h`` is skipped (``assume``): saturated ReLU6
    channels can leave a gradient at 1e-3 of the output, where no step below the kink margin
    resolves 1e-7 of it (the rounding of the many intermediate terms is some times the floor).
    """
    from hypothesis import assume

    trace = model.trace(x)
    dx, grads = model.backward(trace, dy)
    dA = model.backward_to(trace, dy, layer)
    floor = np.finfo(np.float64).eps * float(np.abs(trace.logits * dy).sum()) / h
    assume(all(np.abs(g).max() > 1e8 * floor for g in [dx, dA, *grads.values()]))
    f = lambda v: float((model.forward(v) * dy).sum())                  # noqa: E731
    assert_gradient(dx, f, x, h=h)
    np.testing.assert_array_equal(model.backward_to_input(trace, dy), dx)
    g = lambda a: float((model.forward_from(layer, a) * dy).sum())      # noqa: E731
    assert_gradient(dA, g, trace.outputs[layer].copy(), h=h)
    assert set(grads) == set(model.parameters())
    for key, W in model.parameters().items():
        def loss(w, key=key):
            saved = model.parameters()[key].copy()
            model.parameters()[key][...] = w
            value = float((model.forward(x) * dy).sum())
            model.parameters()[key][...] = saved
            return value
        assert_gradient(grads[key], loss, W.copy(), h=h)


def randomise_batchnorm(model, rng: np.random.Generator, bias_scale: float = 1.0):
    """Every BatchNorm of ``model`` given random affine parameters (bias N(0, bias_scale²)) and
    running statistics, drawn from ``rng`` in that order: an untrained BatchNorm is the
    identity, which hides a swapped scale or shift."""
    from numpy_gradcam import nn

    for _, leaf in model.named_leaves():
        if isinstance(leaf, nn.BatchNorm2d):
            C = leaf.num_features
            leaf.params["weight"] = rng.uniform(0.5, 2, C)
            leaf.params["bias"] = rng.normal(size=C) * bias_scale
            leaf.buffers["running_mean"] = rng.normal(size=C) * 0.1
            leaf.buffers["running_var"] = rng.uniform(0.5, 2, C)
    return model
