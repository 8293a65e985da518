"""The torch oracle: the same model in PyTorch, to check our hand-written derivatives against
autograd. torch is imported lazily here and nowhere else in the package; it is an optional extra
(``pip install numpy-gradcam[oracle]``), never a runtime dependency.
"""

from .torch_model import to_torch

__all__ = ["to_torch"]
