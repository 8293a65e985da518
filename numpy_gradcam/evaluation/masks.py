"""Checks shared by the metrics: maps against masks, and which masks are empty.

Every metric takes ``maps`` ``(N, H, W)`` (one heatmap per image, at the image's size) and a bool
``masks`` ``(N, H, W)`` of the same shape. An *empty* mask (an image with no annotated pixel)
cannot be scored: the per-image functions give it a documented value (a miss, or NaN), and
:func:`nonempty` tells the aggregation which images to skip and count (see
:mod:`numpy_gradcam.evaluation.report`).
"""

from __future__ import annotations

import numpy as np

from .. import _validate


def check_maps_masks(maps, masks, masks_name: str = "masks") -> tuple[np.ndarray, np.ndarray]:
    """``(maps, masks)`` checked: float maps ``(N, H, W)``, finite; bool masks of the same shape."""
    maps = _validate.float_array(maps, "maps", ndim=3)
    if not isinstance(masks, np.ndarray):
        raise TypeError(f"{masks_name} must be a NumPy bool array, got "
                        f"{_validate.describe(masks)}")
    if masks.dtype != bool:
        raise TypeError(f"{masks_name} must have dtype bool, got {masks.dtype}")
    if masks.shape != maps.shape:
        raise ValueError(f"{masks_name} must have the shape of maps (N, H, W) = {maps.shape}, "
                         f"got shape {masks.shape}")
    return maps, masks


def nonempty(masks: np.ndarray) -> np.ndarray:
    """``(N,)`` bool: which of the masks ``(N, H, W)`` hold at least one pixel."""
    return masks.any(axis=(1, 2))
