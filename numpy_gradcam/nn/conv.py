r"""2-D convolution (cross-correlation, as in PyTorch), in ``G`` groups, forward and backward.

.. math::

    \text{out}[n, f, y, x] = b_f + \sum_{c < C/G} \sum_{i < k_h} \sum_{j < k_w}
        W[f, c, i, j] \; x_p[n, g(f) \tfrac{C}{G} + c, y s_h + i, x s_w + j],
    \qquad g(f) = \lfloor f / \tfrac{F}{G} \rfloor

with ``x_p`` the input zero-padded by ``padding``. The ``G = groups`` groups are independent
convolutions side by side: filter ``f`` belongs to group ``g(f)`` and sees only that group's
``C/G`` input channels. ``G = 1`` is the ordinary convolution (every filter sees every
channel); ``G = C`` is the *depthwise* one (MobileNetV2, EfficientNet), where filter ``f``
sees channel ``f // (F/C)`` alone. Shapes: ``x`` ``(N, C, H, W)``, ``W`` ``(F, C/G, kh, kw)``
(PyTorch's layout), ``b`` ``(F,)``, ``out`` ``(N, F, Ho, Wo)`` with
``Ho = (H + 2·ph - kh) // sh + 1``; ``G`` divides both ``C`` and ``F``.

The local derivatives, read off the sum above:

- ``dx_p[n, g(f)·C/G + c, y·sh + i, x·sw + j] += W[f, c, i, j] · dout[n, f, y, x]`` (a
  transposed convolution),
- ``dW[f, c, i, j] = Σ_{n, y, x} dout[n, f, y, x] · x_p[n, g(f)·C/G + c, y·sh + i, x·sw + j]``,
- ``db[f] = Σ_{n, y, x} dout[n, f, y, x]``.

Three versions: ``conv2d_forward_loops``/``conv2d_backward_loops`` spell the sums out with
Python loops, group by group (read these first); ``conv2d_forward``/``conv2d_backward``
compute the same with im2col and a BLAS product per group (one batched product over a group
axis); and the depthwise case, which has no matrix product worth the name (each output is a
sum of ``kh·kw`` terms), goes from there to ``depthwise_conv2d_forward``/``_backward_input``/
``_backward_params``, which add up ``kh·kw`` shifted copies of the input, each times its
per-channel weight. The fast versions are tested against the loops. ``groups`` is read back
from the shapes in the backward pass: ``G = C // W.shape[1]``.

Why the depthwise version looks as it does: forward + input gradient + weight gradient of
``x`` ``(8, 96, 56, 56)`` float32, 3×3 kernel, padding 1, one core (best of many runs on a
shared 2-core AMD EPYC; timings there vary by ±20 %):

=============================================  ==========  ==========
formulation                                     stride 1    stride 2
=============================================  ==========  ==========
im2col + a product per channel (group axis)       52 ms       21 ms
``Σ_ij w_ij · x_p[.., i::sh, j::sw]`` (views)      34 ms       12 ms
flat runs over stride phases, whole batch         23 ms       12 ms
flat runs over stride phases, by chunks (this)    17 ms      9.5 ms
torch 2.13 ``conv2d(groups=96)``, one thread       6 ms      2.3 ms
=============================================  ==========  ==========

Each of the ``kh·kw`` terms costs two NumPy passes over the output (a product into a
temporary, then a sum), and nothing can fuse them. What bounds the speed is how fast those
passes run: a shifted view of an ``(H, W)`` plane is made of runs of only ``Wo`` numbers, too
short for NumPy's inner loop, whereas on the flattened plane every shift is one contiguous
run (:func:`split_phases`), and a chunk of one or two images keeps the passes in cache. The
18 passes of the stride-1 forward take 3.7 ms of its 6; torch's kernel reads the input once.
For the weight gradient, a batch of BLAS dot products beats ``einsum`` (4 ms against 6.5).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate
from .im2col import col2im, col2im_wide, im2col, im2col_wide, output_size, pad
from .init import kaiming_uniform
from .layer import Layer

CHUNK = 8   # images per col2im pass in the input gradient
DEPTHWISE_CHUNK = 2**17   # outputs per chunk of the depthwise passes (512 KiB of float32)


def _check_groups(x, weight, groups):
    """Raise ``ValueError`` unless ``x`` ``(N, C, H, W)`` and ``weight`` ``(F, C/G, kh, kw)``
    fit ``groups = G``: ``G`` divides ``F``, and ``weight`` has ``C/G`` input channels."""
    C, (F, Cg) = x.shape[1], weight.shape[:2]
    if groups < 1 or F % groups or Cg * groups != C:
        raise ValueError(f"weight of shape {weight.shape} does not fit x of shape {x.shape} in "
                         f"groups={groups}: expected weight (F, {C}/groups, kh, kw) with groups "
                         f"dividing F and C")


def _groups(x, weight):
    """``G``, read off the shapes: ``weight`` is ``(F, C/G, kh, kw)`` for ``x`` ``(N, C, H, W)``."""
    return x.shape[1] // weight.shape[1]


def _is_depthwise(x, weight):
    """Whether every group is one input channel (``G = C > 1``): the depthwise convolution."""
    return weight.shape[1] == 1 and x.shape[1] > 1


def conv2d_forward_loops(x, weight, bias, stride=(1, 1), padding=(0, 0), groups=1):
    """The convolution as eight nested sums; slow, and the definition the fast ones must meet.

    Returns ``(out, cache)``: ``out`` ``(N, F, Ho, Wo)``, and for
    :func:`conv2d_backward_loops` ``cache = (x, weight, has_bias, stride, padding)``: ``x``
    ``(N, C, H, W)`` unpadded, ``weight`` ``(F, C/G, kh, kw)``, ``has_bias`` whether ``bias``
    was given (without it ``db`` is None), ``stride`` ``(sh, sw)`` and ``padding`` ``(ph, pw)``.
    """
    _check_groups(x, weight, groups)
    N, _, H, W = x.shape
    F, Cg, kh, kw = weight.shape
    Fg = F // groups
    (sh, sw), (ph, pw) = stride, padding
    Ho, Wo = output_size(H, kh, sh, ph), output_size(W, kw, sw, pw)
    xp = pad(x, padding)
    out = np.zeros((N, F, Ho, Wo), dtype=x.dtype)
    for n in range(N):
        for g in range(groups):
            channels = slice(g * Cg, (g + 1) * Cg)          # the inputs group g sees
            for f in range(g * Fg, (g + 1) * Fg):           # the filters of group g
                for y in range(Ho):
                    for x_ in range(Wo):
                        window = xp[n, channels, y * sh:y * sh + kh, x_ * sw:x_ * sw + kw]
                        out[n, f, y, x_] = np.sum(window * weight[f])   # (C/G, kh, kw) summed
                if bias is not None:
                    out[n, f] += bias[f]
    return out, (x, weight, bias is not None, stride, padding)


def conv2d_backward_loops(dout, cache):
    """The derivatives of :func:`conv2d_forward_loops`, one loop per sum; returns ``dx, dw, db``."""
    x, weight, has_bias, stride, padding = cache
    N, _, H, W = x.shape
    F, Cg, kh, kw = weight.shape
    groups = _groups(x, weight)
    Fg = F // groups
    (sh, sw), (ph, pw) = stride, padding
    _, _, Ho, Wo = dout.shape
    xp = pad(x, padding)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(weight)
    for n in range(N):
        for g in range(groups):
            channels = slice(g * Cg, (g + 1) * Cg)
            for f in range(g * Fg, (g + 1) * Fg):
                for y in range(Ho):
                    for x_ in range(Wo):
                        rows, cols = slice(y * sh, y * sh + kh), slice(x_ * sw, x_ * sw + kw)
                        d = dout[n, f, y, x_]
                        dxp[n, channels, rows, cols] += weight[f] * d
                        dw[f] += xp[n, channels, rows, cols] * d
    dx = dxp[:, :, ph:ph + H, pw:pw + W]
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, dw, db


def _columns(x, kernel, stride, padding):
    """``im2col(x)``: the "wide" layout ``(N, C·kh·kw, Ho·Wp)`` for stride 1 (whole-row copies;
    see :func:`im2col_wide`), else ``(N, C·kh·kw, Ho·Wo)``."""
    if stride == (1, 1):
        return im2col_wide(x, kernel, padding)
    return im2col(x, kernel, stride, padding)


def conv2d_forward(x, weight, bias, stride=(1, 1), padding=(0, 0), keep_cols=True, groups=1):
    """Fast convolution: ``out_g = W_g @ im2col(x)_g + b``, one batched BLAS product.

    ``x`` ``(N, C, H, W)``, ``weight`` ``(F, C/G, kh, kw)``, ``bias`` ``(F,)`` or None →
    ``(out (N, F, Ho, Wo), cache)``. The rows of ``im2col(x)`` run over ``(c, i, j)``, so
    group ``g`` owns the ``g``-th block of ``C/G·kh·kw`` rows, as it owns the ``g``-th block of
    ``F/G`` filters: a group axis turns the groups into one batched product (one product for
    ``G = 1``). Stride 1 uses the "wide" im2col, whose extra columns are dropped from the
    product. Depthwise weights (``G = C > 1``) go to :func:`depthwise_conv2d_forward`.

    ``cache = (x, cols, weight, has_bias, stride, padding)``: ``x`` ``(N, C, H, W)`` unpadded;
    ``cols`` ``im2col(x)``, ``(N, C·kh·kw, Ho·Wp)`` for stride 1 (the wide layout, ``Wp = W +
    2·pw``), else ``(N, C·kh·kw, Ho·Wo)``, and None unless ``keep_cols`` (always None for
    depthwise weights); ``weight`` ``(F, C/G, kh, kw)``; ``has_bias`` whether ``bias`` was
    given (without it ``db`` is None); ``stride`` ``(sh, sw)``; ``padding`` ``(ph, pw)``.

    ``cols`` is kept for the weight gradient only if ``keep_cols`` (training). Without it
    :func:`conv2d_backward_params` rebuilds ``cols`` from ``x``: Grad-CAM's backward
    needs only the input gradient, and ``cols`` is ``kh·kw`` times the size of ``x`` — kept for
    every convolution of a traced batch it is most of the trace's memory, and allocating it
    fresh on every call costs more (page faults) than building it.
    """
    _check_groups(x, weight, groups)
    if _is_depthwise(x, weight):
        return depthwise_conv2d_forward(x, weight, bias, stride, padding)
    N, _, H, W = x.shape
    F, Cg, kh, kw = weight.shape
    G = groups
    Ho, Wo = output_size(H, kh, stride[0], padding[0]), output_size(W, kw, stride[1], padding[1])
    cols = _columns(x, (kh, kw), stride, padding)       # (N, C·kh·kw, P), P = Ho·Wp or Ho·Wo
    W3 = weight.reshape(G, F // G, Cg * kh * kw)
    out = np.matmul(W3, cols.reshape(N, G, Cg * kh * kw, -1))   # (N, G, F/G, P)
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
    """``dx`` only (what Grad-CAM needs): ``dx = col2im(W_gᵀ @ dout_g)``, group by group.

    ``dout`` ``(..., N, F, Ho, Wo)``: leading axes (many targets at once) are allowed.
    """
    x, _, weight, _, stride, padding = cache
    if _is_depthwise(x, weight):
        return depthwise_conv2d_backward_input(dout, cache)
    x_shape = x.shape
    F, Cg, kh, kw = weight.shape
    G = _groups(x, weight)
    lead = dout.shape[:-4]
    d = _dout_as_cols(dout, cache)                        # (T·N, F, P)
    d = d.reshape(d.shape[0], G, F // G, -1)              # (T·N, G, F/G, P)
    W3 = weight.reshape(G, F // G, Cg * kh * kw).astype(dout.dtype, copy=False)
    dx = np.empty((d.shape[0], *x_shape[1:]), dtype=dout.dtype)
    # A few images at a time: dcols of a whole batch is several times larger than the input
    # and col2im is memory-bound, so chunks that stay in cache are faster than one big pass.
    for start in range(0, d.shape[0], CHUNK):
        chunk = slice(start, start + CHUNK)
        dcols = np.matmul(W3.transpose(0, 2, 1), d[chunk])  # (chunk, G, C/G·kh·kw, P)
        dcols = dcols.reshape(dcols.shape[0], -1, dcols.shape[-1])   # (chunk, C·kh·kw, P)
        shape = (dcols.shape[0], *x_shape[1:])
        if stride == (1, 1):
            dx[chunk] = col2im_wide(dcols, shape, (kh, kw), padding)
        else:
            dx[chunk] = col2im(dcols, shape, (kh, kw), stride, padding)
    return dx.reshape(*lead, *x_shape)


def conv2d_backward_params(dout, cache):
    """``dw_g = Σ_n dout_{n,g} @ cols_{n,g}ᵀ`` and ``db = Σ dout``; ``dout`` ``(N, F, Ho, Wo)``."""
    x, cols, weight, has_bias, stride, padding = cache
    if _is_depthwise(x, weight):
        return depthwise_conv2d_backward_params(dout, cache)
    F, Cg, kh, kw = weight.shape
    G = _groups(x, weight)
    if cols is None:                                      # evaluation mode: rebuild it
        cols = _columns(x, (kh, kw), stride, padding)
    N = cols.shape[0]
    d = _dout_as_cols(dout, cache).reshape(N, G, F // G, -1)            # (N, G, F/G, P)
    cols = cols.reshape(N, G, Cg * kh * kw, -1)                         # (N, G, C/G·kh·kw, P)
    dw = np.matmul(d, cols.transpose(0, 1, 3, 2)).sum(axis=0).reshape(weight.shape)
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return dw, db


def conv2d_backward(dout, cache):
    """``dx, dw, db`` for :func:`conv2d_forward`; ``dout`` ``(N, F, Ho, Wo)``."""
    return (conv2d_backward_input(dout, cache), *conv2d_backward_params(dout, cache))


# --- depthwise: a sum of kh·kw shifted copies ---------------------------------------------------

def _phase_grid(H, W, stride, padding):
    """``(Hq, Wq)``: the size of each stride phase of the padded ``(H, W)`` input,
    ``⌈Hp / sh⌉ × ⌈Wp / sw⌉`` (see :func:`split_phases`)."""
    (sh, sw), (ph, pw) = stride, padding
    return math.ceil((H + 2 * ph) / sh), math.ceil((W + 2 * pw) / sw)


def _offset_run(i, j, stride, Wq):
    """``(phase, start)``: where kernel offset ``(i, j)``'s run begins in :func:`split_phases`."""
    sh, sw = stride
    return (i % sh) * sw + j % sw, (i // sh) * Wq + j // sw


def split_phases(x, stride, padding):
    """The padded input cut by stride phase and flattened, so that every kernel offset reads
    one contiguous run: ``(N, C, H, W)`` → ``q`` ``(N, C, sh·sw, (Hq + 1)·Wq)``.

    ``q[n, c, a·sw + b, r·Wq + s] = x_p[n, c, r·sh + a, s·sw + b]`` (0 past the edge), with
    ``Hq = ⌈Hp / sh⌉``, ``Wq = ⌈Wp / sw⌉``. Kernel offset ``(i, j) = (i'·sh + a, j'·sw + b)``
    reads, for output ``(y, x)``, ``x_p[(y + i')·sh + a, (x + j')·sw + b]``: phase ``(a, b)``
    shifted by ``(i', j')`` at stride 1. With the outputs laid out on the phase's width,
    ``p = y·Wq + x`` (as :func:`im2col_wide` does for stride 1), that is
    ``q[n, c, a·sw + b, i'·Wq + j' + p]`` for ``p < Ho·Wq``: one slice, the *run* of ``(i, j)``.
    Columns ``x >= Wo`` are "wide" ones that belong to no output (dropped afterwards), and the
    extra zero row gives the last run its full length. Stride 1 has one phase, ``x_p`` itself.
    """
    N, C, H, W = x.shape
    (sh, sw), (ph, pw) = stride, padding
    Hq, Wq = _phase_grid(H, W, stride, padding)
    # Pad to exactly (Hq + 1)·sh × Wq·sw, so that every phase has the shape (Hq + 1, Wq).
    xp = np.pad(x, [(0, 0), (0, 0), (ph, sh * (Hq + 1) - H - ph), (pw, sw * Wq - W - pw)])
    if stride == (1, 1):
        return xp.reshape(N, C, 1, (Hq + 1) * Wq)
    q = np.empty((N, C, sh * sw, Hq + 1, Wq), dtype=x.dtype)
    for a in range(sh):
        for b in range(sw):
            q[:, :, a * sw + b] = xp[:, :, a::sh, b::sw]
    return q.reshape(N, C, sh * sw, (Hq + 1) * Wq)


def merge_phases(dq, input_shape, stride, padding):
    """The adjoint of :func:`split_phases`: ``dq`` ``(N, C, sh·sw, (Hq + 1)·Wq)`` → ``dx``
    ``(N, C, H, W)``; what lands on the padding or past the edge is dropped."""
    N, C, H, W = input_shape
    (sh, sw), (ph, pw) = stride, padding
    Hq, Wq = _phase_grid(H, W, stride, padding)
    dxp = np.empty((N, C, (Hq + 1) * sh, Wq * sw), dtype=dq.dtype)
    for a in range(sh):
        for b in range(sw):
            dxp[:, :, a::sh, b::sw] = dq[:, :, a * sw + b].reshape(N, C, Hq + 1, Wq)
    return dxp[:, :, ph:ph + H, pw:pw + W]


def _chunks(count, numbers_per_item):
    """Slices of ``range(count)`` of about :data:`DEPTHWISE_CHUNK` numbers each, so that the
    ``2·kh·kw`` passes over a chunk find it in cache."""
    step = max(1, DEPTHWISE_CHUNK // numbers_per_item)
    return [slice(start, start + step) for start in range(0, count, step)]


def _wide(d, Wq):
    """``d`` ``(..., Ho, Wo)`` laid out on the width ``Wq``, zero in the wide columns:
    ``(..., Ho·Wq)``, so that the wide columns add nothing to a gradient."""
    wide = np.zeros((*d.shape[:-1], Wq), dtype=d.dtype)
    wide[..., :d.shape[-1]] = d
    return wide.reshape(*d.shape[:-2], -1)


def depthwise_conv2d_forward(x, weight, bias, stride=(1, 1), padding=(0, 0)):
    r"""The depthwise convolution (``G = C``), ``k = F/C`` filters per channel, as ``kh·kw``
    shifted copies of the input each times its per-channel weight (for ``k = 1`` eq. 3 of
    Howard et al. 2017, *MobileNets*):

    .. math::

        \text{out}[n, ck + m, y, x] = b_{ck + m} + \sum_{i < k_h} \sum_{j < k_w}
            W[ck + m, 0, i, j] \; x_p[n, c, y s_h + i, x s_w + j]

    ``x`` ``(N, C, H, W)``, ``weight`` ``(F, 1, kh, kw)``, ``bias`` ``(F,)`` or None →
    ``(out (N, F, Ho, Wo), cache)``, the cache of :func:`conv2d_forward` with ``cols`` None.
    Each shift is one slice of :func:`split_phases`, a few images at a time.
    """
    N, C, H, W = x.shape
    F, _, kh, kw = weight.shape
    k = F // C
    Ho, Wo = output_size(H, kh, stride[0], padding[0]), output_size(W, kw, stride[1], padding[1])
    _, Wq = _phase_grid(H, W, stride, padding)
    L = Ho * Wq                                           # outputs on the wide grid p = y·Wq + x
    w = weight.reshape(C, k, kh, kw)
    out = np.empty((N, F, Ho, Wo), dtype=x.dtype)
    for chunk in _chunks(N, F * L):
        q = split_phases(x[chunk], stride, padding)       # (n, C, sh·sw, (Hq+1)·Wq)
        wide = np.zeros((q.shape[0], C, k, L), dtype=x.dtype)   # (n, C, k, L)
        for i in range(kh):
            for j in range(kw):
                phase, start = _offset_run(i, j, stride, Wq)
                run = q[:, :, phase, start:start + L]     # (n, C, L): x_p shifted by (i, j)
                for m in range(k):
                    wide[:, :, m] += w[:, m, i, j, None] * run
        # Drop the wide columns and add the bias while the chunk is still in cache.
        wide = wide.reshape(-1, F, Ho, Wq)[..., :Wo]      # (n, F, Ho, Wo)
        out[chunk] = wide if bias is None else wide + bias[:, None, None]
    return out, (x, None, weight, bias is not None, stride, padding)


def depthwise_conv2d_backward_input(dout, cache):
    """``dx`` of :func:`depthwise_conv2d_forward`: the run of ``(i, j)`` in ``dx_p``'s phases
    receives ``W[c·k + m, 0, i, j] · dout[n, c·k + m]``, summed over ``m``.

    ``dout`` ``(..., N, F, Ho, Wo)``: leading axes (many targets at once) are allowed.
    """
    x, _, weight, _, stride, padding = cache
    _, C, H, W = x.shape
    F, _, kh, kw = weight.shape
    k = F // C
    (sh, sw), (Ho, Wo) = stride, dout.shape[-2:]
    Hq, Wq = _phase_grid(H, W, stride, padding)
    L = Ho * Wq
    lead = dout.shape[:-4]
    d = dout.reshape(-1, C, k, Ho, Wo)                    # (T·N, C, k, Ho, Wo)
    w = weight.reshape(C, k, kh, kw).astype(dout.dtype, copy=False)
    dx = np.empty((d.shape[0], C, H, W), dtype=dout.dtype)
    for chunk in _chunks(d.shape[0], F * L):
        d_n = _wide(d[chunk], Wq)                         # (n, C, k, L)
        dq = np.zeros((d_n.shape[0], C, sh * sw, (Hq + 1) * Wq), dtype=dout.dtype)
        for i in range(kh):
            for j in range(kw):
                phase, start = _offset_run(i, j, stride, Wq)
                for m in range(k):
                    dq[:, :, phase, start:start + L] += w[:, m, i, j, None] * d_n[:, :, m]
        dx[chunk] = merge_phases(dq, (d_n.shape[0], C, H, W), stride, padding)
    return dx.reshape(*lead, *x.shape)


def depthwise_conv2d_backward_params(dout, cache):
    """``dW[c·k + m, 0, i, j] = Σ_{n,y,x} dout[n, c·k + m, y, x] · x_p[n, c, y·sh + i, x·sw + j]``
    (the run of ``(i, j)`` against ``dout``) and ``db = Σ dout``; ``dout`` ``(N, F, Ho, Wo)``."""
    x, _, weight, has_bias, stride, padding = cache
    N, C, H, W = x.shape
    F, _, kh, kw = weight.shape
    k = F // C
    Ho, Wo = dout.shape[-2:]
    _, Wq = _phase_grid(H, W, stride, padding)
    L = Ho * Wq
    d = dout.reshape(N, C, k, Ho, Wo)
    dw = np.zeros((C, k, kh, kw), dtype=np.result_type(dout, x))
    for chunk in _chunks(N, F * L):
        q = split_phases(x[chunk], stride, padding)       # (n, C, sh·sw, (Hq+1)·Wq)
        d_n = _wide(d[chunk], Wq)                         # (n, C, k, L), 0 in the wide columns
        for i in range(kh):
            for j in range(kw):
                phase, start = _offset_run(i, j, stride, Wq)
                run = q[:, :, phase, start:start + L]     # (n, C, L)
                for m in range(k):
                    # n·C dot products of length L, by BLAS: faster than einsum, and its
                    # blocked partial sums round less than one running float32 sum.
                    dots = np.matmul(d_n[:, :, m, None, :], run[..., None])   # (n, C, 1, 1)
                    dw[:, m, i, j] += dots.sum(axis=0)[:, 0, 0]
    db = dout.sum(axis=(0, 2, 3)) if has_bias else None
    return dw.reshape(weight.shape), db


class Conv2d(Layer):
    """``Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
    groups=1)``.

    PyTorch's signature and parameter layout: ``weight`` ``(out, in/groups, kh, kw)``, ``bias``
    ``(out,)``; ``groups`` must divide both ``in_channels`` and ``out_channels``
    (``groups = in_channels`` is the depthwise convolution). Initialised like PyTorch (uniform
    in ``±1/sqrt(fan_in)``, ``fan_in = in/groups·kh·kw``) from ``rng`` (a seed or Generator).
    ``groups`` is keyword-only: PyTorch has it before ``bias``, whose position here is older.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 rng=0, *, groups=1):
        super().__init__()
        self.in_channels = _validate.positive_int(in_channels, "in_channels")
        self.out_channels = _validate.positive_int(out_channels, "out_channels")
        self.kernel_size = _validate.pair(kernel_size, "kernel_size")
        self.stride = _validate.pair(stride, "stride")
        self.padding = _validate.pair(padding, "padding", minimum=0)
        self.groups = _validate.positive_int(groups, "groups")
        if in_channels % groups or out_channels % groups:
            common = math.gcd(in_channels, out_channels)
            divisors = [d for d in range(1, common + 1) if common % d == 0]
            raise ValueError(
                f"groups must divide both in_channels ({in_channels}) and out_channels "
                f"({out_channels}), got groups={groups}; accepted: one of {divisors}"
            )
        gen = _validate.rng(rng)
        kh, kw = self.kernel_size
        fan_in = in_channels // groups * kh * kw          # the inputs one output sees
        self.params = {
            "weight": kaiming_uniform(gen, (out_channels, in_channels // groups, kh, kw), fan_in)
        }
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
        return conv2d_forward(x, weight, bias, self.stride, self.padding, keep_cols=train,
                              groups=self.groups)

    def backward_input(self, dout, cache):
        return conv2d_backward_input(dout, cache)

    def backward_params(self, dout, cache):
        dw, db = conv2d_backward_params(dout, cache)
        return {"weight": dw} if db is None else {"weight": dw, "bias": db}

    def __repr__(self):
        groups = f", groups={self.groups}" if self.groups != 1 else ""
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}{groups}, "
                f"bias={'bias' in self.params})")
