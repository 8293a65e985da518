"""``to_torch(model)``: an equivalent torch model whose submodule names are our layer names
(``torch_model.conv3`` is our ``conv3``, ``torch_model.layer4[1].conv2`` our ``layer4.1.conv2``),
with our weights loaded unchanged — the ``state_dict`` layouts are PyTorch's already. A
``Sequential`` (nested or not) becomes a ``torch.nn.Sequential``; a real architecture
(:mod:`numpy_gradcam.architectures`) becomes torchvision's model of that name, which needs
torchvision. A model that normalises its input (a first layer ``normalize``,
:class:`~numpy_gradcam.nn.Normalize`) has a torch copy that does too: a module ``normalize``,
called first by a forward pre-hook on torchvision's model (whose own names stay as they are),
its constants not in the ``state_dict`` (non-persistent buffers), as ours are not.
"""

from __future__ import annotations

from collections import OrderedDict

from .. import nn
from ..architectures import EfficientNetLite
from ..nn.mbconv import Conv2dSamePadding


def _import_torch():
    try:
        import torch
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the torch oracle needs PyTorch: pip install 'numpy-gradcam[oracle]'"
        ) from error
    return torch


def _global_avg_pool_module(torch):
    class GlobalAvgPool2d(torch.nn.Module):
        """``x.mean((2, 3))``: ``(N, C, H, W)`` → ``(N, C)``."""

        def forward(self, x):
            return x.mean(dim=(2, 3))

    return GlobalAvgPool2d()


def _normalize_module(layer: nn.Normalize, torch):
    class Normalize(torch.nn.Module):
        """``(scale·x − mean) / std`` per channel, as :class:`numpy_gradcam.nn.Normalize`."""

        def __init__(self):
            super().__init__()
            self.scale = layer.scale
            for name in ("mean", "std"):
                value = torch.tensor(getattr(layer, name), dtype=torch.float64).view(-1, 1, 1)
                self.register_buffer(name, value, persistent=False)

        def forward(self, x):
            return (self.scale * x - self.mean) / self.std

    return Normalize()


def _normalize_first(module, args):
    """A forward pre-hook: the model's input goes through its ``normalize`` first."""
    return (module.normalize(args[0]), *args[1:])


def _torch_layer(layer, torch):
    tnn = torch.nn
    if isinstance(layer, Conv2dSamePadding):
        raise TypeError(f"to_torch has no torch layer for {layer!r} (TensorFlow's 'same' padding: "
                        f"only inside efficientnet_lite0, which becomes the PyTorch port)")
    if isinstance(layer, nn.Conv2d):
        return tnn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                          stride=layer.stride, padding=layer.padding, bias="bias" in layer.params,
                          groups=layer.groups)
    if isinstance(layer, nn.Linear):
        return tnn.Linear(layer.in_features, layer.out_features, bias="bias" in layer.params)
    if isinstance(layer, nn.ReLU):
        return tnn.ReLU()
    if isinstance(layer, nn.ReLU6):
        return tnn.ReLU6()
    if isinstance(layer, nn.MaxPool2d):
        return tnn.MaxPool2d(layer.kernel_size, stride=layer.stride, padding=layer.padding)
    if isinstance(layer, nn.AvgPool2d):
        # count_include_pad=True (torch's default) is the engine's convention too
        return tnn.AvgPool2d(layer.kernel_size, stride=layer.stride, padding=layer.padding)
    if isinstance(layer, nn.AdaptiveAvgPool2d):
        return tnn.AdaptiveAvgPool2d(layer.output_size)
    if isinstance(layer, nn.Dropout):
        return tnn.Dropout(layer.p)                    # to_torch returns evaluation mode
    if isinstance(layer, nn.Identity):
        return tnn.Identity()
    if isinstance(layer, nn.ZeroPad2d):
        return tnn.ZeroPad2d(layer.padding)
    if isinstance(layer, nn.GlobalAvgPool2d):
        return _global_avg_pool_module(torch)
    if isinstance(layer, nn.Flatten):
        return tnn.Flatten()
    if isinstance(layer, nn.BatchNorm2d):
        return tnn.BatchNorm2d(layer.num_features, eps=layer.eps, momentum=layer.momentum)
    if isinstance(layer, nn.Normalize):
        return _normalize_module(layer, torch)
    raise TypeError(f"to_torch has no torch counterpart for layer {layer!r}")


def _torch_module(module, torch):
    """The torch counterpart of a leaf or of a (nested) ``Sequential``."""
    if isinstance(module, nn.Sequential):
        return torch.nn.Sequential(OrderedDict(
            (name, _torch_module(child, torch)) for name, child in module.children.items()))
    if isinstance(module, nn.Module):
        raise TypeError(f"to_torch has no torch counterpart for the module "
                        f"{type(module).__name__} (only inside a torchvision architecture)")
    return _torch_layer(module, torch)


def _efficientnet_lite_model(model):
    """The PyTorch port of EfficientNet-Lite (``efficientnet_lite_pytorch``), its padding fixed
    for ``model.image_size`` (224 by default, as the port's) or computed per input (None)."""
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("to_torch of efficientnet_lite0 builds the PyTorch port: pip install "
                          "efficientnet-lite-pytorch") from error
    size = model.image_size
    overrides = {} if size == (224, 224) else {"image_size": None if size is None else list(size)}
    return EfficientNet.from_name("efficientnet-lite0", num_classes=model.num_classes,
                                  **overrides)


def _torchvision_model(model):
    try:
        import torchvision
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(f"to_torch of {model.arch!r} builds torchvision's model: pip install "
                          f"torchvision") from error
    return getattr(torchvision.models, model.arch)(weights=None, num_classes=model.num_classes)


def to_torch(model: nn.Module, dtype=None, device="cpu"):
    """An equivalent torch model in evaluation mode.

    ``dtype`` defaults to ``torch.float64`` (the reference precision); ``device`` may be
    ``"cuda"`` when a GPU is present.
    """
    torch = _import_torch()
    dtype = torch.float64 if dtype is None else dtype
    if isinstance(model, EfficientNetLite):
        torch_model = _efficientnet_lite_model(model)
    elif getattr(model, "arch", None):
        torch_model = _torchvision_model(model)
    else:
        torch_model = _torch_module(model, torch)
    if not isinstance(model, nn.Sequential) and "normalize" in model.children:
        torch_model.normalize = _torch_layer(model.children["normalize"], torch)
        torch_model.register_forward_pre_hook(_normalize_first)
    # Convert before loading: torch creates float32 parameters, and loading our float64 weights
    # into them first would round them.
    torch_model = torch_model.to(dtype=dtype, device=device)
    state = {k: torch.from_numpy(v.copy()) for k, v in model.state_dict().items()}
    torch_model.load_state_dict(state, strict=True)
    return torch_model.eval()
