"""Loading the shipped models: names, hashes, cards, and what a damaged file gives."""

import json
import shutil

import numpy as np
import pytest

import numpy_gradcam as ng
from numpy_gradcam import models
from numpy_gradcam.datasets import CLASS_NAMES, make_shapes
from numpy_gradcam.io import save_npz
from tests.gradcheck import randomise_batchnorm


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


# --- a weights file and its architecture ---------------------------------------------------

#: torchvision's ImageNet normalisation, the literal constants (torchvision/transforms/_presets.py).
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406])[:, None, None]
IMAGENET_STD = np.array([0.229, 0.224, 0.225])[:, None, None]


@pytest.fixture(scope="module")
def resnet18_file(tmp_path_factory):
    """``(path, bare)``: a resnet18 with random weights and BatchNorm statistics (10 classes: a
    fine-tuned one) written to an .npz, and the bare architecture holding them."""
    bare = models.build("resnet18", num_classes=10, seed=7)
    randomise_batchnorm(bare, np.random.default_rng(7))
    path = tmp_path_factory.mktemp("weights") / "resnet18.npz"
    save_npz(path, bare.state_dict())
    return path, bare


def test_a_weights_file_with_arch_is_the_architecture_after_its_normalisation(resnet18_file):
    path, bare = resnet18_file
    model = ng.load_model(path, arch="resnet18")
    assert model.layer_names == ["normalize", *bare.layer_names]
    assert model.target_layer == "layer4" and model.num_classes == 10
    state = model.state_dict()
    assert list(state) == list(bare.state_dict())                    # nothing of normalize's
    for key, value in bare.state_dict().items():
        np.testing.assert_array_equal(state[key], value)
    x01 = np.random.default_rng(0).random((2, 3, 40, 56))             # RGB in [0, 1]
    np.testing.assert_allclose(model(x01), bare((x01 - IMAGENET_MEAN) / IMAGENET_STD),
                               rtol=0, atol=1e-12)
    assert model.card["architecture"] == "resnet18" and model.card["class_names"] is None
    assert model.card["architecture_options"] == {"num_classes": 10}   # read off fc.weight
    assert model.card["input_size"] == [3, 224, 224] and model.name == str(path)


def test_the_normalised_model_differentiates_through_its_normalisation(resnet18_file):
    path, bare = resnet18_file
    model = ng.load_model(path, arch="resnet18")
    rng = np.random.default_rng(1)
    x01, dy = rng.random((2, 3, 32, 32)), rng.standard_normal((2, 10))
    dx = model.backward_to_input(model.trace(x01), dy)
    dz = bare.backward_to_input(bare.trace((x01 - IMAGENET_MEAN) / IMAGENET_STD), dy)
    np.testing.assert_allclose(dx, dz / IMAGENET_STD, rtol=0, atol=1e-12)   # chain rule
    trace = model.trace(x01)
    np.testing.assert_array_equal(model.backward_to(trace, dy, "layer4"),
                                  model.backward_to(model.trace_from("layer4", trace.outputs[
                                      "layer4"]), dy, "layer4"))


def test_the_fast_paths_run_the_normalised_model_as_the_reference(resnet18_file):
    from numpy_gradcam import fast

    model = ng.load_model(resnet18_file[0], arch="resnet18")
    x01 = np.random.default_rng(2).random((3, 3, 32, 32))
    reference = model.trace(x01)
    split = fast.trace(model, x01, threads=2, start="layer4")
    np.testing.assert_allclose(split.logits, reference.logits, rtol=0, atol=1e-12)
    np.testing.assert_allclose(split.outputs["layer4"], reference.outputs["layer4"], rtol=0,
                               atol=1e-12)
    np.testing.assert_allclose(fast.fast_forward(model, threads=2)(x01), reference.logits,
                               rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match=r"x must have 3 channels"):
        model.check_input(x01[:, :1])


@pytest.mark.parametrize("arch, x, expected", [
    # x = mean + (1, 0, −1)·std per channel gives (1, 0, −1): torchvision's ImageNet transform.
    ("resnet18", [0.485 + 0.229, 0.456, 0.406 - 0.225], [1.0, 0.0, -1.0]),
    ("resnet34", [0.485 + 0.229, 0.456, 0.406 - 0.225], [1.0, 0.0, -1.0]),
    ("resnet50", [0.485 + 0.229, 0.456, 0.406 - 0.225], [1.0, 0.0, -1.0]),
    ("vgg16", [0.485 + 0.229, 0.456, 0.406 - 0.225], [1.0, 0.0, -1.0]),
    ("mobilenet_v2", [0.485 + 0.229, 0.456, 0.406 - 0.225], [1.0, 0.0, -1.0]),
    # (255 x − 127) / 128: TensorFlow's EfficientNet-Lite edge convention.
    ("efficientnet_lite0", [0.0, 1.0, 127 / 255], [-127 / 128, 1.0, 0.0]),
])
def test_each_architecture_normalises_as_its_pretrained_weights_expect(arch, x, expected):
    model = models.architecture_of({"architecture": arch})
    assert model.layer_names[0] == "normalize"
    out, _ = model["normalize"].forward(np.array(x)[None, :, None, None])
    np.testing.assert_allclose(out[0, :, 0, 0], expected, rtol=0, atol=1e-15)
    assert not any(key.startswith("normalize") for key in model.state_dict())


