r"""The ``captum`` preset: Captum 0.9 (``pip install captum``) as its Grad-CAM tutorials use it::

    attr = LayerGradCam(model, layer).attribute(x, target=c)            # (N, 1, h, w), signed
    upsampled = LayerAttribution.interpolate(attr, (H, W))                # nearest
    visualize_image_attr(upsampled[0].permute(1, 2, 0).numpy(), img,     # img (H, W, 3) in [0, 1]
                         method="blended_heat_map", sign="positive")

Conventions, each with where it comes from:

============== ===============================================================================
convention     Captum
============== ===============================================================================
score          the logit: ``attribute(x, target=c)`` differentiates ``model(x)[:, c]``
combination    ``torch.sum(mean(grad, dims 2, 3) * act, dim=1, keepdim=True)``
               (``attr_dim_summation=True``, the default)
ReLU           none: ``relu_attributions=False`` by default, so the map keeps its sign
               (``cam`` is the signed map; preset ``relu=False``)
normalisation  none at feature-map size (``cam_normalized`` is None)
resize         ``LayerAttribution.interpolate``: ``F.interpolate(attr, (H, W), mode="nearest")``
               (``interpolate_mode="nearest"`` by default): PyTorch's legacy nearest, float32
               (:func:`~numpy_gradcam.cam.upsampling.upsample` with ``mode="nearest"``)
sign           ``sign="positive"``, the sign the Grad-CAM tutorials pass for
               ``blended_heat_map`` (PyTorch's "Model Understanding with Captum", Captum's
               segmentation tutorial): ``attr = max(attr, 0)``. The function's default,
               ``"absolute_value"``, would paint negative evidence as strongly as positive — for a
               signed Grad-CAM map, a different picture
normalisation  ``_normalize_attr`` after the resize: ``attr / t`` clipped to [−1, 1], with
               ``t = _cumulative_sum_threshold(|attr|, 100 − outlier_perc)``,
               ``outlier_perc=2``: the smallest sorted value at which the running sum reaches
               98 % of the total — the top values making up 2 % of the total mass saturate
               at 1 (a threshold, not a maximum); float32, ``np.cumsum``'s order
colormap       ``_initialize_cmap_and_vmin_vmax``: ``"Greens"`` with ``vmin=0, vmax=1`` for
               ``positive`` (``"Reds"`` negative, ``"Blues"`` absolute value, red-white-green on
               [−1, 1] for all); matplotlib's 256-entry table, RGB floats
background     ``_prepare_image(img * 255)``: ``np.clip(astype(int), 0, 255)`` (truncation),
               then ``imshow(np.mean(img, axis=2), cmap="gray")`` — the channel mean, scaled by
               imshow's default norm to *its own* min and max (a constant image is black)
blending       ``imshow(norm_attr, cmap, vmin, vmax, alpha=alpha_overlay)`` over the gray image,
               ``alpha_overlay=0.5``: ``overlay = 0.5·colored + 0.5·gray``
============== ===============================================================================

**Captum's last stage is a matplotlib figure, not an array.** ``overlay`` is the compositing
formula applied at the image's own resolution, in floats; the figure resamples both layers to its
pixels and composites them in 8 bits, so a figure drawn on axes of exactly ``H × W`` pixels
differs from ``overlay`` by up to 3 levels of 255 (2.5 measured), and any other size by the
resampling too. The arrays Captum does expose — the attribution, the interpolated map,
``norm_attr`` and the two layers' colours (``AxesImage.get_array``/``to_rgba``) — are compared
exactly in the tests, and the figure drawn at ``H × W`` pixels within 3/255.

**A map with nothing to show.** With ``sign="positive"`` an image whose map is ``≤ 0`` everywhere
has threshold 0, and Captum stops with ``AssertionError: Cannot normalize by scale factor = 0``;
here its ``heatmap`` is zeros instead (the blank picture), so that a batch is still explained.

Shapes: ``L`` ``(N, h, w)``; ``image`` ``(N, 3, H, W)``; ``heatmap`` ``(N, H, W)`` float32;
``colored``, ``overlay`` ``(N, 3, H, W)`` float64 (matplotlib's colours).
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.colors
import numpy as np

from ..._validate import choice
from ..colormaps import get_cmap
from ..upsampling import upsample
from .base import Preset, Rendering

#: The signs of ``visualize_image_attr``.
SIGNS = ("positive", "absolute_value", "negative", "all")
#: The sign the preset draws (see the module docstring for why).
SIGN = "positive"
#: ``visualize_image_attr``'s default ``outlier_perc``.
OUTLIER_PERC = 2
#: ``visualize_image_attr``'s default ``alpha_overlay``: the heat map's opacity.
ALPHA_OVERLAY = 0.5


def interpolate(L: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``LayerAttribution.interpolate(attr, (H, W))``: nearest, float32, ``(N, h, w)`` →
    ``(N, H, W)``."""
    return upsample(L.astype(np.float32), size, mode="nearest")


def cumulative_sum_threshold(values: np.ndarray, percentile: float):
    """``_cumulative_sum_threshold``: the first sorted value of ``values`` (non-negative) at
    which the running sum reaches ``percentile`` % of the total."""
    sorted_vals = np.sort(values.flatten())
    cum_sums = np.cumsum(sorted_vals)
    threshold_id = np.where(cum_sums >= cum_sums[-1] * 0.01 * percentile)[0][0]
    return sorted_vals[threshold_id]


