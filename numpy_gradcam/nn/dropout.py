r"""Dropout (Srivastava et al. 2014) in its inverted form, PyTorch's ``Dropout``.

In training (``train=True``) every entry is kept with probability ``1 - p`` and the survivors are
scaled up, so that the expected output is the input:

.. math::

    m_i \sim \text{Bernoulli}(1 - p), \qquad
    \text{out}_i = \frac{m_i\, x_i}{1 - p}, \qquad
    \frac{\partial\,\text{out}_i}{\partial x_i} = \frac{m_i}{1 - p}

so ``dx = dout · m / (1 - p)`` with the mask ``m`` the forward drew (kept in the cache).
``E[out] = x``. Edge cases as PyTorch: ``p = 0`` keeps everything (``out = x``); ``p = 1`` keeps
nothing and gives zeros (``0 · x``, not ``0/0``), with a zero gradient.

In evaluation (``train=False``, the default, and what Grad-CAM runs) the layer is the identity:
``out`` is ``x`` itself and ``dx`` is ``dout`` itself.

Randomness: the masks come from ``rng`` (a seed or a ``numpy.random.Generator``), never from
global state. The layer holds that generator, and each training forward advances it, so the same
seed gives the same sequence of masks. With ``rng=None`` (the default) the layer can only
evaluate: a training forward raises, rather than pick a seed silently (two layers given the
same default seed would drop the same entries).
"""

from __future__ import annotations

from .. import _validate
from .layer import Layer


def dropout_forward(x, p, rng):
    """``out = x · m / (1 - p)``, shape of ``x``, with ``m ~ Bernoulli(1 - p)`` drawn from
    ``rng``; ``cache = (m, scale)``, ``m`` a bool array shaped like ``x``, ``scale = 1/(1 - p)``
    (0 when ``p = 1``)."""
    keep = rng.random(x.shape) < 1 - p              # m: True with probability 1 - p, x's shape
    scale = 1 / (1 - p) if p < 1 else 0.0           # p = 1 keeps nothing: zeros, not 0/0
    return x * keep * scale, (keep, scale)


def dropout_backward(dout, cache):
    """``dx = dout · m / (1 - p)`` for ``dout`` ``(..., *x.shape)``."""
    keep, scale = cache
    return dout * keep * scale


class Dropout(Layer):
    """``Dropout(p=0.5, rng=None)``: no parameters; ``p`` is the probability of dropping an entry.

    ``rng`` (a seed or a ``numpy.random.Generator``) is needed only to train.
    """

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        self.p = _validate.fraction(p, "p")
        self.rng = None if rng is None else _validate.rng(rng)

    def forward(self, x, train=False):
        if not train:
            return x, None
        if self.rng is None:
            raise ValueError(f"{self!r} was built with rng=None and cannot run with train=True: "
                             f"pass rng= a seed or a numpy.random.Generator to draw its masks")
        return dropout_forward(x, self.p, self.rng)

    def backward_input(self, dout, cache):
        if cache is None:                               # evaluation: the identity
            return dout
        return dropout_backward(dout, cache)

    def __repr__(self):
        return f"Dropout(p={self.p})"
