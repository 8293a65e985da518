"""Helpers the lessons share: where figures go, and how arrays are shown.

Figures are written to ``$NUMPY_GRADCAM_FIGURES`` when it is set (CI sets a temporary
directory), else to ``lessons/figures/`` next to this file. Nothing ever calls ``plt.show``:
open the PNG files, or in a notebook the figure object displays itself.
"""

import os
from pathlib import Path

import numpy as np


def figure_dir() -> Path:
    folder = Path(os.environ.get("NUMPY_GRADCAM_FIGURES") or Path(__file__).parent / "figures")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save(fig, name: str) -> Path:
    """Write ``fig`` (a matplotlib Figure) to ``<figure dir>/<name>.png`` and say where."""
    path = figure_dir() / f"{name}.png"
    fig.savefig(path, dpi=80)
    print(f"figure: {path}")
    return path


def show(name: str, array, corner: int = 3) -> None:
    """Print an array's shape, dtype, range and its top-left ``corner`` x ``corner`` slice."""
    array = np.asarray(array)
    print(f"{name}: shape {array.shape}, {array.dtype}, "
          f"range [{array.min():.4g}, {array.max():.4g}]")
    index = (0,) * max(array.ndim - 2, 0)
    print(np.array2string(array[index][:corner, :corner] if array.ndim >= 2 else array[:corner],
                          precision=4, suppress_small=True))
