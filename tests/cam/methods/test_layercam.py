import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam.cam import normalization, upsampling


def test_one_layer_equals_its_definition(fc_model, images):
    x, labels = images
    A, g = ng.gradients(fc_model, x, target=labels, layer="relu3")
    expected = np.maximum((np.maximum(g, 0) * A).sum(axis=1), 0)        # ReLU(Σ_k relu(g) ⊙ A)
    e = ng.explain(fc_model, x, target=labels, method="layercam", layer="relu3")
    np.testing.assert_allclose(e.cam, expected, rtol=1e-13, atol=1e-16)
    assert (e.weights >= 0).all() and e.weights.shape == A.shape


@pytest.mark.parametrize("fusion", ["mean", "max"])
def test_several_layers_fuse_the_normalised_upsampled_maps(fc_model, images, fusion):
    x, labels = images
    maps = []
    for layer in ("relu2", "relu3", "relu4"):
        L = ng.explain(fc_model, x, target=labels, method="layercam", layer=layer).cam
        maps.append(upsampling.upsample(normalization.normalize(L), (64, 64)))
    fused = np.mean(maps, axis=0) if fusion == "mean" else np.max(maps, axis=0)
    e = ng.explain(fc_model, x, target=labels, method="layercam",
                   layers=["relu2", "relu3", "relu4"], fusion=fusion)
    np.testing.assert_allclose(e.cam, fused, atol=1e-14)
    np.testing.assert_allclose(e.heatmap, normalization.normalize(fused), atol=1e-14)
    assert e.layer == "relu2+relu3+relu4" and e.activations is None


def test_layer_options_are_checked(fc_model, images):
    x = images[0]
    with pytest.raises(ValueError, match=r"either layer .* or layers"):
        ng.explain(fc_model, x, method="layercam", layer="relu3", layers=["relu4"])
    with pytest.raises(ValueError, match="fusion applies to several layers"):
        ng.explain(fc_model, x, method="layercam", fusion="max")
    with pytest.raises(ValueError, match="fusion must be one of 'mean', 'max'"):
        ng.explain(fc_model, x, method="layercam", layers=["relu4"], fusion="median")
    with pytest.raises(TypeError, match="layers must be a non-empty list"):
        ng.explain(fc_model, x, method="layercam", layers="relu4")
    with pytest.raises(ValueError, match="layer must be one of"):
        ng.explain(fc_model, x, method="layercam", layers=["relu9"])
