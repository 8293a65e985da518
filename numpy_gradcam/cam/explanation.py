"""The result of :func:`numpy_gradcam.explain`: every intermediate stage, kept and named."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

MAX_TARGETS_SHOWN = 4     # a batch's targets beyond these are counted, not listed, in the repr
REPR_WIDTH = 86           # characters per line of the repr's stages, after the indent
#: The fields that are not array stages (the repr shows them by value, or not at all).
NOT_STAGES = ("method", "layer", "targets", "class_names", "options")


@dataclass(repr=False)
class Explanation:
    """Every stage of one explanation, in the order the pipeline computes them.

    Shapes for a batch of ``N`` images (for a single image ``(C, H, W)`` the leading ``N`` axis
    is dropped from every array):

    ============== ====================== =================================================
    field          shape                  what it is
    ============== ====================== =================================================
    image          ``(N, 3, H, W)``       the input, RGB in [0, 1]
    logits         ``(N, num_classes)``   the model's scores before the softmax
    probabilities  ``(N, num_classes)``   ``softmax(logits)``
    targets        ``(N,)``               the class ``c`` explained for each image
    activations    ``(N, K, h, w)``       ``A``, the target layer's output
    gradients      ``(N, K, h, w)``       ``dy_dA = ∂y^c/∂A`` (negated if counterfactual);
                                          None for gradient-free methods
    weights        ``(N, K)`` or          ``alpha``: the method's weights of the maps
                   ``(N, K, h, w)``
    cam            ``(N, h, w)``          ``L = ReLU(Σ_k alpha_k A^k)`` (signed without ReLU)
    cam_normalized ``(N, h, w)``          min-max normalised ``L``, in [0, 1]
    heatmap        ``(N, H, W)``          upsampled to the input size
    colored        ``(N, 3, H, W)``       the colormap applied, RGB in [0, 1]
    overlay        ``(N, 3, H, W)``       ``a·colored + (1 − a)·image``
    saliency       ``(N, C, H, W)``       input-space maps (guided backprop …), else None
    ============== ====================== =================================================

    Its repr is a summary, not the data (a batch's arrays would print thousands of lines): the
    method, layer, targets, preset, and each stage's shape and dtype (``None`` for a stage this
    method does not have). :meth:`arrays` gives the arrays themselves.
    """

    method: str
    layer: str | None
    image: np.ndarray
    logits: np.ndarray
    probabilities: np.ndarray
    targets: np.ndarray
    activations: np.ndarray | None
    gradients: np.ndarray | None
    weights: np.ndarray | None
    cam: np.ndarray | None
    cam_normalized: np.ndarray | None
    heatmap: np.ndarray | None
    colored: np.ndarray | None
    overlay: np.ndarray | None
    saliency: np.ndarray | None = None
    class_names: tuple[str, ...] | None = None
    options: dict = field(default_factory=dict)

    @property
    def target_names(self):
        """The explained class of each image by name (or index when the model has no names)."""
        targets = np.atleast_1d(self.targets)
        names = [self.class_names[t] if self.class_names else str(t) for t in targets]
        return names[0] if np.ndim(self.targets) == 0 else names

    def __repr__(self) -> str:
        targets = np.asarray(self.targets)
        shown = self.target_names if self.class_names else targets.tolist()
        if targets.ndim == 1 and len(targets) > MAX_TARGETS_SHOWN:
            listed = ", ".join(map(repr, shown[:MAX_TARGETS_SHOWN]))
            shown = f"[{listed}, ... {len(targets) - MAX_TARGETS_SHOWN} more]"
        else:
            shown = repr(shown)
        items = [f"method={self.method!r}", f"layer={self.layer!r}", f"targets={shown}",
                 f"preset={self.options.get('preset')!r}"]
        for f in fields(self):
            if f.name not in NOT_STAGES:
                value = getattr(self, f.name)
                summary = "None" if value is None else f"{value.shape} {value.dtype}"
                items.append(f"{f.name}={summary}")
        # Whole items per line (a shape is never split), wrapped to a readable width.
        lines, line = [], ""
        for item in items:
            if line and len(line) + len(item) + 2 > REPR_WIDTH:
                lines.append(line + ",")
                line = ""
            line = f"{line}, {item}" if line else item
        lines.append(line)
        return "Explanation(" + "\n            ".join(lines) + ")"

    def arrays(self) -> dict[str, np.ndarray]:
        """Every array stage by name (for saving, comparing, golden vectors)."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if isinstance(getattr(self, f.name), np.ndarray)}

    def single(self) -> Explanation:
        """The same explanation with the batch axis of every array removed (N must be 1)."""
        values = {}
        for f in fields(self):
            value = getattr(self, f.name)
            values[f.name] = value[0] if isinstance(value, np.ndarray) else value
        return Explanation(**values)
