"""Image and weight files: load them, check them, write them atomically.

Conventions (each one a choice, stated here and in the function that makes it):

- Images in memory are float64 arrays ``(3, H, W)``, RGB, in [0, 1] (channels first, like
  PyTorch). Sizes are ``(H, W)``; Pillow's own ``(width, height)`` never leaks out.
- 8-bit samples ``k`` become ``k / 255``; 16-bit samples ``k`` become ``k / 65535``.
- Transparent images are composited over a background, **black by default**:
  ``rgb = alpha · colour + (1 - alpha) · background``. Black is what premultiplied alpha
  gives, so a fully transparent pixel carries no colour at all (Pillow's ``convert("RGB")``
  would instead drop alpha and reveal whatever colour happens to sit under a transparent pixel).
- Resizing uses Pillow's bilinear filter (``Image.BILINEAR``), which antialiases when it
  downscales: its triangle filter is widened by the scale factor, so every source pixel
  contributes, as in ``torchvision``'s ``antialias=True`` (and unlike OpenCV's ``INTER_LINEAR``).
- Floats become 8-bit samples by rounding, ``np.round(x * 255)`` (half to even), never by
  truncation (OpenCV's ``np.uint8(255 * x)`` truncates: a different convention).
- Nothing is ever written in place: a file is written to a hidden temporary file in the same
  directory and renamed onto its name (``os.replace``), so a crash or Ctrl-C leaves either the
  old file or the new one, never half of one. An existing file is replaced only with
  ``force=True``. Input files are opened read-only and never modified.
- ``.npz`` files are read with ``allow_pickle=False``: a file cannot run code when it is loaded.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import stat
import struct
import tempfile
import threading
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from numpy_gradcam import _validate

__all__ = [
    "atomic_write",
    "image_size",
    "load_image",
    "load_image_uint8",
    "load_json",
    "load_npz",
    "load_state_dict",
    "save_figure",
    "save_json",
    "save_npz",
    "save_png",
    "save_state_dict",
    "sha256_file",
    "write_together",
]

# Modes load_image understands (anything else Pillow can convert to RGB is accepted too).
IMAGE_MODES = ("1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX",
               "I;16", "I;16B", "I;16L", "I;16N", "I", "F", "CMYK", "YCbCr", "HSV", "LAB")

#: The EXIF tag that says how to turn a photo upright (values 1-8; see load_image).
EXIF_ORIENTATION = 0x0112

#: The most bytes ``load_npz`` reads by default, the arrays of an archive together: 2 GiB, over
#: twenty times the largest weights it reads (ResNet-18's, under 100 MB even in float64).
MAX_NPZ_BYTES = 1 << 31

# A fixed zip timestamp (the earliest a zip file can hold) so that save_npz is byte-deterministic.
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)


# --------------------------------------------------------------------------------------------
# paths


def as_path(path, name: str = "path") -> Path:
    """``path`` as a ``Path``: a ``str`` or an ``os.PathLike`` of ``str`` is accepted."""
    if isinstance(path, Path):
        return path
    if isinstance(path, str) or (isinstance(path, os.PathLike)
                                 and isinstance(os.fspath(path), str)):
        if not os.fspath(path):
            raise ValueError(f"{name} must be a non-empty file path, got ''")
        return Path(path)
    raise TypeError(f"{name} must be a file path (str or os.PathLike), got "
                    f"{_validate.describe(path)}")


def file_status(path: Path, follow_symlinks: bool = True) -> os.stat_result | None:
    """``os.stat(path)``, or ``None`` when nothing is there.

    A path that cannot be looked up for lack of permission raises ``PermissionError`` rather
    than passing for missing (``Path.exists`` answers False there on recent Pythons).
    """
    try:
        return os.stat(path, follow_symlinks=follow_symlinks)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except PermissionError as e:
        raise PermissionError(errno.EACCES, "no permission to look up this path",
                              str(path)) from e


def _check_readable_file(path: Path, what: str) -> None:
    """Raise the honest ``OSError`` subclass when ``path`` is not an existing file, and a
    ``ValueError`` when it is not a regular file (see :func:`open_for_reading`)."""
    found = file_status(path)
    if found is None:
        raise FileNotFoundError(errno.ENOENT, f"no {what} file at this path", str(path))
    if stat.S_ISDIR(found.st_mode):
        raise IsADirectoryError(errno.EISDIR, f"expected {what} file, got a directory", str(path))
    _check_regular(found, path, what)


def _check_regular(found: os.stat_result, path: Path, what: str) -> None:
    if not stat.S_ISREG(found.st_mode):
        raise ValueError(f"{str(path)!r} is not a regular file (it is a FIFO, a device or a "
                         f"socket): the {what} file is read from a regular file only, whose "
                         "size is known and which can be read more than once; save it to a "
                         "file first")


@contextmanager
def open_for_reading(path: Path, what: str) -> Iterator:
    """Open ``path`` read-only (binary), with clear errors for the usual mistakes.

    Only a regular file is read: a FIFO (``<(cat photo.png)``), a device (``/dev/zero``) or a
    socket is refused with a ``ValueError`` that says to save it to a file first. A pipe would
    wait for a writer, or could be read only once (``explain`` reads its image up to three
    times), and a device may never end. The path is checked before it is opened, and the open
    file again (``fstat``) after, in case the path changed in between; it is opened with
    ``O_NONBLOCK`` so that opening a FIFO never waits.
    """
    _check_readable_file(path, what)
    try:
        f = open(path, "rb", opener=_open_nonblocking)  # closed by the `with` below
    except PermissionError as e:
        raise PermissionError(errno.EACCES, f"no permission to read this {what} file",
                              str(path)) from e
    with f:
        _check_regular(os.fstat(f.fileno()), path, what)
        yield f


def _open_nonblocking(path, flags: int) -> int:
    """``os.open`` with ``O_NONBLOCK``: opening a FIFO returns at once instead of waiting for a
    writer (the flag changes nothing for a regular file)."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


