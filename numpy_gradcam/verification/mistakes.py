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

A stage that a mistake's computation does not produce (the low-resolution ``cam_normalized``
when normalising after upsampling; ``overlay`` when the heatmap has the swapped size
``(W, H)``) is None: it is not compared.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .. import fast
from ..cam import blending, colormaps, combination, normalization, upsampling, weighting
from ..cam.gradients import seed
from ..nn.losses import softmax
from ..nn.sequential import Sequential


@dataclass(frozen=True)
class Conventions:
    """Every choice the stages depend on; the defaults are the reference (the paper's).

    layer : the target layer; ``None`` means ``model.target_layer``; ``"pre-relu"`` the layer
        just before it (its input, e.g. ``bn4`` for ``relu4``).
    score : ``"logit"`` or ``"softmax"``: which ``y^c`` is differentiated.
    sign : ``+1``, or ``-1`` for the counterfactual ``-∂y^c/∂A``.
    pooling_axes : the axes of ``dy_dA`` averaged into ``alpha``: ``(2, 3)``, or ``(0, 2, 3)``
        (also over the batch, as the Keras example's ``reduce_mean(grads, axis=(0, 1, 2))``).
    pooling : ``"mean"`` (the paper's ``1/Z Σ``) or ``"sum"`` (``Σ`` alone: ``Z`` times larger).
    gradient_transform : ``None``, ``"relu"`` or ``"abs"``, applied to ``dy_dA`` before pooling.
    relu_weights : apply a ReLU to ``alpha``.
    relu : apply the ReLU of Eq. 2 to ``L``.
    normalize_first : normalise ``L`` before (True) or after (False) upsampling.
    upsample, align_corners : the resize mode and corner convention.
    swap_size : resize to ``(W, H)`` instead of ``(H, W)`` (OpenCV's ``dsize`` order misused).
    bgr_input : feed the model the image with its channels reversed.
    bgr_colormap : colour with the channels reversed (OpenCV's ``applyColorMap`` is BGR).
    quantize : ``None``, ``"floor"`` or ``"round"``: the heatmap stored as uint8 (``floor`` is
        ``np.uint8(255 * heatmap)``, which truncates) before colouring, and the overlay too.
    """

    layer: str | None = None
    score: str = "logit"
    sign: int = 1
    pooling_axes: tuple[int, ...] = (2, 3)
    pooling: str = "mean"
    gradient_transform: str | None = None
    relu_weights: bool = False
    relu: bool = True
    normalize_first: bool = True
    upsample: str = "bilinear"
    align_corners: bool = False
    swap_size: bool = False
    bgr_input: bool = False
    bgr_colormap: bool = False
    quantize: str | None = None


@dataclass(frozen=True)
class Mistake:
    """One entry of the catalogue: its name, what it is, and how it changes the conventions.

    ``scale_only``: the mistake changes ``weights`` and ``cam`` by one constant factor and
    nothing after the normalisation; it is recognised by a constant ratio to the reference,
    whatever the constant.
    """

    name: str
    description: str
    change: dict
    scale_only: bool = False

    def conventions(self, reference: Conventions) -> Conventions:
        change = dict(self.change)
        if change.get("sign") == "flip":
            change["sign"] = -reference.sign
        if change.get("align_corners") == "flip":
            change["align_corners"] = not reference.align_corners
        return replace(reference, **change)


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
            "and cam scaled by a constant (Z = h·w), identical after normalisation",
            {"pooling": "sum"}, scale_only=True),
    Mistake("absolute-gradients", "pools |∂y^c/∂A| instead of the signed gradient",
            {"gradient_transform": "abs"}),
    Mistake("batch-mean", "averages the gradients over the batch axis too (the Keras example's "
            "reduce_mean over axes (0, 1, 2)): one alpha shared by every image",
            {"pooling_axes": (0, 2, 3)}),
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
    Mistake("bgr-colormap", "the coloured heatmap in BGR order (OpenCV's applyColorMap) "
            "blended with an RGB image", {"bgr_colormap": True}),
    Mistake("uint8-truncation", "heatmap and overlay converted to uint8 by truncation, "
            "np.uint8(255 * x) = floor, instead of rounding", {"quantize": "floor"}),
    Mistake("uint8-rounding", "heatmap and overlay quantised to uint8 with rounding (a "
            "convention, not a bug: at most 1/510 from the float reference)",
            {"quantize": "round"}),
    Mistake("wrong-layer", "the layer before the target layer (pre-ReLU, e.g. bn4 instead of "
            "relu4): negative activations enter the map", {"layer": "pre-relu"}),
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


