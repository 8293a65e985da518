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

A ``Sequential`` is the simplest :class:`~numpy_gradcam.nn.module.Module`: its children called
one after the other, forward in order and backward in reverse. Children may be modules
themselves (a ``Sequential`` of ``Sequential`` s, residual blocks), named with PyTorch's dotted
names (``layer4.1.conv2``). ``state_dict()`` keys are ``"<layer>.<param>"`` with PyTorch's
layouts, so ``numpy_gradcam.oracle.to_torch(model)`` loads them unchanged.
"""

from __future__ import annotations

from .module import Module, Trace

__all__ = ["Sequential", "Trace"]


class Sequential(Module):
    """``Sequential([(name, layer), ...], class_names=None, target_layer=None)``.

    Each ``layer`` is a leaf or a module. ``target_layer`` names the default Grad-CAM layer (by
    convention the last ReLU of the conv stack); ``class_names`` lists the label of each logit.
    """

    def __init__(self, layers, class_names=None, target_layer=None):
        super().__init__(class_names)
        for item in layers:
            if not (isinstance(item, tuple) and len(item) == 2):
                raise TypeError(f"layers must be a list of (name, layer) pairs, got {item!r}")
            self.add(*item)
        if not self.children:
            raise ValueError("layers must hold at least one (name, layer) pair, got none")
        self.target_layer = target_layer

    def forward_with(self, x, run):
        for name in self.children:
            x = run(name, x)
        return x

    def backward_with(self, dout, back):
        for name in reversed(self.children):
            dout = back(name, dout)
        return dout
