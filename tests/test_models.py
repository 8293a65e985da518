"""Loading the shipped models: names, hashes, cards, and what a damaged file gives."""

import json
import shutil

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam import models
from numpy_gradcam.datasets import CLASS_NAMES, make_shapes


@pytest.mark.parametrize("name", ["tinycnn-gap", "tinycnn-fc"])
def test_shipped_models_load_and_classify_fresh_images(name):
    model = ng.load_model(name)
    assert model.class_names == CLASS_NAMES and model.target_layer == "relu4"
    assert model.card["evaluation"]["heldout_accuracy"] >= 0.97
    x, y, _ = make_shapes(200, seed=31337)                   # a seed used by no training run
    accuracy = (model.forward(x).argmax(axis=1) == y).mean()
    assert accuracy >= 0.95


def test_the_fc_model_shares_the_conv_stack_names_and_has_no_gap_head():
    gap, fc = ng.load_model("tinycnn-gap"), ng.load_model("tinycnn-fc")
    stack = [n for n in gap.layer_names if n not in ("gap", "fc")]
    assert fc.layer_names[:len(stack)] == stack
    assert "gap" not in fc.layer_names
    assert {"flatten", "fc1", "relu_fc", "fc2"} <= set(fc.layer_names)


def test_unknown_model_lists_the_known_ones():
    with pytest.raises(ValueError, match="'tinycnn-gap', 'tinycnn-fc', 'tinycnn-biased'"):
        ng.load_model("resnet50")


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A copy of data/ that load_model reads instead of the real one."""
    folder = tmp_path / "data"
    shutil.copytree(models.data_dir(), folder)
    monkeypatch.setattr(models, "data_dir", lambda: folder)
    return folder


def test_a_tampered_weight_file_is_refused(data_copy):
    path = data_copy / "tinycnn-gap.npz"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01                                # one flipped bit
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"sha256.*corrupted or was changed"):
        ng.load_model("tinycnn-gap")


def test_a_missing_weight_file_says_where_it_looked(data_copy):
    (data_copy / "tinycnn-fc.npz").unlink()
    with pytest.raises(FileNotFoundError, match=r"tinycnn-fc\.npz"):
        ng.load_model("tinycnn-fc")


def test_a_card_whose_hash_matches_other_weights_is_checked_key_by_key(data_copy):
    # Put fc's weights under gap's name and fix the card's hash: the hash passes, the keys don't.
    shutil.copy(data_copy / "tinycnn-fc.npz", data_copy / "tinycnn-gap.npz")
    card = json.loads((data_copy / "tinycnn-gap.json").read_text())
    card["sha256"] = json.loads((data_copy / "tinycnn-fc.json").read_text())["sha256"]
    (data_copy / "tinycnn-gap.json").write_text(json.dumps(card))
    with pytest.raises(ValueError, match=r"state is missing key 'fc\.weight'"):
        ng.load_model("tinycnn-gap")


def test_weights_are_stored_with_pytorch_names_and_layouts():
    state = ng.load_model("tinycnn-gap").state_dict()
    assert state["conv1.weight"].shape == (16, 3, 3, 3)
    assert state["fc.weight"].shape == (4, 64)
    assert state["bn1.running_var"].shape == (16,)
    assert np.all(state["bn1.running_var"] > 0)
