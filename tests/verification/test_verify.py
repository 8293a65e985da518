"""``verify``: a correct implementation matches; each mistake of the catalogue, injected into a
Grad-CAM written here by hand (NumPy from the case's activations and the model's weights, never
through ``mistakes.py`` or the step modules), is named, and named alone; bad input is refused
with a message that names the problem."""

import copy
import json

import matplotlib
import numpy as np
import pytest

from numpy_gradcam.cli import main
from numpy_gradcam.io import save_npz
from numpy_gradcam.models import load_model
from numpy_gradcam.verification import mistakes
from numpy_gradcam.verification.mistakes import CATALOGUE
from numpy_gradcam.verification.vectors import STAGES, reference
from numpy_gradcam.verification.verify import verify

_REFERENCES = {}


def ref(case):
    """The case's reference stages (cached: several tests share a case)."""
    if case not in _REFERENCES:
        _REFERENCES[case] = reference(case)[0]
    return _REFERENCES[case]


# ---- a hand-written Grad-CAM, with a switch for each mistake -------------------------------

def hand_seed(logits, targets, score):
    """∂y^c/∂logits: one-hot for the logit; p_c (e_c − p) for the softmax probability."""
    N, C = logits.shape
    onehot = np.eye(C)[targets]                                         # (N, C)
    if score == "logit":
        return onehot
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return p[np.arange(N), targets][:, None] * (onehot - p)


def hand_gradients(model, A, dlogits):
    """∂y/∂A at relu4 by the chain rule through the head, written out for both models."""
    state = model.state_dict()
    N, _, h, w = A.shape
    if "fc.weight" in state:                                            # GAP → fc
        dpooled = dlogits @ state["fc.weight"]                          # (N, K)
        return np.broadcast_to(dpooled[:, :, None, None] / (h * w), A.shape).copy()
    flat = A.reshape(N, -1)                                             # flatten → fc1 → ReLU → fc2
    hidden = flat @ state["fc1.weight"].T + state["fc1.bias"]
    dhidden = (dlogits @ state["fc2.weight"]) * (hidden > 0)
    return (dhidden @ state["fc1.weight"]).reshape(A.shape)


def resize_matrix(n_in, n_out, mode="bilinear", align_corners=False):
    """Rows of np.interp weights (np.interp clamps at the edges, as a resize does)."""
    o = np.arange(n_out)
    if mode == "nearest":
        return np.eye(n_in)[np.floor(o * n_in / n_out).astype(int)]
    if align_corners:
        src = o * (n_in - 1) / (n_out - 1)
    else:
        src = (o + 0.5) * n_in / n_out - 0.5
    return np.stack([np.interp(src, np.arange(n_in), unit) for unit in np.eye(n_in)], axis=1)


def resize(maps, size, mode="bilinear", align_corners=False):
    rows = resize_matrix(maps.shape[-2], size[0], mode, align_corners)
    cols = resize_matrix(maps.shape[-1], size[1], mode, align_corners)
    return np.einsum("Hh,nhw,Ww->nHW", rows, maps, cols)


def minmax(maps):
    lo = maps.min(axis=(1, 2), keepdims=True)
    hi = maps.max(axis=(1, 2), keepdims=True)
    return (maps - lo) / (hi - lo)


def jet(heatmap):
    return np.moveaxis(matplotlib.colormaps["jet"](heatmap)[..., :3], -1, 1)  # (N, 3, H, W)


def hand_layer_gradients(model, trace, dy_dA, layer):
    """``(A, dy_dA)`` at ``layer`` from ``dy_dA`` at relu4: by hand back through relu4 and
    bn4 (evaluation mode: the per-channel scale γ/√(var + ε)); pool3 through the engine's own
    backward of conv4 (the torch hooks of test_catalogue_torch.py check it independently)."""
    if layer == "relu4":
        return trace.outputs["relu4"], dy_dA
    dbn4 = dy_dA * (trace.outputs["bn4"] > 0)                           # back through relu4
    if layer == "bn4":
        return trace.outputs["bn4"], dbn4
    state = model.state_dict()
    s = state["bn4.weight"] / np.sqrt(state["bn4.running_var"] + 1e-5)  # (K,)
    dconv4 = dbn4 * s[:, None, None]
    if layer == "conv4":
        return trace.outputs["conv4"], dconv4
    return trace.outputs["pool3"], model["conv4"].backward_input(dconv4,
                                                                 trace.caches["conv4"])


