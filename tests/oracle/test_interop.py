"""Torch interop: a ``.pt`` state dict of ``to_torch(model)`` loads into numpy-gradcam (with
``weights_only=True``), and the reverse; wrong files give ``load_state_dict``'s clear errors."""

import subprocess
import sys

import numpy as np
import pytest

from numpy_gradcam.datasets import make_shapes
from numpy_gradcam.models import load_model
from numpy_gradcam.oracle import to_torch
from numpy_gradcam.oracle.interop import load_torch_state_dict, save_torch_state_dict


@pytest.fixture(scope="module")
def x():
    return make_shapes(2, seed=3)[0]


def _perturbed_torch_model(torch, name):
    """A torch model of the architecture with weights that differ from the shipped ones."""
    torch_model = to_torch(load_model(name))
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in torch_model.parameters():
            parameter.add_(0.01 * torch.randn(parameter.shape, generator=generator,
                                              dtype=parameter.dtype))
    return torch_model


@pytest.mark.parametrize("name", ["tinycnn-gap", "tinycnn-fc"])
def test_a_torch_state_dict_loads_into_numpy_gradcam(torch, tmp_path, x, name):
    torch_model = _perturbed_torch_model(torch, name)
    path = tmp_path / "weights.pt"
    torch.save(torch_model.state_dict(), path)
    model = load_torch_state_dict(path, name)
    for key, value in torch_model.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[key], value.numpy())
    with torch.no_grad():
        expected = torch_model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.forward(x), expected, rtol=1e-10, atol=1e-10)
    assert model.card["weights"] == str(path) and model.class_names[0] == "circle"


def test_float32_tensors_load_as_float64(torch, tmp_path):
    torch_model = to_torch(load_model("tinycnn-gap"), dtype=torch.float32)
    path = tmp_path / "weights32.pt"
    torch.save(torch_model.state_dict(), path)
    model = load_torch_state_dict(path, "tinycnn-gap")
    assert model.state_dict()["conv1.weight"].dtype == np.float64
    np.testing.assert_array_equal(model.state_dict()["conv1.weight"],
                                  torch_model.conv1.weight.detach().double().numpy())


def test_round_trip_is_equal(torch, tmp_path):
    model = load_model("tinycnn-gap")
    path = tmp_path / "out.pt"
    save_torch_state_dict(model, path)
    state = torch.load(path, weights_only=True)
    assert list(state) == list(model.state_dict())
    assert state["conv1.weight"].dtype == torch.float64
    to_torch(model).load_state_dict(state, strict=True)           # a torch model accepts it
    back = load_torch_state_dict(path, "tinycnn-gap")
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[key], value)


def test_save_never_overwrites_without_force(torch, tmp_path):
    path = tmp_path / "out.pt"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        save_torch_state_dict(load_model("tinycnn-gap"), path)
    assert path.read_bytes() == b"precious"
    save_torch_state_dict(load_model("tinycnn-gap"), path, force=True)
    assert path.read_bytes() != b"precious"


def test_wrong_keys_and_shapes_give_load_state_dicts_errors(torch, tmp_path):
    state = to_torch(load_model("tinycnn-gap")).state_dict()
    path = tmp_path / "bad.pt"
    missing = {k: v for k, v in state.items() if k != "fc.bias"}
    torch.save(missing, path)
    with pytest.raises(ValueError, match=r"does not fit 'tinycnn-gap'.*missing key 'fc.bias'"):
        load_torch_state_dict(path, "tinycnn-gap")
    torch.save(dict(state, extra=torch.zeros(1)), path)
    with pytest.raises(ValueError, match=r"unexpected key 'extra'"):
        load_torch_state_dict(path, "tinycnn-gap")
    torch.save(dict(state, **{"fc.weight": torch.zeros(5, 64)}), path)
    with pytest.raises(ValueError, match=r"'fc.weight'.*shape \(4, 64\), got \(5, 64\)"):
        load_torch_state_dict(path, "tinycnn-gap")
    with pytest.raises(ValueError, match=r"does not fit 'tinycnn-fc'.*missing key 'fc1.weight'"):
        torch.save(state, path)
        load_torch_state_dict(path, "tinycnn-fc")


def test_files_that_are_not_state_dicts_are_refused(torch, tmp_path):
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 2), path)                   # a whole pickled module
    with pytest.raises(ValueError, match=r"a whole pickled model.*model\.state_dict\(\)"):
        load_torch_state_dict(path, "tinycnn-gap")
    torch.save([torch.zeros(1)], path)
    with pytest.raises(ValueError, match=r"holds a list, not a dict of tensors"):
        load_torch_state_dict(path, "tinycnn-gap")
    torch.save({"conv1.weight": 3}, path)
    with pytest.raises(ValueError, match=r"entries conv1\.weight are not tensors"):
        load_torch_state_dict(path, "tinycnn-gap")
    (tmp_path / "garbage.pt").write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match=r"not a weights file this reads"):
        load_torch_state_dict(tmp_path / "garbage.pt", "tinycnn-gap")
    with pytest.raises(FileNotFoundError, match=r"no weights file at this path"):
        load_torch_state_dict(tmp_path / "absent.pt", "tinycnn-gap")
    with pytest.raises(ValueError, match=r"model_name.*tinycnn-gap"):
        load_torch_state_dict(path, "resnet50")


def test_torch_is_imported_lazily():
    code = ("import sys, numpy_gradcam.oracle.interop, numpy_gradcam.verification.verify, "
            "numpy_gradcam.commands.verify, numpy_gradcam.commands.vectors; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
