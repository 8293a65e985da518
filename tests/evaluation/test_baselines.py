"""Tests of the baseline maps (numpy_gradcam.evaluation.baselines)."""

import numpy as np
import pytest

from numpy_gradcam.evaluation.baselines import center_gaussian, random_map


def test_center_gaussian_peaks_at_the_centre():
    g = center_gaussian(2, (5, 5), sigma=0.4)                      # σ = 2 px
    assert g.shape == (2, 5, 5) and g[0, 2, 2] == 1.0
    np.testing.assert_allclose(g[1, 2, 4], np.exp(-0.5))           # one σ from the centre
    np.testing.assert_allclose(g[0, 0, 0], np.exp(-1.0))           # √8 px away: exp(-8/8)


def test_random_map_is_seeded():
    np.testing.assert_array_equal(random_map(1, (3, 3), 7), random_map(1, (3, 3), 7))
    with pytest.raises(ValueError, match="n must be"):
        random_map(0, (3, 3), 7)