# --------------------------------------------------------------------------------------------
# atomic writing


@contextmanager
def atomic_write(path, force: bool = False) -> Iterator[Path]:
    """Write ``path`` atomically: yield a temporary path, then rename it onto ``path``.

    The temporary file is hidden (``.NAME.XXXXXXXX.tmp``, or ``.XXXXXXXXXXXXXXXX.tmp`` when
    that would be longer than the directory's longest name, so that a name of 255 bytes, the
    longest most file systems allow, can be written too) and sits in the same directory as
    ``path``, so the final ``os.replace`` is a rename within one file system: atomic. Write the
    whole file to the yielded path inside the ``with`` block::

        with atomic_write("out.png") as tmp:
            image.save(tmp, format="PNG")

    On success the temporary file becomes ``path``. On any exception (``KeyboardInterrupt``
    included) the temporary file is removed, ``path`` is left exactly as it was, and the
    exception propagates.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write. Its parent directory must exist.
    force : bool
        Replace ``path`` if it exists. Without it an existing ``path`` is an error.

    Yields
    ------
    Path
        The temporary file to write (it exists, empty, with the permissions a new file gets).

    Raises
    ------
    FileExistsError
        ``path`` exists and ``force`` is false (checked before and, atomically, at the end).
    IsADirectoryError
        ``path`` is a directory.
    FileNotFoundError, NotADirectoryError
        The parent directory does not exist, or is not a directory.
    PermissionError
        The parent directory cannot be written.
    """
    path = as_path(path)
    if not isinstance(force, bool):
        raise TypeError(f"force must be True or False, got {_validate.describe(force)}")
    parent = path.parent
    found_parent = file_status(parent)
    if found_parent is None:
        raise FileNotFoundError(errno.ENOENT, "cannot write: the parent directory "
                                f"{str(parent)!r} does not exist (create it first)", str(path))
    if not stat.S_ISDIR(found_parent.st_mode):
        raise NotADirectoryError(errno.ENOTDIR, f"cannot write: {str(parent)!r} is not a "
                                 "directory", str(path))
    found = file_status(path)
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise IsADirectoryError(errno.EISDIR, "cannot write a file here: a directory has this "
                                "name", str(path))
    _refuse_existing([path], force)

    tmp = _create_temporary(path)
    try:
        yield tmp
        _move_into_place(tmp, path, force)
    except BaseException:
        # BaseException: a Ctrl-C while writing must not leave a half-written hidden file behind.
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        raise


def _exists_error(path: Path) -> FileExistsError:
    return FileExistsError(errno.EEXIST, "refusing to overwrite an existing file (pass "
                           "force=True, or --force on the command line, to replace it)",
                           str(path))


