r"""The mobile inverted bottleneck (MBConv) of EfficientNet-Lite, and TensorFlow's "same" padding.

**The block** (Sandler et al., *MobileNetV2*, CVPR 2018, Fig. 3; Tan & Le, *EfficientNet*, ICML
2019, Table 1), without squeeze-and-excitation, as EfficientNet-Lite has it:

.. math::

    h = \mathrm{ReLU6}(\mathrm{BN_0}(W_e * x)), \quad
    g = \mathrm{ReLU6}(\mathrm{BN_1}(W_d \circledast h)), \quad
    \text{out} = \mathrm{BN_2}(W_p * g) \; [\, + \, x \,]

- ``_expand_conv`` ``W_e``: 1×1, ``C_in → t·C_in`` (absent when the expand ratio ``t`` is 1:
  then ``h = x``), ``_bn0``;
- ``_depthwise_conv`` ``W_d``: ``k×k`` depthwise (``groups = t·C_in``) with the block's stride,
  "same"-padded, ``_bn1``;
- ``_project_conv`` ``W_p``: 1×1, ``t·C_in → C_out``, ``_bn2``, and **no** activation (the
  "linear bottleneck");
- the identity skip ``+ x`` when the stride is 1 and ``C_in = C_out``; no projection otherwise.

One ``_swish`` module (a ReLU6: the port keeps the name of EfficientNet's swish) is called twice,
after ``_bn0`` and after ``_bn1``; its recorded output is its last call's, ``g``. The names are
those of the EfficientNet-Lite PyTorch port (PyPI ``efficientnet-lite-pytorch`` 0.1.0,
``efficientnet_lite_pytorch/model.py``, ``MBConvBlock``), registered in its order.

**Backward.** With ``s = out``: ``∂L/∂g = W_pᵀ ⋆ BN_2'(∂L/∂s)`` and so on down the chain, each
child's ``backward_input``; the skip adds ``∂L/∂s`` to the input's gradient, as in
:mod:`~numpy_gradcam.nn.residual`.

**"Same" padding** (TensorFlow's ``padding="SAME"``): a convolution of kernel ``k`` and stride
``s`` over ``n`` pixels gives ``⌈n/s⌉`` outputs, after zero padding of

.. math::

    p = \max\big((\lceil n/s \rceil - 1)\, s + k - n,\; 0\big)
    \qquad \text{split as } \lfloor p/2 \rfloor \text{ before and } \lceil p/2 \rceil \text{ after}

so an odd ``p`` puts the extra row at the bottom and the extra column at the right. At stride 1
``p = k - 1`` whatever ``n``; at stride 2 it depends on ``n``'s parity (3×3: 1 if ``n`` is even,
2 if odd). The port computes ``p`` in two ways (``efficientnet_lite_pytorch/utils.py``):

- ``Conv2dStaticSamePadding``: once, from a fixed ``image_size`` (224 for Lite0, what
  ``EfficientNet.from_name``/``from_pretrained`` build), as a ``ZeroPad2d`` applied to every
  input whatever its size;
- ``Conv2dDynamicSamePadding`` (``image_size=None``): from each input's own size, TensorFlow's
  rule (the TF original's ``padding='same'``).

They agree whenever every stride-2 convolution sees an even size (``H`` and ``W`` multiples of
32 for the whole network); elsewhere their outputs differ, even in size.
:class:`Conv2dSamePadding` is both: ``image_size=(H, W)`` the static one, ``None`` the dynamic
one.
"""

from __future__ import annotations

from .. import _validate
from .batchnorm import BatchNorm2d
from .conv import Conv2d
from .module import Module
from .relu6 import ReLU6
from .zeropad import zero_pad2d_backward, zero_pad2d_forward

