"""Options combined, each against what it is documented to mean (issue 21): several layers with
no ``fusion`` given fuse by the documented default, the mean; ``normalize`` of a constant map with
``eps=0`` gives zeros, never NaN. (``counterfactual=True`` with every gradient method's weights is
checked against torch in ``tests/oracle/test_counterfactual_torch.py``.)"""

import warnings

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam.cam.normalization import normalize
from numpy_gradcam.datasets import make_shapes

LAYERS = ["relu2", "relu3", "relu4"]


@pytest.mark.parametrize("method", ["gradcam", "layercam"])
def test_several_layers_without_fusion_fuse_by_the_mean(fc_model, method):
    """The fused map is the mean of the layers' own heatmaps (each ReLU'd, normalised and
    upsampled, as one-layer explanations give them), and equals ``fusion="mean"``."""
    x, labels, _ = make_shapes(2, seed=41)
    labels = [int(c) for c in labels]
    heatmaps = [ng.explain(fc_model, x, target=labels, method=method, layer=name).heatmap
                for name in LAYERS]
    default = ng.explain(fc_model, x, target=labels, method=method, layers=LAYERS)
    np.testing.assert_allclose(default.cam, np.mean(heatmaps, axis=0), rtol=1e-12, atol=1e-14)
    mean = ng.explain(fc_model, x, target=labels, method=method, layers=LAYERS, fusion="mean")
    np.testing.assert_array_equal(default.cam, mean.cam)
    # and the layers disagree enough that the maximum would be another map
    assert np.abs(np.max(heatmaps, axis=0) - default.cam).max() > 0.1


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("value", [0.0, 7.5, -3.0])
def test_normalize_of_a_constant_map_with_eps_zero_is_zeros(dtype, value):
    L = np.full((2, 3, 4), value, dtype=dtype)
    L[1] = np.arange(12, dtype=dtype).reshape(3, 4)                    # not constant: 0 .. 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                 # no 0/0 on the way
        out = normalize(L, eps=0)
    np.testing.assert_array_equal(out[0], np.zeros((3, 4)))
    np.testing.assert_allclose(out[1], np.arange(12).reshape(3, 4) / 11, rtol=1e-6)
    assert out.dtype == dtype
