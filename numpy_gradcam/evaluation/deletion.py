r"""Deletion and insertion curves, and their areas (Petsiuk, Das & Saenko, "RISE: Randomized
Input Sampling for Explanation of Black-box Models", BMVC 2018, Sec. 4.1).

A faithful map ranks the pixels by how much the model's decision rests on them. Take the
pixels in that order, most salient first, and after each step of ``1/steps`` of the image:

- **deletion**: replace the pixels taken so far by the *deletion baseline*; the target class's
  probability should fall quickly — a **lower** area under the curve is better;
- **insertion**: start from the *insertion baseline* and put the pixels taken so far back to the
  image's values; the probability should rise quickly — a **higher** area is better.

Baselines (documented choices, RISE's): deletion replaces pixels by **0 (black)**; insertion
starts from the image **blurred by a Gaussian of σ = 5 px** per channel
(``scipy.ndimage.gaussian_filter``, mode "reflect"), which removes the object's shape while
keeping the colours. The curve has ``steps + 1`` points at the fractions ``k / steps`` of the
pixels (``round(k · H · W / steps)`` pixels), and the area is the trapezoid rule over [0, 1]:

.. math::

    \text{AUC} = \frac{1}{\text{steps}} \sum_{k=0}^{\text{steps}-1} \frac{p_k + p_{k+1}}{2}

Ties in the map are taken in row-major order (a stable sort), so a constant map deletes the
image from the top row down.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .. import _validate
from .scoring import target_probabilities

MODES = ("deletion", "insertion")
#: Default number of steps (the curve has ``STEPS + 1`` points).
STEPS = 16
#: The insertion baseline's blur, in pixels (RISE's σ).
BLUR_SIGMA = 5.0


def blurred(x: np.ndarray, sigma: float = BLUR_SIGMA) -> np.ndarray:
    """The insertion baseline: each channel of ``x`` ``(N, C, H, W)`` blurred by a Gaussian."""
    return ndimage.gaussian_filter(x, sigma=(0, 0, sigma, sigma), mode="reflect")


def pixel_ranks(maps: np.ndarray) -> np.ndarray:
    """``(N, H·W)`` int: ``rank[n, p]`` is the position of pixel ``p`` (row-major) when the pixels
    of ``maps[n]`` are sorted from most to least salient, ties in row-major order."""
    N = len(maps)
    order = np.argsort(-maps.reshape(N, -1), axis=1, kind="stable")     # (N, H·W)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(order.shape[1])[None], axis=1)
    return ranks


def perturbation_curve(model, x, maps, targets, mode: str = "deletion", steps: int = STEPS,
                       baseline=None, dtype=np.float32) -> np.ndarray:
    """The deletion or insertion curve of each image: ``(N, steps + 1)`` probabilities.

    Parameters
    ----------
    model : a numpy_gradcam model
    x : float ``(N, C, H, W)`` images in [0, 1]
    maps : float ``(N, H, W)`` the heatmaps that order the pixels (most salient first)
    targets : int ``(N,)`` the class whose softmax probability is tracked
    mode : ``"deletion"`` or ``"insertion"``
    steps : number of steps; point ``k`` has ``round(k·H·W/steps)`` pixels deleted / inserted
    baseline : ``(N, C, H, W)`` to override the documented baseline (black for deletion, the
        σ = 5 px blur for insertion)
    dtype : dtype of the forward passes (float32: see :mod:`~numpy_gradcam.evaluation.scoring`)
    """
    _validate.choice(mode, "mode", MODES)
    steps = _validate.positive_int(steps, "steps")
    x, _ = _validate.images(x, "x")
    maps = _validate.float_array(maps, "maps", ndim=3)
    if maps.shape != (x.shape[0], *x.shape[2:]):
        raise ValueError(f"maps must have shape (N, H, W) = {(x.shape[0], *x.shape[2:])} to "
                         f"match x, got {maps.shape}")
    targets = np.asarray(targets)
    if targets.shape != (len(x),):
        raise ValueError(f"targets must have shape (N,) = ({len(x)},), got {targets.shape}")
    if baseline is None:
        baseline = np.zeros_like(x) if mode == "deletion" else blurred(x)
    elif baseline.shape != x.shape:
        raise ValueError(f"baseline must have the shape of x {x.shape}, got {baseline.shape}")
    N, _, H, W = x.shape
    ranks = pixel_ranks(maps).reshape(N, 1, H, W)                       # (N, 1, H, W)
    start, end = (x, baseline) if mode == "deletion" else (baseline, x)
    curve = np.empty((N, steps + 1))
    for k in range(steps + 1):
        taken = ranks < round(k * H * W / steps)                        # (N, 1, H, W)
        perturbed = np.where(taken, end, start)                         # (N, C, H, W)
        curve[:, k] = target_probabilities(model, perturbed, targets, dtype=dtype)
    return curve


def auc(curves) -> np.ndarray:
    """Area under each curve ``(N, steps + 1)`` over [0, 1], by the trapezoid rule → ``(N,)``."""
    curves = _validate.float_array(curves, "curves", ndim=2)
    if curves.shape[1] < 2:
        raise ValueError(f"curves need at least 2 points each, got shape {curves.shape}")
    steps = curves.shape[1] - 1
    return (curves[:, :-1] + curves[:, 1:]).sum(axis=1) / (2 * steps)
