"""upsample_bilinear: corner-aligned sampling (align_corners=True) instead of half-pixel centres."""
import numpy as np


def _matrix(n_in, n_out):
    M = np.zeros((n_out, n_in))
    for o in range(n_out):
        src = o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        i0 = min(int(np.floor(src)), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        M[o, i0] += 1 - (src - i0)
        M[o, i1] += src - i0
    return M


def upsample_bilinear(L, size):
    H, W = size
    return _matrix(L.shape[1], H) @ L @ _matrix(L.shape[2], W).T
