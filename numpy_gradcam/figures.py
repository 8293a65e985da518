"""Figures: panels of images and maps, drawn with matplotlib's object API (no global pyplot
state, so they render headless and in parallel), and written as PNG or JPEG by the file's
extension (:func:`save`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from .cam.upsampling import upsample
from .io import save_figure
from .preprocessing import CropBox

#: The figure files written, by extension (lower case), and matplotlib's format name for each.
FORMATS = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}


def check_figure_path(path, name: str = "--out") -> Path:
    """``path`` as a Path if its extension is one of :data:`FORMATS`, else a ValueError naming
    ``name`` and the accepted extensions (a ``.jpg`` must never hold PNG bytes)."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ValueError(f"{name} must end in one of {', '.join(FORMATS)} (the figure formats "
                         f"written), got {str(path)!r}")
    return path


def save(fig, path, force: bool = False, dpi: float = 100) -> None:
    """Write ``fig`` atomically in the format its extension names (:data:`FORMATS`), by
    :func:`numpy_gradcam.io.save_figure` (PNG, or JPEG for ``.jpg``/``.jpeg``)."""
    save_figure(fig, check_figure_path(path), force=force, dpi=dpi)


def image_of(explanation, i: int, crop_box: CropBox):
    """Image ``i`` of a batched Explanation, with the maps :func:`~numpy_gradcam.preprocessing.
    overlay_on_photo` reads (``cam``, ``cam_normalized`` ``(h, w)``) and the photo's crop box in
    ``options["preprocessing"]``: a batch explains several classes of one photo in one pass."""
    e = explanation
    options = {**e.options, "preprocessing": {"crop_box": crop_box.as_tuple()}}
    return dataclasses.replace(e, cam=e.cam[i], cam_normalized=e.cam_normalized[i],
                               options=options)


def into_box(image: np.ndarray, photo_size, crop_box: CropBox, background: float = 0.5):
    """An input-sized RGB image ``(3, H_in, W_in)`` in [0, 1] drawn into the crop box of a photo
    of ``photo_size`` ``(H0, W0)``: bilinearly resized to the box, ``background`` outside it
    (where the model saw nothing). Returns ``(3, H0, W0)`` uint8."""
    out = np.full((3, *photo_size), round(255 * background), dtype=np.uint8)   # (3, H0, W0)
    resized = upsample(image[None], (crop_box.height, crop_box.width))[0]   # (3, height, width)
    rows, cols = crop_box.slices()
    out[:, rows, cols] = np.round(np.clip(resized, 0.0, 1.0) * 255.0).astype(np.uint8)
    return out


def _rgb(image: np.ndarray) -> np.ndarray:
    """``(3, H, W)`` → ``(H, W, 3)`` for ``imshow``."""
    return np.transpose(image, (1, 2, 0))


def panels(items, title: str | None = None, panel_size: float = 2.4, columns: int | None = None,
           aspect: float = 1.0):
    """A grid of panels. ``items`` is a list of ``(array, caption)``: an ``(3, H, W)`` RGB image
    (float in [0, 1] or uint8), or an ``(H, W)`` map drawn with the jet colormap in [0, 1] and a
    colour bar. A panel is ``panel_size`` inches wide and ``aspect · panel_size`` high (give a
    photo's ``H / W`` so it fills its panel)."""
    n = len(items)
    columns = n if columns is None else columns
    rows = -(-n // columns)
    fig = Figure(figsize=(panel_size * columns,
                          panel_size * aspect * rows + (0.5 if title else 0.2)))
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
    guided_gradcam, occlusion_overlay)``, each an RGB image ``(3, H, W)`` (float in [0, 1] or
    uint8) of the same size as ``image``: the saliencies already shown with
    :func:`saliency_rgb`. Panels keep the image's aspect ratio.
    """
    items = []
    for name, guided, gradcam_overlay, guided_gradcam, occlusion_overlay in rows:
        items += [
            (image, FIGURE1_COLUMNS[0]),
            (guided, f"{FIGURE1_COLUMNS[1]} '{name}'"),
            (gradcam_overlay, f"{FIGURE1_COLUMNS[2]} '{name}'"),
            (guided_gradcam, f"{FIGURE1_COLUMNS[3]} '{name}'"),
            (occlusion_overlay, f"{FIGURE1_COLUMNS[4]} '{name}'"),
        ]
    return panels(items, title=title, panel_size=panel_size, columns=len(FIGURE1_COLUMNS),
                  aspect=image.shape[1] / image.shape[2])
