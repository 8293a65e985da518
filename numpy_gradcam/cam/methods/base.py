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

A method declares its own options (``Method.options``, each an :class:`Option` with its default
and its check): ``explain(model, x, method="occlusion", patch=8)`` hands ``patch`` to the
method that declares it, and adding an option edits that method's module only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ... import _validate
from ...fast import SplitTrace
from ...nn.losses import softmax
from ...nn.sequential import Sequential


@dataclass
class Context:
    """Everything a method may use. Shapes: ``x`` ``(N, C, H, W)``, ``A`` and ``dy_dA``
    ``(N, K, h, w)`` at ``layer`` (``dy_dA`` is None for gradient-free methods; ``layer`` and
    ``A`` are None for the input-space methods), ``targets`` ``(N,)``.

    ``trace`` is the forward pass (:class:`~numpy_gradcam.fast.SplitTrace`: its ``logits``,
    ``outputs`` and backward passes); ``dy`` ``(N, num_classes)`` is the seed ``∂y^c/∂logits``
    (negated for a counterfactual); ``score`` is ``"logit"`` or ``"softmax"``;
    ``align_corners`` is the pipeline's resize convention (Score-CAM upsamples its masks with
    it); ``options`` holds the method's own options, checked, defaults filled in.
    """

    model: Sequential
    x: np.ndarray
    trace: SplitTrace
    layer: str | None
    targets: np.ndarray
    A: np.ndarray | None
    dy_dA: np.ndarray | None
    dy: np.ndarray | None = None
    score: str = "logit"
    counterfactual: bool = False
    align_corners: bool = False
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
    return context.trace.backward_to_input(context.dy, rule=rule)


def max_abs_over_channels(saliency: np.ndarray) -> np.ndarray:
    """``M_ij = max_c |s_cij|`` ``(N, H, W)``: one number per pixel from an RGB gradient
    (Simonyan et al. 2014, §3.1)."""
    return np.abs(saliency).max(axis=1)


def live_maps(A: np.ndarray) -> np.ndarray:
    """The pairs ``(n, k)`` ``(P, 2)`` of the feature maps ``A`` ``(N, K, h, w)`` that are not zero
    everywhere: Score-CAM and Ablation-CAM perturb only these (a dead map changes nothing)."""
    return np.argwhere(A.reshape(*A.shape[:2], -1).any(axis=2))


@dataclass(frozen=True)
class Option:
    """A method's own option: its ``default``, and ``check(value, name)`` returning the value
    normalised or raising an error that names ``name`` (given ``None`` means the default)."""

    default: object
    check: Callable[[object, str], object]
    doc: str = ""


def choice(values: tuple[str, ...], doc: str = "") -> Option:
    """An option that is one of ``values``, the first by default."""
    return Option(values[0], lambda value, name: _validate.choice(value, name, values), doc)


#: Forward passes per batch, for the methods that run many (Score-CAM, Ablation-CAM, occlusion).
BATCH_SIZE = Option(64, _validate.positive_int, "forward passes per batch (default 64)")


@dataclass(frozen=True)
class Method:
    """A named method.

    ``weights(context) -> alpha`` for a feature-space method; ``saliency(context) ->
    (N, C, H, W)`` for an input-space one (and, for a feature-space one, its input-space factor).
    ``options`` maps the name of each method-specific option it accepts to its :class:`Option`;
    ``uses_score`` says whether the ``score`` option applies (it evaluates ``y^c``).
    """

    name: str
    weights: Callable[[Context], np.ndarray] | None = None
    needs_gradient: bool = True
    summary: str = ""
    space: str = "feature"
    cam: Callable[[Context, np.ndarray], np.ndarray] | None = None
    saliency: Callable[[Context], np.ndarray] | None = None
    pixel_map: Callable[[np.ndarray], np.ndarray] | None = None
    options: Mapping[str, Option] = field(default_factory=lambda: MappingProxyType({}))
    uses_score: bool = True

    def resolve_options(self, given: Mapping) -> dict:
        """Every option of this method: the ``given`` value checked, else (None or absent) the
        default. Names it does not declare are not looked at (the registry refuses them)."""
        return {name: option.default if given.get(name) is None else option.check(given[name], name)
                for name, option in self.options.items()}
