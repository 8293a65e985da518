import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam.cam.methods.eigencam import first_component


def test_sign_convention_and_map_of_a_hand_computed_case():
    """O = [[3, 0], [0, 4]] (two locations, two channels): σ_1 = 4, V_1 = ±[0, 1], Σ V_1 ≥ 0
    picks +: L = O V_1 = [0, 4]. Centred (pytorch-grad-cam): O - mean = [[1.5, -2], [-1.5, 2]],
    rank one along ±[0.6, -0.8]; Σ = -0.2 < 0, so V_1 = [-0.6, 0.8] and L = [-2.5, 2.5]."""
    model = _toy_eigen_model()
    x = _toy_eigen_image()
    paper = ng.explain(model, x, method="eigencam", relu=False, normalize=False)
    np.testing.assert_allclose(paper.weights, [0.0, 1.0], atol=1e-15)
    np.testing.assert_allclose(paper.cam, [[0.0, 4.0]], atol=1e-14)
    pgc = ng.explain(model, x, method="eigencam", relu=False, eigencam_variant="pytorch-grad-cam")
    np.testing.assert_allclose(pgc.weights, [-0.6, 0.8], atol=1e-14)
    np.testing.assert_allclose(pgc.cam, [[-2.5, 2.5]], atol=1e-14)


def test_the_first_component_is_the_top_eigenvector_with_a_positive_sum():
    rng = np.random.default_rng(5)
    O = rng.random((3, 10, 4))
    v = first_component(O)
    assert (v.sum(axis=1) >= 0).all()
    # V_1 is the top eigenvector of OᵀO, whichever sign an SVD returns
    _values, vectors = np.linalg.eigh(np.einsum("nmk,nml->nkl", O, O))
    top = vectors[:, :, -1]
    top *= np.sign(top.sum(axis=1))[:, None]
    np.testing.assert_allclose(v, top, atol=1e-12)


def test_is_class_agnostic_and_gradient_free(gap_model, images):
    x = images[0]
    a = ng.explain(gap_model, x, target=0, method="eigencam")
    b = ng.explain(gap_model, x, target=3, method="eigencam")
    np.testing.assert_array_equal(a.cam, b.cam)
    assert a.gradients is None
    with pytest.raises(ValueError, match="score='softmax' does not apply"):
        ng.explain(gap_model, x, method="eigencam", score="softmax")


def _toy_eigen_model():
    from numpy_gradcam.nn import Conv2d, GlobalAvgPool2d, Linear, ReLU, Sequential
    conv = Conv2d(3, 2, 1, bias=False)
    conv.params["weight"] = np.array([[3.0, 0, 0], [0, 4.0, 0]]).reshape(2, 3, 1, 1)
    return Sequential([("conv", conv), ("relu", ReLU()), ("gap", GlobalAvgPool2d()),
                       ("fc", Linear(2, 2))], target_layer="relu")


def _toy_eigen_image():
    """One row of two pixels: A^0 = [[3, 0]], A^1 = [[0, 4]]."""
    return np.array([[[1.0, 0.0]], [[0.0, 1.0]], [[0.0, 0.0]]])
