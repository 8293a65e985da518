"""normalize: subtracts min L, but one min and max for the whole batch, not one per map."""
import numpy as np


def normalize(L):
    lo, hi = L.min(), L.max()
    if hi - lo <= 1e-8:
        return np.zeros_like(L)
    return (L - lo) / (hi - lo)
