r"""The ``torchcam`` preset: frgfm/torch-cam 0.5.0 (``pip install torchcam``) as its README uses
it::

    cam_extractor = GradCAM(model, target_layer)       # or LayerCAM, XGradCAM
    out = model(x)
    cams = cam_extractor(class_idx, out)                # one (N, h, w) map per target layer
    result = overlay_mask(to_pil_image(img), to_pil_image(cams[0].squeeze(0), mode="F"),
                          alpha=0.5)

Conventions, each with where it comes from:

============== ===============================================================================
convention     torch-cam
============== ===============================================================================
score          the logit: ``_GradCAM._backprop`` differentiates ``scores[:, class_idx]``, the
               model's output before any softmax
combination    ``torch.nansum(weight * activation, dim=1)`` in ``_CAM.compute_cams``
ReLU           ``F.relu(cam)``: ``_GradCAM.__init__`` sets ``self._relu = True``
normalisation  ``_CAM._normalize``, in place: ``cams.sub_(amin)`` then
               ``cams.div_(amax + 1e-8)`` — the epsilon in the denominator, the maximum taken
               *after* the shift; per map, at feature-map size, float32
image          ``to_pil_image(img)`` of a float tensor is ``img.mul(255).byte()``: truncated to
               uint8 (``0.999`` becomes 254), RGB
resize         ``mask.resize(img.size, resample=Image.BICUBIC)`` on the mode ``"F"`` mask:
               Pillow's bicubic (``a = −0.5``, a truncated, renormalised window), float32
               (:func:`.pillow.resize_float`); it can overshoot [0, 1]
colormap       ``cmap(np.asarray(overlay) ** 2, bytes=True)[:, :, :3]``: matplotlib's ``jet`` of
               the *squared* mask, entry ``min(floor(256·m²), 255)`` (a value above 1 takes the
               last colour; a bicubic undershoot below 0 squares to a small positive value);
               ``bytes=True`` truncates the table to uint8, ``(lut * 255).astype(np.uint8)``
blending       ``Image.blend(colored, img, alpha)``: ``colored + alpha·(img − colored)`` in
               float32, truncated to uint8 (:func:`.pillow.blend`); ``alpha`` is the *image's*
               weight; the README passes ``alpha=0.5`` (``overlay_mask``'s default is 0.7)
methods        ``GradCAM``, ``LayerCAM`` (``relu(grad)`` element-wise) and ``XGradCAM``
               (``Σ grad·A / (Σ A + 1e-8)``: its epsilon moves the weights by a relative
               ``1e-8 / Σ A`` from ours, below float32's resolution once ``Σ A > 0.2``)
============== ===============================================================================

Stages: ``cam_normalized`` is ``_normalize``'s map ``(N, h, w)``; ``heatmap`` the resized mask
``(N, H, W)``; ``colored`` the uint8 colours of the squared mask and ``overlay`` the blend, both
``k/255`` floats.

Not covered, because ours differ from torch-cam's definitions:

- ``GradCAMpp``: its ``alpha[idx][mask].div_(d[mask] + eps)`` divides a *copy* (boolean indexing
  copies), so the division is lost and its weights are ``Σ_ij g² · relu(g)`` — neither the
  paper's ``α = g² / (2g² + Σ A g³)`` nor pytorch-grad-cam's.
- ``ScoreCAM``: it scales each ``A^k`` to [0, 1] (``_normalize``, epsilon 1e-8) *before*
  upsampling it bilinearly with half-pixel centres, and takes the softmax over the channels of
  the masked inputs' logits (its baseline, the unmasked input's logit, cancels in the softmax) —
  neither of our two variants.
- ``CAM``: ``_relu`` is False there, while a preset applies Eq. 2's ReLU to every method.

Everything after ``L`` is float32, torch-cam's precision. Shapes: ``L`` ``(N, h, w)``, ``image``
``(N, 3, H, W)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..colormaps import get_cmap
from .base import Preset, Rendering, to_uint8
from .pillow import blend, resize_float

#: ``_CAM._normalize``'s epsilon.
EPS = np.float32(1e-8)
#: The README's ``overlay_mask(..., alpha=0.5)``: the image's weight in ``Image.blend``.
ALPHA = 0.5


def normalize(L: np.ndarray) -> np.ndarray:
    """``_normalize``: ``L − min L``, then ``/ (max + 1e-8)`` per map ``(N, h, w)``, float32."""
    L = L.astype(np.float32)
    shifted = L - L.min(axis=(1, 2), keepdims=True)
    return shifted / (shifted.max(axis=(1, 2), keepdims=True) + EPS)


def to_pil_uint8(image: np.ndarray) -> np.ndarray:
    """``to_pil_image`` of float32 images ``(N, 3, H, W)`` in [0, 1]: ``img.mul(255).byte()``,
    truncated, ``(N, 3, H, W)`` uint8."""
    return to_uint8(np.float32(255) * image.astype(np.float32))


def colorize(heatmap: np.ndarray) -> np.ndarray:
    """``jet(mask ** 2, bytes=True)[..., :3]`` of masks ``(N, H, W)`` → ``(N, 3, H, W)`` uint8."""
    squared = np.square(heatmap.astype(np.float32))                   # float32, as torch-cam's
    colors = get_cmap("jet")(squared, bytes=True)[..., :3]            # (N, H, W, 3) uint8
    return np.ascontiguousarray(np.moveaxis(colors, -1, 1))


def overlay_mask(image: np.ndarray, mask: np.ndarray, alpha: float = ALPHA):
    """``overlay_mask(to_pil_image(img), to_pil_image(mask, mode="F"), alpha)`` for images
    ``(N, 3, H, W)`` in [0, 1] and normalised masks ``(N, h, w)``: the resized mask ``(N, H, W)``
    float32, its colours and the blend, both ``(N, 3, H, W)`` uint8."""
    heatmap = resize_float(mask, image.shape[2:], "bicubic")         # (N, H, W)
    colored = colorize(heatmap)
    return heatmap, colored, blend(colored, to_pil_uint8(image), alpha)


def render(L: np.ndarray, image: np.ndarray, options: Mapping) -> Rendering:
    """torch-cam's stages after ``F.relu(cam)``: see the module docstring."""
    L_norm = normalize(L)                                              # (N, h, w)
    heatmap, colored, overlay = overlay_mask(image, L_norm)
    scale = np.float32(255)
    return Rendering(L_norm, heatmap, colored.astype(np.float32) / scale,
                     overlay.astype(np.float32) / scale)


TORCHCAM = Preset(
    name="torchcam",
    source="torch-cam 0.5.0 (torchcam on PyPI): GradCAM/LayerCAM/XGradCAM(model, layer)"
           "(class_idx, scores), overlay_mask(..., alpha=0.5)",
    methods=("gradcam", "layercam", "xgradcam"),
    relu=True,
    render=render,
    conventions={
        "score_from": "the logit (scores[:, class_idx])",
        "normalize": "(L - min) / (max + 1e-8), float32, at feature-map size (_normalize)",
        "upsample": "PIL Image.resize BICUBIC (a = -0.5) of the mode-F mask, float32",
        "cmap": "matplotlib jet of mask ** 2, bytes=True (uint8 table)",
        "alpha": "Image.blend(colored, img, 0.5): image weight 0.5, truncated to uint8",
        "channels": "RGB; image to uint8 by img.mul(255).byte() (truncation)",
    },
)
