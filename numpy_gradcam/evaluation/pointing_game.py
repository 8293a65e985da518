"""The pointing game: does a heatmap's peak land on the object?

Zhang et al., "Top-down Neural Attention by Excitation Backprop", ECCV 2016, Sec. 4.1: a map
scores a *hit* when the location of its maximum lies on the annotated object, or within a
tolerance of it (they use 15 px at 224 x 224, about 4 px at 64 x 64), and a *miss* otherwise;
the accuracy is hits / (hits + misses). Grad-CAM reports it in Sec. 5 of its paper.
"""

from __future__ import annotations

import numpy as np

from .. import _validate


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
        mask still counts as a hit. 0 (the default) demands the peak pixel itself be in the mask.

    Returns
    -------
    hits : bool array ``(N,)``
        ``hits[n]`` is True when some mask pixel ``(i, j)`` has
        ``(i - p)² + (j - q)² <= tolerance²``, where ``(p, q)`` is the peak of ``maps[n]``.
        ``hits.mean()`` is the pointing-game accuracy. An empty mask is always a miss.

    Notes
    -----
    The peak is the *first* maximum in C (row-major) order, ``np.argmax`` of the flattened
    map: the topmost, then leftmost, of tied maxima. A constant map therefore points at pixel
    ``(0, 0)``.
    """
    maps = _validate.float_array(maps, "maps", ndim=3)
    if not isinstance(masks, np.ndarray):
        raise TypeError(f"masks must be a NumPy bool array, got {_validate.describe(masks)}")
    if masks.dtype != bool:
        raise TypeError(f"masks must have dtype bool, got {masks.dtype}")
    if masks.shape != maps.shape:
        raise ValueError(
            f"masks must have the shape of maps (N, H, W) = {maps.shape}, got shape {masks.shape}"
        )
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
