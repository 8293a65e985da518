"""Tests of average drop / increase in confidence (numpy_gradcam.evaluation.confidence)."""

import numpy as np
import pytest

from numpy_gradcam.evaluation import drop_and_increase, explanation_images


def test_drop_and_increase_of_hand_made_confidences():
    drop, increase = drop_and_increase(np.array([0.8, 0.5, 0.4]), np.array([0.4, 0.6, 0.4]))
    np.testing.assert_allclose(drop, [0.5, 0.0, 0.0])
    np.testing.assert_array_equal(increase, [False, True, False])


def test_explanation_image_dims_each_pixel_by_the_map():
    x = np.full((1, 3, 1, 2), 0.5)
    e = explanation_images(x, np.array([[[1.0, 0.25]]]))
    np.testing.assert_allclose(e[0, :, 0], [[0.5, 0.125]] * 3)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="Y must be > 0"):
        drop_and_increase(np.array([0.0]), np.array([0.1]))
    with pytest.raises(ValueError, match=r"maps must be in \[0, 1\]"):
        explanation_images(np.zeros((1, 3, 2, 2)), np.full((1, 2, 2), 2.0))
    with pytest.raises(ValueError, match="maps must have shape"):
        explanation_images(np.zeros((1, 3, 2, 2)), np.zeros((1, 3, 3)))
