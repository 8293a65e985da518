"""The compiled inference forward equals the reference engine's forward."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from numpy_gradcam import fast
from numpy_gradcam.fast.buffers import ConvBuffers, PoolBuffers, Scratch
from numpy_gradcam.fast.compiled import (
    compile_forward,
    compile_steps,
    fast_forward,
    images_per_chunk,
)
from numpy_gradcam.models import reference_net, tinycnn_fc, tinycnn_gap
from numpy_gradcam.nn import (
    AvgPool2d,
    BatchNorm2d,
    Conv2d,
    Flatten,
    GlobalAvgPool2d,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
)
from numpy_gradcam.nn.layer import Layer

CHUNK = images_per_chunk((3, 64, 64))                 # images of 64×64 in one chunk


def _stride_pool_model():
    """Stride 2 without padding, an average pool, a flatten: the paths the tiny CNNs skip."""
    return Sequential([("conv1", Conv2d(3, 4, 3, stride=2, rng=1)), ("relu1", ReLU()),
                       ("pool1", AvgPool2d(2, stride=1)), ("flatten", Flatten()),
                       ("fc", Linear(4 * 14 * 14, 3, rng=2))])


def _pool_before_relu_model():
    """A max-pool straight after a convolution (fused without a ReLU), a 5×5 kernel with padding
    1, a BatchNorm that no convolution precedes, then ReLU (standalone) → GAP."""
    rng = np.random.default_rng(5)
    bn = BatchNorm2d(4)
    bn.params["weight"], bn.params["bias"] = rng.normal(size=4), rng.normal(size=4)
    bn.buffers["running_mean"], bn.buffers["running_var"] = rng.normal(size=4), rng.random(4) + 0.5
    return Sequential([("conv1", Conv2d(3, 4, 5, padding=1, rng=1)), ("pool1", MaxPool2d(3, 2)),
                       ("bn", bn), ("relu", ReLU()), ("gap", GlobalAvgPool2d()),
                       ("fc", Linear(4, 3, rng=2))])


SMALL_MODELS = (_stride_pool_model, _pool_before_relu_model)


@pytest.mark.parametrize("build", [tinycnn_gap, tinycnn_fc, reference_net, _stride_pool_model,
                                   _pool_before_relu_model])
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-13), (np.float32, 1e-5)])
def test_equals_the_engine_forward(build, dtype, tol, gap_model):
    model = build() if build in SMALL_MODELS else build(seed=4)
    if build is tinycnn_gap:
        model = gap_model                                  # trained BatchNorm statistics
    size = 32 if build in SMALL_MODELS else 64
    x = np.random.default_rng(0).random((3, 3, size, size)).astype(dtype)
    ours = compile_forward(model)(x)
    reference = model.forward(x)
    assert ours.dtype == dtype and ours.shape == reference.shape
    np.testing.assert_allclose(ours, reference, rtol=tol, atol=tol * np.abs(reference).max())


@pytest.mark.parametrize("relu", [True, False])
def test_a_padded_pool_after_a_convolution_is_fused(relu):
    """The ResNet stem's max-pool (3, 2, 1) right after a convolution (with and without a ReLU
    between: without it, negative values meet the −∞ padding) is one step with it, and the
    forward equals the reference's."""
    layers = [("conv", Conv2d(3, 4, 3, padding=1, rng=1)), ("relu", ReLU()),
              ("pool", MaxPool2d(3, 2, 1)), ("gap", GlobalAvgPool2d()),
              ("fc", Linear(4, 2, rng=2))]
    model = Sequential([layer for layer in layers if relu or layer[0] != "relu"])
    x = np.random.default_rng(0).normal(size=(2, 3, 9, 9))
    assert len(compile_steps(model)) == 3                # conv (+ relu) + pool, gap, fc
    np.testing.assert_allclose(compile_forward(model)(x), model.forward(x), rtol=1e-13,
                               atol=1e-13)


@settings(max_examples=40)
@given(k=st.integers(1, 4), s=st.integers(1, 3), H=st.integers(1, 9), W=st.integers(1, 9),
       data=st.data())
