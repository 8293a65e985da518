"""Our own ``.npz`` archives (``np.savez``, ``io.save_npz``), with their sizes checked first.

``io.load_npz`` reads the arrays (never a pickled object). Before it runs, each member's
``.npy`` header is read here, and the data size its shape and dtype declare must be what the
member declares, and the member's size what its compressed bytes can hold: ``np.load``
allocates an array as large as the header says before it reads a byte of it.
"""

from __future__ import annotations

import math
import zipfile

import numpy as np

from ..io import load_npz
from .limits import Refused, check_member

__all__ = ["check_npy_size", "is_npz", "npy_header", "read"]

# Element kinds of numeric weights: bool, signed and unsigned integers, floats, complex.
_NUMERIC = "biufc"


def is_npz(names: list[str]) -> bool:
    """Whether a zip archive's member ``names`` are an ``.npz``'s: ``.npy`` files only."""
    return bool(names) and all(name.endswith(".npy") for name in names)


def npy_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo,
               file_size: int) -> tuple[tuple[int, ...], np.dtype, int]:
    """``(shape, dtype, held)`` of the ``.npy`` member ``info`` from its header alone, ``held``
    the bytes its member holds after the header; the member's zip sizes are checked first
    (:func:`check_member`), and nothing the header declares is allocated."""
    check_member(info, file_size)
    name = info.filename
    try:
        with zf.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
            else:  # (3, 0) is for field names in UTF-8: structured arrays, never weights
                raise Refused(f"its member {name!r} is an .npy file of version {version}, "
                              "which holds no numeric array")
            header_end = member.tell()
    except (ValueError, zipfile.BadZipFile, EOFError, OSError) as error:
        if isinstance(error, Refused):
            raise
        raise Refused(f"its member {name!r} is not a valid .npy file: {error}") from error
    return shape, dtype, info.file_size - header_end


def check_npy_size(name: str, shape: tuple[int, ...], dtype: np.dtype, held: int) -> int:
    """The data bytes ``shape`` of ``dtype`` make, refused unless the member ``name`` holds
    exactly that many (``held``) after its header."""
    nbytes = math.prod(shape) * dtype.itemsize
    if held != nbytes:
        raise Refused(f"its array {name[:-4]!r} declares shape {shape} of {dtype} "
                      f"({nbytes} bytes), but its member holds {held} bytes after its header")
    return nbytes


def _check_npy(zf: zipfile.ZipFile, info: zipfile.ZipInfo, file_size: int) -> None:
    """Refuse a member whose ``.npy`` header declares other than numeric data of its size."""
    shape, dtype, held = npy_header(zf, info, file_size)
    if dtype.kind not in _NUMERIC or dtype.hasobject:
        raise Refused(f"its array {info.filename[:-4]!r} has dtype {dtype}, not numeric weights "
                      "(arrays of Python objects would be unpickled, and are refused)")
    check_npy_size(info.filename, shape, dtype, held)


def read(path, zf: zipfile.ZipFile, file_size: int) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` archive at ``path`` (open as ``zf``, ``file_size`` bytes),
    every member's declared size checked before ``io.load_npz`` reads them."""
    for info in zf.infolist():
        _check_npy(zf, info, file_size)
    return load_npz(path)
