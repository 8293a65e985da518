"""Tensors from storages: offset + Σ i_k·stride_k, checked against a loop and by hand."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numpy_gradcam.weights.dtypes import FLOAT32, INT64
from numpy_gradcam.weights.limits import Refused
from numpy_gradcam.weights.tensors import Storage, materialize, materialize_all, rebuild

ARANGE = np.arange(12, dtype="<f4")  # a storage of 12 float32 elements: 0, 1, …, 11
STORAGE = Storage("0", FLOAT32, 12)


def values(offset, shape, stride, data=ARANGE, storage=STORAGE):
    tensor = rebuild(storage, offset, shape, stride)
    tensor.check("w")
    return materialize(tensor, data.view(np.uint8))


def test_a_contiguous_tensor_by_hand():
    assert values(0, (3, 4), (4, 1)).tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]


def test_a_transposed_tensor_by_hand():
    # torch.arange(12.).reshape(3, 4).t(), saved as it is: strides swapped
    assert values(0, (4, 3), (1, 4)).tolist() == [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]


def test_views_of_one_storage_at_offsets_by_hand():
    assert values(4, (2, 4), (4, 1)).tolist() == [[4, 5, 6, 7], [8, 9, 10, 11]]  # t[1:]
    assert values(2, (3,), (4,)).tolist() == [2, 6, 10]                          # t[:, 2]
    assert values(5, (), ()).tolist() == 5.0                                     # t[1, 1]


def test_a_stride_0_tensor_repeats_its_element():
    assert values(7, (2, 3), (0, 0)).tolist() == [[7] * 3] * 2


def test_the_result_is_an_owned_contiguous_native_array():
    out = values(0, (4, 3), (1, 4))
    assert out.flags.c_contiguous and out.flags.owndata and out.flags.writeable
    assert out.dtype == np.float32


def test_big_endian_storages_are_read_as_such():
    data = np.arange(12, dtype=">f4")
    tensor = rebuild(STORAGE, 1, (2,), (5,))
    assert materialize(tensor, data.view(np.uint8), big_endian=True).tolist() == [1.0, 6.0]


def loop_version(data, offset, shape, stride):
    """The definition, one element at a time."""
    out = np.empty(shape, dtype=data.dtype)
    for index in itertools.product(*(range(n) for n in shape)):
        out[index] = data[offset + sum(i * s for i, s in zip(index, stride, strict=True))]
    return out


@given(shape=st.lists(st.integers(0, 4), max_size=4), data=st.data())
def test_as_strided_equals_the_loop_version(shape, data):
    stride = [data.draw(st.integers(0, 7)) for _ in shape]
    offset = data.draw(st.integers(0, 5))
    reach = offset + sum((n - 1) * s for n, s in zip(shape, stride, strict=True)) + 1
    numel = max(reach, offset + 1) + data.draw(st.integers(0, 3))
    storage_data = np.arange(numel, dtype="<i8") * 7 - 3
    storage = Storage("0", INT64, numel)
    ours = values(offset, tuple(shape), tuple(stride), storage_data, storage)
    assert np.array_equal(ours, loop_version(storage_data, offset, shape, stride))


@pytest.mark.parametrize("offset, shape, stride, reached", [
    (0, (4, 4), (4, 1), 15),   # one row too many
    (10, (3,), (1,), 12),      # from an offset near the end
    (0, (2, 3), (1, 6), 13),   # strides that skip past the end: 1·1 + 2·6
    (0, (1 << 40,), (1,), (1 << 40) - 1),
])
def test_a_tensor_past_its_storage_is_refused(offset, shape, stride, reached):
    tensor = rebuild(STORAGE, offset, shape, stride)
    with pytest.raises(Refused, match=rf"its tensor 'w' of shape .* reaches element "
                                      rf"{reached} of its storage '0', which holds 12 float32"):
        tensor.check("w")


@pytest.mark.parametrize("offset, shape, stride, match", [
    (-1, (3,), (1,), r"storage offset -1; expected an integer >= 0"),
    (0, (-3,), (1,), r"size entry -3; expected an integer >= 0"),
    (0, (3,), (-1,), r"stride entry -1; expected an integer >= 0"),
    (0, (True,), (1,), r"size entry of type bool"),
    (0, [3], (1,), r"size of type list; expected a tuple"),
    (0, (3, 4), (1,), r"2 sizes \(3, 4\) but 1 strides"),
    (0, (1,) * 65, (1,) * 65, r"at most 64 integers"),
])
def test_a_malformed_geometry_is_refused(offset, shape, stride, match):
    with pytest.raises(Refused, match=match):
        rebuild(STORAGE, offset, shape, stride)


def test_a_tensor_needs_a_storage():
    with pytest.raises(Refused, match="builds a tensor on of type str instead of a storage"):
        rebuild("0", 0, (3,), (1,))


def test_tensors_may_not_hold_much_more_than_their_storages():
    # stride 0: 2**20 x 2**20 copies of one element, 4 TiB from 48 bytes
    huge = rebuild(STORAGE, 0, (1 << 20, 1 << 20), (0, 0))
    read = []
    with pytest.raises(Refused, match=r"hold 4398046511104 bytes, more than 16 times the 48"):
        materialize_all({"w": huge}, read.append)
    assert read == []  # refused before a storage was read


def test_materialize_all_reads_each_storage_once():
    read = []

    def read_storage(storage):
        read.append(storage.key)
        return ARANGE.view(np.uint8)

    tensors = {"a": rebuild(STORAGE, 0, (3, 4), (4, 1)), "b": rebuild(STORAGE, 4, (2, 4), (4, 1))}
    arrays = materialize_all(tensors, read_storage)
    assert read == ["0"]
    assert arrays["b"].tolist() == [[4, 5, 6, 7], [8, 9, 10, 11]]
