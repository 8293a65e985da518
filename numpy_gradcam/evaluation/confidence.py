r"""Average drop and increase in confidence (Chattopadhay, Sarkar, Howlader & Balasubramanian,
"Grad-CAM++: Improved Visual Explanations for Deep Convolutional Networks", WACV 2018, Sec. 5.1).

The *explanation map* of image ``I`` is ``E = L ⊙ I``: the image with every pixel dimmed by the
heatmap ``L`` ∈ [0, 1] (``L`` broadcast over the colour channels). If the map keeps what the
model needs, the model is about as confident on ``E`` as on ``I``. With ``Y^c`` the confidence
(softmax probability of the target class ``c``) on ``I`` and ``O^c`` on ``E``, over ``N`` images:

.. math::

    \text{Average Drop \%} = \frac{100}{N} \sum_n \frac{\max(0, Y^c_n - O^c_n)}{Y^c_n}
    \qquad
    \text{Increase in Confidence \%} = \frac{100}{N} \sum_n \mathbb{1}[Y^c_n < O^c_n]

Lower drop and higher increase are better. The functions here return the per-image terms; their
means (× 100) are the paper's numbers.
"""

from __future__ import annotations

import numpy as np

from .. import _validate
from .scoring import target_probabilities


def explanation_images(x, maps) -> np.ndarray:
    """``E = L ⊙ I``: images ``(N, C, H, W)`` times maps ``(N, H, W)`` in [0, 1]."""
    x, _ = _validate.images(x, "x")
    maps = _validate.float_array(maps, "maps", ndim=3)
    if maps.shape != (x.shape[0], *x.shape[2:]):
        raise ValueError(f"maps must have shape (N, H, W) = {(x.shape[0], *x.shape[2:])} to "
                         f"match x, got {maps.shape}")
    if maps.size and (maps.min() < 0 or maps.max() > 1):
        raise ValueError(f"maps must be in [0, 1] (normalised heatmaps), got values in "
                         f"[{maps.min():.3g}, {maps.max():.3g}]")
    return x * maps[:, None]                                            # (N, C, H, W)


def drop_and_increase(Y, O) -> tuple[np.ndarray, np.ndarray]:
    """Per-image terms from the confidences ``Y`` (on the image) and ``O`` (on ``E``), ``(N,)``:
    ``drop = max(0, Y - O) / Y`` (float, in [0, 1]) and ``increase = Y < O`` (bool)."""
    Y = _validate.float_array(Y, "Y", ndim=1)
    O = _validate.float_array(O, "O", ndim=1)
    if Y.shape != O.shape:
        raise ValueError(f"Y and O must have the same shape, got {Y.shape} and {O.shape}")
    if (Y <= 0).any():
        raise ValueError("Y must be > 0 (a softmax probability), got a value <= 0")
    return np.maximum(0.0, Y - O) / Y, Y < O


def confidence_change(model, x, maps, targets, Y=None) -> tuple[np.ndarray, np.ndarray]:
    """``(drop, increase)`` ``(N,)`` for the maps ``(N, H, W)`` of images ``x`` ``(N, C, H, W)``
    and classes ``targets`` ``(N,)``; ``Y`` (the confidences on ``x``) is computed if not given."""
    targets = np.asarray(targets)
    if Y is None:
        Y = target_probabilities(model, x, targets)
    O = target_probabilities(model, explanation_images(x, maps), targets)
    return drop_and_increase(Y, O)
