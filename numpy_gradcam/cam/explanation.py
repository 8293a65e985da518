"""The result of :func:`numpy_gradcam.explain`: every intermediate stage, kept and named."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np


@dataclass
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
