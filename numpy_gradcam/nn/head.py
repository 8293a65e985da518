r"""A global-average-pool → linear head, what CAM needs (Zhou et al., CVPR 2016, §2).

Such a head computes, from the feature maps ``A`` ``(N, K, h, w)`` of one layer, the logits

.. math::

    y^c = \sum_k w^c_k \, \frac{1}{Z} \sum_{i,j} A^k_{ij} + b_c, \qquad Z = h \cdot w

with ``w`` and ``b`` the weight ``(classes, K)`` and bias of one :class:`~numpy_gradcam.nn.Linear`.
Between the pooling and the linear layer there may be layers that change no value in
evaluation (what every explanation runs): ``Dropout``, ``Identity``, and a ``Flatten`` of the
pooled ``(N, K, 1, 1)``.

Where a model's head is, it says in one of two ways:

- a :class:`~numpy_gradcam.nn.Sequential` shows it in its children, called in order: a global
  average pool (``GlobalAvgPool2d``, or ``AdaptiveAvgPool2d`` to 1×1), then only those
  identities, and a ``Linear`` last; the pooled layer is the child before the pool;
- any other model (a :class:`~numpy_gradcam.nn.Module` whose ``forward_with`` may call its
  children in any order, and may average with a mean of its own, as torchvision's MobileNetV2
  does) declares it: ``model.gap_head = GapHead(features=..., linear=...)``, or ``None``. The
  names of its children cannot say it: their order is the order they were added in, not the
  order they are called in, and a mean written in ``forward_with`` is no child.

A declaration is checked by the tests, against the model's own forward pass (the logits are
the linear layer applied to the mean of ``features``' output), for every architecture here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .adaptive_avgpool import AdaptiveAvgPool2d
from .avgpool import GlobalAvgPool2d
from .dropout import Dropout
from .flatten import Flatten
from .identity import Identity
from .linear import Linear
from .sequential import Sequential

#: Layers that change no value in evaluation, allowed between the pool and the linear layer.
IDENTITIES_IN_EVALUATION = (Dropout, Identity, Flatten)


@dataclass(frozen=True)
class GapHead:
    """``features``: the layer whose output ``A`` ``(N, K, h, w)`` (its last call's, as
    recorded) the head averages over ``(h, w)``; ``linear``: the ``Linear`` ``(K → classes)``
    that then gives the logits, with only :data:`IDENTITIES_IN_EVALUATION` between."""

    features: str
    linear: str


def is_global_average_pool(layer) -> bool:
    """``GlobalAvgPool2d``, or ``AdaptiveAvgPool2d`` to 1×1 (torchvision's ``avgpool``)."""
    return isinstance(layer, GlobalAvgPool2d) or (
        isinstance(layer, AdaptiveAvgPool2d) and layer.output_size == (1, 1))


def sequential_gap_head(model: Sequential) -> GapHead | None:
    """The head a Sequential's children show (see the module docstring), or None."""
    names = list(model.children)
    pool = next((i for i, name in enumerate(names)
                 if is_global_average_pool(model.children[name])), None)
    if pool is None or pool == 0:
        return None
    after = names[pool + 1:]                                  # identities, then a Linear
    if not after or not isinstance(model.children[after[-1]], Linear):
        return None
    if not all(isinstance(model.children[name], IDENTITIES_IN_EVALUATION)
               for name in after[:-1]):
        return None
    return GapHead(features=names[pool - 1], linear=after[-1])


def gap_head_of(model) -> GapHead | None:
    """``model``'s GAP → linear head: its declaration ``model.gap_head``, or for a Sequential
    that declares none, the head its children show; None when it has none."""
    declared = getattr(model, "gap_head", None)
    if declared is not None or not isinstance(model, Sequential):
        return declared
    return sequential_gap_head(model)


def output_source(model, layer: str) -> str:
    """The innermost layer whose output is ``layer``'s: a Sequential returns its last child's
    output, so ``layer4`` of a ResNet is ``layer4.1``, and ``features`` of MobileNetV2 is
    ``features.18.2``. Two names with the same source hold the same array."""
    while isinstance(model[layer], Sequential):
        layer = f"{layer}.{list(model[layer].children)[-1]}"
    return layer