def _create_temporary(path: Path) -> Path:
    """Create an empty hidden file next to ``path``; mode 0o666 minus the umask, like open()."""
    try:
        name_max = os.pathconf(path.parent, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # no pathconf (Windows), or no answer
        name_max = 255
    while True:
        name = f".{path.name}.{secrets.token_hex(4)}.tmp"
        if len(os.fsencode(name)) > name_max:
            name = f".{secrets.token_hex(8)}.tmp"  # 21 bytes: ``path``'s name is too long
        tmp = path.with_name(name)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue  # a name collision (1 in 2**32 at least): draw another
        except PermissionError as e:
            raise PermissionError(errno.EACCES, "no permission to write in the directory "
                                  f"{str(path.parent)!r}", str(path)) from e
        os.close(fd)
        return tmp


def _move_into_place(tmp: Path, path: Path, force: bool) -> None:
    """Rename ``tmp`` onto ``path``; without ``force``, never replace a file that appeared since."""
    if force:
        os.replace(tmp, path)
        return
    # A hard link fails if `path` exists, atomically: a file created by someone else after our
    # first check is not silently replaced. File systems without hard links fall back to a check.
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise _exists_error(path) from None
    except OSError:
        if file_status(path, follow_symlinks=False) is not None:
            raise _exists_error(path) from None
        os.replace(tmp, path)
        return
    tmp.unlink()


@contextmanager
def write_together(folder, names: Iterable[str], force: bool = False) -> Iterator[Path]:
    """Write several files of one run into ``folder`` so that they appear together or not at all.

    Yields a hidden staging folder (``folder/.numpy-gradcam-run-XXXXXXXX``) in which the block
    writes the files ``names``. When the block ends, every one of them is moved into ``folder``
    in one short final step, during which Ctrl-C is held back until the last rename is done (a
    Ctrl-C there is raised just after). On any exception before that step, the staging folder
    is removed and ``folder`` is left exactly as it was: no file of a half-finished run is ever
    mixed with an earlier run's.

    With ``force`` the files replace their namesakes; other files in ``folder`` (an earlier
    run's outputs that this run does not write included) are left as they are. Without
    ``force`` any of ``names`` existing in ``folder`` is refused — before the block runs, so no
    work is lost, and again before the final step.

    Raises
    ------
    FileExistsError
        A file of ``names`` exists and ``force`` is false.
    ValueError
        The block did not write one of ``names``, or ``names`` is empty or not plain names.
    FileNotFoundError, PermissionError
        ``folder`` does not exist or takes no new file.
    """
    folder = as_path(folder)
    names = list(names)
    if not names or any(Path(n).name != n or n in ("", ".", "..") for n in names):
        raise ValueError(f"names must be plain file names, got {names!r}")
    targets = [folder / n for n in names]
    _refuse_existing(targets, force)
    staging = Path(_make_staging(folder))
    try:
        yield staging
        missing = [n for n in names if not (staging / n).is_file()]
        if missing:
            raise ValueError(f"the run did not write {', '.join(missing)} (a bug: please "
                             "report it)")
        _refuse_existing(targets, force)
        with _ctrl_c_held_back():
            for name, target in zip(names, targets, strict=True):
                _move_into_place(staging / name, target, force)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _refuse_existing(paths: list[Path], force: bool) -> None:
    if not force:
        for path in paths:
            if file_status(path, follow_symlinks=False) is not None:
                raise _exists_error(path)


def _make_staging(folder: Path) -> str:
    try:
        return tempfile.mkdtemp(prefix=".numpy-gradcam-run-", dir=folder)
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "cannot write: the folder does not exist",
                                str(folder)) from None
    except PermissionError:
        raise PermissionError(errno.EACCES, "no permission to write in the folder",
                              str(folder)) from None


