r"""Occlusion sensitivity (Zeiler & Fergus, *Visualizing and Understanding Convolutional
Networks*, ECCV 2014, §4.2): slide a patch of constant colour over the image and record how much
the class score drops with each part of the image hidden.

For a patch of size ``(p_h, p_w)`` at top-left corner ``(u, v)`` (``u = 0, s_h, 2 s_h, …`` while
the patch fits, likewise ``v``), ``X_{uv}`` is the image with the patch set to the fill value and

.. math::

    \Delta_{uv} = y^c(X) - y^c(X_{uv}), \qquad
    S_{ij} = \frac{1}{|P_{ij}|} \sum_{(u, v) \in P_{ij}} \Delta_{uv}

with ``P_ij`` the patches that cover pixel ``(i, j)``: each pixel gets the mean drop of the
patches that hid it (Captum's ``Occlusion`` convention). A pixel no patch covers (when the stride
does not reach the border) gets 0. A positive ``S`` marks evidence *for* the class.

Options: ``patch`` (int or ``(p_h, p_w)``, default 8), ``stride`` (int or pair, default 4),
``fill`` (default 0.0, black), ``batch_size`` (default 64). ``score`` chooses ``y^c`` (logit by
default). The saliency is ``S`` repeated over the colour channels, ``(N, C, H, W)``; the map is
``S`` itself, at the input size.
"""

from __future__ import annotations

import numpy as np

from ... import _validate
from ...fast import fast_forward
from ...fast.batches import run_batches
from .base import BATCH_SIZE, Context, Method, Option


def check_fill(value, name: str) -> float:
    """A finite number: the colour of the occluding patch."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
            or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number (the colour of the occluding "
                         f"patch), got {_validate.describe(value)}")
    return float(value)


OPTIONS = {
    "patch": Option((8, 8), _validate.pair, "the patch size, int or (p_h, p_w) (default 8)"),
    "stride": Option((4, 4), _validate.pair, "the step between patches, int or pair (default 4)"),
    "fill": Option(0.0, check_fill, "the patch's colour (default 0.0, black)"),
    "batch_size": BATCH_SIZE,
}


def patch_corners(size: tuple[int, int], patch: tuple[int, int], stride: tuple[int, int]):
    """Top-left corners ``(U, 2)`` of every patch position, row by row."""
    (H, W), (ph, pw), (sh, sw) = size, patch, stride
    us, vs = np.arange(0, H - ph + 1, sh), np.arange(0, W - pw + 1, sw)
    return np.stack(np.meshgrid(us, vs, indexing="ij"), axis=-1).reshape(-1, 2)


def occlusion_map(context: Context) -> np.ndarray:
    """``S`` ``(N, H, W)``: each pixel's mean score drop over the patches covering it."""
    forward, x = fast_forward(context.model), context.x
    N, _, H, W = x.shape
    patch, stride, fill = (context.options[name] for name in ("patch", "stride", "fill"))
    if patch[0] > H or patch[1] > W:
        raise ValueError(f"patch must fit in the image of size (H, W) = {(H, W)}, "
                         f"got patch {patch}")
    corners = patch_corners((H, W), patch, stride)                     # (U, 2)
    U = len(corners)
    y = context.target_scores(context.trace.logits)                    # (N,)

    def score(start: int, stop: int) -> np.ndarray:
        n, p = np.divmod(np.arange(start, stop), U)                    # pair index → (n, p)
        occluded = x[n].copy()                                         # (B, C, H, W)
        for row, (u, v) in enumerate(corners[p]):
            occluded[row, :, u:u + patch[0], v:v + patch[1]] = fill
        return context.target_scores(forward(occluded), context.targets[n])

    scores = run_batches(score, N * U, context.options["batch_size"], "occlusion")
    drops = y[:, None] - scores.reshape(N, U)                          # (N, U)
    total = np.zeros((N, H, W), dtype=x.dtype)
    count = np.zeros((H, W), dtype=x.dtype)
    for p, (u, v) in enumerate(corners):
        total[:, u:u + patch[0], v:v + patch[1]] += drops[:, p, None, None]
        count[u:u + patch[0], v:v + patch[1]] += 1
    S = np.zeros_like(total)
    np.divide(total, count, out=S, where=count > 0)
    return S


def occlusion_saliency(context: Context) -> np.ndarray:
    """``S`` repeated over the channels, ``(N, C, H, W)``."""
    S = occlusion_map(context)
    return np.repeat(S[:, None], context.x.shape[1], axis=1)


OCCLUSION = Method("occlusion", needs_gradient=False, space="input",
                   saliency=occlusion_saliency, pixel_map=lambda s: s[:, 0],
                   options=OPTIONS,
                   summary="mean score drop when a sliding patch hides the pixel")
