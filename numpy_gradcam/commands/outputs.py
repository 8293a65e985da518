"""The files a command writes, checked before the work: never an input, in a folder it can write.

An output that *is* an input — the same name, a symbolic link to it, or a hard link of it (the
same device and inode, :func:`os.path.samefile`) — is refused, ``--force`` or not: ``--force``
replaces an earlier output, never the file being read. Its folder must exist and take a new file
(tried with a temporary file, so a read-only folder is found even where ``os.access`` says yes),
so that minutes of work are not lost to a write that was bound to fail.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path


def refuse_inputs(outputs: dict, inputs: dict) -> None:
    """Refuse an output that is one of the inputs.

    ``outputs`` and ``inputs`` map an option's name (``"--out"``, ``"IMAGE"``) to a path or None;
    an input that is not an existing file (a shipped model's name) is no file to protect.
    """
    for out_name, out in outputs.items():
        if out is None:
            continue
        for in_name, source in inputs.items():
            if source is not None and os.path.isfile(source) and _same_file(out, source):
                raise ValueError(f"{out_name} {out} is the input {in_name} {source}; an output "
                                 f"never replaces an input, even with --force")


def _same_file(a, b) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)                         # a hard link: st_dev and st_ino
    except OSError:                                           # `a` does not exist yet
        return False


def require_writable_folder(path) -> None:
    """Raise the ``OSError`` that writing ``path`` would meet in its folder: none there, or one
    that takes no new file."""
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such folder", str(path))
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".numpy-gradcam-probe-"):
            pass
    except PermissionError as error:
        raise PermissionError(error.errno, f"cannot write in the folder {folder}",
                              str(path)) from None
