"""The catalogue of known Grad-CAM mistakes and conventions, each a way to recompute the stages.

An engineer whose heatmap "looks a bit different" usually made one of a handful of choices
differently from the paper. Each entry below is one such choice, written as a change to the
:class:`Conventions` of the reference; :func:`stages` recomputes every stage under given
conventions from the step modules of :mod:`numpy_gradcam.cam` (nothing is re-implemented), so
``verify`` can ask, for each entry, "would this mistake produce the user's numbers?".

The reference (``Conventions()``) is the paper's Grad-CAM, the same as ``explain(...,
method="gradcam")``::

    A, dy_dA  at the target layer, y^c the logit         (gradients)
    alpha_k = (1/Z) Σ_ij dy_dA_kij                       (weighting, Eq. 1)
    L = ReLU(Σ_k alpha_k A^k)                            (combination, Eq. 2)
    L_norm = (L − min L) / (max L − min L)               (normalization, before upsampling)
    heatmap = bilinear(L_norm, (H, W)), half-pixel centres
    colored = jet(heatmap) as RGB;  overlay = a·colored + (1 − a)·image

Under a library preset (``stages(..., preset=NAME)``) everything after ``L`` is the preset's own
rendering (:mod:`numpy_gradcam.cam.presets`): the mistakes made before ``L`` (the score, the
layer, the gradients, the weights, the ReLU, the model's mode) are tried under every preset; the
rendering mistakes (:data:`RENDER_FIELDS`) only under ``paper``, and under a preset whose library
lets its user make them (:data:`PRESET_VARIANTS`: pytorch-grad-cam's ``use_rgb=False``).

A stage that a mistake's computation does not produce (the low-resolution ``cam_normalized``
when normalising after upsampling; ``overlay`` when the heatmap has the swapped size
``(W, H)``; ``weights`` that are a map, not one number per channel) is None: it is not compared.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from functools import partial

import numpy as np

from .. import fast
from ..cam import blending, colormaps, combination, normalization, upsampling, weighting
from ..cam.gradients import seed
from ..cam.presets import PRESETS, pytorch_grad_cam
from ..cam.presets.opencv import apply_colormap_jet, heatmap_to_uint8
from ..nn import BatchNorm2d, Conv2d
from ..nn.losses import softmax
from ..nn.module import Module


@dataclass(frozen=True)
class Conventions:
    """Every choice the stages depend on; the defaults are the reference (the paper's).

    layer : the target layer's name; ``None`` means ``model.target_layer``.
    train_mode : run the model in training mode (BatchNorm's batch statistics; a torch model
        never switched to ``model.eval()``).
    score : ``"logit"`` or ``"softmax"``: which ``y^c`` is differentiated.
    sign : ``+1``, or ``-1`` for the counterfactual ``-∂y^c/∂A``.
    extra_target : a second class whose gradient is added to the target's (``A.grad`` not
        zeroed between two targets on one forward pass), or None.
    gradient_scale : ``dy_dA`` times this (2: the same target backpropagated twice).
    pooling_axes : the axes of ``dy_dA`` averaged into ``alpha``: ``(2, 3)``, ``(0, 2, 3)``
        (also over the batch, as the Keras example's ``reduce_mean(grads, axis=(0, 1, 2))``), or
        ``(1,)`` (over the channels: one weight per position, not per channel).
    pooling : ``"mean"`` (the paper's ``1/Z Σ``) or ``"sum"`` (``Σ`` alone: ``Z`` times larger).
    gradient_transform : ``None``, ``"relu"`` or ``"abs"``, applied to ``dy_dA`` before pooling.
    relu_weights : apply a ReLU to ``alpha``.
    relu : apply the ReLU of Eq. 2 to ``L``.
    normalization : ``"min-max"`` (the paper's) or ``"max"`` (``L / max L``: no minimum
        subtracted, the same wherever ``min L = 0``).
    normalize_first : normalise ``L`` before (True) or after (False) upsampling.
    upsample, align_corners : the resize mode and corner convention.
    swap_size : resize to ``(W, H)`` instead of ``(H, W)`` (OpenCV's ``dsize`` order misused).
    bgr_input : feed the model the image with its channels reversed.
    colormap : ``"matplotlib"`` (the ``cmap`` option's table) or ``"opencv"``
        (``cv2.applyColorMap(np.uint8(255 * heatmap), cv2.COLORMAP_JET)``: OpenCV's jet table,
        indexed by the truncated uint8 heatmap).
    bgr_colormap : colour with the channels reversed (OpenCV's ``applyColorMap`` is BGR).
    quantize : ``None``, ``"floor"`` or ``"round"``: the heatmap stored as uint8 (``floor`` is
        ``np.uint8(255 * heatmap)``, which truncates) before colouring, and the overlay too.
    """

    layer: str | None = None
    train_mode: bool = False
    score: str = "logit"
    sign: int = 1
    extra_target: int | None = None
    gradient_scale: int = 1
    pooling_axes: tuple[int, ...] = (2, 3)
    pooling: str = "mean"
    gradient_transform: str | None = None
    relu_weights: bool = False
    relu: bool = True
    normalization: str = "min-max"
    normalize_first: bool = True
    upsample: str = "bilinear"
    align_corners: bool = False
    swap_size: bool = False
    bgr_input: bool = False
    colormap: str = "matplotlib"
    bgr_colormap: bool = False
    quantize: str | None = None


#: The conventions of the rendering (after ``L``): a library preset fixes them all.
RENDER_FIELDS = ("normalization", "normalize_first", "upsample", "align_corners", "swap_size",
                 "colormap", "bgr_colormap", "quantize")

#: The rendering mistakes a preset's library lets its user make: ``{preset: {field: render}}``,
#: ``render`` the preset's rendering with that mistake (:data:`numpy_gradcam.cam.presets.base.
#: Render`).
PRESET_VARIANTS = {
    "pytorch-grad-cam": {"bgr_colormap": partial(pytorch_grad_cam.render, use_rgb=False)},
}


def render_changes(conventions: Conventions) -> tuple[str, ...]:
    """The rendering conventions (:data:`RENDER_FIELDS`) that differ from the paper's."""
    paper = Conventions()
    return tuple(name for name in RENDER_FIELDS
                 if getattr(conventions, name) != getattr(paper, name))


def can_render(conventions: Conventions, preset: str) -> bool:
    """Can :func:`stages` render ``conventions`` under ``preset``?"""
    changes = render_changes(conventions)
    if preset == "paper":
        return not (conventions.upsample == "nearest" and conventions.align_corners)
    return len(changes) <= 1 and set(changes) <= set(PRESET_VARIANTS.get(preset, {}))


@dataclass(frozen=True)
class Mistake:
    """One entry of the catalogue: its name, what it is, and how it changes the conventions.

    ``change`` values that depend on the case: ``"flip"`` (``sign``, ``align_corners``: the
    other one), a layer *rule* (``layer``: ``"pre-relu"``, ``"pre-batchnorm"``,
    ``"previous-block"``, resolved on the model by :meth:`Passes.layer`), ``"other"``
    (``extra_target``: each class other than the targets). ``convention``: not a bug, another
    library's legitimate choice (named as such).
    """

    name: str
    description: str
    change: dict
    convention: bool = False

    def variants(self, reference: Conventions, passes: Passes) -> list[tuple[Conventions, str]]:
        """The conventions this mistake gives on top of ``reference`` in this case, each with a
        detail in words (e.g. ``"conv4 instead of relu4"``); none where it cannot be made (a
        layer rule the model has no layer for)."""
        change, detail = dict(self.change), ""
        for name in ("sign", "align_corners"):
            if change.get(name) == "flip":
                change[name] = (-reference.sign if name == "sign"
                                else not reference.align_corners)
        if "layer" in change:
            layer = passes.layer(change["layer"])
            if layer is None:
                return []
            change["layer"], detail = layer, f"{layer} instead of {passes.layer(None)}"
        if change.get("pooling") == "sum":
            h, w = passes.get(reference)[2].shape[2:]
            detail = f"ratio Z = h·w = {h}·{w} = {h * w}"
        if "gradient_scale" in change:
            detail = f"ratio {change['gradient_scale']}"
        if change.get("extra_target") == "other":
            names = passes.model.class_names
            return [(replace(reference, **dict(change, extra_target=c)),
                     f"class {c}{f' ({names[c]})' if names else ''} backpropagated first")
                    for c in passes.other_classes()]
        return [(replace(reference, **change), detail)]


CATALOGUE = (
    Mistake("softmax-score", "differentiates the softmax probability p_c instead of the logit "
            "y^c (the paper uses the score before the softmax)", {"score": "softmax"}),
    Mistake("missing-relu", "no ReLU on L = Σ_k alpha_k A^k (Eq. 2): negative evidence kept",
            {"relu": False}),
    Mistake("relu-on-weights", "ReLU applied to the weights alpha_k (misplaced ReLU)",
            {"relu_weights": True}),
    Mistake("relu-on-gradients", "ReLU applied to the gradients before the mean (misplaced ReLU; "
            "the Grad-CAM++ positive-gradient idea applied to Grad-CAM)",
            {"gradient_transform": "relu"}),
    Mistake("gradient-sum", "sums the gradients over (i, j) instead of averaging them: weights "
            "and cam Z = h·w times the reference, identical after normalisation",
            {"pooling": "sum"}),
    Mistake("repeated-backward", "the same target backpropagated twice without zeroing A.grad "
            "(or a hook that accumulates): gradients, weights and cam twice the reference, "
            "identical after normalisation", {"gradient_scale": 2}),
    Mistake("accumulated-gradients", "A.grad not zeroed between two targets on one forward "
            "pass: the gradient of the class explained before is added to this one's",
            {"extra_target": "other"}),
    Mistake("absolute-gradients", "pools |∂y^c/∂A| instead of the signed gradient",
            {"gradient_transform": "abs"}),
    Mistake("batch-mean", "averages the gradients over the batch axis too (the Keras example's "
            "reduce_mean over axes (0, 1, 2)): one alpha shared by every image",
            {"pooling_axes": (0, 2, 3)}),
    Mistake("channel-mean", "averages the gradients over the channel axis instead of the "
            "spatial axes (grads.mean(dim=1)): one weight per position, not one per channel "
            "(the weights then have the map's shape (N, h, w))", {"pooling_axes": (1,)}),
    Mistake("training-mode", "the model left in training mode (model.eval() not called): "
            "BatchNorm normalises with the batch's statistics, so the logits differ",
            {"train_mode": True}),
    Mistake("max-normalization", "normalises by the maximum only (L / max L) instead of min-max: "
            "the same wherever min L = 0, different where the map's minimum is positive",
            {"normalization": "max"}),
    Mistake("normalize-after-upsampling", "min-max normalises the upsampled heatmap instead of "
            "the coarse map L", {"normalize_first": False}),
    Mistake("align-corners", "the other corner convention of the resize (align_corners flipped: "
            "corner-aligned instead of half-pixel centres, or the reverse)",
            {"align_corners": "flip"}),
    Mistake("nearest-upsampling", "nearest-neighbour resize instead of bilinear",
            {"upsample": "nearest"}),
    Mistake("size-swapped", "resized to (W, H) instead of (H, W) (OpenCV's dsize is (width, "
            "height)); visible only on a non-square image", {"swap_size": True}),
    Mistake("bgr-input", "the image fed to the model in BGR channel order instead of RGB",
            {"bgr_input": True}),
    Mistake("bgr-colormap", "the coloured heatmap in BGR order blended with an RGB image "
            "(OpenCV's applyColorMap without cvtColor; pytorch-grad-cam's show_cam_on_image "
            "with its default use_rgb=False)", {"bgr_colormap": True}),
    Mistake("opencv-jet-bgr", "cv2.applyColorMap(np.uint8(255 * heatmap), cv2.COLORMAP_JET) "
            "used as RGB: OpenCV's jet table (not matplotlib's), indexed by the truncated "
            "uint8 heatmap, in BGR order", {"colormap": "opencv", "bgr_colormap": True}),
    Mistake("opencv-jet", "OpenCV's jet converted to RGB correctly (cv2.cvtColor(..., "
            "COLOR_BGR2RGB)): OpenCV's table and its uint8 step, a convention rather than a bug "
            "(matplotlib's jet is built from other break points)", {"colormap": "opencv"},
            convention=True),
    Mistake("uint8-truncation", "heatmap and overlay converted to uint8 by truncation, "
            "np.uint8(255 * x) = floor, instead of rounding", {"quantize": "floor"}),
    Mistake("uint8-rounding", "heatmap and overlay quantised to uint8 with rounding (a "
            "convention, not a bug: at most 1/510 from the float reference)",
            {"quantize": "round"}, convention=True),
    Mistake("wrong-layer", "the layer just before the target layer (pre-ReLU, e.g. bn4 instead "
            "of relu4): negative activations enter the map", {"layer": "pre-relu"}),
    Mistake("pre-batchnorm-layer", "the convolution before the BatchNorm before the target "
            "layer (e.g. conv4 instead of relu4): activations neither normalised nor ReLU'd",
            {"layer": "pre-batchnorm"}),
    Mistake("previous-block", "an earlier layer whose output has the target layer's shape (the "
            "previous block, e.g. pool3 instead of relu4): the same shapes, other features",
            {"layer": "previous-block"}),
    Mistake("counterfactual-sign", "the sign of the gradient flipped: a counterfactual map "
            "where a plain one was meant, or the reverse", {"sign": "flip"}),
)

MISTAKES = {mistake.name: mistake for mistake in CATALOGUE}


def _quantize(x: np.ndarray, how: str | None) -> np.ndarray:
    """``x`` in [0, 1] as uint8 levels ``k / 255``, truncated (``floor``) or rounded."""
    if how is None:
        return x
    levels = np.floor(x * 255) if how == "floor" else np.round(x * 255)
    return levels / 255


#: How many other classes ``accumulated-gradients`` tries (each costs a backward pass): the
#: highest scoring, those a user explains first; every class of the tiny CNNs.
ACCUMULATED_CLASSES = 5


class Passes:
    """The forward and backward passes of one model on one image, computed once per variant:
    a verification tries many mistakes, most of which share the same gradients."""

    def __init__(self, model: Module, image: np.ndarray, targets: np.ndarray):
        self.model, self.image, self.targets = model, image, targets
        self._cache = {}

    def layer(self, rule: str | None) -> str | None:
        """The layer a rule names, or None where the model has none: ``None`` the target
        layer; ``"pre-relu"`` the layer before it; ``"pre-batchnorm"`` the one before that when
        that is a BatchNorm; ``"previous-block"`` the last layer before the convolution that
        makes the target's input whose output has the target's shape."""
        target = self.model.resolve_layer()
        names = list(self.model.layer_names)
        i = names.index(target)
        if rule is None:
            return target
        if rule == "pre-relu":
            return names[i - 1] if i >= 1 else None
        if rule == "pre-batchnorm":
            before = names[i - 1] if i >= 1 else None
            is_bn = before is not None and isinstance(self.model[before], BatchNorm2d)
            return names[i - 2] if is_bn and i >= 2 else None
        convs = [j for j in range(i) if isinstance(self.model[names[j]], Conv2d)]
        shapes = self._reference_trace().outputs
        same = [j for j in range(convs[-1] if convs else 0)
                if np.shape(shapes.get(names[j])) == np.shape(shapes[target])]
        return names[same[-1]] if same else None

    def other_classes(self, most: int = ACCUMULATED_CLASSES) -> list[int]:
        """The classes a user may have explained before the target: the ``most`` highest
        scoring (logits summed over the batch) that are not every image's target."""
        ranked = np.argsort(-self._reference_trace().logits.sum(axis=0), kind="stable")
        return [int(c) for c in ranked if not (self.targets == c).all()][:most]

    def _reference_trace(self):
        if "trace" not in self._cache:
            self._cache["trace"] = fast.trace(self.model, np.ascontiguousarray(self.image),
                                              threads=1)
        return self._cache["trace"]

    def get(self, c: Conventions):
        """``(x, logits, A, dy_dA)`` under the conventions that change the passes."""
        layer = self.model.resolve_layer() if c.layer is None else c.layer
        key = (c.bgr_input, c.train_mode, layer, c.score, c.extra_target)
        if key not in self._cache:
            x = np.ascontiguousarray(self.image[:, ::-1] if c.bgr_input else self.image)
            if c.train_mode:                        # on a copy: training mode updates buffers
                model = copy.deepcopy(self.model)
                trace = model.trace(x, train=True)
                backward_to = partial(model.backward_to, trace)
            else:
                trace = self._reference_trace() if x is self.image else fast.trace(
                    self.model, x, threads=1)       # the serial reference, as vectors
                backward_to = trace.backward_to
            dy = seed(trace.logits, self.targets, c.score)                     # (N, classes)
            if c.extra_target is not None:
                extra = np.full_like(self.targets, c.extra_target)
                dy = dy + seed(trace.logits, extra, c.score)
            dy_dA = backward_to(dy, layer)                                     # (N, K, h, w)
            self._cache[key] = (x, trace.logits, trace.outputs[layer], dy_dA)
        return self._cache[key]


def _weights(dy_dA: np.ndarray, c: Conventions) -> np.ndarray:
    """``alpha`` ``(N, K)`` from ``dy_dA`` ``(N, K, h, w)``; ``(N, K, h, w)`` for the channel
    mean (one weight per position, broadcast over the channels)."""
    pooled = dy_dA
    if c.gradient_transform == "relu":
        pooled = np.maximum(pooled, 0)
    elif c.gradient_transform == "abs":
        pooled = np.abs(pooled)
    if c.pooling_axes == (2, 3):
        alpha_k = weighting.gap_weights(pooled)                             # (N, K)
    elif c.pooling_axes == (1,):
        alpha_k = np.broadcast_to(pooled.mean(axis=1, keepdims=True), pooled.shape)
    else:
        mean = pooled.mean(axis=c.pooling_axes)                             # (K,)
        alpha_k = np.broadcast_to(mean, dy_dA.shape[:2]).copy()             # (N, K)
    if c.pooling == "sum":
        alpha_k = alpha_k * (dy_dA.shape[2] * dy_dA.shape[3])               # Z · mean = Σ
    if c.relu_weights:
        alpha_k = np.maximum(alpha_k, 0)
    return alpha_k


def _normalize(maps: np.ndarray, c: Conventions, eps: float) -> np.ndarray:
    if c.normalization == "max":
        top = maps.max(axis=(1, 2), keepdims=True)                          # (N, 1, 1)
        return np.where(top > eps, maps / np.where(top > eps, top, 1.0), 0.0)
    return normalization.normalize(maps, eps=eps)


def _render_paper(L: np.ndarray, x: np.ndarray, c: Conventions, cmap, alpha: float, eps: float
                  ) -> tuple[np.ndarray | None, ...]:
    """``(cam_normalized, heatmap, colored, overlay)`` of the paper's rendering, under ``c``."""
    H, W = x.shape[2:]
    size = (W, H) if c.swap_size else (H, W)
    if c.normalize_first:
        L_norm = _normalize(L, c, eps)
        heatmap = upsampling.upsample(L_norm, size, mode=c.upsample,
                                      align_corners=c.align_corners)
    else:
        L_norm = None
        heatmap = upsampling.upsample(L, size, mode=c.upsample, align_corners=c.align_corners)
        heatmap = _normalize(heatmap, c, eps)
    heatmap = _quantize(heatmap, c.quantize)

    if c.colormap == "opencv":
        u8 = heatmap_to_uint8(np.clip(heatmap, 0.0, 1.0))                  # (N, H, W) uint8
        colored = np.moveaxis(apply_colormap_jet(u8, bgr=False), -1, 1) / 255.0
    else:
        colored = colormaps.colormap(np.clip(heatmap, 0.0, 1.0), cmap)     # (N, 3, H, W)
    if c.bgr_colormap:
        colored = np.ascontiguousarray(colored[:, ::-1])
    overlay = None                                          # a (W, H) heatmap cannot be blended
    if heatmap.shape[1:] == x.shape[2:]:
        overlay = _quantize(blending.blend(x, colored, alpha), c.quantize)
    return L_norm, heatmap, colored, overlay


def stages(model: Module, image, targets, conventions: Conventions = Conventions(), *,
           cmap="jet", alpha: float = 0.4, eps: float = 1e-8, preset: str = "paper",
           passes: Passes | None = None) -> dict[str, np.ndarray | None]:
    """Every stage of Grad-CAM on ``image`` ``(N, 3, H, W)`` for ``targets`` ``(N,)``, under
    ``conventions``; ``Conventions()`` gives the reference (``explain``'s stages).

    ``preset``: a library preset renders ``L`` (``cmap``, ``alpha`` and ``eps`` are then its
    own); ``conventions`` may change its rendering only as :func:`can_render` allows.

    Returns the dict of the stage names of :data:`numpy_gradcam.verification.vectors.STAGES`
    (a stage the conventions do not produce is None). ``passes`` shares the forward/backward
    passes between calls on the same model, image and targets.
    """
    if not can_render(conventions, preset):
        raise ValueError(f"preset {preset!r} cannot render the conventions "
                         f"{render_changes(conventions)} (a library preset fixes its rendering)")
    targets = np.asarray(targets, dtype=np.int64)
    passes = Passes(model, image, targets) if passes is None else passes
    c = conventions
    x, logits, A, dy_dA = passes.get(c)
    dy_dA = (c.sign * c.gradient_scale) * dy_dA                             # (N, K, h, w)
    alpha_k = _weights(dy_dA, c)
    L = combination.combine(alpha_k, A, relu=c.relu)                        # (N, h, w)

    if preset == "paper":
        L_norm, heatmap, colored, overlay = _render_paper(L, x, c, cmap, alpha, eps)
    else:
        changes = render_changes(c)
        render = (PRESET_VARIANTS[preset][changes[0]] if changes else PRESETS[preset].render)
        rendering = render(L, x, {})
        L_norm, heatmap = rendering.cam_normalized, rendering.heatmap
        colored, overlay = rendering.colored, rendering.overlay
    return {
        "image": x, "logits": logits, "probabilities": softmax(logits), "targets": targets,
        "activations": A, "gradients": dy_dA, "weights": alpha_k if alpha_k.ndim == 2 else None,
        "cam": L, "cam_normalized": L_norm, "heatmap": heatmap, "colored": colored,
        "overlay": overlay,
    }
