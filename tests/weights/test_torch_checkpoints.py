"""Files torch wrote, in both formats, read bit for bit: every dtype, transposed tensors, views
of one storage, parameters, nested checkpoints, DataParallel's prefix (the torch oracle)."""

import numpy as np
import pytest

from numpy_gradcam.io import load_state_dict
from numpy_gradcam.weights import read

from . import files

FORMATS = {"zip": True, "legacy": False}  # torch.save's _use_new_zipfile_serialization


def save(torch, obj, path, fmt):
    torch.save(obj, path, _use_new_zipfile_serialization=FORMATS[fmt])
    return path


def expected(torch, tensor) -> np.ndarray:
    """What torch holds, as NumPy: bfloat16 as float32 (exactly, as torch's .float())."""
    tensor = tensor.detach()
    if tensor.dtype == torch.bfloat16:
        tensor = tensor.float()
    return tensor.contiguous().numpy()


def assert_bit_equal(ours: dict, torch, theirs: dict):
    assert list(ours) == list(theirs)
    for key, tensor in theirs.items():
        want = expected(torch, tensor)
        assert ours[key].dtype == want.dtype, key
        assert ours[key].shape == want.shape, key
        assert ours[key].tobytes() == want.tobytes(), key  # NaN, -0.0 and all


def every_kind_of_tensor(torch) -> dict:
    g = torch.Generator().manual_seed(0)
    base = torch.randn(4, 6, generator=g)
    base[0, :3] = torch.tensor([float("nan"), float("inf"), -0.0])
    state = {str(dtype).removeprefix("torch."): (torch.randn(3, 5, generator=g) * 50).to(dtype)
             for dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64,
                           torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8)}
    state["bool"] = torch.rand(3, 5, generator=g) > 0.5
    state.update({
        "base": base,
        "transposed": base.t(),                  # non-contiguous, saved as it is
        "rows": base[1:],                        # a view at an offset of base's storage
        "column": base[:, 2],                    # stride 6
        "bfloat16.t": state["bfloat16"].t(),
        "parameter": torch.nn.Parameter(torch.randn(2, 3, generator=g)),
        "scalar": torch.tensor(3.5, dtype=torch.float64),
        "empty": torch.empty(0, 3),
        "expanded": torch.arange(3.0).expand(2, 3),  # stride 0
    })
    return state


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_dtype_and_layout_comes_back_bit_equal(tmp_path, torch, fmt):
    state = every_kind_of_tensor(torch)
    path = save(torch, state, tmp_path / "w.pth", fmt)
    weights = read(path)
    assert weights.format == f"pytorch-{fmt}"
    assert_bit_equal(weights.state_dict, torch, state)
    assert weights.notes == ("converted 2 bfloat16 tensor(s) to float32 (exactly: NumPy has no "
                             "bfloat16)",)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_dtypes_without_a_storage_class_come_back_bit_equal(tmp_path, torch, fmt):
    # uint16/32/64 are pickled with _rebuild_tensor_v3, an untyped storage and a torch dtype
    state = {str(dtype): torch.tensor([0, 1, 2**15 + 3], dtype=dtype).reshape(3, 1)
             for dtype in (torch.uint16, torch.uint32, torch.uint64)}
    assert_bit_equal(load_state_dict(save(torch, state, tmp_path / "w.pt", fmt)), torch, state)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_module_state_dict_with_its_metadata(tmp_path, torch, fmt):
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4),
                                torch.nn.Flatten(), torch.nn.LazyLinear(2))
    model(torch.zeros(1, 3, 5, 5))
    state = model.state_dict()  # an OrderedDict with _metadata, num_batches_tracked int64
    report = []
    assert_bit_equal(load_state_dict(save(torch, state, tmp_path / "w.pth", fmt), report),
                     torch, state)
    assert report == []


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("entry", ["state_dict", "model_state_dict", "model"])
def test_weights_nested_in_a_checkpoint_are_found_and_reported(tmp_path, torch, fmt, entry):
    model = torch.nn.Linear(3, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    checkpoint = {"epoch": 90, entry: model.state_dict(), "optimizer": optimizer.state_dict(),
                  "arch": "linear", "best_acc1": 0.75, "seen": {1, 2}, "note": b"bytes"}
    report = []
    ours = load_state_dict(save(torch, checkpoint, tmp_path / "c.pth", fmt), report)
    assert_bit_equal(ours, torch, model.state_dict())
    assert report == [f"took the weights from the checkpoint's {entry!r} entry (beside: epoch, "
                      "optimizer, arch, best_acc1, seen, note)"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_data_parallels_prefix_is_removed_and_reported(tmp_path, torch, fmt):
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    wrapped = torch.nn.DataParallel(model).state_dict()
    assert all(key.startswith("module.") for key in wrapped)
    report = []
    ours = load_state_dict(save(torch, {"state_dict": wrapped}, tmp_path / "w.pth", fmt), report)
    assert_bit_equal(ours, torch, model.state_dict())
    assert report == ["took the weights from the checkpoint's 'state_dict' entry (beside: "
                      "nothing)", "removed DataParallel's 'module.' prefix from 7 keys"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_hand_built_files_of_these_tests_are_torch_files(tmp_path, torch, fmt):
    """files.py writes what torch reads: its transposed view of a 12-element storage."""
    obj, storages = files.float_state(fmt, size=(4, 3), stride=(1, 4))
    path = files.write_checkpoint(tmp_path / "w.pth", fmt, obj, storages)
    theirs = torch.load(path, weights_only=True)
    assert theirs["w"].stride() == (1, 4)
    assert_bit_equal(load_state_dict(path), torch, theirs)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_single_tensor_is_not_a_state_dict(tmp_path, torch, fmt):
    path = save(torch, torch.ones(3), tmp_path / "t.pth", fmt)
    with pytest.raises(ValueError, match=r"it holds a single tensor, not a dict of tensors"):
        load_state_dict(path)
