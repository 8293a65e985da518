r"""OpenCV's conventions, reimplemented in NumPy (OpenCV is never imported at run time).

pytorch-grad-cam resizes and colours with OpenCV; these functions reproduce what it calls, and
the oracle tests compare them with ``cv2`` itself.

**``cv2.applyColorMap(u8, cv2.COLORMAP_JET)``.** A 256-entry table, not matplotlib's ``jet``
(which is built from other break points: the two differ by up to 34 levels of 255). Entry ``i``
of channel ``c`` (``c = 3, 2, 1`` for red, green, blue) is the piecewise-linear ramp

.. math::

    \mathrm{JET}[i, c] = \mathrm{round}\big(255 \, \mathrm{clip}(1.5 - |4i/255 - c|, 0, 1)\big)

rounded half to even (OpenCV's ``saturate_cast`` of the float table, stored in float32), except
entry 159 of blue: OpenCV's literal table holds ``1.5/255`` rounded *down* in float32, so it is 1
where the formula's 1.5 rounds to 2. The result is **BGR**; ``bgr=False`` gives RGB (what
``cv2.cvtColor(heatmap, cv2.COLOR_BGR2RGB)`` does).

**``cv2.resize(img, (W, H))`` with the default ``INTER_LINEAR``** on a float32 map: bilinear with
half-pixel centres, edges clamped — the same sampling as :func:`~numpy_gradcam.cam.upsampling.
upsample` with ``align_corners=False`` — computed in float32. Note the size order: OpenCV's
``dsize`` is ``(width, height)``; :func:`resize_linear` takes ``(H, W)`` like everything here.
"""

from __future__ import annotations

import numpy as np

from ..._validate import float_array
from .. import upsampling
from .base import to_uint8


def _jet_table() -> np.ndarray:
    """``(256, 3)`` uint8, RGB: OpenCV's ``COLORMAP_JET``."""
    i = np.arange(256)[:, None]                                        # (256, 1)
    c = np.array([3, 2, 1])                                            # R, G, B centres
    ramp = np.clip(1.5 - np.abs(4 * i / 255 - c), 0, 1).astype(np.float32)
    table = np.rint(ramp * np.float32(255)).astype(np.uint8)           # half to even
    table[159, 2] = 1                   # OpenCV's literal float table: 1.5/255 stored below 1.5
    return table


#: OpenCV's ``COLORMAP_JET`` as an RGB table ``(256, 3)`` of uint8.
JET = _jet_table()


def apply_colormap_jet(u8: np.ndarray, bgr: bool = True) -> np.ndarray:
    """``cv2.applyColorMap(u8, cv2.COLORMAP_JET)``: ``(..., H, W)`` uint8 → ``(..., H, W, 3)``
    uint8, BGR (OpenCV's order) or RGB with ``bgr=False``."""
    u8 = np.asarray(u8)
    if u8.dtype != np.uint8:
        raise TypeError(f"u8 must be a uint8 array (a heatmap scaled to 0..255 and cast), "
                        f"got dtype {u8.dtype}")
    colors = JET[u8]                                                   # (..., H, W, 3) RGB
    return colors[..., ::-1] if bgr else colors


def heatmap_to_uint8(heatmap: np.ndarray) -> np.ndarray:
    """``np.uint8(255 * heatmap)`` of a float32 heatmap in [0, 1]: truncated, not rounded."""
    return to_uint8(np.float32(255) * heatmap.astype(np.float32, copy=False))


def resize_linear(maps, size: tuple[int, int]) -> np.ndarray:
    """``cv2.resize(np.float32(map), (W, H))`` (``INTER_LINEAR``) of each map ``(N, h, w)`` →
    ``(N, H, W)`` float32; ``size`` is ``(H, W)``."""
    maps = float_array(maps, "maps", ndim=3).astype(np.float32, copy=False)
    return upsampling.upsample(maps, size, mode="bilinear", align_corners=False)
