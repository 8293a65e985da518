"""How far a weights file is read: the caps on what it may declare, reads that stop where the
file says they stop, and the one error for a file that breaks them.

A weights file declares sizes (a pickle's string lengths, a zip member's size, a storage's element
count, a safetensors header's length) and a reader that believed them would allocate what a
hostile or truncated file says. Every size is therefore checked against the bytes the file
really holds before anything is allocated; the caps below bound what cannot be checked that way
(how much work a pickle may ask for, how much a compressed member may grow).
"""

from __future__ import annotations

import zipfile
import zlib

import numpy as np

__all__ = ["MAX_DEFLATE_RATIO", "MAX_PICKLE_BYTES", "MAX_PICKLE_OPCODES",
           "MAX_SAFETENSORS_HEADER", "MAX_TENSOR_REUSE", "Refused", "check_member",
           "read_bytes", "read_member"]

#: The largest pickle read (``data.pkl``, or a legacy file's main pickle). A state dict's
#: pickle takes ~150 bytes a tensor: 64 MiB is ~400,000 tensors.
MAX_PICKLE_BYTES = 64 << 20

#: The most opcodes a pickle may hold (~30 a tensor). Each opcode makes at most one object, so
#: this bounds the memory a pickle can ask for whatever its opcodes repeat.
MAX_PICKLE_OPCODES = 5_000_000

#: The longest safetensors header: the safetensors library's own limit (100 MB).
MAX_SAFETENSORS_HEADER = 100_000_000

#: Deflate cannot expand data more than 1032 times (a 258-byte match per 2 bits at best); a zip
#: member that declares more is a zip bomb, whatever its stream turns out to hold.
MAX_DEFLATE_RATIO = 1032

#: The tensors read may hold at most this many times the bytes of the storages they view
#: (plus 1 MiB, for small expanded tensors). Tied weights view one storage twice; a pickle
#: whose many tensors each view one storage whole, or whose stride-0 tensor repeats one element
#: a billion times, would make a small file's data grow without bound.
MAX_TENSOR_REUSE = 16

# Reads of large arrays go in pieces of this size, so that no read needs a second buffer the
# size of the array.
_CHUNK = 1 << 24


class Refused(ValueError):
    """A weights file that cannot be read safely: its message says what is wrong with it
    (``read`` adds the file's name)."""


def read_bytes(f, nbytes: int, what: str) -> np.ndarray:
    """The next ``nbytes`` bytes of the binary file ``f`` as a new uint8 array ``(nbytes,)``.

    The caller has checked ``nbytes`` against what the file holds; a file that still ends first
    (it shrank, or a zip member's stream is short) is refused with ``what`` named.
    """
    out = np.empty(nbytes, dtype=np.uint8)  # (nbytes,)
    view = memoryview(out)
    filled = 0
    while filled < nbytes:
        n = f.readinto(view[filled:filled + _CHUNK])
        if not n:
            raise Refused(f"{what} ends after {filled} of its {nbytes} bytes: the file is "
                          "truncated")
        filled += n
    return out


def check_member(info: zipfile.ZipInfo, file_size: int) -> None:
    """Refuse a zip member whose declared sizes cannot be true, before anything is read.

    It must be stored or deflated; its compressed bytes must fit in the file (``file_size``
    bytes); stored, it holds as many bytes as it declares; deflated, at most
    ``MAX_DEFLATE_RATIO`` times its compressed bytes (more is a zip bomb).
    """
    name = info.filename
    if info.compress_size > file_size:
        raise Refused(f"its zip member {name!r} declares {info.compress_size} compressed "
                      f"bytes, more than the whole file ({file_size} bytes): it is truncated "
                      "or corrupt")
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise Refused(f"its stored (uncompressed) zip member {name!r} declares "
                          f"{info.file_size} bytes but holds {info.compress_size}")
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        if info.file_size > MAX_DEFLATE_RATIO * info.compress_size + 1024:
            raise Refused(f"its zip member {name!r} declares {info.file_size} bytes from "
                          f"{info.compress_size} compressed ones, more than deflate can make "
                          f"(at most {MAX_DEFLATE_RATIO} times): a zip bomb")
    else:
        raise Refused(f"its zip member {name!r} is compressed with zip method "
                      f"{info.compress_type}; torch.save and np.savez write members stored "
                      "(0) or deflated (8), and only those are read")


def read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, nbytes: int,
                file_size: int) -> np.ndarray:
    """The ``nbytes`` bytes of the zip member ``info``, as a uint8 array ``(nbytes,)``.

    Before anything is allocated the member must declare exactly ``nbytes`` (what the reader
    expects of it) and pass :func:`check_member`. The stream is then read no further than its
    declared size; one that ends before it, or whose checksum is wrong, is refused.
    """
    name = info.filename
    if info.file_size != nbytes:
        raise Refused(f"its zip member {name!r} declares {info.file_size} bytes where "
                      f"{nbytes} are expected")
    check_member(info, file_size)
    try:
        with zf.open(info) as member:
            # zipfile reads no further than the declared size, and checks the checksum of
            # what it read: a stream longer than declared is cut there and fails the check.
            return read_bytes(member, nbytes, f"its zip member {name!r}")
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as error:
        # zipfile: a bad checksum ("Bad CRC-32"), a deflate stream that is corrupt or ends
        # early, a local header that does not match the central directory.
        raise Refused(f"its zip member {name!r} cannot be read: {error}") from error
