"""Hostile image files, through ``load_image`` and through ``numpy-gradcam explain``.

Every odd-but-valid file gives an image ``(3, H, W)`` in [0, 1] (and an overlay with the file's
own size); every broken one gives an error naming the file and what is wrong with it.
"""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

import numpy_gradcam as ng
import numpy_gradcam.io as ngio
from numpy_gradcam.io import load_image

from .conftest import assert_good_explanation, assert_user_error, run_cli

RNG = np.random.default_rng(1)
H, W = 20, 30                                        # non-square: catches (W, H) mix-ups


def _u8(*shape):
    return RNG.integers(0, 256, size=(H, W, *shape), dtype=np.uint8)


def _png_bytes(picture, **options):
    buffer = io.BytesIO()
    picture.save(buffer, **options)
    return buffer.getvalue()


def png_claiming(width, height):
    """A PNG whose header claims ``width × height`` pixels (its data is a few bytes)."""
    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)      # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


READABLE = {
    "grey-L.png": lambda: Image.fromarray(_u8()),
    "grey-alpha-LA.png": lambda: Image.fromarray(_u8(2), "LA"),
    "rgba.png": lambda: Image.fromarray(_u8(4), "RGBA"),
    "palette-P.png": lambda: Image.fromarray(_u8(3), "RGB").convert("P"),
    "palette-transparent.png": lambda: (Image.fromarray(_u8(3), "RGB").convert("P"),
                                        dict(transparency=0)),
    "16-bit.png": lambda: Image.fromarray((RNG.integers(0, 65536, (H, W))).astype(np.uint16)),
    "bilevel-1.png": lambda: Image.fromarray(_u8()).convert("1"),
    "cmyk.jpg": lambda: Image.fromarray(_u8(4), "CMYK"),
    "rgb.jpg": lambda: Image.fromarray(_u8(3), "RGB"),
    "float-F.tif": lambda: Image.fromarray(RNG.random((H, W)).astype(np.float32)),
    "int32-I.tif": lambda: Image.fromarray(RNG.integers(0, 65536, (H, W)).astype(np.int32)),
}


def _make_readable(inputs, name):
    made = READABLE[name]()
    picture, options = made if isinstance(made, tuple) else (made, {})
    return inputs.picture(name, picture, **options)


@pytest.mark.parametrize("name", READABLE)
def test_every_image_mode_reads_as_rgb_in_unit_range(inputs, name):
    x = load_image(_make_readable(inputs, name))
    assert x.shape == (3, H, W) and x.dtype == np.float64
    assert np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1


@pytest.mark.parametrize("name", ["grey-L.png", "rgba.png", "palette-P.png", "16-bit.png",
                                  "cmyk.jpg"])
def test_explain_command_overlays_any_mode_at_the_file_size(inputs, capsys, name):
    path = _make_readable(inputs, name)
    out = inputs.folder / "overlay.png"
    code, stdout, _ = run_cli(capsys, "explain", path, "--out", out)
    assert code == 0 and f"wrote {out}" in stdout
    overlay = load_image(out)
    assert overlay.shape == (3, H, W) and np.isfinite(overlay).all()


