r"""The compiled forward's reusable arrays: per-thread scratch, and the im2col layouts.

:class:`Scratch` keeps arrays from one chunk of images to the next (allocating them afresh maps
fresh pages: the page faults nearly doubled the time of a chunk). :func:`gather_layout` is the
clear im2col, for any stride; :func:`flat_layout` the flat layout of
:mod:`~numpy_gradcam.fast.compiled` (its docstring, item 2), where each kernel offset is one shift
of a flat index; :class:`ConvBuffers` and :class:`PoolBuffers` hold one convolution's and one
pooling's arrays for one input shape. Arrays are ``(C, N, H, W)`` (channels first).
"""

from __future__ import annotations

import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view


class Scratch(threading.local):
    """Arrays reused from one chunk to the next, one set per thread and per input shape:
    ``arrays(shape)`` is the set (a dict) for chunks of that shape, in which
    :func:`reuse` builds each array once. At most :attr:`SHAPES` sets are kept; a new shape beyond
    that starts afresh, so that inputs of ever new sizes do not pile up buffers for as long as
    the model lives."""

    #: Input shapes whose arrays are kept, per thread.
    SHAPES = 4

    def __init__(self):
        self.sets: dict = {}

    def arrays(self, shape) -> dict:
        if shape not in self.sets:
            if len(self.sets) >= self.SHAPES:
                self.sets.clear()
            self.sets[shape] = {}
        return self.sets[shape]


def reuse(arrays: dict, key, build):
    """``arrays[key]``, made by ``build()`` the first time; ``key`` names everything that shapes
    the array."""
    if key not in arrays:
        arrays[key] = build()
    return arrays[key]


