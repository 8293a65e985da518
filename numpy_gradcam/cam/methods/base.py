"""What a method receives and what it declares.

Two kinds of method:

- **feature-space** methods (the CAM family) compute ``alpha``, weights of the feature maps
  ``A`` of one layer, ``(N, K)`` or element-wise ``(N, K, h, w)``; the pipeline then forms
  ``L = ReLU(Σ_k alpha_k A^k)`` (or the method's own ``cam(context, alpha)``, e.g. Eigen-CAM's
  projection), normalises and upsamples it. A feature-space method may also have an
  input-space factor (guided Grad-CAM): the pipeline multiplies it by the upsampled heatmap.
- **input-space** methods (guided backprop, deconvnet, gradient saliency, occlusion) compute a
  ``saliency`` ``(N, C, H, W)`` directly at the input; their map ``L`` ``(N, H, W)`` is
  ``pixel_map(saliency)`` and needs no upsampling.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ...nn.losses import softmax
from ...nn.sequential import Sequential, Trace


@dataclass
class Context:
    """Everything a method may use. Shapes: ``x`` ``(N, C, H, W)``, ``A`` and ``dy_dA``
    ``(N, K, h, w)`` (``dy_dA`` is None for gradient-free methods), ``targets`` ``(N,)``.

    ``dy`` ``(N, num_classes)`` is the seed ``∂y^c/∂logits`` (negated for a counterfactual);
    ``score`` is ``"logit"`` or ``"softmax"``; ``options`` holds the method's own options
    (``batch_size``, ``gradcampp_form``, …) and the pipeline's ``upsample``/``align_corners``.
    """

    model: Sequential
    x: np.ndarray
    trace: Trace
    layer: str
    targets: np.ndarray
    A: np.ndarray
    dy_dA: np.ndarray | None
    dy: np.ndarray | None = None
    score: str = "logit"
    counterfactual: bool = False
    options: dict = field(default_factory=dict)

    def target_scores(self, logits: np.ndarray, targets: np.ndarray | None = None) -> np.ndarray:
        """``y^c`` of each row of ``logits`` ``(M, num_classes)`` under ``self.score``: the
        logit, or the softmax probability; ``targets`` ``(M,)`` defaults to ``self.targets``."""
        targets = self.targets if targets is None else targets
        scores = logits if self.score == "logit" else softmax(logits)
        return scores[np.arange(len(targets)), targets]                # (M,)


def input_gradient(context: Context, rule: str) -> np.ndarray:
    """``∂(Σ dy·logits)/∂x`` ``(N, C, H, W)`` through every ReLU with backward ``rule``
    (``"standard"``, ``"guided"`` or ``"deconvnet"``; see :mod:`numpy_gradcam.nn.relu`)."""
    return context.model.backward_to_input(context.trace, context.dy, rule=rule)


def max_abs_over_channels(saliency: np.ndarray) -> np.ndarray:
    """``M_ij = max_c |s_cij|`` ``(N, H, W)``: one number per pixel from an RGB gradient
    (Simonyan et al. 2014, §3.1)."""
    return np.abs(saliency).max(axis=1)


@dataclass(frozen=True)
class Method:
    """A named method.

    ``weights(context) -> alpha`` for a feature-space method; ``saliency(context) ->
    (N, C, H, W)`` for an input-space one (and, for a feature-space one, its input-space factor).
    ``options`` names the method-specific options it accepts; ``uses_score`` says whether the
    ``score`` option applies (it evaluates ``y^c``).
    """

    name: str
    weights: Callable[[Context], np.ndarray] | None = None
    needs_gradient: bool = True
    summary: str = ""
    space: str = "feature"
    cam: Callable[[Context, np.ndarray], np.ndarray] | None = None
    saliency: Callable[[Context], np.ndarray] | None = None
    pixel_map: Callable[[np.ndarray], np.ndarray] | None = None
    options: tuple[str, ...] = ()
    uses_score: bool = True
