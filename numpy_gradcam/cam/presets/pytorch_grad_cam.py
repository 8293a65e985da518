"""The ``pytorch-grad-cam`` preset: jacobgil/pytorch-grad-cam 1.5 (``pip install grad-cam``) as
its README uses it::

    cam = GradCAM(model=model, target_layers=[layer])
    grayscale_cam = cam(input_tensor=x, targets=[ClassifierOutputTarget(c)])   # (N, H, W)
    visualization = show_cam_on_image(rgb_img, grayscale_cam[0], use_rgb=True)

Conventions, each with where it comes from:

================ ==============================================================================
convention       pytorch-grad-cam
================ ==============================================================================
score            the logit: ``ClassifierOutputTarget(c)`` returns ``model_output[..., c]``
ReLU             ``np.maximum(cam, 0)`` in ``BaseCAM.compute_cam_per_layer``
normalisation    ``scale_cam_image``: ``L − min L``, then ``/ (1e-7 + max)`` (epsilon in the
                 denominator, so the maximum is just below 1), at feature-map size, float32
resize           ``cv2.resize(np.float32(img), (W, H))``: OpenCV's ``INTER_LINEAR``, half-pixel
                 centres, float32 (:func:`.opencv.resize_linear`)
normalised twice ``aggregate_multi_layers`` calls ``scale_cam_image`` again after the resize:
                 the returned ``grayscale_cam`` (our ``heatmap``) is renormalised, epsilon 1e-7
uint8            ``np.uint8(255 * mask)``: truncation, before colouring
colormap         ``cv2.applyColorMap(..., cv2.COLORMAP_JET)``: OpenCV's jet table
                 (:data:`.opencv.JET`), not matplotlib's
channel order    RGB: ``use_rgb=True`` as in the README (the function's default ``use_rgb=False``
                 gives a BGR heatmap over an RGB image — catalogued mistake ``bgr-colormap``)
blending         ``cam = 0.5·heatmap + 0.5·img`` (``image_weight=0.5``), then ``cam / max(cam)``
                 (per image), then ``np.uint8(255 * cam)``: our ``overlay`` is that ``/ 255``
methods          its Grad-CAM++ (``gradcampp_form``), Score-CAM (``scorecam_variant``),
                 Eigen-CAM (``eigencam_variant``: the centred SVD, its sign as returned) and
                 Ablation-CAM (``ablationcam_variant``: 0, or ``min A − (i+1)·1e7``) forms
================ ==============================================================================

Everything after the map is float32, pytorch-grad-cam's precision (it converts with
``np.float32``). Shapes: ``L`` ``(N, h, w)``, ``image`` ``(N, 3, H, W)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .base import Preset, Rendering, to_uint8
from .opencv import apply_colormap_jet, heatmap_to_uint8, resize_linear

#: ``scale_cam_image``'s epsilon.
EPS = np.float32(1e-7)
#: ``show_cam_on_image``'s default ``image_weight`` (the image's share of the blend).
IMAGE_WEIGHT = np.float32(0.5)


def scale_cam_image(L: np.ndarray) -> np.ndarray:
    """``(L − min L) / (1e-7 + max(L − min L))`` per map ``(N, h, w)``, float32."""
    L = L.astype(np.float32, copy=False)
    shifted = L - L.min(axis=(1, 2), keepdims=True)
    return shifted / (EPS + shifted.max(axis=(1, 2), keepdims=True))


def show_cam_on_image(image: np.ndarray, heatmap: np.ndarray, use_rgb: bool = True
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``colored`` and ``overlay`` ``(N, 3, H, W)`` (floats ``k/255``) of ``show_cam_on_image(img,
    mask, use_rgb=True)`` for each image ``(N, 3, H, W)`` and mask ``(N, H, W)``; ``use_rgb=False``
    (the library's own default) blends OpenCV's BGR colours with the RGB image, as it does."""
    colors = apply_colormap_jet(heatmap_to_uint8(heatmap), bgr=not use_rgb)  # (N, H, W, 3) uint8
    colored = colors.astype(np.float32) / np.float32(255)
    img = np.moveaxis(image, 1, -1).astype(np.float32)                    # (N, H, W, 3)
    cam = (1 - IMAGE_WEIGHT) * colored + IMAGE_WEIGHT * img
    cam = cam / cam.max(axis=(1, 2, 3), keepdims=True)
    overlay = to_uint8(np.float32(255) * cam).astype(np.float32) / np.float32(255)
    return np.moveaxis(colored, -1, 1), np.moveaxis(overlay, -1, 1)


def render(L: np.ndarray, image: np.ndarray, options: Mapping, use_rgb: bool = True
           ) -> Rendering:
    """pytorch-grad-cam's stages after ``np.maximum(cam, 0)``: see the module docstring.
    ``use_rgb=False``: ``show_cam_on_image``'s default (verify's catalogue tries it)."""
    L_norm = scale_cam_image(L)                                           # (N, h, w)
    heatmap = scale_cam_image(resize_linear(L_norm, image.shape[2:]))      # (N, H, W)
    colored, overlay = show_cam_on_image(image, heatmap, use_rgb)
    return Rendering(L_norm, heatmap, colored, overlay)


PYTORCH_GRAD_CAM = Preset(
    name="pytorch-grad-cam",
    source="pytorch-grad-cam 1.5 (grad-cam on PyPI): BaseCAM.__call__, scale_cam_image, "
           "show_cam_on_image(use_rgb=True)",
    methods=("gradcam", "gradcam++", "xgradcam", "hirescam", "layercam", "scorecam",
             "eigencam", "ablationcam"),
    relu=True,
    render=render,
    method_options={"gradcampp_form": "pytorch-grad-cam",
                    "scorecam_variant": "pytorch-grad-cam",
                    "eigencam_variant": "pytorch-grad-cam",
                    "ablationcam_variant": "pytorch-grad-cam"},
    conventions={
        "score_from": "the logit (ClassifierOutputTarget)",
        "normalize": "(L - min) / (1e-7 + max), float32, before and again after the resize",
        "upsample": "cv2.resize INTER_LINEAR (half-pixel centres), float32",
        "cmap": "OpenCV COLORMAP_JET of np.uint8(255 * heatmap)",
        "alpha": "0.5 (show_cam_on_image image_weight=0.5), then / max, then np.uint8(255 * ·)",
        "channels": "RGB (use_rgb=True)",
    },
)
