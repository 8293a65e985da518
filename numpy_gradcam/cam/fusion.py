"""Several layers' maps fused into one (LayerCAM's hierarchical fusion; pytorch-grad-cam's
``aggregate_multi_layers``).

The map ``L_l`` of each layer ``l`` (its own size ``(h_l, w_l)``) is made comparable with the
others before they meet: Eq. 2's ReLU (unless ``relu=False``), min-max normalisation (unless
``normalize=False``) and upsampling to the input size ``(H, W)``. The maps are then fused pixel by
pixel,

.. math::

    L = \\frac{1}{|\\mathcal{L}|} \\sum_{l} \\mathrm{Up}(s(L_l)) \\quad (\\texttt{"mean"}), \\qquad
    L = \\max_{l} \\mathrm{Up}(s(L_l)) \\quad (\\texttt{"max"}),

``"mean"`` by default; with ``"max"`` a pixel is as salient as in its most salient layer. The
fused ``L`` ``(N, H, W)`` is then rendered like any map (normalised again, coloured, blended).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from . import normalization, upsampling


def fuse(maps: list[np.ndarray], size: tuple[int, int], fusion: str, relu: bool,
         looks: Mapping) -> np.ndarray:
    """``L`` ``(N, H, W)`` from the maps ``L_l`` ``(N, h_l, w_l)`` of several layers, with the
    rendering conventions ``looks`` (``normalize``, ``eps``, ``upsample``, ``align_corners``)."""
    resized = []
    for L in maps:
        L = np.maximum(L, 0) if relu else L
        L = normalization.normalize(L, eps=looks["eps"]) if looks["normalize"] else L
        resized.append(upsampling.upsample(L, size, mode=looks["upsample"],
                                           align_corners=looks["align_corners"]))
    stacked = np.stack(resized)                                        # (layers, N, H, W)
    return stacked.mean(axis=0) if fusion == "mean" else stacked.max(axis=0)
