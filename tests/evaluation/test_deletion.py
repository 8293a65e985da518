"""Tests of deletion / insertion (numpy_gradcam.evaluation.deletion)."""

import numpy as np
import pytest
from scipy import ndimage

from numpy_gradcam.evaluation.deletion import auc, blurred, perturbation_curve, pixel_ranks
from tests.evaluation.toy_models import LinearModel, sigmoid


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


def rederived_area(w, salience, start, end, steps):
    """Deletion / insertion written out plainly for one image: the pixels sorted by
    ``salience`` ``(H, W)`` (distinct values), most salient first; at step k the first
    ``k·H·W/steps`` of them, rounded to the nearest whole pixel, taken from ``end`` and the rest
    from ``start`` (both ``(C, H, W)``); class 0's probability; the trapezoid rule over [0, 1].
    Returns ``(curve, area)``."""
    H, W = salience.shape
    order = sorted(range(H * W), key=lambda p: -salience[p // W, p % W])
    curve = []
    for k in range(steps + 1):
        count = int(np.floor(k * H * W / steps + 0.5))                  # no k·H·W/steps ends in .5
        perturbed = start.copy()
        for p in order[:count]:
            perturbed[:, p // W, p % W] = end[:, p // W, p % W]
        curve.append(sigmoid((w * perturbed).sum()))
    area = sum((curve[k] + curve[k + 1]) / 2 for k in range(steps)) / steps
    return curve, area


def test_deletion_and_insertion_equal_a_plain_rederivation_when_steps_do_not_divide_the_pixels():
    """6 x 6 = 36 pixels in 5 steps: 7.2, 14.4, 21.6, 28.8 pixels, rounded to 7, 14, 22, 29 (not
    truncated to 21, 28). Insertion's default baseline: each channel of each image blurred on its
    own by a Gaussian of σ = 5 px (reflecting borders)."""
    rng = np.random.default_rng(24)
    w = rng.standard_normal((3, 6, 6))
    x = rng.random((2, 3, 6, 6))
    maps = rng.random((2, 6, 6))
    model, targets, steps = LinearModel(w), np.array([0, 0]), 5
    for mode in ("deletion", "insertion"):
        curves = perturbation_curve(model, x, maps, targets, mode, steps=steps, dtype=np.float64)
        for n in range(2):
            if mode == "deletion":
                start, end = x[n], np.zeros_like(x[n])
            else:
                blur = np.stack([ndimage.gaussian_filter(x[n, c], 5.0, mode="reflect")
                                 for c in range(3)])
                start, end = blur, x[n]
            curve, area = rederived_area(w, maps[n], start, end, steps)
            np.testing.assert_allclose(curves[n], curve, rtol=1e-12, err_msg=f"{mode} {n}")
            np.testing.assert_allclose(auc(curves)[n], area, rtol=1e-12)


def test_the_insertion_blur_leaves_per_channel_constant_images_unchanged():
    """A blur within each channel of each image cannot change an image whose channels are each
    constant; one that also blurred across the channels or the batch would mix them."""
    x = np.empty((2, 3, 7, 9))
    x[0] = np.array([0.1, 0.5, 0.9])[:, None, None]
    x[1] = np.array([0.8, 0.0, 0.3])[:, None, None]
    np.testing.assert_allclose(blurred(x), x, atol=1e-15)
    # so insertion over the default baseline is flat: every step shows the image itself
    model = LinearModel(np.random.default_rng(25).standard_normal((3, 7, 9)))
    curves = perturbation_curve(model, x, np.random.default_rng(26).random((2, 7, 9)),
                                np.array([0, 1]), "insertion", steps=4, dtype=np.float64)
    np.testing.assert_allclose(curves, curves[:, :1].repeat(5, axis=1), rtol=1e-14)
