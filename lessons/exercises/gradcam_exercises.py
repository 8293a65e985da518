"""Grad-CAM exercises: fill in each function, then check your work with

    numpy-gradcam check gradcam_exercises.py
    numpy-gradcam check gradcam_exercises.py --only gap_weights

Use NumPy only (not numpy_gradcam: that is the reference you are checked against, and a file
that imports or calls it is refused with a score of 0). Every array is float64; a shape
``(N, K, h, w)`` means N images, K feature maps of h x w. The checker draws shapes and values with
Hypothesis and compares with np.allclose(rtol=1e-6, atol=1e-8); when something is wrong it
shows the smallest input it could find that still fails.
"""

import numpy as np  # noqa: F401  (you will need it)


def gap_weights(dy_dA):
    r"""Grad-CAM's channel weights (Selvaraju et al., Eq. 1): global average pooling.

    .. math:: \alpha^c_k = \frac{1}{Z} \sum_i \sum_j \frac{\partial y^c}{\partial A^k_{ij}},
              \qquad Z = h \cdot w

    dy_dA : (N, K, h, w), the gradient of the class score y^c with respect to A.
    Returns alpha : (N, K).
    """
    raise NotImplementedError


def combine(alpha, A):
    r"""The class-activation map (Eq. 2): a weighted sum of the feature maps, then a ReLU.

    .. math:: L^c = \mathrm{ReLU}\Big(\sum_k \alpha^c_k A^k\Big)

    alpha : (N, K) channel weights; A : (N, K, h, w) activations.
    Returns L : (N, h, w), never negative.
    """
    raise NotImplementedError


def normalize(L):
    r"""Min-max normalisation of each map to [0, 1].

    .. math:: L_{norm} = \frac{L - \min L}{\max L - \min L}

    min and max are taken per map (over h and w). A constant map (max - min <= 1e-8) becomes
    all zeros, never NaN.
    L : (N, h, w). Returns (N, h, w) with values in [0, 1].
    """
    raise NotImplementedError


def upsample_bilinear(L, size):
    r"""Bilinear upsampling of each map to size = (H, W) (height first, never (width, height)).

    Half-pixel centres (PyTorch's align_corners=False): output pixel o of n_out samples the
    input (length n_in) at src = (o + 0.5) * n_in / n_out - 0.5, clamped below at 0; it takes
    (1 - t) * L[i0] + t * L[i1] with i0 = floor(src), i1 = min(i0 + 1, n_in - 1),
    t = src - i0. Do this along the rows, then along the columns (the two steps are linear
    and commute).

    L : (N, h, w); size : (H, W). Returns heatmap : (N, H, W).
    """
    raise NotImplementedError


def blend(image, colored, alpha):
    r"""Superimpose the coloured heatmap on the image.

    .. math:: I_{out} = \alpha H_{colored} + (1 - \alpha) I

    image, colored : (N, 3, H, W) RGB in [0, 1] (RGB, not OpenCV's BGR); alpha : float in
    [0, 1] (the heatmap's weight: 0 gives the image back). Returns overlay : (N, 3, H, W).
    """
    raise NotImplementedError


def relu_backward(dout, x):
    r"""The backward pass of out = max(x, 0).

    .. math:: dx = dout \cdot [x > 0]

    At exactly x == 0 the derivative is taken to be 0 (PyTorch's convention): any value in
    [0, 1] is a valid subgradient, but the checker expects 0, so use ``x > 0``, not
    ``x >= 0``.
    dout, x : the same shape (any). Returns dx : x's shape.
    """
    raise NotImplementedError


def conv_backward(dout, x, w, b, stride=1, padding=0):
    r"""The backward pass of a 2-D convolution (cross-correlation, as in PyTorch).

    Forward: out[n, f, y, x] = b[f] + Σ_c Σ_i Σ_j w[f, c, i, j] · x_p[n, c, y·s + i, x·s + j]
    with x_p the input zero-padded by ``padding`` on each side and s = ``stride``.

    dout : (N, F, Ho, Wo) with Ho = (H + 2·padding - kh) // stride + 1 (Wo likewise);
    x : (N, C, H, W); w : (F, C, kh, kw); b : (F,); stride, padding : ints.
    Returns (dx, dw, db) with the shapes of x, w and b:
        dx_p[n, c, y·s + i, x·s + j] += w[f, c, i, j] · dout[n, f, y, x]   (then crop the pad)
        dw[f, c, i, j] = Σ_{n, y, x} dout[n, f, y, x] · x_p[n, c, y·s + i, x·s + j]
        db[f] = Σ_{n, y, x} dout[n, f, y, x]
    """
    raise NotImplementedError


def gradcam(A, dy_dA, size):
    r"""Grad-CAM end to end, from the target layer's A and ∂y^c/∂A to the heatmap.

    heatmap = upsample_bilinear(normalize(combine(gap_weights(dy_dA), A)), size)

    (alpha = sum instead of mean only changes the map's scale, which the min-max
    normalisation removes: that mistake passes here; gap_weights catches it.)
    A, dy_dA : (N, K, h, w); size : (H, W). Returns heatmap : (N, H, W) in [0, 1].
    """
    raise NotImplementedError


def gradcampp_weights(A, dy_dA):
    r"""Grad-CAM++'s channel weights (Chattopadhay et al. 2018, Eq. 7 and Eq. 19).

    .. math:: w_k = \sum_i \sum_j \alpha_{ij} \, \mathrm{relu}(g_{ij}), \qquad
              \alpha_{ij} = \frac{g_{ij}^2}{2 g_{ij}^2 + \sum_a \sum_b A_{ab} \, g_{ij}^3}

    with g = dy_dA. The sum over a, b is over the whole map of the same channel. Where g == 0
    (or the denominator is 0) take alpha = 0, never NaN. (The paper's exp(S^c) factor is
    left out: it scales every weight alike, which the normalisation removes.)
    A : (N, K, h, w), never negative (after a ReLU); dy_dA : (N, K, h, w).
    Returns w : (N, K).
    """
    raise NotImplementedError


def scorecam_weights(logits, baseline, c):
    r"""Score-CAM's channel weights (Wang et al. 2020, §3): the increase of confidence.

    .. math:: \alpha_k = \mathrm{softmax}(f(X \circ H^k))_c - \mathrm{softmax}(f(X_b))_c

    logits : (N, K, C), the logits of image n masked by its k-th upsampled, normalised map;
    baseline : (C,), the logits of the baseline (black) image X_b; c : (N,) int, the class
    explained for each image. The softmax is over the C classes.
    Returns alpha : (N, K).
    """
    raise NotImplementedError
