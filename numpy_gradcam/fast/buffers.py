r"""The compiled forward's reusable arrays: per-thread scratch, and the im2col layouts.

:class:`Scratch` keeps arrays from one chunk of images to the next (allocating them afresh maps
fresh pages: the page faults nearly doubled the time of a chunk), in a :class:`Space` per input
shape: each step's scratch, shared by the steps of one configuration, and the steps' outputs,
each reused once no later step reads it (a ResNet-50 would otherwise keep every layer's output
of the last chunk, ~1 GB at batch 8 on 224×224, for as long as the model lives).
:func:`gather_layout` is the
clear im2col, for any stride; :func:`flat_layout` the flat layout of
:mod:`~numpy_gradcam.fast.compiled` (its docstring, item 2), where each kernel offset is one shift
of a flat index; :class:`ConvBuffers` and :class:`PoolBuffers` hold one convolution's and one
pooling's scratch for one input shape. Arrays are ``(C, N, H, W)`` (channels first).
"""

from __future__ import annotations

import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view


class Scratch(threading.local):
    """Arrays reused from one chunk to the next, one :class:`Space` per thread and per input
    shape. At most :attr:`SHAPES` spaces are kept; a new shape beyond that starts afresh, so
    that inputs of ever new sizes do not pile up arrays for as long as the model lives."""

    #: Input shapes whose arrays are kept, per thread.
    SHAPES = 4

    def __init__(self):
        self.sets: dict = {}

    def space(self, shape) -> Space:
        """The arrays for chunks of ``shape`` (a key: the input's shape and dtype)."""
        if shape not in self.sets:
            if len(self.sets) >= self.SHAPES:
                self.sets.clear()
            self.sets[shape] = Space()
        return self.sets[shape]


class Space:
    """One thread's arrays for chunks of one input shape, of two kinds.

    - ``private(key, build)``: scratch *within* one step (a padded input), built once with
      ``build()``; steps with the same ``key`` share it, as they run one after the other; and
      ``within_step(shape, dtype)``, one buffer for every step's ``cols`` or products.
    - ``output(shape, dtype)``: an array for a step's output, which lives until the last step
      that reads it has run. The runner counts the values that use each output array
      (:meth:`hold`, :meth:`release`; a view counts for the array it views) and an array that
      no value uses any more serves the next output of its shape: the space holds the most
      outputs that are alive at once, not every step's.
    """

    def __init__(self):
        self.arrays: dict = {}
        self.free: dict = {}                   # (shape, dtype) -> arrays no value uses
        self.users: dict = {}                  # id(array) -> [array, values using it]

    def private(self, key, build):
        if key not in self.arrays:
            self.arrays[key] = build()
        return self.arrays[key]

    def within_step(self, shape, dtype) -> np.ndarray:
        """An array of ``shape`` for what lives within one step only (``cols``, a depthwise
        convolution's products): a view of the
        space's one such buffer, as large as the largest asked for, so that the ``cols`` of
        every convolution take the memory of the largest."""
        views = self.arrays.setdefault("within step views", {})
        view = views.get((shape, dtype))
        if view is None:
            size = int(np.prod(shape)) * np.dtype(dtype).itemsize
            buffer = self.arrays.get("within step")
            if buffer is None or buffer.size < size:
                buffer = self.arrays["within step"] = np.empty(size, dtype=np.uint8)
                views.clear()                              # views of the smaller one
            view = views[shape, dtype] = buffer[:size].view(dtype).reshape(shape)
        return view

    def output(self, shape, dtype) -> np.ndarray:
        free = self.free.get((tuple(shape), np.dtype(dtype)))
        array = free.pop() if free else np.empty(shape, dtype=dtype)
        self.users[id(array)] = [array, 0]
        return array

    def _entry(self, value):
        while isinstance(value, np.ndarray) and value.base is not None:
            value = value.base                                      # a view: its array
        return self.users.get(id(value))

    def hold(self, value) -> None:
        """One more value uses ``value``'s array (if it is an output array of this space)."""
        entry = self._entry(value)
        if entry is not None:
            entry[1] += 1

    def release(self, value) -> None:
        """One value fewer uses ``value``'s array; unused, it serves the next output."""
        entry = self._entry(value)
        if entry is not None:
            entry[1] -= 1
            if entry[1] <= 0:
                array = entry[0]
                del self.users[id(array)]
                self.free.setdefault((array.shape, array.dtype), []).append(array)

    def release_all(self) -> None:
        """The chunk is done: every output array serves the next chunk."""
        for array, _ in list(self.users.values()):
            self.free.setdefault((array.shape, array.dtype), []).append(array)
        self.users.clear()


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
    """One convolution's scratch for one input shape: ``interior`` (the input goes there),
    ``windows`` (``(C, kh, kw, *grid)``, the view that ``cols`` copies) and ``z_of(out)``, which
    views the product ``out`` ``(F, M)`` as the output ``(F, N, Ho, Wo)``. ``padding`` is
    ``(top, bottom, left, right)``; the flat layout needs ``top = bottom`` and ``left = right``.
    """

    def __init__(self, shape, dtype, kernel, stride, padding, flat):
        C, N, H, W = shape
        if flat:
            top, _, left, _ = padding
            self.interior, self.windows, self.z_of = flat_layout(C, N, H, W, kernel,
                                                                 (top, left), dtype)
        else:
            self.interior, self.windows, self.z_of = gather_layout(C, N, H, W, kernel, stride,
                                                                   padding, dtype)
        self.grid = self.windows.shape[3:]                         # (L,) or (N, Ho, Wo)
        self.M = int(np.prod(self.grid))                           # columns of the product
        self.K = int(np.prod(self.windows.shape[:3]))              # rows of cols: C·kh·kw

    def product(self, x, W2, out=None, cols=None):
        """``z = W2 @ cols(x)`` ``(F, N, Ho, Wo)``, a view of ``out`` ``(F, M)``; ``cols``
        ``(C·kh·kw, M)`` is scratch within the product (each by default a new array). ``W2``
        ``(F, C·kh·kw)``, or ``(F, C·kh·kw + 1)`` with the bias as its last column: ``cols``
        then has a last row of ones, and ``z`` includes the bias."""
        np.copyto(self.interior, x)
        K = self.K
        cols = np.empty((W2.shape[1], self.M), dtype=x.dtype) if cols is None else cols
        np.copyto(cols[:K].reshape(self.windows.shape), self.windows)
        if W2.shape[1] == K + 1:
            cols[K] = 1
        out = np.empty((len(W2), self.M), dtype=x.dtype) if out is None else out
        np.matmul(W2, cols, out=out)
        return self.z_of(out)


