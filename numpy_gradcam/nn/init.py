"""Parameter initialisation, always from an explicit ``numpy.random.Generator``.

``kaiming_uniform`` is PyTorch's default for ``Conv2d`` and ``Linear`` (``kaiming_uniform_`` with
``a = √5``, which reduces to a uniform in ``±1/√fan_in`` for the weights and the same bound for
the biases). ``kaiming_normal`` (He et al. 2015, ``std = √(2/fan_in)``) suits ReLU networks
trained from scratch.
"""

from __future__ import annotations

import numpy as np


def kaiming_uniform(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    """Uniform in ``[-1/√fan_in, 1/√fan_in)``, float64, of the given shape."""
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape)


def kaiming_normal(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    """Normal with mean 0 and ``std = √(2/fan_in)``, float64, of the given shape."""
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