@contextmanager
def _ctrl_c_held_back() -> Iterator[None]:
    """Hold SIGINT back inside the block (main thread only; elsewhere Python delivers no
    KeyboardInterrupt anyway) and raise ``KeyboardInterrupt`` after it if one came."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


# --------------------------------------------------------------------------------------------
# images


def load_image(path, size=None, background: float = 0.0, *, box=None,
               draft: bool = True) -> np.ndarray:
    """Read an image file into a float64 array ``(3, H, W)``, RGB, in [0, 1].

    Pillow decodes the file, turned upright by its EXIF orientation tag (below); its pixels are
    mapped to [0, 1] as follows, by mode:

    ======================  =====================================================================
    ``RGB``, ``RGBX``       ``k / 255`` per channel
    ``L``, ``1``            grey ``k / 255`` repeated in the 3 channels (bilevel: 0.0 or 1.0)
    ``P``                   the palette's colours, ``k / 255``
    ``I;16``, ``I;16B``     16-bit grey: ``k / 65535`` repeated in the 3 channels
    ``I``                   32-bit integers, read as 16-bit grey: ``k / 65535``; values outside
                            [0, 65535] are refused
    ``F``                   32-bit floats, taken as they are: they must lie in [0, 1]
    ``CMYK``, ``YCbCr``,    converted to RGB by Pillow (its CMYK conversion is the naive one,
    ``HSV``, ``LAB``        without an ICC profile: pure cyan (255, 0, 0, 0) → RGB (0, 1, 1))
    ``RGBA``, ``LA``,       composited over ``background``:
    ``PA``, ``RGBa``,       ``alpha · colour + (1 - alpha) · background``, with alpha = ``a / 255``
    ``La``, transparency    (a transparent palette entry or colour key counts as alpha 0)
    ======================  =====================================================================

    **EXIF orientation.** A camera stores a photo as its sensor read it and writes how to turn
    it upright in the EXIF tag ``Orientation`` (0x0112): 1 upright, 2 mirrored left-right,
    3 turned 180°, 4 mirrored top-bottom, 5 transposed (mirrored about the main diagonal),
    6 turned 90° clockwise to view (stored turned left), 7 transversed, 8 turned 90°
    anticlockwise to view. The array is the image as a viewer shows it: the transform of the
    tag is applied (``PIL.ImageOps.exif_transpose``), so ``(H, W)`` are the upright height and
    width, and ``size`` and ``box`` are in upright coordinates too. A file without the tag, or
    with a value outside 1–8, is taken as stored.

    Parameters
    ----------
    path : str or os.PathLike
        The image file. It is opened read-only and never modified.
    size : (int, int) or int, optional
        ``(H, W)`` to resize to (an int ``s`` means ``(s, s)``), **height first** (Pillow's
        ``resize`` takes ``(width, height)``: the conversion is done here). Resizing uses
        Pillow's bilinear filter on the float image (mode ``"F"``, float32 arithmetic), after
        compositing. When downscaling, Pillow's bilinear filter antialiases: its support is
        widened by the scale factor. On 8-bit images the result equals Pillow's
        ``img.resize((W, H), Image.BILINEAR)`` to within its 8-bit rounding (< 1/255).
        ``None`` keeps the file's size.
    background : float
        Grey level in [0, 1] under transparent pixels; ``0.0`` (black, the default) is the same
        as premultiplying colour by alpha.
    box : (top, left, height, width) of ints, optional
        The region of the upright image to read (and resize to ``size``), in its pixels; the
        default is the whole image. :func:`numpy_gradcam.preprocessing.crop_box` computes the
        model's crop. Pillow resamples the region with ``resize(box=...)``, so pixels just
        outside it still weigh in at its edges, as they would in a resize-then-crop.
    draft : bool
        With ``size`` given, let libjpeg decode a JPEG at 1/2, 1/4 or 1/8 of its size (Pillow's
        ``Image.draft``) when the region still has at least ``size`` pixels at that scale
        (default ``True``): a 6000×4000 photo read at 224×224 is then decoded at 750×500, and
        never held at full size. The DCT's downscaling is not the bilinear filter's, so the
        result differs slightly from ``draft=False`` (a few levels of 255 on smooth photos).
        Other formats are always decoded at full size.

    Returns
    -------
    np.ndarray
        float64, shape ``(3, H, W)`` (``size``, else the box's, else the upright image's),
        values in [0, 1].

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        ``path`` is missing, a directory, or cannot be read.
    ValueError
        The file is not an image Pillow can read, it is truncated, its pixel count is above
        Pillow's decompression-bomb limit ``PIL.Image.MAX_IMAGE_PIXELS`` (kept as it is: an image
        above the limit is refused, not just warned about), its samples are out of range, or
        ``box`` does not lie inside the image.
    """
    path = as_path(path)
    if size is not None:
        size = _validate.pair(size, "size")
    background = _validate.fraction(background, "background")
    draft = _validate.flag(draft, "draft")

    with open_for_reading(path, "image") as f:
        im, region = _decode(f, path, size if draft else None, box)
    x = _image_to_array(im, path, background)  # (3, H, W)
    if size is not None or box is not None:
        x = _resize_bilinear(x, size or tuple(box[2:]), region)
    return x


def load_image_uint8(path, background: float = 0.0) -> np.ndarray:
    """The upright image at its own size as 8-bit samples ``(3, H, W)`` uint8, for drawing on.

    The same pixels as :func:`load_image` rounded to 8 bits (``np.round(x * 255)``), but an
    8-bit RGB file (a JPEG photo) is never converted to float: a 6000×4000 photo takes 72 MB
    here instead of 576 MB. Other modes go through :func:`load_image`'s float conversion.
    """
    path = as_path(path)
    background = _validate.fraction(background, "background")
    with open_for_reading(path, "image") as f:
        im, _ = _decode(f, path, None, None)
    if im.mode == "RGB" and "transparency" not in im.info:
        return np.ascontiguousarray(np.asarray(im).transpose(2, 0, 1))  # (H, W, 3) -> (3, H, W)
    return np.round(_image_to_array(im, path, background) * 255.0).astype(np.uint8)


def image_size(path) -> tuple[int, int]:
    """``(H, W)`` of the upright image (its EXIF orientation applied), from its header only."""
    path = as_path(path)
    with open_for_reading(path, "image") as f:
        return _open(f, path)[1]


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation tag (0x0112) of ``im``, 1 (upright) when absent or out of range."""
    value = im.getexif().get(EXIF_ORIENTATION, 1)
    return value if value in range(1, 9) else 1


def _check_box(box, H: int, W: int):
    """``box`` ``(top, left, height, width)`` as ints inside an ``(H, W)`` image."""
    if box is None:
        return (0, 0, H, W)
    if not isinstance(box, (tuple, list)) or len(box) != 4:
        raise ValueError(f"box must be (top, left, height, width), got {_validate.describe(box)}")
    top, left = (_validate.positive_int(v, "box", minimum=0) for v in box[:2])
    height, width = (_validate.positive_int(v, "box") for v in box[2:])
    if top + height > H or left + width > W:
        raise ValueError(f"box (top, left, height, width) = {tuple(box)} must lie inside the "
                         f"image of (H, W) = {(H, W)}")
    return (top, left, height, width)


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Pillow's ways of reporting a file it cannot read, as one ``ValueError`` naming ``path``."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        found = re.search(r"\((\d+) pixels\)", str(e))
        pixels = f"{found.group(1)} pixels" if found else "more pixels"
        raise ValueError(
            f"{str(path)!r} cannot be read as an image: it has {pixels}, above Pillow's "
            f"decompression-bomb limit of {Image.MAX_IMAGE_PIXELS} pixels "
            f"(PIL.Image.MAX_IMAGE_PIXELS; images between the limit and twice it are refused "
            f"here too). Pillow said: {e}"
        ) from e
    except (OSError, SyntaxError, EOFError, ValueError, struct.error, zlib.error) as e:
        # Pillow's plugins report broken files in all of these ways (UnidentifiedImageError,
        # "image file is truncated", ...).
        raise ValueError(f"{str(path)!r} cannot be read as an image: {e}") from e