@pytest.mark.parametrize("name", ["tinycnn-gap", "tinycnn-fc"])
def test_the_tiny_cnns_take_their_images_as_they_are(name):
    assert "normalize" not in models.architecture_of({"architecture": name}).layer_names
    assert "normalize" not in ng.load_model(name).layer_names


def test_a_missing_key_and_a_wrong_shape_are_named(resnet18_file, tmp_path):
    state = resnet18_file[1].state_dict()
    del state["layer4.1.bn2.running_mean"]
    state["conv1.weight"] = state["conv1.weight"][:, :1]
    save_npz(tmp_path / "broken.npz", state)
    with pytest.raises(ValueError, match=r"do not fit 'resnet18': state is missing key 'layer4\.1"
                                         r"\.bn2\.running_mean'.*state\['conv1\.weight'\] must "
                                         r"have shape \(64, 3, 7, 7\), got \(64, 1, 7, 7\)"):
        ng.load_model(tmp_path / "broken.npz", arch="resnet18")


@pytest.mark.parametrize("arch, named", [
    ("resnet34", ["state is missing key 'layer1.2.conv1.weight' (96 missing in all)"]),
    ("mobilenet_v2", ["state is missing key 'features.0.0.weight'",
                      "state has unexpected key 'conv1.weight'"]),
])
def test_the_wrong_architecture_names_the_keys(resnet18_file, arch, named):
    with pytest.raises(ValueError, match=f"do not fit '{arch}'") as error:
        ng.load_model(resnet18_file[0], arch=arch)
    for text in named:
        assert text in str(error.value)


def test_a_file_without_card_or_arch_asks_for_arch(resnet18_file):
    with pytest.raises(ValueError, match=r"has no model card \(resnet18\.json\) naming its "
                                         r"architecture: give arch= \(--arch on the command "
                                         r"line\), one of tinycnn-gap, .*, resnet18, .*"
                                         r"efficientnet_lite0"):
        ng.load_model(resnet18_file[0])


def test_arch_goes_with_a_file_and_names_an_architecture(resnet18_file):
    with pytest.raises(ValueError, match="arch is for a weights file; 'tinycnn-gap' is a shipped"):
        ng.load_model("tinycnn-gap", arch="resnet18")
    with pytest.raises(ValueError, match=r"arch must be one of 'tinycnn-gap'.*got 'resnet19'"):
        ng.load_model(resnet18_file[0], arch="resnet19")
    with pytest.raises(ValueError, match=r"'resnet50' is an architecture: give a weights file "
                                         r"with arch='resnet50'"):
        ng.load_model("resnet50")


@pytest.fixture
def carded(tmp_path):
    """A copy of the shipped tinycnn-fc weights and card under another name, as train writes."""
    for suffix in (".npz", ".json"):
        shutil.copy(models.data_dir() / f"tinycnn-fc{suffix}", tmp_path / f"mine{suffix}")
    return tmp_path / "mine.npz"


def test_a_card_beside_the_file_names_the_architecture(carded):
    model = ng.load_model(carded)
    shipped = ng.load_model("tinycnn-fc")
    assert model.layer_names == shipped.layer_names and model.class_names == CLASS_NAMES
    x = make_shapes(4, seed=5)[0]
    np.testing.assert_array_equal(model(x), shipped(x))
    assert model.card["weights"] == str(carded) and model.name == str(carded)
    assert ng.load_model(carded, arch="tinycnn-fc").layer_names == shipped.layer_names


def test_a_card_that_disagrees_is_refused(carded):
    with pytest.raises(ValueError, match=r"arch is 'tinycnn-gap', but the model card .*mine\.json"
                                         r"' beside the weights names 'tinycnn-fc'"):
        ng.load_model(carded, arch="tinycnn-gap")
    raw = bytearray(carded.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    carded.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"sha256.*corrupted or was changed"):
        ng.load_model(carded)
    with pytest.raises(ValueError, match="the weights file, not its model card"):
        ng.load_model(carded.with_suffix(".json"))
