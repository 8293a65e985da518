"""scorecam_weights: the masked input's confidence, the baseline's not subtracted."""
import numpy as np


def scorecam_weights(logits, baseline, c):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    return p[np.arange(len(c)), :, c]
