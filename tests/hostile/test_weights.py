"""Hostile weights: wrong keys, shapes, dtypes, NaN/Inf, pickled or tampered files."""

import json
import shutil

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam import models
from numpy_gradcam.io import load_npz, save_npz

from .conftest import assert_user_error, run_cli, sha256

PRISTINE = ng.load_model("tinycnn-gap").state_dict()


def _state_with(**changes):
    """The trained ``tinycnn-gap`` state with some keys replaced (None: removed)."""
    state = {key: value.copy() for key, value in PRISTINE.items()}
    for key, value in changes.items():
        key = key.replace("__", ".")
        if value is None:
            del state[key]
        else:
            state[key] = value(state[key]) if callable(value) else value
    return state


def _nan_at_0(w):
    w = w.copy()
    w.flat[0] = np.nan
    return w


STATES = {
    "missing-key": (dict(fc__bias=None), ValueError,
                    r"state is missing key 'fc.bias' \(1 missing in all\)"),
    "unexpected-key": (dict(fc__extra=np.zeros(4)), ValueError,
                       r"state has unexpected key 'fc.extra'; expected keys: conv1.weight"),
    "wrong-shape": (dict(fc__weight=np.zeros((64, 4))), ValueError,
                    r"state\['fc.weight'\] must have shape \(4, 64\), got \(64, 4\)"),
    "nan": (dict(conv1__weight=_nan_at_0), ValueError,
            r"state\['conv1.weight'\] must be finite, got 1 NaN or Inf"),
    "inf-buffer": (dict(bn2__running_var=lambda v: np.full_like(v, np.inf)), ValueError,
                   r"state\['bn2.running_var'\] must be finite, got 32 NaN or Inf"),
    "int-dtype": (dict(fc__bias=np.zeros(4, dtype=np.int64)), TypeError,
                  r"state\['fc.bias'\] must have dtype float32 or float64, got int64"),
    "complex-dtype": (dict(fc__bias=np.zeros(4, dtype=complex)), TypeError,
                      r"state\['fc.bias'\] must have dtype float32 or float64, got complex128"),
    "string-value": (dict(fc__bias="zeros"), ValueError,
                     r"state\['fc.bias'\] must have shape \(4,\), got \(\)"),
}


@pytest.mark.parametrize("case", STATES)
def test_load_state_dict_refuses_bad_weights_and_changes_nothing(model, case):
    changes, error, match = STATES[case]
    before = model.state_dict()
    with pytest.raises(error, match=match):
        model.load_state_dict(_state_with(**changes))
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)      # all or nothing


def test_load_state_dict_wants_a_dict(model):
    with pytest.raises(TypeError, match=r"state must be a dict of arrays, got \[1, 2\] \(list\)"):
        model.load_state_dict([1, 2])


@pytest.mark.parametrize("poison", ["nan", "inf-overflow", "negative-running-var"])
def test_non_finite_live_weights_are_reported_not_propagated(image, poison):
    """Weights changed by hand bypass ``load_state_dict``: the logits check catches them."""
    model = ng.load_model("tinycnn-gap")
    if poison == "nan":
        model["conv1"].params["weight"][0, 0, 0, 0] = np.nan
    elif poison == "inf-overflow":
        model["fc"].params["weight"][:] = 1e308
    else:
        model["bn1"].buffers["running_var"][:] = -1.0
    with np.errstate(all="ignore"), pytest.raises(
            ValueError, match=r"the model's logits hold 1?\d NaN or Inf value\(s\) for a finite x"):
        ng.explain(model, image)


# --- .npz files ------------------------------------------------------------------------------


NPZ = {
    "pickled-object.npz": (lambda p: np.savez(p, weights=np.array([{"evil": 1}], dtype=object)),
                           r"holds an array of Python objects.*pickled objects are refused"),
    "not-a-zip.npz": (lambda p: p.write_bytes(b"PK? no, just text"),
                      r"not-a-zip.npz' is not an .npz archive"),
    "truncated.npz": (lambda p: (np.savez(p, a=np.arange(1000.0)),
                                 p.write_bytes(p.read_bytes()[:-200])),
                      r"truncated.npz' is not (an|a valid) .npz archive"),
    "missing-key.npz": (lambda p: save_npz(p, {"a": np.zeros(2)}),
                        r"lacks the required key\(s\) \['fc.weight'\]; it holds \['a'\]"),
}


