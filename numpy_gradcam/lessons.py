"""What the lessons share: printing an array, and showing or saving a figure.

A lesson (``lessons/NN_*.py``) runs as a script or, converted by jupytext, as a notebook — in
``lessons/``, on a course server or in Colab, from any folder. So its helpers live here, in the
installed package, and never depend on the current folder:

- in a notebook (an IPython kernel), :func:`save` displays the figure inline as a PNG;
- as a script, it writes ``<name>.png`` to :func:`figure_dir`.

``$NUMPY_GRADCAM_FIGURES``, when set, is where figures are written in both cases (CI sets a
temporary folder). Nothing here calls ``plt.show``: a lesson never blocks on a window.
"""

import io
import os
import sys
from pathlib import Path

import numpy as np

from .io import save_figure

#: Resolution of the written and displayed figures.
DPI = 80
#: The environment variable that names the folder figures are written to.
FIGURES_VARIABLE = "NUMPY_GRADCAM_FIGURES"


def in_notebook() -> bool:
    """True inside an IPython kernel (Jupyter, VS Code, Colab), which displays rich output."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def figure_dir() -> Path | None:
    """The folder figures are written to, created if needed; None in a notebook without one set.

    ``$NUMPY_GRADCAM_FIGURES`` when set; else, for a script, ``figures/`` beside the script
    that runs (``lessons/figures/`` for a lesson), or ``figures/`` in the current folder when
    the code comes from no file (``python -c``, a terminal session).
    """
    folder = os.environ.get(FIGURES_VARIABLE)
    if not folder:
        if in_notebook():
            return None
        script = getattr(sys.modules.get("__main__"), "__file__", None)
        folder = Path(script).resolve().parent / "figures" if script else Path("figures")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save(fig, name: str) -> None:
    """Show ``fig`` (a matplotlib Figure) inline in a notebook; write ``<name>.png`` as a script.

    Returns None, so a notebook cell that ends with ``save(...)`` shows the picture and nothing
    else. A file is written atomically, replacing the lesson's figure of an earlier run, and
    its path printed.
    """
    if in_notebook():
        from IPython.display import Image, display

        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI)
        display(Image(data=buffer.getvalue(), format="png"))
    folder = figure_dir()
    if folder is not None:
        path = folder / f"{name}.png"
        save_figure(fig, path, force=True, dpi=DPI)
        print(f"figure: {path}")


def window_around_max(plane: np.ndarray, size: int):
    """``argmax |plane|`` (an index tuple) and the window of ``size`` per axis centred on it,
    shifted to lie inside the array (a tuple of slices)."""
    peak = tuple(int(p) for p in np.unravel_index(np.argmax(np.abs(plane)), plane.shape))
    window = []
    for p, n in zip(peak, plane.shape, strict=True):
        start = min(max(p - size // 2, 0), max(n - size, 0))
        window.append(slice(start, min(start + size, n)))
    return peak, tuple(window)


def show(name: str, array, window: int = 3) -> None:
    """Print an array's shape, dtype and range, and a ``window``-wide slice of it.

    The slice is taken from the first map (index 0 on every axis before the last two) around its
    largest absolute value — a map's corner is often all zeros — and its indices are printed.
    """
    if not isinstance(window, int) or isinstance(window, bool) or window < 1:
        raise ValueError(f"window must be a positive int, got {window!r}")
    array = np.asarray(array)
    print(f"{name}: shape {array.shape}, {array.dtype}, "
          f"range [{array.min():.4g}, {array.max():.4g}]")
    if array.ndim == 0:
        return
    lead = (0,) * max(array.ndim - 2, 0)
    plane = array[lead]
    peak, part = window_around_max(plane, window)
    index = ", ".join([*map(str, lead), *(f"{s.start}:{s.stop}" for s in part)])
    of = f" of [{', '.join(map(str, lead))}]" if lead else ""
    print(f"  [{index}] around the largest |value|{of} ({plane[peak]:.4g} at {list(lead + peak)}):")
    print(np.array2string(plane[part], precision=4, suppress_small=True))
