r"""2-D convolution (cross-correlation, as in PyTorch), forward and backward.

.. math::

    \text{out}[n, f, y, x] = b_f + \sum_{c} \sum_{i < k_h} \sum_{j < k_w}
        W[f, c, i, j] \; x_p[n, c, y s_h + i, x s_w + j]

with ``x_p`` the input zero-padded by ``padding``. Shapes: ``x`` ``(N, C, H, W)``, ``W``
``(F, C, kh, kw)`` (PyTorch's layout), ``b`` ``(F,)``, ``out`` ``(N, F, Ho, Wo)`` with
``Ho = (H + 2·ph - kh) // sh + 1``.

The local derivatives, read off the sum above:

- ``dx_p[n, c, y·sh + i, x·sw + j] += W[f, c, i, j] · dout[n, f, y, x]`` (a transposed convolution),
- ``dW[f, c, i, j] = Σ_{n, y, x} dout[n, f, y, x] · x_p[n, c, y·sh + i, x·sw + j]``,
- ``db[f] = Σ_{n, y, x} dout[n, f, y, x]``.

Two versions: ``conv2d_forward_loops``/``conv2d_backward_loops`` spell the sums out with
Python loops (read these first); ``conv2d_forward``/``conv2d_backward`` compute the same with
im2col and one BLAS matrix product, and are tested against the loops.
"""

from __future__ import annotations

import numpy as np

from .. import _validate
from .im2col import col2im, col2im_wide, im2col, im2col_wide, output_size, pad
from .init import kaiming_uniform
from .layer import Layer

CHUNK = 8   # images per col2im pass in the input gradient


