"""Tests for numpy_gradcam.io: image and weight files, loaded, checked and written atomically."""

import hashlib
import json
import os
import zipfile

import numpy as np
import pytest
from PIL import Image

from numpy_gradcam import io

HALF_STEP = 0.5 / 255


def write(tmp_path, im, name, fmt="PNG", **params):
    """Save a Pillow image to tmp_path/name and check that it decodes in the same mode."""
    path = tmp_path / name
    im.save(path, fmt, **params)
    with Image.open(path) as check:
        assert check.mode == im.mode, f"{fmt} stored mode {im.mode} as {check.mode}"
    return path


# --------------------------------------------------------------------------------------------
# load_image: every mode, hand-checked pixel values


def test_load_rgb(tmp_path):
    pixels = np.array([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [51, 102, 204]]], np.uint8)
    x = io.load_image(write(tmp_path, Image.fromarray(pixels), "rgb.png"))
    assert x.dtype == np.float64
    assert x.shape == (3, 2, 2)  # (3, H, W), channels first
    np.testing.assert_array_equal(x[:, 0, 0], [1, 0, 0])
    np.testing.assert_array_equal(x[:, 0, 1], [0, 1, 0])
    np.testing.assert_array_equal(x[:, 1, 0], [0, 0, 1])
    np.testing.assert_allclose(x[:, 1, 1], [0.2, 0.4, 0.8], rtol=0, atol=1e-15)


def test_load_grey_L(tmp_path):
    pixels = np.array([[0, 255], [255, 0]], np.uint8)
    x = io.load_image(write(tmp_path, Image.fromarray(pixels), "grey.png"))
    expected = np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_array_equal(x, np.stack([expected] * 3))


def test_load_bilevel_1(tmp_path):
    im = Image.new("1", (3, 1), 0)
    im.putpixel((1, 0), 1)
    x = io.load_image(write(tmp_path, im, "bilevel.png"))
    np.testing.assert_array_equal(x, np.tile([[[0.0, 1.0, 0.0]]], (3, 1, 1)))


