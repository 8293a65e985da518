r"""Deconvnet (Zeiler & Fergus, *Visualizing and Understanding Convolutional Networks*, ECCV 2014,
§2.1; as a backward rule in Springenberg et al. 2015, Fig. 1).

The signal is sent back through every layer as in backpropagation, except that each ReLU passes
back the positive part of the signal from above, whatever its forward input was:

.. math::

    R^{(l)} = (R^{(l+1)} > 0) \cdot R^{(l+1)}

The engine's ``rule="deconvnet"``. The map ``L`` is ``max_c |saliency|`` per pixel.
"""

from __future__ import annotations

from .base import Context, Method, input_gradient, max_abs_over_channels


def deconvnet_saliency(context: Context):
    """``(N, C, H, W)``: the input signal under the deconvnet ReLU rule."""
    return input_gradient(context, "deconvnet")


DECONVNET = Method("deconvnet", needs_gradient=True, space="input",
                   saliency=deconvnet_saliency, pixel_map=max_abs_over_channels,
                   summary="backward signal keeping its positive part at every ReLU")
