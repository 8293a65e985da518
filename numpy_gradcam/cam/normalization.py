r"""Min-max normalisation of a map to [0, 1], one map at a time.

The overlay procedure (seed document 000, step 2) scales the map ``L^c`` to ``[0, 1]``
before it is upsampled and coloured:

.. math::

    L_{\mathrm{norm}} = \frac{L - \min L}{\max L - \min L}

with the minimum and maximum taken per image, over the last two axes ``(h, w)``.

Conventions (``eps`` defaults to ``1e-8``)
-----------------------------------------
* ``eps_in_denominator=False`` (default, the "paper" form): the equation above, and when the
  map is (nearly) constant, ``max L - min L <= eps``, the result is all zeros. An all-zero CAM
  (no positive evidence for the class) therefore stays all zeros, never NaN.
* ``eps_in_denominator=True``: ``(L - min L) / (max L - min L + eps)``, the form of
  pytorch-grad-cam (``pytorch_grad_cam/utils/image.py``, ``scale_cam_image``:
  ``img = img - np.min(img); img = img / (1e-7 + np.max(img))``). To reproduce it exactly use
  ``eps=1e-7``. Its maximum is slightly below 1, and a constant map also gives zeros.

Shapes: ``L`` is ``(N, h, w)`` (or ``(h, w)``, or ``(N, C, h, w)``); the output has the same
shape and dtype, with values in ``[0, 1]``.
"""

from __future__ import annotations

import numpy as np

from numpy_gradcam._validate import flag, float_array, nonnegative


def normalize(L, eps: float = 1e-8, eps_in_denominator: bool = False) -> np.ndarray:
    """Scale each map to ``[0, 1]``: ``(L - min L) / (max L - min L)``.

    Parameters
    ----------
    L : ndarray, shape ``(..., h, w)`` with 2 to 4 dimensions, float32 or float64
        The maps; each ``(h, w)`` slice is normalised on its own.
    eps : float >= 0, default 1e-8
        With ``eps_in_denominator=False``: a map whose range ``max L - min L`` is at most
        ``eps`` is returned as zeros. With ``eps_in_denominator=True``: added to the range.
    eps_in_denominator : bool, default False
        False: the paper's form with a zero-range guard. True: pytorch-grad-cam's form.

    Returns
    -------
    L_norm : ndarray, same shape and dtype as ``L``, values in ``[0, 1]``
    """
    L = float_array(L, "L", ndim=(2, 3, 4))
    eps = nonnegative(eps, "eps")
    eps_in_denominator = flag(eps_in_denominator, "eps_in_denominator")
    if L.shape[-2] == 0 or L.shape[-1] == 0:
        raise ValueError(
            f"L must have a non-empty height and width (last two axes), got shape {L.shape}"
        )

    L_min = L.min(axis=(-2, -1), keepdims=True)  # (..., 1, 1)
    L_max = L.max(axis=(-2, -1), keepdims=True)  # (..., 1, 1)
    L_range = L_max - L_min  # (..., 1, 1)

    if eps_in_denominator:
        return (L - L_min) / (L_range + L.dtype.type(eps))

    # A constant map has no "most important" region: map it to zeros instead of 0/0 = NaN.
    # Dividing by 1 where the map is constant keeps the division free of warnings.
    constant = L_range <= eps
    safe_range = np.where(constant, L.dtype.type(1), L_range)
    return np.where(constant, L.dtype.type(0), (L - L_min) / safe_range)
