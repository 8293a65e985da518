"""A model: named layers applied in order, and the backward pass through them.

Grad-CAM needs two things from a model: the activations ``A`` of a named layer, and the gradient
``∂y^c/∂A`` of a class score with respect to them. Both come from one recorded forward pass
(a :class:`Trace`) followed by a backward pass that stops at that layer::

    trace = model.trace(x)                        # every layer's output and cache
    A = trace.outputs["relu3"]                    # (N, K, h, w)
    dy = np.eye(num_classes)[target]              # seed: one-hot rows, (N, num_classes)
    dy_dA = model.backward_to(trace, dy, "relu3") # ∂(Σ dy·logits)/∂A, (N, K, h, w)

The seed ``dy`` may carry a leading axis of targets, ``(T, N, num_classes)``: the backward pass
then returns ``(T, N, K, h, w)`` — the gradient for T targets (e.g. every class) in one pass,
since every input gradient is linear in its upstream gradient.

Names follow PyTorch: ``state_dict()`` keys are ``"<layer>.<param>"`` with PyTorch's layouts, so
``numpy_gradcam.oracle.to_torch(model)`` loads them unchanged.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field

import numpy as np

from .. import _validate
from .conv import Conv2d
from .layer import Layer
from .linear import Linear
from .relu import RULES, ReLU


@dataclass
class Trace:
    """One forward pass: the input, each layer's output and each layer's cache (for backward)."""

    x: np.ndarray
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    caches: dict[str, object] = field(default_factory=dict)

    @property
    def logits(self) -> np.ndarray:
        """The last layer's output, ``(N, num_classes)``."""
        return self.outputs[list(self.outputs)[-1]]


