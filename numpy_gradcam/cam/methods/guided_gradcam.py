r"""Guided Grad-CAM (Selvaraju et al., *Grad-CAM*, ICCV 2017 / IJCV 2019, §3.1; the source document
002_c7ec2f63d1f3de19.txt, §2.1): Grad-CAM localises the class but is coarse, guided
backpropagation is fine-grained but not class-discriminative; their element-wise product is both:

.. math::

    \text{saliency}^c = \text{GuidedBackprop}^c \odot \mathrm{Up}(L^c_{\text{Grad-CAM}})

Grad-CAM's heatmap (upsampled to the input size; min-max normalised first unless
``normalize=False``) multiplies every colour channel of the guided-backprop saliency. All the
Grad-CAM stages of the explanation are kept (``weights``, ``cam``, ``heatmap`` …);
``saliency`` holds the product.
"""

from __future__ import annotations

from .base import Method
from .gradcam import gradcam_weights
from .guided_backprop import guided_backprop_saliency

GUIDED_GRADCAM = Method("guided-gradcam", gradcam_weights, needs_gradient=True,
                        saliency=guided_backprop_saliency,
                        summary="guided backprop ⊙ upsampled Grad-CAM")
