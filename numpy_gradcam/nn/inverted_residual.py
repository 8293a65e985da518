r"""The inverted residual block with a linear bottleneck (Sandler et al., *MobileNetV2: Inverted
Residuals and Linear Bottlenecks*, CVPR 2018, Table 1 and Fig. 3d): torchvision's
``InvertedResidual``, with its module names.

.. math::

    \text{out} = \begin{cases} x + \mathcal{F}(x) & \text{stride} = 1 \text{ and }
        C_\text{in} = C_\text{out} \quad (\texttt{use\_res\_connect}) \\
        \mathcal{F}(x) & \text{otherwise} \end{cases}

    \mathcal{F} = \mathrm{BN} \circ \mathrm{Conv}_{1\times1}
        \circ \mathrm{ReLU6} \circ \mathrm{BN} \circ \mathrm{DWConv}_{3\times3,\,s}
        \circ \mathrm{ReLU6} \circ \mathrm{BN} \circ \mathrm{Conv}_{1\times1}

The branch ``F`` (torchvision's ``conv``, a Sequential) *expands* ``C_in`` channels to
``t·C_in`` with a 1×1 convolution (left out when the expansion factor ``t = 1``), filters each
channel on its own with a 3×3 depthwise convolution carrying the stride, and *projects* back to
``C_out`` with a 1×1 convolution followed by BatchNorm and **no** activation (the linear
bottleneck). The residual sum joins the two thin ends, hence "inverted" (ResNet joins the wide
ones).

Names, as torchvision's (``Conv2dNormActivation`` is a Sequential ``0`` conv, ``1`` BatchNorm,
``2`` ReLU6):

- ``t = 1``: ``conv.0`` the depthwise ConvBNReLU6 (``conv.0.0``, ``conv.0.1``, ``conv.0.2``),
  ``conv.1`` the projecting convolution, ``conv.2`` its BatchNorm;
- ``t > 1``: ``conv.0`` the expanding ConvBNReLU6, ``conv.1`` the depthwise one, ``conv.2`` the
  projecting convolution, ``conv.3`` its BatchNorm.

**Backward.** With ``out = x + F(x)`` the upstream gradient reaches both terms unchanged (the
derivative of a sum), and the input's gradient is the sum of the branch's and the identity's,

.. math::

    \frac{\partial L}{\partial x} = J_{\mathcal{F}}(x)^\top \frac{\partial L}{\partial\,\text{out}}
        + \frac{\partial L}{\partial\,\text{out}},

without the second term when there is no residual connection. ``backward_with`` is
``forward_with`` read backwards. ReLU6's derivative is ``[0 < z < 6]`` (0 at both kinks, as
torch's).

Shapes: ``x`` ``(N, C_in, H, W)`` → ``(N, C_out, ⌈H/s⌉, ⌈W/s⌉)`` (every convolution is padded by
``(k - 1)/2``).
"""

from __future__ import annotations

from .. import _validate
from .batchnorm import BatchNorm2d
from .conv import Conv2d
from .module import Module
from .relu6 import ReLU6
from .sequential import Sequential


def conv_bn_relu6(in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                  groups: int = 1, rng=0) -> Sequential:
    """torchvision's ``Conv2dNormActivation(..., activation_layer=nn.ReLU6)``: ``0`` a
    convolution padded by ``(kernel_size - 1) // 2`` without bias (the BatchNorm has one),
    ``1`` a BatchNorm, ``2`` a ReLU6."""
    conv = Conv2d(in_channels, out_channels, kernel_size, stride=stride,
                  padding=(kernel_size - 1) // 2, bias=False, rng=rng, groups=groups)
    return Sequential([("0", conv), ("1", BatchNorm2d(out_channels)), ("2", ReLU6())])


class InvertedResidual(Module):
    """``InvertedResidual(inp, oup, stride, expand_ratio, rng=0)``: one child, ``conv`` (the
    branch ``F``); ``x + F(x)`` when ``use_res_connect`` (``stride == 1 and inp == oup``).

    ``hidden_dim = round(inp · expand_ratio)`` channels between the two 1×1 convolutions.
    """

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int, rng=0):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"stride must be 1 or 2 (MobileNetV2's), got {stride!r}")
        inp = _validate.positive_int(inp, "inp")
        oup = _validate.positive_int(oup, "oup")
        rng = _validate.rng(rng)
        self.stride = stride
        self.hidden_dim = round(inp * expand_ratio)
        self.use_res_connect = stride == 1 and inp == oup
        hidden = self.hidden_dim
        layers = []
        if expand_ratio != 1:
            layers.append(conv_bn_relu6(inp, hidden, kernel_size=1, rng=rng))       # expand
        layers += [conv_bn_relu6(hidden, hidden, stride=stride, groups=hidden, rng=rng),  # dw
                   Conv2d(hidden, oup, 1, bias=False, rng=rng),                   # project
                   BatchNorm2d(oup)]                                              # linear
        self.add("conv", Sequential([(str(i), layer) for i, layer in enumerate(layers)]))

    def forward_with(self, x, run):
        out = run("conv", x)                                            # F(x)
        return x + out if self.use_res_connect else out

    def backward_with(self, dout, back):
        dx = back("conv", dout)                                         # J_F(x)ᵀ dout
        return dx + dout if self.use_res_connect else dx
