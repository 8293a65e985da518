r"""Grad-CAM's channel weights: global average pooling of the gradients.

Selvaraju et al., *Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
Localization* (ICCV 2017; IJCV 2019), Eq. 1:

.. math::

    \alpha^c_k = \frac{1}{Z} \sum_i \sum_j \frac{\partial y^c}{\partial A^k_{ij}},
    \qquad Z = h \cdot w

``alpha[n, k]`` says how much feature map ``A^k`` of image ``n`` matters for the class score
``y^c``: the mean, over the ``h x w`` positions of the map, of the gradient of ``y^c`` with
respect to that map.

Shapes
------
``dy_dA``: ``(N, K, h, w)``, the gradient ``∂y^c/∂A`` (it has ``A``'s shape).
``alpha``: ``(N, K)``, one weight per image and channel.

float64 by default; float32 is accepted and kept (the output has the input's dtype).
"""

from __future__ import annotations

import numpy as np

from numpy_gradcam._validate import float_array


def gap_weights(dy_dA) -> np.ndarray:
    """Grad-CAM's weights ``alpha^c_k`` (Eq. 1): the spatial mean of ``∂y^c/∂A^k``.

    Parameters
    ----------
    dy_dA : ndarray, shape ``(N, K, h, w)``, float32 or float64
        Gradient of the class score ``y^c`` with respect to the activations ``A`` of the
        target layer.

    Returns
    -------
    alpha : ndarray, shape ``(N, K)``, same dtype as ``dy_dA``
        ``alpha[n, k] = (1/Z) Σ_i Σ_j dy_dA[n, k, i, j]`` with ``Z = h·w``.
    """
    dy_dA = float_array(dy_dA, "dy_dA", ndim=4)
    h, w = dy_dA.shape[2:]
    if h == 0 or w == 0:
        raise ValueError(
            f"dy_dA must have a non-empty height and width (axes 2, 3 of N, K, h, w), "
            f"got shape {dy_dA.shape}"
        )
    Z = h * w
    alpha = dy_dA.sum(axis=(2, 3)) / Z  # (N, K)
    return alpha
