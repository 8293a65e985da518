r"""Blending the coloured heatmap over the image.

The overlay procedure (seed document 000, step 5) superimposes the coloured heatmap on the
input image with a transparency ``alpha``:

.. math::

    I_{\mathrm{out}} = \alpha \, H_{\mathrm{colored}} + (1 - \alpha) \, I

``alpha`` here is the seed document's name for the *transparency* of the heatmap (0: only
the image, 1: only the heatmap; 0.3 to 0.5 is usual, 0.4 by default). It is not Grad-CAM's
channel weight ``alpha^c_k`` of :mod:`numpy_gradcam.cam.weighting`.

Conventions
-----------
* Both arrays are RGB floats in [0, 1] with the same shape: a batch ``(N, 3, H, W)`` or one
  image ``(3, H, W)``; the result has that shape too.
* The result is a convex combination, so it stays in [0, 1]; it is not rescaled afterwards
  (pytorch-grad-cam's ``show_cam_on_image`` divides by its maximum; that is a preset, not the
  default).
* The dtype is NumPy's promotion of the two inputs' dtypes (float32 only if both are).
"""

from __future__ import annotations

import numpy as np

from numpy_gradcam._validate import float_array, fraction, value_range


def _rgb_in_unit_range(x, name: str) -> np.ndarray:
    x = float_array(x, name, ndim=(3, 4))
    if x.shape[-3] != 3:
        raise ValueError(
            f"{name} must be RGB with 3 channels in axis -3 ((N, 3, H, W) or (3, H, W)), "
            f"got shape {x.shape}"
        )
    if x.size and (x.min() < 0 or x.max() > 1):
        raise ValueError(
            f"{name} must have values in [0, 1], got values in {value_range(x)}"
            + (" (divide a 0-255 image by 255)" if x.max() > 1.5 else "")
        )
    return x


def blend(image, colored, alpha: float = 0.4) -> np.ndarray:
    """Superimpose ``colored`` on ``image``: ``alpha * colored + (1 - alpha) * image``.

    Parameters
    ----------
    image : ndarray, shape ``(N, 3, H, W)`` or ``(3, H, W)``, RGB in [0, 1]
    colored : ndarray, same shape as ``image``, RGB in [0, 1]
        The coloured heatmap (:func:`numpy_gradcam.cam.colormaps.colormap`).
    alpha : float in [0, 1], default 0.4
        Transparency of the heatmap (not Grad-CAM's weights): 0 returns ``image``,
        1 returns ``colored``.

    Returns
    -------
    overlay : ndarray, the shape of ``image``, values in [0, 1]
    """
    image = _rgb_in_unit_range(image, "image")
    colored = _rgb_in_unit_range(colored, "colored")
    alpha = fraction(alpha, "alpha")
    if colored.shape != image.shape:
        raise ValueError(
            f"colored must have the shape of image {image.shape}, got shape {colored.shape}"
        )
    with np.errstate(under="ignore"):     # a subnormal alpha: its terms round to 0, as they should
        overlay = alpha * colored + (1 - alpha) * image
    return overlay