def test_a_padded_pool_copies_nothing_and_is_the_padded_pool(k, s, H, W, data):
    """PoolBuffers with padding (every offset reaching only the outputs whose window holds it)
    against the reference max-pool, which pads with −inf; up to PyTorch's p <= k // 2, where
    for an even kernel no offset reaches every output. Ties and negative values included."""
    from numpy_gradcam.nn.maxpool import maxpool2d_forward

    p = data.draw(st.integers(0, k // 2))
    assume(H + 2 * p >= k and W + 2 * p >= k)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = rng.integers(-3, 3, size=(2, 3, H, W)).astype(float)             # (C, N, H, W)
    expected, _ = maxpool2d_forward(x, (k, k), (s, s), (p, p))
    np.testing.assert_array_equal(PoolBuffers(x, (k, k), (s, s), (p, p)).reduce(np.maximum),
                                  expected)


def test_an_unknown_layer_falls_back_to_the_engine():
    class Identity(Layer):
        def forward(self, x, train=False):
            return x, None

    model = Sequential([("conv", Conv2d(3, 2, 1)), ("same", Identity())])
    assert compile_forward(model) is None
    assert fast_forward(model) == model.forward


def naive_conv(x, weight, stride, padding):
    """``(C, N, H, W) -> (F, N, Ho, Wo)`` by the definition, one output pixel at a time."""
    (sh, sw), (ph, pw) = stride, padding
    F, _, kh, kw = weight.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    Ho, Wo = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    out = np.zeros((F, x.shape[1], Ho, Wo))
    for h in range(Ho):
        for w in range(Wo):
            patch = xp[:, :, h * sh:h * sh + kh, w * sw:w * sw + kw]       # (C, N, kh, kw)
            out[:, :, h, w] = np.einsum("fcij,cnij->fn", weight, patch)
    return out


@settings(max_examples=30)
@given(C=st.integers(1, 4), N=st.integers(1, 3), H=st.integers(1, 7), W=st.integers(1, 7),
       kh=st.integers(1, 4), kw=st.integers(1, 4), data=st.data())
def test_flat_and_gather_layouts_give_the_convolution(C, N, H, W, kh, kw, data):
    """Stride 1, padding below the kernel size (the flat layout's domain), float64."""
    ph, pw = data.draw(st.integers(0, kh - 1)), data.draw(st.integers(0, kw - 1))
    assume(H + 2 * ph >= kh and W + 2 * pw >= kw)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x, weight = rng.normal(size=(C, N, H, W)), rng.normal(size=(3, C, kh, kw))
    W2 = weight.reshape(3, -1)
    expected = naive_conv(x, weight, (1, 1), (ph, pw))
    for flat in (True, False):
        buffers = ConvBuffers(x.shape, x.dtype, (kh, kw), (1, 1), (ph, ph, pw, pw), flat)
        for _ in range(2):                                  # the buffers are reused
            np.testing.assert_allclose(buffers.product(x, W2), expected, rtol=1e-12,
                                       atol=1e-12 * np.abs(expected).max(), err_msg=f"{flat=}")


@pytest.mark.parametrize("stride, padding", [((2, 2), (0, 0)), ((2, 1), (1, 2)), ((3, 2), (4, 1))])
def test_gather_layout_with_strides_and_large_padding(stride, padding):
    rng = np.random.default_rng(7)
    x, weight = rng.normal(size=(2, 3, 9, 8)), rng.normal(size=(4, 2, 3, 3))
    (ph, pw) = padding
    buffers = ConvBuffers(x.shape, x.dtype, (3, 3), stride, (ph, ph, pw, pw), flat=False)
    expected = naive_conv(x, weight, stride, padding)
    np.testing.assert_allclose(buffers.product(x, weight.reshape(4, -1)),
                               expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_commutes_with_the_bias_and_relu(dtype):
    """max_u ReLU(z_u + b) = ReLU(max_u z_u + b) bit for bit: the fused step relies on it. The
    values sit around the kink z = -b and include ties."""
    rng = np.random.default_rng(3)
    b = rng.normal(size=(5, 1, 1, 1)).astype(dtype)
    z = (-b + rng.normal(scale=1e-6, size=(5, 2, 8, 8))).astype(dtype)
    z[:, :, ::3] = -b                                       # exact kinks and ties
    unfused = PoolBuffers(np.maximum(z + b, 0), (2, 2), (2, 2)).reduce(np.maximum)
    pooled = PoolBuffers(z, (2, 2), (2, 2)).reduce(np.maximum)
    np.testing.assert_array_equal(np.maximum(pooled + b, 0), unfused)


def test_threads_give_the_serial_result():
    """Chunks of CHUNK images on two threads, a batch that is not a multiple of CHUNK: the
    threads change which thread computes a chunk, never its arithmetic."""
    model = tinycnn_gap(seed=5)
    x = np.random.default_rng(1).random((3 * CHUNK + 1, 3, 64, 64)).astype(np.float32)
    forward = compile_forward(model)
    with fast.threads(1):
        serial = forward(x)
    with fast.threads(2):
        np.testing.assert_array_equal(forward(x), serial)
    np.testing.assert_allclose(serial, model.forward(x), rtol=1e-5, atol=1e-5)


def _held(scratch) -> dict:
    """The ids of every array and scratch object held in this thread's spaces, per shape."""
    return {shape: {id(a) for a in [*space.arrays.values(),
                                     *(a for free in space.free.values() for a in free)]}
            for shape, space in scratch.sets.items()}


def test_a_model_keeps_its_scratch_across_compiles_but_not_its_weights():
    """A second compile reuses the first one's buffers (no fresh memory per call) and still
    computes with the weights of the moment: nothing weight-dependent lives in the scratch."""
    import gc

    from numpy_gradcam.fast import compiled

    model = tinycnn_gap(seed=6)
    x = np.random.default_rng(2).random((CHUNK + 1, 3, 64, 64))
    compile_forward(model, threads=1)(x)
    buffers = _held(compiled._SCRATCH[model])
    for name in ("conv1", "bn4", "fc"):                    # new weights, biases, BN statistics
        for array in model.layers[name].params.values():
            array += 0.5
    again = compile_forward(model, threads=1)(x)
    assert _held(compiled._SCRATCH[model]) == buffers            # the same buffer objects
    np.testing.assert_allclose(again, model.forward(x), rtol=1e-12,
                               atol=1e-12 * np.abs(again).max())
    count = len(compiled._SCRATCH)
    del model
    gc.collect()
    assert len(compiled._SCRATCH) == count - 1                   # dropped with the model


def test_inputs_of_ever_new_sizes_keep_the_scratch_bounded():
    """Twenty image sizes: the scratch keeps the arrays of at most Scratch.SHAPES of them,
    starting afresh instead of growing, and the forward stays right across the restarts."""
    from numpy_gradcam.fast import compiled

    model = tinycnn_gap(seed=7)
    forward = compile_forward(model, threads=1)
    rng = np.random.default_rng(3)
    for size in range(16, 56, 2):
        x = rng.random((1, 3, size, size))
        np.testing.assert_allclose(forward(x), model.forward(x), rtol=1e-12, atol=1e-12)
        assert len(compiled._SCRATCH[model].sets) <= Scratch.SHAPES
    shapes = [shape for shape, _ in compiled._SCRATCH[model].sets]
    assert (1, 3, 16, 16) not in shapes and (1, 3, 54, 54) in shapes   # the first let go


@pytest.mark.parametrize("n, size, threads, sizes", [
    (8, 224, 2, [4, 4]),                 # CHUNK images of 224×224, one chunk per thread
    (9, 224, 2, [3, 2, 2, 2]),           # ⌈9/4⌉ = 3 chunks, 4 to keep both threads busy
    (3, 224, 2, [2, 1]),
    (1, 224, 2, [1]),
    (64, 64, 2, [8] * 8),                # 10 of 64×64 fit: ⌈64/10⌉ = 7 chunks, 8 for 2
])
def test_a_batch_is_split_evenly_in_a_multiple_of_the_threads(n, size, threads, sizes):
    from numpy_gradcam.fast.compiled import split_batch

    x = np.zeros((n, 3, size, size), dtype=np.float32)
    assert [len(chunk) for chunk in split_batch(x, threads)] == sizes


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-13), (np.float32, 1e-5)])
def test_an_input_normalisation_first_is_compiled(dtype, tol):
    """nn.Normalize (a loaded architecture's first layer) runs as a per-channel affine step,
    not folded into the convolution after it (its zero padding would then pad another value)."""
    from numpy_gradcam.nn import Normalize

    model = Sequential([("normalize", Normalize((127.0, 127.0, 127.0), (128.0, 128.0, 128.0),
                                                scale=255.0)),
                        ("conv", Conv2d(3, 4, 3, padding=1, rng=1)), ("relu", ReLU()),
                        ("gap", GlobalAvgPool2d()), ("fc", Linear(4, 2, rng=2))])
    x = np.random.default_rng(0).random((3, 3, 9, 8)).astype(dtype)
    assert len(compile_steps(model)) == 4                # normalize, conv + relu, gap, fc
    reference = model.forward(x)
    np.testing.assert_allclose(compile_forward(model)(x), reference, rtol=tol,
                               atol=tol * np.abs(reference).max())
