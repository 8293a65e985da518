"""The safetensors format (huggingface/safetensors), read and written with NumPy alone.

A file is three parts:

1. ``N``, the header's length: 8 bytes, unsigned little-endian;
2. the header: ``N`` bytes of UTF-8 JSON, an object that maps each tensor's name to
   ``{"dtype": "F32", "shape": [64, 3, 3, 3], "data_offsets": [begin, end]}``, and may hold
   ``"__metadata__"``, an object of strings;
3. the data: each tensor's elements, C order, little-endian, at bytes ``[begin, end)`` counted
   from the end of the header. The tensors tile the data exactly, without holes or overlaps
   (the format's README: a file cannot hide anything in between).

Nothing in the file is code, so reading it is safe once its sizes are checked: the header's
length against the file, each tensor's offsets against the data and its shape and dtype.
"""

from __future__ import annotations

import json
import math

import numpy as np

from .dtypes import SAFETENSORS, SAFETENSORS_NAMES, note_bfloat16
from .limits import MAX_SAFETENSORS_HEADER, Refused, read_bytes

__all__ = ["encode_header", "read", "write"]

# Header fields: the format's README.
_FIELDS = {"dtype", "shape", "data_offsets"}
_METADATA = "__metadata__"


def _no_duplicates(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        twice = sorted({key for key in keys if keys.count(key) > 1})
        raise Refused(f"its header names {twice[:4]} more than once")
    return dict(pairs)


def _refuse_constant(constant):
    raise Refused(f"its header holds {constant}, which is not JSON")


def _header(f, file_size: int) -> tuple[dict, int]:
    """The parsed header and where the data start."""
    if file_size < 8:
        raise Refused(f"it has {file_size} bytes, fewer than a safetensors header length's 8")
    length = int.from_bytes(read_bytes(f, 8, "its header length"), "little")
    if length > file_size - 8:
        raise Refused(f"its header declares {length} bytes, but only {file_size - 8} follow "
                      "its 8-byte length: it is truncated, or not a safetensors file")
    if length > MAX_SAFETENSORS_HEADER:
        raise Refused(f"its header declares {length} bytes, more than the "
                      f"{MAX_SAFETENSORS_HEADER} the safetensors library reads")
    text = read_bytes(f, length, "its header").tobytes()
    try:
        header = json.loads(text.decode("utf-8"), object_pairs_hook=_no_duplicates,
                            parse_constant=_refuse_constant)
    except UnicodeDecodeError as error:
        raise Refused(f"its header is not UTF-8 JSON: {error}") from error
    except RecursionError as error:
        raise Refused("its header nests too deeply to be a safetensors header") from error
    except ValueError as error:  # json.JSONDecodeError, and Refused from the hooks
        if isinstance(error, Refused):
            raise
        raise Refused(f"its header is not valid JSON: {error}") from error
    if not isinstance(header, dict):
        raise Refused("its header is not a JSON object")
    return header, 8 + length


def _entry(name: str, entry, data_size: int):
    """A header entry checked: ``(DType, shape, begin, end)``."""
    if not isinstance(entry, dict) or set(entry) != _FIELDS:
        raise Refused(f"its header entry {name[:60]!r} is not an object with exactly the "
                      f"fields {sorted(_FIELDS)}")
    dtype = SAFETENSORS.get(entry["dtype"]) if isinstance(entry["dtype"], str) else None
    if dtype is None:
        raise Refused(f"its tensor {name[:60]!r} has dtype {str(entry['dtype'])[:20]!r}; "
                      f"read: {', '.join(SAFETENSORS)}")
    shape, offsets = entry["shape"], entry["data_offsets"]

    def counts(values):
        return isinstance(values, list) and all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)

    if not counts(shape) or len(shape) > 64:
        raise Refused(f"its tensor {name[:60]!r} has a shape that is not a list of at most 64 "
                      "integers >= 0")
    if not counts(offsets) or len(offsets) != 2 or offsets[0] > offsets[1] \
            or offsets[1] > data_size:
        raise Refused(f"its tensor {name[:60]!r} has data_offsets that are not [begin, end] "
                      f"with 0 <= begin <= end <= {data_size}, the bytes of data the file holds")
    begin, end = offsets
    nbytes = math.prod(shape) * dtype.itemsize
    if end - begin != nbytes:
        raise Refused(f"its tensor {name[:60]!r} of shape {tuple(shape)} and dtype "
                      f"{entry['dtype']} needs {nbytes} bytes, but its data_offsets span "
                      f"{end - begin}")
    return dtype, tuple(shape), begin, end


def read(f, file_size: int, notes: list[str]) -> dict[str, np.ndarray]:
    """The tensors of the safetensors file ``f`` (``file_size`` bytes), in the header's order.

    The whole header is checked before any tensor is read: every entry, and that the tensors
    tile the data exactly. bfloat16 becomes float32 (said in ``notes``, as is the metadata).
    """
    header, start = _header(f, file_size)
    metadata = header.pop(_METADATA, None)
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(
                isinstance(v, str) for v in metadata.values()):
            raise Refused(f"its {_METADATA!r} is not an object of strings")
        if metadata:
            shown = ", ".join(f"{k}={v}" for k, v in list(metadata.items())[:8])
            notes.append(f"its metadata: {shown[:300]}")
    entries = {name: _entry(name, entry, file_size - start) for name, entry in header.items()}
    covered = 0
    for _, _, begin, end in sorted(entries.values(), key=lambda e: (e[2], e[3])):
        if begin != covered:
            raise Refused(f"its tensors {'overlap' if begin < covered else 'leave a hole'} at "
                          f"byte {min(begin, covered)} of its data (they must tile it exactly)")
        covered = end
    if covered != file_size - start:
        raise Refused(f"its tensors cover {covered} of the {file_size - start} bytes of data "
                      "after its header (they must tile it exactly)")

    arrays = {}
    for name, (dtype, shape, begin, end) in entries.items():
        f.seek(start + begin)
        raw = read_bytes(f, end - begin, f"its tensor {name[:60]!r}")  # (nbytes,) uint8
        arrays[name] = dtype.to_numpy(raw.view(dtype.raw).reshape(shape))
    note_bfloat16([dtype for dtype, *_ in entries.values()], notes)
    return arrays


def encode_header(arrays: dict[str, np.ndarray]) -> tuple[bytes, list[str]]:
    """The header (its 8-byte length included) for ``arrays`` and the order their data follow.

    The data are placed largest element first (8-byte, then 4-, 2-, 1-byte elements), as the
    safetensors library places them: with the header padded with spaces to a multiple of 8
    bytes, every tensor then starts at a multiple of its element size, so a reader can view
    it in place. The header lists the tensors in the mapping's order.
    """
    placed = sorted(arrays, key=lambda name: -arrays[name].dtype.itemsize)  # stable
    offsets, position = {}, 0
    for name in placed:
        offsets[name] = [position, position + arrays[name].nbytes]
        position += arrays[name].nbytes
    header = {name: {"dtype": SAFETENSORS_NAMES[value.dtype.newbyteorder("=")],
                     "shape": list(value.shape), "data_offsets": offsets[name]}
              for name, value in arrays.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text, placed


def write(path, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` (checked: names → arrays of a dtype in ``SAFETENSORS_NAMES``) to the
    new file ``path`` as safetensors."""
    header, placed = encode_header(arrays)
    with open(path, "wb") as out:
        out.write(header)
        for name in placed:
            value = arrays[name]
            little = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<"))
            out.write(little.data)  # C order, little-endian: the format's layout
