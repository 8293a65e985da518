"""linear_backward: dw as x.T @ dout, (D, M), not PyTorch's (M, D)."""


def linear_backward(dout, x, w, b):
    return dout @ w, x.T @ dout, dout.sum(axis=0)
