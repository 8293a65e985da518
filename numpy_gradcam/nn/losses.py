r"""Softmax and the softmax cross-entropy loss, with its gradient written out.

.. math::

    p_{nc} = \operatorname{softmax}(z_n)_c = \frac{e^{z_{nc}}}{\sum_{c'} e^{z_{nc'}}}, \qquad
    \mathcal{L} = -\frac{1}{N} \sum_{n} \log p_{n y_n}

for logits ``z`` ``(N, C)`` and integer labels ``y`` ``(N,)`` in ``0 .. C-1``: the mean over the
batch, as ``torch.nn.functional.cross_entropy`` (``reduction="mean"``) computes it.

Derivation of the gradient. For one row, ``log p_{y} = z_y - log Σ_c' e^{z_c'}``, so

.. math::

    \frac{\partial (-\log p_y)}{\partial z_c} = -[c = y] + \frac{e^{z_c}}{\sum_{c'} e^{z_{c'}}}
    = p_c - [c = y],

and the mean over ``N`` rows divides by ``N``: ``dlogits = (softmax(z) - onehot(y)) / N``.

Numerical stability: ``softmax`` and ``log_softmax`` subtract each row's maximum first
(``softmax(z) = softmax(z - max z)``: the shift cancels in the ratio), so ``exp`` never overflows
and at least one term of each sum is ``e^0 = 1``, so the ``log`` never sees 0.
"""

from __future__ import annotations

import numpy as np

from .. import _validate


def log_softmax(z) -> np.ndarray:
    """``log softmax(z)`` along the last axis: ``z - max z - log Σ exp(z - max z)``."""
    z = _validate.float_array(z, "z")
    shifted = z - z.max(axis=-1, keepdims=True)                       # (..., C), max is 0
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(z) -> np.ndarray:
    """``softmax(z)`` along the last axis, computed as ``exp(z - max z) / Σ exp(z - max z)``."""
    z = _validate.float_array(z, "z")
    e = np.exp(z - z.max(axis=-1, keepdims=True))                     # (..., C), in (0, 1]
    return e / e.sum(axis=-1, keepdims=True)


def check_labels(labels, n: int, num_classes: int, name: str = "labels") -> np.ndarray:
    """``labels`` as an int64 array ``(n,)`` of class indices in ``0 .. num_classes-1``, checked."""
    if not isinstance(labels, np.ndarray):
        if isinstance(labels, (list, tuple)):
            labels = np.asarray(labels)
        else:
            raise TypeError(f"{name} must be an integer array of shape ({n},), got "
                            f"{_validate.describe(labels)}")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer class indices, got dtype {labels.dtype} "
                        f"(use labels.astype(np.int64) if they are whole numbers)")
    if labels.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), one class index per row of the "
                         f"logits, got shape {labels.shape}")
    if n and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)][0]
        raise ValueError(f"{name} must be class indices in 0 .. {num_classes - 1}, got {bad}")
    return labels.astype(np.int64, copy=False)


def softmax_cross_entropy(logits, labels) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of ``softmax(logits)`` against ``labels``, and its gradient.

    Parameters
    ----------
    logits : float array ``(N, C)``
        Class scores before the softmax (float32 or float64; the gradient keeps the dtype).
    labels : int array ``(N,)``
        The true class of each row, in ``0 .. C-1``.

    Returns
    -------
    loss : float
        ``-(1/N) Σ_n log softmax(z_n)[y_n]``.
    dlogits : array ``(N, C)``
        ``∂loss/∂logits = (softmax(z) - onehot(y)) / N`` (derived in the module docstring).
    """
    z = _validate.float_array(logits, "logits", ndim=2)
    N, C = z.shape
    if N == 0:
        raise ValueError(f"logits must hold at least one row, got shape {z.shape}")
    y = check_labels(labels, N, C)
    rows = np.arange(N)
    log_p = log_softmax(z)                                            # (N, C)
    loss = -float(log_p[rows, y].mean())
    dlogits = np.exp(log_p)                                           # softmax(z), (N, C)
    dlogits[rows, y] -= 1.0                                           # - onehot(y)
    dlogits /= N
    return loss, dlogits
