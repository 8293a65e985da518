"""numpy_gradcam.preprocessing: the crop box by hand, and photos as users have them, through
explain_photo and the explain command (odd sizes, modes and aspect ratios)."""

import re

import numpy as np
import pytest
from PIL import Image

from numpy_gradcam import explain, io, load_model, models
from numpy_gradcam.cli import main
from numpy_gradcam.preprocessing import (
    TORCHVISION_CROP_FRACTION,
    CropBox,
    crop_box,
    explain_photo,
    overlay_on_photo,
)


@pytest.mark.parametrize(("photo", "model_input", "fit", "fraction", "expected"), [
    ((120, 300), (224, 224), "center-crop", 1.0, (0, 90, 120, 120)),    # short side 120
    ((120, 300), (224, 224), "center-crop", 0.875, (7, 97, 105, 105)),  # 0.875·120 = 105
    ((100, 400), (224, 224), "center-crop", 1.0, (0, 150, 100, 100)),   # 4:1
    ((401, 100), (224, 224), "center-crop", 1.0, (150, 0, 100, 100)),   # spare pixel below
    ((100, 100), (64, 32), "center-crop", 1.0, (0, 25, 100, 50)),       # a 2:1 input
    ((64, 64), (64, 64), "center-crop", 1.0, (0, 0, 64, 64)),           # the identity
    ((1, 1), (224, 224), "center-crop", 0.875, (0, 0, 1, 1)),           # never empty
    ((120, 300), (224, 224), "squash", 1.0, (0, 0, 120, 300)),
])
def test_crop_box_by_hand(photo, model_input, fit, fraction, expected):
    assert crop_box(photo, model_input, fit, fraction).as_tuple() == expected


def test_crop_box_is_torchvisions_resize_256_center_crop_224_on_a_square():
    # Resize(256) makes 512×512 256×256; CenterCrop(224) keeps rows 16..240, i.e. 32..480 of
    # the photo: top 32, side 448.
    assert crop_box((512, 512), 224, crop_fraction=TORCHVISION_CROP_FRACTION).as_tuple() == \
        (32, 32, 448, 448)


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(fit="letterbox"), "fit must be one of 'center-crop', 'squash'"),
    (dict(crop_fraction=0), "crop_fraction must be in (0, 1], got 0"),
    (dict(crop_fraction=1.5), "crop_fraction must be in [0, 1], got 1.5"),
    (dict(fit="squash", crop_fraction=0.5), "crop_fraction must be 1 with fit='squash'"),
])
def test_crop_box_errors_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        crop_box((10, 20), 8, **kwargs)


def save_photo(path, pixels, mode=None):
    Image.fromarray(pixels, mode).save(path)
    return path


@pytest.fixture
def wide_photo(tmp_path):
    """A 300×120 (W×H) noise photo: the tiny CNN's 64×64 input sees its centre 120×120."""
    rng = np.random.default_rng(0)
    return save_photo(tmp_path / "wide.png", rng.integers(0, 256, (120, 300, 3), dtype=np.uint8))


def test_explain_photo_reads_the_crop_box_and_records_it(wide_photo):
    model = load_model("tinycnn-gap")
    e = explain_photo(model, wide_photo)
    assert e.options["preprocessing"] == dict(fit="center-crop", crop_fraction=1.0,
                                              photo_size=(120, 300), crop_box=(0, 90, 120, 120))
    np.testing.assert_array_equal(e.image, io.load_image(wide_photo, size=64,
                                                         box=(0, 90, 120, 120)))
    squashed = explain_photo(model, wide_photo, fit="squash")
    np.testing.assert_array_equal(squashed.image, io.load_image(wide_photo, size=64))


def test_explain_writes_the_overlay_at_the_photos_size_heat_inside_the_box(wide_photo, tmp_path):
    out = tmp_path / "overlay.png"
    assert main(["explain", str(wide_photo), "--out", str(out)]) == 0
    overlay = np.asarray(Image.open(out))                               # (120, 300, 3)
    photo = np.asarray(Image.open(wide_photo))
    assert overlay.shape == photo.shape == (120, 300, 3)
    np.testing.assert_array_equal(overlay[:, :90], photo[:, :90])       # no heat outside
    np.testing.assert_array_equal(overlay[:, 210:], photo[:, 210:])
    assert (overlay[:, 90:210] != photo[:, 90:210]).mean() > 0.9        # coloured inside


