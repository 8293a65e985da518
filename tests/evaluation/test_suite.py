"""Tests of the streamed evaluation (numpy_gradcam.evaluation.suite) and of the bias study."""

import numpy as np
import pytest

from numpy_gradcam import load_model
from numpy_gradcam.datasets import make_biased, make_shapes
from numpy_gradcam.evaluation import bias, suite
from numpy_gradcam.evaluation.maps import method_maps
from tests.evaluation.toy_models import LinearModel, sigmoid


def test_a_small_run_scores_every_metric_and_streams(monkeypatch):
    model = load_model("tinycnn-gap")
    out = suite.evaluate(model, ["gradcam", "center-gaussian"], n=6, seed=3, batch_size=4,
                         curve_n=2, steps=4, progress=False)
    assert out["n"] == 6 and out["skipped_empty"] == 0
    v = out["values"]["gradcam"]
    assert v["pointing_0"].shape == (6,) and v["deletion_auc"].shape == (2,)
    assert out["curves"]["gradcam"]["insertion"].shape == (2, 5)
    rows, _ = suite.summarize(out["values"], suite.METRICS[:-1])
    assert rows["gradcam"]["pointing_paper"].n == 6


def test_empty_masks_are_skipped_and_counted(monkeypatch):
    def with_an_empty_mask(n, seed):
        x, y, m = make_shapes(n, seed=seed)
        m[0] = False
        return x, y, m

    monkeypatch.setattr(suite, "make_shapes", with_an_empty_mask)
    out = suite.evaluate(load_model("tinycnn-gap"), ["random"], n=3, seed=0,
                         metrics=["pointing", "energy"], progress=False)
    assert out["skipped_empty"] == 1 and out["n"] == 2
    assert out["values"]["random"]["energy_mask"].shape == (2,)


def test_bad_arguments_are_named():
    model = load_model("tinycnn-gap")
    with pytest.raises(ValueError, match="n must be"):
        suite.evaluate(model, ["gradcam"], n=0)
    with pytest.raises(ValueError, match="metric must be one of"):
        suite.evaluate(model, ["gradcam"], n=2, metrics=["accuracy"])


def test_cue_shares_on_a_few_biased_images():
    x, labels, masks, cues = make_biased(4, seed=5, split="test")
    s = bias.cue_shares(load_model("tinycnn-biased"), x, labels, masks, cues)
    assert s["cue"].shape == (4,) and s["correct"].dtype == bool
    has = cues.any(axis=(1, 2))
    assert np.isnan(s["cue"][~has]).all() and not np.isnan(s["cue"][has]).any()


# --- every column of the table on hand-made cases with known numbers --------------------------

def hand_made_batch():
    """Three 16 x 16 images with one L-shaped object (7 px; its box is 16 px, rows and columns
    4-7). A: a map of 1 with a peak of 2 at (7, 11), 4 px right of the object (in at the paper's
    tolerance of 4.29 px, out at 0), the class right. B: a map of 1 on the object's box and 0
    elsewhere, the class wrong. C: as B, the class right."""
    masks = np.zeros((3, 16, 16), dtype=bool)
    masks[:, 4:8, 4] = True
    masks[:, 7, 4:8] = True
    maps = np.zeros((3, 16, 16))
    maps[0] = 1.0
    maps[0, 7, 11] = 2.0
    maps[1:, 4:8, 4:8] = 1.0
    return maps, masks, np.array([True, False, True])


def test_every_ground_truth_column_of_hand_made_cases():
    maps, masks, correct = hand_made_batch()
    out = suite.score_batch(None, None, masks, maps, None, correct,
                            ["pointing", "energy", "localization"], None, 4)
    np.testing.assert_array_equal(out["pointing_0"], [False, True, True])
    np.testing.assert_array_equal(out["pointing_paper"], [True, True, True])
    # A: the map sums to 255 + 2; B, C: to the 16 px of the box
    np.testing.assert_allclose(out["energy_mask"], [7 / 257, 7 / 16, 7 / 16])
    np.testing.assert_allclose(out["energy_box"], [16 / 257, 1.0, 1.0])
    # A binarises to the whole image (its box: IoU 16/256, a miss); B and C to the object's box
    np.testing.assert_array_equal(out["loc_error"], [True, False, False])
    np.testing.assert_array_equal(out["top1_loc_error"], [True, True, False])
    np.testing.assert_allclose(out["mask_iou"], [7 / 256, 7 / 16, 7 / 16])


def test_confidence_and_perturbation_columns_of_a_linear_model():
    """``x`` = 0.5 everywhere and logits ``(4·mean x, 0)``: class 0 has p = σ(2) on the image.
    The map is 0.5 everywhere (image 0) or 1 on the left half (image 1, explaining class 1)."""
    x = np.full((2, 3, 4, 4), 0.5)
    model = LinearModel(np.full((3, 4, 4), 4 / 48))
    maps = np.full((2, 4, 4), 0.5)
    maps[1] = 0.0
    maps[1, :, :2] = 1.0
    targets = np.array([0, 1])
    out = suite.score_batch(model, x, np.ones((2, 4, 4), dtype=bool), maps, targets,
                            np.array([True, True]), ["confidence", "deletion"], None, 2)
    # E = L ⊙ I: 0.25 everywhere (s = 1) and 0.5 on half the pixels (s = 1)
    p0, p1 = sigmoid(2.0), 1 - sigmoid(2.0)
    np.testing.assert_allclose(out["average_drop"], [(p0 - sigmoid(1.0)) / p0, 0.0], rtol=1e-6)
    np.testing.assert_array_equal(out["increase"], [False, True])
    # deletion: half the pixels black after step 1 (s = 1), all after step 2 (s = 0)
    deletion = np.array([[sigmoid(2.0), sigmoid(1.0), 0.5], [p1, 1 - sigmoid(1.0), 0.5]])
    np.testing.assert_allclose(out["deletion_curve"], deletion, rtol=1e-6)
    np.testing.assert_allclose(out["deletion_auc"], (deletion[:, :2] + deletion[:, 1:]).sum(1) / 4,
                               rtol=1e-6)
    # insertion: the blur of a constant image is the image, so the curve is flat
    np.testing.assert_allclose(out["insertion_curve"], [[p0] * 3, [p1] * 3], rtol=1e-6)
    np.testing.assert_allclose(out["insertion_auc"], [p0, p1], rtol=1e-6)


def test_the_predicted_class_is_explained_not_the_label(monkeypatch):
    """Every label made wrong: the maps must still explain the model's prediction, and the top-1
    localisation error then counts every image as a miss."""
    model = load_model("tinycnn-gap")
    explained, seen = [], []

    def wrong_labels(n, seed):
        x, y, m = make_shapes(n, seed=seed)
        seen.append((x, (y + 1) % 4))
        return x, (y + 1) % 4, m

    def spy(model, x, method, targets=None, **options):
        explained.append(np.array(targets))
        return method_maps(model, x, method, targets=targets, **options)

    monkeypatch.setattr(suite, "make_shapes", wrong_labels)
    monkeypatch.setattr(suite, "method_maps", spy)
    # guided backprop: half its maps localise (Grad-CAM's 8 x 8 maps never do at IoU 0.5)
    out = suite.evaluate(model, ["guided-backprop"], n=6, seed=7, metrics=["localization"],
                         progress=False)
    (x, labels), = seen
    predicted = model.forward(x).argmax(axis=1)
    np.testing.assert_array_equal(explained[0], predicted)
    assert (predicted != labels).any()
    v = out["values"]["guided-backprop"]
    assert v["top1_loc_error"].all() and not v["loc_error"].all()
    assert out["accuracy"] < 1
