"""The memory budget a command checks before it allocates, so that a size that cannot fit is
refused at once with a clear error instead of growing until the kernel kills the process.

The budget is half of what this process may use: the machine's physical memory, or the address
space ``ulimit -v`` (``RLIMIT_AS``) allows when that is less. Half, because the work needs room
beside the data (the model, the batches, the interpreter, the rest of the machine).
"""

from __future__ import annotations

import os
import resource

UNITS = ("bytes", "kB", "MB", "GB", "TB", "PB", "EB")


def budget() -> int:
    """Bytes a command may plan to hold at once: half of the smaller of physical memory and the
    address-space limit."""
    available = [os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")]
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        available.append(soft)
    return min(available) // 2


def text(nbytes: float) -> str:
    """``nbytes`` in decimal units, three significant digits: ``9.8 TB``, ``512 bytes``."""
    value, unit = float(nbytes), 0
    while value >= 1000 and unit < len(UNITS) - 1:
        value, unit = value / 1000, unit + 1
    return f"{value:.3g} {UNITS[unit]}"


def require(count: int, each: int, option: str, what: str = "images") -> None:
    """Refuse ``count`` items of ``each`` bytes (the option ``option`` asked for them) when they
    do not fit in :func:`budget`, naming the size, the budget and the most that fit."""
    limit = budget()
    if count * each > limit:
        raise ValueError(f"{option} {count:,} needs about {text(count * each)} of memory for its "
                         f"{what} ({each:,} bytes each), above this machine's budget of "
                         f"{text(limit)} (half of its memory): at most {limit // each:,} fit")
