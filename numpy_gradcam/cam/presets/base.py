"""What a preset is: a named bundle of another library's conventions, and the stages it renders.

A preset changes only what its library does differently from the paper. The method's weights
``alpha`` and the map ``L = Σ_k alpha_k A^k`` come from the same method modules in every preset
(a preset may select a method's variant, e.g. pytorch-grad-cam's Grad-CAM++ form); a preset then
decides

- whether Eq. 2's ReLU is applied to ``L`` (``relu``; Captum's default keeps the sign), and
- how ``L`` becomes the pictures (``render``): normalisation (epsilon, before or after the
  resize, once or twice), the resize (method, corner convention, precision), the colormap table,
  uint8 truncation, the blending formula and its weights, RGB or BGR.

Stages a library does not produce are ``None`` in the :class:`Rendering` (and the
:class:`~numpy_gradcam.cam.explanation.Explanation`), e.g. the Keras example never resizes a
grayscale heatmap (it resizes the coloured one), so its ``heatmap`` is None.

Shapes: ``L`` ``(N, h, w)``; ``image`` ``(N, 3, H, W)`` RGB in [0, 1]; every stage of a
:class:`Rendering` carries the batch axis.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np


@dataclass(frozen=True)
class Rendering:
    """The stages after ``L``, as the preset's library computes them (None: it has no such stage).

    cam_normalized : ``(N, h, w)`` the map normalised at feature-map size, or None.
    heatmap : ``(N, H, W)`` the map at the input size, or None.
    colored : ``(N, 3, H, W)`` the coloured map, RGB floats in [0, 1] (a uint8 stage is ``k/255``).
    overlay : ``(N, 3, H, W)`` the blend with the image, RGB floats in [0, 1].
    """

    cam_normalized: np.ndarray | None
    heatmap: np.ndarray | None
    colored: np.ndarray
    overlay: np.ndarray


#: ``render(L, image, options) -> Rendering``; ``options`` are explain's resolved options
#: (only the ``paper`` preset reads them: the others fix every convention themselves).
Render = Callable[[np.ndarray, np.ndarray, Mapping], Rendering]


@dataclass(frozen=True)
class Preset:
    """One library's conventions.

    name : the ``preset=`` value.
    source : the library (and version) and the functions whose behaviour is reproduced.
    methods : the methods the preset covers (its library's names for them in ``conventions``).
    relu : apply Eq. 2's ReLU to ``L`` before rendering.
    render : turns ``L`` ``(N, h, w)`` into the later stages (see :data:`Render`).
    method_options : method variants the preset selects, e.g. ``{"gradcampp_form": ...}``.
    conventions : each convention in words, recorded in ``Explanation.options`` (beside, never
        instead of, the keys ``relu``, ``score``, ``counterfactual`` and ``preset``).
    """

    name: str
    source: str
    methods: tuple[str, ...]
    relu: bool
    render: Render
    method_options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    conventions: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def to_uint8(values: np.ndarray) -> np.ndarray:
    """``np.uint8(values)`` for values in ``[0, 256)``: truncation toward zero, as the libraries'
    ``np.uint8(255 * heatmap)`` and ``.astype(np.uint8)`` do (``255 * 0.999`` becomes 254, not 255).

    Values outside ``[0, 256)`` would wrap around in NumPy's cast (a platform-dependent result);
    they are an error here instead.
    """
    values = np.asarray(values)
    if values.size and (not np.isfinite(values).all() or values.min() < 0
                        or values.max() >= 256):
        raise ValueError(f"values must lie in [0, 256) to be cast to uint8, got values in "
                         f"[{values.min():.6g}, {values.max():.6g}]")
    return values.astype(np.uint8)
