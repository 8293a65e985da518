"""One map per image from any method of the registry: what every metric scores.

- A **feature-space** method (Grad-CAM and its family) gives ``heatmap`` ``(N, H, W)``: the
  normalised map ``L`` upsampled to the input size.
- An **input-space** method (guided backprop, deconvnet, gradient saliency, occlusion) gives
  ``heatmap`` = its own per-pixel map of ``saliency``, normalised (``max_c |saliency|`` for the
  gradient ones, the score drop for occlusion: see :mod:`numpy_gradcam.cam.methods`).
- **guided Grad-CAM** keeps Grad-CAM's ``heatmap``; its own map is its ``saliency`` (guided
  backprop ⊙ Grad-CAM), reduced per pixel like guided backprop's, ``max_c |saliency|``, and
  min-max normalised.

So every method is scored on a map in [0, 1] at the input size, the higher the more salient.
"""

from __future__ import annotations

import numpy as np

from ..cam import explain, normalization
from ..cam.methods import METHODS
from ..cam.methods.base import max_abs_over_channels


def method_maps(model, x: np.ndarray, method: str, targets=None, **options):
    """``(maps, explanation)``: the map ``(N, H, W)`` in [0, 1] of ``method`` for images ``x``
    ``(N, C, H, W)`` and classes ``targets`` (None: the predicted ones), and the
    :class:`~numpy_gradcam.cam.explanation.Explanation` it came from."""
    e = explain(model, x, target=targets, method=method, **options)
    spec = METHODS[method]
    if spec.space == "feature" and e.saliency is not None:
        maps = normalization.normalize(max_abs_over_channels(e.saliency))  # (N, H, W)
    else:
        maps = e.heatmap
    return np.clip(maps, 0.0, 1.0), e
