"""The model's confidence in a class: what the perturbation metrics measure.

Shared by :mod:`~numpy_gradcam.evaluation.deletion` and
:mod:`~numpy_gradcam.evaluation.confidence`. The score is the **softmax probability** of the
target class (RISE and the Grad-CAM++ paper's "confidence"), from forward passes in batches,
through the compiled inference forward of :mod:`numpy_gradcam.fast` on the worker threads.
These are scores, not derivatives: by default the perturbed images are passed in float32 (the
engine keeps float32, four times as fast as float64 here; probabilities agree to ~1e-6).
"""

from __future__ import annotations

import numpy as np

from ..fast import fast_forward
from ..nn.losses import softmax

#: Images per forward pass (bounds the memory of the perturbed batches).
BATCH_SIZE = 256


def target_probabilities(model, x: np.ndarray, targets: np.ndarray,
                         dtype=np.float32, batch_size: int = BATCH_SIZE) -> np.ndarray:
    """``p(c_n | x_n)`` ``(N,)`` float64: the softmax probability of ``targets[n]`` on image
    ``x[n]`` ``(N, C, H, W)``."""
    out = np.empty(len(x))
    forward = fast_forward(model)
    for start in range(0, len(x), batch_size):
        stop = start + batch_size
        logits = forward(x[start:stop].astype(dtype, copy=False))      # (B, classes)
        p = softmax(logits.astype(np.float64))
        out[start:stop] = p[np.arange(len(p)), targets[start:stop]]
    return out
