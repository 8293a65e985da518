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
``captum``           Captum's ``LayerGradCam(...).attribute`` (signed), ``interpolate`` (nearest)
                     + ``visualize_image_attr(method="blended_heat_map", sign="positive")``
                     (:mod:`.captum`)
``torchcam``         torch-cam's ``GradCAM(model, layer)(class_idx, scores)`` + ``overlay_mask``
                     (Pillow bicubic, jet of the squared mask, ``Image.blend``) (:mod:`.torchcam`)
``tf-keras-vis``     tf-keras-vis's ``Gradcam(...)(CategoricalScore([c]), X)`` + its README's
                     ``cm.jet`` colouring and ``alpha=0.5`` overlay (:mod:`.tf_keras_vis`)
``keras``            the Keras example "Grad-CAM class activation visualization"
                     (``make_gradcam_heatmap`` + ``save_and_display_gradcam``) (:mod:`.keras`)
==================== ==========================================================================

Each module's docstring lists its conventions and where in the library each comes from. The
other libraries' primitives the presets rest on are reimplemented beside them: OpenCV's
(:mod:`.opencv`) and Pillow's ``Image.resize``/``Image.blend`` (:mod:`.pillow`).
"""

from __future__ import annotations

from .base import Preset, Rendering
from .captum import CAPTUM
from .keras import KERAS
from .paper import PAPER
from .pytorch_grad_cam import PYTORCH_GRAD_CAM
from .tf_keras_vis import TF_KERAS_VIS
from .torchcam import TORCHCAM

PRESETS: dict[str, Preset] = {p.name: p for p in (PAPER, PYTORCH_GRAD_CAM, CAPTUM, TORCHCAM,
                                                   TF_KERAS_VIS, KERAS)}

__all__ = ["PRESETS", "Preset", "Rendering"]
