"""The calls a model makes, read off its own ``forward_with``: the graph the compiler lowers.

To compile a residual block, the compiler must know which leaf feeds which and where a sum
joins two branches. The block's :meth:`~numpy_gradcam.nn.Module.forward_with` already says so,
in the reference; rather than say it again, :func:`capture` runs it on :class:`Node` s. A node
stands for an array: each ``run(name, v)`` records a call of that leaf on ``v`` instead of
computing it, and ``+`` (the residual sum) records a sum. The result, a :class:`Graph`, is the
list of those nodes in call order, each knowing its inputs.

A node knows no other operation. ``x.reshape(len(x), -1)`` or ``x.mean(axis=(2, 3))``, as the
torchvision models write their heads, ends the capture there: the graph is then the calls up
to that point, and the rest (the head: a flatten or a mean, then the classifier) is left to the
reference, from the last call of a top-level child that completed, the graph's **boundary**
(:meth:`~numpy_gradcam.nn.Module.forward_from`). The layers before a target layer are always
captured whole: a head comes after every feature map.

Shapes are not known here: a node has none (the compiled steps meet the arrays).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..nn import Module
from ..nn.layer import Layer
from ..nn.module import dotted_name


@dataclass(eq=False)
class Node:
    """``op``: ``"input"``, ``"call"`` (``leaf`` named ``name`` applied to ``inputs[0]``) or
    ``"add"`` (``inputs[0] + inputs[1]``); ``index``: its place in the graph, in call order."""

    op: str
    inputs: tuple = ()
    leaf: Layer | None = None
    name: str | None = None
    index: int = -1
    graph: Graph | None = field(default=None, repr=False)

    def __add__(self, other):
        if not isinstance(other, Node):
            return NotImplemented
        return self.graph.add("add", (self, other))


@dataclass
class Graph:
    """``nodes`` in call order (the input first); ``outputs[name]``: the node of the last call of
    each module or leaf, by dotted name, and ``calls[name]`` how many calls it had; ``logits``:
    the model's output node when the capture ran to the end (``complete``), else None, with
    ``boundary`` the last top-level child whose call completed."""

    nodes: list[Node] = field(default_factory=list)
    outputs: dict[str, Node] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    logits: Node | None = None
    boundary: str | None = None

    @property
    def complete(self) -> bool:
        return self.logits is not None

    def add(self, op, inputs=(), leaf=None, name=None) -> Node:
        node = Node(op, tuple(inputs), leaf, name, len(self.nodes), self)
        self.nodes.append(node)
        return node

    def upto(self, output: Node) -> list[Node]:
        """The nodes ``output`` depends on (itself included), in call order."""
        needed, stack = set(), [output]
        while stack:
            node = stack.pop()
            if node.index not in needed:
                needed.add(node.index)
                stack.extend(node.inputs)
        return [node for node in self.nodes if node.index in needed]

    def is_cut(self, name: str) -> bool:
        """Whether the output of ``name`` (called once) is all that the later nodes read of the
        earlier ones: a chain passes through it, so a pass may start there
        (:meth:`~numpy_gradcam.nn.Module.trace_from`) with the compiled forward up to it."""
        if self.calls.get(name) != 1:
            return False
        cut = self.outputs[name].index
        return all(source.index >= cut for node in self.nodes[cut + 1:]
                   for source in node.inputs)


def capture(model: Module) -> Graph:
    """The graph of ``model.forward_with`` (see the module docstring)."""
    graph = Graph()

    def runner(module, path):
        def run(name, v):
            dotted, child = dotted_name(path, name), module.children[name]
            if isinstance(child, Layer):
                out = graph.add("call", (v,), child, dotted)
            else:
                out = child.forward_with(v, runner(child, dotted))
            if not isinstance(out, Node):         # a module that made something of its own
                raise TypeError(f"{dotted} returned {type(out).__name__}, not a node")
            graph.outputs[dotted] = out
            graph.calls[dotted] = graph.calls.get(dotted, 0) + 1
            if not path:
                graph.boundary = dotted
            return out
        return run

    try:
        logits = model.forward_with(graph.add("input"), runner(model, ""))
    except (TypeError, AttributeError):           # an operation a node does not know: the head
        return graph
    graph.logits = logits if isinstance(logits, Node) else None
    return graph