class PoolBuffers:
    """The windows of a pooling over ``x`` ``(C, N, H, W)``, first over their rows, then over their
    columns: ``reduce(np.maximum)`` or ``reduce(np.add)`` fills ``out`` ``(C, N, Ho, Wo)``
    (``rows`` ``(C, N, Ho, W)`` and ``out`` given, or new arrays).

    ``padding`` ``(ph, pw)`` adds nothing to copy: the padded positions are left out of each
    window (what ``-inf`` padding does for a maximum and zero padding for a sum), kernel offset
    ``i`` reaching only the outputs ``o`` with ``0 <= o·s + i - p < H``.
    """

    def __init__(self, x, kernel, stride, padding=(0, 0), rows=None, out=None):
        (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
        rows_shape, out_shape = self.shapes(x.shape, kernel, stride, padding)
        self.rows = np.empty(rows_shape, dtype=x.dtype) if rows is None else rows
        self.out = np.empty(out_shape, dtype=x.dtype) if out is None else out
        self.row_views = _window_views(x, self.rows, 2, kh, sh, ph)
        self.column_views = _window_views(self.rows, self.out, 3, kw, sw, pw)

    @staticmethod
    def shapes(shape, kernel, stride, padding=(0, 0)):
        """``(rows, out)``: the shapes of the two arrays for an input of ``shape``."""
        (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
        C, N, H, W = shape
        Ho, Wo = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
        return (C, N, Ho, W), (C, N, Ho, Wo)

    def reduce(self, combine):
        _combine(self.row_views, combine, self.rows)
        return _combine(self.column_views, combine, self.out)


def _window_views(x, out, axis, k, s, p) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(out part, x part)`` for each kernel offset ``i`` along ``axis``: the outputs ``o``
    whose window holds ``x[o·s + i - p]``, and those inputs; an offset that reaches every output
    first, if there is one."""
    L, Lo = x.shape[axis], out.shape[axis]
    views = []
    for i in range(k):
        lo = max(0, -(-(p - i) // s))                               # ⌈(p - i) / s⌉
        hi = min(Lo, (L - 1 - i + p) // s + 1)
        if hi <= lo:
            continue
        start = lo * s + i - p
        pick = [slice(None)] * x.ndim
        pick[axis] = slice(start, start + s * (hi - lo - 1) + 1, s)
        part = [slice(None)] * out.ndim
        part[axis] = slice(lo, hi)
        views.append((out[tuple(part)], x[tuple(pick)]))
    views.sort(key=lambda view: view[0].shape[axis] < Lo)           # whole ones first
    return views


def _combine(views, combine, out):
    """``combine`` (``np.maximum`` or ``np.add``) of all ``views`` ``(out part, x part)``,
    written into ``out``: the first, if it covers all of ``out``, is copied; else ``out``
    starts at ``combine``'s identity."""
    whole = [view for part, view in views if part.shape == out.shape]
    if len(whole) >= 2:                                     # one pass for the first two
        combine(whole[0], whole[1], out=out)
        rest = views[2:]
    elif whole:
        np.copyto(out, whole[0])
        rest = views[1:]
    else:
        out.fill(-np.inf if combine is np.maximum else 0)
        rest = views
    for part, view in rest:
        combine(part, view, out=part)
    return out
