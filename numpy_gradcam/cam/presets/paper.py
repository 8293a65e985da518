"""The ``paper`` preset (the default): Selvaraju et al.'s procedure as the source documents
describe it, every convention an option of :func:`~numpy_gradcam.explain`.

=============== =====================================================================
convention      default (explain's option that changes it)
=============== =====================================================================
score           the logit ``y^c`` (``score``)
ReLU            on ``L`` (``relu``)
normalisation   min-max per map at feature-map size, a range ``<= eps`` gives zeros
                (``normalize``, ``eps``)
resize          bilinear, half-pixel centres, float64 (``upsample``, ``align_corners``)
colormap        matplotlib's ``jet``, 256 entries (``cmap``)
blending        ``a·colored + (1 − a)·image``, ``a = 0.4`` (``alpha``), RGB, floats, no rescale
=============== =====================================================================
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .. import blending, colormaps, normalization, upsampling
from .base import Preset, Rendering

#: explain's defaults for the conventions that the other presets fix.
DEFAULTS = dict(relu=True, score="logit", upsample="bilinear", align_corners=False,
                normalize=True, eps=1e-8, cmap="jet", alpha=0.4)


def color_and_blend(heatmap: np.ndarray, image: np.ndarray, cmap, alpha: float):
    """``colored`` and ``overlay`` ``(N, 3, H, W)`` of a heatmap ``(N, H, W)``; values outside
    [0, 1] (bicubic overshoot, an unnormalised map) are clipped for colouring only."""
    colored = colormaps.colormap(np.clip(heatmap, 0.0, 1.0), cmap)
    return colored, blending.blend(image, colored, alpha)


def render(L: np.ndarray, image: np.ndarray, options: Mapping) -> Rendering:
    """Normalise ``L`` ``(N, h, w)``, upsample it to the image's size, colour and blend."""
    L_norm = normalization.normalize(L, eps=options["eps"]) if options["normalize"] else L
    heatmap = upsampling.upsample(L_norm, image.shape[2:], mode=options["upsample"],
                                  align_corners=options["align_corners"])
    colored, overlay = color_and_blend(heatmap, image, options["cmap"], options["alpha"])
    return Rendering(L_norm, heatmap, colored, overlay)


PAPER = Preset(
    name="paper",
    source="Selvaraju et al., Grad-CAM (ICCV 2017) and the source documents in shared/seeds",
    methods=(),            # every method
    relu=True,
    render=render,
)
