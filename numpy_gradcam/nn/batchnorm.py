r"""Batch normalisation over channels (Ioffe & Szegedy 2015), PyTorch's ``BatchNorm2d``.

.. math::

    \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad y = \gamma \hat x + \beta

per channel, over the ``M = N·H·W`` values of that channel.

- **Training** (``train=True``): ``μ, σ²`` are the batch's mean and *biased* variance; the running
  buffers are updated as PyTorch does, ``running = (1 - momentum)·running + momentum·batch`` with
  the *unbiased* variance ``σ²·M/(M-1)``, and ``num_batches_tracked`` counts the updates.
  Because ``μ`` and ``σ²`` depend on every input, the input gradient has two correction terms:
  ``dx = (1/M)·(1/√(σ²+ε))·(M·dx̂ − Σ dx̂ − x̂·Σ(dx̂·x̂))`` with ``dx̂ = dout·γ``.
- **Evaluation** (``train=False``, the default): the running buffers are constants, so the layer is
  the fixed affine map ``y = x·s + t`` with ``s = γ/√(running_var+ε)``, and ``dx = dout·s``.

Parameters ``weight`` (γ) and ``bias`` (β), buffers ``running_mean``, ``running_var``,
``num_batches_tracked`` — PyTorch's names, so ``state_dict`` loads into ``torch.nn.BatchNorm2d``.
"""

from __future__ import annotations

import numpy as np

from .. import _validate
from .layer import Layer


class BatchNorm2d(Layer):
    """``BatchNorm2d(num_features, eps=1e-5, momentum=0.1)``; γ = 1, β = 0 initially."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        super().__init__()
        self.num_features = _validate.positive_int(num_features, "num_features")
        self.eps = float(eps)
        self.momentum = float(momentum)
        self.params = {"weight": np.ones(num_features), "bias": np.zeros(num_features)}
        self.buffers = {
            "running_mean": np.zeros(num_features),
            "running_var": np.ones(num_features),
            "num_batches_tracked": np.array(0, dtype=np.int64),
        }

    def forward(self, x, train=False):
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(
                f"x must have shape (N, {self.num_features}, H, W) for {self!r}, got {x.shape}"
            )
        gamma = self.params["weight"].astype(x.dtype, copy=False)[:, None, None]   # (C, 1, 1)
        beta = self.params["bias"].astype(x.dtype, copy=False)[:, None, None]
        if not train:
            mu = self.buffers["running_mean"].astype(x.dtype, copy=False)[:, None, None]
            var = self.buffers["running_var"].astype(x.dtype, copy=False)[:, None, None]
            inv_std = 1.0 / np.sqrt(var + self.eps)                          # (C, 1, 1)
            scale = gamma * inv_std
            out = x * scale                                                  # y = x·s + t
            out += beta - mu * scale
            return out, (x, mu, inv_std, gamma, False)
        N, _, H, W = x.shape
        M = N * H * W
        if M < 2:
            raise ValueError(
                f"training-mode BatchNorm2d needs more than one value per channel, got x of "
                f"shape {x.shape}"
            )
        mu = _channel_sum(x) / M                                             # (C,)
        x_hat = x - mu[:, None, None]                                        # x - μ, (N, C, H, W)
        var = _channel_dot(x_hat, x_hat) / M                                 # biased, (C,)
        self._update_running(mu, var * M / (M - 1))
        inv_std = (1.0 / np.sqrt(var + self.eps))[:, None, None]             # (C, 1, 1)
        x_hat *= inv_std                                                     # now x̂
        out = x_hat * gamma
        out += beta
        return out, (x_hat, None, inv_std, gamma, True)

    def _update_running(self, mu, unbiased_var):
        m = self.momentum
        self.buffers["running_mean"] = (1 - m) * self.buffers["running_mean"] + m * mu
        self.buffers["running_var"] = (1 - m) * self.buffers["running_var"] + m * unbiased_var
        self.buffers["num_batches_tracked"] = self.buffers["num_batches_tracked"] + 1

    @staticmethod
    def _x_hat(cache):
        """x̂ from the cache: kept in training mode, recomputed from x in evaluation mode."""
        x_or_x_hat, mu, inv_std, _, train = cache
        return x_or_x_hat if train else (x_or_x_hat - mu) * inv_std

    def backward_input(self, dout, cache):
        """``dout`` ``(..., N, C, H, W)`` → ``dx`` of the same shape.

        Training mode, with per-channel sums over N, H, W (``M`` values):
        ``dx = γ/√(σ²+ε) · (dout − Σdout/M − x̂ · Σ(dout·x̂)/M)``.
        """
        _, _, inv_std, gamma, train = cache
        if not train:
            return dout * (gamma * inv_std)
        x_hat = self._x_hat(cache)
        M = x_hat.shape[0] * x_hat.shape[2] * x_hat.shape[3]
        lead = dout.shape[:-4]
        mean_dout = _channel_sum(dout, lead) / M                             # (..., C)
        mean_dout_x_hat = _channel_dot(dout, x_hat, lead) / M                # (..., C)
        dx = x_hat * -_per_channel(mean_dout_x_hat)
        dx += dout
        dx -= _per_channel(mean_dout)
        dx *= gamma * inv_std
        return dx

    def backward_params(self, dout, cache):
        """``dγ = Σ dout·x̂`` and ``dβ = Σ dout`` per channel."""
        return {"weight": _channel_dot(dout, self._x_hat(cache)), "bias": _channel_sum(dout)}

    def __repr__(self):
        return f"BatchNorm2d({self.num_features}, eps={self.eps}, momentum={self.momentum})"


def _channel_sum(x, lead=()):
    """Σ over N, H, W of ``x`` ``(*lead, N, C, H, W)`` → ``(*lead, C)``."""
    N, C = x.shape[len(lead):len(lead) + 2]
    return x.reshape(*lead, N, C, -1).sum(axis=-1).sum(axis=-2)


def _channel_dot(a, b, lead=()):
    """Σ over N, H, W of ``a · b`` (``b`` broadcast over ``lead``) → ``(*lead, C)``."""
    N, C = b.shape[:2]
    return np.einsum("...nci,nci->...c", a.reshape(*lead, N, C, -1), b.reshape(N, C, -1))


def _per_channel(v):
    """``(..., C)`` → ``(..., 1, C, 1, 1)``, to broadcast against ``(..., N, C, H, W)``."""
    return v[..., None, :, None, None]