def test_load_palette(tmp_path):
    im = Image.new("P", (2, 1))
    im.putpalette([255, 128, 0, 0, 51, 255])
    im.putpixel((1, 0), 1)
    x = io.load_image(write(tmp_path, im, "palette.png"))
    np.testing.assert_allclose(x[:, 0, 0], [1.0, 128 / 255, 0.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(x[:, 0, 1], [0.0, 0.2, 1.0], rtol=0, atol=1e-15)


def test_load_palette_with_transparency_is_composited_over_black(tmp_path):
    im = Image.new("P", (2, 1))
    im.putpalette([255, 0, 0, 0, 0, 255])
    im.putpixel((1, 0), 1)
    path = write(tmp_path, im, "palette_t.png", transparency=1)  # entry 1 (blue) transparent
    x = io.load_image(path)
    np.testing.assert_array_equal(x[:, 0, 0], [1, 0, 0])
    np.testing.assert_array_equal(x[:, 0, 1], [0, 0, 0])  # the blue must not show
    white = io.load_image(path, background=1.0)
    np.testing.assert_array_equal(white[:, 0, 1], [1, 1, 1])


def test_load_rgba_composites_over_black_by_default(tmp_path):
    pixels = np.array([[[255, 255, 255, 255], [255, 0, 0, 0], [200, 100, 50, 51]]], np.uint8)
    path = write(tmp_path, Image.fromarray(pixels), "rgba.png")
    x = io.load_image(path)
    assert x.shape == (3, 1, 3)
    np.testing.assert_array_equal(x[:, 0, 0], [1, 1, 1])
    np.testing.assert_array_equal(x[:, 0, 1], [0, 0, 0])  # fully transparent red: no colour
    a = 51 / 255  # 0.2
    np.testing.assert_allclose(x[:, 0, 2], a * np.array([200, 100, 50]) / 255, atol=1e-15)

    over = io.load_image(path, background=0.5)
    np.testing.assert_allclose(over[:, 0, 1], [0.5, 0.5, 0.5], atol=1e-15)
    np.testing.assert_allclose(over[:, 0, 2], a * np.array([200, 100, 50]) / 255 + (1 - a) * 0.5,
                               atol=1e-15)


def test_load_LA(tmp_path):
    pixels = np.array([[[255, 255], [255, 0], [100, 51]]], np.uint8)  # (H, W, 2): grey, alpha
    x = io.load_image(write(tmp_path, Image.fromarray(pixels), "la.png"))
    np.testing.assert_allclose(x[:, 0, :], np.tile([1.0, 0.0, 0.2 * 100 / 255], (3, 1)),
                               atol=1e-15)


def test_load_RGB_colour_key_transparency(tmp_path):
    pixels = np.array([[[10, 20, 30], [40, 50, 60]]], np.uint8)
    path = write(tmp_path, Image.fromarray(pixels), "key.png", transparency=(10, 20, 30))
    x = io.load_image(path)
    np.testing.assert_array_equal(x[:, 0, 0], [0, 0, 0])
    np.testing.assert_allclose(x[:, 0, 1], [40 / 255, 50 / 255, 60 / 255], atol=1e-15)


@pytest.mark.parametrize(("mode", "fmt"), [("I;16", "PNG"), ("I;16B", "TIFF"), ("I", "TIFF")])
def test_load_16_bit_scaled_by_65535(tmp_path, mode, fmt):
    values = np.array([[0, 65535], [32768, 1000]])
    im = Image.new(mode, (2, 2))
    for (i, j), v in np.ndenumerate(values):
        im.putpixel((j, i), int(v))  # Pillow's (x, y) is (column, row)
    x = io.load_image(write(tmp_path, im, f"deep.{fmt.lower()}", fmt))
    expected = values / 65535.0
    assert x[0, 0, 1] == 1.0
    np.testing.assert_allclose(x, np.stack([expected] * 3), rtol=0, atol=1e-15)


def test_load_32_bit_integer_outside_16_bit_range_is_refused(tmp_path):
    im = Image.new("I", (1, 1), 70000)
    path = write(tmp_path, im, "big.tiff", "TIFF")
    with pytest.raises(ValueError, match=r"\[0, 65535\]"):
        io.load_image(path)


def test_load_float_F_taken_as_is(tmp_path):
    grey = np.array([[0.0, 0.25], [1.0, 0.5]], np.float32)
    x = io.load_image(write(tmp_path, Image.fromarray(grey), "float.tiff", "TIFF"))
    np.testing.assert_array_equal(x, np.stack([grey.astype(np.float64)] * 3))


def test_load_float_F_outside_unit_interval_is_refused(tmp_path):
    path = write(tmp_path, Image.fromarray(np.array([[2.0]], np.float32)), "f.tiff", "TIFF")
    with pytest.raises(ValueError, match=r"mode 'F'.*\[0, 1\]"):
        io.load_image(path)


def test_load_cmyk_pure_cyan_is_rgb_0_1_1(tmp_path):
    im = Image.new("CMYK", (2, 1), (255, 0, 0, 0))
    im.putpixel((1, 0), (0, 0, 0, 255))  # pure black ink
    x = io.load_image(write(tmp_path, im, "cmyk.tiff", "TIFF"))
    np.testing.assert_array_equal(x[:, 0, 0], [0, 1, 1])
    np.testing.assert_array_equal(x[:, 0, 1], [0, 0, 0])


def test_load_ycbcr(tmp_path):
    im = Image.new("YCbCr", (2, 1), (255, 128, 128))  # full luma, neutral chroma: white
    im.putpixel((1, 0), (0, 128, 128))  # black
    x = io.load_image(write(tmp_path, im, "ycc.tiff", "TIFF"))
    np.testing.assert_array_equal(x[:, 0, 0], [1, 1, 1])
    np.testing.assert_array_equal(x[:, 0, 1], [0, 0, 0])


@pytest.mark.parametrize(("mode", "value", "expected"), [
    ("PA", None, [0.0, 0.0, 0.0]),
    ("RGBa", (100, 50, 0, 128), [100 / 255, 50 / 255, 0.0]),
    ("La", (100, 128), [100 / 255] * 3),
])
def test_premultiplied_and_palette_alpha_modes(mode, value, expected):
    # Pillow cannot write these modes to a file; check their conversion on the image itself.
    im = Image.new(mode, (1, 1), value)
    if mode == "PA":
        im.putpalette([255, 0, 0])  # red, with alpha 0: composited over black it vanishes
    x = io._image_to_array(im, "memory", background=0.0)
    assert x.shape == (3, 1, 1)
    np.testing.assert_allclose(x[:, 0, 0], expected, atol=2 / 255)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "1", "P", "I;16", "CMYK"])