def _truncated(suffix):
    data = _png_bytes(Image.fromarray(_u8(3), "RGB"), format="PNG" if suffix == "png" else "JPEG")
    return data[: len(data) // 2]


def _tiff(array):
    return _png_bytes(Image.fromarray(array), format="TIFF")


BROKEN = {
    # name: (bytes, or None for "make a directory"), error, message
    "truncated.png": (lambda: _truncated("png"), ValueError,
                      r"truncated.png' cannot be read as an image"),
    "truncated.jpg": (lambda: _truncated("jpg"), ValueError,
                      r"truncated.jpg' cannot be read as an image"),
    "text.png": (lambda: b"hello, I am not a picture\n", ValueError,
                 r"text.png' cannot be read as an image"),
    "empty.png": (lambda: b"", ValueError, r"empty.png' cannot be read as an image"),
    "nan-F.tif": (lambda: _tiff(np.full((4, 4), np.nan, np.float32)), ValueError,
                  r"mode 'F'\) is taken as it is and must hold finite values in \[0, 1\], "
                  r"got \[nan"),
    "negative-I.tif": (lambda: _tiff(np.full((4, 4), -5, np.int32)), ValueError,
                       r"must hold values in \[0, 65535\], got \[-5, -5\]"),
    "bomb.png": (lambda: png_claiming(20_000, 20_000), ValueError,
                 r"it has 400000000 pixels, above Pillow's decompression-bomb limit of 89478485"),
    "bomb-warning-range.png": (lambda: png_claiming(10_000, 10_000), ValueError,
                               r"it has 100000000 pixels, above Pillow's decompression-bomb limit"),
    "a-directory.png": (None, IsADirectoryError, r"expected image file, got a directory"),
    "missing.png": ("missing", FileNotFoundError, r"no image file at this path"),
}


def _make_broken(inputs, name):
    make = BROKEN[name][0]
    if make is None:
        return inputs.folder_named(name)
    if make == "missing":
        return inputs.folder / name
    return inputs.bytes(name, make())


@pytest.mark.parametrize("name", BROKEN)
def test_broken_files_are_refused_naming_the_file(inputs, name):
    path = _make_broken(inputs, name)
    limit, truncated_ok = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
    with pytest.raises(BROKEN[name][1], match=BROKEN[name][2]):
        load_image(path)
    # Pillow's global safety settings are kept as they were, not loosened to read the file
    assert (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES) == (limit, truncated_ok)


#: The command line says these in its own words (numpy_gradcam.commands._errors).
CLI_MESSAGES = {"a-directory.png": r"a-directory.png is a folder, not a file",
                "missing.png": r"no such file: .*missing.png"}


@pytest.mark.parametrize("name", BROKEN)
def test_explain_command_reports_broken_files_in_one_line(inputs, capsys, name):
    path = _make_broken(inputs, name)
    out = inputs.folder / "overlay.png"
    code, _, err = run_cli(capsys, "explain", path, "--out", out)
    assert_user_error(code, err, CLI_MESSAGES.get(name, BROKEN[name][2]))
    assert not out.exists()


@pytest.fixture
def unreadable(inputs, monkeypatch):
    """An image file that cannot be opened for lack of permission.

    The suite runs as root, for whom ``chmod 000`` changes nothing: ``numpy_gradcam.io``'s
    ``open`` is replaced by one that refuses this path, as the kernel would for another user.
    """
    path = inputs.png("locked.png", RNG.random((3, 16, 16)))

    def open_but_not_that(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return open(file, *args, **kwargs)

    monkeypatch.setattr(ngio, "open", open_but_not_that, raising=False)
    return path


def test_an_unreadable_file_is_a_permission_error(unreadable):
    with pytest.raises(PermissionError, match=r"no permission to read this image file"):
        load_image(unreadable)


def test_explain_command_reports_an_unreadable_file(unreadable, capsys):
    code, _, err = run_cli(capsys, "explain", unreadable, "--out", unreadable.with_name("o.png"))
    assert_user_error(code, err, r"permission denied: .*locked.png \(no permission to read "
                                 r"this image file\)")


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(size=0), ValueError, r"size must be an integer >= 1, got 0"),
    (dict(size=-64), ValueError, r"size must be an integer >= 1, got -64"),
    (dict(size=(64,)), ValueError, r"size must be an int or a pair \(h, w\), got \(64,\)"),
    (dict(size="64"), TypeError, r"size must be an integer >= 1, got '64'"),
    (dict(size=(64.0, 64)), TypeError, r"size must be an integer >= 1, got 64.0"),
    (dict(background=2.0), ValueError, r"background must be in \[0, 1\], got 2.0"),
])
def test_load_image_checks_size_and_background(scene, kwargs, error, match):
    with pytest.raises(error, match=match):
        load_image(scene, **kwargs)


@pytest.mark.parametrize("path, error, match", [
    (123, TypeError, r"path must be a file path \(str or os.PathLike\), got 123"),
    ("", ValueError, r"path must be a non-empty file path"),
    (b"scene.png", TypeError, r"path must be a file path"),
])
def test_load_image_checks_the_path_type(path, error, match):
    with pytest.raises(error, match=match):
        load_image(path)


@pytest.fixture(scope="module")
def huge_png(tmp_path_factory):
    """A 4096 × 4096 RGB PNG (a diagonal ramp)."""
    path = tmp_path_factory.mktemp("huge") / "huge.png"
    ramp = (np.add.outer(np.arange(4096), np.arange(4096)) % 256).astype(np.uint8)
    Image.fromarray(ramp).convert("RGB").save(path, compress_level=1)
    return path


def test_a_huge_file_resizes_to_the_model_input(huge_png, model, inputs):
    inputs.add(huge_png)
    x = load_image(huge_png, size=(64, 64))
    assert x.shape == (3, 64, 64) and x.min() >= 0 and x.max() <= 1
    assert_good_explanation(ng.explain(model, x), x.shape)


def test_explain_command_on_a_large_file_keeps_its_size(inputs, capsys):
    path = inputs.png("large.png", RNG.random((3, 1024, 1536)))
    out = inputs.folder / "overlay.png"
    assert run_cli(capsys, "explain", path, "--out", out)[0] == 0
    assert load_image(out).shape == (3, 1024, 1536)


def test_a_1x1_file_is_explained_and_overlaid_at_1x1(inputs, capsys):
    path = inputs.picture("dot.png", Image.new("RGB", (1, 1), (200, 30, 30)))
    x = load_image(path, size=(64, 64))
    assert x.shape == (3, 64, 64) and np.ptp(x, axis=(1, 2)).max() < 1e-6    # a constant image
    out = inputs.folder / "overlay.png"
    assert run_cli(capsys, "explain", path, "--out", out)[0] == 0
    assert load_image(out).shape == (3, 1, 1)
