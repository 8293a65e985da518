"""``to_torch(model)``: an equivalent ``torch.nn.Sequential`` whose submodule names are our layer
names (``torch_model.conv3`` is our ``conv3``), with our weights loaded unchanged — the
``state_dict`` layouts are PyTorch's already.
"""

from __future__ import annotations

from collections import OrderedDict

from .. import nn


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


def _torch_layer(layer, torch):
    tnn = torch.nn
    if isinstance(layer, nn.Conv2d):
        return tnn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                          stride=layer.stride, padding=layer.padding, bias="bias" in layer.params)
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
    raise TypeError(f"to_torch has no torch counterpart for layer {layer!r}")


def to_torch(model: nn.Sequential, dtype=None, device="cpu"):
    """An equivalent ``torch.nn.Sequential`` in evaluation mode.

    ``dtype`` defaults to ``torch.float64`` (the reference precision); ``device`` may be
    ``"cuda"`` when a GPU is present.
    """
    torch = _import_torch()
    dtype = torch.float64 if dtype is None else dtype
    modules = OrderedDict(
        (name, _torch_layer(layer, torch)) for name, layer in model.layers.items()
    )
    # Convert before loading: torch creates float32 parameters, and loading our float64 weights
    # into them first would round them.
    torch_model = torch.nn.Sequential(modules).to(dtype=dtype, device=device)
    state = {k: torch.from_numpy(v.copy()) for k, v in model.state_dict().items()}
    torch_model.load_state_dict(state, strict=True)
    return torch_model.eval()
