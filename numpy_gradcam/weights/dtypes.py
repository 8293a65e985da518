"""Element types as weights files name them, and how NumPy reads their bytes.

A file stores each element type in one of three vocabularies: PyTorch's storage classes
(``torch.FloatStorage``: the pickles of ``torch.save``), PyTorch's dtypes (``torch.float32``:
``_rebuild_tensor_v3``) and safetensors' names (``F32``). Each maps to one :class:`DType`: how
its bytes are read, little-endian, and the NumPy array they become.

NumPy has no bfloat16, so bfloat16 becomes float32, exactly: a bfloat16 is the high half of a
float32's bits (1 sign, 8 exponent and 7 fraction bits), so shifting its 16 bits into the high
half of a uint32 and viewing that as float32 gives the same number, NaN and infinities included.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SAFETENSORS", "SAFETENSORS_NAMES", "TORCH_DTYPES", "TORCH_STORAGES", "DType",
           "note_bfloat16"]


@dataclass(frozen=True)
class DType:
    """One element type of a weights file.

    Attributes
    ----------
    name : str
        PyTorch's name for it (``"bfloat16"``), for messages.
    raw : np.dtype
        How one element's bytes are read, little-endian (bfloat16: ``<u2``, its bits).
    """

    name: str
    raw: np.dtype

    @property
    def itemsize(self) -> int:
        return self.raw.itemsize

    def to_numpy(self, raw: np.ndarray) -> np.ndarray:
        """The elements ``raw`` (any shape, of dtype ``raw`` in any byte order) as NumPy values,
        in native byte order: bfloat16 → float32 exactly; bool from any nonzero byte."""
        if self.name == "bfloat16":
            high = raw.astype(np.uint32) << 16  # the bfloat16 bits are a float32's high half
            return high.view(np.float32)
        if self.name == "bool":
            return raw.view(np.uint8) != 0  # a byte other than 0 or 1 is still True, as in torch
        return raw.astype(raw.dtype.newbyteorder("="), copy=False)


FLOAT16 = DType("float16", np.dtype("<f2"))
BFLOAT16 = DType("bfloat16", np.dtype("<u2"))
FLOAT32 = DType("float32", np.dtype("<f4"))
FLOAT64 = DType("float64", np.dtype("<f8"))
INT8 = DType("int8", np.dtype("<i1"))
INT16 = DType("int16", np.dtype("<i2"))
INT32 = DType("int32", np.dtype("<i4"))
INT64 = DType("int64", np.dtype("<i8"))
UINT8 = DType("uint8", np.dtype("<u1"))
UINT16 = DType("uint16", np.dtype("<u2"))
UINT32 = DType("uint32", np.dtype("<u4"))
UINT64 = DType("uint64", np.dtype("<u8"))
BOOL = DType("bool", np.dtype("<u1"))
COMPLEX64 = DType("complex64", np.dtype("<c8"))
COMPLEX128 = DType("complex128", np.dtype("<c16"))

#: ``torch.<Name>Storage`` → its element type (``torch/storage.py``'s legacy storage classes).
#: ``UntypedStorage`` holds bytes; ``torch.save`` names it for a storage saved on its own.
TORCH_STORAGES = {
    "HalfStorage": FLOAT16, "BFloat16Storage": BFLOAT16, "FloatStorage": FLOAT32,
    "DoubleStorage": FLOAT64, "CharStorage": INT8, "ShortStorage": INT16, "IntStorage": INT32,
    "LongStorage": INT64, "ByteStorage": UINT8, "BoolStorage": BOOL,
    "ComplexFloatStorage": COMPLEX64, "ComplexDoubleStorage": COMPLEX128,
    "UntypedStorage": UINT8,
}

#: ``torch.<name>`` dtypes → element type, aliases included (``torch.float`` is float32).
TORCH_DTYPES = {
    "float16": FLOAT16, "half": FLOAT16, "bfloat16": BFLOAT16, "float32": FLOAT32,
    "float": FLOAT32, "float64": FLOAT64, "double": FLOAT64, "int8": INT8, "int16": INT16,
    "short": INT16, "int32": INT32, "int": INT32, "int64": INT64, "long": INT64, "uint8": UINT8,
    "uint16": UINT16, "uint32": UINT32, "uint64": UINT64, "bool": BOOL,
    "complex64": COMPLEX64, "cfloat": COMPLEX64, "complex128": COMPLEX128, "cdouble": COMPLEX128,
}

#: safetensors' dtype names → element type (the format's README; complex and float8 are not
#: read: NumPy has no float8, and we write no complex weights).
SAFETENSORS = {
    "F16": FLOAT16, "BF16": BFLOAT16, "F32": FLOAT32, "F64": FLOAT64, "I8": INT8, "I16": INT16,
    "I32": INT32, "I64": INT64, "U8": UINT8, "U16": UINT16, "U32": UINT32, "U64": UINT64,
    "BOOL": BOOL,
}


#: The NumPy dtypes a safetensors file can hold → their names there (bfloat16 is not a NumPy
#: dtype, so ``save_state_dict`` never writes one).
SAFETENSORS_NAMES = {
    np.dtype(np.float16): "F16", np.dtype(np.float32): "F32", np.dtype(np.float64): "F64",
    np.dtype(np.int8): "I8", np.dtype(np.int16): "I16", np.dtype(np.int32): "I32",
    np.dtype(np.int64): "I64", np.dtype(np.uint8): "U8", np.dtype(np.uint16): "U16",
    np.dtype(np.uint32): "U32", np.dtype(np.uint64): "U64", np.dtype(np.bool_): "BOOL",
}


def note_bfloat16(dtypes, notes: list[str]) -> None:
    """Say in ``notes`` how many of ``dtypes`` (the tensors' :class:`DType`) were bfloat16,
    and so are float32 now."""
    count = sum(dtype is BFLOAT16 for dtype in dtypes)
    if count:
        notes.append(f"converted {count} bfloat16 tensor(s) to float32 (exactly: NumPy has no "
                     "bfloat16)")
