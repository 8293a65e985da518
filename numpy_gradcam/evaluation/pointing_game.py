"""The pointing game, and its energy-based variant.

- :func:`pointing_game` (Zhang et al., "Top-down Neural Attention by Excitation Backprop", ECCV
  2016, Sec. 4.1): a map scores a *hit* when the location of its maximum lies on the annotated
  object, or within a tolerance of it, and a *miss* otherwise; the accuracy is
  hits / (hits + misses). Their protocol uses a tolerance of **15 px at 224 x 224**, which is
  ``15 · 64 / 224 ≈ 4.29 px`` at our 64 x 64 (:data:`PAPER_TOLERANCE_64`). Grad-CAM reports it in
  Sec. 5 of its paper.
- :func:`energy_pointing_game` (Wang et al., "Score-CAM: Score-Weighted Visual Explanations for
  Convolutional Neural Networks", CVPR Workshops 2020, Sec. 5.2): the share of the map's total
  "energy" (the sum of its values) that falls inside the object,
  ``Σ_{ij ∈ object} L_ij / Σ_ij L_ij``. Wang et al. use the bounding box because ImageNet has only
  boxes; our masks are exact, so the region may be the mask or its box (pass either as a bool
  array; :func:`numpy_gradcam.evaluation.localization.box_masks` turns masks into boxes).
"""

from __future__ import annotations

import numpy as np

from .. import _validate
from .masks import check_maps_masks

#: Zhang et al.'s 15 px tolerance at 224 x 224, rescaled to 64 x 64 pixels.
PAPER_TOLERANCE_64 = 15 * 64 / 224


def pointing_game(maps, masks, tolerance=0):
    """Hit or miss for each map: is its maximum on (or near) the object's mask?

    Parameters
    ----------
    maps : float array ``(N, H, W)``
        One heatmap per image, at the mask's size (upsample a CAM first). float32 or float64,
        finite.
    masks : bool array ``(N, H, W)``
        The object's pixels.
    tolerance : float >= 0
        Distance in pixels (Euclidean, between pixel centres) within which a peak next to the
        mask still counts as a hit. 0 (the default) demands the peak pixel itself be in the mask;
        the paper's protocol is :data:`PAPER_TOLERANCE_64` at 64 x 64.

    Returns
    -------
    hits : bool array ``(N,)``
        ``hits[n]`` is True when some mask pixel ``(i, j)`` has
        ``(i - p)² + (j - q)² <= tolerance²``, where ``(p, q)`` is the peak of ``maps[n]``.
        ``hits.mean()`` is the pointing-game accuracy. An empty mask is always a miss (the
        evaluation skips and counts such images instead of scoring them).

    Notes
    -----
    The peak is the *first* maximum in C (row-major) order, ``np.argmax`` of the flattened
    map: the topmost, then leftmost, of tied maxima. A constant map therefore points at pixel
    ``(0, 0)``.
    """
    maps, masks = check_maps_masks(maps, masks)
    if isinstance(tolerance, bool) or not isinstance(
        tolerance, (int, float, np.integer, np.floating)
    ):
        raise TypeError(
            f"tolerance must be a number >= 0 (pixels), got {_validate.describe(tolerance)}"
        )
    if not (np.isfinite(tolerance) and tolerance >= 0):
        raise ValueError(f"tolerance must be a finite number >= 0 (pixels), got {tolerance}")

    N, H, W = maps.shape
    peak = maps.reshape(N, H * W).argmax(axis=1)  # first maximum in C order
    p, q = np.divmod(peak, W)  # (N,) row and column of the peak
    i = np.arange(H)[None, :, None]  # (1, H, 1)
    j = np.arange(W)[None, None, :]  # (1, 1, W)
    d2 = (i - p[:, None, None]) ** 2 + (j - q[:, None, None]) ** 2  # (N, H, W)
    return (masks & (d2 <= tolerance**2)).any(axis=(1, 2))


def energy_pointing_game(maps, regions):
    r"""The share of each map's energy inside the region (Wang et al. 2020, Sec. 5.2).

    .. math::

        \text{proportion}_n = \frac{\sum_{(i, j) \in \text{region}_n} L_{nij}}
                                   {\sum_{(i, j)} L_{nij}}

    Parameters
    ----------
    maps : float array ``(N, H, W)``, values >= 0 (a normalised heatmap)
    regions : bool array ``(N, H, W)``: the object's mask, or its bounding box as a mask

    Returns
    -------
    proportion : float64 ``(N,)`` in [0, 1]
        A uniform map scores the region's area share ``|region| / (H·W)``; a map that is zero
        outside the region scores 1. NaN where the region is empty or the map is all zero (there
        is no energy to share out): such images are skipped and counted by the evaluation.
    """
    maps, regions = check_maps_masks(maps, regions, "regions")
    if maps.size and maps.min() < 0:
        raise ValueError(f"maps must be >= 0 to be read as energy, got a minimum of "
                         f"{maps.min():.3g} (apply the ReLU and normalise first)")
    L = maps.astype(np.float64)
    total = L.sum(axis=(1, 2))                                          # (N,)
    inside = np.where(regions, L, 0.0).sum(axis=(1, 2))                # (N,)
    scorable = (total > 0) & regions.any(axis=(1, 2))
    proportion = np.full(len(L), np.nan)
    proportion[scorable] = inside[scorable] / total[scorable]
    return proportion
