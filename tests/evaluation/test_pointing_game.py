"""Tests of the pointing game (numpy_gradcam.evaluation.pointing_game)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from numpy_gradcam.evaluation import PAPER_TOLERANCE_64, energy_pointing_game, pointing_game
from tests.conftest import require_library


def one(shape, peak, mask_pixels):
    """A map ``(1, H, W)`` peaking at ``peak``, and a mask ``(1, H, W)`` of ``mask_pixels``."""
    maps = np.zeros((1, *shape))
    maps[(0, *peak)] = 1.0
    masks = np.zeros((1, *shape), dtype=bool)
    for pixel in mask_pixels:
        masks[(0, *pixel)] = True
    return maps, masks


def test_peak_inside_the_mask_is_a_hit():
    maps, masks = one((5, 6), (2, 3), [(2, 3), (2, 4)])
    np.testing.assert_array_equal(pointing_game(maps, masks), [True])


def test_peak_outside_the_mask_is_a_miss():
    maps, masks = one((5, 6), (0, 0), [(2, 3), (2, 4)])
    np.testing.assert_array_equal(pointing_game(maps, masks), [False])


def test_a_batch_is_scored_image_by_image():
    maps = np.zeros((3, 4, 4))
    maps[0, 1, 1] = maps[1, 3, 0] = maps[2, 0, 3] = 5.0
    masks = np.zeros((3, 4, 4), dtype=bool)
    masks[:, 1, 1] = True
    masks[2, 0, 3] = True
    np.testing.assert_array_equal(pointing_game(maps, masks), [True, False, True])


def test_tolerance_turns_a_near_miss_into_a_hit():
    # peak at (0, 0); the only mask pixel 2 rows down
    maps, masks = one((6, 6), (0, 0), [(2, 0)])
    assert not pointing_game(maps, masks)[0]
    assert not pointing_game(maps, masks, tolerance=1.9)[0]
    assert pointing_game(maps, masks, tolerance=2)[0]
    # diagonal neighbour: distance √2 = 1.414 (Euclidean, not chessboard)
    maps, masks = one((6, 6), (3, 3), [(4, 4)])
    assert not pointing_game(maps, masks, tolerance=1.4)[0]
    assert pointing_game(maps, masks, tolerance=1.5)[0]
    # (3, 4) from the peak: distance 5
    maps, masks = one((8, 8), (0, 0), [(3, 4)])
    assert not pointing_game(maps, masks, tolerance=4.99)[0]
    assert pointing_game(maps, masks, tolerance=5.0)[0]


def test_ties_go_to_the_first_maximum_in_c_order():
    maps = np.zeros((2, 3, 3))
    masks = np.zeros((2, 3, 3), dtype=bool)
    masks[0, 0, 0] = True  # a constant map points at (0, 0)
    masks[1, 0, 1] = True
    np.testing.assert_array_equal(pointing_game(maps, masks), [True, False])
    # two equal peaks, at (1, 2) and (2, 0): the first in row-major order is (1, 2)
    maps = np.zeros((1, 3, 3))
    maps[0, 1, 2] = maps[0, 2, 0] = 1.0
    masks = np.zeros((1, 3, 3), dtype=bool)
    masks[0, 2, 0] = True
    assert not pointing_game(maps, masks)[0]
    masks[0, 1, 2] = True
    assert pointing_game(maps, masks)[0]


def test_empty_mask_is_always_a_miss():
    maps, masks = one((4, 4), (1, 1), [])
    assert not pointing_game(maps, masks, tolerance=100)[0]


def test_float32_maps_and_numpy_tolerance():
    maps, masks = one((4, 4), (1, 1), [(1, 2)])
    assert pointing_game(maps.astype(np.float32), masks, tolerance=np.float32(1))[0]


def test_returns_a_bool_array():
    maps, masks = one((4, 4), (1, 1), [(1, 1)])
    hits = pointing_game(maps, masks)
    assert hits.dtype == bool and hits.shape == (1,)


@given(
    masks=hnp.arrays(bool, st.tuples(st.integers(1, 3), st.integers(1, 6), st.integers(1, 6))),
    seed=st.integers(0, 2**32 - 1),
    tolerance=st.floats(0, 10),
)
def test_properties(masks, seed, tolerance):
    maps = np.random.default_rng(seed).random(masks.shape)
    hits = pointing_game(maps, masks, tolerance=tolerance)
    # more tolerance never loses a hit
    assert (pointing_game(maps, masks, tolerance=tolerance + 1) >= hits).all()
    # tolerance 0 is "the peak pixel is in the mask"
    N = masks.shape[0]
    peak = maps.reshape(N, -1).argmax(axis=1)
    exact = masks.reshape(N, -1)[np.arange(N), peak]
    np.testing.assert_array_equal(pointing_game(maps, masks), exact)
    # a tolerance longer than the diagonal: every non-empty mask is hit
    np.testing.assert_array_equal(
        pointing_game(maps, masks, tolerance=10.0), masks.any(axis=(1, 2))
    )
    assert (hits <= masks.any(axis=(1, 2))).all()


@pytest.mark.parametrize(
    "maps, masks, tolerance, error, words",
    [
        (
            np.zeros((2, 4, 4)),
            np.zeros((2, 4, 5), dtype=bool),
            0,
            ValueError,
            ["masks", "(2, 4, 4)", "(2, 4, 5)"],
        ),
        (np.zeros((2, 4, 4)), np.zeros((1, 4, 4), dtype=bool), 0, ValueError, ["masks"]),
        (np.zeros((4, 4)), np.zeros((4, 4), dtype=bool), 0, ValueError, ["maps", "3", "(4, 4)"]),
        (np.zeros((1, 4, 4)), np.zeros((1, 4, 4)), 0, TypeError, ["masks", "bool", "float64"]),
        (np.zeros((1, 4, 4)), [[[True]]], 0, TypeError, ["masks"]),
        (
            np.zeros((1, 4, 4), dtype=int),
            np.zeros((1, 4, 4), dtype=bool),
            0,
            TypeError,
            ["maps", "int"],
        ),
        (
            np.full((1, 2, 2), np.nan),
            np.zeros((1, 2, 2), dtype=bool),
            0,
            ValueError,
            ["maps", "NaN"],
        ),
        (np.zeros((1, 2, 2)), np.zeros((1, 2, 2), dtype=bool), -1, ValueError, ["tolerance", "-1"]),
        (
            np.zeros((1, 2, 2)),
            np.zeros((1, 2, 2), dtype=bool),
            float("inf"),
            ValueError,
            ["tolerance"],
        ),
        (
            np.zeros((1, 2, 2)),
            np.zeros((1, 2, 2), dtype=bool),
            "15",
            TypeError,
            ["tolerance", "'15'"],
        ),
    ],
)
def test_bad_input_is_named(maps, masks, tolerance, error, words):
    with pytest.raises(error) as info:
        pointing_game(maps, masks, tolerance=tolerance)
    for word in words:
        assert word in str(info.value)


# --- the energy-based pointing game (Wang et al. 2020) ----------------------------------------

def test_paper_tolerance_is_15_px_at_224_rescaled_to_64():
    assert abs(PAPER_TOLERANCE_64 - 4.285714) < 1e-6


def test_a_uniform_map_shares_its_energy_by_area():
    maps = np.full((1, 3, 4), 0.7)
    masks = np.zeros((1, 3, 4), dtype=bool)
    masks[0, 0, :3] = True  # 3 of 12 pixels
    np.testing.assert_allclose(energy_pointing_game(maps, masks), [0.25])


def test_energy_share_of_a_hand_made_map():
    maps = np.array([[[1.0, 3.0], [0.0, 4.0]]])  # total 8
    masks = np.array([[[False, True], [False, True]]])  # holds 3 + 4
    np.testing.assert_allclose(energy_pointing_game(maps, masks), [0.875])
    maps_inside = np.array([[[0.0, 3.0], [0.0, 4.0]]])
    np.testing.assert_allclose(energy_pointing_game(maps_inside, masks), [1.0])


def test_empty_mask_or_zero_map_gives_nan_not_a_crash():
    maps = np.array([[[1.0, 2.0]], [[0.0, 0.0]]])
    masks = np.array([[[False, False]], [[True, False]]])
    out = energy_pointing_game(maps, masks)
    assert np.isnan(out).all()


def test_masks_of_the_wrong_shape_are_refused_by_name():
    with pytest.raises(ValueError, match="regions must have the shape"):
        energy_pointing_game(np.zeros((2, 4, 4)), np.zeros((2, 4, 5), dtype=bool))
    with pytest.raises(ValueError, match="masks must have the shape"):
        pointing_game(np.zeros((2, 4, 4)), np.zeros((1, 4, 4), dtype=bool))
    with pytest.raises(ValueError, match="maps must be >= 0"):
        energy_pointing_game(-np.ones((1, 2, 2)), np.ones((1, 2, 2), dtype=bool))


# --- against Quantus (the explanation-metrics toolkit), where the definitions agree ------------
# Quantus 0.6.0 takes precomputed attributions (a_batch) and masks (s_batch) with model=None, so
# its metric classes are called as a user would. Where the definitions agree: a non-empty mask,
# tolerance 0 (Quantus has none), a unique maximum. Where they differ (written down here and in
# docs/evaluation.md): tied maxima (Quantus: a hit if *any* maximum is on the mask; ours: the
# first in row-major order), an empty mask (Quantus: NaN written into a bool array, which reads
# as a hit; ours: a miss, and the evaluation skips and counts such images), and the energy share
# (Quantus' AttributionLocalisation adds 1e-9 to the total and rescales the map by its maximum
# first: the same share to ~1e-9 for a map whose maximum is 1).

def quantus_scores(metric, maps, masks):
    """Quantus' scores ``(N,)`` for maps and masks ``(N, H, W)``, passed in its layout
    ``(N, 1, H, W)`` (channels first) with precomputed attributions and no model."""
    N, H, W = maps.shape
    return np.array(metric(None, x_batch=np.zeros((N, 3, H, W)), y_batch=np.zeros(N, dtype=int),
                           a_batch=maps[:, None].copy(), s_batch=masks[:, None].astype(float),
                           channel_first=True), dtype=float)


def random_maps_and_masks(seed, N=12, H=9, W=11):
    """Maps with a unique maximum and non-empty masks (rectangles of random size and place)."""
    rng = np.random.default_rng(seed)
    maps = rng.random((N, H, W))
    masks = np.zeros((N, H, W), dtype=bool)
    for n in range(N):
        top, left = rng.integers(0, H - 1), rng.integers(0, W - 1)
        masks[n, top:top + rng.integers(1, 5), left:left + rng.integers(1, 6)] = True
    return maps, masks


def test_pointing_game_equals_quantus_pointing_game():
    quantus = require_library("quantus")
    maps, masks = random_maps_and_masks(31)
    # make half of them hits: move each odd image's peak into its mask
    for n in range(1, len(maps), 2):
        maps[n][masks[n]] += 1.0
    theirs = quantus_scores(quantus.PointingGame(disable_warnings=True), maps, masks)
    ours = pointing_game(maps, masks)
    np.testing.assert_array_equal(ours, theirs == 1)
    assert 0 < ours.sum() < len(ours)                                  # both outcomes occur


def test_where_quantus_pointing_game_differs():
    """Tied maxima (image 0) and an empty mask (image 1): Quantus says hit, we say miss."""
    quantus = require_library("quantus")
    maps = np.zeros((2, 4, 5))
    maps[:, 0, 0] = maps[:, 2, 3] = 1.0                                # two equal maxima
    masks = np.zeros((2, 4, 5), dtype=bool)
    masks[0, 2, 3] = True                                              # under the second one
    theirs = quantus_scores(quantus.PointingGame(disable_warnings=True), maps, masks)
    np.testing.assert_array_equal(theirs, [1.0, 1.0])
    np.testing.assert_array_equal(pointing_game(maps, masks), [False, False])


def test_energy_pointing_game_equals_quantus_attribution_localisation():
    quantus = require_library("quantus")
    maps, masks = random_maps_and_masks(32)
    maps /= maps.max(axis=(1, 2), keepdims=True)                       # maximum 1, as ours are
    theirs = quantus_scores(quantus.AttributionLocalisation(disable_warnings=True), maps, masks)
    np.testing.assert_allclose(energy_pointing_game(maps, masks), theirs, rtol=1e-8)
