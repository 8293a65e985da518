"""save_state_dict: .safetensors or .npz by extension, atomic, checked, never overwriting."""

import numpy as np
import pytest

from numpy_gradcam.io import load_state_dict, save_state_dict

STATE = {"fc.weight": np.arange(6.0).reshape(2, 3), "fc.bias": np.zeros(2, np.float32)}


@pytest.mark.parametrize("suffix", [".safetensors", ".npz", ".SafeTensors"])
def test_a_state_dict_round_trips_bit_equal(tmp_path, suffix):
    path = tmp_path / f"w{suffix}"
    save_state_dict(path, STATE)
    back = load_state_dict(path)
    assert list(back) == list(STATE)
    assert all(back[k].dtype == v.dtype and back[k].tobytes() == v.tobytes()
               for k, v in STATE.items())


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_writing_is_deterministic(tmp_path, suffix):
    save_state_dict(tmp_path / f"a{suffix}", STATE)
    save_state_dict(tmp_path / f"b{suffix}", STATE)
    assert (tmp_path / f"a{suffix}").read_bytes() == (tmp_path / f"b{suffix}").read_bytes()


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_an_existing_file_is_replaced_only_with_force(tmp_path, suffix):
    path = tmp_path / f"w{suffix}"
    path.write_bytes(b"old")
    with pytest.raises(FileExistsError, match=r"refusing to overwrite an existing file"):
        save_state_dict(path, STATE)
    assert path.read_bytes() == b"old"
    save_state_dict(path, STATE, force=True)
    assert list(load_state_dict(path)) == list(STATE)


@pytest.mark.parametrize("state, error, match", [
    ([np.zeros(2)], TypeError, r"state_dict must be a dict of name → NumPy array, got "
                               r"\[array"),
    ({1: np.zeros(2)}, TypeError, r"state_dict keys must be non-empty strings, got 1 \(int\)"),
    ({"": np.zeros(2)}, TypeError, r"state_dict keys must be non-empty strings, got ''"),
    ({"__metadata__": np.zeros(2)}, ValueError, r"must not have the key '__metadata__'"),
    ({"w": [1.0, 2.0]}, TypeError, r"state_dict\['w'\] must be a NumPy array, got \[1\.0, "
                                   r"2\.0\] \(list\)"),
    ({"w": np.zeros(2, complex)}, TypeError, r"state_dict\['w'\] has dtype complex128; "
                                             r"accepted: float16, float32, float64, int8"),
    ({"w": np.array(["a"])}, TypeError, r"state_dict\['w'\] has dtype <U1"),
    ({"w": np.array([None])}, TypeError, r"state_dict\['w'\] has dtype object"),
])
@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_what_is_no_state_dict_is_refused_and_nothing_written(tmp_path, state, error, match,
                                                              suffix):
    with pytest.raises(error, match=match):
        save_state_dict(tmp_path / f"w{suffix}", state)
    assert list(tmp_path.iterdir()) == []  # not even a temporary file


@pytest.mark.parametrize("name", ["w.pt", "w.pth", "w", "w.safetensors.tmp"])
def test_another_extension_is_refused(tmp_path, name):
    with pytest.raises(ValueError, match=r"path must end in \.safetensors or \.npz, got "
                                         r"'.*' \(torch's own pickle format is not written"):
        save_state_dict(tmp_path / name, STATE)
