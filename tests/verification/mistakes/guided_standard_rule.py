"""guided_relu_backward: the plain ReLU derivative, negative gradients not stopped."""


def guided_relu_backward(dout, x):
    return dout * (x > 0)
