"""Weights files built by hand, byte by byte, so that no torch is needed to write them.

A ``torch.save`` pickle (protocol 2) is written here opcode by opcode (``GLOBAL``, ``MARK``,
``TUPLE``, ``REDUCE``, ``BINPERSID``…), the plain values in it by ``pickle.dumps``: the same
bytes torch writes for a state dict (checked against torch in ``test_files.py``), and any
hostile variant of them: globals torch never writes, sizes no file holds.
"""

from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path

import numpy as np

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
SYS_INFO = {"protocol_version": 1001, "little_endian": True,
            "type_sizes": {"short": 2, "int": 4, "long": 4}}


def value(x) -> bytes:
    """The opcodes that push the plain value ``x`` (protocol 2, no PROTO and no STOP)."""
    return pickle.dumps(x, protocol=2)[2:-1]


def global_(module: str, name: str) -> bytes:
    """``GLOBAL module name``: what a pickle writes to name a function or a class."""
    return b"c" + f"{module}\n{name}\n".encode()


def call(function: bytes, *args: bytes) -> bytes:
    """``function(*args)``: ``MARK``, the arguments, ``TUPLE``, ``REDUCE``."""
    return function + b"(" + b"".join(args) + b"tR"


def ordered_dict() -> bytes:
    return call(global_("collections", "OrderedDict"))


def storage(key: str, numel: int, storage_class: str = "FloatStorage",
            legacy: bool = False) -> bytes:
    """A storage's persistent id (``BINPERSID``): 5 fields in the zip format, 6 in the
    legacy one (a storage view, None)."""
    fields = value("storage") + global_("torch", storage_class) + value(key) + value("cpu") \
        + value(numel) + (value(None) if legacy else b"")
    return b"(" + fields + b"tQ"


def tensor(storage_id: bytes, offset: int, size: tuple, stride: tuple) -> bytes:
    """``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())``
    as ``torch.save`` writes every tensor."""
    return call(global_("torch._utils", "_rebuild_tensor_v2"), storage_id, value(offset),
                value(tuple(size)), value(tuple(stride)), value(False), ordered_dict())


def state_dict(items: dict[str, bytes]) -> bytes:
    """The object ``OrderedDict`` of ``items`` (name → the opcodes of its value)."""
    return ordered_dict() + b"(" + b"".join(value(k) + v for k, v in items.items()) + b"u"


def dict_of(items: dict[str, bytes]) -> bytes:
    """A plain dict of ``items`` (name → the opcodes of its value)."""
    return b"}(" + b"".join(value(k) + v for k, v in items.items()) + b"u"


def pickled(obj: bytes) -> bytes:
    """A whole pickle of the object whose opcodes are ``obj``: ``PROTO 2 … STOP``."""
    return b"\x80\x02" + obj + b"."


def write_zip(path: Path, data_pkl: bytes, storages: dict[str, bytes],
              compression: int = zipfile.ZIP_STORED, folder: str = "archive") -> Path:
    """A torch.save zip archive: ``<folder>/data.pkl``, ``byteorder``, ``data/<key>``,
    ``version``."""
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        zf.writestr(f"{folder}/data.pkl", data_pkl)
        zf.writestr(f"{folder}/byteorder", "little")
        for key, data in storages.items():
            zf.writestr(f"{folder}/data/{key}", data)
        zf.writestr(f"{folder}/version", "3\n")
    return path


def write_legacy(path: Path, main_pkl: bytes, storages: dict[str, tuple[int, bytes]],
                 magic: int = MAGIC_NUMBER, version: int = PROTOCOL_VERSION) -> Path:
    """A legacy torch.save stream: magic, version, sys_info, the object, the keys, then each
    storage's count (8 bytes little-endian) and bytes."""
    parts = [pickle.dumps(magic, protocol=2), pickle.dumps(version, protocol=2),
             pickle.dumps(SYS_INFO, protocol=2), main_pkl,
             pickle.dumps(list(storages), protocol=2)]
    for count, data in storages.values():
        parts += [count.to_bytes(8, "little"), data]
    path.write_bytes(b"".join(parts))
    return path


def write_checkpoint(path: Path, fmt: str, obj: bytes, storages: dict[str, bytes],
                     storage_class: str = "FloatStorage") -> Path:
    """The object ``obj`` (opcodes whose storage ids were made with ``legacy=(fmt ==
    'legacy')``) and ``storages`` (key → bytes of ``storage_class`` elements) in ``fmt``,
    ``"zip"`` or ``"legacy"``."""
    if fmt == "zip":
        return write_zip(path, pickled(obj), storages)
    itemsize = {"FloatStorage": 4, "DoubleStorage": 8, "ByteStorage": 1}[storage_class]
    return write_legacy(path, pickled(obj),
                        {key: (len(data) // itemsize, data) for key, data in storages.items()})


def float_state(fmt: str, numel: int = 12, size=(3, 4), stride=(4, 1), offset: int = 0,
                data: bytes | None = None) -> tuple[bytes, dict[str, bytes]]:
    """A one-tensor state dict ``{"w": …}`` of float32 storage ``"0"`` (``numel`` declared,
    ``data`` held: ``arange(numel)`` by default): ``(obj, storages)`` for
    :func:`write_checkpoint`."""
    if data is None:
        data = np.arange(numel, dtype="<f4").tobytes()
    obj = state_dict({"w": tensor(storage("0", numel, legacy=fmt == "legacy"), offset, size,
                                  stride)})
    return obj, {"0": data}


def write_safetensors(path: Path, header, data: bytes, length: int | None = None) -> Path:
    """A safetensors file: the header's length (``length`` if given: it may lie), the header
    (a dict, as JSON, or raw bytes), the data."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    declared = len(text) if length is None else length
    path.write_bytes(declared.to_bytes(8, "little") + text + data)
    return path
