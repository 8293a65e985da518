"""Tests of the sanity checks (numpy_gradcam.evaluation.sanity)."""

import numpy as np
import pytest

from numpy_gradcam import load_model
from numpy_gradcam.evaluation.sanity import blocks, cascade, spearman, ssim
from numpy_gradcam.models import build


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
