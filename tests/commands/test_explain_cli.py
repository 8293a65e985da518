"""``numpy-gradcam explain`` as a person uses it: --figure, --upsample, --version, and errors in
the command line's words (no ``[Errno N]``, no ``force=True``, no Python reprs)."""

import errno
import os
from importlib.metadata import version

import numpy as np
import pytest
from PIL import Image

import numpy_gradcam as ng
from numpy_gradcam.cli import main
from numpy_gradcam.commands._errors import user_message
from numpy_gradcam.datasets import make_composite
from numpy_gradcam.io import load_image_uint8, save_png, save_state_dict
from numpy_gradcam.preprocessing import explain_photo, overlay_on_photo

PYTHON_WORDS = ("[Errno", "force=True", "<_io", "Traceback")


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def scene(tmp_path):
    path = tmp_path / "scene.png"
    save_png(path, make_composite(seed=3)[0])
    return path


def test_version_is_the_installed_distributions(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"numpy-gradcam {version('numpy-gradcam')}\n"


# --- --figure --------------------------------------------------------------------------------


def test_figure_on_a_wide_photo_with_a_resnet18_weights_file(tmp_path, capsys):
    weights = tmp_path / "resnet18.npz"
    save_state_dict(weights, ng.models.build("resnet18", seed=0).state_dict())
    rng = np.random.default_rng(0)
    photo = tmp_path / "wide.png"
    Image.fromarray(rng.integers(0, 256, (150, 300, 3), dtype=np.uint8)).save(photo)
    out, figure = tmp_path / "overlay.png", tmp_path / "figure.png"
    code, printed, err = run_cli(capsys, "explain", photo, "--model", weights, "--arch",
                                 "resnet18", "--out", out, "--figure", figure)
    assert code == 0, err
    assert f"titled figure: wrote {figure}" in printed
    assert Image.open(out).size == (300, 150)               # the plain overlay stays as it was
    drawn = np.asarray(Image.open(figure).convert("RGB"))
    assert drawn.shape[1] > drawn.shape[0]                   # the photo's aspect, plus a bar
    assert len(np.unique(drawn.reshape(-1, 3), axis=0)) > 100


def test_figure_title_and_colour_bar(scene, tmp_path, monkeypatch, capsys):
    from numpy_gradcam.commands import explain as command

    figures = []
    monkeypatch.setattr(command, "save_figure", lambda fig, path, force: figures.append(fig))
    code, _, err = run_cli(capsys, "explain", scene, "--target", "square", "--method",
                           "gradcam++", "--out", tmp_path / "o.png", "--figure",
                           tmp_path / "f.png")
    assert code == 0, err
    e = explain_photo(ng.load_model("tinycnn-gap"), scene, target="square", method="gradcam++")
    image_axes, bar_axes = figures[0].axes
    p = e.probabilities[e.targets]
    assert image_axes.get_title() == f"square (p = {p:.3f})\ngradcam++ at layer relu4"
    assert bar_axes.get_ylim() == (0.0, 1.0)
    assert bar_axes.get_ylabel().endswith("most evidence for the class")
    figure = figures[0]
    figure.canvas.draw()                               # the title lies inside the figure
    box = image_axes.title.get_window_extent()
    assert box.x0 >= 0 and box.x1 <= figure.bbox.width


@pytest.mark.parametrize("preset", ["paper", "pytorch-grad-cam"])
def test_colour_scale_is_the_presets_colouring_of_0_to_1(scene, preset):
    from numpy_gradcam.cam.colormaps import colormap
    from numpy_gradcam.commands.explain import color_scale

    e = ng.explain(ng.load_model("tinycnn-gap"), make_composite(seed=3)[0], preset=preset)
    scale = color_scale(e, n=5)                                        # (5, 3)
    assert scale.shape == (5, 3)
    if preset == "paper":
        np.testing.assert_allclose(scale, colormap(np.linspace(0, 1, 5)[None], "jet")[:, 0].T)
    else:
        # OpenCV's JET: dark blue at 0 (0, 0, 128+) and dark red at 1
        assert scale[0, 2] > 0.4 and scale[0, 0] == 0 and scale[-1, 0] > 0.4


def test_figure_that_exists_is_refused_before_the_work(scene, tmp_path, capsys):
    figure = tmp_path / "f.png"
    figure.write_bytes(b"keep me")
    code, _, err = run_cli(capsys, "explain", scene, "--out", tmp_path / "o.png",
                           "--figure", figure)
    assert code == 2
    assert err.endswith(f"error: {figure} already exists; use --force to replace it\n")
    assert not (tmp_path / "o.png").exists() and figure.read_bytes() == b"keep me"
    code, _, err = run_cli(capsys, "explain", scene, "--out", figure, "--figure", figure)
    assert code == 2 and "--out and --figure name the same file" in err


# --- --upsample ------------------------------------------------------------------------------


def test_upsample_reaches_the_overlay(scene, tmp_path, capsys):
    model = ng.load_model("tinycnn-gap")
    photo = load_image_uint8(scene)
    for mode in ("bilinear", "nearest", "bicubic"):
        out = tmp_path / f"{mode}.png"
        assert run_cli(capsys, "explain", scene, "--upsample", mode, "--out", out)[0] == 0
        expected = overlay_on_photo(explain_photo(model, scene, upsample=mode), photo)
        np.testing.assert_array_equal(np.asarray(Image.open(out)), expected.transpose(1, 2, 0))
    default = tmp_path / "default.png"
    assert run_cli(capsys, "explain", scene, "--out", default)[0] == 0
    assert default.read_bytes() == (tmp_path / "bilinear.png").read_bytes()
    assert (tmp_path / "nearest.png").read_bytes() != default.read_bytes()


def test_upsample_with_a_library_preset_names_the_option(scene, tmp_path, capsys):
    code, _, err = run_cli(capsys, "explain", scene, "--preset", "pytorch-grad-cam",
                           "--upsample", "nearest", "--out", tmp_path / "o.png")
    assert code == 2
    assert "fixes upsample" in err and "use --preset paper" in err and "preset='" not in err


# --- errors in plain words -------------------------------------------------------------------


def _error(capsys, *args):
    code, _, err = run_cli(capsys, "explain", *args)
    assert code == 2 and err.count("\n") == 1, err
    assert not any(word in err for word in PYTHON_WORDS), err
    return err.removeprefix("numpy-gradcam explain: error: ").rstrip("\n")


def test_errors_name_the_file_in_plain_words(scene, tmp_path, capsys):
    exists = tmp_path / "exists.png"
    exists.write_bytes(b"keep me")
    assert _error(capsys, scene, "--out", exists) == \
        f"{exists} already exists; use --force to replace it"
    assert _error(capsys, tmp_path / "missing.png") == f"no such file: {tmp_path}/missing.png"
    assert _error(capsys, tmp_path / "no" / "o.png") == \
        f"no such folder: {tmp_path}/no (for {tmp_path}/no/o.png)"
    assert _error(capsys, scene, "--out", tmp_path / "no" / "o.png") == \
        f"no such folder: {tmp_path}/no (for {tmp_path}/no/o.png)"
    assert _error(capsys, tmp_path) == f"{tmp_path} is a folder, not a file"
    assert _error(capsys, scene, "--out", tmp_path) == f"{tmp_path} is a folder, not a file"
    text = tmp_path / "notes.png"
    text.write_text("hello")
    assert _error(capsys, text) == \
        f"{str(text)!r} cannot be read as an image: its format is not one Pillow reads"
    assert exists.read_bytes() == b"keep me"


def test_permission_error_in_plain_words(scene, tmp_path, capsys, monkeypatch):
    # Tests may run as root, who may read anything: refuse the look-up itself.
    real_stat = os.stat

    def refusing_stat(path, *args, **kwargs):
        if str(path) == str(scene):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", refusing_stat)
    message = _error(capsys, scene, "--out", tmp_path / "o.png")
    assert message.startswith(f"permission denied: {scene}")


@pytest.mark.parametrize("error, message", [
    (FileExistsError(errno.EEXIST, "refusing to overwrite an existing file (pass force=True, "
                     "or --force on the command line, to replace it)", "a.png"),
     "a.png already exists; use --force to replace it"),
    (FileExistsError("'d' already holds x.npz: pass force=True (or --force) to replace the "
                     "golden vectors"), "'d' already holds x.npz: use --force to replace the "
                                        "golden vectors"),
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "gone.png"),
     "no such file: gone.png"),
    (IsADirectoryError(errno.EISDIR, "expected image file, got a directory", "d"),
     "d is a folder, not a file"),
    (PermissionError(errno.EACCES, "Permission denied", "p.png"), "permission denied: p.png"),
    (PermissionError(errno.EACCES, "no permission to write in the directory 'r'", "r/o.png"),
     "permission denied: r/o.png (no permission to write in the directory 'r')"),
    (NotADirectoryError(errno.ENOTDIR, "cannot write: 'f' is not a directory", "f/o.png"),
     "cannot write: 'f' is not a directory: f/o.png"),
    (OSError(errno.ENOSPC, "No space left on device"), "No space left on device"),
    (ValueError("'t.png' cannot be read as an image: cannot identify image file "
                "<_io.BufferedReader name='t.png'>"),
     "'t.png' cannot be read as an image: its format is not one Pillow reads"),
    (ValueError("seen <_io.BufferedReader name='x.png'> twice"), "seen x.png twice"),
    (ValueError(""), "ValueError"),
])
def test_user_message_translates_each_kind(error, message):
    assert user_message(error) == message
