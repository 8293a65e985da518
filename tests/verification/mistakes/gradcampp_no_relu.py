"""gradcampp_weights: alpha right, but the gradient is not passed through a ReLU."""
import numpy as np


def gradcampp_weights(A, dy_dA):
    g = dy_dA
    denominator = 2 * g ** 2 + A.sum(axis=(2, 3), keepdims=True) * g ** 3
    ok = (g != 0) & (denominator != 0)
    alpha = np.where(ok, g ** 2 / np.where(ok, denominator, 1.0), 0.0)
    return (alpha * g).sum(axis=(2, 3))
