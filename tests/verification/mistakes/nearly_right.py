"""gap_weights off by a relative 1e-4 (a stray factor), and combine off by a relative 1e-8.

The checker's rtol is 1e-6: the first must fail, the second must pass.
"""
import numpy as np


def gap_weights(dy_dA):
    return dy_dA.mean(axis=(2, 3)) * (1 + 1e-4)


def combine(alpha, A):
    return np.maximum(np.einsum("nk,nkij->nij", alpha, A), 0) * (1 + 1e-8)
