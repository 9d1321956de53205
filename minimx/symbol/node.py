"""The nodes of a graph, and the order to visit them in.

A *variable* node (``op is None``) stands for an input or a parameter; an *op* node applies one op
of the table to outputs of earlier nodes, given as ``(node, output index)`` pairs.
"""
from .outputs import num_outputs

__all__ = ["Node", "topo_order"]


class Node:
    """One node of a graph: a variable (``op is None``) or an op applied to node outputs.

    ``attrs`` are the parameters as given (MXNet's JSON stores these, as strings); ``parsed`` are
    the op's parsed parameters, with defaults filled in (what the kernel gets).
    """

    __slots__ = ("op", "name", "attrs", "parsed", "inputs", "num_outputs", "extra")

    def __init__(self, op, name, attrs=None, inputs=(), extra=None):
        self.op = op
        self.name = name
        self.attrs = dict(attrs or {})
        self.parsed = op.parse(self.attrs) if op is not None else None
        self.inputs = list(inputs)            # [(Node, output index)]
        self.num_outputs = num_outputs(op, self.parsed) if op is not None else 1
        self.extra = dict(extra or {})       # variables: __shape__, __dtype__, __init__, ...

    @property
    def is_variable(self):
        return self.op is None

    def __repr__(self):
        return f"<Node {self.op.name if self.op else 'null'} {self.name}>"


def topo_order(heads):
    """Every node the heads depend on, inputs before users (MXNet's depth-first post-order)."""
    order, seen = [], set()
    for head, _ in heads:
        stack = [(head, iter(head.inputs))]
        if id(head) in seen:
            continue
        seen.add(id(head))
        while stack:
            node, it = stack[-1]
            for child, _ in it:
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, iter(child.inputs)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


# BatchNorm's kernel also writes gamma (fix_gamma), but MXNet's auxiliary states are only the
# running statistics.
_AUX = {"BatchNorm": (3, 4), "SyncBatchNorm": (3, 4)}


def _aux_inputs(node):
    """Indices of ``node``'s inputs that are auxiliary states (inputs its op updates in place)."""
    if node.op is None or not node.op.mutates:
        return ()
    if node.op.name in _AUX:
        return _AUX[node.op.name]
    m = node.op.mutates
    return m(node.parsed, len(node.inputs)) if callable(m) else m
