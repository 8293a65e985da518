"""torchvision's MobileNetV2 (Sandler et al., CVPR 2018, Table 2) with its module names.

``features``, a Sequential of 19:

- ``features.0``: a 3×3 ConvBNReLU6 (torchvision's ``Conv2dNormActivation``), 3 → 32 channels,
  stride 2;
- ``features.1`` … ``features.17``: inverted residual blocks
  (:class:`~numpy_gradcam.nn.inverted_residual.InvertedResidual`), from the table below, each
  row ``n`` blocks of which the first has stride ``s`` (a block adds its input back when its
  stride is 1 and its channels do not change);
- ``features.18``: a 1×1 ConvBNReLU6 to 1280 channels.

===== ===== ===== ===== ===========
``t`` ``c`` ``n`` ``s`` blocks
===== ===== ===== ===== ===========
1     16    1     1     1
6     24    2     2     2–3
6     32    3     2     4–6
6     64    4     2     7–10
6     96    3     1     11–13
6     160   3     2     14–16
6     320   1     1     17
===== ===== ===== ===== ===========

(``t`` the expansion factor, ``c`` the output channels, ``n`` the blocks, ``s`` the first
block's stride.)

Then torchvision's functional ``nn.functional.adaptive_avg_pool2d(x, (1, 1))`` and
``torch.flatten(x, 1)`` (no modules: written out in ``forward_with``), and ``classifier``:
``0`` Dropout(0.2), ``1`` Linear(1280, num_classes): a global-average-pool → linear head
(``gap_head``), so CAM applies at ``features`` (``features.18``). ``width_mult`` is 1
(torchvision's ``mobilenet_v2``), so no channel count is rounded.

``target_layer = "features.18"``, as pytorch-grad-cam's README recommends
(``model.features[-1]``). Every stride-2 step is padded, so any input size runs (torchvision's
``min_size`` is 1×1); ``features.18`` is ``⌈H/32⌉ × ⌈W/32⌉``.

``normalize=True`` puts torchvision's ImageNet normalisation first, as a layer ``normalize``
without parameters (:mod:`~numpy_gradcam.architectures.input_normalization`): the model then
takes [0, 1] images; ``state_dict()`` and every other name are unchanged.

Initialised as the engine's layers are (PyTorch's default per layer), not torchvision's
re-initialisation; load trained weights with ``load_state_dict``.
"""

from __future__ import annotations

from .. import _validate
from ..nn.dropout import Dropout
from ..nn.head import GapHead
from ..nn.inverted_residual import InvertedResidual, conv_bn_relu6
from ..nn.linear import Linear
from ..nn.module import Module
from ..nn.normalize import Normalize
from ..nn.sequential import Sequential
from .input_normalization import IMAGENET

#: ``(t, c, n, s)``: expansion factor, output channels, blocks, stride of the first block.
INVERTED_RESIDUAL_SETTING = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                             (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
LAST_CHANNEL = 1280


class MobileNetV2(Module):
    """``MobileNetV2(num_classes=1000, seed=0, class_names=None, dropout=0.2)``: torchvision's
    ``MobileNetV2`` with ``width_mult = 1`` (``normalize=True``: ImageNet's normalisation first,
    see the module docstring).

    The weights come from ``seed`` (an int or a ``numpy.random.Generator``); the Dropout draws
    its masks (training only) from its own stream spawned from it.
    """

    def __init__(self, num_classes=1000, seed=0, class_names=None, dropout=0.2,
                 arch="mobilenet_v2", normalize=False):
        super().__init__(class_names=class_names)
        #: torchvision's name for the architecture (``to_torch`` builds that model).
        self.arch = arch
        rng = _validate.rng(seed, "seed")
        if normalize:
            self.add("normalize", Normalize(*IMAGENET))
        channels = 32
        features = [conv_bn_relu6(3, channels, stride=2, rng=rng)]
        for t, c, n, s in INVERTED_RESIDUAL_SETTING:
            for i in range(n):
                features.append(InvertedResidual(channels, c, s if i == 0 else 1, t, rng=rng))
                channels = c
        features.append(conv_bn_relu6(channels, LAST_CHANNEL, kernel_size=1, rng=rng))
        self.add("features", Sequential([(str(i), f) for i, f in enumerate(features)]))
        (dropout_rng,) = rng.spawn(1)
        self.add("classifier", Sequential([("0", Dropout(dropout, rng=dropout_rng)),
                                           ("1", Linear(LAST_CHANNEL, num_classes, rng=rng))]))
        self.target_layer = "features.18"
        #: the mean over (h, w) in forward_with, Dropout (the identity in evaluation), Linear:
        #: CAM's head (numpy_gradcam.nn.head), declared since the mean is no module.
        self.gap_head = GapHead(features="features", linear="classifier.1")

    def forward_with(self, x, run):
        if "normalize" in self.children:
            x = run("normalize", x)
        x = run("features", x)                                          # (N, 1280, h, w)
        # adaptive_avg_pool2d(x, (1, 1)) then torch.flatten(x, 1): the mean over (h, w).
        x = x.mean(axis=(2, 3))                                         # (N, 1280)
        return run("classifier", x)

    def backward_with(self, dout, back):
        d = back("classifier", dout)                                    # (..., N, 1280)
        # The mean's derivative: each of the h·w positions gets 1/(h·w) of its channel's d.
        h, w = back.output("features").shape[2:]                       # in this trace
        d = d[..., None, None] / (h * w)                                # (..., N, 1280, 1, 1)
        d = d.repeat(h, axis=-2).repeat(w, axis=-1)                     # (..., N, 1280, h, w)
        d = back("features", d)
        return back("normalize", d) if "normalize" in self.children else d


def mobilenet_v2(num_classes=1000, seed=0, class_names=None, normalize=False) -> MobileNetV2:
    return MobileNetV2(num_classes, seed, class_names, normalize=normalize)
