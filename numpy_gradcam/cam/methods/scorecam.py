r"""Score-CAM (Wang, Wang, Du, Yang, Zhang, Ding, Mardziel & Hu, *Score-CAM: Score-Weighted
Visual Explanations for Convolutional Neural Networks*, CVPR Workshops 2020, §3).

Gradient-free: each feature map, upsampled and scaled to [0, 1], is used as a mask on the input,
and the weight of the map is how much the masked input alone raises the class's confidence
(the paper's "increase of confidence", Definition 2):

.. math::

    H^k = s\big(\mathrm{Up}(A^k)\big), \qquad
    \alpha^c_k = C(A^k) = f^c(X \circ H^k) - f^c(X_b), \qquad
    L^c_{\text{Score-CAM}} = \mathrm{ReLU}\Big(\sum_k \alpha^c_k A^k\Big)

with ``Up`` bilinear upsampling to the input size, ``s`` min-max normalisation to [0, 1], ``∘``
the element-wise product (the mask multiplies every colour channel) and ``X_b`` a baseline image.

Variants (``scorecam_variant``):

- ``"paper"`` (default): ``f^c`` is the softmax probability of class ``c``; the baseline is the
  black image ``X_b = 0``; ``Up`` uses the pipeline's ``align_corners`` (default False, half-pixel
  centres); ``s`` is :func:`~numpy_gradcam.cam.normalization.normalize` (a constant map becomes
  the all-zero mask).
- ``"pytorch-grad-cam"`` (``score_cam.py`` of pytorch-grad-cam): ``f^c`` is the *logit*, no
  baseline, and the weights are a softmax over the channels, ``α_k = softmax_k(f^c(X ∘ H^k))``;
  ``Up`` is ``UpsamplingBilinear2d`` (corner-aligned, ``align_corners=True``) and
  ``s(U) = (U - min U) / (max U - min U + 1e-8)``.

Cost: one forward pass per feature map and image, ``N·K`` in all, run ``batch_size`` at a time
(option ``batch_size``, default 64), with the compiled inference forward of
:mod:`numpy_gradcam.fast`, one batch per worker thread at once (masks included). A feature map
that is zero everywhere (a dead ReLU channel, common after training) gives the all-zero mask in
both variants, whose masked input is the black image: its score is computed once for all of
them, not once per channel.

Shapes: ``x`` ``(N, C, H, W)``, ``A`` ``(N, K, h, w)``, masks ``(N, K, H, W)`` (built one batch at
a time), ``alpha`` ``(N, K)``.
"""

from __future__ import annotations

import numpy as np

from ...fast import fast_forward
from ...fast.batches import run_batches
from ...nn.losses import softmax
from .. import normalization, upsampling
from .base import BATCH_SIZE, Context, Method, choice, live_maps

VARIANTS = ("paper", "pytorch-grad-cam")
#: pytorch-grad-cam's epsilon in the mask's min-max normalisation.
PGC_EPS = 1e-8


def masks(A: np.ndarray, size: tuple[int, int], variant: str = "paper",
          align_corners: bool = False) -> np.ndarray:
    """``H^k = s(Up(A^k))`` ``(M, K, H, W)`` for ``A`` ``(M, K, h, w)``, in [0, 1]."""
    if variant == "pytorch-grad-cam":
        U = upsampling.upsample(A, size, mode="bilinear", align_corners=True)
        U_min = U.min(axis=(2, 3), keepdims=True)                        # (M, K, 1, 1)
        U_max = U.max(axis=(2, 3), keepdims=True)
        return (U - U_min) / (U_max - U_min + PGC_EPS)
    U = upsampling.upsample(A, size, mode="bilinear", align_corners=align_corners)
    return normalization.normalize(U)


def masked_logits(context: Context, variant: str) -> tuple[np.ndarray, np.ndarray]:
    """Logits of every masked input ``(N, K, classes)`` and of the black image ``(classes,)``."""
    model, x, A = context.model, context.x, context.A
    forward = fast_forward(model)           # serial inside run_batches' workers
    N, K = A.shape[:2]
    size = x.shape[2:]
    blank = forward(np.zeros_like(x[:1]))[0]                     # (classes,)
    live = live_maps(A)                                                # (P, 2) pairs (n, k)

    def score(start: int, stop: int) -> np.ndarray:
        n, k = live[start:stop].T
        H = masks(A[n, k][:, None], size, variant, context.align_corners)   # (B, 1, H, W)
        return forward(x[n] * H)                                 # (B, classes)

    logits = np.empty((N, K, blank.shape[0]), dtype=blank.dtype)
    logits[:] = blank                                                  # dead channels: X ∘ 0 = 0
    if len(live):
        logits[live[:, 0], live[:, 1]] = run_batches(score, len(live),
                                                     context.options["batch_size"], "Score-CAM")
    return logits, blank


def scorecam_weights(context: Context) -> np.ndarray:
    """``alpha`` ``(N, K)`` in the variant ``context.options["scorecam_variant"]``."""
    variant = context.options["scorecam_variant"]
    logits, blank = masked_logits(context, variant)                    # (N, K, classes)
    c = context.targets[:, None]                                       # (N, 1)
    if variant == "pytorch-grad-cam":
        y = np.take_along_axis(logits, c[..., None], axis=2)[..., 0]    # (N, K) logits y^c
        return softmax(y)                                              # softmax over channels
    p = np.take_along_axis(softmax(logits), c[..., None], axis=2)[..., 0]   # (N, K)
    p_b = softmax(blank[None])[0][context.targets]                     # (N,) baseline f^c(X_b)
    return p - p_b[:, None]


SCORECAM = Method("scorecam", scorecam_weights, needs_gradient=False, uses_score=False,
                  options={"scorecam_variant": choice(VARIANTS, "the paper's (default) or "
                                                      "pytorch-grad-cam's"),
                           "batch_size": BATCH_SIZE},
                  summary="weights = the confidence of the input masked by each map")