def test_every_mode_gives_3_H_W_float64_in_unit_interval(tmp_path, mode):
    rng = np.random.default_rng(0)
    im = Image.fromarray(rng.integers(0, 256, (3, 5, 3), dtype=np.uint8)).convert(mode)
    fmt = "TIFF" if mode == "CMYK" else "PNG"
    x = io.load_image(write(tmp_path, im, f"any.{fmt.lower()}", fmt))
    assert x.shape == (3, 3, 5)
    assert x.dtype == np.float64
    assert x.min() >= 0.0
    assert x.max() <= 1.0


# --------------------------------------------------------------------------------------------
# load_image: resizing


def test_resize_size_is_H_W_not_W_H(tmp_path):
    path = write(tmp_path, Image.new("RGB", (6, 4), (255, 0, 0)), "wide.png")  # W=6, H=4
    assert io.load_image(path).shape == (3, 4, 6)
    x = io.load_image(path, size=(3, 7))
    assert x.shape == (3, 3, 7)
    np.testing.assert_allclose(x[0], 1.0, atol=1e-6)  # a constant stays the constant
    np.testing.assert_allclose(x[1:], 0.0, atol=1e-6)


def test_resize_matches_pillow_bilinear_on_8_bit(tmp_path):
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (9, 13, 3), dtype=np.uint8)
    path = write(tmp_path, Image.fromarray(pixels), "noise.png")
    for H, W in [(5, 4), (17, 20), (9, 6)]:  # down, up, mixed
        pillow = np.asarray(Image.fromarray(pixels).resize((W, H), Image.BILINEAR))  # (H, W, 3)
        ours = io.load_image(path, size=(H, W))
        np.testing.assert_allclose(ours, pillow.transpose(2, 0, 1) / 255.0, rtol=0, atol=1 / 255)


def test_resize_downscale_antialiases(tmp_path):
    checker = (np.indices((8, 8)).sum(axis=0) % 2 * 255).astype(np.uint8)
    path = write(tmp_path, Image.fromarray(checker), "checker.png")
    x = io.load_image(path, size=(2, 2))
    # Point-sampling bilinear (no antialiasing) would give values near 0 or 1 here.
    np.testing.assert_allclose(x, 0.5, atol=0.05)


@pytest.mark.parametrize(("size", "error"), [((0, 4), ValueError), ((2, 3, 4), ValueError),
                                             ("big", TypeError), ((2.5, 3), TypeError)])
def test_resize_size_is_checked(tmp_path, size, error):
    path = write(tmp_path, Image.new("RGB", (2, 2)), "a.png")
    with pytest.raises(error, match="size"):
        io.load_image(path, size=size)


# --------------------------------------------------------------------------------------------
# load_image: errors


def test_missing_file(tmp_path):
    path = tmp_path / "nope.png"
    with pytest.raises(FileNotFoundError, match=r"nope\.png"):
        io.load_image(path)


def test_directory(tmp_path):
    with pytest.raises(IsADirectoryError, match=str(tmp_path.name)):
        io.load_image(tmp_path)


def test_text_file_named_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("not an image\n")
    with pytest.raises(ValueError, match=r"notes\.png.*cannot be read as an image"):
        io.load_image(path)


def test_truncated_png(tmp_path):
    rng = np.random.default_rng(2)
    full = write(tmp_path, Image.fromarray(rng.integers(0, 256, (32, 32, 3), np.uint8)), "f.png")
    path = tmp_path / "cut.png"
    path.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(ValueError, match=r"cut\.png.*cannot be read as an image"):
        io.load_image(path)


def test_path_of_wrong_type():
    with pytest.raises(TypeError, match="path"):
        io.load_image(42)