def hand_gradcam(case, *, score="logit", layer="relu4", flip_sign=False, relu=True,
                 relu_weights=False, transform=None, pool="mean", batch_mean=False,
                 normalize_first=True, mode="bilinear", align_corners=False, swap=False,
                 bgr_input=False, bgr_colormap=False, quantize=None, dtype=np.float64,
                 extra_target=None, gradient_scale=1, channel_mean=False, train_mode=False,
                 normalize="min-max"):
    """Grad-CAM of ``case`` by hand, with the named mistakes; returns the stages it makes."""
    golden = ref(case)
    model = load_model("tinycnn-fc" if case.startswith("fc") else "tinycnn-gap")
    image, targets = golden["image"], golden["targets"]
    counterfactual = case == "gap-counterfactual"
    if bgr_input:
        image = image[:, ::-1].copy()
    if train_mode:                                  # a copy: training mode updates its buffers
        trace = copy.deepcopy(model).trace(image, train=True)
    else:
        trace = model.trace(image)
    logits = trace.logits
    dy = hand_seed(logits, targets, score)
    if extra_target is not None:                    # A.grad not zeroed after that class
        dy = dy + hand_seed(logits, np.full_like(targets, extra_target), score)
    dy_dA = gradient_scale * hand_gradients(model, trace.outputs["relu4"], dy)
    A, dy_dA = hand_layer_gradients(model, trace, dy_dA, layer)
    if counterfactual != flip_sign:
        dy_dA = -dy_dA
    A, dy_dA = A.astype(dtype), dy_dA.astype(dtype)
    pooled = {None: dy_dA, "relu": np.maximum(dy_dA, 0), "abs": np.abs(dy_dA)}[transform]
    axes = (0, 2, 3) if batch_mean else (2, 3)
    alpha = np.broadcast_to(pooled.mean(axis=axes), dy_dA.shape[:2]).copy()
    if pool == "sum":
        alpha = pooled.sum(axis=(2, 3))
    if relu_weights:
        alpha = np.maximum(alpha, 0)
    L = np.einsum("nk,nkij->nij", alpha, A)
    if channel_mean:                                # one weight per position (N, h, w)
        L = np.einsum("nij,nkij->nij", dy_dA.mean(axis=1), A)
    if relu:
        L = np.maximum(L, 0)
    H, W = image.shape[2:]
    size = (W, H) if swap else (H, W)
    stages = {"image": image, "logits": logits, "targets": targets, "activations": A,
              "gradients": dy_dA, "weights": alpha, "cam": L}
    if channel_mean:
        del stages["weights"]                       # (N, h, w): not the case's weights
    norm = minmax if normalize == "min-max" else (lambda m: m / m.max(axis=(1, 2), keepdims=True))
    if normalize_first:
        stages["cam_normalized"] = norm(L)
        heatmap = resize(stages["cam_normalized"], size, mode, align_corners)
    else:
        heatmap = norm(resize(L, size, mode, align_corners))
    if quantize:
        heatmap = getattr(np, quantize)(heatmap * 255) / 255
    colored = jet(np.clip(heatmap, 0, 1))
    if bgr_colormap:
        colored = colored[:, ::-1]
    stages.update(heatmap=heatmap, colored=colored)
    if not swap:
        overlay = 0.4 * colored + 0.6 * image
        stages["overlay"] = getattr(np, quantize)(overlay * 255) / 255 if quantize else overlay
    return {key: value.astype(dtype) if key != "targets" else value
            for key, value in stages.items()}


