"""Maps that know nothing about the model: what a method must beat.

- :func:`center_gaussian`: an isotropic Gaussian at the image centre. Objects in photographs
  (and, less so, in our shapes, which are placed uniformly) lie near the centre more often than
  not, so a centre prior already scores in the pointing game (the "center baseline" of Zhang et
  al. 2016, Sec. 4.1).
- :func:`random_map`: independent uniform noise per pixel, from a seeded generator: chance level.
"""

from __future__ import annotations

import numpy as np

from .. import _validate

#: The centre Gaussian's standard deviation, as a fraction of the image side.
CENTER_SIGMA = 0.25
BASELINES = ("center-gaussian", "random")


def center_gaussian(n: int, shape: tuple[int, int], sigma: float = CENTER_SIGMA) -> np.ndarray:
    """``(n, H, W)`` float64: ``exp(-((i - c_i)² + (j - c_j)²) / (2 (sigma·H)²))``, peak 1 at the
    centre ``c = ((H - 1)/2, (W - 1)/2)`` (``sigma`` is a fraction of ``H``)."""
    n = _validate.positive_int(n, "n")
    H, W = shape
    s = sigma * H
    i = np.arange(H)[:, None] - (H - 1) / 2                             # (H, 1)
    j = np.arange(W)[None, :] - (W - 1) / 2                             # (1, W)
    g = np.exp(-(i**2 + j**2) / (2 * s**2))                             # (H, W)
    return np.broadcast_to(g, (n, H, W)).copy()


def random_map(n: int, shape: tuple[int, int], rng) -> np.ndarray:
    """``(n, H, W)`` float64 uniform in [0, 1), from ``rng`` (a Generator or an int seed)."""
    n = _validate.positive_int(n, "n")
    return _validate.rng(rng, "rng").random((n, *shape))
