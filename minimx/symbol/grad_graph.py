"""The gradient graph of a planned forward graph: a hybridized block's backward as one graph.

MXNet's CachedOp runs a hybridized block's backward as a graph of its own, built once from every
node's gradient rule. minimx does the same: ``build_grad_graph`` calls each op's gradient rule
with ``F = mx.sym`` (the rules are written with ``F``, so they trace), from the last node back to
the first, and collects one symbol whose outputs are the gradients of the wanted variables. Its
own variables stand for

- ``_fwd<i>_<j>``: output ``j`` of forward node ``i`` (only the values some rule reads appear), and
- ``_head<h>``: the gradient arriving at the forward graph's output ``h``.

Rules may look at ``x.shape``/``x.dtype`` of any value (``symbol.TRACING.oracle`` answers by
running the ops' shape and dtype rules). A rule that cannot be traced (it
needs values, or an op has no rule) makes the builder return None, and the block is then
differentiated node by node instead, with the same results.
"""
from ..base import MXNetError
from ..name import NameManager
from ..ops.gradutil import wanted as _wanted
from ..ops.opdef import NO_GRAD, OpInputError
from . import symbol as _sym_mod
from .symbol import TRACING, Symbol
from .node import topo_order

__all__ = ["build_grad_graph", "GradGraph"]


class _Oracle:
    """The shape and dtype of any value of the graph being traced, by running the ops' rules."""

    def __init__(self):
        self.known = {}     # (id(node), output) -> (shape, dtype)

    def set(self, sym, meta):
        node, i = sym._outputs[0]
        self.known[(id(node), i)] = (tuple(meta[0]), meta[1])
        return sym

    def __call__(self, sym):
        if len(sym._outputs) != 1:
            raise MXNetError("gradient graph: shape of a group asked for")
        node, i = sym._outputs[0]
        key = (id(node), i)
        if key not in self.known:
            for n in topo_order([sym._outputs[0]]):
                if (id(n), 0) in self.known or n.op is None:
                    continue
                ins = [self.known[(id(src), j)] for src, j in n.inputs]
                shapes = n.op.shape(n.parsed, *[m[0] for m in ins])
                dtypes = n.op.dtype(n.parsed, *[m[1] for m in ins])
                if type(shapes) is not list:
                    shapes, dtypes = [shapes], [dtypes]
                elif type(dtypes) is not list:
                    dtypes = [dtypes] * len(shapes)
                for j, (s, d) in enumerate(zip(shapes, dtypes)):
                    self.known[(id(n), j)] = (tuple(s), d)
        return self.known[key]


class _Namespace:
    """``mx.sym`` as gradient rules see it: ``F._internal.is_recording()`` is False (a traced
    backward is a first-order one)."""

    def __init__(self, module, extra):
        self._module, self._extra = module, extra

    def __getattr__(self, name):
        if name in self._extra:
            return self._extra[name]
        return getattr(self._module, name)


def _sym_namespace():
    from .. import symbol
    internal = _Namespace(symbol._internal, {"is_recording": lambda: False,
                                             "is_training": lambda: False})
    return _Namespace(symbol, {"_internal": internal})


class GradGraph:
    """The traced backward: ``symbol`` (outputs: one gradient per wanted variable, in order),
    ``sources`` (per variable name of ``symbol``: ``('fwd', i, j)`` or ``('head', h)``)."""

    def __init__(self, symbol, sources, wanted_vars):
        self.symbol, self.sources, self.wanted_vars = symbol, sources, wanted_vars

    def saved(self):
        """The forward values ``(i, j)`` the backward reads."""
        return sorted({s[1:] for s in self.sources.values() if s[0] == "fwd"})


def build_grad_graph(nodes, meta, heads, wanted_vars, training=True):
    """Trace the backward of a forward graph.

    Parameters
    ----------
    nodes : list of symbol Node
        The forward graph in topological order (variables have ``op is None``).
    meta : list of tuple of (shape, dtype)
        Per node, its outputs' shapes and dtypes.
    heads : list of (int, int)
        The forward graph's outputs, as (node index, output index).
    wanted_vars : tuple of int
        Indices in ``nodes`` of the variables whose gradients are wanted.
    training : bool
        The forward's mode, which train-aware rules (BatchNorm's) read as ``attrs['is_train']``.

    Returns
    -------
    GradGraph or None (when some rule cannot be traced).
    """
    F = _sym_namespace()
    fwd, sources = {}, {}
    oracle = _Oracle()
    index = {id(n): i for i, n in enumerate(nodes)}

    def value(i, j):
        key = (i, j)
        s = fwd.get(key)
        if s is None:
            name = f"_fwd{i}_{j}"
            sources[name] = ("fwd", i, j)
            s = fwd[key] = oracle.set(_sym_mod.var(name), meta[i][j])
        return s

    # Which values depend on a wanted variable (only their gradients are needed).
    active = set((i, 0) for i in wanted_vars)
    for i, node in enumerate(nodes):
        if node.op is not None and any((index[id(src)], j) in active for src, j in node.inputs):
            active.update((i, j) for j in range(len(meta[i])))
    grads = {}
    prev_wanted = _wanted.inputs
    prev_oracle = getattr(TRACING, "oracle", None)
    TRACING.oracle = oracle
    try:
        with NameManager():
            for h, (i, j) in enumerate(heads):
                if (i, j) not in active:
                    continue
                name = f"_head{h}"
                sources[name] = ("head", h)
                g = oracle.set(_sym_mod.var(name), meta[i][j])
                grads[(i, j)] = g if (i, j) not in grads else grads[(i, j)] + g
            for i in range(len(nodes) - 1, -1, -1):
                node = nodes[i]
                if node.op is None:
                    continue
                out_grads = [grads.get((i, j)) for j in range(len(meta[i]))]
                if all(g is None for g in out_grads):
                    continue
                refs = [(index[id(src)], j) for src, j in node.inputs]
                want = [r in active for r in refs]
                if not any(want):
                    continue
                rule = node.op.grad
                if rule is NO_GRAD or rule == NO_GRAD:
                    continue
                if rule is None:
                    return None
                ins = [value(k, j) for k, j in refs]
                outs = [value(i, j) for j in range(len(meta[i]))]
                _wanted.inputs = want
                attrs = node.parsed
                if node.op.train_aware:
                    attrs = dict(attrs, is_train=training)
                try:
                    in_grads = rule(F, attrs, ins, outs, out_grads)
                except (MXNetError, AttributeError, TypeError, ValueError, KeyError,
                        IndexError, NotImplementedError):
                    return None
                if len(in_grads) != len(refs):
                    return None
                for r, g, w in zip(refs, in_grads, want):
                    if g is None or not w:
                        continue
                    if not isinstance(g, Symbol) or len(g._outputs) != 1:
                        return None
                    old = grads.get(r)
                    grads[r] = g if old is None else old + g
            outputs = []
            for i in wanted_vars:
                g = grads.get((i, 0))
                if g is None:
                    g = F.zeros_like(value(i, 0))
                elif g._outputs[0][0].op is None:
                    g = F.identity(g)        # a gradient must be a new array, not an input
                outputs.append(g)
    except OpInputError:
        return None
    finally:
        TRACING.oracle = prev_oracle
        _wanted.inputs = prev_wanted
    symbol = _sym_mod.Group(outputs)
    # Rules were handed every input and output; only those they read are in the graph.
    used = {n.name for n in topo_order(symbol._outputs) if n.op is None}
    sources = {k: v for k, v in sources.items() if k in used}
    return GradGraph(symbol, sources, tuple(wanted_vars))

