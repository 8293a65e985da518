"""torchvision's ResNets (He et al., CVPR 2016; torchvision's "v1.5": the stride on the 3×3
convolution of a bottleneck) with its module names.

======= ============ ==================== ==========================
arch    block        blocks per stage     ``fc.in_features``
======= ============ ==================== ==========================
18      BasicBlock   2, 2, 2, 2           512
34      BasicBlock   3, 4, 6, 3           512
50      Bottleneck   3, 4, 6, 3           2048
======= ============ ==================== ==========================

The stem: ``conv1`` 7×7 stride 2 padding 3 (no bias) → ``bn1`` → ``relu`` → ``maxpool`` 3×3
stride 2 padding 1; four stages ``layer1``…``layer4`` (stride 1, 2, 2, 2, each stage's first
block projecting its shortcut when the shape changes); ``avgpool`` (adaptive, to 1×1); the flatten
of ``torch.flatten(x, 1)`` (no module: written out in ``forward_with``); ``fc``. That head is
``gap_head``: CAM applies at ``layer4``.

``normalize=True`` puts torchvision's ImageNet normalisation first, as a layer ``normalize``
without parameters (:mod:`~numpy_gradcam.architectures.input_normalization`): the model then
takes [0, 1] images; ``state_dict()`` and every other name are unchanged.

``target_layer = "layer4"``, as pytorch-grad-cam's README recommends (``model.layer4[-1]``: the
same tensor, the last block's output). Every stride-2 step is padded, so any input size runs, as
in torch (a 1×1 image gives a 1×1 ``layer4``); ``layer4`` is ``ceil(H/32) × ceil(W/32)``.
"""

from __future__ import annotations

from .. import _validate
from ..nn import BatchNorm2d, Conv2d, Linear, MaxPool2d, Normalize, ReLU, Sequential
from ..nn.adaptive_avgpool import AdaptiveAvgPool2d
from ..nn.head import GapHead
from ..nn.module import Module
from ..nn.residual import BasicBlock, Bottleneck, downsample
from .input_normalization import IMAGENET

STAGES = ("layer1", "layer2", "layer3", "layer4")


class ResNet(Module):
    """``ResNet(block, layers, num_classes=1000, seed=0)``: torchvision's ``ResNet``
    (``normalize=True``: ImageNet's normalisation first, see the module docstring)."""

    def __init__(self, block, layers, num_classes=1000, seed=0, class_names=None, arch=None,
                 normalize=False):
        super().__init__(class_names=class_names)
        #: torchvision's name for the architecture (``to_torch`` builds that model).
        self.arch = arch
        rng = _validate.rng(seed, "seed")
        if normalize:
            self.add("normalize", Normalize(*IMAGENET))
        self.add("conv1", Conv2d(3, 64, 7, stride=2, padding=3, bias=False, rng=rng))
        self.add("bn1", BatchNorm2d(64))
        self.add("relu", ReLU())
        self.add("maxpool", MaxPool2d(3, 2, 1))
        inplanes = 64
        for stage, (planes, count) in enumerate(zip((64, 128, 256, 512), layers, strict=True)):
            stride = 1 if stage == 0 else 2
            blocks = []
            for i in range(count):
                out = planes * block.expansion
                shortcut = None
                if i == 0 and (stride != 1 or inplanes != out):
                    shortcut = downsample(inplanes, out, stride, rng)
                blocks.append((str(i), block(inplanes, planes, stride if i == 0 else 1,
                                             shortcut, rng=rng)))
                inplanes = out
            self.add(STAGES[stage], Sequential(blocks))
        self.add("avgpool", AdaptiveAvgPool2d((1, 1)))
        self.add("fc", Linear(512 * block.expansion, num_classes, rng=rng))
        self.target_layer = "layer4"
        #: ``avgpool`` (1×1), the flatten, ``fc``: CAM's head (numpy_gradcam.nn.head).
        self.gap_head = GapHead(features="layer4", linear="fc")

    def forward_with(self, x, run):
        if "normalize" in self.children:
            x = run("normalize", x)
        x = run("maxpool", run("relu", run("bn1", run("conv1", x))))
        for stage in STAGES:
            x = run(stage, x)
        x = run("avgpool", x)                                           # (N, C, 1, 1)
        return run("fc", x.reshape(len(x), -1))                         # torch.flatten(x, 1)

    def backward_with(self, dout, back):
        d = back("fc", dout)                                            # (..., N, C)
        d = back("avgpool", d.reshape(*d.shape, 1, 1))                  # the flatten, undone
        for stage in reversed(STAGES):
            d = back(stage, d)
        d = back("conv1", back("bn1", back("relu", back("maxpool", d))))
        return back("normalize", d) if "normalize" in self.children else d


def resnet18(num_classes=1000, seed=0, class_names=None, normalize=False) -> ResNet:
    return ResNet(BasicBlock, (2, 2, 2, 2), num_classes, seed, class_names, "resnet18", normalize)


def resnet34(num_classes=1000, seed=0, class_names=None, normalize=False) -> ResNet:
    return ResNet(BasicBlock, (3, 4, 6, 3), num_classes, seed, class_names, "resnet34", normalize)


def resnet50(num_classes=1000, seed=0, class_names=None, normalize=False) -> ResNet:
    return ResNet(Bottleneck, (3, 4, 6, 3), num_classes, seed, class_names, "resnet50", normalize)
