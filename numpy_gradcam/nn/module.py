"""A tree of named modules, and the forward and backward passes through it.

A **leaf** is a :class:`~numpy_gradcam.nn.layer.Layer`: a forward/backward pair with its cache.
A **module** is a container of named children (leaves or modules) that says how it calls them,
twice, in the same words:

- ``forward_with(x, run)``: the forward pass, where ``run(name, v)`` applies the child ``name``
  to ``v`` (and records its output and cache);
- ``backward_with(dout, back)``: the backward pass, the same calls in reverse, where
  ``back(name, d)`` takes ``d = ∂L/∂(that call's output)`` to ``∂L/∂(that call's input)``.

So a residual block reads as its paper does: ``out = relu(bn2(conv2(...)) + shortcut(x))``
forward, and backward the sum's gradient goes down both branches and the input's gradient is
the sum of the two. A child called twice (torchvision's BasicBlock calls its one ``relu`` twice)
has one cache per call; ``back`` takes them from the last call to the first. Its recorded output
is its **last** call's, and the gradient "at" it is the gradient at that last call's output:
what a forward hook that stores the output by name keeps (the usual hand-written Grad-CAM, and
the torchvision tests here). pytorch-grad-cam 1.5.7 keeps a list and takes the **first** call's
activation and gradient (``activations_list[i]`` in ``base_cam.py``): on ``layer4.1.relu`` of a
ResNet it explains the ReLU after ``bn1`` inside the block, not the block's output — a pitfall;
hook the block (``layer4.1``) or the stage (``layer4``) instead.

Names follow PyTorch: a child ``conv2`` of child ``1`` of child ``layer4`` is ``layer4.1.conv2``,
in :attr:`Module.layer_names` in the order of ``torch.nn.Module.named_modules`` (a module before
its children), and ``state_dict()`` keys are ``"<dotted leaf name>.<param>"`` with PyTorch's
layouts, buffers included.

Every pass is the reference: one thread, every output and cache kept in a :class:`Trace`.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .. import _validate
from .conv import Conv2d
from .layer import Layer
from .linear import Linear
from .relu import RULES, ReLU


@dataclass
class Trace:
    """One forward pass: the input, every module's output (its last call's), and each leaf's
    caches, one per call in call order (``calls``); ``caches`` is each leaf's last one."""

    x: np.ndarray
    outputs: dict[str, np.ndarray] = field(default_factory=dict)
    caches: dict[str, object] = field(default_factory=dict)
    calls: dict[str, list] = field(default_factory=dict)
    logits: np.ndarray | None = None
    """The model's output, ``(N, num_classes)``."""


class _Reached(Exception):
    """Raised by a backward pass when it reaches the output of the module it stops at."""

    def __init__(self, dout):
        super().__init__()
        self.dout = dout


def dotted_name(path: str, name: str) -> str:
    """PyTorch's name of child ``name`` of the module named ``path`` (``""``: the model)."""
    return f"{path}.{name}" if path else name


class Back:
    """What a module's ``backward_with`` is given, in one backward pass over one trace:
    ``back(name, d)`` takes ``d = ∂L/∂(child's output)`` to ``∂L/∂(child's input)``, and
    ``back.output(name)`` is that child's output recorded in the trace (its last call's)."""

    def __init__(self, step: Callable, trace: Trace, path: str):
        self._step, self._trace, self._path = step, trace, path

    def __call__(self, name: str, d):
        return self._step(name, d)

    def output(self, name: str):
        return self._trace.outputs[dotted_name(self._path, name)]


