"""``numpy-gradcam figure``: Fig. 1 of the paper (guided backprop, Grad-CAM, guided Grad-CAM and
occlusion for two classes), and figures.figure1 / saliency_rgb behind it. Kept beside the method
tests because the figure is where the methods meet."""

import numpy as np
import pytest
from PIL import Image

from numpy_gradcam.cli import main
from numpy_gradcam.datasets import make_composite
from numpy_gradcam.figures import saliency_rgb
from numpy_gradcam.io import save_png

FAST = ("--patch", "32", "--stride", "32")


def test_writes_one_png_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "fig.png"
    assert main(["figure", "--scene", "13", "--out", str(out), *FAST]) == 0
    with Image.open(out) as im:
        assert im.format == "PNG" and im.width > 4 * im.height / 2
    text = capsys.readouterr().out
    assert "scene 13: explaining 'circle'" in text and "'cross'" in text
    before = out.read_bytes()
    assert main(["figure", "--scene", "13", "--out", str(out), *FAST]) == 2
    assert "exists; use --force" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert main(["figure", "--scene", "13", "--out", str(out), "--force", *FAST]) == 0


def test_an_image_file_with_chosen_classes(tmp_path, capsys):
    image = tmp_path / "scene.png"
    save_png(image, make_composite(seed=13)[0])
    out = tmp_path / "fig.png"
    assert main(["figure", str(image), "--classes", "square", "2", "--out", str(out),
                 *FAST]) == 0
    assert "explaining 'square'" in capsys.readouterr().out and out.is_file()


def test_bad_arguments_are_one_line_errors(tmp_path, capsys):
    out = str(tmp_path / "fig.png")
    assert main(["figure", "--out", out]) == 2
    assert "give either IMAGE or --scene SEED" in capsys.readouterr().err
    assert main(["figure", "x.png", "--scene", "1", "--out", out]) == 2
    assert main(["figure", "--scene", "1", "--patch", "0", "--out", out]) == 2
    assert "--patch must be an integer >= 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as done:
        main(["figure", "--help"])
    assert done.value.code == 0
    assert "--scene SEED" in capsys.readouterr().out


def test_saliency_rgb_centres_zero_on_grey():
    s = np.zeros((3, 2, 2))
    s[0, 0, 0], s[1, 1, 1] = 2.0, -1.0
    rgb = saliency_rgb(s)
    assert rgb[0, 0, 0] == 1.0 and rgb[1, 1, 1] == 0.25 and rgb[2, 0, 1] == 0.5
    np.testing.assert_array_equal(saliency_rgb(np.zeros((3, 2, 2))), 0.5)


def test_a_photo_is_seen_through_explains_crop_box_not_squashed(tmp_path):
    """figure IMAGE reads a wide photo as explain does: its centre crop (preprocessing.crop_box),
    not the whole photo squashed to the model's square input."""
    from argparse import Namespace

    import numpy as np
    from PIL import Image

    import numpy_gradcam as ng
    from numpy_gradcam.commands.figure import _input
    from numpy_gradcam.io import load_image

    path = tmp_path / "wide.png"
    Image.fromarray((np.random.default_rng(0).random((60, 160, 3)) * 255).astype(np.uint8)
                    ).save(path)
    model = ng.load_model("tinycnn-gap")
    image, photo, box, _, _ = _input(Namespace(image=path, scene=None), model)
    # The 60×60 centre of 160 columns: (top, left, height, width) = (0, 50, 60, 60).
    assert box.as_tuple() == (0, 50, 60, 60) and photo.shape == (3, 60, 160)
    np.testing.assert_allclose(image, load_image(path, size=(64, 64), box=(0, 50, 60, 60)))
    assert not np.allclose(image, load_image(path, size=(64, 64)), atol=0.05)   # not squashed


def test_occlusion_defaults_scale_with_the_input_side():
    """7×7 patch positions at any input size (98 forwards for two classes at 224×224)."""
    from numpy_gradcam.cam.methods.occlusion import patch_corners
    from numpy_gradcam.commands.figure import occlusion_defaults

    assert occlusion_defaults((64, 64)) == (16, 8)
    assert occlusion_defaults((224, 224)) == (56, 28)
    assert len(patch_corners((224, 224), (56, 56), (28, 28))) == 49


def test_into_box_draws_the_map_inside_the_crop_box_only():
    from numpy_gradcam.figures import into_box
    from numpy_gradcam.preprocessing import CropBox

    out = into_box(np.ones((3, 4, 4)), (6, 10), CropBox(1, 3, 4, 4))    # a white input
    assert out.shape == (3, 6, 10) and out.dtype == np.uint8
    assert (out[:, 1:5, 3:7] == 255).all()
    inside = np.zeros((6, 10), dtype=bool)
    inside[1:5, 3:7] = True
    assert (out[:, ~inside] == 128).all()                               # grey: zero evidence


def test_a_wide_photo_with_a_real_architecture_keeps_its_aspect(tmp_path, capsys):
    """figure IMAGE with a resnet18 (random weights, read from a state-dict file) on a 2:1 photo:
    each panel is the whole photo (the figure is wider than its 5:2 grid of square panels
    would be), and the figure is a real JPEG."""
    from numpy_gradcam import models
    from numpy_gradcam.io import save_state_dict

    weights = tmp_path / "resnet18.npz"
    save_state_dict(weights, models.build("resnet18", seed=3).state_dict())
    photo = tmp_path / "wide.png"
    rng = np.random.default_rng(1)
    Image.fromarray((rng.random((120, 240, 3)) * 255).astype(np.uint8)).save(photo)
    out = tmp_path / "fig.jpg"
    assert main(["figure", str(photo), "--model", str(weights), "--arch", "resnet18",
                 "--classes", "1", "2", "--patch", "112", "--stride", "112",
                 "--out", str(out)]) == 0
    assert out.read_bytes()[:3] == b"\xff\xd8\xff"                      # JPEG's magic number
    with Image.open(out) as im:
        assert im.format == "JPEG" and im.width > 2.5 * im.height
    assert "explaining '1'" in capsys.readouterr().out


def test_out_must_name_a_written_format(tmp_path, capsys):
    out = tmp_path / "fig.gif"
    assert main(["figure", "--scene", "13", "--out", str(out), *FAST]) == 2
    err = capsys.readouterr().err
    assert "--out must end in one of .png, .jpg, .jpeg" in err and not out.exists()
