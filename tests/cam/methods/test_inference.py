"""The compiled inference forward equals the engine's forward."""

import numpy as np
import pytest

from numpy_gradcam.cam.methods.inference import compile_forward, fast_forward
from numpy_gradcam.models import reference_net, tinycnn_fc, tinycnn_gap
from numpy_gradcam.nn import AvgPool2d, Conv2d, Flatten, Linear, ReLU, Sequential
from numpy_gradcam.nn.layer import Layer


def _stride_pool_model():
    """Stride 2 without padding, an average pool, a flatten: the paths the tiny CNNs skip."""
    return Sequential([("conv1", Conv2d(3, 4, 3, stride=2, rng=1)), ("relu1", ReLU()),
                       ("pool1", AvgPool2d(2, stride=1)), ("flatten", Flatten()),
                       ("fc", Linear(4 * 14 * 14, 3, rng=2))])


@pytest.mark.parametrize("build", [tinycnn_gap, tinycnn_fc, reference_net, _stride_pool_model])
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-13), (np.float32, 1e-5)])
def test_equals_the_engine_forward(build, dtype, tol, gap_model):
    model = build() if build is _stride_pool_model else build(seed=4)
    if build is tinycnn_gap:
        model = gap_model                                  # trained BatchNorm statistics
    x = np.random.default_rng(0).random((3, 3, 32 if build is _stride_pool_model else 64,
                                         32 if build is _stride_pool_model else 64)).astype(dtype)
    ours = compile_forward(model)(x)
    reference = model.forward(x)
    assert ours.dtype == dtype and ours.shape == reference.shape
    np.testing.assert_allclose(ours, reference, rtol=tol, atol=tol * np.abs(reference).max())


def test_an_unknown_layer_falls_back_to_the_engine():
    class Identity(Layer):
        def forward(self, x, train=False):
            return x, None

    model = Sequential([("conv", Conv2d(3, 2, 1)), ("same", Identity())])
    assert compile_forward(model) is None
    assert fast_forward(model) == model.forward