@pytest.mark.parametrize("name", NPZ)
def test_load_npz_refuses_bad_archives(inputs, name):
    path = inputs.folder / name
    NPZ[name][0](path)
    inputs.add(path)
    with pytest.raises(ValueError, match=NPZ[name][1]):
        load_npz(path, required=["fc.weight"])


# --- shipped weights: tampered files ---------------------------------------------------------


@pytest.fixture
def weights_folder(inputs, monkeypatch):
    """A copy of ``data/``'s tinycnn-gap card and weights that ``load_model`` reads instead."""
    for suffix in (".json", ".npz"):
        shutil.copy(models.data_dir() / f"tinycnn-gap{suffix}", inputs.folder)
    monkeypatch.setattr(models, "data_dir", lambda: inputs.folder)
    return inputs.folder


def _card(folder):
    return folder / "tinycnn-gap.json"


def _flip_one_byte(folder):
    npz = folder / "tinycnn-gap.npz"
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 0xFF
    npz.write_bytes(bytes(data))


def _new_weights(write):
    """Replace the weights with ``write(path)``'s, and give the card their true sha256: the
    hash check passes, so what is wrong inside the file must be caught on its own."""
    def tamper(folder):
        npz = folder / "tinycnn-gap.npz"
        npz.unlink()
        write(npz)
        card = json.loads(_card(folder).read_text())
        _card(folder).write_text(json.dumps(dict(card, sha256=sha256(npz))))
    return tamper


def _card_without_sha(folder):
    card = json.loads(_card(folder).read_text())
    del card["sha256"]
    _card(folder).write_text(json.dumps(card))


TAMPERED = {
    "one-byte-flipped": (_flip_one_byte, r"has sha256 [0-9a-f]{16}…, but its model card expects "
                                         r".*corrupted or was changed"),
    "wrong-keys": (_new_weights(lambda p: save_npz(p, _state_with(fc__weight=None))),
                   r"state is missing key 'fc.weight'"),
    "wrong-shapes": (_new_weights(lambda p: save_npz(p, _state_with(fc__bias=np.zeros(5)))),
                     r"state\['fc.bias'\] must have shape \(4,\), got \(5,\)"),
    "nan-weights": (_new_weights(lambda p: save_npz(p, _state_with(conv2__weight=_nan_at_0))),
                    r"state\['conv2.weight'\] must be finite"),
    "pickled-weights": (_new_weights(lambda p: np.savez(p, **{"fc.weight": np.array([None])})),
                        r"holds an array of Python objects"),
    "card-not-json": (lambda folder: _card(folder).write_text("{not json"),
                      r"tinycnn-gap.json' is not valid JSON"),
    "card-a-list": (lambda folder: _card(folder).write_text("[1, 2]"),
                    r"the model card .* must be a JSON object with the keys"),
    "card-without-sha": (_card_without_sha, r"must be a JSON object with the keys .*sha256"),
}


def _apply_tampering(case, folder, inputs):
    TAMPERED[case][0](folder)
    for name in ("tinycnn-gap.json", "tinycnn-gap.npz"):
        inputs.add(folder / name)                  # hashed after tampering, checked after the case


@pytest.mark.parametrize("case", TAMPERED)
def test_load_model_refuses_tampered_files(weights_folder, inputs, case):
    _apply_tampering(case, weights_folder, inputs)
    with pytest.raises(ValueError, match=TAMPERED[case][1]):
        ng.load_model("tinycnn-gap")


@pytest.mark.parametrize("case", ["one-byte-flipped", "pickled-weights", "card-not-json"])
def test_explain_command_reports_tampered_weights(weights_folder, inputs, scene, capsys, case):
    _apply_tampering(case, weights_folder, inputs)
    code, _, err = run_cli(capsys, "explain", scene, "--out", inputs.folder / "o.png")
    assert_user_error(code, err, TAMPERED[case][1])


def test_missing_weights_file_is_reported(weights_folder):
    (weights_folder / "tinycnn-gap.npz").unlink()
    with pytest.raises(FileNotFoundError, match=r"the weights of 'tinycnn-gap' are not in"):
        ng.load_model("tinycnn-gap")
