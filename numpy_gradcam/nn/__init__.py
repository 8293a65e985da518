"""The tiny CNN engine: each layer a forward/backward pair, a Sequential of named layers.

Constructors follow PyTorch's signatures and parameter layouts (NCHW; ``Conv2d.weight`` is
``(out, in, kh, kw)``, ``Linear.weight`` is ``(out, in)``) so that ``state_dict()`` moves to and
from torch unchanged.
"""

from .adaptive_avgpool import AdaptiveAvgPool2d
from .avgpool import AvgPool2d, GlobalAvgPool2d
from .batchnorm import BatchNorm2d
from .conv import Conv2d
from .dropout import Dropout
from .flatten import Flatten
from .head import GapHead
from .identity import Identity
from .layer import Layer
from .linear import Linear
from .maxpool import MaxPool2d
from .module import Module
from .normalize import Normalize
from .relu import ReLU
from .relu6 import ReLU6
from .sequential import Sequential, Trace
from .zeropad import ZeroPad2d

__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BatchNorm2d",
    "Conv2d",
    "Dropout",
    "Flatten",
    "GapHead",
    "GlobalAvgPool2d",
    "Identity",
    "Layer",
    "Linear",
    "MaxPool2d",
    "Module",
    "Normalize",
    "ReLU",
    "ReLU6",
    "Sequential",
    "Trace",
    "ZeroPad2d",
]
