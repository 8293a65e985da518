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

AXES = (0, 2, 3)   # every axis but the channel one


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
        if train:
            M = x.shape[0] * x.shape[2] * x.shape[3]
            if M < 2:
                raise ValueError(
                    f"training-mode BatchNorm2d needs more than one value per channel, got x of "
                    f"shape {x.shape}"
                )
            mu = x.mean(axis=AXES)                                            # (C,)
            var = x.var(axis=AXES)                                            # biased, (C,)
            self._update_running(mu, var * M / (M - 1))
        else:
            mu = self.buffers["running_mean"].astype(x.dtype, copy=False)
            var = self.buffers["running_var"].astype(x.dtype, copy=False)
        inv_std = (1.0 / np.sqrt(var + self.eps))[:, None, None]             # (C, 1, 1)
        x_hat = (x - mu[:, None, None]) * inv_std                            # (N, C, H, W)
        return gamma * x_hat + beta, (x_hat, inv_std, gamma, train)

    def _update_running(self, mu, unbiased_var):
        m = self.momentum
        self.buffers["running_mean"] = (1 - m) * self.buffers["running_mean"] + m * mu
        self.buffers["running_var"] = (1 - m) * self.buffers["running_var"] + m * unbiased_var
        self.buffers["num_batches_tracked"] = self.buffers["num_batches_tracked"] + 1

    def backward_input(self, dout, cache):
        """``dout`` ``(..., N, C, H, W)`` → ``dx`` of the same shape."""
        x_hat, inv_std, gamma, train = cache
        dx_hat = dout * gamma
        if not train:
            return dx_hat * inv_std
        axes = (-4, -2, -1)                                                   # N, H, W
        M = x_hat.shape[0] * x_hat.shape[2] * x_hat.shape[3]
        return (inv_std / M) * (
            M * dx_hat
            - dx_hat.sum(axis=axes, keepdims=True)
            - x_hat * (dx_hat * x_hat).sum(axis=axes, keepdims=True)
        )

    def backward_params(self, dout, cache):
        """``dγ = Σ dout·x̂`` and ``dβ = Σ dout`` per channel."""
        x_hat = cache[0]
        return {"weight": (dout * x_hat).sum(axis=AXES), "bias": dout.sum(axis=AXES)}

    def __repr__(self):
        return f"BatchNorm2d({self.num_features}, eps={self.eps}, momentum={self.momentum})"
