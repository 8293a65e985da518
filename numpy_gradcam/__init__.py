"""numpy-gradcam: Grad-CAM and its family in pure NumPy, every step inspectable.

    >>> import numpy_gradcam as ng
    >>> model = ng.load_model("tinycnn-gap")
    >>> images, labels, masks = ng.datasets.make_shapes(4, seed=0)
    >>> e = ng.explain(model, images[0])          # e.activations, e.gradients, e.weights, ...
    >>> A, dy_dA = ng.gradients(model, images, target=labels, layer="relu4")

``numpy_gradcam.nn`` is the reference engine; ``numpy_gradcam.fast`` runs it on the worker
threads by default (``ng.fast.set_threads(1)``: everything serial).
"""

from . import datasets, fast, nn
from .cam import Explanation, class_gradients, explain, gradients
from .models import MODEL_NAMES, load_model

__version__ = "0.1.0"

__all__ = [
    "MODEL_NAMES",
    "Explanation",
    "class_gradients",
    "datasets",
    "explain",
    "fast",
    "gradients",
    "load_model",
    "nn",
]
