r"""Ablation-CAM (Desai & Ramaswamy, *Ablation-CAM: Visual Explanations for Deep Convolutional
Network via Gradient-free Localization*, WACV 2020, §3).

Gradient-free: the weight of feature map ``A^k`` is the relative drop of the class score when
that map is removed (set to zero) and the rest of the network is run on the ablated activations:

.. math::

    w^c_k = \frac{y^c - y^c_k}{y^c}, \qquad
    L^c_{\text{Ablation-CAM}} = \mathrm{ReLU}\Big(\sum_k w^c_k A^k\Big)

where ``y^c_k`` is the score with ``A^k = 0``. Only the layers after the explained one are
re-run (:meth:`~numpy_gradcam.nn.Sequential.forward_from`), ``N·K`` of them, ``batch_size`` at a
time (option ``batch_size``, default 64). A map that its removal does not change (one already
zero everywhere, when removing writes 0) is not re-run: its weight is exactly 0.

Conventions: ``y^c`` is the logit (``score="softmax"`` uses the probability). When ``y^c = 0``
exactly, the division is skipped and the weight is the raw drop ``y^c - y^c_k``.

Variants (``ablationcam_variant``), which differ only in the value a removed map is set to:

- ``"paper"`` (default): 0.
- ``"pytorch-grad-cam"`` (``AblationLayer.__call__`` in ``ablation_layer.py`` of pytorch-grad-cam
  1.5, with ``AblationCAM``'s default ``batch_size=32``): 0 when the image's smallest activation
  ``m = min A`` is exactly 0 (a ReLU's output, commonly); otherwise a very negative value. The
  layer writes ``min(output) - 1e7`` into the ``i``-th copy of the activations of a batch, one
  copy after the other, and ``min(output)`` then includes the values it has already written: the
  ``i``-th map of a batch (``i = k mod 32``) is set to ``m - (i + 1)·1e7``, subtracted one
  ``1e7`` at a time in float32 (:func:`ablation_values`). Its weights are
  ``(y^c - y^c_k) / y^c`` as above (``AblationCAM.get_cam_weights``).

Shapes: ``A`` ``(N, K, h, w)``; ``w`` ``(N, K)``.
"""

from __future__ import annotations

import numpy as np

from ...fast.batches import run_batches
from .base import BATCH_SIZE, Context, Method, choice, live_maps

VARIANTS = ("paper", "pytorch-grad-cam")
#: pytorch-grad-cam's ``ABLATION_VALUE`` and ``AblationCAM``'s default ``batch_size``.
PGC_ABLATION_VALUE = np.float32(1e7)
PGC_BATCH_SIZE = 32


def ablation_values(A: np.ndarray, variant: str = "paper") -> np.ndarray:
    """The value ``(N, K)`` that removing map ``k`` of image ``n`` writes (module docstring)."""
    N, K = A.shape[:2]
    values = np.zeros((N, K), dtype=A.dtype)
    if variant == "paper":
        return values
    smallest = A.reshape(N, -1).min(axis=1)                            # (N,) m
    m = smallest.astype(np.float32)
    offsets = np.empty((N, PGC_BATCH_SIZE), dtype=np.float32)          # m - (i + 1)·1e7
    for i in range(PGC_BATCH_SIZE):
        m = m - PGC_ABLATION_VALUE                                     # float32, one at a time
        offsets[:, i] = m
    position = np.arange(K) % PGC_BATCH_SIZE                           # (K,) i within its batch
    shifted = smallest != 0                                            # (N,) not ablated to 0
    values[shifted] = offsets[shifted][:, position]
    return values


def ablated_scores(context: Context) -> np.ndarray:
    """``y^c_k`` ``(N, K)``: the score with feature map ``k`` of each image removed (set to its
    :func:`ablation_values`)."""
    model, A, layer = context.model, context.A, context.layer
    K = A.shape[1]
    y = context.target_scores(context.trace.logits)                    # (N,)
    values = ablation_values(A, context.options["ablationcam_variant"])    # (N, K)
    live = live_maps(A - values[:, :, None, None])                     # (P, 2) maps it changes

    def score(start: int, stop: int) -> np.ndarray:
        n, k = live[start:stop].T
        ablated = A[n].copy()                                          # (B, K, h, w)
        ablated[np.arange(len(n)), k] = values[n, k][:, None, None]
        return context.target_scores(model.forward_from(layer, ablated), context.targets[n])

    y_k = np.repeat(y[:, None], K, axis=1)                             # unchanged maps
    if len(live):
        y_k[live[:, 0], live[:, 1]] = run_batches(score, len(live), context.options["batch_size"],
                                                  "Ablation-CAM")
    return y_k


def ablationcam_weights(context: Context) -> np.ndarray:
    """``w`` ``(N, K)`` = ``(y^c - y^c_k) / y^c``."""
    y = context.target_scores(context.trace.logits)[:, None]           # (N, 1)
    drop = y - ablated_scores(context)                                 # (N, K)
    w = drop.copy()
    np.divide(drop, y, out=w, where=y != 0)
    return w


ABLATIONCAM = Method("ablationcam", ablationcam_weights, needs_gradient=False,
                     options={"ablationcam_variant": choice(VARIANTS, "ablate to 0 (default, "
                                                            "the paper's) or as pytorch-grad-cam"),
                              "batch_size": BATCH_SIZE},
                     summary="weights = relative score drop when the map is zeroed")