def normalize_attr(attr: np.ndarray, sign: str = SIGN,
                   outlier_perc: float = OUTLIER_PERC) -> np.ndarray:
    """``_normalize_attr`` of each map ``(N, H, W)``: keep ``sign``'s part, divide by the
    cumulative-sum threshold of its absolute values, clip to [−1, 1]. A map whose threshold is 0
    (nothing of that sign) gives zeros, where Captum raises."""
    choice(sign, "sign", SIGNS)
    if sign == "positive":
        attr = np.maximum(attr, 0)
    elif sign == "negative":
        attr = np.minimum(attr, 0)
    elif sign == "absolute_value":
        attr = np.abs(attr)
    normalized = np.zeros_like(attr)
    for n, a in enumerate(attr):                       # Captum normalises one image at a time
        threshold = cumulative_sum_threshold(np.abs(a), 100.0 - outlier_perc)
        threshold = -threshold if sign == "negative" else threshold
        if threshold != 0:
            normalized[n] = np.clip(a / threshold, -1, 1)
    return normalized


def heat_map_cmap(sign: str = SIGN):
    """``_initialize_cmap_and_vmin_vmax``: ``(colormap, vmin, vmax)`` of ``sign``."""
    if choice(sign, "sign", SIGNS) == "all":
        cmap = matplotlib.colors.LinearSegmentedColormap.from_list(
            "RdWhGn", ["red", "white", "green"])
        return cmap, -1, 1
    name = {"positive": "Greens", "negative": "Reds", "absolute_value": "Blues"}[sign]
    return get_cmap(name), 0, 1


def _rgb(cmap, values: np.ndarray) -> np.ndarray:
    """``cmap(values)`` ``(N, H, W)`` → RGB ``(N, 3, H, W)``."""
    return np.ascontiguousarray(np.moveaxis(cmap(values)[..., :3], -1, 1))


def heat_map_colors(norm_attr: np.ndarray, sign: str = SIGN) -> np.ndarray:
    """The heat map's colours ``(N, 3, H, W)``: ``cmap(Normalize(vmin, vmax)(norm_attr))``, what
    ``imshow(norm_attr, cmap=cmap, vmin=vmin, vmax=vmax)`` draws."""
    cmap, vmin, vmax = heat_map_cmap(sign)
    return _rgb(cmap, matplotlib.colors.Normalize(vmin, vmax)(norm_attr))


def gray_background(image: np.ndarray) -> np.ndarray:
    """``imshow(np.mean(_prepare_image(img * 255), axis=2), cmap="gray")`` of float32 images
    ``(N, 3, H, W)`` in [0, 1] → RGB ``(N, 3, H, W)``: each image's gray scaled to its own range."""
    u8 = np.clip((image.astype(np.float32) * 255).astype(int), 0, 255)      # _prepare_image
    mean = u8.mean(axis=1)                                                  # (N, H, W)
    gray = get_cmap("gray")
    return np.stack([_rgb(gray, matplotlib.colors.Normalize(m.min(), m.max())(m[None]))[0]
                     for m in mean])


def blended_heat_map(image: np.ndarray, norm_attr: np.ndarray, sign: str = SIGN,
                     alpha_overlay: float = ALPHA_OVERLAY) -> tuple[np.ndarray, np.ndarray]:
    """``colored`` and ``overlay`` ``(N, 3, H, W)`` of ``method="blended_heat_map"``: the heat
    map's colours, and ``alpha_overlay·colored + (1 − alpha_overlay)·gray``."""
    colored = heat_map_colors(norm_attr, sign)
    overlay = alpha_overlay * colored + (1 - alpha_overlay) * gray_background(image)
    return colored, overlay


def render(L: np.ndarray, image: np.ndarray, options: Mapping) -> Rendering:
    """Captum's stages after ``LayerGradCam.attribute``: see the module docstring."""
    heatmap = normalize_attr(interpolate(L, image.shape[2:]))          # (N, H, W) float32
    colored, overlay = blended_heat_map(image, heatmap)
    return Rendering(None, heatmap, colored, overlay)


CAPTUM = Preset(
    name="captum",
    source="Captum 0.9: LayerGradCam(model, layer).attribute(x, target=c), "
           "LayerAttribution.interpolate, visualize_image_attr(method='blended_heat_map', "
           "sign='positive')",
    methods=("gradcam",),
    relu=False,
    render=render,
    conventions={
        "score_from": "the logit (target=c)",
        "sign": "signed map (relu_attributions=False); drawn with sign='positive'",
        "upsample": "LayerAttribution.interpolate: torch nearest, float32, before normalising",
        "normalize": "sign='positive', divided by the 98 % cumulative-sum threshold "
                     "(outlier_perc=2), clipped to [0, 1]",
        "cmap": "matplotlib Greens, vmin=0, vmax=1",
        "alpha": "0.5 heat map over the channel-mean gray image (alpha_overlay=0.5)",
        "channels": "RGB; image to int by truncating img * 255",
    },
)