# Each mistake of the catalogue: the case where it shows, and how to make it by hand.
INJECTED = {
    "softmax-score": ("gap-predicted", {"score": "softmax"}),
    "missing-relu": ("gap-predicted", {"relu": False}),
    "relu-on-weights": ("fc-predicted", {"relu_weights": True}),
    "relu-on-gradients": ("fc-predicted", {"transform": "relu"}),
    "gradient-sum": ("gap-predicted", {"pool": "sum"}),
    "absolute-gradients": ("fc-predicted", {"transform": "abs"}),
    "batch-mean": ("gap-batch", {"batch_mean": True}),
    "normalize-after-upsampling": ("gap-predicted", {"normalize_first": False}),
    "align-corners": ("gap-predicted", {"align_corners": True}),
    "nearest-upsampling": ("gap-predicted", {"mode": "nearest"}),
    "size-swapped": ("gap-nonsquare", {"swap": True}),
    "bgr-input": ("gap-predicted", {"bgr_input": True}),
    "bgr-colormap": ("gap-predicted", {"bgr_colormap": True}),
    "uint8-truncation": ("gap-predicted", {"quantize": "floor"}),
    "uint8-rounding": ("gap-predicted", {"quantize": "round"}),
    "wrong-layer": ("gap-predicted", {"layer": "bn4"}),
    "counterfactual-sign": ("gap-counterfactual", {"flip_sign": True}),
    "repeated-backward": ("gap-predicted", {"gradient_scale": 2}),
    "accumulated-gradients": ("gap-other-class", {"extra_target": 0}),
    "channel-mean": ("fc-predicted", {"channel_mean": True}),
    "training-mode": ("gap-predicted", {"train_mode": True}),
    "max-normalization": ("fc-positive-min", {"normalize": "max"}),
    "pre-batchnorm-layer": ("gap-predicted", {"layer": "conv4"}),
    "previous-block": ("gap-predicted", {"layer": "pool3"}),
}
#: Entries made with OpenCV itself, in test_catalogue_torch.py (cv2 is not used here).
MADE_WITH_OPENCV = ("opencv-jet", "opencv-jet-bgr")


def test_every_mistake_of_the_catalogue_is_tested():
    assert sorted([*INJECTED, *MADE_WITH_OPENCV]) == sorted(m.name for m in CATALOGUE)


def test_the_max_normalization_case_has_a_map_with_a_positive_minimum():
    L = ref("fc-positive-min")["cam"]
    assert L.min() / L.max() > 0.01                  # where L / max L and min-max differ
    for case in ("gap-predicted", "fc-predicted"):
        assert ref(case)["cam"].min() == 0           # where they are the same


def test_the_hand_written_gradcam_is_the_reference():
    for case in ("gap-predicted", "fc-predicted", "gap-counterfactual"):
        mine = hand_gradcam(case)
        for stage, value in mine.items():
            np.testing.assert_allclose(value, ref(case)[stage], rtol=1e-10, atol=1e-12,
                                       err_msg=f"{case}: {stage}")


def test_the_catalogue_without_a_mistake_is_the_reference():
    model = load_model("tinycnn-gap")
    for case, sign in (("gap-batch", 1), ("gap-counterfactual", -1)):
        golden = ref(case)
        stages = mistakes.stages(model, golden["image"], golden["targets"],
                                 mistakes.Conventions(sign=sign))
        for stage in STAGES:
            np.testing.assert_array_equal(stages[stage], golden[stage], err_msg=stage)


@pytest.mark.parametrize("case", ["gap-predicted", "fc-batch"])
def test_a_correct_implementation_matches(case):
    report = verify(hand_gradcam(case), case)
    assert report.matches, report.text()
    assert report.first_divergence is None and report.diagnosis == []
    assert list(report.stages) == [s for s in STAGES if s != "probabilities"]
    assert "MATCH" in report.text()


def test_a_float32_implementation_matches():
    report = verify(hand_gradcam("gap-predicted", dtype=np.float32), "gap-predicted")
    assert report.matches, report.text()
    assert 0 < report.stages["heatmap"].max_abs < 1e-5


def test_a_subset_of_stages_is_enough():
    golden = ref("gap-predicted")
    report = verify({"heatmap": golden["heatmap"][0]}, "gap-predicted")   # no batch axis
    assert report.matches and list(report.stages) == ["heatmap"]


@pytest.mark.parametrize("name", sorted(INJECTED))
def test_verify_names_exactly_the_injected_mistake(name):
    case, mistake = INJECTED[name]
    theirs = hand_gradcam(case, **mistake)
    report = verify(theirs, case)
    assert not report.matches
    assert report.diagnosis == [name], report.text()
    assert name in report.text()


def test_first_divergence_is_the_earliest_stage_in_pipeline_order():
    theirs = hand_gradcam("gap-predicted", align_corners=True)
    report = verify({k: theirs[k] for k in ("overlay", "cam", "heatmap")}, "gap-predicted")
    assert list(report.stages) == ["cam", "heatmap", "overlay"]          # pipeline order
    assert report.first_divergence == "heatmap"
    assert report.stages["cam"].max_abs == 0.0
    assert report.stages["heatmap"].max_abs > 1e-3
    scale = np.abs(ref("gap-predicted")["heatmap"]).max()               # relative to the stage
    assert report.stages["heatmap"].max_rel == pytest.approx(report.stages["heatmap"].max_abs
                                                             / scale)
    assert report.diagnosis == ["align-corners"]


