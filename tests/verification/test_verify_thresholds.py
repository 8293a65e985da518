"""``verify`` at its thresholds (issue 21) and its messages (issue 19).

The tolerance is relative to each stage's own scale: a stage near 1e-3 and one near 1e3 are
tried just inside and just outside it. Scale mistakes are named only at their own ratio (2 for
``repeated-backward``, ``Z = h·w`` for ``gradient-sum``); a ratio of exactly 1 is a match, and
a cam scaled without its weights is no scale mistake at all.
"""

import numpy as np
import pytest

from numpy_gradcam.cam.presets import PRESETS
from numpy_gradcam.verification.vectors import reference
from numpy_gradcam.verification.verify import ATOL, RTOL, compare_stage, verify
from tests.verification.test_verify import hand_gradcam, ref

SCALE_MISTAKES = {"gradient-sum", "repeated-backward"}


def _perturbed(ref_stage, fraction, rng):
    """``ref_stage`` plus an error of ``fraction`` × the tolerance at one random entry (and
    smaller elsewhere)."""
    scale = np.abs(ref_stage).max()
    tolerance = RTOL * scale + ATOL
    noise = rng.uniform(-0.5, 0.5, ref_stage.shape) * tolerance
    noise.flat[rng.integers(ref_stage.size)] = fraction * tolerance
    return ref_stage + noise


@pytest.mark.parametrize("scale", [1e-3, 1e3])
def test_the_tolerance_is_relative_to_the_stage_scale(scale):
    rng = np.random.default_rng(0)
    stage = rng.standard_normal((2, 8, 8))
    stage *= scale / np.abs(stage).max()                                 # max |stage| = scale
    inside = compare_stage("cam", _perturbed(stage, 0.9, rng), stage)
    outside = compare_stage("cam", _perturbed(stage, 1.1, rng), stage)
    assert inside.matches and not outside.matches
    assert inside.max_rel == pytest.approx(0.9 * RTOL, rel=1e-3)
    assert outside.max_rel == pytest.approx(1.1 * RTOL, rel=1e-3)


@pytest.mark.parametrize(("stage", "magnitude"), [("gradients", 1e-2), ("activations", 1e1)])
def test_verify_uses_each_stage_scale(stage, magnitude):
    """Real stages of a case, of very different scales: in at 0.9 × the tolerance, out at 1.1."""
    rng = np.random.default_rng(1)
    golden = ref("gap-predicted")[stage]
    assert magnitude / 10 < np.abs(golden).max() < magnitude * 10
    assert verify({stage: _perturbed(golden, 0.9, rng)}, "gap-predicted").matches
    report = verify({stage: _perturbed(golden, 1.1, rng)}, "gap-predicted")
    assert report.first_divergence == stage


def test_a_ratio_of_exactly_one_is_a_match_not_a_scale_mistake():
    theirs = hand_gradcam("gap-predicted")
    report = verify({k: theirs[k] for k in ("gradients", "weights", "cam")}, "gap-predicted")
    assert report.matches and report.diagnosis == []
    assert all(error.ratio is None for error in report.stages.values())
    theirs["heatmap"] = theirs["heatmap"] ** 2                # something else is wrong
    report = verify({k: theirs[k] for k in ("weights", "cam", "heatmap")}, "gap-predicted")
    assert report.first_divergence == "heatmap"
    assert not SCALE_MISTAKES & set(report.diagnosis)


def test_only_the_cam_scaled_is_no_scale_mistake():
    theirs = hand_gradcam("gap-predicted")
    report = verify({"weights": theirs["weights"], "cam": 2 * theirs["cam"]}, "gap-predicted")
    assert report.first_divergence == "cam"
    assert report.stages["weights"].matches and report.stages["weights"].ratio is None
    assert report.stages["cam"].ratio == pytest.approx(2)
    assert report.diagnosis == []
    assert "a constant ratio to the reference (cam 2)" in report.text()


def test_a_ratio_of_two_is_repeated_backward_not_gradient_sum():
    theirs = hand_gradcam("gap-predicted", gradient_scale=2)
    report = verify({k: theirs[k] for k in ("weights", "cam")}, "gap-predicted")
    assert report.diagnosis == ["repeated-backward"], report.text()
    assert report.stages["weights"].ratio == pytest.approx(2, rel=1e-12)
    assert "repeated-backward (ratio 2)" in report.text()


@pytest.mark.parametrize(("factor", "named"), [(1 + 0.5 * RTOL, ["gradient-sum"]),
                                               (1 + 3 * RTOL, []), (0.5, [])])
def test_gradient_sum_only_at_a_ratio_of_z(factor, named):
    theirs = hand_gradcam("gap-predicted", pool="sum")
    given = {k: factor * theirs[k] for k in ("weights", "cam")}
    report = verify(given, "gap-predicted")
    assert report.diagnosis == named, report.text()
    assert report.stages["cam"].ratio == pytest.approx(64 * factor, rel=1e-9)
    assert f"{64 * factor:.6g} x the reference" in report.text()


