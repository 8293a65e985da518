r"""Residual blocks (He et al., *Deep Residual Learning for Image Recognition*, CVPR 2016):
torchvision's ``BasicBlock`` and ``Bottleneck``, with its module names.

.. math::

    \text{out} = \mathrm{ReLU}\big(\mathcal{F}(x) + \mathcal{S}(x)\big)

with the residual branch ``F`` (two 3×3 convolutions, or 1×1 → 3×3 → 1×1 for the bottleneck,
each followed by BatchNorm, a ReLU between them) and the shortcut ``S``: the identity, or
``downsample`` (a strided 1×1 convolution and a BatchNorm) when the shape changes. The stride
sits on the first 3×3 convolution (torchvision's "ResNet v1.5").

**Backward.** With ``s = F(x) + S(x)`` and ``out = ReLU(s)``: ``∂L/∂s = ReLU'(s) ⊙ ∂L/∂out``
reaches both branches unchanged (the derivative of a sum), and the input's gradient is the sum
of the two branches' input gradients,

.. math::

    \frac{\partial L}{\partial x} = J_{\mathcal{F}}(x)^\top \frac{\partial L}{\partial s}
        + J_{\mathcal{S}}(x)^\top \frac{\partial L}{\partial s}

(``J_S = I`` for the identity shortcut). Each block's ``backward_with`` is its ``forward_with``
read backwards, child by child.

**One ReLU module, several calls.** As in torchvision, a block has a single ``relu`` module that
it calls twice (basic) or three times (bottleneck). Its recorded output — ``layer4.1.relu`` — is
its *last* call's, the block's output, as a forward hook that stores outputs by name keeps it;
the gradient at ``layer4.1.relu`` is the gradient at the block's output. (pytorch-grad-cam 1.5.7
takes a twice-called module's *first* call instead: see :mod:`numpy_gradcam.nn.module`.)

Shapes: ``x`` ``(N, C_in, H, W)`` → ``(N, planes·expansion, H/stride, W/stride)``.
"""

from __future__ import annotations

from .batchnorm import BatchNorm2d
from .conv import Conv2d
from .module import Module
from .relu import ReLU
from .sequential import Sequential


def downsample(in_channels: int, out_channels: int, stride: int, rng) -> Sequential:
    """The projection shortcut: ``0`` a 1×1 convolution with ``stride``, ``1`` a BatchNorm."""
    return Sequential([("0", Conv2d(in_channels, out_channels, 1, stride=stride, bias=False,
                                    rng=rng)),
                       ("1", BatchNorm2d(out_channels))])


class BasicBlock(Module):
    """``BasicBlock(inplanes, planes, stride=1, downsample=None, rng=0)``: children ``conv1``,
    ``bn1``, ``relu``, ``conv2``, ``bn2`` and, if given, ``downsample``."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None, rng=0):
        super().__init__()
        self.add("conv1", Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False,
                                 rng=rng))
        self.add("bn1", BatchNorm2d(planes))
        self.add("relu", ReLU())
        self.add("conv2", Conv2d(planes, planes, 3, padding=1, bias=False, rng=rng))
        self.add("bn2", BatchNorm2d(planes))
        if downsample is not None:
            self.add("downsample", downsample)

    def forward_with(self, x, run):
        out = run("relu", run("bn1", run("conv1", x)))
        out = run("bn2", run("conv2", out))                             # F(x)
        shortcut = run("downsample", x) if "downsample" in self.children else x
        return run("relu", out + shortcut)

    def backward_with(self, dout, back):
        ds = back("relu", dout)                                         # ∂L/∂s, the 2nd call
        dx = back("conv1", back("bn1", back("relu", back("conv2", back("bn2", ds)))))
        return dx + (back("downsample", ds) if "downsample" in self.children else ds)


class Bottleneck(Module):
    """``Bottleneck(inplanes, planes, stride=1, downsample=None, rng=0)``: 1×1 → 3×3 (stride) →
    1×1 to ``4·planes``; children ``conv1``, ``bn1``, ``conv2``, ``bn2``, ``conv3``, ``bn3``,
    ``relu`` and, if given, ``downsample``."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample=None, rng=0):
        super().__init__()
        self.add("conv1", Conv2d(inplanes, planes, 1, bias=False, rng=rng))
        self.add("bn1", BatchNorm2d(planes))
        self.add("conv2", Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False,
                                 rng=rng))
        self.add("bn2", BatchNorm2d(planes))
        self.add("conv3", Conv2d(planes, planes * self.expansion, 1, bias=False, rng=rng))
        self.add("bn3", BatchNorm2d(planes * self.expansion))
        self.add("relu", ReLU())
        if downsample is not None:
            self.add("downsample", downsample)

    def forward_with(self, x, run):
        out = run("relu", run("bn1", run("conv1", x)))
        out = run("relu", run("bn2", run("conv2", out)))
        out = run("bn3", run("conv3", out))                             # F(x)
        shortcut = run("downsample", x) if "downsample" in self.children else x
        return run("relu", out + shortcut)

    def backward_with(self, dout, back):
        ds = back("relu", dout)                                         # ∂L/∂s, the 3rd call
        d = back("conv2", back("bn2", back("relu", back("conv3", back("bn3", ds)))))
        dx = back("conv1", back("bn1", back("relu", d)))
        return dx + (back("downsample", ds) if "downsample" in self.children else ds)
