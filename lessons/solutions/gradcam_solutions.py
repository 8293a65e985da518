"""Reference solutions of ``lessons/exercises/gradcam_exercises.py``, in plain NumPy.

They are written independently of the package (which is what the checker compares them with),
and ``numpy-gradcam check lessons/solutions/gradcam_solutions.py`` passes them 100 %.
"""

import numpy as np


def gap_weights(dy_dA):
    """alpha^c_k = (1/Z) Σ_ij ∂y^c/∂A^k_ij: (N, K, h, w) → (N, K)."""
    h, w = dy_dA.shape[2:]
    Z = h * w
    return dy_dA.sum(axis=(2, 3)) / Z


def combine(alpha, A):
    """L = ReLU(Σ_k alpha_k A^k): (N, K), (N, K, h, w) → (N, h, w)."""
    L = np.einsum("nk,nkij->nij", alpha, A)  # the sum over k first ...
    return np.maximum(L, 0)                  # ... then the ReLU


def normalize(L):
    """(L - min L) / (max L - min L) per map; a constant map gives zeros."""
    L_min = L.min(axis=(1, 2), keepdims=True)  # (N, 1, 1)
    L_range = L.max(axis=(1, 2), keepdims=True) - L_min
    constant = L_range <= 1e-8
    return np.where(constant, 0.0, (L - L_min) / np.where(constant, 1.0, L_range))


def _linear_matrix(n_in, n_out):
    """(n_out, n_in) weights of 1-D linear interpolation with half-pixel centres."""
    M = np.zeros((n_out, n_in))
    for o in range(n_out):
        src = max((o + 0.5) * n_in / n_out - 0.5, 0.0)
        i0 = min(int(np.floor(src)), n_in - 1)
        i1 = min(i0 + 1, n_in - 1)
        t = src - i0
        M[o, i0] += 1 - t
        M[o, i1] += t
    return M


def upsample_bilinear(L, size):
    """Bilinear, align_corners=False: (N, h, w) → (N, H, W)."""
    H, W = size
    h, w = L.shape[1:]
    rows, cols = _linear_matrix(h, H), _linear_matrix(w, W)  # (H, h), (W, w)
    return rows @ L @ cols.T


def blend(image, colored, alpha):
    """alpha·colored + (1 - alpha)·image, both RGB (N, 3, H, W)."""
    return alpha * colored + (1 - alpha) * image


def relu_backward(dout, x):
    """dout · [x > 0]: the derivative at exactly 0 is 0."""
    return dout * (x > 0)


def conv_backward(dout, x, w, b, stride=1, padding=0):
    """(dx, dw, db) of the cross-correlation, with explicit loops over the output pixels."""
    _N, _C, H, W = x.shape
    _F, _, kh, kw = w.shape
    _, _, Ho, Wo = dout.shape
    p, s = padding, stride
    x_p = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dx_p = np.zeros_like(x_p)
    dw = np.zeros_like(w)
    for y in range(Ho):
        for x_ in range(Wo):
            window = x_p[:, :, y * s:y * s + kh, x_ * s:x_ * s + kw]       # (N, C, kh, kw)
            g = dout[:, :, y, x_]                                          # (N, F)
            dx_p[:, :, y * s:y * s + kh, x_ * s:x_ * s + kw] += np.einsum("nf,fcij->ncij", g, w)
            dw += np.einsum("nf,ncij->fcij", g, window)
    dx = dx_p[:, :, p:p + H, p:p + W]
    db = dout.sum(axis=(0, 2, 3))
    return dx, dw, db


def gradcam(A, dy_dA, size):
    """upsample(normalize(ReLU(Σ_k alpha_k A^k))), alpha = GAP of dy_dA."""
    return upsample_bilinear(normalize(combine(gap_weights(dy_dA), A)), size)


def gradcampp_weights(A, dy_dA):
    """w_k = Σ_ij alpha_ij relu(g_ij), alpha = g² / (2g² + (Σ_ab A_ab) g³), 0 where undefined."""
    g = dy_dA                                                   # (N, K, h, w)
    sum_A = A.sum(axis=(2, 3), keepdims=True)                   # (N, K, 1, 1)
    numerator = g ** 2
    denominator = 2 * g ** 2 + sum_A * g ** 3
    defined = (g != 0) & (denominator != 0)
    alpha = np.where(defined, numerator / np.where(defined, denominator, 1.0), 0.0)
    return (alpha * np.maximum(g, 0)).sum(axis=(2, 3))


def _softmax(z):
    """softmax over the last axis, shifted by the maximum so that exp never overflows."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def scorecam_weights(logits, baseline, c):
    """softmax(logits[n, k])[c_n] - softmax(baseline)[c_n]: (N, K, C), (C,), (N,) → (N, K)."""
    p = _softmax(logits)                                        # (N, K, C)
    p_baseline = _softmax(baseline)                             # (C,)
    rows = np.arange(len(c))
    return p[rows, :, c] - p_baseline[c][:, None]
