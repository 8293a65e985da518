r"""XGrad-CAM (Fu, Hu, Zhang, Liu, Wang & Liu, *Axiom-based Grad-CAM: Towards Accurate
Visualization and Explanation of CNNs*, BMVC 2020).

Each gradient is weighted by the share of its feature map's total activation at that location
(the weights that make the map satisfy the paper's sensitivity and conservation axioms):

.. math::

    \alpha^c_k = \sum_i \sum_j \frac{A^k_{ij}}{\sum_a \sum_b A^k_{ab}}
                 \frac{\partial y^c}{\partial A^k_{ij}}

A feature map with ``Σ_ab A^k_ab = 0`` (a dead channel) gets ``alpha_k = 0`` here, not 0/0.
pytorch-grad-cam (``xgrad_cam.py``) adds ``1e-7`` to the denominator instead; the two differ by a
relative ``1e-7 / Σ A^k`` on the other channels.

Shapes: ``A``, ``dy_dA`` ``(N, K, h, w)``; ``alpha`` ``(N, K)``.
"""

from __future__ import annotations

import numpy as np

from .base import Context, Method


def xgradcam_weights(context: Context) -> np.ndarray:
    """Channel weights ``alpha_k = Σ_ij (A^k_ij / Σ_ab A^k_ab) ∂y^c/∂A^k_ij`` ``(N, K)``; 0 for a
    channel with ``Σ_ab A^k_ab = 0``."""
    A, dy_dA = context.A, context.dy_dA                                 # (N, K, h, w)
    sum_A = A.sum(axis=(2, 3))                                          # (N, K)
    numerator = (A * dy_dA).sum(axis=(2, 3))                            # (N, K)
    alpha = np.zeros_like(numerator)
    np.divide(numerator, sum_A, out=alpha, where=sum_A != 0)
    return alpha


XGRADCAM = Method("xgradcam", xgradcam_weights, needs_gradient=True,
                  summary="weights = Σ_ij (A_ij / Σ_ab A_ab) ∂y/∂A_ij")
