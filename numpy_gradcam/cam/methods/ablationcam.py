r"""Ablation-CAM (Desai & Ramaswamy, *Ablation-CAM: Visual Explanations for Deep Convolutional
Network via Gradient-free Localization*, WACV 2020, §3).

Gradient-free: the weight of feature map ``A^k`` is the relative drop of the class score when
that map is removed (set to zero) and the rest of the network is run on the ablated activations:

.. math::

    w^c_k = \frac{y^c - y^c_k}{y^c}, \qquad
    L^c_{\text{Ablation-CAM}} = \mathrm{ReLU}\Big(\sum_k w^c_k A^k\Big)

where ``y^c_k`` is the score with ``A^k = 0``. Only the layers after the explained one are
re-run (:meth:`~numpy_gradcam.nn.Sequential.forward_from`), ``N·K`` of them, ``batch_size`` at a
time (option ``batch_size``, default 64). A map that is already zero everywhere is not re-run:
its ablation changes nothing, so its weight is exactly 0.

Conventions: ``y^c`` is the logit (``score="softmax"`` uses the probability). When ``y^c = 0``
exactly, the division is skipped and the weight is the raw drop ``y^c - y^c_k``. pytorch-grad-cam
(``ablation_layer.py``) ablates to 0 only when the layer's minimum is 0 and to ``min - 1e7``
otherwise; here a map is always ablated to 0, as in the paper.

Shapes: ``A`` ``(N, K, h, w)``; ``w`` ``(N, K)``.
"""

from __future__ import annotations

import numpy as np

from ...fast.batches import run_batches
from .base import BATCH_SIZE, Context, Method, live_maps


def ablated_scores(context: Context) -> np.ndarray:
    """``y^c_k`` ``(N, K)``: the score with feature map ``k`` of each image set to zero."""
    model, A, layer = context.model, context.A, context.layer
    K = A.shape[1]
    y = context.target_scores(context.trace.logits)                    # (N,)
    live = live_maps(A)                                                # (P, 2) pairs (n, k)

    def score(start: int, stop: int) -> np.ndarray:
        n, k = live[start:stop].T
        ablated = A[n].copy()                                          # (B, K, h, w)
        ablated[np.arange(len(n)), k] = 0.0
        return context.target_scores(model.forward_from(layer, ablated), context.targets[n])

    y_k = np.repeat(y[:, None], K, axis=1)                             # dead maps: no change
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
                     options={"batch_size": BATCH_SIZE},
                     summary="weights = relative score drop when the map is zeroed")
