"""Real architectures in NumPy, with torchvision's module names: ``model.load_state_dict`` of a
torchvision model's ``state_dict`` (as NumPy arrays) works with strict key checking.

Each is *bare*: its ``forward`` takes what the torch model takes (no input normalisation, no
[0, 1] check), and its ``target_layer`` is the layer pytorch-grad-cam's README recommends for
the family.
"""

from .efficientnet_lite import EfficientNetLite, efficientnet_lite0
from .resnet import ResNet, resnet18, resnet34, resnet50

__all__ = ["EfficientNetLite", "ResNet", "efficientnet_lite0", "resnet18", "resnet34",
           "resnet50"]
