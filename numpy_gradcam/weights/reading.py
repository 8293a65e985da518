"""Read a weights file, whatever wrote it: the format is told by the file's first bytes.

=================  =========================================  ==================================
format             written by                                 told by
=================  =========================================  ==================================
``pytorch-zip``    ``torch.save`` (torch >= 1.6)              a zip with ``<name>/data.pkl``
``pytorch-legacy`` ``torch.save(...,                          a pickle: ``\\x80\\x02`` and
                   _use_new_zipfile_serialization=False)``    torch's magic number
``safetensors``    ``safetensors.torch.save_file``,           8 bytes of length, then ``{``
                   ``save_state_dict``
``npz``            ``np.savez``, ``save_state_dict``          a zip of ``.npy`` members
=================  =========================================  ==================================

The name's extension is not trusted: a ``.pth`` may hold any of them (and says which when it is
none). What a file may make the reader do is bounded (:mod:`.limits`), and a pickle can call no
code but ours (:mod:`.unpickler`).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass

import numpy as np

from ..io import as_path, open_for_reading
from . import npz_file, safetensors_file, torch_legacy, torch_zip
from .checkpoint import strip_data_parallel
from .limits import Refused

__all__ = ["FORMATS", "Weights", "read"]

#: The formats read, by the name :attr:`Weights.format` gives them.
FORMATS = {
    "pytorch-zip": "a PyTorch zip checkpoint (torch.save)",
    "pytorch-legacy": "a PyTorch legacy checkpoint (torch.save, "
                      "_use_new_zipfile_serialization=False)",
    "safetensors": "a safetensors file",
    "npz": "an .npz archive",
}

_EXTENSIONS = (".pt", ".pth", ".bin", ".ckpt", ".safetensors", ".npz")


@dataclass(frozen=True)
class Weights:
    """What a weights file holds.

    Attributes
    ----------
    state_dict : dict[str, np.ndarray]
        name → array, in the file's order; each array new (sharing memory with no other),
        C-contiguous, writeable, in native byte order, of the file's dtype (bfloat16 read as
        float32).
    format : str
        One of :data:`FORMATS`.
    notes : tuple of str
        What was done to make the file a state dict, one sentence each, e.g. "took the weights
        from the checkpoint's 'state_dict' entry (beside: epoch, optimizer)", "removed
        DataParallel's 'module.' prefix from 122 keys". Empty when the file held exactly a
        state dict.
    """

    state_dict: dict[str, np.ndarray]
    format: str
    notes: tuple[str, ...]


def _format(head: bytes) -> str:
    """The format of a file that starts with ``head`` (its first 512 bytes, or all of it)."""
    # safetensors first: its length's first byte may be anything, \x80 and P included; byte 8
    # is never "{" in the others (a zip's compression method, the magic number's 5th byte)
    if head[8:9] == b"{":
        return "safetensors"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x80"):  # a pickle's PROTO opcode
        return "pytorch-legacy"
    if head[257:262] == b"ustar":
        raise Refused("it is a tar archive, the format of torch.save before torch 0.4, which "
                      "is not read: load it with that torch and save its state_dict again")
    raise Refused(f"it is not a weights file this reads: it starts with {head[:8]!r}; read "
                  "are PyTorch checkpoints (torch.save, zip or legacy), safetensors files "
                  "and .npz archives")


def _read_zip(path, f, file_size: int, notes: list[str]) -> tuple[dict, str]:
    try:
        zf = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise Refused(f"it is a damaged or truncated zip archive: {error}") from error
    with zf:
        names = zf.namelist()
        if torch_zip.pickle_member(names):
            return torch_zip.read(zf, file_size, notes), "pytorch-zip"
        if npz_file.is_npz(names):
            return npz_file.read(path, zf, file_size), "npz"
    raise Refused("it is a zip archive, but neither a torch.save checkpoint (no "
                  "<name>/data.pkl) nor an .npz archive (not only .npy members)")


def read(path) -> Weights:
    """Read the weights file ``path``: a PyTorch checkpoint, a safetensors file or an ``.npz``.

    No code in the file runs, and torch is not needed. A checkpoint that keeps its weights
    beside other entries, or under DataParallel's ``module.`` prefix, is read as its state dict
    and that is said in :attr:`Weights.notes` (:mod:`.checkpoint`).

    Parameters
    ----------
    path : str or os.PathLike
        The file; opened read-only, never modified.

    Returns
    -------
    Weights
        The state dict, the format and the notes.

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError
        ``path`` is missing, a directory, or cannot be read.
    ValueError
        ``path`` is not a regular file, or not a weights file these formats describe, or one
        that cannot be read safely: a pickle that names any global but a state dict's (a whole
        pickled model among them: the message names the global), a declared size the file does
        not hold, a truncated file, a zip bomb, wrong magic numbers. The message names the file
        and what is wrong with it.
    """
    path = as_path(path)
    notes: list[str] = []
    kind = None
    with open_for_reading(path, "weights") as f:
        file_size = os.fstat(f.fileno()).st_size
        try:
            head = f.read(512)
            f.seek(0)
            if not head:
                raise Refused("it is empty")
            kind = _format(head)
            if kind == "zip":
                state, kind = _read_zip(path, f, file_size, notes)
            elif kind == "pytorch-legacy":
                state = torch_legacy.read(f, file_size, notes)
            else:
                state = safetensors_file.read(f, file_size, notes)
        except Refused as error:
            what = f" as {FORMATS[kind]}" if kind in FORMATS else ""
            named = f" (its name ends in {path.suffix})" if path.suffix.lower() in \
                _EXTENSIONS else ""
            # the cause of the refusal, if any (a zipfile or JSON error), stays attached
            raise ValueError(f"cannot read {str(path)!r}{named}{what}: {error}") \
                from error.__cause__
    return Weights(strip_data_parallel(state, notes), kind, tuple(notes))
