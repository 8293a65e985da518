r"""LayerCAM (Jiang, Zhang, Hou, Cheng & Wei, *LayerCAM: Exploring Hierarchical Class Activation
Maps for Localization*, IEEE Transactions on Image Processing 2021).

Each activation is weighted by its own *positive* gradient:

.. math::

    w^{kc}_{ij} = \mathrm{relu}\Big(\frac{\partial y^c}{\partial A^k_{ij}}\Big), \qquad
    L^c = \mathrm{ReLU}\Big(\sum_k w^{kc} \odot A^k\Big)

Element-wise weights need no averaging, so the map stays reliable at shallow layers; the paper
fuses the maps of several layers, which :func:`numpy_gradcam.explain` does with
``layers=[...]`` and ``fusion="mean"`` or ``"max"`` (see the pipeline's docstring).
"""

from __future__ import annotations

import numpy as np

from .base import Context, Method


def layercam_weights(context: Context) -> np.ndarray:
    """Element-wise weights ``relu(∂y^c/∂A)`` ``(N, K, h, w)``."""
    return np.maximum(context.dy_dA, 0)


LAYERCAM = Method("layercam", layercam_weights, needs_gradient=True,
                  summary="element-wise weights = relu of the gradient")
