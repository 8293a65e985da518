r"""Step 1 of Grad-CAM: the activations ``A`` of the target layer and ``dy_dA = ∂y^c/∂A^k_ij``.

.. math::

    \frac{\partial y^c}{\partial A^k_{ij}}

(Selvaraju et al., Grad-CAM, ICCV 2017 / IJCV 2019, §3 before Eq. 1.) ``y^c`` is the score of
class ``c`` **before the softmax** (the logit) by default, as in the paper; ``score="softmax"``
differentiates the probability ``p_c = softmax(z)_c`` instead, whose seed on the logits is
``∂p_c/∂z = p_c (e_c − p)`` (the softmax Jacobian's row ``c``).

The gradient comes from the engine's hand-written backward pass, seeded on the logits with
``dy`` (one row per image) and stopped at the target layer. Several targets per image cost one
backward pass: :func:`class_gradients` seeds every class at once.

Shapes: ``x`` ``(N, C, H, W)``; ``A`` and ``dy_dA`` ``(N, K, h, w)``.
"""

from __future__ import annotations

from difflib import get_close_matches

import numpy as np

from .. import _validate, fast
from ..fast.trace import SplitTrace
from ..nn.losses import softmax
from ..nn.sequential import Sequential

SCORES = ("logit", "softmax")


def resolve_targets(target, logits: np.ndarray, class_names=None) -> np.ndarray:
    """Target class per image, ``(N,)`` int: ``None`` → the predicted class (argmax of logits);
    an int or class name → that class for every image; a list → one per image. A name is
    looked up by :func:`class_index`."""
    N, C = logits.shape
    if not np.isfinite(logits).all():
        # NaN/Inf weights (set by hand, or an overflowing BatchNorm buffer) reach here first;
        # argmax and every map downstream would silently carry them.
        bad = int((~np.isfinite(logits)).sum())
        raise ValueError(f"the model's logits hold {bad} NaN or Inf value(s) for a finite x: "
                         f"its weights or buffers are not finite or overflow (load them with "
                         f"load_state_dict, which checks them)")
    if isinstance(target, np.ndarray) and target.ndim == 0:
        target = target.item()                                        # np.array(2) means 2
    if target is None:
        return logits.argmax(axis=1)
    items = list(target) if isinstance(target, (list, tuple, np.ndarray)) else [target] * N
    if len(items) != N:
        raise ValueError(f"target must be one class or a list of {N} (one per image), "
                         f"got {len(items)} targets")
    classes = []
    for item in items:
        if isinstance(item, str):
            classes.append(class_index(item, class_names))
        elif isinstance(item, (int, np.integer)) and not isinstance(item, bool):
            if not 0 <= item < C:
                raise ValueError(f"target must be a class index in [0, {C - 1}], got {item}")
            classes.append(int(item))
        else:
            raise TypeError(f"target must be an int, a class name or None, "
                            f"got {_validate.describe(item)}")
    return np.array(classes, dtype=np.int64)


def class_index(name: str, class_names) -> int:
    """The index of the class ``name`` in ``class_names``.

    The name as written first (``"Cardigan"``, ImageNet's dog 264, is not ``"cardigan"``, its
    sweater 474); else ignoring case (``"Military Uniform"`` is 652). A name that matches
    several classes either way is refused, with their indices to give instead (no silent first
    match); a name that matches none, with the nearest names (:func:`difflib.get_close_matches`).
    """
    if not class_names:
        raise ValueError(f"target {name!r} is a class name, but the model has no class names: "
                         f"give a class index")
    names = list(class_names)
    matches = [i for i, known in enumerate(names) if known == name] or \
              [i for i, known in enumerate(names) if known.casefold() == name.casefold()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        which = ", ".join(f"{i} ({names[i]!r})" for i in matches)
        raise ValueError(f"target {name!r} names {len(matches)} classes, {which}: give the "
                         f"index of the one you mean")
    if len(names) <= 10:
        raise ValueError(f"target {name!r} is not a class name; known: {', '.join(names)}")
    folded = {known.casefold(): known for known in names}
    near = [folded[m] for m in get_close_matches(name.casefold(), list(folded), n=5)]
    hint = f"; did you mean {', '.join(repr(n) for n in near)}?" if near else ""
    raise ValueError(f"target {name!r} is not one of the model's {len(names)} class names"
                     f"{hint}")


def seed(logits: np.ndarray, targets: np.ndarray, score: str = "logit") -> np.ndarray:
    """``dy = ∂y^c/∂logits`` per image, ``(N, C)``: one-hot for the logit, ``p_c (e_c − p)`` for
    the softmax probability."""
    _validate.choice(score, "score", SCORES)
    N = logits.shape[0]
    onehot = np.zeros_like(logits)
    onehot[np.arange(N), targets] = 1.0
    if score == "logit":
        return onehot
    p = softmax(logits)                                           # (N, C)
    p_c = p[np.arange(N), targets][:, None]                       # (N, 1)
    return p_c * (onehot - p)


def gradients(model: Sequential, x, target=None, layer=None, score: str = "logit",
              counterfactual: bool = False, trace: SplitTrace | None = None):
    """``(A, dy_dA)`` at ``layer`` (default: ``model.target_layer``), both ``(N, K, h, w)``.

    ``counterfactual=True`` returns ``-dy_dA``: the regions whose removal would raise ``y^c``
    (source document 003_c4a8ef7ac5f207b3.txt). A ``trace`` from an earlier
    :func:`numpy_gradcam.fast.trace` of the same ``x`` may be passed to avoid running it again.
    """
    x4, _ = _validate.images(x, "x", channels=model.in_channels)
    layer = model.resolve_layer(layer)
    trace = fast.trace(model, x4, start=layer) if trace is None else trace
    targets = resolve_targets(target, trace.logits, model.class_names)
    dy_dA = trace.backward_to(seed(trace.logits, targets, score), layer)
    return trace.outputs[layer], (-dy_dA if counterfactual else dy_dA)


def class_gradients(model: Sequential, x, layer=None, score: str = "logit"):
    """``(A, dy_dA)`` for **every** class in one backward pass: ``A`` ``(N, K, h, w)``,
    ``dy_dA`` ``(C, N, K, h, w)`` with ``dy_dA[c]`` the gradient of class ``c``."""
    x4, _ = _validate.images(x, "x", channels=model.in_channels)
    layer = model.resolve_layer(layer)
    trace = fast.trace(model, x4, start=layer)
    N, C = trace.logits.shape
    seeds = np.stack([seed(trace.logits, np.full(N, c), score) for c in range(C)])  # (C, N, C)
    return trace.outputs[layer], trace.backward_to(seeds, layer)
