"""Tensors as a PyTorch pickle describes them, and the NumPy arrays they become.

A pickled tensor is a view: a **storage** (a run of elements the file holds under a key) and a
geometry, in elements: an offset, a size and a stride per axis. Element ``(i_0, …, i_{n-1})``
of the tensor is element

.. math:: \\text{offset} + \\sum_k i_k \\cdot \\text{stride}_k

of its storage. A transposed tensor saved as it is has its strides swapped; two tensors cut from
one storage share it at different offsets. Reading keeps the geometry, so both come back exactly.

Unpickling only records tensors (:class:`Storage`, :class:`Tensor`); nothing is read or
allocated until :func:`materialize_all` has checked every tensor the caller chose against its
storage, and the storage against the file.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .dtypes import DType
from .limits import MAX_TENSOR_REUSE, Refused

__all__ = ["Storage", "Tensor", "materialize", "materialize_all", "rebuild"]

# NumPy's most axes (numpy 2: 64); a larger "size" is corrupt, not a tensor.
_MAX_AXES = 64


@dataclass(frozen=True, eq=False)
class Storage:
    """A run of ``numel`` elements of type ``dtype`` that a file holds under ``key``.

    Its bytes are read only when a chosen tensor needs them.
    """

    key: str
    dtype: DType
    numel: int

    @property
    def nbytes(self) -> int:
        return self.numel * self.dtype.itemsize

    def __setstate__(self, state):
        raise Refused("its pickle sets the attributes of a storage (a BUILD opcode on it), "
                      "which torch.save never does")


@dataclass(frozen=True, eq=False)
class Tensor:
    """A tensor of ``dtype`` viewing ``storage``: ``shape`` and ``stride`` per axis, in elements
    from element ``offset`` (``dtype`` differs from the storage's only for a storage of bytes)."""

    storage: Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]
    dtype: DType

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    def __setstate__(self, state):
        raise Refused("its pickle sets the attributes of a tensor (a BUILD opcode on it), "
                      "which torch.save never does")

    def check(self, name: str) -> None:
        """Refuse a tensor that reaches outside its storage (``name`` is its key)."""
        capacity = self.storage.nbytes // self.dtype.itemsize  # elements of self.dtype
        if math.prod(self.shape) == 0:
            return
        last = self.offset + sum((n - 1) * s for n, s in zip(self.shape, self.stride, strict=True))
        if last >= capacity:
            raise Refused(f"its tensor {name!r} of shape {self.shape} and strides "
                          f"{self.stride} from offset {self.offset} reaches element {last} of "
                          f"its storage {self.storage.key!r}, which holds {capacity} "
                          f"{self.dtype.name} elements")


def _count(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise Refused(f"its pickle gives a tensor the {what} {_kind(value)}; expected an "
                      "integer >= 0")
    return value


def _counts(values, what: str) -> tuple[int, ...]:
    if not isinstance(values, tuple) or len(values) > _MAX_AXES:
        raise Refused(f"its pickle gives a tensor the {what} {_kind(values)}; expected a tuple "
                      f"of at most {_MAX_AXES} integers >= 0")
    return tuple(_count(value, f"{what} entry") for value in values)


def _kind(value) -> str:
    """What ``value`` is, for a message (its type; its value only if a short number)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**30:
        return str(value)
    if isinstance(value, tuple) and len(value) <= 8 and all(
            isinstance(v, int) and abs(v) < 10**30 for v in value):
        return str(value)
    return f"of type {type(value).__name__}"


def rebuild(storage, offset, shape, stride, dtype: DType | None = None) -> Tensor:
    """The :class:`Tensor` that ``torch._utils._rebuild_tensor*`` would build, checked for
    types (non-negative integers; as many strides as axes); the bounds are checked later, by
    :meth:`Tensor.check`, where the tensor's name is known."""
    if not isinstance(storage, Storage):
        raise Refused(f"its pickle builds a tensor on {_kind(storage)} instead of a storage")
    offset = _count(offset, "storage offset")
    shape, stride = _counts(shape, "size"), _counts(stride, "stride")
    if len(stride) != len(shape):
        raise Refused(f"its pickle gives a tensor {len(shape)} sizes {shape} but "
                      f"{len(stride)} strides {stride}")
    return Tensor(storage, offset, shape, stride, storage.dtype if dtype is None else dtype)


def materialize(tensor: Tensor, data: np.ndarray, big_endian: bool = False) -> np.ndarray:
    """The tensor's values: a new C-contiguous array ``tensor.shape`` in native byte order.

    Parameters
    ----------
    tensor : Tensor
        Checked (:meth:`Tensor.check`): it lies inside its storage.
    data : np.ndarray
        uint8 ``(storage.nbytes,)``: the storage's bytes.
    big_endian : bool
        The bytes are big-endian (a zip checkpoint whose ``byteorder`` record says ``big``).
    """
    raw = tensor.dtype.raw.newbyteorder(">" if big_endian else "<")
    elements = data[:data.size - data.size % raw.itemsize].view(raw)  # (capacity,)
    if math.prod(tensor.shape) == 0:
        return tensor.dtype.to_numpy(np.empty(tensor.shape, dtype=raw))
    strides = tuple(s * raw.itemsize for s in tensor.stride)  # elements -> bytes
    view = as_strided(elements[tensor.offset:], shape=tensor.shape, strides=strides,
                      writeable=False)
    return tensor.dtype.to_numpy(np.array(view, order="C"))  # an owned, contiguous copy


def materialize_all(tensors: Mapping[str, Tensor], read_storage: Callable[[Storage], np.ndarray],
                    big_endian: bool = False) -> dict[str, np.ndarray]:
    """Every tensor's values, each storage read once (``read_storage(storage)`` → its bytes).

    All tensors are checked against their storages, and their total size against
    ``MAX_TENSOR_REUSE`` times their storages', before the first byte is read.
    """
    storages = {}
    for name, tensor in tensors.items():
        tensor.check(name)
        storages[tensor.storage.key] = tensor.storage
    held = sum(storage.nbytes for storage in storages.values())
    wanted = sum(tensor.nbytes for tensor in tensors.values())
    if wanted > MAX_TENSOR_REUSE * held + (1 << 20):
        raise Refused(f"its {len(tensors)} tensors hold {wanted} bytes, more than "
                      f"{MAX_TENSOR_REUSE} times the {held} bytes of the storages they view "
                      "(stride-0 or repeated views of one storage): refused, as it would make "
                      "the file's data grow without bound")
    data = {}
    arrays = {}
    for name, tensor in tensors.items():
        key = tensor.storage.key
        if key not in data:
            data[key] = read_storage(tensor.storage)  # (storage.nbytes,) uint8
        arrays[name] = materialize(tensor, data[key], big_endian)
    return arrays
