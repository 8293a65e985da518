r"""The class-activation map: a weighted combination of the feature maps, then a ReLU.

Selvaraju et al., *Grad-CAM* (ICCV 2017; IJCV 2019), Eq. 2:

.. math::

    L^c = \mathrm{ReLU}\Big(\sum_k \alpha^c_k A^k\Big)

The ReLU keeps only the features with a *positive* influence on the class score ``y^c``
(the paper: negative pixels "are likely to belong to other categories").

Two kinds of weights are accepted:

* channel weights ``alpha`` of shape ``(N, K)`` (Grad-CAM, Grad-CAM++, XGrad-CAM, ...): one
  number per feature map, broadcast over its ``h x w`` positions;
* element-wise weights of shape ``(N, K, h, w)`` (HiResCAM, LayerCAM): one number per
  activation, ``L = ReLU(Σ_k alpha^k ⊙ A^k)``.

Conventions
-----------
``relu=True`` (default, the paper). ``relu=False`` returns the signed map ``Σ_k alpha_k A^k``.
The paper's counterfactual explanation (regions whose removal would raise ``y^c``) uses
``-∂y^c/∂A``, hence ``-alpha``: it is ``combine(-alpha, A)``, which equals
``ReLU(-combine(alpha, A, relu=False))``.

Shapes: ``A`` is ``(N, K, h, w)``; ``L`` is ``(N, h, w)``. The output dtype is NumPy's
promotion of ``alpha``'s and ``A``'s dtypes (float64 unless both are float32).
"""

from __future__ import annotations

import numpy as np

from numpy_gradcam._validate import flag, float_array


def combine(alpha, A, relu: bool = True) -> np.ndarray:
    """``L = ReLU(Σ_k alpha_k A^k)`` (Eq. 2), or the signed sum with ``relu=False``.

    Parameters
    ----------
    alpha : ndarray, shape ``(N, K)`` or ``(N, K, h, w)``
        Channel weights (one per feature map) or element-wise weights (one per activation).
    A : ndarray, shape ``(N, K, h, w)``
        Activations of the target layer.
    relu : bool, default True
        Apply the ReLU of Eq. 2. ``False`` gives the signed map.

    Returns
    -------
    L : ndarray, shape ``(N, h, w)``
    """
    A = float_array(A, "A", ndim=4)
    alpha = float_array(alpha, "alpha", ndim=(2, 4))
    relu = flag(relu, "relu")

    N, K = A.shape[:2]
    if alpha.ndim == 2:
        if alpha.shape != (N, K):
            raise ValueError(
                f"alpha of channel weights must have shape (N, K) = {(N, K)} to match "
                f"A of shape {A.shape}, got shape {alpha.shape}"
            )
        alpha = alpha[:, :, None, None]  # (N, K, 1, 1): the same weight at every position
    elif alpha.shape != A.shape:
        raise ValueError(
            f"alpha of element-wise weights must have A's shape (N, K, h, w) = {A.shape}, "
            f"got shape {alpha.shape}"
        )

    L = (alpha * A).sum(axis=1)  # (N, h, w): Σ over the K feature maps
    if relu:
        L = np.maximum(L, 0)
    return L
