"""Presets: other libraries' conventions, reproduced exactly (``explain(..., preset=NAME)``).

Engineers compare numpy-gradcam with the library they use. The libraries agree on Grad-CAM's
equations and differ in a dozen small conventions — each enough to make a heatmap "look a bit
different". A preset is one library's bundle of them, reimplemented in NumPy (no OpenCV, torch or
TensorFlow at run time) and tested against the real library in the oracle environment.

==================== ==========================================================================
preset               reproduces
==================== ==========================================================================
``paper``            the paper (default); every convention an option (:mod:`.paper`)
``pytorch-grad-cam`` pytorch-grad-cam's ``GradCAM(...)(input)`` + ``show_cam_on_image``
                     (:mod:`.pytorch_grad_cam`)
==================== ==========================================================================

Each module's docstring lists its conventions and where in the library each comes from.
"""

from __future__ import annotations

from .base import Preset, Rendering
from .paper import PAPER
from .pytorch_grad_cam import PYTORCH_GRAD_CAM

PRESETS: dict[str, Preset] = {p.name: p for p in (PAPER, PYTORCH_GRAD_CAM)}

__all__ = ["PRESETS", "Preset", "Rendering"]