class Sequential:
    """``Sequential([(name, layer), ...], class_names=None, target_layer=None)``.

    ``target_layer`` names the default Grad-CAM layer (by convention the last ReLU of the conv
    stack); ``class_names`` lists the label of each logit.
    """

    def __init__(self, layers, class_names=None, target_layer=None):
        self.layers: dict[str, Layer] = {}
        for item in layers:
            if not (isinstance(item, tuple) and len(item) == 2):
                raise TypeError(f"layers must be a list of (name, layer) pairs, got {item!r}")
            name, layer = item
            if not (isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)):
                raise ValueError(
                    f"layer names must be Python identifiers (they become torch submodule "
                    f"names), got {name!r}"
                )
            if name in self.layers:
                raise ValueError(f"layer names must be unique, got {name!r} twice")
            if not isinstance(layer, Layer):
                raise TypeError(f"layer {name!r} must be a numpy_gradcam.nn layer, got {layer!r}")
            self.layers[name] = layer
        if not self.layers:
            raise ValueError("layers must hold at least one (name, layer) pair, got none")
        self.class_names = None if class_names is None else tuple(class_names)
        self.target_layer = None if target_layer is None else self.resolve_layer(target_layer)

    # --- structure -------------------------------------------------------------------------

    @property
    def layer_names(self) -> list[str]:
        return list(self.layers)

    def __getitem__(self, name: str) -> Layer:
        return self.layers[self.resolve_layer(name)]

    @property
    def in_channels(self) -> int | None:
        """Channels the first convolution expects (None if the model has none)."""
        first = next((la for la in self.layers.values() if isinstance(la, Conv2d)), None)
        return None if first is None else first.in_channels

    @property
    def num_classes(self) -> int | None:
        """Outputs of the last linear layer (None if the model has none)."""
        last = [la for la in self.layers.values() if isinstance(la, Linear)]
        return last[-1].out_features if last else None

    def resolve_layer(self, name=None) -> str:
        """The layer name ``name``, checked (``None``: :attr:`target_layer`, the default
        Grad-CAM layer); a clear error names the layers there are."""
        if name is None:
            if self.target_layer is None:
                raise ValueError("layer must be given: the model names no target_layer")
            return self.target_layer
        # isinstance first: `name in dict` raises a bare "unhashable type" for a list or dict.
        if not isinstance(name, str) or name not in self.layers:
            raise ValueError(
                f"layer must be one of {', '.join(self.layers)}; got {_validate.describe(name)}"
            )
        return name

    def __repr__(self):
        rows = "\n".join(f"  ({name}): {layer!r}" for name, layer in self.layers.items())
        return f"Sequential(\n{rows}\n)"

    # --- forward ---------------------------------------------------------------------------

    def check_input(self, x) -> np.ndarray:
        """``x`` as a float array ``(N, C, H, W)`` with the model's channels and N >= 1."""
        x = _validate.float_array(x, "x", ndim=4)
        if self.in_channels is not None and x.shape[1] != self.in_channels:
            raise ValueError(
                f"x must have {self.in_channels} channels in axis 1 (NCHW), got shape {x.shape}"
            )
        if x.shape[0] == 0:
            raise ValueError(f"x must hold at least one image, got shape {x.shape}")
        return x

    def trace(self, x, train=False) -> Trace:
        """Run every layer on ``x`` ``(N, C, H, W)`` and record every output and cache."""
        x = self.check_input(x)
        return self._record(Trace(x), self.layer_names, train)

    def trace_from(self, layer: str, A) -> Trace:
        """Run only the layers after ``layer`` on its output ``A`` and record them: a trace that
        starts at ``layer`` (``x`` and ``outputs[layer]`` are ``A``), enough for the backward
        pass from the logits down to ``layer`` (Grad-CAM's) but not below it."""
        layer = self.resolve_layer(layer)
        # Non-finite A is let through, as trace() lets it through from x: the logits then
        # carry it, where the callers report it with its cause (the weights).
        A = _validate.float_array(A, "A", finite=False)
        names = self.layer_names
        return self._record(Trace(A, {layer: A}), names[names.index(layer) + 1:], False)

    def _record(self, trace: Trace, names: list[str], train: bool) -> Trace:
        """Run the layers ``names`` in order from ``trace.x``, recording outputs and caches."""
        out = trace.x
        for name in names:
            try:
                out, trace.caches[name] = self.layers[name].forward(out, train=train)
            except ValueError as e:
                # A layer names its own input; say which input of ours it came from.
                raise ValueError(f"x of shape {trace.x.shape} cannot go through layer {name!r} "
                                 f"(too small for the model?): {e}") from e
            trace.outputs[name] = out
        return trace

    def forward(self, x, keep=None, train=False):
        """Logits ``(N, num_classes)``; with ``keep=("relu3", ...)``, ``(logits, {name: A})``."""
        names = [] if keep is None else [self.resolve_layer(k) for k in _as_tuple(keep)]
        trace = self.trace(x, train=train)
        if keep is None:
            return trace.logits
        return trace.logits, {name: trace.outputs[name] for name in names}

    __call__ = forward

    def forward_from(self, layer: str, A) -> np.ndarray:
        """Run only the layers after ``layer`` on activations ``A`` (its output); the logits.

        ``y = head(A)``: what Grad-CAM differentiates, and what Ablation-CAM and the finite
        difference checks re-evaluate with ``A`` changed.
        """
        layer = self.resolve_layer(layer)
        out = _validate.float_array(A, "A")
        names = list(self.layers)
        for name in names[names.index(layer) + 1:]:
            out, _ = self.layers[name].forward(out)
        return out

    # --- backward --------------------------------------------------------------------------

    def _check_seed(self, trace: Trace, dy) -> np.ndarray:
        dy = _validate.float_array(dy, "dy", ndim=(2, 3))
        expected = trace.logits.shape
        if dy.shape[-2:] != expected:
            raise ValueError(
                f"dy must have the logits' shape {expected} (or (T, *{expected}) for T targets "
                f"at once), got {dy.shape}"
            )
        return dy.astype(trace.logits.dtype, copy=False)

    def backward_to(self, trace: Trace, dy, layer: str, rule: str = "standard") -> np.ndarray:
        """``∂(Σ dy·logits)/∂A`` where ``A = trace.outputs[layer]``.

        ``dy`` ``(N, C)`` → ``(N, *A.shape[1:])``; ``dy`` ``(T, N, C)`` → ``(T, N, ...)``.
        ``rule`` is the ReLU backward rule (``"standard"``, ``"guided"``, ``"deconvnet"``).
        Parameter gradients are not computed.
        """
        layer = self.resolve_layer(layer)
        _validate.choice(rule, "rule", RULES)
        dout = self._check_seed(trace, dy)
        if layer not in trace.outputs:
            raise ValueError(f"layer {layer!r} is not in this trace, which starts after it "
                             f"(trace_from); trace from {layer!r} or from the input")
        for name in reversed(self.layers):
            if name == layer:
                return dout
            dout = self._backward_input(name, dout, trace, rule)
        raise AssertionError("unreachable: the layer name was validated")

    def backward_to_input(self, trace: Trace, dy, rule: str = "standard") -> np.ndarray:
        """``∂(Σ dy·logits)/∂x``, shaped like ``x`` (after the leading target axis of ``dy``)."""
        _validate.choice(rule, "rule", RULES)
        dout = self._check_seed(trace, dy)
        if len(trace.caches) != len(self.layers):
            raise ValueError("this trace starts after the input (trace_from): the gradient "
                             "with respect to x needs model.trace(x)")
        for name in reversed(self.layers):
            dout = self._backward_input(name, dout, trace, rule)
        return dout

    def _backward_input(self, name, dout, trace, rule):
        layer = self.layers[name]
        if isinstance(layer, ReLU):
            return layer.backward_input(dout, trace.caches[name], rule=rule)
        return layer.backward_input(dout, trace.caches[name])

    def backward(self, trace: Trace, dy, input_grad: bool = True):
        """The full backward pass for training: ``(dx, grads)``.

        ``dy`` ``(N, C)``; ``grads["conv1.weight"]`` etc. have the parameters' shapes; ``dx``
        ``(N, C, H, W)``, or None with ``input_grad=False``, which stops at the first layer
        with parameters (training needs nothing below it).
        """
        dout = self._check_seed(trace, dy)
        if dout.ndim != 2:
            raise ValueError(f"dy must have shape (N, num_classes) for backward, got {dout.shape}")
        names = list(self.layers)
        first = next((i for i, n in enumerate(names) if self.layers[n].params), 0)
        grads = {}
        for index in range(len(names) - 1, -1, -1):
            name = names[index]
            layer_grads = self.layers[name].backward_params(dout, trace.caches[name])
            grads.update({f"{name}.{k}": v for k, v in layer_grads.items()})
            if index == first and not input_grad:
                return None, grads
            dout = self._backward_input(name, dout, trace, "standard")
        return dout, grads

    # --- parameters ------------------------------------------------------------------------

    def parameters(self) -> dict[str, np.ndarray]:
        """The live parameter arrays, ``{"conv1.weight": ..., ...}`` (optimisers update these)."""
        return {f"{name}.{k}": v for name, la in self.layers.items() for k, v in la.params.items()}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, with PyTorch's names and layouts."""
        state = {}
        for name, layer in self.layers.items():
            for group in (layer.params, layer.buffers):
                state.update({f"{name}.{k}": np.array(v, copy=True) for k, v in group.items()})
        return state

    def load_state_dict(self, state) -> None:
        """Replace parameters and buffers from ``state``; every key and shape is checked first.

        Nothing is changed unless all of ``state`` is valid. The error names the first
        mismatch: a missing key, an unexpected key, a wrong shape, a non-float array, or a
        NaN/Inf value.
        """
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict of arrays, got {_validate.describe(state)}")
        expected = self.state_dict()
        missing = [k for k in expected if k not in state]
        if missing:
            raise ValueError(f"state is missing key {missing[0]!r} ({len(missing)} missing in all)")
        unexpected = [k for k in state if k not in expected]
        if unexpected:
            raise ValueError(
                f"state has unexpected key {unexpected[0]!r}; expected keys: {', '.join(expected)}"
            )
        new = {}
        for key, ref in expected.items():
            value = np.asarray(state[key])
            if value.shape != ref.shape:
                raise ValueError(f"state[{key!r}] must have shape {ref.shape}, got {value.shape}")
            if key.endswith("num_batches_tracked"):
                new[key] = value.astype(np.int64)
                continue
            new[key] = _validate.float_array(value, f"state[{key!r}]").astype(np.float64)
            if key.endswith("running_var") and (new[key] < 0).any():
                # 1/sqrt(running_var + eps) would be NaN at evaluation time.
                raise ValueError(f"state[{key!r}] must be >= 0 (a variance), got minimum "
                                 f"{new[key].min():.3g}")
        for name, layer in self.layers.items():
            for group in (layer.params, layer.buffers):
                for k in group:
                    group[k] = new[f"{name}.{k}"]


def _as_tuple(keep):
    return (keep,) if isinstance(keep, str) else tuple(keep)
