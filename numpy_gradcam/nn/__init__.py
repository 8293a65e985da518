"""The tiny CNN engine: each layer a forward/backward pair, a Sequential of named layers.

Constructors follow PyTorch's signatures and parameter layouts (NCHW; ``Conv2d.weight`` is
``(out, in, kh, kw)``, ``Linear.weight`` is ``(out, in)``) so that ``state_dict()`` moves to and
from torch unchanged.
"""

from .avgpool import AvgPool2d, GlobalAvgPool2d
from .batchnorm import BatchNorm2d
from .conv import Conv2d
from .flatten import Flatten
from .layer import Layer
from .linear import Linear
from .maxpool import MaxPool2d
from .module import Module
from .relu import ReLU
from .sequential import Sequential, Trace

__all__ = [
    "AvgPool2d",
    "BatchNorm2d",
    "Conv2d",
    "Flatten",
    "GlobalAvgPool2d",
    "Layer",
    "Linear",
    "MaxPool2d",
    "Module",
    "ReLU",
    "Sequential",
    "Trace",
]
