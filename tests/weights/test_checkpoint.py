"""Where a checkpoint keeps its weights, and DataParallel's prefix: each step said in a note."""

import numpy as np
import pytest

from numpy_gradcam.weights.checkpoint import find_state_dict, strip_data_parallel
from numpy_gradcam.weights.limits import Refused

W = np.zeros(2)


def test_a_plain_state_dict_is_itself_without_a_note():
    notes = []
    state = {"a": W, "b": W}
    assert find_state_dict(state, np.ndarray, notes) is state and notes == []


def test_the_first_weights_entry_is_taken_and_said():
    notes = []
    checkpoint = {"epoch": 3, "model": {"m": W}, "state_dict": {"s": W}, "optimizer": {}}
    assert list(find_state_dict(checkpoint, np.ndarray, notes)) == ["s"]
    assert notes == ["took the weights from the checkpoint's 'state_dict' entry (beside: epoch, "
                     "model, optimizer)"]


def test_an_entry_that_is_not_a_dict_of_tensors_is_passed_over():
    notes = []
    checkpoint = {"state_dict": {"s": W, "step": 3}, "model_state_dict": {"m": W}}
    assert list(find_state_dict(checkpoint, np.ndarray, notes)) == ["m"]


@pytest.mark.parametrize("content, match", [
    ({"epoch": 3, "weights": {"w": W}}, r"entries epoch, weights are not tensors, and none of "
                                        r"its entries 'state_dict', 'model_state_dict', 'model'"),
    ([W, W], r"it holds a list, not a dict of tensors"),
    (W, r"it holds a single tensor"),
    ({1: W, "b": W}, r"keys that are not names \(non-empty strings\): <int>"),
    ({"": W}, r"keys that are not names"),
])
def test_what_is_no_state_dict_is_refused(content, match):
    with pytest.raises(Refused, match=match):
        find_state_dict(content, np.ndarray, [])


def test_the_prefix_is_removed_from_every_key_and_said():
    notes = []
    state = strip_data_parallel({"module.a.weight": 1, "module.b": 2}, notes)
    assert state == {"a.weight": 1, "b": 2}
    assert notes == ["removed DataParallel's 'module.' prefix from 2 keys"]


@pytest.mark.parametrize("state", [{"module.a": 1, "b": 2}, {"module.": 1}, {}])
def test_the_prefix_stays_unless_every_key_has_it(state):
    notes = []
    assert strip_data_parallel(state, notes) is state and notes == []
