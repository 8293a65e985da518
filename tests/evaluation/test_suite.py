"""Tests of the streamed evaluation (numpy_gradcam.evaluation.suite) and of the bias study."""

import numpy as np
import pytest

from numpy_gradcam import load_model
from numpy_gradcam.datasets import make_biased, make_shapes
from numpy_gradcam.evaluation import bias, suite


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
