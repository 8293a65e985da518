"""Reference solutions of ``lessons/exercises/backprop_exercises.py``, in plain NumPy.

Written independently of the package (which is what the checker compares them with);
``numpy-gradcam check lessons/solutions/backprop_solutions.py`` passes them 100 %.
"""

import numpy as np


def maxpool_backward(dout, x, kernel, stride):
    """dout to the first maximum (row-major) of each window, accumulated: (N, C, H, W)."""
    dx = np.zeros_like(x)
    _, _, Ho, Wo = dout.shape
    for y in range(Ho):
        for x_ in range(Wo):
            rows = slice(y * stride, y * stride + kernel)
            cols = slice(x_ * stride, x_ * stride + kernel)
            window = x[:, :, rows, cols].reshape(x.shape[0], x.shape[1], -1)   # (N, C, k·k)
            first = window.argmax(axis=2)                 # argmax returns the first maximum
            i, j = np.divmod(first, kernel)
            for n in range(x.shape[0]):
                for c in range(x.shape[1]):
                    dx[n, c, y * stride + i[n, c], x_ * stride + j[n, c]] += dout[n, c, y, x_]
    return dx


def linear_backward(dout, x, w, b):
    """out = x @ w.T + b: dx = dout @ w, dw = dout.T @ x, db = Σ_n dout."""
    return dout @ w, dout.T @ x, dout.sum(axis=0)


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy and (softmax - onehot) / N, with the row maximum subtracted."""
    N = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(N)
    loss = -log_p[rows, labels].mean()
    dlogits = np.exp(log_p)
    dlogits[rows, labels] -= 1
    return loss, dlogits / N


def guided_relu_backward(dout, x):
    """dout · [x > 0] · [dout > 0]."""
    return dout * (x > 0) * (dout > 0)