def gather_layout(C, N, H, W, kernel, stride, padding, dtype):
    """The clear im2col, for any stride and padding: ``(interior, windows, z_of)``.

    ``padding`` ``(top, bottom, left, right)``. ``interior`` ``(C, N, H, W)`` is the middle of a
    zero array ``padded`` ``(C, N, top + H + bottom, left + W + right)``; ``windows``
    ``(C, kh, kw, N, Ho, Wo)`` is the read-only view of it with
    ``windows[c, i, j, n, h, w] = padded[c, n, i + sh·h, j + sw·w]``, whose copy is ``cols``;
    ``z_of(out)`` views the product ``(F, N·Ho·Wo)`` as the output ``(F, N, Ho, Wo)``.
    """
    (kh, kw), (sh, sw), (top, bottom, left, right) = kernel, stride, padding
    padded = np.zeros((C, N, top + H + bottom, left + W + right), dtype=dtype)
    windows = sliding_window_view(padded, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    windows = windows.transpose(0, 4, 5, 1, 2, 3)                      # (C, kh, kw, N, Ho, Wo)
    Ho, Wo = windows.shape[-2:]
    interior = padded[:, :, top:top + H, left:left + W]
    return interior, windows, lambda out: out.reshape(-1, N, Ho, Wo)


def flat_layout(C, N, H, W, kernel, padding, dtype):
    """The flat layout of the module docstring (stride 1): ``(interior, windows, z_of)`` as in
    :func:`gather_layout`.

    Each image is ``R = H + ph`` rows of pitch ``P = W + pw`` (the last ``pw`` columns and ``ph``
    rows zero), after ``ph·P + pw`` zeros; the product is computed at all ``L = N·R·P`` flat
    positions ``l`` and ``windows[c, i, j, l] = flat[c, l + (i - ph)·P + (j - pw)]`` (offsets
    from the start of image 0), one shift of the flat index per kernel offset.
    """
    (kh, kw), (ph, pw) = kernel, padding
    Ho, Wo = H + 2 * ph - kh + 1, W + 2 * pw - kw + 1
    P, R = W + pw, H + ph
    L = N * R * P
    front = ph * P + pw
    flat = np.zeros((C, front + L + kh * P + kw), dtype=dtype)
    interior = flat[:, front:front + L].reshape(C, N, R, P)[:, :, :H, :W]
    step = flat.itemsize
    windows = as_strided(flat, shape=(C, kh, kw, L),              # windows[c, i, j, l] =
                         strides=(flat.strides[0], P * step, step, step),   # flat[c, iP + j + l]
                         writeable=False)
    return interior, windows, lambda out: out.reshape(-1, N, R, P)[:, :, :Ho, :Wo]


class ConvBuffers:
    """One convolution's arrays for one input shape: ``interior`` (the input goes there),
    ``windows`` (``(C, kh, kw, *grid)``, the view that ``cols`` copies), ``out`` ``(F, M)``
    (the product) and its view ``z`` ``(F, N, Ho, Wo)``; with a fused max-pool, ``pool``
    (:class:`PoolBuffers` of ``z``). ``padding`` is ``(top, bottom, left, right)``; the flat
    layout needs ``top = bottom`` and ``left = right``.

    ``cols`` ``(C, kh, kw, *grid)``, seen as ``(C·kh·kw, M)``, is scratch within one product:
    ``cols_of(shape)`` gives it (by default a new array), so that convolutions of one shape can
    share it; None for a convolution that reads ``windows`` itself (the depthwise one).
    """

    def __init__(self, shape, dtype, F, kernel, stride, padding, flat, pool=None,
                 cols_of=None):
        C, N, H, W = shape
        if flat:
            top, _, left, _ = padding
            self.interior, self.windows, z_of = flat_layout(C, N, H, W, kernel, (top, left),
                                                            dtype)
        else:
            self.interior, self.windows, z_of = gather_layout(C, N, H, W, kernel, stride,
                                                              padding, dtype)
        cols_of = cols_of or (lambda cols_shape: np.empty(cols_shape, dtype=dtype))
        self.cols = cols_of(self.windows.shape)                    # (C, kh, kw, *grid)
        self.cols_2d = None if self.cols is None else \
            self.cols.reshape(np.prod(self.windows.shape[:3]), -1)  # (C·kh·kw, M)
        self.out = np.empty((F, np.prod(self.windows.shape[3:])), dtype=dtype)
        self.z = z_of(self.out)
        self.pool = None if pool is None else PoolBuffers(self.z, *pool)

    def product(self, x, W2):
        """``z = W2 @ cols(x)`` ``(F, N, Ho, Wo)``, without the bias."""
        np.copyto(self.interior, x)
        np.copyto(self.cols, self.windows)
        np.matmul(W2, self.cols_2d, out=self.out)
        return self.z


class PoolBuffers:
    """The windows of a pooling over ``x`` ``(C, N, H, W)``, first over their rows, then over their
    columns: ``reduce(np.maximum)`` or ``reduce(np.add)`` fills ``out`` ``(C, N, Ho, Wo)``."""

    def __init__(self, x, kernel, stride):
        (kh, kw), (sh, sw) = kernel, stride
        C, N, H, W = x.shape
        Ho, Wo = (H - kh) // sh + 1, (W - kw) // sw + 1
        self.rows = np.empty((C, N, Ho, W), dtype=x.dtype)
        self.out = np.empty((C, N, Ho, Wo), dtype=x.dtype)
        self.row_views = [x[:, :, i:i + sh * (Ho - 1) + 1:sh] for i in range(kh)]
        self.column_views = [self.rows[..., j:j + sw * (Wo - 1) + 1:sw] for j in range(kw)]

    def reduce(self, combine):
        _combine(self.row_views, combine, self.rows)
        return _combine(self.column_views, combine, self.out)


def _combine(views, combine, out):
    """``combine`` (``np.maximum`` or ``np.add``) of all ``views``, written into ``out``."""
    if len(views) == 1:
        np.copyto(out, views[0])
        return out
    combine(views[0], views[1], out=out)
    for view in views[2:]:
        combine(out, view, out=out)
    return out
