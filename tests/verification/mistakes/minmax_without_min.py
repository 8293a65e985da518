"""normalize: L / max L, the minimum never subtracted."""
import numpy as np


def normalize(L):
    peak = L.max(axis=(1, 2), keepdims=True)
    return np.where(peak > 0, L / np.where(peak > 0, peak, 1.0), 0.0)
