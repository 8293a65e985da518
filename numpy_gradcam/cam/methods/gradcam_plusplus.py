r"""Grad-CAM++ (Chattopadhay, Sarkar, Howlader & Balasubramanian, WACV 2018, arXiv:1710.11063).

The channel weight is a *weighted* sum of the positive gradients, so that every location where a
feature map raises the score counts, not only the strongest (the paper's Eq. 7 for ``w`` and
its closed-form ``α``):

.. math::

    w^c_k = \sum_i \sum_j \alpha^{kc}_{ij} \,
            \mathrm{relu}\Big(\frac{\partial Y^c}{\partial A^k_{ij}}\Big), \qquad
    \alpha^{kc}_{ij} = \frac{\frac{\partial^2 Y^c}{(\partial A^k_{ij})^2}}
        {2 \frac{\partial^2 Y^c}{(\partial A^k_{ij})^2}
         + \sum_a \sum_b A^k_{ab} \frac{\partial^3 Y^c}{(\partial A^k_{ij})^3}}

and ``L^c = ReLU(Σ_k w^c_k A^k)`` as in Grad-CAM.

**Why the exponential.** A network of convolutions, ReLUs, max pools, BatchNorm (at inference)
and linear layers is *piecewise linear*: inside each linear piece the score ``S^c`` (the logit)
is an affine function of ``A``, so ``∂²S^c/∂A² = ∂³S^c/∂A³ = 0`` almost everywhere, and the
formula above would be ``0/0``. The paper therefore explains ``Y^c = exp(S^c)``:
with ``g = ∂S^c/∂A^k_{ij}``, the chain rule gives ``∂Y^c/∂A = exp(S^c) g``,
``∂²Y^c/∂A² = exp(S^c) g²`` and ``∂³Y^c/∂A³ = exp(S^c) g³``, so every higher derivative
is a power of the first and one backward pass suffices. ``exp(S^c)`` cancels in the ratio:

.. math::

    \alpha^{kc}_{ij} = \frac{g^2}{2 g^2 + \sum_a \sum_b A^k_{ab} \, g^3} \quad\text{(Eq. 19)}

Two forms, selected with ``gradcampp_form``:

- ``"paper"`` (default): the equations above with ``Y^c = exp(S^c)``, so
  ``w^c_k = exp(S^c) Σ_ij α_ij relu(g_ij)`` (the positive factor ``exp(S^c)`` scales the map and
  disappears in the min-max normalisation). ``α`` is 0 where its denominator is 0 (there
  ``g = 0``, or ``relu(g) = 0`` when ``A ≥ 0``), never NaN. It needs ``score="logit"``: the exp
  trick rests on ``S^c`` being piecewise linear, which the softmax is not.
- ``"pytorch-grad-cam"``: ``grad_cam_plusplus.py`` of pytorch-grad-cam: ``α = g² / (2g² +
  Σ_ab A_ab g³ + 1e-6)``, ``α = 0`` where ``g = 0``, ``w_k = Σ_ij relu(g_ij) α_ij`` — no
  ``exp(S^c)`` factor, and an epsilon in the denominator. Any ``score`` is accepted.

Shapes: ``A``, ``dy_dA`` ``(N, K, h, w)``; ``w`` ``(N, K)``.
"""

from __future__ import annotations

import numpy as np

from .base import Context, Method, choice

FORMS = ("paper", "pytorch-grad-cam")
#: pytorch-grad-cam's epsilon in the denominator of alpha.
PGC_EPS = 1e-6


def gradcampp_alpha(A: np.ndarray, g: np.ndarray, eps: float = 0.0) -> np.ndarray:
    """``α_ij = g² / (2g² + Σ_ab A_ab g³ + eps)`` ``(N, K, h, w)``; 0 where ``g = 0`` or where
    the denominator is 0."""
    g2 = g * g                                                          # (N, K, h, w)
    g3 = g2 * g
    sum_A = A.sum(axis=(2, 3), keepdims=True)                           # (N, K, 1, 1)
    denominator = 2 * g2 + sum_A * g3 + eps
    alpha = np.zeros_like(g)
    np.divide(g2, denominator, out=alpha, where=(denominator != 0) & (g != 0))
    return alpha


def gradcampp_weights(context: Context) -> np.ndarray:
    """``w`` ``(N, K)`` in the form ``context.options["gradcampp_form"]``."""
    form = context.options["gradcampp_form"]
    A, g = context.A, context.dy_dA                                     # (N, K, h, w)
    if form == "pytorch-grad-cam":
        alpha = gradcampp_alpha(A, g, eps=PGC_EPS)
        return (alpha * np.maximum(g, 0)).sum(axis=(2, 3))
    if context.score != "logit":
        raise ValueError("gradcampp_form='paper' needs score='logit' (its exp trick assumes a "
                         "piecewise-linear score); got score='softmax' — use "
                         "gradcampp_form='pytorch-grad-cam' for other scores")
    S = context.target_scores(context.trace.logits)                     # (N,) the logits S^c
    if context.counterfactual:
        S = -S                                      # explaining -S^c: Y = exp(-S^c), g = -∂S^c/∂A
    dY_dA = np.exp(S)[:, None, None, None] * g                          # ∂Y^c/∂A, (N, K, h, w)
    alpha = gradcampp_alpha(A, g)
    return (alpha * np.maximum(dY_dA, 0)).sum(axis=(2, 3))


GRADCAMPP = Method("gradcam++", gradcampp_weights, needs_gradient=True,
                   summary="weights = Σ α·relu(∂Y/∂A) with the closed-form α of Eq. 19",
                   options={"gradcampp_form": choice(FORMS, "the paper's exp form (default) or "
                                                     "pytorch-grad-cam's")})
