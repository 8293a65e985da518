"""The ``tf-keras-vis`` preset: tf-keras-vis 0.8.7 (``pip install tf-keras-vis``) as its README
uses it, the colouring and overlay included::

    gradcam = Gradcam(model, model_modifier=ReplaceToLinear(), clone=True)
    cam = gradcam(CategoricalScore([c]), X, penultimate_layer=layer)      # (N, H, W)
    heatmap = np.uint8(cm.jet(cam[0])[..., :3] * 255)
    plt.imshow(image); plt.imshow(heatmap, cmap='jet', alpha=0.5)        # overlay

The library returns only the map ``cam`` (our ``heatmap``); the colouring and the overlay are
its README's usage lines (section "Gradcam++"; its example notebook ``attentions.ipynb`` renders
Grad-CAM with the same lines), not functions of the library.

Conventions, each with where it comes from:

=============== ===============================================================================
convention      tf-keras-vis 0.8.7
=============== ===============================================================================
score           the logit: ``ReplaceToLinear()`` sets the output layer's activation to linear,
                ``CategoricalScore([c])`` takes ``output[i, c]`` for each image ``i``
layer           ``penultimate_layer``; with ``seek_penultimate_conv_layer=True`` (default) a
                layer that is not a ``Conv`` is only where the search starts: the nearest
                ``Conv`` at or before it is explained (``utils.model_modifiers.
                ExtractIntermediateLayerForGradcam``). A model whose ReLU is a layer of its own
                (``conv4 → bn4 → relu4``) is explained at ``conv4`` by default: give
                ``layer="conv4"`` here, or ``seek_penultimate_conv_layer=False`` there
weights         ``K.mean(grads, axis=(1, 2))``: per image, over the spatial axes
                (``Gradcam._calculate_cam``); our ``alpha``
combination     ``np.sum(np.multiply(penultimate_output, weights), axis=-1)``, float32
ReLU            ``activation_modifier=lambda cam: K.relu(cam)``, before the resize
resize          ``scipy.ndimage.zoom(cam, (1, H/h, W/w), order=1)``: linear with the corners
                aligned (``grid_mode=False``: our ``align_corners=True``), float32; called
                here exactly so
normalisation   ``utils.normalize`` after the resize, once: ``(cam − min) / (max − min +
                K.epsilon())`` per image, ``K.epsilon() = 1e-7``, float32 (the maximum is just
                below 1; a constant map gives zeros). No normalisation at feature-map size:
                ``cam_normalized`` is None
colormap        the README's ``np.uint8(cm.jet(cam)[..., :3] * 255)``: matplotlib's 256-entry
                jet, then truncation to uint8; our ``colored`` is that ``/ 255``
blending        the README's ``plt.imshow(heatmap, cmap='jet', alpha=0.5)`` over the image:
                matplotlib composites ``0.5·heatmap + 0.5·image`` (``cmap`` is ignored for RGB
                data). Our ``overlay`` is that formula in floats; matplotlib draws it in 8-bit
                arithmetic at the figure's resolution (within 2/255 of ours at one figure pixel
                per image pixel, checked in the tests)
channel order   RGB; the library is NHWC (``channels-first`` is unsupported), our stages NCHW
methods         ``Gradcam`` and ``Layercam`` (``gradient_modifier`` = ReLU of the gradients,
                element-wise weights: our ``layercam``). Not ``GradcamPlusPlus``: it divides
                each ``α_ij`` by ``Σ_ij α_ij`` (the Grad-CAM++ authors' code), which neither of
                our forms does. Not ``Scorecam``: softmax scores without a baseline, masks
                resized corner-aligned and normalised with ``1e-7``, and ``max_N``
=============== ===============================================================================

Shapes: ``L`` ``(N, h, w)``, ``image`` ``(N, 3, H, W)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.ndimage

from .. import blending, colormaps, normalization
from .base import Preset, Rendering, to_uint8

#: ``tf.keras.backend.epsilon()``'s default, the epsilon of ``tf_keras_vis.utils.normalize``.
EPSILON = 1e-7
#: The README's ``alpha=0.5`` of ``plt.imshow(heatmap, ..., alpha=0.5)``.
ALPHA = 0.5


def expand_cam(L: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``zoom(cam, zoom_factor(cam.shape, X.shape), order=1)`` of ``Gradcam.__call__``: each map
    of ``L`` ``(N, h, w)`` resized to ``size = (H, W)``, linear, corners aligned, float32.

    ``zoom_factor`` pairs ``(N, h, w)`` with the input's ``(N, H, W, C)``: factors ``(1, H/h,
    W/w)``; the batch axis keeps its length.
    """
    L = L.astype(np.float32, copy=False)
    factors = (1.0, size[0] / L.shape[1], size[1] / L.shape[2])
    return scipy.ndimage.zoom(L, factors, order=1)                      # (N, H, W)


def normalize(cam: np.ndarray) -> np.ndarray:
    """``tf_keras_vis.utils.normalize``: ``(cam − min) / (max − min + 1e-7)`` per map ``(N, H,
    W)``, in ``cam``'s dtype."""
    return normalization.normalize(cam, eps=EPSILON, eps_in_denominator=True)


def jet_uint8(heatmap: np.ndarray) -> np.ndarray:
    """``np.uint8(cm.jet(heatmap)[..., :3] * 255)`` of ``heatmap`` ``(N, H, W)`` in [0, 1] →
    ``(N, H, W, 3)`` uint8: matplotlib's jet entry ``min(floor(256·v), 255)``, truncated."""
    rgb = colormaps.get_cmap("jet")(heatmap)[..., :3]                   # (N, H, W, 3) float64
    return to_uint8(rgb * 255)


def render(L: np.ndarray, image: np.ndarray, options: Mapping) -> Rendering:
    """tf-keras-vis's stages after ``K.relu(cam)``: see the module docstring."""
    heatmap = normalize(expand_cam(L, image.shape[2:]))                 # (N, H, W) float32
    colors = jet_uint8(heatmap)                                         # (N, H, W, 3) uint8
    colored = np.moveaxis(colors, -1, 1).astype(np.float32) / np.float32(255)
    overlay = blending.blend(image, colored, ALPHA)
    return Rendering(None, heatmap, colored, overlay)


TF_KERAS_VIS = Preset(
    name="tf-keras-vis",
    source="tf-keras-vis 0.8.7: Gradcam / Layercam(model, model_modifier=ReplaceToLinear())"
           "(CategoricalScore([c]), X), and its README's cm.jet colouring and alpha=0.5 overlay",
    methods=("gradcam", "layercam"),
    relu=True,
    render=render,
    conventions={
        "score_from": "the logit (ReplaceToLinear, CategoricalScore)",
        "normalize": "(cam - min) / (max - min + 1e-7), float32, once, after the resize",
        "upsample": "scipy.ndimage.zoom(order=1): linear, corners aligned, float32",
        "cmap": "np.uint8(cm.jet(cam)[..., :3] * 255): matplotlib jet, truncated",
        "alpha": "0.5 (plt.imshow(heatmap, alpha=0.5) over the image)",
        "channels": "RGB",
    },
)
