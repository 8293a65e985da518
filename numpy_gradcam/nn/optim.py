r"""Optimisers: SGD (with momentum) and Adam/AdamW, with PyTorch's exact update formulas.

An optimiser holds references to the model's **live** parameter arrays
(``model.parameters()``) and updates them in place in ``step(grads)``; ``grads`` is the dict a
backward pass returns (``model.backward(trace, dy)[1]``), keyed the same way. The backward pass
never updates a weight: this is the only place weights change.

Because ``model.load_state_dict`` *replaces* the parameter arrays (it does not copy into them),
create the optimiser after loading weights; one created before would update arrays the model
no longer uses.

Gradients may be float32 (training in float32 for speed): they are cast to float64 and added
into the float64 parameters, so the weights accumulate in full precision.

The optimiser's state (momentum buffers, Adam's moments and step count) is explicit: it is kept in
``self.state`` (``{param name: {buffer name: value}}``, PyTorch's buffer names) and ``self.t``
(the number of ``step`` calls), never anywhere else.
The learning rate ``lr`` is an attribute a schedule may change between steps.
"""

from __future__ import annotations

import numpy as np

from .. import _validate


class Optimizer:
    """The shared part: the parameters, their checks, and the loop over them in ``step``."""

    def __init__(self, params, lr):
        if not isinstance(params, dict) or not params:
            raise TypeError("params must be a non-empty dict of name → array, such as "
                            f"model.parameters(); got {_validate.describe(params)}")
        for name, p in params.items():
            if not isinstance(p, np.ndarray) or p.dtype != np.float64:
                raise TypeError(f"params[{name!r}] must be a float64 array (the live parameter), "
                                f"got {_validate.describe(p)}")
        self.params = params
        self.lr = _validate.nonnegative(lr, "lr")
        self.t = 0
        self.state: dict[str, dict[str, np.ndarray]] = {name: {} for name in params}

    def step(self, grads) -> None:
        """Update every parameter that has a gradient in ``grads``, in place.

        A parameter missing from ``grads`` is left alone (as PyTorch skips ``p.grad is None``);
        a gradient for an unknown name or of the wrong shape is an error.
        """
        if not isinstance(grads, dict):
            raise TypeError(f"grads must be a dict of name → array, got "
                            f"{_validate.describe(grads)}")
        for name, g in grads.items():
            if name not in self.params:
                raise ValueError(f"grads has key {name!r}, which is not one of the optimiser's "
                                 f"parameters: {', '.join(self.params)}")
            if np.shape(g) != self.params[name].shape:
                raise ValueError(f"grads[{name!r}] must have shape {self.params[name].shape}, "
                                 f"got {np.shape(g)}")
        self.t += 1
        for name, g in grads.items():
            self._update(self.params[name], np.asarray(g, dtype=np.float64), self.state[name])

    def _update(self, p, g, state):
        raise NotImplementedError


class SGD(Optimizer):
    r"""``SGD(params, lr, momentum=0.0, weight_decay=0.0)``, as ``torch.optim.SGD``.

    .. math::

        g_t = \nabla_\theta + \lambda \theta_{t-1}, \qquad
        b_t = \begin{cases} g_t & t = 1 \\ \mu b_{t-1} + g_t & t > 1 \end{cases}, \qquad
        \theta_t = \theta_{t-1} - \eta\, b_t

    with ``λ = weight_decay`` (L2, added to the gradient), ``μ = momentum`` and ``η = lr``;
    without momentum ``b_t = g_t``. (PyTorch's ``dampening`` 0 and ``nesterov=False``.)
    """

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params, lr)
        self.momentum = _validate.nonnegative(momentum, "momentum")
        self.weight_decay = _validate.nonnegative(weight_decay, "weight_decay")

    def _update(self, p, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = g.copy()                  # b_1 = g_1
            else:
                buf = state["momentum_buffer"]
                buf *= self.momentum
                buf += g                                             # b_t = μ b_{t-1} + g_t
            g = state["momentum_buffer"]
        p -= self.lr * g


class Adam(Optimizer):
    r"""``Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=True)``.

    ``decoupled=True`` (the default) is **AdamW** (Loshchilov & Hutter 2019,
    ``torch.optim.AdamW``): the weights decay directly, ``θ ← θ (1 - η λ)``, before the Adam
    step. ``decoupled=False`` is **Adam with L2** (``torch.optim.Adam``): ``λ θ`` is added to the
    gradient, and so is rescaled by the adaptive denominator. With ``weight_decay=0`` the two are
    the same. The Adam step (Kingma & Ba 2015, Algorithm 1), with PyTorch's placement of ε:

    .. math::

        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^2, \\
        \theta_t = \theta_{t-1} - \frac{\eta}{1 - \beta_1^t} \cdot
            \frac{m_t}{\sqrt{v_t} / \sqrt{1 - \beta_2^t} + \epsilon}

    with ``m_0 = v_0 = 0``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled=True):
        super().__init__(params, lr)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"betas must be a pair (beta1, beta2), got "
                             f"{_validate.describe(betas)}")
        for i, b in enumerate(betas):
            if not 0.0 <= _validate.nonnegative(b, f"betas[{i}]") < 1.0:
                raise ValueError(f"betas[{i}] must be in [0, 1), got {b}")
        self.beta1, self.beta2 = float(betas[0]), float(betas[1])
        self.eps = _validate.nonnegative(eps, "eps")
        self.weight_decay = _validate.nonnegative(weight_decay, "weight_decay")
        if not isinstance(decoupled, bool):
            raise TypeError(f"decoupled must be True or False, got {_validate.describe(decoupled)}")
        self.decoupled = decoupled

    def _update(self, p, g, state):
        if self.weight_decay:
            if self.decoupled:
                p *= 1.0 - self.lr * self.weight_decay               # AdamW: decay the weights
            else:
                g = g + self.weight_decay * p                        # Adam: L2 in the gradient
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p)                      # m_0
            state["exp_avg_sq"] = np.zeros_like(p)                   # v_0
        # t counts this parameter's own updates (PyTorch's per-parameter "step").
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += (1.0 - self.beta2) * g * g
        bias_correction1 = 1.0 - self.beta1 ** t
        bias_correction2 = 1.0 - self.beta2 ** t
        denom = np.sqrt(v) / np.sqrt(bias_correction2) + self.eps
        p -= (self.lr / bias_correction1) * m / denom
