"""torchvision's VGG-16 (Simonyan & Zisserman, ICLR 2015, Table 1, configuration D) with its
module names.

``features``, a Sequential of 31: thirteen 3×3 convolutions (padding 1, with bias), each
followed by a ReLU, in five stages of 64, 128, 256, 512 and 512 channels, each stage closed by a
2×2 max-pool of stride 2 (``features.4``, ``.9``, ``.16``, ``.23``, ``.30``). Then ``avgpool``,
an adaptive average pool to 7×7; the flatten of ``torch.flatten(x, 1)`` (no module: written out
in ``forward_with``); and ``classifier``: ``0`` Linear(25088, 4096), ``1`` ReLU, ``2``
Dropout(0.5), ``3`` Linear(4096, 4096), ``4`` ReLU, ``5`` Dropout(0.5), ``6`` Linear(4096,
num_classes).

``target_layer = "features.30"``, as pytorch-grad-cam's README recommends
(``model.features[-1]``, the last max-pool). The pools are not padded, so the input must be at
least 32×32 (torchvision's ``min_size``); ``features.30`` is ``⌊H/32⌋ × ⌊W/32⌋``, and the
adaptive pool brings any such size to 7×7 (repeating entries when smaller).

``normalize=True`` puts torchvision's ImageNet normalisation first, as a layer ``normalize``
without parameters (:mod:`~numpy_gradcam.architectures.input_normalization`): the model then
takes [0, 1] images; ``state_dict()`` and every other name are unchanged.

Initialised as the engine's layers are (PyTorch's default per layer), not torchvision's
re-initialisation; load trained weights with ``load_state_dict``. With 1000 classes it holds
138 million parameters (1.1 GB in float64).
"""

from __future__ import annotations

from .. import _validate
from ..nn.adaptive_avgpool import AdaptiveAvgPool2d
from ..nn.conv import Conv2d
from ..nn.dropout import Dropout
from ..nn.linear import Linear
from ..nn.maxpool import MaxPool2d
from ..nn.module import Module
from ..nn.normalize import Normalize
from ..nn.relu import ReLU
from ..nn.sequential import Sequential
from .input_normalization import IMAGENET

#: torchvision's ``cfgs["D"]``: a convolution's output channels, or ``"M"`` a max-pool.
VGG16_CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
                512, 512, 512, "M")


class VGG(Module):
    """``VGG(config, num_classes=1000, seed=0, class_names=None, dropout=0.5)``: torchvision's
    ``VGG`` without BatchNorm (``normalize=True``: ImageNet's normalisation first, see the module
    docstring).

    The weights come from ``seed`` (an int or a ``numpy.random.Generator``); each Dropout draws
    its masks (training only) from its own stream spawned from it.
    """

    def __init__(self, config, num_classes=1000, seed=0, class_names=None, dropout=0.5,
                 arch=None, normalize=False):
        super().__init__(class_names=class_names)
        #: torchvision's name for the architecture (``to_torch`` builds that model).
        self.arch = arch
        rng = _validate.rng(seed, "seed")
        if normalize:
            self.add("normalize", Normalize(*IMAGENET))
        layers, channels = [], 3
        for v in config:
            if v == "M":
                layers.append(MaxPool2d(2, 2))
            else:
                layers += [Conv2d(channels, v, 3, padding=1, rng=rng), ReLU()]
                channels = v
        self.add("features", Sequential([(str(i), layer) for i, layer in enumerate(layers)]))
        self.add("avgpool", AdaptiveAvgPool2d((7, 7)))
        first, second = rng.spawn(2)
        self.add("classifier", Sequential([
            ("0", Linear(512 * 7 * 7, 4096, rng=rng)), ("1", ReLU()),
            ("2", Dropout(dropout, rng=first)),
            ("3", Linear(4096, 4096, rng=rng)), ("4", ReLU()),
            ("5", Dropout(dropout, rng=second)),
            ("6", Linear(4096, num_classes, rng=rng))]))
        self.target_layer = f"features.{len(layers) - 1}"
        #: a 7×7 pool, flattened into an MLP: no GAP → linear head, so CAM applies nowhere
        #: (numpy_gradcam.nn.head).
        self.gap_head = None
        #: each 2×2 max-pool halves the size without padding: 2^pools pixels leave one
        self.min_size = (2 ** config.count("M"),) * 2

    def forward_with(self, x, run):
        if "normalize" in self.children:
            x = run("normalize", x)
        x = run("avgpool", run("features", x))                          # (N, 512, 7, 7)
        return run("classifier", x.reshape(len(x), -1))                 # torch.flatten(x, 1)

    def backward_with(self, dout, back):
        d = back("classifier", dout)                                    # (..., N, 25088)
        d = d.reshape(*d.shape[:-1], 512, 7, 7)                         # the flatten, undone
        d = back("features", back("avgpool", d))
        return back("normalize", d) if "normalize" in self.children else d


def vgg16(num_classes=1000, seed=0, class_names=None, normalize=False) -> VGG:
    return VGG(VGG16_CONFIG, num_classes, seed, class_names, arch="vgg16", normalize=normalize)
