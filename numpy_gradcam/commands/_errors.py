"""One line of plain words for an error the command line reports (see numpy_gradcam.cli).

The library's messages are written for a Python caller: an ``OSError`` prints as
``[Errno 17] …: 'out.png'`` and a message may say "pass force=True". A person at the command line
gets the same facts in the command's words, translated here, in one place:

================================  ==========================================================
``FileExistsError``               ``PATH already exists; use --force to replace it``
``FileNotFoundError``             ``no such file: PATH`` (``no such folder: DIR (for PATH)``
                                  when the folder it would be in is missing)
``IsADirectoryError``             ``PATH is a folder, not a file``
``PermissionError``               ``permission denied: PATH`` and what was refused
other ``OSError``                 the reason and the path, without ``[Errno N]``
``force=True`` in a message       ``--force`` (the keyword argument is the CLI's option)
Pillow's ``<_io.BufferedReader>`` the file's name
================================  ==========================================================
"""

from __future__ import annotations

import os
import re

#: Library phrases that name a keyword argument, and the command line's words for them.
KEYWORDS = (
    (re.compile(r"\(?pass force=True,? \(?or --force(?: on the command line)?\)?,? "),
     "use --force "),
    (re.compile(r"\bforce=True\b"), "--force"),
    (re.compile(r"\bpreset='(?P<value>[\w-]+)'"), r"--preset \g<value>"),
)

#: Pillow names the file by its Python object: ``<_io.BufferedReader name='photo.png'>``.
FILE_REPR = re.compile(r"<_io\.\w+ name=(?P<name>'[^']*'|\"[^\"]*\")>")
UNKNOWN_FORMAT = re.compile(r"cannot identify image file <_io\.\w+ name=(?:'[^']*'|\"[^\"]*\")>")


def user_message(error: BaseException) -> str:
    """The one-line message for ``error``, in the command line's words (see the module)."""
    if isinstance(error, OSError) and error.filename is not None:
        return _os_error(error, str(error.filename))
    if isinstance(error, OSError) and error.strerror:
        text = error.strerror                                          # no "[Errno N] "
    else:
        text = str(error) or type(error).__name__
    return plain(text)


def plain(text: str) -> str:
    """``text`` with the library's keyword arguments and Python reprs put in the CLI's words."""
    text = UNKNOWN_FORMAT.sub("its format is not one Pillow reads", text)
    text = FILE_REPR.sub(lambda m: m.group("name").strip("'\""), text)
    for pattern, words in KEYWORDS:
        text = pattern.sub(words, text)
    return text


def _os_error(error: OSError, path: str) -> str:
    if isinstance(error, FileExistsError):
        return f"{path} already exists; use --force to replace it"
    if isinstance(error, FileNotFoundError):
        folder = os.path.dirname(path)
        if folder and not os.path.isdir(folder):
            return f"no such folder: {folder} (for {path})"
        return f"no such file: {path}"
    if isinstance(error, IsADirectoryError):
        return f"{path} is a folder, not a file"
    reason = plain(error.strerror or str(error))
    if isinstance(error, PermissionError):
        # The library says what was refused ("no permission to write in the directory …");
        # the operating system's own words add nothing to "permission denied".
        stock = error.errno is not None and reason == os.strerror(error.errno)
        return f"permission denied: {path}" + ("" if stock else f" ({reason})")
    return f"{reason}: {path}"

