"""Backpropagation exercises: fill in each function, then check your work with

    numpy-gradcam check backprop_exercises.py
    numpy-gradcam check backprop_exercises.py --only maxpool_backward

Use NumPy only (not numpy_gradcam: that is the reference you are checked against, and a file
that imports or calls it is refused with a score of 0). Every array is float64; a shape
``(N, K, h, w)`` means N images, K feature maps of h x w. The checker draws shapes and values with
Hypothesis and compares with np.allclose(rtol=1e-6, atol=1e-8); when something is wrong it
shows the smallest input it could find that still fails.
"""

import numpy as np  # noqa: F401  (you will need it)


def maxpool_backward(dout, x, kernel, stride):
    r"""The backward pass of 2-D max pooling (no padding), as PyTorch's MaxPool2d.

    Forward: out[n, c, y, x] = max_{i, j < kernel} x[n, c, y·s + i, x·s + j], s = stride.
    Each dout[n, c, y, x] goes to the input pixel that gave the window's maximum, and to that
    one only: on a tie, the first maximum in row-major order (i, then j), as PyTorch. Where
    windows overlap (stride < kernel) a pixel collects the gradient of every window it is the
    maximum of.

    dout : (N, C, Ho, Wo), Ho = (H - kernel) // stride + 1 (Wo likewise); x : (N, C, H, W);
    kernel, stride : ints. Returns dx : (N, C, H, W).
    """
    raise NotImplementedError


def linear_backward(dout, x, w, b):
    r"""The backward pass of a fully connected layer in PyTorch's layout.

    Forward: out = x @ w.T + b, i.e. out[n, m] = Σ_d x[n, d] w[m, d] + b[m].

    dout : (N, M); x : (N, D); w : (M, D) (out_features first, as PyTorch's Linear.weight);
    b : (M,). Returns (dx, dw, db) with the shapes of x, w and b.
    """
    raise NotImplementedError


def softmax_cross_entropy(logits, labels):
    r"""The mean cross-entropy of the softmax, and its gradient.

    .. math:: \mathrm{loss} = -\frac{1}{N} \sum_n \log \mathrm{softmax}(z_n)_{y_n}, \qquad
              \frac{\partial\,\mathrm{loss}}{\partial z} = \frac{\mathrm{softmax}(z) -
              \mathrm{onehot}(y)}{N}

    Subtract each row's maximum before the exponential: logits of 1000 must not overflow.
    logits : (N, C) float; labels : (N,) int in 0 .. C-1.
    Returns (loss, dlogits): a float and an (N, C) array.
    """
    raise NotImplementedError


def guided_relu_backward(dout, x):
    r"""Guided backpropagation's rule through a ReLU (Springenberg et al. 2015, Fig. 1).

    .. math:: dx = dout \cdot [x > 0] \cdot [dout > 0]

    Only positive gradient flows back, and only where the unit was active (x > 0; at x == 0
    nothing flows, as in the standard rule).
    dout, x : (N, C, H, W). Returns dx : (N, C, H, W).
    """
    raise NotImplementedError
