r"""Guided backpropagation (Springenberg, Dosovitskiy, Brox & Riedmiller, *Striving for
Simplicity: The All Convolutional Net*, ICLR Workshop 2015, §3.4 and Fig. 1).

The gradient of ``y^c`` with respect to the input pixels, where every ReLU passes back only
positive gradient, and only where its input was positive:

.. math::

    R^{(l)} = (f^{(l)} > 0) \cdot (R^{(l+1)} > 0) \cdot R^{(l+1)}, \qquad
    \text{saliency} = R^{(0)} \in \mathbb{R}^{N \times C \times H \times W}

(``f^{(l)}`` the ReLU's input, ``R^{(l+1)}`` the signal arriving from above.) The engine's
``rule="guided"`` (:mod:`numpy_gradcam.nn.relu`). Fine-grained but not class-discriminative;
guided Grad-CAM multiplies it by Grad-CAM's heatmap to make it so.
The map ``L`` is ``max_c |saliency|`` per pixel.
"""

from __future__ import annotations

from .base import Context, Method, input_gradient, max_abs_over_channels


def guided_backprop_saliency(context: Context):
    """``(N, C, H, W)``: the input gradient under the guided ReLU rule."""
    return input_gradient(context, "guided")


GUIDED_BACKPROP = Method("guided-backprop", needs_gradient=True, space="input",
                         saliency=guided_backprop_saliency, pixel_map=max_abs_over_channels,
                         summary="input gradient passing only positive signal through ReLUs")