@pytest.mark.parametrize("side", [4, 5])  # 16 pixels: Pillow only warns; 25 (> 2×10): it raises
def test_decompression_bomb_limit_is_kept(tmp_path, monkeypatch, side):
    path = write(tmp_path, Image.new("RGB", (side, side)), "bomb.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)
    with pytest.raises(ValueError, match=rf"{side * side} pixels.*limit of 10 pixels"):
        io.load_image(path)


def test_below_the_bomb_limit_loads(tmp_path, monkeypatch):
    path = write(tmp_path, Image.new("RGB", (3, 3)), "small.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)
    assert io.load_image(path).shape == (3, 3, 3)


def test_load_image_does_not_modify_the_file(tmp_path):
    path = write(tmp_path, Image.new("RGBA", (5, 3), (1, 2, 3, 4)), "in.png")
    before = (io.sha256_file(path), path.stat().st_mtime_ns)
    io.load_image(path, size=(2, 7))
    assert (io.sha256_file(path), path.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="running as root: permission bits are not enforced")
def test_unreadable_directory(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    path = write(locked, Image.new("RGB", (1, 1)), "in.png")
    locked.chmod(0)
    try:
        with pytest.raises(PermissionError, match=r"in\.png"):
            io.load_image(path)
        with pytest.raises(PermissionError, match=r"out\.png"):
            io.save_png(locked / "out.png", np.zeros((1, 1)))
    finally:
        locked.chmod(0o700)


def test_permission_errors_are_reported_as_such(tmp_path, monkeypatch):
    # Simulated, so that it also runs as root (where chmod cannot take permission away).
    path = write(tmp_path, Image.new("RGB", (1, 1)), "in.png")
    real_os_open = os.open

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(args[0]))

    def refuse_in_tmp(file, *args, **kwargs):
        if str(file).startswith(str(tmp_path)):
            refuse(file)
        return real_os_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", refuse, raising=False)  # shadows the builtin in io only
    with pytest.raises(PermissionError, match=r"no permission to read.*in\.png"):
        io.load_image(path)
    monkeypatch.setattr(os, "open", refuse_in_tmp)
    with pytest.raises(PermissionError, match=r"no permission to write.*out\.png"):
        io.save_png(tmp_path / "out.png", np.zeros((1, 1)))
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


# --------------------------------------------------------------------------------------------
# save_png


def test_png_round_trip_within_half_a_step(tmp_path):
    rng = np.random.default_rng(3)
    rgb = rng.random((3, 4, 6))
    io.save_png(tmp_path / "rgb.png", rgb)
    back = io.load_image(tmp_path / "rgb.png")
    assert back.shape == (3, 4, 6)
    assert np.abs(back - rgb).max() <= HALF_STEP + 1e-12

    grey = rng.random((5, 2)).astype(np.float32)
    io.save_png(tmp_path / "grey.png", grey)
    back = io.load_image(tmp_path / "grey.png")
    assert np.abs(back - grey).max() <= HALF_STEP + 1e-7
    np.testing.assert_array_equal(back[0], back[2])


def test_png_rounds_rather_than_truncates(tmp_path):
    x = np.array([[0.6 / 255, 0.4 / 255, 254.7 / 255, 1.0]])
    io.save_png(tmp_path / "r.png", x)
    with Image.open(tmp_path / "r.png") as im:
        assert im.mode == "L"
        np.testing.assert_array_equal(np.asarray(im), [[1, 0, 255, 255]])


def test_png_is_rgb_channels_first(tmp_path):
    x = np.zeros((3, 2, 4))
    x[0] = 1.0  # red
    io.save_png(tmp_path / "red.png", x)
    with Image.open(tmp_path / "red.png") as im:
        assert im.size == (4, 2)  # Pillow: (W, H)
        assert im.getpixel((0, 0)) == (255, 0, 0)


@pytest.mark.parametrize(("image", "error", "match"), [
    (np.full((3, 2, 2), 1.5), ValueError, r"\[0, 1\]"),
    (np.full((3, 2, 2), -0.1), ValueError, r"\[0, 1\]"),
    (np.full((2, 2), np.nan), ValueError, "NaN"),
    (np.zeros((2, 2, 3)), ValueError, r"transpose\(2, 0, 1\)"),
    (np.zeros((3, 0, 2)), ValueError, "non-empty"),
    (np.zeros((2, 2), np.uint8), TypeError, "dtype"),
])
def test_png_refuses_bad_images(tmp_path, image, error, match):
    with pytest.raises(error, match=match):
        io.save_png(tmp_path / "bad.png", image)
    assert not (tmp_path / "bad.png").exists()


def test_png_does_not_overwrite_without_force(tmp_path):
    path = tmp_path / "out.png"
    path.write_bytes(b"original")
    with pytest.raises(FileExistsError, match=r"force.*out\.png"):
        io.save_png(path, np.zeros((2, 2)))
    assert path.read_bytes() == b"original"
    io.save_png(path, np.ones((2, 2)), force=True)
    np.testing.assert_array_equal(io.load_image(path), np.ones((3, 2, 2)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]


def test_save_figure(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1))
    fig.add_subplot().plot([0, 1], [1, 0])
    path = tmp_path / "fig.png"
    io.save_figure(fig, path, dpi=50)
    assert io.load_image(path).shape == (3, 50, 100)
    with pytest.raises(FileExistsError):
        io.save_figure(fig, path)
    with pytest.raises(TypeError, match="fig"):
        io.save_figure("not a figure", tmp_path / "x.png")
    with pytest.raises(ValueError, match="dpi"):
        io.save_figure(fig, tmp_path / "y.png", dpi=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png"]


def test_save_figure_writes_jpeg_bytes_under_jpg(tmp_path):
    """A .jpg/.jpeg path gets JPEG bytes (a .jpg held PNG bytes); any other, PNG."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1, 1))
    fig.add_subplot().plot([0, 1])
    for name, magic in (("a.jpg", b"\xff\xd8\xff"), ("b.JPEG", b"\xff\xd8\xff"),
                        ("c.png", b"\x89PNG"), ("d.out", b"\x89PNG")):
        io.save_figure(fig, tmp_path / name)
        assert (tmp_path / name).read_bytes().startswith(magic), name


# --------------------------------------------------------------------------------------------
# atomic_write


def test_atomic_write_temporary_is_hidden_in_the_same_directory(tmp_path):
    path = tmp_path / "out.bin"
    with io.atomic_write(path) as tmp:
        assert tmp.parent == tmp_path
        assert tmp.name.startswith(".out.bin.")
        assert tmp.name.endswith(".tmp")
        assert not path.exists()  # nothing at the final name until the write is complete
        tmp.write_bytes(b"new")
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_atomic_write_existing_file_needs_force(tmp_path):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    with pytest.raises(FileExistsError, match=r"force=True.*--force.*out\.bin"):
        with io.atomic_write(path) as tmp:
            tmp.write_bytes(b"new")
    assert path.read_bytes() == b"old"
    with io.atomic_write(path, force=True) as tmp:
        tmp.write_bytes(b"new")
    assert path.read_bytes() == b"new"


def test_atomic_write_file_appearing_meanwhile_is_not_replaced(tmp_path):
    path = tmp_path / "out.bin"
    with pytest.raises(FileExistsError):
        with io.atomic_write(path) as tmp:
            tmp.write_bytes(b"mine")
            path.write_bytes(b"someone else's")
    assert path.read_bytes() == b"someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


@pytest.mark.parametrize("exception", [RuntimeError, KeyboardInterrupt])
def test_atomic_write_failure_keeps_the_old_file_and_no_temporary(tmp_path, exception):
    path = tmp_path / "out.bin"
    path.write_bytes(b"old")
    with pytest.raises(exception):
        with io.atomic_write(path, force=True) as tmp:
            tmp.write_bytes(b"half")
            raise exception("stop")
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_atomic_write_missing_parent(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        with io.atomic_write(tmp_path / "no" / "out.bin"):
            pass


def test_atomic_write_directory_at_path(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError, match="directory"):
        with io.atomic_write(tmp_path / "d"):
            pass


# --------------------------------------------------------------------------------------------
# npz


def sample_arrays():
    return {
        "conv1.weight": np.arange(24, dtype=np.float32).reshape(2, 3, 2, 2),
        "conv1.bias": np.array([0.5, -1.0]),
        "labels": np.array([3, 1, 2], dtype=np.int64),
        "mask": np.array([[True, False]]),
        "scalar": np.float64(2.5),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
    }


def test_npz_round_trip(tmp_path):
    arrays = sample_arrays()
    io.save_npz(tmp_path / "w.npz", arrays)
    back = io.load_npz(tmp_path / "w.npz")
    assert list(back) == list(arrays)  # the order is kept
    for key, value in arrays.items():
        assert back[key].dtype == np.asarray(value).dtype, key
        assert back[key].shape == np.shape(value), key
        np.testing.assert_array_equal(back[key], value)
    np.testing.assert_array_equal(np.load(tmp_path / "w.npz")["labels"], [3, 1, 2])


def test_npz_is_byte_deterministic(tmp_path):
    io.save_npz(tmp_path / "a.npz", sample_arrays())
    io.save_npz(tmp_path / "b.npz", sample_arrays())
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.npz") as zf:  # no clock inside: a fixed date
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.compress_type for info in zf.infolist()} == {zipfile.ZIP_STORED}


def test_npz_reads_numpy_savez_files(tmp_path):
    np.savez(tmp_path / "np.npz", a=np.ones(3), b=np.zeros((2, 2), np.int32))
    back = io.load_npz(tmp_path / "np.npz", required=["a", "b"])
    assert back["b"].dtype == np.int32


def test_npz_refuses_pickled_objects(tmp_path):
    np.savez(tmp_path / "evil.npz", x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match=r"evil\.npz.*pickled objects are refused"):
        io.load_npz(tmp_path / "evil.npz")
    with pytest.raises(ValueError, match="objects"):
        io.save_npz(tmp_path / "o.npz", {"x": np.array([None], dtype=object)})
    assert not (tmp_path / "o.npz").exists()


def test_npz_required_keys(tmp_path):
    io.save_npz(tmp_path / "w.npz", {"a": np.ones(1), "b": np.ones(1)})
    with pytest.raises(ValueError, match=r"\['c'\].*\['a', 'b'\]"):
        io.load_npz(tmp_path / "w.npz", required=["a", "c"])
    with pytest.raises(TypeError, match="required"):
        io.load_npz(tmp_path / "w.npz", required="a")


def test_npz_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"none\.npz"):
        io.load_npz(tmp_path / "none.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match=r"text\.npz.*not an \.npz"):
        io.load_npz(tmp_path / "text.npz")
    np.save(tmp_path / "single.npy", np.ones(2))
    with pytest.raises(ValueError, match=r"not an \.npz"):
        io.load_npz(tmp_path / "single.npy")
    with pytest.raises(TypeError, match="arrays"):
        io.save_npz(tmp_path / "x.npz", [np.ones(1)])


def test_npz_does_not_overwrite_without_force(tmp_path):
    path = tmp_path / "w.npz"
    io.save_npz(path, {"a": np.ones(2)})
    original = path.read_bytes()
    with pytest.raises(FileExistsError):
        io.save_npz(path, {"a": np.zeros(2)})
    assert path.read_bytes() == original
    io.save_npz(path, {"a": np.zeros(2)}, force=True)
    np.testing.assert_array_equal(io.load_npz(path)["a"], [0, 0])


# --------------------------------------------------------------------------------------------
# json and hashes


def test_json_round_trip_and_format(tmp_path):
    path = tmp_path / "meta.json"
    io.save_json(path, {"b": [1, 2.5], "a": {"z": None, "y": np.float32(0.5)}, "n": np.int64(3)})
    text = path.read_text()
    assert text == json.dumps({"a": {"y": 0.5, "z": None}, "b": [1, 2.5], "n": 3},
                              indent=2, sort_keys=True) + "\n"
    assert text.index('"a"') < text.index('"b"')
    assert io.load_json(path) == {"a": {"y": 0.5, "z": None}, "b": [1, 2.5], "n": 3}
    with pytest.raises(FileExistsError):
        io.save_json(path, {})
    io.save_json(path, [np.arange(2)], force=True)
    assert io.load_json(path) == [[0, 1]]


def test_json_errors(tmp_path):
    with pytest.raises(ValueError, match="NaN"):
        io.save_json(tmp_path / "nan.json", {"x": float("nan")})
    with pytest.raises(TypeError, match="JSON"):
        io.save_json(tmp_path / "set.json", {"x": {1, 2}})
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "bad.json").write_text("{oops")
    with pytest.raises(ValueError, match=r"bad\.json.*not valid JSON"):
        io.load_json(tmp_path / "bad.json")
    (tmp_path / "nan.json").write_text('{"x": NaN}')
    with pytest.raises(ValueError, match="NaN"):
        io.load_json(tmp_path / "nan.json")


def test_sha256_file(tmp_path):
    path = tmp_path / "data.bin"
    data = bytes(range(256)) * 5000  # more than one read block would need for small files
    path.write_bytes(data)
    assert io.sha256_file(path) == hashlib.sha256(data).hexdigest()
    with pytest.raises(FileNotFoundError):
        io.sha256_file(tmp_path / "missing")


# --------------------------------------------------------------------------------------------
# load_image: EXIF orientation, crop box, JPEG draft decoding

#: How a camera stores an upright (H, W, 3) picture for each EXIF orientation: the inverse of
#: the transform a viewer applies (6: the viewer turns it 90° clockwise, so it is stored turned
#: anticlockwise; np.rot90 turns anticlockwise).
STORED = {
    1: lambda u: u,
    2: lambda u: u[:, ::-1],
    3: lambda u: u[::-1, ::-1],
    4: lambda u: u[::-1],
    5: lambda u: u.transpose(1, 0, 2),
    6: lambda u: np.rot90(u, 1),
    7: lambda u: u[::-1, ::-1].transpose(1, 0, 2),
    8: lambda u: np.rot90(u, -1),
}


def upright_quadrants():
    """(16, 24, 3) uint8: four flat quadrants of different colours, 8-pixel aligned (JPEG
    keeps flat 8×8 blocks almost exactly), so every flip and turn gives a different picture."""
    u = np.zeros((16, 24, 3), dtype=np.uint8)
    u[:8, :12], u[:8, 12:], u[8:, :12], u[8:, 12:] = (255, 0, 0), (0, 255, 0), (0, 0, 255), \
        (255, 255, 0)
    return u


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_exif_orientation_is_applied(tmp_path, orientation, fmt):
    upright = upright_quadrants()
    exif = Image.Exif()
    exif[io.EXIF_ORIENTATION] = orientation
    stored = np.ascontiguousarray(STORED[orientation](upright))
    path = tmp_path / f"o{orientation}.{fmt.lower()}"
    params = dict(quality=100, subsampling=0) if fmt == "JPEG" else {}
    Image.fromarray(stored).save(path, fmt, exif=exif, **params)
    expected = upright.transpose(2, 0, 1) / 255.0                      # (3, 16, 24)
    atol = 4 / 255 if fmt == "JPEG" else 0
    np.testing.assert_allclose(io.load_image(path), expected, rtol=0, atol=atol)
    assert io.image_size(path) == (16, 24)
    np.testing.assert_allclose(io.load_image_uint8(path) / 255.0, expected, rtol=0, atol=atol)
    # the size and box are upright too: the top-right quadrant, green
    green = io.load_image(path, box=(0, 12, 8, 12))
    np.testing.assert_allclose(green, np.broadcast_to([[[0.0]], [[1.0]], [[0.0]]], (3, 8, 12)),
                               atol=atol)


def test_box_reads_a_region_and_is_checked(tmp_path):
    pixels = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    path = write(tmp_path, Image.fromarray(pixels), "grid.png")
    np.testing.assert_allclose(io.load_image(path, box=(1, 2, 2, 3)),
                               pixels[1:3, 2:5].transpose(2, 0, 1) / 255.0, atol=1e-6)
    for box in [(0, 0, 5, 6), (0, 4, 4, 3), (0, 0, 0, 6), (-1, 0, 2, 2), (0, 0, 2)]:
        with pytest.raises(ValueError, match="box"):
            io.load_image(path, box=box)


def test_jpeg_draft_decodes_a_smaller_scale_and_stays_close(tmp_path):
    # a smooth 512×768 photo read at 32×48: libjpeg decodes it at 1/8 scale (64×96)
    y, x = np.mgrid[0:512, 0:768] / 512.0
    pixels = (np.stack([y, x / 1.5, (y + x) / 2.5], axis=-1) * 255).astype(np.uint8)
    path = write(tmp_path, Image.fromarray(pixels), "smooth.jpg", "JPEG", quality=95)
    drafted = io.load_image(path, size=(32, 48))
    full = io.load_image(path, size=(32, 48), draft=False)
    assert drafted.shape == full.shape == (3, 32, 48)
    assert 0 < np.abs(drafted - full).max() < 3 / 255      # a different filter, same picture
    with pytest.raises(TypeError, match="draft must be True or False"):
        io.load_image(path, size=(32, 48), draft="yes")