def _layer(model: Sequential, layer: str | None) -> str:
    target = model.resolve_layer()
    if layer is None:
        return target
    if layer == "pre-relu":
        names = list(model.layer_names)
        return names[names.index(target) - 1]
    return model.resolve_layer(layer)


class Passes:
    """The forward and backward passes of one model on one image, computed once per variant:
    a verification tries many mistakes, most of which share the same gradients."""

    def __init__(self, model: Sequential, image: np.ndarray, targets: np.ndarray):
        self.model, self.image, self.targets = model, image, targets
        self._cache = {}

    def get(self, bgr_input: bool, layer: str, score: str):
        key = (bgr_input, layer, score)
        if key not in self._cache:
            x = self.image[:, ::-1] if bgr_input else self.image               # (N, 3, H, W)
            x = np.ascontiguousarray(x)
            trace = fast.trace(self.model, x, threads=1)    # the serial reference, as vectors
            dy = seed(trace.logits, self.targets, score)                        # (N, classes)
            dy_dA = trace.backward_to(dy, layer)                               # (N, K, h, w)
            self._cache[key] = (x, trace.logits, trace.outputs[layer], dy_dA)
        return self._cache[key]


def stages(model: Sequential, image, targets, conventions: Conventions = Conventions(), *,
           cmap="jet", alpha: float = 0.4, eps: float = 1e-8, passes: Passes | None = None
           ) -> dict[str, np.ndarray | None]:
    """Every stage of Grad-CAM on ``image`` ``(N, 3, H, W)`` for ``targets`` ``(N,)``, under
    ``conventions``; ``Conventions()`` gives the reference (``explain``'s stages).

    Returns the dict of the stage names of :data:`numpy_gradcam.verification.vectors.STAGES`
    (a stage the conventions do not produce is None). ``passes`` shares the forward/backward
    passes between calls on the same model, image and targets.
    """
    targets = np.asarray(targets, dtype=np.int64)
    passes = Passes(model, image, targets) if passes is None else passes
    c = conventions
    x, logits, A, dy_dA = passes.get(c.bgr_input, _layer(model, c.layer), c.score)
    dy_dA = c.sign * dy_dA                                                  # (N, K, h, w)

    pooled = dy_dA
    if c.gradient_transform == "relu":
        pooled = np.maximum(pooled, 0)
    elif c.gradient_transform == "abs":
        pooled = np.abs(pooled)
    if c.pooling_axes == (2, 3):
        alpha_k = weighting.gap_weights(pooled)                             # (N, K)
    else:
        mean = pooled.mean(axis=c.pooling_axes)                             # (K,)
        alpha_k = np.broadcast_to(mean, dy_dA.shape[:2]).copy()             # (N, K)
    if c.pooling == "sum":
        alpha_k = alpha_k * (dy_dA.shape[2] * dy_dA.shape[3])               # Z · mean = Σ
    if c.relu_weights:
        alpha_k = np.maximum(alpha_k, 0)
    L = combination.combine(alpha_k, A, relu=c.relu)                        # (N, h, w)

    H, W = x.shape[2:]
    size = (W, H) if c.swap_size else (H, W)
    if c.normalize_first:
        L_norm = normalization.normalize(L, eps=eps)
        heatmap = upsampling.upsample(L_norm, size, mode=c.upsample,
                                      align_corners=c.align_corners)
    else:
        L_norm = None
        heatmap = upsampling.upsample(L, size, mode=c.upsample, align_corners=c.align_corners)
        heatmap = normalization.normalize(heatmap, eps=eps)
    heatmap = _quantize(heatmap, c.quantize)

    colored = colormaps.colormap(np.clip(heatmap, 0.0, 1.0), cmap)         # (N, 3, H, W)
    if c.bgr_colormap:
        colored = np.ascontiguousarray(colored[:, ::-1])
    overlay = None                                          # a (W, H) heatmap cannot be blended
    if heatmap.shape[1:] == x.shape[2:]:
        overlay = _quantize(blending.blend(x, colored, alpha), c.quantize)
    return {
        "image": x, "logits": logits, "probabilities": softmax(logits), "targets": targets,
        "activations": A, "gradients": dy_dA, "weights": alpha_k, "cam": L,
        "cam_normalized": L_norm, "heatmap": heatmap, "colored": colored, "overlay": overlay,
    }
