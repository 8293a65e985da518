"""Weakly-supervised localisation by the Grad-CAM paper's protocol.

Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
Localization", ICCV 2017 / IJCV 2019, Sec. 4.1 (following the ILSVRC localisation challenge):

1. binarise the map at **15 % of its maximum** (``L >= 0.15 · max L``);
2. label the connected segments of the binary map (4-connectivity, ``scipy.ndimage.label``)
   and draw the bounding box around the **single largest** segment;
3. a *hit* is a box whose intersection-over-union with the object's box is **>= 0.5**;
   the *localisation error* is the share of misses; the *top-1* error also counts as a miss every
   image whose predicted class is wrong.

Our masks are exact, so we also report the IoU of the whole binarised map with the mask.
Boxes are ``(top, left, bottom, right)`` in pixel indices, inclusive, so a box's area is
``(bottom - top + 1) · (right - left + 1)`` pixels.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .. import _validate
from .masks import check_maps_masks

#: The Grad-CAM paper's binarisation threshold, a fraction of the map's maximum.
THRESHOLD = 0.15
#: The IoU at or above which a box counts as a hit.
IOU_HIT = 0.5


def bounding_boxes(masks: np.ndarray) -> np.ndarray:
    """``(N, 4)`` int boxes ``(top, left, bottom, right)`` (inclusive) around each bool mask
    ``(N, H, W)``; ``-1`` everywhere for an empty mask."""
    boxes = np.full((len(masks), 4), -1, dtype=np.int64)
    rows, cols = masks.any(axis=2), masks.any(axis=1)                   # (N, H), (N, W)
    for n in np.flatnonzero(rows.any(axis=1)):
        r, c = np.flatnonzero(rows[n]), np.flatnonzero(cols[n])
        boxes[n] = r[0], c[0], r[-1], c[-1]
    return boxes


def box_masks(boxes: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bool masks ``(N, H, W)`` of the boxes ``(N, 4)``; an all-``-1`` box gives an empty mask."""
    H, W = shape
    i = np.arange(H)[None, :, None]                                     # (1, H, 1)
    j = np.arange(W)[None, None, :]                                     # (1, 1, W)
    t, lft, b, r = (boxes[:, k, None, None] for k in range(4))          # each (N, 1, 1)
    return (i >= t) & (i <= b) & (j >= lft) & (j <= r) & (t >= 0)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of inclusive boxes ``a``, ``b`` ``(N, 4)`` → ``(N,)``; 0 when
    either box is empty (``-1``)."""
    top, left = np.maximum(a[:, 0], b[:, 0]), np.maximum(a[:, 1], b[:, 1])
    bottom, right = np.minimum(a[:, 2], b[:, 2]), np.minimum(a[:, 3], b[:, 3])
    inter = np.clip(bottom - top + 1, 0, None) * np.clip(right - left + 1, 0, None)

    def area(box):
        return (box[:, 2] - box[:, 0] + 1) * (box[:, 3] - box[:, 1] + 1)

    union = area(a) + area(b) - inter
    valid = (a[:, 0] >= 0) & (b[:, 0] >= 0)
    return np.where(valid, inter / np.maximum(union, 1), 0.0)


def binarize(maps, threshold: float = THRESHOLD) -> np.ndarray:
    """``L >= threshold · max L`` per map ``(N, H, W)`` → bool ``(N, H, W)``; an all-zero (or
    all-negative) map binarises to nothing."""
    maps = _validate.float_array(maps, "maps", ndim=3)
    threshold = _validate.fraction(threshold, "threshold")
    peak = maps.max(axis=(1, 2), keepdims=True)                         # (N, 1, 1)
    return (maps >= threshold * peak) & (peak > 0)


def largest_component_boxes(binary: np.ndarray) -> np.ndarray:
    """``(N, 4)`` boxes around the largest 4-connected segment of each bool map ``(N, H, W)``;
    ties go to the segment labelled first (row-major scan); ``-1`` for an empty map."""
    boxes = np.full((len(binary), 4), -1, dtype=np.int64)
    for n, b in enumerate(binary):
        labels, count = ndimage.label(b)                                # 4-connectivity
        if count == 0:
            continue
        sizes = np.bincount(labels.ravel())[1:]                         # (count,)
        boxes[n] = bounding_boxes((labels == 1 + sizes.argmax())[None])[0]
    return boxes


def localization(maps, masks, threshold: float = THRESHOLD):
    """The Grad-CAM paper's localisation of each map against each object mask.

    Parameters
    ----------
    maps : float ``(N, H, W)`` heatmaps at the mask's size
    masks : bool ``(N, H, W)`` the objects' pixels
    threshold : fraction of each map's maximum at which it is binarised (the paper: 0.15)

    Returns
    -------
    dict of ``(N,)`` arrays:
        ``box_iou`` (float, IoU of the largest segment's box with the object's box),
        ``hit`` (bool, ``box_iou >= 0.5``), ``mask_iou`` (float, IoU of the whole binarised map
        with the mask). An empty mask gives IoU 0 and a miss (the evaluation skips and counts
        such images).
    """
    maps, masks = check_maps_masks(maps, masks)
    binary = binarize(maps, threshold)                                  # (N, H, W)
    iou = box_iou(largest_component_boxes(binary), bounding_boxes(masks))
    inter = (binary & masks).sum(axis=(1, 2))
    union = (binary | masks).sum(axis=(1, 2))
    mask_iou = np.where(union > 0, inter / np.maximum(union, 1), 0.0)
    return {"box_iou": iou, "hit": iou >= IOU_HIT, "mask_iou": mask_iou}
