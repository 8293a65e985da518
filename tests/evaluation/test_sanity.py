"""Tests of the sanity checks (numpy_gradcam.evaluation.sanity)."""

import numpy as np
import pytest
import scipy.stats

from numpy_gradcam import load_model
from numpy_gradcam.evaluation.sanity import blocks, cascade, spearman, ssim
from numpy_gradcam.models import build
from tests.conftest import require_library


def test_spearman_of_hand_made_rankings():
    a = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    # one swap of neighbours: 1 - 6·Σd²/(n(n²-1)) = 1 - 6·2/60 = 0.8
    np.testing.assert_allclose(spearman(a, np.array([[[1.0, 3.0], [2.0, 4.0]]])), [0.8])
    np.testing.assert_allclose(spearman(a, a**3), [1.0])          # any monotone map: 1
    np.testing.assert_allclose(spearman(a, -a), [-1.0])
    assert np.isnan(spearman(a, np.zeros_like(a)))[0]               # constant: no ranking


def test_ssim_is_one_for_equal_maps_and_lower_otherwise():
    rng = np.random.default_rng(0)
    a = rng.random((2, 9, 9))
    np.testing.assert_allclose(ssim(a, a), [1.0, 1.0])
    assert (ssim(a, 1 - a) < 0).all()                              # anti-correlated structure
    with pytest.raises(ValueError, match="window"):
        ssim(a[:, :5, :5], a[:, :5, :5])


def test_cascade_randomises_from_the_top_and_leaves_the_model_alone():
    model = load_model("tinycnn-gap")
    card = model.card
    fresh = build(card["architecture"], seed=1, **card["architecture_options"])
    assert blocks(model) == [["fc"], ["conv4", "bn4"], ["conv3", "bn3"], ["conv2", "bn2"],
                             ["conv1", "bn1"]]
    before = {k: v.copy() for k, v in model.state_dict().items()}
    steps = list(cascade(model, fresh))
    assert [label for label, _ in steps] == ["trained", "fc", "conv4+bn4", "conv3+bn3",
                                             "conv2+bn2", "conv1+bn1"]
    second = steps[2][1].state_dict()
    np.testing.assert_array_equal(second["fc.weight"], fresh.state_dict()["fc.weight"])
    np.testing.assert_array_equal(second["conv4.weight"], fresh.state_dict()["conv4.weight"])
    np.testing.assert_array_equal(second["conv3.weight"], before["conv3.weight"])
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_a_fresh_model_of_another_architecture_is_refused():
    model = load_model("tinycnn-gap")
    with pytest.raises(ValueError, match="same architecture"):
        list(cascade(model, build("tinycnn-fc", seed=1)))


# --- against independent implementations: scikit-image's SSIM, scipy's Spearman --------------

def test_ssim_equals_scikit_image_with_the_same_window_and_constants():
    """scikit-image's ``structural_similarity`` with a 7 x 7 uniform window, population
    statistics, data range 1 and K1 = 0.01, K2 = 0.03 (so C1 = K1², C2 = K2²), averaged over the
    windows that fit inside the image (it crops (7 - 1) / 2 = 3 px from each side): the same
    definition as ours, so the numbers must agree to rounding. Maps of 11 x 14 with smooth
    structure (low local variance, where the constants matter) and noise."""
    require_library("skimage")
    from skimage.metrics import structural_similarity

    rng = np.random.default_rng(21)
    i, j = np.mgrid[0:11, 0:14] / 10.0
    smooth = np.stack([np.clip(0.5 + 0.3 * np.sin(3 * i + k) * np.cos(2 * j), 0, 1)
                       for k in range(3)])                              # (3, 11, 14)
    a = np.concatenate([smooth, rng.random((2, 11, 14))])
    b = np.concatenate([np.clip(smooth + 0.05 * rng.standard_normal(smooth.shape), 0, 1),
                        rng.random((2, 11, 14))])
    expected = [structural_similarity(
        a[n], b[n], win_size=7, data_range=1.0, gaussian_weights=False,
        use_sample_covariance=False, K1=0.01, K2=0.03) for n in range(len(a))]
    np.testing.assert_allclose(ssim(a, b), expected, rtol=1e-10, atol=1e-12)


def test_spearman_equals_scipy_with_ties():
    """scipy.stats.spearmanr (average ranks for ties) on maps with many ties (integer levels)."""
    rng = np.random.default_rng(22)
    a = rng.integers(0, 4, size=(4, 6, 5)).astype(float)
    b = a + rng.integers(0, 3, size=a.shape)                            # correlated, tied
    b[3] = rng.random((6, 5))                                           # uncorrelated, no ties
    expected = [scipy.stats.spearmanr(a[n].ravel(), b[n].ravel()).statistic for n in range(len(a))]
    np.testing.assert_allclose(spearman(a, b), expected, rtol=1e-12)
