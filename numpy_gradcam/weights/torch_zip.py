"""PyTorch's zip checkpoints: what ``torch.save`` writes since torch 1.6.

A zip archive (members stored, uncompressed) whose members sit in one folder ``<name>/``:

=====================  ==========================================================================
``<name>/data.pkl``    the pickle: the state dict, each tensor a storage and a geometry; each
                       storage a persistent id ``("storage", torch.FloatStorage, key, "cpu",
                       numel)`` (:class:`unpickler.Storages`)
``<name>/data/<key>``  a storage's ``numel`` elements, in the byte order of ``byteorder``
``<name>/byteorder``   ``little`` or ``big`` (files from before torch 1.10 lack it: little)
``<name>/version``     the format's version (and ``.format_version``, ``.storage_alignment``,
                       ``.data/serialization_id``: not needed to read the tensors)
=====================  ==========================================================================

TorchScript archives (``torch.jit.save``) are zips of the same layout with ``code/`` and
``constants.pkl`` beside, and are refused: their pickle holds a program, not a state dict.
"""

from __future__ import annotations

import zipfile

import numpy as np

from .checkpoint import find_state_dict
from .dtypes import note_bfloat16
from .limits import MAX_PICKLE_BYTES, Refused, read_member
from .tensors import Storage, Tensor, materialize_all
from .unpickler import STATE_DICT_GLOBALS, Storages, load

__all__ = ["pickle_member", "read"]


def pickle_member(names: list[str]) -> str | None:
    """The ``<name>/data.pkl`` member of a torch.save archive's member ``names``, or None."""
    found = [name for name in names if name.count("/") == 1 and name.endswith("/data.pkl")]
    if len(found) > 1:
        raise Refused(f"it is a zip archive with {len(found)} data.pkl records "
                      f"({', '.join(found[:4])}); torch.save writes one")
    return found[0] if found else None


def _byteorder(zf: zipfile.ZipFile, folder: str, file_size: int) -> bool:
    """Whether the storages are big-endian, by the ``byteorder`` record."""
    try:
        info = zf.getinfo(f"{folder}byteorder")
    except KeyError:
        return False  # written before torch 1.10: little-endian
    if info.file_size > 16:
        raise Refused(f"its byteorder record declares {info.file_size} bytes; it holds "
                      "'little' or 'big'")
    order = read_member(zf, info, info.file_size, file_size).tobytes()
    if order not in (b"little", b"big"):
        raise Refused(f"its byteorder record says {order[:16]!r}, not 'little' or 'big'")
    return order == b"big"


def read(zf: zipfile.ZipFile, file_size: int, notes: list[str]) -> dict[str, np.ndarray]:
    """The state dict of the torch.save archive ``zf`` (its file has ``file_size`` bytes).

    The pickle is read (at most ``MAX_PICKLE_BYTES``) and unpickled by the restricted
    unpickler; its weights are found (:func:`checkpoint.find_state_dict`, said in ``notes``);
    then only the storages they view are read, each checked against its record first.
    """
    names = zf.namelist()
    member = pickle_member(names)
    folder = member[:-len("data.pkl")]
    if f"{folder}constants.pkl" in names or any(name.startswith(f"{folder}code/")
                                                 for name in names):
        raise Refused("it is a TorchScript archive (torch.jit.save): it holds a program, not "
                      "a state dict. Save the weights with torch.save(model.state_dict(), "
                      "path) and load that file")
    info = zf.getinfo(member)
    if info.file_size > MAX_PICKLE_BYTES:
        raise Refused(f"its pickle {member!r} declares {info.file_size} bytes, more than the "
                      f"{MAX_PICKLE_BYTES} read (a state dict's pickle takes ~150 a tensor)")
    data = read_member(zf, info, info.file_size, file_size).tobytes()
    big_endian = _byteorder(zf, folder, file_size)
    content, _ = load(data, f"its pickle {member!r}", STATE_DICT_GLOBALS, Storages())
    weights = find_state_dict(content, Tensor, notes)

    def read_storage(storage: Storage) -> np.ndarray:
        name = f"{folder}data/{storage.key}"
        try:
            record = zf.getinfo(name)
        except KeyError:
            raise Refused(f"its pickle refers to the storage {storage.key!r}, but the "
                          f"archive has no record {name!r}") from None
        return read_member(zf, record, storage.nbytes, file_size)  # (storage.nbytes,)

    arrays = materialize_all(weights, read_storage, big_endian)
    note_bfloat16([tensor.dtype for tensor in weights.values()], notes)
    return arrays
