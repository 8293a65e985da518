import numpy as np
import pytest

import numpy_gradcam as ng

from .conftest import toy_image, toy_model


def test_pixel_map_of_a_hand_computed_toy():
    """Logit 0 is mean relu(R) over Z = 4 pixels. A 1×1 patch of black on pixel (i, j) lowers
    it by R_ij / 4, and each pixel is covered by exactly one patch."""
    R = [[0.4, 0.8], [0.0, 1.0]]
    x = toy_image(R, [[0, 0], [0, 0]])
    e = ng.explain(toy_model(), x, target=0, method="occlusion", patch=1, stride=1)
    np.testing.assert_allclose(e.cam, np.array(R) / 4, atol=1e-16)
    np.testing.assert_allclose(e.saliency, np.repeat(e.cam[None], 3, axis=0))


def test_overlapping_patches_average_and_uncovered_pixels_get_zero():
    """3×3 image, 2×2 patch, stride 1: four patches; pixel (1, 1) lies in all four, so its value
    is the mean of their drops. Stride 2: only the top-left patch fits, the last row and column
    are uncovered and get 0."""
    R = np.array([[0.9, 0.1, 0.2], [0.3, 0.5, 0.4], [0.6, 0.7, 0.8]])
    x = toy_image(R, np.zeros((3, 3)))
    e = ng.explain(toy_model(), x, target=0, method="occlusion", patch=2, stride=1)
    drops = [R[u:u + 2, v:v + 2].sum() / 9 for u in (0, 1) for v in (0, 1)]
    assert e.cam[1, 1] == pytest.approx(np.mean(drops), abs=1e-16)
    assert e.cam[0, 0] == pytest.approx(drops[0], abs=1e-16)
    e2 = ng.explain(toy_model(), x, target=0, method="occlusion", patch=2, stride=2)
    np.testing.assert_allclose(e2.cam[:2, :2], drops[0], atol=1e-16)
    np.testing.assert_array_equal(e2.cam[2, :], 0)
    np.testing.assert_array_equal(e2.cam[:, 2], 0)


@pytest.mark.parametrize("fill", [0.0, 0.5])
def test_a_patch_of_the_whole_image_gives_the_drop_of_the_blank_image(fc_model, images, fill):
    x, labels = images
    e = ng.explain(fc_model, x, target=labels, method="occlusion", patch=64, fill=fill,
                   relu=False, normalize=False)
    blank = fc_model.forward(np.full_like(x, fill))
    drop = e.logits[np.arange(2), labels] - blank[np.arange(2), labels]
    np.testing.assert_allclose(e.cam, np.broadcast_to(drop[:, None, None], e.cam.shape),
                               rtol=1e-12, atol=1e-13)


def test_bad_options_are_refused(gap_model, images):
    x = images[0][0]
    with pytest.raises(ValueError, match="patch must fit in the image of size \\(H, W\\) = "
                                         "\\(64, 64\\), got patch \\(65, 8\\)"):
        ng.explain(gap_model, x, method="occlusion", patch=(65, 8))
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        ng.explain(gap_model, x, method="occlusion", batch_size=0)
    with pytest.raises(ValueError, match="stride must be an integer >= 1"):
        ng.explain(gap_model, x, method="occlusion", stride=0)
    with pytest.raises(ValueError, match="fill must be a finite number"):
        ng.explain(gap_model, x, method="occlusion", fill=float("nan"))
    with pytest.raises(ValueError, match="patch applies to method 'occlusion', not to 'gradcam'"):
        ng.explain(gap_model, x, method="gradcam", patch=8)
