"""The CAM family: each method is one small module that differs from Grad-CAM only where its
paper differs — in how it computes the weights of the feature maps, or, for the input-space
methods, the saliency.

A feature-space method is a function ``weights(context) -> alpha`` where ``context`` is a
:class:`~numpy_gradcam.cam.methods.base.Context` (model, input, layer, targets, ``A`` and, for
gradient methods, ``dy_dA``). ``alpha`` is ``(N, K)`` (one weight per channel) or
``(N, K, h, w)`` (one per element); the pipeline then forms ``L = ReLU(Σ_k alpha_k A^k)``.
An input-space method returns ``saliency(context)`` ``(N, C, H, W)``. Each method declares its
own options (``Method.options``); :func:`method_options` checks those that ``explain`` receives.

=================  ============================  ===================================
name               module                        weights / saliency
=================  ============================  ===================================
gradcam            ``gradcam``                   spatial mean of ``∂y^c/∂A``
gradcam++          ``gradcam_plusplus``          ``Σ α·relu(∂Y^c/∂A)``, closed-form α
xgradcam           ``xgradcam``                  ``Σ (A / Σ A)·∂y^c/∂A``
hirescam           ``hirescam``                  ``∂y^c/∂A`` element-wise
layercam           ``layercam``                  ``relu(∂y^c/∂A)`` element-wise
scorecam           ``scorecam``                  confidence of the input masked by ``A^k``
ablationcam        ``ablationcam``               relative score drop with ``A^k = 0``
eigencam           ``eigencam``                  first principal direction of ``A``
cam                ``cam``                       the GAP→linear head's weights
guided-backprop    ``guided_backprop``           input gradient, guided ReLU rule
deconvnet          ``deconvnet``                 input signal, deconvnet ReLU rule
saliency           ``saliency``                  input gradient (vanilla)
guided-gradcam     ``guided_gradcam``            guided backprop ⊙ Grad-CAM heatmap
occlusion          ``occlusion``                 score drop under a sliding patch
=================  ============================  ===================================
"""

from .ablationcam import ABLATIONCAM
from .base import Context, Method, Option
from .cam import CAM
from .deconvnet import DECONVNET
from .eigencam import EIGENCAM
from .gradcam import GRADCAM
from .gradcam_plusplus import GRADCAMPP
from .guided_backprop import GUIDED_BACKPROP
from .guided_gradcam import GUIDED_GRADCAM
from .hirescam import HIRESCAM
from .layercam import LAYERCAM
from .occlusion import OCCLUSION
from .saliency import SALIENCY
from .scorecam import SCORECAM
from .xgradcam import XGRADCAM

METHODS: dict[str, Method] = {m.name: m for m in (
    GRADCAM, GRADCAMPP, XGRADCAM, HIRESCAM, LAYERCAM, SCORECAM, ABLATIONCAM, EIGENCAM, CAM,
    GUIDED_BACKPROP, DECONVNET, SALIENCY, GUIDED_GRADCAM, OCCLUSION,
)}


def method_options(method: str, given: dict) -> dict:
    """The options of ``method`` (:attr:`Method.options`): ``given`` checked, defaults filled in.
    An option the method does not take is an error naming the methods that do."""
    spec = METHODS[method]
    for name, value in given.items():
        if value is not None and name not in spec.options:
            takers = ", ".join(repr(m.name) for m in METHODS.values() if name in m.options)
            if not takers:
                raise TypeError(f"explain() got an unexpected keyword argument {name!r}")
            raise ValueError(f"{name} applies to method {takers}, not to {method!r}")
    return spec.resolve_options(given)


__all__ = ["METHODS", "Context", "Method", "Option", "method_options"]