def test_gradient_sum_is_named_at_its_ratio_z_and_the_ratio_is_printed():
    theirs = hand_gradcam("gap-predicted", pool="sum")
    report = verify({k: theirs[k] for k in ("weights", "cam", "heatmap")}, "gap-predicted")
    assert report.first_divergence == "weights"
    assert report.diagnosis == ["gradient-sum"]
    assert report.stages["weights"].ratio == pytest.approx(64, rel=1e-12)
    assert report.details["gradient-sum"] == "ratio Z = h·w = 8·8 = 64"
    assert "64 x the reference" in report.text()
    assert "gradient-sum (ratio Z = h·w = 8·8 = 64)" in report.text()


def test_an_unexplained_difference_has_no_diagnosis():
    theirs = {"heatmap": ref("gap-predicted")["heatmap"] ** 2}
    report = verify(theirs, "gap-predicted")
    assert not report.matches and report.diagnosis == []
    assert "no single mistake" in report.text()


def test_report_as_dict_is_json():
    report = verify(hand_gradcam("gap-predicted", mode="nearest"), "gap-predicted")
    data = json.loads(json.dumps(report.as_dict()))
    assert data["matches"] is False and data["first_divergence"] == "heatmap"
    assert data["diagnosis"] == ["nearest-upsampling"]
    assert set(data["stages"]["heatmap"]) == {"max_abs", "max_rel", "matches", "note", "ratio",
                                              "hint"}
    assert data["preset"] == "paper" and "nearest-upsampling" in data["tried"]


# ---- bad input ------------------------------------------------------------------------------

def test_a_file_without_stage_keys_lists_the_stage_names(tmp_path):
    path = tmp_path / "theirs.npz"
    save_npz(path, {"grad_cam": np.zeros((1, 64, 64))})
    with pytest.raises(ValueError, match=r"unknown key.*'grad_cam'.*image, logits, probab"):
        verify(path, "gap-predicted")
    with pytest.raises(ValueError, match=r"no stage.*cam_normalized, heatmap"):
        verify({}, "gap-predicted")


def test_a_wrong_shape_names_the_stage_and_both_shapes():
    with pytest.raises(ValueError, match=r"'cam' must have shape \(1, 8, 8\).*got \(1, 7, 7\)"):
        verify({"cam": np.zeros((1, 7, 7))}, "gap-predicted")


def test_nan_names_the_stage():
    heatmap = ref("gap-predicted")["heatmap"].copy()
    heatmap[0, 3, 4] = np.nan
    with pytest.raises(ValueError, match=r"'heatmap' holds 1 NaN"):
        verify({"heatmap": heatmap}, "gap-predicted")


def test_a_pickled_object_array_is_refused(tmp_path):
    path = tmp_path / "pickled.npz"
    np.savez(path, cam=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match=r"pickled objects are refused"):
        verify(path, "gap-predicted")


def test_an_unknown_case_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown case 'gap'.*gap-predicted, gap-other-class"):
        verify({"cam": np.zeros((1, 8, 8))}, "gap")


def test_non_numeric_stages_are_refused():
    with pytest.raises(ValueError, match=r"'cam' must be a numeric array"):
        verify({"cam": np.full((1, 8, 8), "x")}, "gap-predicted")


# ---- presets -------------------------------------------------------------------------------

def _preset_stages(case, preset):
    stages, _ = reference(case, preset=preset)
    return {k: v for k, v in stages.items() if v is not None and k != "probabilities"}


def test_a_preset_reference_matches_its_stages_and_the_paper_names_the_preset():
    theirs = _preset_stages("gap-other-class", "pytorch-grad-cam")
    assert verify(theirs, "gap-other-class", preset="pytorch-grad-cam").matches
    report = verify(theirs, "gap-other-class")                          # against the paper
    assert report.stages["cam_normalized"].matches                      # 1e-7 < the tolerance
    assert report.first_divergence == "heatmap"                         # renormalised after resize
    assert report.diagnosis == ["preset:pytorch-grad-cam"], report.text()
    assert "conventions of the preset 'pytorch-grad-cam'" in report.text()


def test_a_paper_mistake_is_not_blamed_on_a_preset():
    theirs = hand_gradcam("gap-predicted", relu=False)
    report = verify(theirs, "gap-predicted", preset="pytorch-grad-cam")
    assert not report.matches and report.diagnosis == []    # the catalogue is the paper's


def test_a_stage_the_preset_does_not_have_is_refused():
    with pytest.raises(ValueError, match=r"'heatmap' does not exist in preset 'keras'"):
        verify({"heatmap": np.zeros((1, 64, 64))}, "gap-predicted", preset="keras")


