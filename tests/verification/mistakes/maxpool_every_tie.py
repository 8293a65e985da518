"""maxpool_backward: every pixel equal to its window's maximum gets dout (ties included)."""
import numpy as np


def maxpool_backward(dout, x, kernel, stride):
    dx = np.zeros_like(x)
    for y in range(dout.shape[2]):
        for x_ in range(dout.shape[3]):
            rows = slice(y * stride, y * stride + kernel)
            cols = slice(x_ * stride, x_ * stride + kernel)
            window = x[:, :, rows, cols]
            peak = window.max(axis=(2, 3), keepdims=True)
            dx[:, :, rows, cols] += (window == peak) * dout[:, :, y:y + 1, x_:x_ + 1]
    return dx
