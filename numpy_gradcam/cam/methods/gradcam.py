r"""Grad-CAM (Selvaraju et al. 2017): channel weights are the spatial mean of the gradients.

.. math::

    \alpha^c_k = \frac{1}{Z} \sum_i \sum_j \frac{\partial y^c}{\partial A^k_{ij}}, \qquad
    L^c_{\text{Grad-CAM}} = \mathrm{ReLU}\Big(\sum_k \alpha^c_k A^k\Big)

(Eq. 1 and Eq. 2 of the paper; ``Z = h·w``.)
"""

from ..weighting import gap_weights
from .base import Context, Method


def gradcam_weights(context: Context):
    """``alpha`` ``(N, K)`` = global average pooling of ``dy_dA`` ``(N, K, h, w)``."""
    return gap_weights(context.dy_dA)


GRADCAM = Method("gradcam", gradcam_weights, needs_gradient=True,
                 summary="channel weights = spatial mean of the gradient (Eq. 1)")
