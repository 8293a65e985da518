r"""Eigen-CAM (Muhammad & Yeasin, *Eigen-CAM: Class Activation Map using Principal Components*,
IJCNN 2020).

Class-agnostic and gradient-free: the map is the projection of the activations on their first
principal direction. With ``A`` of one image reshaped to ``O`` ``(h·w, K)`` (one row per
location) and its singular value decomposition ``O = U Σ Vᵀ``,

.. math::

    L_{\text{Eigen-CAM}} = O \, V_1 \quad\text{reshaped to } (h, w), \qquad
    \text{i.e. } \alpha_k = V_{1k}, \; L = \sum_k \alpha_k A^k

Variants (``eigencam_variant``):

- ``"paper"`` (default): the SVD of ``O`` itself.
- ``"pytorch-grad-cam"``: ``get_2d_projection`` of pytorch-grad-cam 1.5
  (``utils/svd_on_activations.py``) centres each channel first, ``O - mean_ij O``, and projects
  the centred ``O`` (so the map sums to zero) on ``VT[0, :]`` of ``np.linalg.svd(O,
  full_matrices=True)``, with the sign that call returns (below).

**Sign convention.** A singular vector is defined up to its sign. The paper variant chooses the
sign with ``Σ_k V_1k ≥ 0``. Since ``Oᵀ O V_1 = σ_1² V_1``, the projection's inner product with the
summed activation map ``O 1`` is ``σ_1² Σ_k V_1k``: the convention makes the map correlate
positively with the total activation (for ``A ≥ 0`` without centring, ``V_1`` is then
non-negative, by Perron–Frobenius). If ``Σ_k V_1k = 0`` exactly, the largest ``|V_1k|`` (first of
them) is made positive. pytorch-grad-cam keeps whatever sign LAPACK's SVD (``gesdd``, through
NumPy) returns, and so does its variant here: the same call on the same matrix gives the same
sign. (The library decomposes float32 activations with ``full_matrices=True``, we the working
dtype's without the unused columns of ``U``: LAPACK returned the same sign of ``V_1`` for both, on
every matrix tried; the stages are tested equal to the library's in
``tests/cam/presets/test_pytorch_grad_cam.py``.)

Shapes: ``A`` ``(N, K, h, w)``; ``alpha`` ``(N, K)``; ``L`` ``(N, h, w)``.
"""

from __future__ import annotations

import numpy as np

from .base import Context, Method, choice

VARIANTS = ("paper", "pytorch-grad-cam")


def _centred(context: Context) -> bool:
    return context.options["eigencam_variant"] == "pytorch-grad-cam"


def _observations(A: np.ndarray, centre: bool) -> np.ndarray:
    """``O`` ``(N, h·w, K)``: one row per location; channel-centred if ``centre``."""
    N, K = A.shape[:2]
    O = A.reshape(N, K, -1).transpose(0, 2, 1)                         # (N, h·w, K)
    return O - O.mean(axis=1, keepdims=True) if centre else O


def svd_component(O: np.ndarray) -> np.ndarray:
    """``V_1`` ``(N, K)`` of each ``O`` ``(N, M, K)``, with the sign the SVD returns."""
    _, _, Vt = np.linalg.svd(O, full_matrices=False)                   # Vt (N, min(M,K), K)
    return Vt[:, 0, :]                                                  # (N, K)


def first_component(O: np.ndarray) -> np.ndarray:
    """``V_1`` ``(N, K)`` of each ``O`` ``(N, M, K)``, with the sign convention above."""
    V1 = svd_component(O)                                               # (N, K)
    total = V1.sum(axis=1)                                              # (N,)
    largest = V1[np.arange(len(V1)), np.abs(V1).argmax(axis=1)]         # (N,)
    sign = np.where(total != 0, np.sign(total), np.sign(largest))
    sign = np.where(sign == 0, 1.0, sign)                               # an all-zero O
    return V1 * sign[:, None]


def eigencam_weights(context: Context) -> np.ndarray:
    """``alpha = V_1`` ``(N, K)``: the paper variant's sign, or the SVD's (pytorch-grad-cam)."""
    if _centred(context):
        return svd_component(_observations(context.A, centre=True))
    return first_component(_observations(context.A, centre=False))


def eigencam_map(context: Context, alpha: np.ndarray) -> np.ndarray:
    """``L = O V_1`` ``(N, h, w)``, signed (the pipeline applies the ReLU)."""
    N, _, h, w = context.A.shape
    O = _observations(context.A, _centred(context))                    # (N, h·w, K)
    return np.einsum("nmk,nk->nm", O, alpha).reshape(N, h, w)


EIGENCAM = Method("eigencam", eigencam_weights, needs_gradient=False, uses_score=False,
                  cam=eigencam_map,
                  options={"eigencam_variant": choice(VARIANTS, "uncentred SVD (default, the "
                                                      "paper's) or pytorch-grad-cam's centred one "
                                                      "with its SVD sign")},
                  summary="the projection of A on its first principal direction")
