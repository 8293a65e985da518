import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numpy_gradcam.nn import Normalize
from numpy_gradcam.nn.normalize import normalize_backward, normalize_forward
from tests.gradcheck import assert_each_target_alone, assert_gradient


def test_hand_computed_per_channel():
    layer = Normalize(mean=(0.5, 0.25), std=(0.5, 2.0))
    x = np.array([[[[0.0, 1.0]], [[0.25, 4.25]]]])                      # (1, 2, 1, 2)
    out, cache = layer.forward(x)
    np.testing.assert_array_equal(out, [[[[-1.0, 1.0]], [[0.0, 2.0]]]])
    dout = np.array([[[[3.0, -5.0]], [[7.0, 11.0]]]])
    np.testing.assert_array_equal(layer.backward_input(dout, cache),
                                  [[[[6.0, -10.0]], [[3.5, 5.5]]]])   # dout / std[c]


def test_scale_brings_x_to_the_units_of_mean_and_std():
    # TensorFlow's EfficientNet-Lite: (255 x − 127) / 128 on x in [0, 1].
    layer = Normalize(mean=(127.0,) * 3, std=(128.0,) * 3, scale=255.0)
    x = np.zeros((1, 3, 1, 2))
    x[..., 1] = 1.0
    out, cache = layer.forward(x)
    np.testing.assert_array_equal(out[0, :, 0], [[-0.9921875, 1.0]] * 3)   # −127/128, 128/128
    dx = layer.backward_input(np.ones_like(x), cache)
    np.testing.assert_array_equal(dx, np.full_like(x, 255.0 / 128.0))


@given(st.integers(0, 2**32 - 1), st.integers(1, 3), st.integers(1, 4), st.integers(1, 4),
       st.sampled_from([1.0, 255.0]))
def test_matches_finite_differences(seed, n, c, hw, scale):
    rng = np.random.default_rng(seed)
    mean, std = rng.standard_normal(c), rng.uniform(0.1, 3.0, c)
    x = rng.standard_normal((n, c, hw, hw))
    out, cache = normalize_forward(x, mean, std, scale)
    dout = rng.standard_normal(out.shape)
    assert_gradient(normalize_backward(dout, cache),
                    lambda v: np.sum(dout * normalize_forward(v, mean, std, scale)[0]), x)


def test_leading_target_axis_broadcasts():
    rng = np.random.default_rng(1)
    layer = Normalize((0.1, 0.2, 0.3), (0.4, 0.5, 0.6))
    _, cache = layer.forward(rng.random((2, 3, 4, 4)))
    dout = rng.standard_normal((5, 2, 3, 4, 4))
    assert_each_target_alone(layer.backward_input, dout, cache, (2, 3, 4, 4))


def test_affine_form_equals_the_forward():
    rng = np.random.default_rng(2)
    layer = Normalize((127.0, 120.0, 100.0), (128.0, 60.0, 30.0), scale=255.0)
    x = rng.random((2, 3, 5, 4))
    a, b = layer.affine()
    np.testing.assert_allclose(a[:, None, None] * x + b[:, None, None], layer.forward(x)[0],
                               rtol=0, atol=1e-13)


def test_no_parameters_no_buffers_and_float32_stays_float32():
    layer = Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    assert layer.params == {} and layer.buffers == {}
    x = np.random.default_rng(3).random((1, 3, 2, 2)).astype(np.float32)
    out, cache = layer.forward(x)
    assert out.dtype == np.float32
    assert layer.backward_input(np.ones_like(out), cache).dtype == np.float32


@pytest.mark.parametrize("args, message", [
    (((0.5, 0.5), (0.5,)), "one number per channel each, got 2 and 1"),
    (((0.5,), (0.0,)), r"std must be > 0 for every channel, got \[0.0\]"),
    (((0.5,), (1.0,), 0.0), "scale must be a finite number > 0, got 0.0"),
    (((0.5,), (1.0,), -1.0), "scale must be a finite number >= 0"),
])
def test_bad_constants_are_named(args, message):
    with pytest.raises(ValueError, match=message):
        Normalize(*args)


def test_wrong_channels_are_named():
    with pytest.raises(ValueError, match=r"x must have shape \(N, 3, H, W\)"):
        Normalize((0.0,) * 3, (1.0,) * 3).forward(np.zeros((1, 1, 2, 2)))