def test_an_unknown_preset_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown preset 'pgc'; valid presets: paper, "):
        verify({"cam": np.zeros((1, 8, 8))}, "gap-predicted", preset="pgc")


# ---- the command ----------------------------------------------------------------------------

def test_cli_exit_codes(tmp_path, capsys):
    good, bad = tmp_path / "good.npz", tmp_path / "bad.npz"
    save_npz(good, hand_gradcam("gap-predicted"))
    save_npz(bad, hand_gradcam("gap-predicted", relu=False))
    assert main(["verify", str(good), "--case", "gap-predicted"]) == 0
    assert "MATCH" in capsys.readouterr().out
    assert main(["verify", str(bad), "--case", "gap-predicted", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["diagnosis"] == ["missing-relu"]
    assert main(["verify", str(good), "--case", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "valid cases: gap-predicted" in err
    assert main(["verify", str(tmp_path / "missing.npz"), "--case", "gap-predicted"]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 1
    save_npz(bad, {"gradcam": np.zeros((1, 64, 64))}, force=True)
    assert main(["verify", str(bad), "--case", "gap-predicted"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the stage keys are: image, logits" in err
    pgc = tmp_path / "pgc.npz"
    save_npz(pgc, _preset_stages("gap-predicted", "pytorch-grad-cam"))
    assert main(["verify", str(pgc), "--case", "gap-predicted", "--preset",
                 "pytorch-grad-cam"]) == 0
    assert "MATCH" in capsys.readouterr().out
    assert main(["verify", str(pgc), "--case", "gap-predicted", "--preset", "nope"]) == 2
    assert "valid presets: paper, pytorch-grad-cam" in capsys.readouterr().err
    np.savez(bad, heatmap=np.array([None], dtype=object))
    assert main(["verify", str(bad), "--case", "gap-predicted"]) == 2
    assert "pickled objects are refused" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["verify", "--help"], ["vectors", "--help"],
                                  ["vectors", "export", "--help"]])
def test_the_commands_have_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    assert "usage: numpy-gradcam " + " ".join(argv[:-1]) in capsys.readouterr().out


def test_the_json_report_is_strict_json():
    """A relative error is infinite where a stage's reference is all 0 and theirs is not:
    written as the string "inf" (NaN as "nan"), never Python's bare Infinity or NaN, which
    strict parsers refuse; finite numbers, NumPy's included, stay numbers."""
    from numpy_gradcam.commands.json_report import dumps

    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    report = {"stages": {"cam": {"max_abs": 0.5, "max_rel": float("inf")},
                         "weights": {"max_abs": np.float32(2.0), "max_rel": np.float64("nan")}},
              "errors": [-np.inf, 1e-3], "case": "gap-predicted"}
    assert json.loads(dumps(report), parse_constant=refuse) == {
        "stages": {"cam": {"max_abs": 0.5, "max_rel": "inf"},
                   "weights": {"max_abs": 2.0, "max_rel": "nan"}},
        "errors": ["-inf", 1e-3], "case": "gap-predicted"}


def test_accumulated_gradients_tries_the_highest_scoring_other_classes():
    """A user explains the top classes one after another: those are tried (at most five, so a
    1000-class model costs five backward passes, not 999)."""
    golden = ref("gap-other-class")                                     # target 1
    passes = mistakes.Passes(load_model("tinycnn-gap"), golden["image"], golden["targets"])
    order = [int(c) for c in np.argsort(-golden["logits"][0]) if c != 1]
    assert passes.other_classes() == order
    assert passes.other_classes(most=2) == order[:2]


@pytest.mark.parametrize("preset", ["pytorch-grad-cam", "captum", "torchcam", "tf-keras-vis",
                                    "keras"])
def test_the_catalogue_without_a_mistake_is_each_preset_reference(preset):
    """Under a preset the catalogue renders L with the preset's library: with no mistake it
    gives that preset's reference, every stage, so a mistake is judged against the right base."""
    model = load_model("tinycnn-gap")
    golden, options = reference("gap-batch", preset=preset)
    stages = mistakes.stages(model, golden["image"], golden["targets"],
                             mistakes.Conventions(relu=options["relu"]), preset=preset)
    for stage in STAGES:
        if golden[stage] is None:
            assert stages[stage] is None, stage
        else:
            np.testing.assert_array_equal(stages[stage], golden[stage], err_msg=stage)
