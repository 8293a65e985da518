import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numpy_gradcam.cam.gradients import class_gradients, gradients, resolve_targets, seed
from numpy_gradcam.models import tinycnn_gap
from tests.gradcheck import assert_gradient

NAMES = ("circle", "square", "triangle", "cross")


def model():
    return tinycnn_gap(class_names=NAMES, seed=0, widths=(4, 4, 8, 8))


def test_targets_default_to_the_predicted_class_and_accept_names():
    logits = np.array([[0.0, 2.0, 1.0, 0.0], [3.0, 0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(resolve_targets(None, logits), [1, 0])
    np.testing.assert_array_equal(resolve_targets(2, logits), [2, 2])
    np.testing.assert_array_equal(resolve_targets(["cross", 1], logits, NAMES), [3, 1])


@pytest.mark.parametrize("target, match", [
    (4, r"class index in \[0, 3\], got 4"),
    (-1, r"class index in \[0, 3\], got -1"),
    ("dog", "known: circle, square, triangle, cross"),
    ([0, 1, 2], "one per image"),
    (1.5, "target must be an int"),
    (True, "target must be an int"),
])
def test_bad_targets_are_named(target, match):
    with pytest.raises((ValueError, TypeError), match=match):
        resolve_targets(target, np.zeros((2, 4)), NAMES)


def test_logit_seed_is_one_hot():
    np.testing.assert_array_equal(seed(np.zeros((2, 3)), np.array([2, 0])),
                                  [[0, 0, 1], [1, 0, 0]])


def test_softmax_seed_by_hand():
    # logits (0, log 3): p = (1/4, 3/4); for c = 1: dp_1/dz = p_1 (e_1 - p) = 3/4 · (-1/4, 1/4)
    got = seed(np.array([[0.0, np.log(3.0)]]), np.array([1]), "softmax")
    np.testing.assert_allclose(got, [[-3 / 16, 3 / 16]])


@given(st.integers(0, 2**32 - 1), st.integers(0, 3))
def test_softmax_seed_is_the_gradient_of_the_probability(s, c):
    logits = np.random.default_rng(s).standard_normal((1, 4))

    def p_c(z):
        e = np.exp(z - z.max())
        return (e / e.sum())[0, c]

    assert_gradient(seed(logits, np.array([c]), "softmax"), p_c, logits.copy())


def test_gradients_counterfactual_and_all_classes_in_one_pass():
    m = model()
    x = np.random.default_rng(1).random((2, 3, 32, 32))
    A, dy_dA = gradients(m, x, target=[1, 3])
    assert A.shape == dy_dA.shape == (2, 8, 4, 4)
    _, negated = gradients(m, x, target=[1, 3], counterfactual=True)
    np.testing.assert_array_equal(negated, -dy_dA)
    _, every = class_gradients(m, x)
    assert every.shape == (4, 2, 8, 4, 4)
    np.testing.assert_allclose(every[1, 0], dy_dA[0], atol=1e-15)
    np.testing.assert_allclose(every[3, 1], dy_dA[1], atol=1e-15)


def test_gradients_bad_input():
    m = model()
    with pytest.raises(ValueError, match="layer must be one of"):
        gradients(m, np.zeros((1, 3, 32, 32)), layer="relu9")
    with pytest.raises(ValueError, match="3 channel"):
        gradients(m, np.zeros((1, 1, 32, 32)))
    with pytest.raises(ValueError, match="finite"):
        gradients(m, np.full((1, 3, 32, 32), np.nan))
    with pytest.raises(ValueError, match="score must be one of 'logit', 'softmax'"):
        gradients(m, np.zeros((1, 3, 32, 32)), score="prob")
