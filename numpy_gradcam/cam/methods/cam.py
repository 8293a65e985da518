r"""CAM (Zhou, Khosla, Lapedriza, Oliva & Torralba, *Learning Deep Features for Discriminative
Localization*, CVPR 2016, §2).

For a network whose last feature maps ``A`` go through global average pooling and one linear
layer, ``y^c = Σ_k w^c_k (1/Z) Σ_ij A^k_ij + b_c``, the class activation map is

.. math::

    M_c(i, j) = \sum_k w^c_k A^k_{ij}

so the weights are the linear layer's row ``c``: ``alpha = W_fc[c]`` ``(N, K)``. No gradient is
needed (Grad-CAM's ``alpha`` on the same model is ``W_fc[c] / Z``: Grad-CAM generalises CAM).

CAM applies only at the layer whose output such a head averages (:mod:`numpy_gradcam.nn.head`:
a Sequential's children show the head, ``tinycnn-gap``'s ``relu4`` → ``gap`` → ``fc``; an
architecture declares it, ``layer4`` → ``avgpool`` → ``fc`` of a ResNet, ``features`` → mean →
``classifier.1`` of MobileNetV2), or at a layer holding the same array (``layer4.1``, the last
block of ``layer4``). Any other layer or head (``tinycnn-fc``'s flatten → linear → ReLU → linear,
VGG's MLP, EfficientNet-Lite's ``_conv_head`` before its BatchNorm and ReLU6, an earlier layer)
raises ``ValueError``.
"""

from __future__ import annotations

import numpy as np

from ...nn import Linear, Sequential
from ...nn.head import gap_head_of, output_source
from .base import Context, Method


def cam_head(model, layer: str) -> Linear:
    """The linear layer of the GAP → linear head that averages ``layer``'s output;
    ``ValueError`` naming the layer, the head CAM needs and what the model has otherwise."""
    head = gap_head_of(model)
    if head is not None and output_source(model, layer) == output_source(model, head.features):
        return model[head.linear]
    if head is not None:
        found = (f"this model's head averages the output of {head.features!r} (then "
                 f"{head.linear!r}): explain that layer")
    elif isinstance(model, Sequential):
        names = model.layer_names
        after = [name for name in names[names.index(layer) + 1:]
                 if not name.startswith(layer + ".")]                  # not layer's own parts
        found = "the layers after it are: " + (
            ", ".join(f"{n} ({type(model[n]).__name__})" for n in after) or "none")
    else:
        found = (f"{type(model).__name__} declares none (its gap_head is None: "
                 f"numpy_gradcam.nn.head)")
    raise ValueError(
        f"method 'cam' needs a global-average-pool → linear head right after the explained "
        f"layer {layer!r} (Zhou et al. 2016: y^c = Σ_k w^c_k · mean_ij A^k_ij + b_c); {found}. "
        f"Use 'gradcam', which generalises CAM to any head"
    )


def cam_weights(context: Context) -> np.ndarray:
    """``alpha = W_fc[c]`` ``(N, K)``: the head's weights of each image's target class."""
    W = cam_head(context.model, context.layer).params["weight"]        # (classes, K)
    return W[context.targets].astype(context.A.dtype, copy=True)       # (N, K)


CAM = Method("cam", cam_weights, needs_gradient=False, uses_score=False,
             summary="weights = the GAP→linear head's row of the class")