def conv2d_forward_loops(x, weight, bias, stride=(1, 1), padding=(0, 0)):
    """The convolution as seven nested sums; slow, and the definition the fast one must meet.

    Returns ``(out, cache)``: ``out`` ``(N, F, Ho, Wo)``, and for
    :func:`conv2d_backward_loops` ``cache = (x, weight, has_bias, stride, padding)``: ``x``
    ``(N, C, H, W)`` unpadded, ``weight`` ``(F, C, kh, kw)``, ``has_bias`` whether ``bias`` was
    given (without it ``db`` is None), ``stride`` ``(sh, sw)`` and ``padding`` ``(ph, pw)``.
    """
    N, _, H, W = x.shape
    F, _, kh, kw = weight.shape
    (sh, sw), (ph, pw) = stride, padding
    Ho, Wo = output_size(H, kh, sh, ph), output_size(W, kw, sw, pw)
    xp = pad(x, padding)
    out = np.zeros((N, F, Ho, Wo), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for y in range(Ho):
                for x_ in range(Wo):
                    window = xp[n, :, y * sh:y * sh + kh, x_ * sw:x_ * sw + kw]  # (C, kh, kw)
                    out[n, f, y, x_] = np.sum(window * weight[f])
            if bias is not None:
                out[n, f] += bias[f]
    return out, (x, weight, bias is not None, stride, padding)


def conv2d_backward_loops(dout, cache):
    """The derivatives of :func:`conv2d_forward_loops`, one loop per sum; returns ``dx, dw, db``."""
    x, weight, has_bias, stride, padding = cache
    N, _, H, W = x.shape
    F, _, kh, kw = weight.shape
    (sh, sw), (ph, pw) = stride, padding
    _, _, Ho, Wo = dout.shape
    xp = pad(x, padding)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(weight)
    for n in range(N):
        for f in range(F):
            for y in range(Ho):
                for x_ in range(Wo):
                    g = dout[n, f, y, x_]
                    dxp[n, :, y * sh:y * sh + kh, x_ * sw:x_ * sw + kw] += weight[f] * g
                    dw[f] += xp[n, :, y * sh:y * sh + kh, x_ * sw:x_ * sw + kw] * g
    dx = dxp[:, :, ph:ph + H, pw:pw + W]
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dw, db


def _columns(x, kernel, stride, padding):
    """``im2col(x)``: the "wide" layout ``(N, C·kh·kw, Ho·Wp)`` for stride 1 (whole-row copies;
    see :func:`im2col_wide`), else ``(N, C·kh·kw, Ho·Wo)``."""
    if stride == (1, 1):
        return im2col_wide(x, kernel, padding)
    return im2col(x, kernel, stride, padding)


def conv2d_forward(x, weight, bias, stride=(1, 1), padding=(0, 0), keep_cols=True):
    """Fast convolution: ``out = W2 @ im2col(x) + b``, one batched BLAS product.

    ``x`` ``(N, C, H, W)``, ``weight`` ``(F, C, kh, kw)``, ``bias`` ``(F,)`` or None →
    ``(out (N, F, Ho, Wo), cache)``. Stride 1 uses the "wide" im2col, whose extra columns are
    dropped from the product.

    ``cache = (x, cols, weight, has_bias, stride, padding)``: ``x`` ``(N, C, H, W)`` unpadded;
    ``cols`` ``im2col(x)``, ``(N, C·kh·kw, Ho·Wp)`` for stride 1 (the wide layout, ``Wp = W +
    2·pw``), else ``(N, C·kh·kw, Ho·Wo)``, and None unless ``keep_cols``; ``weight``
    ``(F, C, kh, kw)``; ``has_bias`` whether ``bias`` was given (without it ``db`` is None);
    ``stride`` ``(sh, sw)``; ``padding`` ``(ph, pw)``.

    ``cols`` is kept for the weight gradient only if ``keep_cols`` (training). Without it
    :func:`conv2d_backward_params` rebuilds ``cols`` from ``x``: Grad-CAM's backward
    needs only the input gradient, and ``cols`` is ``kh·kw`` times the size of ``x`` — kept for
    every convolution of a traced batch it is most of the trace's memory, and allocating it
    fresh on every call costs more (page faults) than building it.
    """
    N, C, H, W = x.shape
    F, _, kh, kw = weight.shape
    Ho, Wo = output_size(H, kh, stride[0], padding[0]), output_size(W, kw, stride[1], padding[1])
    cols = _columns(x, (kh, kw), stride, padding)         # (N, C·kh·kw, Ho·Wp or Ho·Wo)
    out = np.matmul(weight.reshape(F, C * kh * kw), cols) # (N, F, Ho·Wp) or (N, F, Ho·Wo)
    out = out.reshape(N, F, Ho, -1)[..., :Wo]             # drop the wide columns, if any
    # One pass both adds the bias and makes the output contiguous (the wide view is not).
    if bias is not None:
        out = np.add(out, bias[:, None, None])            # broadcast over pixels
    else:
        out = np.ascontiguousarray(out)
    return out, (x, cols if keep_cols else None, weight, bias is not None, stride, padding)


def _dout_as_cols(dout, cache):
    """``dout`` ``(..., N, F, Ho, Wo)`` → ``(T·N, F, P)`` in the column layout of ``cols``.

    For the wide layout the extra columns are zero, so they contribute nothing to ``dw`` and
    ``dcols``.
    """
    x, _, _, _, stride, padding = cache
    F, Ho, Wo = dout.shape[-3:]
    width = x.shape[3] + 2 * padding[1] if stride == (1, 1) else Wo    # Wp (wide) or Wo
    d = dout.reshape(-1, F, Ho, Wo)
    if width != Wo:
        wide = np.zeros((d.shape[0], F, Ho, width), dtype=dout.dtype)
        wide[..., :Wo] = d
        d = wide
    return d.reshape(-1, F, Ho * width)


def conv2d_backward_input(dout, cache):
    """``dx`` only (what Grad-CAM needs): ``dx = col2im(W2ᵀ @ dout)``.

    ``dout`` ``(..., N, F, Ho, Wo)``: leading axes (many targets at once) are allowed.
    """
    x, _, weight, _, stride, padding = cache
    x_shape = x.shape
    F, C, kh, kw = weight.shape
    lead = dout.shape[:-4]
    d = _dout_as_cols(dout, cache)                        # (T·N, F, P)
    W2 = weight.reshape(F, C * kh * kw).astype(dout.dtype, copy=False)
    dx = np.empty((d.shape[0], *x_shape[1:]), dtype=dout.dtype)
    # A few images at a time: dcols of a whole batch is several times larger than the input
    # and col2im is memory-bound, so chunks that stay in cache are faster than one big pass.
    for start in range(0, d.shape[0], CHUNK):
        chunk = slice(start, start + CHUNK)
        dcols = np.matmul(W2.T, d[chunk])                 # (chunk, C·kh·kw, P)
        shape = (dcols.shape[0], *x_shape[1:])
        if stride == (1, 1):
            dx[chunk] = col2im_wide(dcols, shape, (kh, kw), padding)
        else:
            dx[chunk] = col2im(dcols, shape, (kh, kw), stride, padding)
    return dx.reshape(*lead, *x_shape)


def conv2d_backward_params(dout, cache):
    """``dw = Σ_n dout_n @ cols_nᵀ`` and ``db = Σ dout``; ``dout`` ``(N, F, Ho, Wo)``."""
    x, cols, weight, has_bias, stride, padding = cache
    if cols is None:                                      # evaluation mode: rebuild it
        cols = _columns(x, weight.shape[2:], stride, padding)
    d = _dout_as_cols(dout, cache)                        # (N, F, P)
    dw = np.matmul(d, cols.transpose(0, 2, 1)).sum(axis=0).reshape(weight.shape)
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return dw, db


def conv2d_backward(dout, cache):
    """``dx, dw, db`` for :func:`conv2d_forward`; ``dout`` ``(N, F, Ho, Wo)``."""
    return (conv2d_backward_input(dout, cache), *conv2d_backward_params(dout, cache))


class Conv2d(Layer):
    """``Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True)``.

    PyTorch's signature and parameter layout: ``weight`` ``(out, in, kh, kw)``, ``bias`` ``(out,)``.
    Initialised like PyTorch (uniform in ``±1/sqrt(fan_in)``) from ``rng`` (a seed or Generator).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 rng=0):
        super().__init__()
        self.in_channels = _validate.positive_int(in_channels, "in_channels")
        self.out_channels = _validate.positive_int(out_channels, "out_channels")
        self.kernel_size = _validate.pair(kernel_size, "kernel_size")
        self.stride = _validate.pair(stride, "stride")
        self.padding = _validate.pair(padding, "padding", minimum=0)
        gen = _validate.rng(rng)
        kh, kw = self.kernel_size
        fan_in = in_channels * kh * kw
        self.params = {"weight": kaiming_uniform(gen, (out_channels, in_channels, kh, kw), fan_in)}
        if bias:
            self.params["bias"] = kaiming_uniform(gen, (out_channels,), fan_in)

    def forward(self, x, train=False):
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"x must have shape (N, {self.in_channels}, H, W) for {self!r}, got {x.shape}"
            )
        kh, kw = self.kernel_size
        if x.shape[2] + 2 * self.padding[0] < kh or x.shape[3] + 2 * self.padding[1] < kw:
            raise ValueError(
                f"x of spatial size {x.shape[2:]} is smaller than the kernel {self.kernel_size} "
                f"of {self!r} (after padding {self.padding})"
            )
        weight = self.params["weight"].astype(x.dtype, copy=False)
        bias = self.params.get("bias")
        bias = None if bias is None else bias.astype(x.dtype, copy=False)
        return conv2d_forward(x, weight, bias, self.stride, self.padding, keep_cols=train)

    def backward_input(self, dout, cache):
        return conv2d_backward_input(dout, cache)

    def backward_params(self, dout, cache):
        dw, db = conv2d_backward_params(dout, cache)
        return {"weight": dw} if db is None else {"weight": dw, "bias": db}

    def __repr__(self):
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, bias={'bias' in self.params})")
