"""Grad-CAM, one module per step of the paper, composed by :func:`explain`.

==================  ==========================================================
module              step
==================  ==========================================================
``gradients``       ``A`` and ``dy_dA = ∂y^c/∂A`` at the target layer
``weighting``       ``alpha^c_k = (1/Z) Σ_ij dy_dA`` (global average pooling)
``combination``     ``L = ReLU(Σ_k alpha_k A^k)``
``normalization``   min-max to [0, 1]
``upsampling``      bilinear (or nearest, bicubic) to the input size ``(H, W)``
``colormaps``       a colormap (jet by default) to RGB
``blending``        ``overlay = a·colored + (1 − a)·image``
``methods``         the family: how each method weights the feature maps
``pipeline``        :func:`explain`, composing the steps
==================  ==========================================================
"""

from .explanation import Explanation
from .gradients import class_gradients, gradients
from .pipeline import explain

__all__ = ["Explanation", "class_gradients", "explain", "gradients"]
