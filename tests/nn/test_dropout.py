import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numpy_gradcam.nn.dropout import Dropout, dropout_backward, dropout_forward
from tests.gradcheck import assert_each_target_alone, assert_gradient


class FixedUniforms:
    """A stand-in for a Generator whose ``random`` returns the given draws (a hand-made mask)."""

    def __init__(self, u):
        self.u = np.asarray(u)

    def random(self, shape):
        assert self.u.shape == shape
        return self.u


def test_hand_computed_keeps_draws_below_one_minus_p_and_scales_by_one_over_it():
    x = np.array([[1.0, 2.0, 3.0, 4.0]])
    out, cache = dropout_forward(x, 0.75, FixedUniforms([[0.1, 0.7, 0.2, 0.25]]))
    np.testing.assert_array_equal(out, [[4.0, 0.0, 12.0, 0.0]])      # kept where u < 0.25, x4
    dout = np.array([[5.0, 7.0, -11.0, 13.0]])
    np.testing.assert_array_equal(dropout_backward(dout, cache), [[20.0, 0.0, -44.0, 0.0]])


def test_evaluation_is_the_identity():
    x, dout = np.ones((2, 3)), np.full((4, 2, 3), 2.0)
    layer = Dropout(0.5, rng=0)
    out, cache = layer.forward(x)
    assert out is x
    assert layer.backward_input(dout, cache) is dout


@given(st.integers(0, 2**32 - 1), st.lists(st.integers(1, 4), min_size=1, max_size=4),
       st.sampled_from([0.0, 0.2, 0.5, 0.9]))
def test_matches_finite_differences_for_a_fixed_mask(seed, shape, p):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)

    def forward(v):  # a generator seeded alike each time: the same mask on every call
        return dropout_forward(v, p, np.random.default_rng(seed))

    out, cache = forward(x)
    dout = rng.standard_normal(out.shape)
    assert_gradient(dropout_backward(dout, cache), lambda v: np.sum(dout * forward(v)[0]), x)


def test_leading_target_axis_broadcasts():
    layer = Dropout(0.5, rng=1)
    _, cache = layer.forward(np.ones((2, 3, 4, 4)), train=True)
    dout = np.random.default_rng(2).standard_normal((5, 2, 3, 4, 4))
    assert_each_target_alone(layer.backward_input, dout, cache, (2, 3, 4, 4))


def test_the_same_seed_gives_the_same_masks_and_the_generator_advances():
    x = np.ones((4, 50))
    a, b = Dropout(0.5, rng=7), Dropout(0.5, rng=7)
    first_a, first_b = a.forward(x, train=True)[0], b.forward(x, train=True)[0]
    np.testing.assert_array_equal(first_a, first_b)
    second_a = a.forward(x, train=True)[0]
    assert not np.array_equal(first_a, second_a)
    np.testing.assert_array_equal(second_a, b.forward(x, train=True)[0])
    assert not np.array_equal(first_a, Dropout(0.5, rng=8).forward(x, train=True)[0])


def test_a_generator_is_used_as_it_is():
    gen = np.random.default_rng(3)
    assert Dropout(0.5, rng=gen).rng is gen


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_about_one_minus_p_of_the_entries_survive(p):
    n = 100_000
    out, _ = Dropout(p, rng=0).forward(np.ones(n), train=True)
    survived = np.count_nonzero(out) / n
    assert abs(survived - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)     # five standard errors
    np.testing.assert_allclose(out[out != 0], 1 / (1 - p))


def test_the_expected_output_is_the_input():
    p, draws = 0.5, 20_000
    x = np.array([1.0, -2.0, 3.0, 0.5])
    out, _ = Dropout(p, rng=0).forward(np.broadcast_to(x, (draws, 4)), train=True)
    standard_error = np.abs(x) * np.sqrt(p / (1 - p) / draws)          # sd of out_i is |x_i|
    assert np.all(np.abs(out.mean(axis=0) - x) < 5 * standard_error)


def test_p_zero_keeps_everything_and_p_one_gives_zeros_without_nan():
    x = np.random.default_rng(0).standard_normal((3, 4))
    out, cache = Dropout(0.0, rng=0).forward(x, train=True)
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(Dropout(0.0).backward_input(np.ones((3, 4)), cache), 1.0)
    out, cache = Dropout(1.0, rng=0).forward(x, train=True)
    np.testing.assert_array_equal(out, 0.0)
    np.testing.assert_array_equal(Dropout(1.0).backward_input(np.ones((3, 4)), cache), 0.0)


def test_float32_stays_float32():
    x = np.ones((2, 3), dtype=np.float32)
    out, cache = Dropout(0.3, rng=0).forward(x, train=True)
    assert out.dtype == np.float32
    assert Dropout(0.3).backward_input(x, cache).dtype == np.float32


@pytest.mark.parametrize("p, error, message", [
    (1.5, ValueError, r"p must be in \[0, 1\], got 1.5"),
    (-0.1, ValueError, r"p must be in \[0, 1\], got -0.1"),
    ("0.5", TypeError, r"p must be a number in \[0, 1\]"),
])
def test_p_outside_zero_one_is_refused_by_name(p, error, message):
    with pytest.raises(error, match=message):
        Dropout(p)


def test_training_without_a_random_source_is_refused_by_name():
    with pytest.raises(ValueError, match="rng=None and cannot run with train=True"):
        Dropout(0.5).forward(np.ones(3), train=True)
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator or"):
        Dropout(0.5, rng="seed")
