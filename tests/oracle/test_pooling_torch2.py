"""Padded pooling and adaptive average pooling against torch: forward and input gradient.

float64, agreement <= 1e-12 relative to the largest value, over many input sizes: square and
not, dividing the output size and not, smaller than the kernel where the padding makes up.
"""

import numpy as np
import pytest

from numpy_gradcam.nn import AvgPool2d, MaxPool2d
from numpy_gradcam.nn.adaptive_avgpool import AdaptiveAvgPool2d, bins

TOL = 1e-12

#: (kernel_size, stride, padding): the ResNet stem's (3, 2, 1) first, then the limits of the rule.
WINDOWS = [(3, 2, 1), (2, 2, 1), (3, 1, 1), (2, 1, 1), (4, 3, 2), (5, 2, 2), (3, 3, 0),
           ((3, 2), (2, 1), (1, 0)), ((2, 5), (1, 3), (0, 2))]
WINDOW_IDS = [f"k{k}-s{s}-p{p}".replace(" ", "") for k, s, p in WINDOWS]


def torch_forward_backward(torch, module, x, dout):
    xt = torch.tensor(x, requires_grad=True)
    out = module(xt)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), xt.grad.numpy()


def assert_close(ours, theirs, what):
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != torch's {theirs.shape}"
    finite = np.isfinite(theirs)
    np.testing.assert_array_equal(ours[~finite], theirs[~finite], err_msg=what)
    scale = max(1.0, float(np.abs(theirs[finite]).max(initial=0.0)))
    err = float(np.abs(ours[finite] - theirs[finite]).max(initial=0.0)) / scale
    assert err <= TOL, f"{what}: max error {err:.2e} > {TOL:.0e}"


def sizes(kernel, padding):
    """Input sizes from the smallest the padding allows to a few windows more."""
    kh, kw = np.broadcast_to(kernel, 2)
    ph, pw = np.broadcast_to(padding, 2)
    return [(H, W) for H in range(max(1, kh - 2 * ph), 10) for W in (max(1, kw - 2 * pw), 6, 11)]


@pytest.mark.oracle
@pytest.mark.parametrize("kernel, stride, padding", WINDOWS, ids=WINDOW_IDS)
def test_padded_maxpool_equals_torch_with_ties(torch, kernel, stride, padding):
    rng = np.random.default_rng(0)
    ours, theirs = MaxPool2d(kernel, stride, padding), torch.nn.MaxPool2d(kernel, stride, padding)
    for H, W in sizes(kernel, padding):
        # Integers in [-3, -1]: all negative (a zero padding would win) and full of ties (each
        # must go where torch sends it).
        x = rng.integers(-3, 0, (2, 3, H, W)).astype(np.float64)
        out, cache = ours.forward(x)
        dout = rng.standard_normal(out.shape)
        t_out, t_dx = torch_forward_backward(torch, theirs, x, dout)
        assert_close(out, t_out, f"{ours!r} forward on {x.shape}")
        assert_close(ours.backward_input(dout, cache), t_dx, f"{ours!r} gradient on {x.shape}")


@pytest.mark.oracle
def test_an_all_minus_inf_window_routes_like_torch(torch):
    rng = np.random.default_rng(1)
    for kernel, stride, padding in WINDOWS:
        x = np.full((1, 2, 5, 4), -np.inf)
        x[0, 1, ::2, 1::3] = -1.0              # one channel of only -inf, one with a few reals
        ours = MaxPool2d(kernel, stride, padding)
        out, cache = ours.forward(x)
        dout = rng.standard_normal(out.shape)
        t_out, t_dx = torch_forward_backward(torch, torch.nn.MaxPool2d(kernel, stride, padding),
                                             x, dout)
        assert_close(out, t_out, f"{ours!r} forward")
        assert_close(ours.backward_input(dout, cache), t_dx, f"{ours!r} gradient")


@pytest.mark.oracle
@pytest.mark.parametrize("kernel, stride, padding", WINDOWS, ids=WINDOW_IDS)
def test_padded_avgpool_equals_torch_count_include_pad(torch, kernel, stride, padding):
    rng = np.random.default_rng(2)
    ours, theirs = AvgPool2d(kernel, stride, padding), torch.nn.AvgPool2d(kernel, stride, padding)
    for H, W in sizes(kernel, padding):
        x = rng.standard_normal((2, 3, H, W))
        out, cache = ours.forward(x)
        dout = rng.standard_normal(out.shape)
        t_out, t_dx = torch_forward_backward(torch, theirs, x, dout)
        assert_close(out, t_out, f"{ours!r} forward on {x.shape}")
        assert_close(ours.backward_input(dout, cache), t_dx, f"{ours!r} gradient on {x.shape}")


@pytest.mark.oracle
@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_padding_limit_is_torchs(torch, k):
    x = torch.zeros((1, 1, 12, 12), dtype=torch.float64)
    for p in range(0, 4):
        try:
            torch.nn.MaxPool2d(k, 1, p)(x)
            torch_accepts = True
        except RuntimeError:
            torch_accepts = False
        try:
            MaxPool2d(k, 1, p)
            accepts = True
        except ValueError:
            accepts = False
        assert accepts == torch_accepts, f"kernel {k}, padding {p}: torch accepts {torch_accepts}"


@pytest.mark.oracle
@pytest.mark.parametrize("output_size", [1, (1, 1), 2, 3, (3, 2), (2, 7), 5, (None, 3), (4, None)])
def test_adaptive_avgpool_equals_torch(torch, output_size):
    rng = np.random.default_rng(3)
    ours, theirs = AdaptiveAvgPool2d(output_size), torch.nn.AdaptiveAvgPool2d(output_size)
    for H in range(1, 12):
        for W in (1, 5, 7, 13):
            x = rng.standard_normal((2, 3, H, W))
            out, cache = ours.forward(x)
            dout = rng.standard_normal(out.shape)
            t_out, t_dx = torch_forward_backward(torch, theirs, x, dout)
            assert_close(out, t_out, f"{ours!r} forward on {x.shape}")
            assert_close(ours.backward_input(dout, cache), t_dx,
                         f"{ours!r} gradient on {x.shape}")


@pytest.mark.oracle
def test_adaptive_bins_equal_torchs_on_one_hot_inputs(torch):
    """A one-hot input row shows which bins hold that row: the bins themselves, for big sizes
    where a floating-point floor or ceiling would slip (torch computes them in integers)."""
    for H, Ho in [(224, 7), (1000, 7), (999, 13), (97, 41), (7, 97)]:
        eye = torch.eye(H, dtype=torch.float64).reshape(H, 1, H, 1)     # image r: row r lit
        pooled = torch.nn.AdaptiveAvgPool2d((Ho, 1))(eye)[:, 0, :, 0]   # (H, Ho)
        theirs = [(int(np.flatnonzero(col)[0]), int(np.flatnonzero(col)[-1]) + 1)
                  for col in pooled.T.numpy()]
        assert bins(H, Ho) == theirs, f"{H} into {Ho}"