def _open(f, path: Path) -> tuple[Image.Image, tuple[int, int]]:
    """The image of ``f``, header only (Pillow reads lazily), and its upright ``(H, W)``."""
    with _reading(path):
        im = Image.open(f)
        W, H = im.size
        transposed = _orientation(im) in (5, 6, 7, 8)
    return im, ((W, H) if transposed else (H, W))


def _decode(f, path: Path, size, box):
    """Decode the image of the open file ``f``, upright: ``(image, box)``, ``box`` ``(top, left,
    height, width)`` as floats in the decoded image's pixels (libjpeg's draft scale applied).

    With ``size``, a JPEG is decoded at the smallest of 1, 1/2, 1/4, 1/8 of its size that keeps
    at least ``size`` pixels in ``box`` (chosen before Pillow decodes anything).
    """
    im, (H, W) = _open(f, path)
    box = _check_box(box, H, W)
    with _reading(path):
        if size is not None and im.format == "JPEG":
            k = max(1, min(box[2] // size[0], box[3] // size[1]))  # scale 1/k keeps `size`
            stored = im.size
            im.draft(im.mode, (-(-stored[0] // k), -(-stored[1] // k)))  # ceil: Pillow's <= k
        im.load()
        im = ImageOps.exif_transpose(im)
    scale_y, scale_x = im.size[1] / H, im.size[0] / W  # 1, or libjpeg's draft scale
    top, left, height, width = box
    return im, (top * scale_y, left * scale_x, height * scale_y, width * scale_x)


def _image_to_array(im: Image.Image, path: Path, background: float) -> np.ndarray:
    """Pillow image → float64 ``(3, H, W)`` in [0, 1], by the table in ``load_image``."""
    mode = im.mode
    if mode in ("L", "RGB", "P") and "transparency" in im.info:
        # A transparent palette entry or colour key: make it an explicit alpha channel.
        im = im.convert("RGBA")
    elif mode in ("PA", "RGBa"):
        im = im.convert("RGBA")
    elif mode == "La":
        # Pillow cannot convert La directly; unpremultiply by hand below.
        La = np.asarray(im, dtype=np.float64) / 255.0  # (H, W, 2)
        alpha = La[..., 1]
        grey = np.divide(La[..., 0], alpha, out=np.zeros_like(alpha), where=alpha > 0)
        return _composite(np.stack([grey] * 3), alpha, background)
    mode = im.mode

    if mode in ("RGBA", "LA"):
        a = np.asarray(im, dtype=np.float64) / 255.0  # (H, W, 4) or (H, W, 2)
        colour = a[..., :-1].transpose(2, 0, 1)  # (3 or 1, H, W)
        return _composite(np.broadcast_to(colour, (3, *colour.shape[1:])), a[..., -1], background)
    if mode in ("I;16", "I;16B", "I;16L", "I;16N"):
        grey = np.asarray(im).astype(np.float64) / 65535.0  # (H, W)
        return _grey_to_rgb(grey)
    if mode == "I":
        grey = np.asarray(im).astype(np.float64)
        if grey.size and (grey.min() < 0 or grey.max() > 65535):
            raise ValueError(
                f"{str(path)!r}: a 32-bit integer image (mode 'I') is read as 16-bit grey and "
                f"must hold values in [0, 65535], got [{grey.min():g}, {grey.max():g}]"
            )
        return _grey_to_rgb(grey / 65535.0)
    if mode == "F":
        grey = np.asarray(im).astype(np.float64)
        if grey.size and not (np.isfinite(grey).all() and grey.min() >= 0 and grey.max() <= 1):
            raise ValueError(
                f"{str(path)!r}: a floating-point image (mode 'F') is taken as it is and must "
                f"hold finite values in [0, 1], got [{grey.min():g}, {grey.max():g}]"
            )
        return _grey_to_rgb(grey)
    if mode in ("1", "L"):
        grey = np.asarray(im.convert("L"), dtype=np.float64) / 255.0  # (H, W)
        return _grey_to_rgb(grey)
    if mode != "RGB":
        try:
            im = im.convert("RGB")
        except ValueError as e:
            accepted = ", ".join(IMAGE_MODES)
            raise ValueError(f"{str(path)!r} cannot be read as an image: Pillow mode "
                             f"{mode!r} cannot be converted to RGB (accepted: {accepted})") from e
    rgb = np.asarray(im, dtype=np.float64) / 255.0  # (H, W, 3)
    return np.ascontiguousarray(rgb.transpose(2, 0, 1))  # (3, H, W)


def _grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.stack([grey, grey, grey]))  # (H, W) -> (3, H, W)


def _composite(colour: np.ndarray, alpha: np.ndarray, background: float) -> np.ndarray:
    """``alpha · colour + (1 - alpha) · background``; colour ``(3, H, W)``, alpha ``(H, W)``."""
    out = alpha * colour + (1.0 - alpha) * background  # (3, H, W), alpha broadcast over channels
    return np.clip(out, 0.0, 1.0)


def _resize_bilinear(x: np.ndarray, size: tuple[int, int], box=None) -> np.ndarray:
    """Resize ``(3, H, W)`` (its region ``box`` ``(top, left, height, width)``, floats) to
    ``(3, *size)`` with Pillow's bilinear filter, channel by channel."""
    H, W = size
    top, left, height, width = box or (0, 0, *x.shape[1:])
    region = (left, top, left + width, top + height)  # Pillow's (x0, y0, x1, y1)
    channels = []
    for channel in x:  # (H0, W0) each
        im = Image.fromarray(channel.astype(np.float32))  # mode "F"
        im = im.resize((W, H), Image.BILINEAR, box=region)  # Pillow wants (width, height)
        channels.append(np.asarray(im, dtype=np.float64))
    # The filter's weights are non-negative and sum to 1; clip float32 rounding only.
    return np.clip(np.stack(channels), 0.0, 1.0)  # (3, H, W)


def _image_to_uint8(image, name: str = "image") -> np.ndarray:
    """Check a float image ``(3, H, W)`` or ``(H, W)`` in [0, 1]; round to uint8 ``(H, W[, 3])``."""
    image = _validate.float_array(image, name, ndim=(2, 3))
    if image.ndim == 3 and image.shape[0] != 3:
        hint = (" (it looks like (H, W, 3): pass image.transpose(2, 0, 1))"
                if image.shape[-1] == 3 else "")
        raise ValueError(f"{name} must be RGB (3, H, W) or grey (H, W), got shape "
                         f"{image.shape}{hint}")
    if min(image.shape[-2:]) == 0:
        raise ValueError(f"{name} must have a non-empty height and width, got shape {image.shape}")
    low, high = float(image.min()), float(image.max())
    if low < 0.0 or high > 1.0:
        raise ValueError(f"{name} must hold values in [0, 1], got values in "
                         f"{_validate.value_range(image)} "
                         "(clip it with np.clip(image, 0, 1) if that is what you mean)")
    u8 = np.round(image * 255.0).astype(np.uint8)  # round (half to even), never truncate
    if u8.ndim == 3:
        u8 = u8.transpose(1, 2, 0)  # (3, H, W) -> (H, W, 3), the layout Pillow reads
    return np.ascontiguousarray(u8)


def save_png(path, image, force: bool = False) -> None:
    """Write a float image to a PNG file, atomically.

    Samples become 8-bit by rounding, ``np.round(x * 255)`` (NumPy rounds half to even), so
    ``load_image`` gives back every value to within ``0.5 / 255``.

    Parameters
    ----------
    path : str or os.PathLike
        The PNG file to write (see ``atomic_write``: an existing file needs ``force=True``).
    image : np.ndarray
        float32/float64, ``(3, H, W)`` RGB or ``(H, W)`` grey, values in [0, 1], no NaN.
    force : bool
        Replace an existing file.
    """
    pixels = _image_to_uint8(image)  # (H, W, 3) or (H, W)
    picture = Image.fromarray(pixels)  # mode "RGB" or "L"
    with atomic_write(path, force=force) as tmp:
        picture.save(tmp, format="PNG")


#: The extensions :func:`save_figure` writes as JPEG (any other: PNG).
JPEG_EXTENSIONS = (".jpg", ".jpeg")
#: JPEG quality (Pillow's scale, 1–95): high enough that the maps' colour edges stay clean.
JPEG_QUALITY = 90


def save_figure(fig, path, force: bool = False, dpi: float = 100) -> None:
    """Save a matplotlib ``Figure`` atomically: as JPEG (quality :data:`JPEG_QUALITY`) when
    ``path`` ends in ``.jpg`` or ``.jpeg``, else as PNG — a ``.jpg`` never holds PNG bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or os.PathLike
        The file to write (an existing file needs ``force=True``).
    force : bool
        Replace an existing file.
    dpi : float
        Dots per inch: the image is ``fig.get_size_inches() * dpi`` pixels.
    """
    from matplotlib.figure import Figure  # imported here: reading files needs no matplotlib

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib.figure.Figure, got {_validate.describe(fig)}")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float, np.integer, np.floating)) \
            or not np.isfinite(dpi) or dpi <= 0:
        raise ValueError(f"dpi must be a positive number, got {_validate.describe(dpi)}")
    jpeg = as_path(path).suffix.lower() in JPEG_EXTENSIONS
    options = {"format": "jpeg", "pil_kwargs": {"quality": JPEG_QUALITY}} if jpeg else \
        {"format": "png"}
    with atomic_write(path, force=force) as tmp:
        fig.savefig(tmp, dpi=float(dpi), **options)


# --------------------------------------------------------------------------------------------
# hashes, arrays, metadata


def sha256_file(path) -> str:
    """The SHA-256 digest of a file's bytes, as 64 lowercase hex digits."""
    path = as_path(path)
    digest = hashlib.sha256()
    with open_for_reading(path, "input") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_npz(path, required: Iterable[str] | None = None,
             max_bytes: int = MAX_NPZ_BYTES) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` file, refusing pickled objects.

    Nothing is allocated before the file is known to hold it: every member's ``.npy`` header
    is read first (``numpy_gradcam.weights.npz_file.npy_header``, which inflates no more than
    the header), and the bytes its shape and dtype declare must be the bytes the member holds,
    the member no larger than its compressed bytes can inflate to
    (``numpy_gradcam.weights.limits.check_member``), and all the arrays together at most
    ``max_bytes``; then the ``required`` keys are checked. Only then are the arrays read.
    (``np.load`` allocates whatever a header declares before reading a byte of it.)

    Parameters
    ----------
    path : str or os.PathLike
        An ``.npz`` archive (a zip of ``.npy`` files, as ``np.savez`` and ``save_npz`` write);
        a regular file (see :func:`open_for_reading`).
    required : iterable of str, optional
        Keys that must be present.
    max_bytes : int
        The most bytes the arrays may hold together; default :data:`MAX_NPZ_BYTES` (2 GiB).

    Returns
    -------
    dict[str, np.ndarray]
        Key → array, in the archive's order.

    Raises
    ------
    ValueError
        Not an ``.npz`` archive, or not a regular file; an array holds Python objects (reading it
        would unpickle, i.e. run code, so it is refused); a key in ``required`` is missing; a
        member declares more than it holds, or the arrays more than ``max_bytes``.
    """
    from .weights.limits import Refused  # here: weights imports io
    from .weights.npz_file import check_npy_size, npy_header

    path = as_path(path)
    if required is not None:
        if isinstance(required, (str, bytes)) or not isinstance(required, Iterable):
            raise TypeError("required must be an iterable of key names (e.g. a list of str), "
                            f"got {_validate.describe(required)}")
        required = list(required)
    max_bytes = _validate.positive_int(max_bytes, "max_bytes", minimum=0)
    arrays: dict[str, np.ndarray] = {}
    with open_for_reading(path, ".npz") as f:
        file_size = os.fstat(f.fileno()).st_size
        if not zipfile.is_zipfile(f):
            raise ValueError(f"{str(path)!r} is not an .npz archive (a zip of .npy files, as "
                             "written by np.savez or save_npz)")
        f.seek(0)
        try:
            with zipfile.ZipFile(f) as zf:
                members = {info.filename[:-4]: info for info in zf.infolist()
                           if info.filename.endswith(".npy")}
                others = [info.filename for info in zf.infolist()
                          if not info.filename.endswith(".npy")]
                if others:
                    raise Refused(f"its members {others} are not .npy files")
                total = 0
                for key, info in members.items():
                    shape, dtype, held = npy_header(zf, info, file_size)
                    if dtype.hasobject:
                        raise ValueError(
                            f"{str(path)!r} holds an array of Python objects ({key!r}), which "
                            "would be unpickled (that can run code): pickled objects are "
                            "refused; save plain numeric arrays instead")
                    nbytes = check_npy_size(info.filename, shape, dtype, held)
                    total += nbytes
                    if total > max_bytes:
                        raise Refused(f"its array {key!r} declares shape {shape} of {dtype} "
                                      f"({nbytes} bytes), which brings its arrays to {total} "
                                      f"bytes, more than max_bytes = {max_bytes}")
                missing = [key for key in required or () if key not in members]
                if missing:
                    raise ValueError(f"{str(path)!r} lacks the required key(s) {missing}; "
                                     f"it holds {sorted(members)}")
                for key, info in members.items():
                    with zf.open(info) as member:
                        arrays[key] = np.lib.format.read_array(member, allow_pickle=False)
        except Refused as e:
            raise ValueError(f"cannot read {str(path)!r} as an .npz archive: {e}") from e
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:
            raise ValueError(f"{str(path)!r} is not a valid .npz archive: {e}") from e
    return arrays


def save_npz(path, arrays: Mapping[str, np.ndarray], force: bool = False) -> None:
    """Write arrays to an uncompressed ``.npz`` file, atomically and byte-deterministically.

    The same arrays, in the same order, give the same bytes: the zip is written here with a
    fixed member date (1980-01-01) and fixed attributes, rather than left to ``np.savez`` and
    the zipfile defaults of the Python version at hand. ``np.load`` and ``load_npz`` read it.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write (an existing file needs ``force=True``). No ``.npz`` suffix is added.
    arrays : Mapping[str, array_like]
        Key → array; keys are non-empty strings; arrays of Python objects are refused.
        The mapping's order is kept.
    force : bool
        Replace an existing file.
    """
    if not isinstance(arrays, Mapping):
        raise TypeError(f"arrays must be a dict of name → array, got {_validate.describe(arrays)}")
    checked = {}
    for key, value in arrays.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"arrays keys must be non-empty strings, got {_validate.describe(key)}")
        value = np.asanyarray(value)
        if value.dtype.hasobject:
            raise ValueError(f"arrays[{key!r}] has dtype {value.dtype}: arrays of Python "
                             "objects would be pickled and are refused")
        checked[key] = value
    with atomic_write(path, force=force) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            for key, value in checked.items():
                member = zipfile.ZipInfo(key + ".npy", date_time=_ZIP_DATE_TIME)
                member.compress_type = zipfile.ZIP_STORED
                member.create_system = 3  # Unix, on every platform
                member.external_attr = 0o644 << 16
                with zf.open(member, "w", force_zip64=True) as out:
                    np.lib.format.write_array(out, value, allow_pickle=False)


def _json_default(value):
    """NumPy scalars and arrays in metadata become plain JSON numbers and lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"obj holds {_validate.describe(value)}, which JSON cannot represent "
                    "(accepted: dict, list, str, int, float, bool, None, NumPy numbers/arrays)")


def save_json(path, obj, force: bool = False) -> None:
    """Write ``obj`` as JSON, atomically: sorted keys, indent 2, ASCII, trailing newline.

    NumPy scalars and arrays are written as numbers and lists. NaN and infinities are refused
    (they are not JSON).
    """
    try:
        text = json.dumps(obj, sort_keys=True, indent=2, allow_nan=False,
                          default=_json_default) + "\n"
    except ValueError as e:
        raise ValueError(f"obj cannot be written as JSON: {e} (NaN and Infinity are not JSON)") \
            from e
    with atomic_write(path, force=force) as tmp:
        tmp.write_text(text, encoding="utf-8")


def load_json(path):
    """Read a JSON file (UTF-8). NaN/Infinity literals are refused, as ``save_json`` does."""
    path = as_path(path)
    with open_for_reading(path, "JSON") as f:
        data = f.read()

    def refuse(constant):
        raise ValueError(f"{constant} is not valid JSON")

    try:
        return json.loads(data.decode("utf-8"), parse_constant=refuse)
    except UnicodeDecodeError as e:
        raise ValueError(f"{str(path)!r} is not UTF-8 text: {e}") from e
    except ValueError as e:  # json.JSONDecodeError is a ValueError
        raise ValueError(f"{str(path)!r} is not valid JSON: {e}") from e


# --------------------------------------------------------------------------------------------
# state dicts (numpy_gradcam.weights reads and writes them; imported when called, as it
# imports this module)


def load_state_dict(path, report: list | None = None) -> dict[str, np.ndarray]:
    """Read the weights of a PyTorch checkpoint, a safetensors file or an ``.npz`` archive.

    The format is told by the file's content (``numpy_gradcam.weights.read``): ``torch.save``
    files (zip, or legacy), ``.safetensors``, ``.npz``. torch is not needed, and nothing in the
    file runs: a pickle may name only what a state dict holds (tensors, storages, dtypes,
    ``OrderedDict``, plain Python values); any other global, ``os.system`` or a whole pickled
    model's class, is refused by name without being imported.

    Parameters
    ----------
    path : str or os.PathLike
        The file; opened read-only, never modified.
    report : list, optional
        Notes are appended to it, one sentence each, on what was done to make the file a state
        dict: "took the weights from the checkpoint's 'state_dict' entry (beside: epoch,
        optimizer)", "removed DataParallel's 'module.' prefix from 122 keys", "converted 3
        bfloat16 tensor(s) to float32 …". Nothing is appended for a plain state dict.

    Returns
    -------
    dict[str, np.ndarray]
        name → array, in the file's order, with the file's dtypes (bfloat16 as float32).

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        ``path`` is missing, a directory, or cannot be read.
    ValueError
        The file is none of these formats, or cannot be read safely (a refused global, a size
        the file does not hold, a truncated file, a zip bomb): the message names the file and
        what is wrong.
    """
    from .weights import read  # here: weights imports io

    if report is not None and not isinstance(report, list):
        raise TypeError(f"report must be a list (notes are appended to it) or None, got "
                        f"{_validate.describe(report)}")
    weights = read(path)
    if report is not None:
        report.extend(weights.notes)
    return weights.state_dict


def save_state_dict(path, state_dict: Mapping[str, np.ndarray], force: bool = False) -> None:
    """Write a state dict as ``.safetensors`` (torch users read it with
    ``safetensors.torch.load_file``) or ``.npz``, by ``path``'s extension, atomically.

    ``state_dict`` maps non-empty string keys to NumPy arrays of dtype bool, int8/16/32/64,
    uint8/16/32/64 or float16/32/64. An existing file is replaced only with ``force=True``
    (``numpy_gradcam.weights.write``).
    """
    from .weights import write  # here: weights imports io

    write(path, state_dict, force=force)
