"""Tests of deletion / insertion (numpy_gradcam.evaluation.deletion)."""

import numpy as np
import pytest

from numpy_gradcam.evaluation.deletion import auc, perturbation_curve, pixel_ranks


class RegionModel:
    """Two logits: ``(20 · mean brightness inside a fixed region, 0)``. Class 0's probability
    depends only on the region's pixels, so the region is the perfect map."""

    def __init__(self, region):
        self.region = region                                            # (H, W) bool

    def forward(self, x):
        s = x[:, :, self.region].mean(axis=(1, 2))                      # (N,)
        return np.stack([20 * s, np.zeros_like(s)], axis=1)


def test_auc_by_the_trapezoid_rule():
    np.testing.assert_allclose(auc(np.array([[1.0, 0.5, 0.0], [1.0, 1.0, 1.0]])), [0.5, 1.0])
    np.testing.assert_allclose(auc(np.array([[1.0, 0.0, 0.0, 0.0, 0.0]])), [0.125])


def test_pixel_ranks_most_salient_first_ties_row_major():
    maps = np.array([[[0.2, 0.9], [0.2, 0.5]]])
    np.testing.assert_array_equal(pixel_ranks(maps), [[2, 0, 3, 1]])


def test_deletion_of_the_perfect_map_drops_faster_than_of_its_inverse():
    region = np.zeros((8, 8), dtype=bool)
    region[2:4, 2:6] = True
    model = RegionModel(region)
    x = np.full((1, 3, 8, 8), 0.8)
    perfect = region[None].astype(float)
    targets = np.array([0])
    good = perturbation_curve(model, x, perfect, targets, "deletion", steps=8)
    bad = perturbation_curve(model, x, 1 - perfect, targets, "deletion", steps=8)
    assert auc(good)[0] < auc(bad)[0]
    # the region is 8 of 64 pixels = the first step: after it class 0 is at p = 1/2
    np.testing.assert_allclose(good[0, 1:], 0.5)
    assert good[0, 0] == pytest.approx(1 / (1 + np.exp(-16)))
    # insertion of the perfect map rises at once (baseline: black, given explicitly)
    ins = perturbation_curve(model, x, perfect, targets, "insertion", steps=8,
                             baseline=np.zeros_like(x))
    np.testing.assert_allclose(ins[0, 0], 0.5)
    assert ins[0, 1] == pytest.approx(1 / (1 + np.exp(-16)))


def test_bad_arguments_are_named():
    model = RegionModel(np.ones((4, 4), dtype=bool))
    x = np.zeros((1, 3, 4, 4))
    with pytest.raises(ValueError, match="mode"):
        perturbation_curve(model, x, np.zeros((1, 4, 4)), [0], mode="erase")
    with pytest.raises(ValueError, match="maps must have shape"):
        perturbation_curve(model, x, np.zeros((1, 4, 5)), [0])
    with pytest.raises(ValueError, match="steps"):
        perturbation_curve(model, x, np.zeros((1, 4, 4)), [0], steps=0)
