"""Real architectures in NumPy, with torchvision's module names: ``model.load_state_dict`` of a
torchvision model's ``state_dict`` (as NumPy arrays) works with strict key checking.

Each is *bare*: its ``forward`` takes what the torch model takes (no input normalisation, no
[0, 1] check), and its ``target_layer`` is the layer pytorch-grad-cam's README recommends for
the family.
"""

from .efficientnet_lite import EfficientNetLite, efficientnet_lite0
from .mobilenet import MobileNetV2, mobilenet_v2
from .resnet import ResNet, resnet18, resnet34, resnet50
from .vgg import VGG, vgg16

__all__ = ["VGG", "EfficientNetLite", "MobileNetV2", "ResNet", "efficientnet_lite0",
           "mobilenet_v2", "resnet18", "resnet34", "resnet50", "vgg16"]
