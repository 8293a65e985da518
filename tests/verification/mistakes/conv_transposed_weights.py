"""conv_backward: dx computed with the kernel transposed, w[f, c, j, i]."""
import numpy as np


def conv_backward(dout, x, w, b, stride=1, padding=0):
    _N, _C, H, W = x.shape
    _F, _, kh, kw = w.shape
    p, s = padding, stride
    x_p = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dx_p, dw = np.zeros_like(x_p), np.zeros_like(w)
    wt = w.transpose(0, 1, 3, 2)
    for y in range(dout.shape[2]):
        for x_ in range(dout.shape[3]):
            g = dout[:, :, y, x_]
            dx_p[:, :, y * s:y * s + kh, x_ * s:x_ * s + kw] += np.einsum("nf,fcij->ncij", g, wt)
            dw += np.einsum("nf,ncij->fcij", g, x_p[:, :, y * s:y * s + kh, x_ * s:x_ * s + kw])
    return dx_p[:, :, p:p + H, p:p + W], dw, dout.sum(axis=(0, 2, 3))
