"""The ``keras`` preset: the official Keras example "Grad-CAM class activation visualization"
(fchollet, keras.io/examples/vision/grad_cam, ``examples/vision/grad_cam.py`` of keras-io, last
modified 2021/03/07; Keras 3), applied to one image at a time::

    model.layers[-1].activation = None                    # "Remove last layer's softmax"
    heatmap = make_gradcam_heatmap(img_array, model, last_conv_layer_name, pred_index)
    save_and_display_gradcam(img_path, heatmap)           # alpha=0.4

Conventions, each with where it comes from (the example's functions):

============== ================================================================================
convention     the Keras example
============== ================================================================================
score          the logit: ``model.layers[-1].activation = None``, then ``preds[:, pred_index]``
               (``pred_index=None``: the class ``tf.argmax(preds[0])``, our ``target=None``)
layer          ``model.get_layer(last_conv_layer_name).output``, any layer (the example's
               ``block14_sepconv2_act`` is an activation layer, like our ``relu4``)
weights        ``pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))``: the mean over the
               spatial axes *and the batch axis*. One image at a time (as the example calls it)
               that is our ``alpha``; this preset explains each image on its own. Called on a
               batch, every image would share one ``alpha`` — the catalogued mistake
               ``batch-mean`` of :mod:`numpy_gradcam.verification.mistakes` — and only image 0's
               map would be returned (``last_conv_layer_output[0]``)
combination    ``last_conv_layer_output[0] @ pooled_grads[..., tf.newaxis]``, float32
normalisation  ``tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)``: the ReLU, no minimum
               subtracted, divided by the maximum of the map *before* the ReLU, at feature-map
               size, float32 (our ``cam_normalized``). Where that maximum is 0 the example
               returns NaN (``0/0``); **this preset returns zeros there** (and where it is
               negative, as the example's ``0/negative`` does): the one difference from the
               example. Its ``np.uint8(255 * nan)`` is undefined in C (0 on x86-64, with a
               RuntimeWarning), so its pictures then usually agree with ours
uint8          ``np.uint8(255 * heatmap)``: truncation, at feature-map size
colormap       ``mpl.colormaps["jet"](np.arange(256))[:, :3]`` indexed by the uint8 map:
               matplotlib's 256-entry jet, coloured at *feature-map size*, before any resize
rescale        ``keras.utils.array_to_img(jet_heatmap)`` (``scale=True``): float32, ``x − min``,
               ``/ max`` (skipped when it is 0), ``* 255``, ``astype("uint8")`` — over the whole
               ``(h, w, 3)`` array, so the colours are stretched to 0..255 (:func:`array_to_img`)
resize         ``jet_heatmap.resize((img.shape[1], img.shape[0]))``: Pillow's default for an RGB
               image, ``BICUBIC`` (``a = −0.5``, fixed point, uint8): :func:`.pillow.resize_uint8`.
               The example has no grayscale heatmap at the input size: ``heatmap`` is None
blending       ``superimposed_img = jet_heatmap * 0.4 + img`` with ``img`` the image in 0..255
               (float32; here ``255·image``): the image at full weight, not ``1 − 0.4``
rescale again  ``array_to_img(superimposed_img)``: min-max over the whole image to 0..255, uint8;
               our ``overlay`` is that ``/ 255``. The example then saves it as JPEG (lossy): not
               reproduced
image size     the example overlays on the original file, loaded at its own size
               (``keras.utils.load_img(img_path)``); here the image is ``x`` itself
channel order  RGB (``load_img``, ``array_to_img``), NHWC; our stages NCHW
methods        Grad-CAM only (the example's one method)
============== ================================================================================

Shapes: ``L`` ``(N, h, w)``, ``image`` ``(N, 3, H, W)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib
import numpy as np

from .base import Preset, Rendering, to_uint8
from .opencv import heatmap_to_uint8
from .pillow import resize_uint8

#: ``save_and_display_gradcam``'s default ``alpha``, the coloured map's weight.
ALPHA = np.float32(0.4)


def divide_by_max(L: np.ndarray) -> np.ndarray:
    """``tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)`` per map ``(N, h, w)``, float32;
    zeros where the maximum is not positive (the example: NaN where it is 0)."""
    L = L.astype(np.float32, copy=False)
    L_max = L.max(axis=(1, 2), keepdims=True)                           # (N, 1, 1)
    positive = L_max > 0
    ratio = np.maximum(L, 0) / np.where(positive, L_max, np.float32(1))
    return np.where(positive, ratio, np.float32(0))


def array_to_img(x: np.ndarray) -> np.ndarray:
    """``keras.utils.array_to_img(x)`` (``scale=True``) of each image ``(N, H, W, 3)`` → uint8:
    float32, ``x − min``, ``/ max`` unless the max is 0, ``* 255``, truncated; min and max over
    the whole image, all channels together."""
    x = np.asarray(x, dtype=np.float32)
    x = x - x.min(axis=(1, 2, 3), keepdims=True)
    x_max = x.max(axis=(1, 2, 3), keepdims=True)                        # (N, 1, 1, 1)
    x = x / np.where(x_max != 0, x_max, np.float32(1))
    return to_uint8(x * 255)


def jet_colors() -> np.ndarray:
    """``mpl.colormaps["jet"](np.arange(256))[:, :3]``: ``(256, 3)`` float64, RGB."""
    return matplotlib.colormaps["jet"](np.arange(256))[:, :3]


def save_and_display_gradcam(image: np.ndarray, heatmap: np.ndarray):
    """``colored`` and ``overlay`` ``(N, 3, H, W)`` (floats ``k/255``) of the example's
    ``save_and_display_gradcam`` for each image ``(N, 3, H, W)`` in [0, 1] and heatmap
    ``(N, h, w)`` (the example's float32 heatmap)."""
    u8 = heatmap_to_uint8(heatmap)                                      # np.uint8(255 * heatmap)
    jet_heatmap = array_to_img(jet_colors()[u8])                        # (N, h, w, 3) uint8
    resized = resize_uint8(np.moveaxis(jet_heatmap, -1, 1), image.shape[2:])  # (N, 3, H, W)
    jet_heatmap = resized.astype(np.float32)                            # img_to_array
    img = (255 * image).astype(np.float32)                              # (N, 3, H, W), 0..255
    superimposed = jet_heatmap * ALPHA + img
    overlay = array_to_img(np.moveaxis(superimposed, 1, -1))            # (N, H, W, 3) uint8
    colored = jet_heatmap / np.float32(255)
    return colored, np.moveaxis(overlay, -1, 1).astype(np.float32) / np.float32(255)


def render(L: np.ndarray, image: np.ndarray, options: Mapping) -> Rendering:
    """The Keras example's stages after the weighted sum: see the module docstring."""
    heatmap = divide_by_max(L)                                          # (N, h, w)
    colored, overlay = save_and_display_gradcam(image, heatmap)
    return Rendering(heatmap, None, colored, overlay)


KERAS = Preset(
    name="keras",
    source="the Keras example 'Grad-CAM class activation visualization' (keras.io/examples/"
           "vision/grad_cam): make_gradcam_heatmap, save_and_display_gradcam; one image at a time",
    methods=("gradcam",),
    relu=True,
    render=render,
    conventions={
        "score_from": "the logit (model.layers[-1].activation = None)",
        "normalize": "relu(L) / max(L), float32, at feature-map size (zeros where max <= 0)",
        "upsample": "PIL resize of the uint8 jet image, BICUBIC (Pillow's default)",
        "cmap": "mpl jet table indexed by np.uint8(255 * heatmap), array_to_img rescale",
        "alpha": "jet * 0.4 + 255 * image, then array_to_img min-max rescale",
        "channels": "RGB",
    },
)
