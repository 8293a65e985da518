import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam.cam.methods import gradcam_plusplus

from .conftest import toy_image, toy_model


def test_alphas_and_weights_of_a_hand_computed_toy():
    """fc weight [[1, -2], [0, 1]], class 0: y = mean A^0 - 2 mean A^1, Z = 4, so g^0 = 1/4 and
    g^1 = -1/2 at every pixel. A^0 = [[1, 1], [0, 0]] (Σ A^0 = 2), A^1 = 0 (Σ A^1 = 0):
    α^0 = (1/16) / (2/16 + 2 · 1/64) = 0.4 at every pixel; α^1 = (1/4) / (2/4) = 1/2, but
    relu(g^1) = 0. pytorch-grad-cam form: w_0 = Σ_ij α^0 relu(g^0) = 4 · 0.4 · 1/4 = 0.4
    (its eps 1e-6 shifts the 6th digit). Paper form: the same times exp(S^c), S^c = 1/2."""
    model = toy_model([[1.0, -2.0], [0.0, 1.0]])
    x = toy_image([[1, 1], [0, 0]], [[0, 0], [0, 0]])
    pgc = ng.explain(model, x, target=0, method="gradcam++", gradcampp_form="pytorch-grad-cam")
    np.testing.assert_allclose(pgc.weights, [0.4, 0.0], rtol=1e-5)
    paper = ng.explain(model, x, target=0, method="gradcam++", gradcampp_form="paper")
    np.testing.assert_allclose(paper.weights, [0.4 * np.exp(0.5), 0.0], rtol=1e-14)


def test_the_forms_differ_only_by_exp_of_the_score_and_the_eps(gap_model, images,
                                                               monkeypatch):
    """α is the same in both forms; the paper's w has the positive factor exp(S^c), and
    pytorch-grad-cam's has an eps of 1e-6 in α's denominator (set to 0 here)."""
    x, labels = images
    paper = ng.explain(gap_model, x, target=labels, method="gradcam++", normalize=False)
    monkeypatch.setattr(gradcam_plusplus, "PGC_EPS", 0.0)
    pgc = ng.explain(gap_model, x, target=labels, method="gradcam++", normalize=False,
                     gradcampp_form="pytorch-grad-cam")
    S = paper.logits[np.arange(2), labels]
    assert np.abs(S).max() > 0.5                                       # exp(S^c) is not 1
    np.testing.assert_allclose(paper.weights, np.exp(S)[:, None] * pgc.weights, rtol=1e-12,
                               atol=1e-15)


def test_paper_form_refuses_the_softmax_score(gap_model, images):
    with pytest.raises(ValueError, match="gradcampp_form='paper' needs score='logit'"):
        ng.explain(gap_model, images[0], method="gradcam++", score="softmax")
    e = ng.explain(gap_model, images[0], method="gradcam++", score="softmax",
                   gradcampp_form="pytorch-grad-cam")
    assert np.isfinite(e.cam).all()


def test_unknown_form_and_form_on_another_method_are_errors(gap_model, images):
    with pytest.raises(ValueError, match="gradcampp_form must be one of 'paper'"):
        ng.explain(gap_model, images[0], method="gradcam++", gradcampp_form="keras")
    with pytest.raises(ValueError, match="gradcampp_form applies to method 'gradcam\\+\\+'"):
        ng.explain(gap_model, images[0], method="scorecam", gradcampp_form="paper")
