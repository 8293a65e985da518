"""Figures: panels of images and maps, drawn with matplotlib's object API (no global pyplot
state, so they render headless and in parallel).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure


def _rgb(image: np.ndarray) -> np.ndarray:
    """``(3, H, W)`` → ``(H, W, 3)`` for ``imshow``."""
    return np.transpose(image, (1, 2, 0))


def panels(items, title: str | None = None, panel_size: float = 2.4, columns: int | None = None):
    """A grid of panels. ``items`` is a list of ``(array, caption)``: an ``(3, H, W)`` RGB image,
    or an ``(H, W)`` map drawn with the jet colormap in [0, 1] and a colour bar."""
    n = len(items)
    columns = n if columns is None else columns
    rows = -(-n // columns)
    fig = Figure(figsize=(panel_size * columns, panel_size * rows + (0.5 if title else 0.2)))
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, (array, caption) in zip(axes.ravel(), items, strict=False):
        if array.ndim == 3:
            ax.imshow(_rgb(array), interpolation="nearest")
        else:
            shown = ax.imshow(array, cmap="jet", vmin=0.0, vmax=1.0, interpolation="nearest")
            fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)
        ax.set_title(caption, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def saliency_rgb(saliency: np.ndarray) -> np.ndarray:
    """An input-space saliency ``(3, H, W)`` as an RGB image in [0, 1]: ``0.5 + 0.5·s/max|s|``.

    Zero is mid-grey, positive evidence brighter, negative darker, per colour channel (the way
    guided backpropagation images are shown in the Grad-CAM paper, Fig. 1 b, d). An all-zero
    saliency is uniformly grey.
    """
    peak = np.abs(saliency).max()
    scaled = saliency / peak if peak > 0 else np.zeros_like(saliency)
    return np.clip(0.5 + 0.5 * scaled, 0.0, 1.0)


FIGURE1_COLUMNS = ("original", "Guided Backprop", "Grad-CAM", "Guided Grad-CAM", "Occlusion map")


def figure1(image: np.ndarray, rows, title: str | None = None, panel_size: float = 2.2):
    """The layout of Fig. 1 of the Grad-CAM paper: one row per class, five panels each.

    ``image`` ``(3, H, W)``; ``rows`` a list of ``(class_name, guided, gradcam_overlay,
    guided_gradcam, occlusion_overlay)``: ``guided`` and ``guided_gradcam`` are saliencies
    ``(3, H, W)`` (shown with :func:`saliency_rgb`), the overlays RGB images ``(3, H, W)``.
    """
    items = []
    for name, guided, gradcam_overlay, guided_gradcam, occlusion_overlay in rows:
        items += [
            (image, FIGURE1_COLUMNS[0]),
            (saliency_rgb(guided), f"{FIGURE1_COLUMNS[1]} '{name}'"),
            (gradcam_overlay, f"{FIGURE1_COLUMNS[2]} '{name}'"),
            (saliency_rgb(guided_gradcam), f"{FIGURE1_COLUMNS[3]} '{name}'"),
            (occlusion_overlay, f"{FIGURE1_COLUMNS[4]} '{name}'"),
        ]
    return panels(items, title=title, panel_size=panel_size, columns=len(FIGURE1_COLUMNS))