#: TensorFlow's BatchNorm epsilon and decay 0.99, as the port passes them to torch: torch's
#: ``momentum`` is ``1 - decay`` (the port computes it so, 0.010000000000000009 in floating point).
BN_EPS = 1e-3
BN_MOMENTUM = 1 - 0.99


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """``(before, after)``: the zeros TensorFlow's "same" padding adds on one axis of ``size``
    pixels, so that a ``kernel``-wide convolution with ``stride`` gives ``⌈size/stride⌉``
    outputs; ``after`` takes the odd one."""
    out = -(-size // stride)                                  # ⌈size / stride⌉
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Conv2dSamePadding(Conv2d):
    """``Conv2dSamePadding(in_channels, out_channels, kernel_size, stride=1, bias=True, rng=0, *,
    groups=1, image_size=None)``: :class:`~numpy_gradcam.nn.Conv2d` after TensorFlow's "same"
    zero padding (see the module docstring), computed from ``image_size`` ``(H, W)`` once for
    all inputs (the port's ``Conv2dStaticSamePadding``) or, with ``None``, from each input's size
    (``Conv2dDynamicSamePadding``). Parameters and ``state_dict`` keys are ``Conv2d``'s.

    Forward: ``x`` ``(N, C, H, W)`` → zero-padded ``(N, C, H + p_h, W + p_w)`` → ``(N, F, Ho,
    Wo)``. Backward: the convolution's input gradient, cropped back to ``(H, W)``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, bias=True, rng=0, *,
                 groups=1, image_size=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, 0, bias, rng,
                         groups=groups)
        self.image_size = None if image_size is None else _validate.pair(image_size,
                                                                         "image_size")

    def zero_padding(self, size) -> tuple[int, int, int, int]:
        """``(left, right, top, bottom)`` for an input of spatial size ``size`` ``(H, W)``
        (ignored when the padding is static: then it is ``image_size``'s)."""
        H, W = self.image_size or size
        top, bottom = same_padding(H, self.kernel_size[0], self.stride[0])
        left, right = same_padding(W, self.kernel_size[1], self.stride[1])
        return left, right, top, bottom

    def forward(self, x, train=False):
        if x.ndim != 4:
            raise ValueError(f"x must have shape (N, {self.in_channels}, H, W) for {self!r}, "
                             f"got {x.shape}")
        xp, pad_cache = zero_pad2d_forward(x, self.zero_padding(x.shape[2:]))
        out, conv_cache = super().forward(xp, train)
        return out, (pad_cache, conv_cache)

    def backward_input(self, dout, cache):
        pad_cache, conv_cache = cache
        return zero_pad2d_backward(super().backward_input(dout, conv_cache), pad_cache)

    def backward_params(self, dout, cache):
        return super().backward_params(dout, cache[1])

    def __repr__(self):
        padding = "dynamic" if self.image_size is None else f"static for {self.image_size}"
        return super().__repr__()[:-1] + f", same padding {padding})"


class MBConvBlock(Module):
    """``MBConvBlock(in_channels, out_channels, kernel_size, stride, expand_ratio,
    image_size=None, rng=0)``: the port's ``MBConvBlock`` without squeeze-and-excitation.

    ``image_size``: the size of the block's input for the depthwise convolution's static "same"
    padding, or None for the dynamic one (the 1×1 convolutions never pad). ``x`` ``(N, C_in, H,
    W)`` → ``(N, C_out, ⌈H/s⌉, ⌈W/s⌉)`` with dynamic padding. BatchNorms have the port's
    ``eps = 1e-3`` and ``momentum = 1 - 0.99``.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 expand_ratio: int, image_size=None, rng=0):
        super().__init__()
        rng = _validate.rng(rng)
        hidden = in_channels * _validate.positive_int(expand_ratio, "expand_ratio")
        if expand_ratio != 1:
            self.add("_expand_conv", Conv2d(in_channels, hidden, 1, bias=False, rng=rng))
            self.add("_bn0", BatchNorm2d(hidden, eps=BN_EPS, momentum=BN_MOMENTUM))
        self.add("_depthwise_conv", Conv2dSamePadding(hidden, hidden, kernel_size, stride,
                                                      bias=False, rng=rng, groups=hidden,
                                                      image_size=image_size))
        self.add("_bn1", BatchNorm2d(hidden, eps=BN_EPS, momentum=BN_MOMENTUM))
        self.add("_project_conv", Conv2d(hidden, out_channels, 1, bias=False, rng=rng))
        self.add("_bn2", BatchNorm2d(out_channels, eps=BN_EPS, momentum=BN_MOMENTUM))
        self.add("_swish", ReLU6())
        #: Whether ``out = BN_2(...) + x``: the port's ``id_skip`` (always on in Lite) with
        #: stride 1 and as many channels out as in.
        self.skip = stride == 1 and in_channels == out_channels

    def forward_with(self, x, run):
        h = x
        if "_expand_conv" in self.children:
            h = run("_swish", run("_bn0", run("_expand_conv", x)))        # (N, t·C_in, H, W)
        g = run("_swish", run("_bn1", run("_depthwise_conv", h)))         # (N, t·C_in, Ho, Wo)
        out = run("_bn2", run("_project_conv", g))                        # (N, C_out, Ho, Wo)
        return out + x if self.skip else out

    def backward_with(self, dout, back):
        d = back("_project_conv", back("_bn2", dout))                     # ∂L/∂g
        d = back("_depthwise_conv", back("_bn1", back("_swish", d)))      # ∂L/∂h, 2nd call
        if "_expand_conv" in self.children:
            d = back("_expand_conv", back("_bn0", back("_swish", d)))     # ∂L/∂x, 1st call
        return d + dout if self.skip else d
