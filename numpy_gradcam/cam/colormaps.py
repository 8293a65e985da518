r"""Colouring the heatmap: a value in [0, 1] becomes an RGB colour.

The overlay procedure (seed document 000, step 4) applies a colormap to the normalised,
upsampled heatmap, ``jet`` by default (low values blue, middle green/yellow, high red):

.. math::

    H_{\mathrm{colored}}[n, :, y, x] = \mathrm{cmap}(\mathrm{heatmap}[n, y, x])
    \in [0, 1]^3

Conventions
-----------
* Colormaps come from matplotlib's registry, ``matplotlib.colormaps[name]``: any name it
  knows is accepted (``"jet"`` default, ``"hot"``, ``"viridis"``, ``"turbo"``, ...), and the
  colours equal matplotlib's exactly.
* matplotlib *quantises*: a colormap is a lookup table of ``cmap.N`` colours (256 for ``jet``
  and ``viridis``), and value ``v`` takes entry ``min(floor(v * N), N - 1)``. So ``0.5`` is
  entry 128 of 256, not the colour halfway along the ramp.
* Values must lie in [0, 1] (normalise first): anything outside is an error, not silently
  clipped, since it usually means a normalisation step was skipped.
* RGB, never OpenCV's BGR; the alpha channel of matplotlib's RGBA is dropped.

Shapes: ``heatmap`` is ``(N, H, W)`` (or one map ``(H, W)``); the result is
``(N, 3, H, W)`` (or ``(3, H, W)``), NCHW like the images, with the heatmap's float dtype.
"""

from __future__ import annotations

import difflib
import functools

import matplotlib
import matplotlib.colors
import numpy as np

from numpy_gradcam._validate import describe, float_array

#: Shown in the error for an unknown colormap name.
COMMON_CMAPS = ("jet", "hot", "viridis", "inferno", "magma", "plasma", "turbo", "gray")


def get_cmap(cmap) -> matplotlib.colors.Colormap:
    """The matplotlib colormap named ``cmap`` (a ``Colormap`` object is returned as it is)."""
    if isinstance(cmap, matplotlib.colors.Colormap):
        return cmap
    if not isinstance(cmap, str):
        raise TypeError(
            f"cmap must be a matplotlib colormap name such as 'jet', got {describe(cmap)}"
        )
    try:
        return matplotlib.colormaps[cmap]
    except KeyError:
        close = difflib.get_close_matches(cmap, list(matplotlib.colormaps), n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(
            f"cmap must be a matplotlib colormap name, got {cmap!r}.{hint} Valid names include "
            f"{', '.join(COMMON_CMAPS)} (all: list(matplotlib.colormaps))."
        ) from None


@functools.lru_cache(maxsize=16)
def _named(name: str) -> matplotlib.colors.Colormap:
    """The colormap ``name``, kept: ``matplotlib.colormaps[name]`` returns a fresh copy whose
    lookup table is rebuilt at its first use, every call (a third of a batch-1 colouring)."""
    return get_cmap(name)


def colormap(heatmap, cmap="jet") -> np.ndarray:
    """Colour each value of ``heatmap`` with the matplotlib colormap ``cmap``.

    Parameters
    ----------
    heatmap : ndarray, shape ``(N, H, W)`` or ``(H, W)``, float32 or float64, values in [0, 1]
    cmap : str or matplotlib.colors.Colormap, default "jet"
        Any name in ``matplotlib.colormaps``.

    Returns
    -------
    colored : ndarray, shape ``(N, 3, H, W)`` or ``(3, H, W)``, heatmap's dtype, values in [0, 1]
        RGB, channel axis before the spatial axes.
    """
    heatmap = float_array(heatmap, "heatmap", ndim=(2, 3))
    cmap = _named(cmap) if isinstance(cmap, str) else get_cmap(cmap)
    if heatmap.size and (heatmap.min() < 0 or heatmap.max() > 1):
        raise ValueError(
            f"heatmap must have values in [0, 1] (normalise it first), got values in "
            f"[{heatmap.min():.6g}, {heatmap.max():.6g}]"
        )

    rgba = cmap(heatmap)  # (..., H, W, 4), float64: matplotlib's lookup table, quantised
    rgb = np.moveaxis(rgba[..., :3], -1, -3)  # (..., 3, H, W): channels first, as NCHW
    return np.ascontiguousarray(rgb, dtype=heatmap.dtype)
