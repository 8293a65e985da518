r"""HiResCAM (Draelos & Carin, *Use HiResCAM instead of Grad-CAM for faithful explanations of
convolutional neural networks*, arXiv:2011.08891, 2020).

The gradient is *not* averaged: each activation is multiplied by its own gradient,

.. math::

    L^c_{\text{HiResCAM}} = \mathrm{ReLU}\Big(\sum_k
        \frac{\partial y^c}{\partial A^k} \odot A^k\Big)

so the element-wise weights are ``alpha = dy_dA`` ``(N, K, h, w)``. When the gradient is
spatially constant — a global-average-pool → linear head, where ``∂y^c/∂A^k_ij = w_ck / Z`` —
HiResCAM equals Grad-CAM exactly; otherwise it is the map whose sum is the score's first-order
part (``Σ_ijk g ⊙ A``), which Grad-CAM's average can misplace.
"""

from __future__ import annotations

import numpy as np

from .base import Context, Method


def hirescam_weights(context: Context) -> np.ndarray:
    """Element-wise weights ``alpha = ∂y^c/∂A`` ``(N, K, h, w)``."""
    return np.array(context.dy_dA, copy=True)


HIRESCAM = Method("hirescam", hirescam_weights, needs_gradient=True,
                  summary="element-wise weights = the gradient itself")
