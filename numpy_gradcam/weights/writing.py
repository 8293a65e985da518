"""Write a state dict as ``.safetensors`` or ``.npz``, chosen by the file's extension.

``.safetensors`` is what torch users read without unpickling anything
(``safetensors.torch.load_file(path)``); ``.npz`` is NumPy's (``np.load``, ``io.load_npz``).
Both are written atomically (``io.atomic_write``): a crash leaves the old file or the new one.
torch's own pickle format is not written: torch reads safetensors.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import _validate
from ..io import as_path, atomic_write, save_npz
from . import safetensors_file
from .dtypes import SAFETENSORS_NAMES

__all__ = ["write"]

_WRITERS = (".safetensors", ".npz")


def _checked(state_dict) -> dict[str, np.ndarray]:
    """``state_dict`` checked: non-empty string keys → NumPy arrays of a numeric dtype."""
    if not isinstance(state_dict, Mapping):
        raise TypeError("state_dict must be a dict of name → NumPy array, got "
                        f"{_validate.describe(state_dict)}")
    accepted = ", ".join(str(dtype) for dtype in SAFETENSORS_NAMES)
    checked = {}
    for key, value in state_dict.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"state_dict keys must be non-empty strings, got "
                            f"{_validate.describe(key)}")
        if key == "__metadata__":
            raise ValueError("state_dict must not have the key '__metadata__': safetensors "
                             "keeps that name for the file's metadata")
        if not isinstance(value, np.ndarray):
            raise TypeError(f"state_dict[{key!r}] must be a NumPy array, got "
                            f"{_validate.describe(value)}")
        if value.dtype.newbyteorder("=") not in SAFETENSORS_NAMES:
            raise TypeError(f"state_dict[{key!r}] has dtype {value.dtype}; accepted: "
                            f"{accepted}")
        checked[key] = value
    return checked


def write(path, state_dict: Mapping[str, np.ndarray], force: bool = False) -> None:
    """Write ``state_dict`` to ``path``: safetensors or ``.npz``, by its extension.

    Parameters
    ----------
    path : str or os.PathLike
        Ends in ``.safetensors`` or ``.npz``. An existing file is replaced only with ``force``.
    state_dict : Mapping[str, np.ndarray]
        Non-empty string keys (not ``"__metadata__"``) → arrays of any shape of dtype bool,
        int8/16/32/64, uint8/16/32/64 or float16/32/64 (any byte order: written
        little-endian). Kept in the mapping's order.
    force : bool
        Replace an existing file.

    Raises
    ------
    ValueError
        ``path`` has another extension, or a key is ``"__metadata__"``.
    TypeError
        ``state_dict`` is not a mapping, a key not a non-empty string, a value not a NumPy
        array of an accepted dtype.
    FileExistsError
        ``path`` exists and ``force`` is false.
    """
    path = as_path(path)
    suffix = path.suffix.lower()
    if suffix not in _WRITERS:
        raise ValueError(f"path must end in .safetensors or .npz, got {str(path)!r} (torch's "
                         "own pickle format is not written; torch reads .safetensors with "
                         "safetensors.torch.load_file)")
    arrays = _checked(state_dict)
    if suffix == ".npz":
        save_npz(path, arrays, force=force)
        return
    with atomic_write(path, force=force) as tmp:
        safetensors_file.write(tmp, arrays)
