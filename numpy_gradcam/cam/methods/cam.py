r"""CAM (Zhou, Khosla, Lapedriza, Oliva & Torralba, *Learning Deep Features for Discriminative
Localization*, CVPR 2016, §2).

For a network whose last feature maps ``A`` go through global average pooling and one linear
layer, ``y^c = Σ_k w^c_k (1/Z) Σ_ij A^k_ij + b_c``, the class activation map is

.. math::

    M_c(i, j) = \sum_k w^c_k A^k_{ij}

so the weights are the linear layer's row ``c``: ``alpha = W_fc[c]`` ``(N, K)``. No gradient is
needed (Grad-CAM's ``alpha`` on the same model is ``W_fc[c] / Z``: Grad-CAM generalises CAM).

CAM applies only when the layers after the explained one are exactly a global average pool
(``GlobalAvgPool2d``, or ``AdaptiveAvgPool2d`` to 1×1 as in torchvision's ResNets, whose flatten
is no module) and a linear layer (``tinycnn-gap``, ``layer4`` of a ResNet); any other head
(``tinycnn-fc``'s flatten → linear → ReLU → linear, or an explained layer earlier in the network)
raises ``ValueError``.
"""

from __future__ import annotations

import numpy as np

from ...nn import AdaptiveAvgPool2d, GlobalAvgPool2d, Linear
from .base import Context, Method


def _is_gap(module) -> bool:
    return isinstance(module, GlobalAvgPool2d) or (
        isinstance(module, AdaptiveAvgPool2d) and module.output_size == (1, 1))


def cam_head(model, layer: str) -> Linear:
    """The linear layer of a GAP → linear head right after ``layer``; ``ValueError`` otherwise."""
    names = model.layer_names
    after = [name for name in names[names.index(layer) + 1:]
             if not name.startswith(layer + ".")]                      # not layer's own parts
    modules = [model[name] for name in after]
    if not (len(modules) == 2 and _is_gap(modules[0]) and isinstance(modules[1], Linear)):
        shown = ", ".join(f"{n} ({type(model[n]).__name__})" for n in after) or "none"
        raise ValueError(
            f"method 'cam' needs a global-average-pool → linear head right after the explained "
            f"layer {layer!r} (Zhou et al. 2016); the layers after it are: {shown}. Use "
            f"'gradcam', which generalises CAM to any head"
        )
    return model[after[1]]


def cam_weights(context: Context) -> np.ndarray:
    """``alpha = W_fc[c]`` ``(N, K)``: the head's weights of each image's target class."""
    W = cam_head(context.model, context.layer).params["weight"]        # (classes, K)
    return W[context.targets].astype(context.A.dtype, copy=True)       # (N, K)


CAM = Method("cam", cam_weights, needs_gradient=False, uses_score=False,
             summary="weights = the GAP→linear head's row of the class")
