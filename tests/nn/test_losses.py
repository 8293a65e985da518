"""softmax, log_softmax and softmax_cross_entropy: by hand, finite differences, torch."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from numpy_gradcam.nn.losses import log_softmax, softmax, softmax_cross_entropy
from tests.gradcheck import assert_gradient


def test_softmax_by_hand():
    # e^0, e^ln2, e^ln 5 → 1, 2, 5 over 8
    z = np.array([[0.0, np.log(2.0), np.log(5.0)]])
    np.testing.assert_allclose(softmax(z), [[1 / 8, 2 / 8, 5 / 8]], rtol=1e-15)
    np.testing.assert_allclose(log_softmax(z), np.log([[1 / 8, 2 / 8, 5 / 8]]), rtol=1e-15)


def test_cross_entropy_by_hand():
    # two rows of equal logits over C = 4: loss = log 4; gradient (1/4 - [c = y]) / 2
    loss, dlogits = softmax_cross_entropy(np.zeros((2, 4)), np.array([1, 3]))
    assert loss == pytest.approx(np.log(4.0), rel=1e-15)
    expected = np.full((2, 4), 0.25 / 2)
    expected[0, 1] = expected[1, 3] = -0.75 / 2
    np.testing.assert_allclose(dlogits, expected, rtol=1e-15)


def test_stable_for_huge_logits_and_shift_invariant():
    z = np.array([[1000.0, 0.0, -1000.0], [1e308, 1e308, 0.0]])
    p = softmax(z)
    assert np.isfinite(p).all() and np.isfinite(log_softmax(z)).all()
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    loss, dlogits = softmax_cross_entropy(z, np.array([2, 0]))
    assert np.isfinite(loss) and np.isfinite(dlogits).all()
    w = np.random.default_rng(0).standard_normal((3, 5))
    np.testing.assert_allclose(softmax(w + 123.0), softmax(w), rtol=1e-12)


def test_float32_is_kept():
    loss, dlogits = softmax_cross_entropy(np.zeros((3, 4), np.float32), np.array([0, 1, 2]))
    assert dlogits.dtype == np.float32 and isinstance(loss, float)


@given(N=st.integers(1, 6), C=st.integers(2, 7), seed=st.integers(0, 2**32 - 1))
def test_gradient_matches_finite_differences(N, C, seed):
    rng = np.random.default_rng(seed)
    # Logits in [-2, 2]: no probability below e^-4 / C, so the largest gradient entry stays
    # well above what central differences resolve (~1e-10 here). Saturated softmaxes, where
    # every entry is tiny (logits 5.8 and -3.6 gave 8.6e-5, checked to only 5e-7), are left to
    # the stability test above and to the torch oracle below.
    z = rng.uniform(-2, 2, size=(N, C))
    y = rng.integers(0, C, size=N)
    _, dlogits = softmax_cross_entropy(z, y)
    assert_gradient(dlogits, lambda zz: softmax_cross_entropy(zz, y)[0], z)
    # every row of the gradient sums to zero: softmax sums to 1 and so does the one-hot row
    np.testing.assert_allclose(dlogits.sum(axis=1), 0.0, atol=1e-15)


@pytest.mark.oracle
@given(N=st.integers(1, 8), C=st.integers(2, 10), seed=st.integers(0, 2**32 - 1))
def test_matches_torch(N, C, seed):
    from tests.conftest import require_torch

    torch = require_torch()
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((N, C)) * 5
    y = rng.integers(0, C, size=N)
    zt = torch.tensor(z, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(zt, torch.tensor(y))
    lt.backward()
    loss, dlogits = softmax_cross_entropy(z, y)
    assert loss == pytest.approx(lt.item(), rel=1e-13, abs=1e-15)
    np.testing.assert_allclose(dlogits, zt.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(softmax(z), torch.softmax(torch.tensor(z), -1).numpy(),
                               rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize(
    ("labels", "error", "match"),
    [
        (np.array([0, 4]), ValueError, r"labels must be class indices in 0 \.\. 3, got 4"),
        (np.array([-1, 0]), ValueError, r"in 0 \.\. 3, got -1"),
        (np.array([0, 1, 2]), ValueError, r"labels must have shape \(2,\).*got shape \(3,\)"),
        (np.array([[0], [1]]), ValueError, r"shape \(2,\)"),
        (np.array([0.0, 1.0]), TypeError, r"integer class indices, got dtype float64"),
        ("ab", TypeError, r"labels must be an integer array"),
    ],
)
def test_bad_labels_are_refused_clearly(labels, error, match):
    with pytest.raises(error, match=match):
        softmax_cross_entropy(np.zeros((2, 4)), labels)


def test_bad_logits_are_refused_clearly():
    with pytest.raises(ValueError, match="logits must have 2 dimensions"):
        softmax_cross_entropy(np.zeros(4), np.array([0]))
    with pytest.raises(TypeError, match="logits must have dtype float32 or float64"):
        softmax_cross_entropy(np.zeros((1, 4), dtype=np.int64), np.array([0]))
