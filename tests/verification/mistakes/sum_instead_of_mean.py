"""gap_weights: Σ_ij instead of (1/Z) Σ_ij."""


def gap_weights(dy_dA):
    return dy_dA.sum(axis=(2, 3))