class Module:
    """A container of named children. Subclasses set the children (:meth:`add`) and define
    :meth:`forward_with` and :meth:`backward_with`; :class:`~numpy_gradcam.nn.Sequential` is
    the one that calls them in order.

    ``target_layer`` names the default Grad-CAM layer; ``class_names`` the label of each logit.
    """

    #: The smallest input ``(H, W)`` the architecture takes, when an input can be too small
    #: (unpadded pooling, e.g. VGG's five 2×2 max-pools: 32×32); None when any size runs.
    min_size: tuple[int, int] | None = None

    #: The global-average-pool → linear head that CAM reads (:class:`~numpy_gradcam.nn.head.
    #: GapHead`), declared by an architecture whose head its children's order cannot show;
    #: None: none declared (a Sequential's children show it: :mod:`numpy_gradcam.nn.head`).
    gap_head = None

    def __init__(self, class_names=None, target_layer=None):
        self.children: dict[str, Layer | Module] = {}
        self.class_names = None if class_names is None else tuple(class_names)
        self._target_layer = target_layer

    def add(self, name: str, child) -> None:
        """Add the child ``name`` (a leaf or a module), checked."""
        if not (isinstance(name, str) and (name.isidentifier() or name.isdigit())
                and not keyword.iskeyword(name)):
            raise ValueError(f"layer names must be Python identifiers or indices (they become "
                             f"torch submodule names), got {name!r}")
        if name in self.children:
            raise ValueError(f"layer names must be unique, got {name!r} twice")
        if not isinstance(child, (Layer, Module)):
            raise TypeError(f"layer {name!r} must be a numpy_gradcam.nn layer or module, "
                            f"got {child!r}")
        self.children[name] = child

    # --- what subclasses write ---------------------------------------------------------------

    def forward_with(self, x, run: Callable):
        """The forward pass, calling each child as ``run(name, v)``."""
        raise NotImplementedError

    def backward_with(self, dout, back: Back):
        """The backward pass: :meth:`forward_with`'s calls in reverse, as ``back(name, d)``
        (:class:`Back`; ``back.output(name)`` is a child's recorded output, for a backward that
        needs a forward value, such as the size a mean averaged over)."""
        raise NotImplementedError

    # --- structure -------------------------------------------------------------------------

    @property
    def layers(self) -> dict:
        """The direct children, ``{name: leaf or module}`` (PyTorch's ``_modules``)."""
        return self.children

    def named_modules(self, path: str = ""):
        """``(dotted name, module or leaf)`` for every descendant, a module before its children
        (``torch.nn.Module.named_modules`` without the root)."""
        for name, child in self.children.items():
            dotted = dotted_name(path, name)
            yield dotted, child
            if isinstance(child, Module):
                yield from child.named_modules(dotted)

    def named_leaves(self):
        """``(dotted name, leaf)`` for every leaf, in order."""
        return [(n, m) for n, m in self.named_modules() if isinstance(m, Layer)]

    @property
    def layer_names(self) -> list[str]:
        return [name for name, _ in self.named_modules()]

    @property
    def target_layer(self) -> str | None:
        return None if self._target_layer is None else self.resolve_layer(self._target_layer)

    @target_layer.setter
    def target_layer(self, name):
        self._target_layer = None if name is None else self.resolve_layer(name)

    def __getitem__(self, name: str):
        module = self
        for part in self.resolve_layer(name).split("."):
            module = module.children[part]
        return module

    @property
    def in_channels(self) -> int | None:
        """Channels the first convolution expects (None if the model has none)."""
        first = next((m for _, m in self.named_leaves() if isinstance(m, Conv2d)), None)
        return None if first is None else first.in_channels

    @property
    def num_classes(self) -> int | None:
        """Outputs of the last linear layer (None if the model has none)."""
        last = [m for _, m in self.named_leaves() if isinstance(m, Linear)]
        return last[-1].out_features if last else None

    def resolve_layer(self, name=None) -> str:
        """The dotted layer name ``name``, checked (``None``: :attr:`target_layer`, the default
        Grad-CAM layer); a clear error names the layers there are."""
        if name is None:
            if self._target_layer is None:
                raise ValueError("layer must be given: the model names no target_layer")
            name = self._target_layer
        names = self.layer_names
        # isinstance first: `name in list` of a numpy array or dict gives no clear message.
        if not isinstance(name, str) or name not in names:
            shown = ", ".join(names) if len(names) <= 40 else \
                ", ".join(names[:40]) + f", … ({len(names)} in all: model.layer_names)"
            raise ValueError(f"layer must be one of {shown}; got {_validate.describe(name)}")
        return name

    def __repr__(self):
        rows = ["  (" + name + "): " + "\n  ".join(repr(child).splitlines())
                for name, child in self.children.items()]
        return type(self).__name__ + "(\n" + "\n".join(rows) + "\n)"

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
        if self.min_size is not None and (x.shape[2] < self.min_size[0]
                                          or x.shape[3] < self.min_size[1]):
            (h, w), name = self.min_size, getattr(self, "arch", None) or type(self).__name__
            raise ValueError(f"x must be at least {h}×{w} pixels for {name}, got "
                             f"{x.shape[2]}×{x.shape[3]} (shape {x.shape})")
        return x

    def trace(self, x, train=False) -> Trace:
        """Run the model on ``x`` ``(N, C, H, W)`` and record every output and cache."""
        trace = Trace(self.check_input(x))
        trace.logits = self._record(trace, "", self, trace.x, train)
        return trace

    def _record(self, trace: Trace, path: str, module, v, train: bool):
        """Run ``module`` (named ``path``) on ``v``, recording outputs and leaf caches."""
        if isinstance(module, Layer):
            try:
                out, cache = module.forward(v, train=train)
            except ValueError as e:
                # A layer names its own input; say which input of ours it came from.
                raise ValueError(f"x of shape {trace.x.shape} cannot go through layer {path!r} "
                                 f"(too small for the model?): {e}") from e
            trace.calls.setdefault(path, []).append(cache)
            trace.caches[path] = cache
        else:
            out = module.forward_with(v, lambda name, u: self._record(
                trace, dotted_name(path, name), module.children[name], u, train))
        if path:
            trace.outputs[path] = out
        return out

    def forward(self, x, keep=None, train=False):
        """Logits ``(N, num_classes)``; with ``keep=("relu3", ...)``, ``(logits, {name: A})``."""
        names = [] if keep is None else [self.resolve_layer(k) for k in _as_tuple(keep)]
        trace = self.trace(x, train=train)
        if keep is None:
            return trace.logits
        return trace.logits, {name: trace.outputs[name] for name in names}

    __call__ = forward

    def trace_from(self, layer: str, A) -> Trace:
        """Run only what comes after ``layer`` on its output ``A`` and record it: a trace that
        starts at ``layer`` (``x`` and ``outputs[layer]`` are ``A``), enough for the backward
        pass from the logits down to ``layer`` (Grad-CAM's) but not below it.

        :meth:`forward_with` is replayed, descending into the modules that hold ``layer``: the
        calls before ``layer``'s are skipped (in a chain, as the part of every architecture here
        before its stages and their blocks is, their values feed only ``layer``), ``layer``'s
        call gives ``A``, and the calls after it run and are recorded (so are the outputs of the
        modules that hold ``layer``). Refused, with an error that says why: a ``layer`` inside a
        residual branch (the branch's sum needs the block's input as well), and a ``layer``
        called more than once (a trace records its last call, and ``A`` would replace another).
        """
        layer = self.resolve_layer(layer)
        # Non-finite A is let through, as trace() lets it through from x: the logits then
        # carry it, where the callers report it with its cause (the weights).
        A = _validate.float_array(A, "A", finite=False)
        trace, reached = Trace(A, {layer: A}), []

        def replay(module, path):
            def run(name, v):
                dotted, child = dotted_name(path, name), module.children[name]
                if reached and dotted == layer:
                    raise ValueError(f"a pass cannot start at {layer!r}: it is called more than "
                                     f"once in a forward pass (one module used twice), and a "
                                     f"pass replaces one call's output; start at a layer "
                                     f"called once, such as the block or stage that holds it")
                if reached:
                    return self._record(trace, dotted, child, v, False)
                if dotted == layer:
                    reached.append(dotted)
                    return A
                if layer.startswith(dotted + "."):                  # layer is inside this child
                    out = child.forward_with(None, replay(child, dotted))
                    trace.outputs[dotted] = out
                    return out
                return None                                       # skipped: feeds only `layer`
            return run

        try:
            trace.logits = self.forward_with(None, replay(self, ""))
        except (TypeError, AttributeError) as error:              # a skipped value was used
            raise ValueError(f"a pass cannot start at {layer!r}: the forward before it is not a "
                             f"chain of calls (inside a residual branch, the block's sum needs "
                             f"its input as well; or a module called twice, whose first call "
                             f"is there); start at the block or stage that holds it"
                             ) from error
        return trace

    def forward_from(self, layer: str, A) -> np.ndarray:
        """The logits with ``layer``'s output replaced by ``A``: ``y = head(A)``, what Grad-CAM
        differentiates, and what Ablation-CAM and the finite difference checks re-evaluate with
        ``A`` changed (the logits of :meth:`trace_from`)."""
        return self.trace_from(layer, _validate.float_array(A, "A")).logits

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

    def _backward(self, trace: Trace, dout, *, stop=None, rule="standard", grads=None,
                  last=None):
        """The backward pass from ``dout`` at the logits: ``∂/∂x``, or the gradient at the
        output of module ``stop`` (raised as :class:`_Reached` and returned), accumulating
        parameter gradients into ``grads`` (a dict) if given, and stopping after leaf ``last``."""
        used: dict[str, int] = {}

        def back(path: str, module, d):
            if path == stop:
                raise _Reached(d)
            if isinstance(module, Module):
                return module.backward_with(d, Back(lambda name, u: back(
                    dotted_name(path, name), module.children[name], u), trace, path))
            used[path] = used.get(path, len(trace.calls[path])) - 1    # the last call first
            cache = trace.calls[path][used[path]]
            if grads is not None:
                for k, g in module.backward_params(d, cache).items():
                    key = f"{path}.{k}"
                    grads[key] = g if key not in grads else grads[key] + g
                if path == last:
                    raise _Reached(None)
            if isinstance(module, ReLU):
                return module.backward_input(d, cache, rule=rule)
            return module.backward_input(d, cache)

        try:
            return back("", self, dout)
        except _Reached as reached:
            return reached.dout

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
        return self._backward(trace, dout, stop=layer, rule=rule)

    def backward_to_input(self, trace: Trace, dy, rule: str = "standard") -> np.ndarray:
        """``∂(Σ dy·logits)/∂x``, shaped like ``x`` (after the leading target axis of ``dy``)."""
        _validate.choice(rule, "rule", RULES)
        dout = self._check_seed(trace, dy)
        if set(trace.calls) != {name for name, _ in self.named_leaves()}:
            raise ValueError("this trace starts after the input (trace_from): the gradient "
                             "with respect to x needs model.trace(x)")
        return self._backward(trace, dout, rule=rule)

    def backward(self, trace: Trace, dy, input_grad: bool = True):
        """The full backward pass for training: ``(dx, grads)``.

        ``dy`` ``(N, C)``; ``grads["conv1.weight"]`` etc. have the parameters' shapes; ``dx``
        ``(N, C, H, W)``, or None with ``input_grad=False``, which stops after the first leaf
        with parameters (training needs nothing below it).
        """
        dout = self._check_seed(trace, dy)
        if dout.ndim != 2:
            raise ValueError(f"dy must have shape (N, num_classes) for backward, got {dout.shape}")
        grads = {}
        first = None if input_grad else next(
            (name for name, leaf in self.named_leaves() if leaf.params), None)
        dx = self._backward(trace, dout, grads=grads, last=first)
        return (dx if input_grad else None), grads

    # --- parameters ------------------------------------------------------------------------

    def parameters(self) -> dict[str, np.ndarray]:
        """The live parameter arrays, ``{"conv1.weight": ..., ...}`` (optimisers update these)."""
        return {f"{name}.{k}": v for name, leaf in self.named_leaves()
                for k, v in leaf.params.items()}

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, with PyTorch's names and layouts."""
        state = {}
        for name, leaf in self.named_leaves():
            for group in (leaf.params, leaf.buffers):
                state.update({f"{name}.{k}": np.array(v, copy=True) for k, v in group.items()})
        return state

    def load_state_dict(self, state) -> None:
        """Replace parameters and buffers from ``state``; every key and shape is checked first.

        Nothing is changed unless all of ``state`` is valid. The error names every missing key,
        every unexpected key and every wrong shape (then a non-float array or a NaN/Inf value).
        """
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict of arrays, got {_validate.describe(state)}")
        expected = {f"{name}.{k}": np.shape(v) for name, leaf in self.named_leaves()
                    for group in (leaf.params, leaf.buffers) for k, v in group.items()}
        missing = [k for k in expected if k not in state]
        unexpected = [k for k in state if k not in expected]
        shapes = [f"state[{k!r}] must have shape {shape}, got {np.shape(state[k])}"
                  for k, shape in expected.items() if k in state and np.shape(state[k]) != shape]
        problems = []
        if missing:
            problems.append(f"state is missing key {missing[0]!r} ({len(missing)} missing in "
                            f"all): {_listed(missing)}")
        if unexpected:
            problems.append(f"state has unexpected key {unexpected[0]!r}; expected keys: "
                            f"{_listed(list(expected))} ({len(unexpected)} unexpected in all): "
                            f"{_listed(unexpected)}")
        problems += shapes
        if problems:
            raise ValueError("; ".join(problems))
        new = {}
        for key in expected:
            value = np.asarray(state[key])
            if key.endswith("num_batches_tracked"):
                new[key] = value.astype(np.int64)
                continue
            new[key] = _validate.float_array(value, f"state[{key!r}]").astype(np.float64)
            if key.endswith("running_var") and (new[key] < 0).any():
                # 1/sqrt(running_var + eps) would be NaN at evaluation time.
                raise ValueError(f"state[{key!r}] must be >= 0 (a variance), got minimum "
                                 f"{new[key].min():.3g}")
        for name, leaf in self.named_leaves():
            for group in (leaf.params, leaf.buffers):
                for k in group:
                    group[k] = new[f"{name}.{k}"]


def _listed(keys: list[str], most: int = 12) -> str:
    """``a, b, c`` — the first ``most`` keys, then how many more."""
    shown = ", ".join(keys[:most])
    return shown if len(keys) <= most else f"{shown}, … ({len(keys) - most} more)"


def _as_tuple(keep):
    return (keep,) if isinstance(keep, str) else tuple(keep)