def test_overlay_on_photo_is_the_explanations_overlay_when_the_box_is_the_input():
    # a 64×64 photo for a 64×64 model: the box is the whole input, the overlay explain's own
    model = load_model("tinycnn-gap")
    rng = np.random.default_rng(1)
    photo = rng.integers(0, 256, (3, 64, 64), dtype=np.uint8)
    for preset in ["paper", "pytorch-grad-cam"]:
        e = explain(model, photo / 255.0, preset=preset)
        e.options["preprocessing"] = dict(crop_box=(0, 0, 64, 64))
        expected = np.round(e.overlay * 255.0).astype(np.uint8)
        np.testing.assert_array_equal(overlay_on_photo(e, photo), expected)


def test_crop_box_slices():
    assert CropBox(1, 2, 3, 4).slices() == (slice(1, 4), slice(2, 6))


@pytest.fixture(scope="module")
def resnet18_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "resnet18.npz"
    io.save_state_dict(path, models.build("resnet18", seed=5).state_dict())
    return path


def photo_in_mode(path, mode, size=(40, 160)):
    """A photo of ``size`` (H, W) in a Pillow mode: grey, RGBA (half transparent), 16-bit."""
    H, W = size
    ramp = np.linspace(0, 1, H * W).reshape(H, W)
    if mode == "L":
        im = Image.fromarray((ramp * 255).astype(np.uint8))
    elif mode == "RGBA":
        rgba = np.stack([ramp, 1 - ramp, ramp, np.full_like(ramp, 0.5)], axis=-1)
        im = Image.fromarray((rgba * 255).astype(np.uint8))
    else:
        im = Image.fromarray((ramp * 65535).astype(np.uint16))          # mode I;16
    assert im.mode in (mode, "I;16")
    im.save(path)
    return path


@pytest.mark.parametrize("mode", ["L", "RGBA", "I;16"])
def test_explain_runs_a_resnet18_on_grey_rgba_and_16_bit_4_to_1_photos(resnet18_file, tmp_path,
                                                                       mode, capsys):
    photo = photo_in_mode(tmp_path / "photo.png", mode)                 # 4:1, 160×40
    out = tmp_path / "out.png"
    assert main(["explain", str(photo), "--model", str(resnet18_file), "--arch", "resnet18",
                 "--out", str(out), "--top-k", "3"]) == 0
    with Image.open(out) as written:
        assert written.size == (160, 40) and written.mode == "RGB"
    printed = capsys.readouterr().out
    assert printed.startswith("prediction: ") and printed.splitlines()[0].count(",") == 2


def test_a_1x1_photo_is_explained_as_a_constant_input(tmp_path):
    photo = save_photo(tmp_path / "dot.png", np.array([[[200, 10, 30]]], dtype=np.uint8))
    e = explain_photo(load_model("tinycnn-gap"), photo)
    np.testing.assert_allclose(e.image, np.array([200, 10, 30])[:, None, None] / 255.0
                               * np.ones((3, 64, 64)), atol=1e-6)
    out = tmp_path / "dot-overlay.png"
    assert main(["explain", str(photo), "--out", str(out)]) == 0
    assert Image.open(out).size == (1, 1)


@pytest.mark.parametrize(("k", "shown"), [("1", 1), ("2", 2), ("9", 4)])
def test_top_k_prints_k_classes_by_name(wide_photo, tmp_path, capsys, k, shown):
    assert main(["explain", str(wide_photo), "--out", str(tmp_path / f"{k}.png"),
                 "--top-k", k]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    names = [item.split()[0] for item in line.removeprefix("prediction: ").split(", ")]
    assert len(names) == shown and set(names) <= {"circle", "square", "triangle", "cross"}


def test_top_k_must_be_positive(wide_photo, tmp_path, capsys):
    assert main(["explain", str(wide_photo), "--out", str(tmp_path / "o.png"),
                 "--top-k", "0"]) == 2
    assert "--top-k must be an integer >= 1, got 0" in capsys.readouterr().err