# ---- hints and messages -------------------------------------------------------------------

def test_a_0_255_overlay_is_told_to_divide_by_255():
    overlay = np.round(ref("gap-predicted")["overlay"] * 255).astype(np.uint8)
    report = verify({"overlay": overlay}, "gap-predicted")
    hint = report.stages["overlay"].hint
    assert hint.startswith(f"values up to {overlay.max()} where the reference lies in [0, 1]")
    assert "divided by 255 it matches" not in hint                      # rounding: 1/510 off
    assert "divided by 255 its max abs error is 0.00196" in hint
    report = verify({"heatmap": ref("gap-predicted")["heatmap"] * 255}, "gap-predicted")
    assert "divided by 255 it matches" in report.stages["heatmap"].hint
    assert "hint: heatmap: values up to" in report.text()


def test_values_a_little_above_1_are_not_called_0_255():
    heatmap = 1.2 * ref("gap-predicted")["heatmap"]                      # max 1.17
    hint = verify({"heatmap": heatmap}, "gap-predicted").stages["heatmap"].hint
    assert hint.startswith(f"values up to {heatmap.max():.6g} where the reference lies in "
                           f"[0, 1]: not normalised")
    assert "255" not in hint


def test_values_in_range_get_no_hint():
    report = verify({"heatmap": ref("gap-predicted")["heatmap"] ** 2}, "gap-predicted")
    assert report.stages["heatmap"].hint == "" and "hint:" not in report.text()


def test_an_unexplained_difference_lists_what_was_tried():
    report = verify({"heatmap": ref("gap-predicted")["heatmap"] ** 2}, "gap-predicted")
    text = report.text()
    assert "no single mistake of the catalogue explains it" in text
    assert "tried, under preset 'paper' (docs/verification.md, section 'The catalogue'" in text
    for name in ("softmax-score", "previous-block", "opencv-jet-bgr", "preset:captum"):
        assert name in report.tried and name in text


def test_a_logits_difference_points_at_weights_preprocessing_and_eval_mode():
    logits = ref("gap-predicted")["logits"] * 1.01 + 0.1
    text = verify({"logits": logits}, "gap-predicted").text()
    assert "model-tinycnn-gap.npz" in text and "model.eval()" in text
    assert "preprocessing" in text


def test_a_preset_diagnosis_suggests_rerunning_with_it():
    theirs, _ = reference("gap-other-class", preset="torchcam")
    report = verify({"heatmap": theirs["heatmap"]}, "gap-other-class")
    assert "preset:torchcam" in report.diagnosis
    assert "re-run with --preset torchcam" in report.text()


def test_weights_of_the_map_shape_name_the_channel_mean():
    alpha = ref("fc-predicted")["gradients"].mean(axis=1)                # (1, 8, 8)
    with pytest.raises(ValueError, match=r"'weights' must have shape \(1, 64\).*mean over the "
                                         r"channel axis.*channel-mean"):
        verify({"weights": alpha}, "fc-predicted")


# ---- the catalogue under the presets -------------------------------------------------------

@pytest.mark.parametrize("preset", list(PRESETS))
def test_each_preset_reference_matches_under_itself_and_is_never_named(preset):
    stages, _ = reference("gap-batch", preset=preset)
    theirs = {k: v for k, v in stages.items() if v is not None}
    report = verify(theirs, "gap-batch", preset=preset)
    assert report.matches and report.diagnosis == [], report.text()


@pytest.mark.parametrize("preset", ["pytorch-grad-cam", "captum"])
def test_a_mistake_before_the_map_is_named_under_a_preset(preset):
    """The softmax's gradient, rendered by the preset's library (its render, tested against
    the library in tests/cam/presets): named under that preset, as under the paper."""
    theirs = hand_gradcam("gap-predicted", score="softmax", relu=PRESETS[preset].relu)
    rendering = PRESETS[preset].render(theirs["cam"], theirs["image"], {})
    given = {"weights": theirs["weights"], "cam": theirs["cam"], "colored": rendering.colored}
    report = verify(given, "gap-predicted", preset=preset)
    assert report.diagnosis == ["softmax-score"], report.text()
    assert "re-run with --preset" not in report.text()


def test_a_ratio_within_the_tolerance_of_one_is_not_reported_as_a_scale():
    """1.000009 × the reference plus 0.5e-5 of its scale at the peak: 1.4e-5 off, so it differs,
    but that is no scale mistake (a ratio of 1 is the reference's own)."""
    cam = ref("gap-predicted")["cam"]
    theirs = (1 + 0.9 * RTOL) * cam
    theirs.flat[np.argmax(cam)] += 0.5 * RTOL * cam.max()
    report = verify({"cam": theirs}, "gap-predicted")
    assert report.first_divergence == "cam" and report.stages["cam"].ratio is None
    assert "x the reference" not in report.text()
