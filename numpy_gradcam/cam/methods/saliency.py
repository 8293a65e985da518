r"""Gradient saliency, the "vanilla gradient" (Simonyan, Vedaldi & Zisserman, *Deep Inside
Convolutional Networks: Visualising Image Classification Models and Saliency Maps*, ICLR
Workshop 2014, §3.1).

The plain derivative of the class score with respect to the input, and its per-pixel magnitude:

.. math::

    w = \frac{\partial y^c}{\partial X}, \qquad M_{ij} = \max_c |w_{c,ij}|

``saliency`` is ``w`` ``(N, C, H, W)`` (the engine's ``rule="standard"``); the map ``L`` is ``M``.
"""

from __future__ import annotations

from .base import Context, Method, input_gradient, max_abs_over_channels


def gradient_saliency(context: Context):
    """``∂y^c/∂x`` ``(N, C, H, W)``."""
    return input_gradient(context, "standard")


SALIENCY = Method("saliency", needs_gradient=True, space="input",
                  saliency=gradient_saliency, pixel_map=max_abs_over_channels,
                  summary="the input gradient; map = max over channels of its magnitude")
