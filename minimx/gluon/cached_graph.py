"""What ``hybridize()`` does on the first call: trace ``hybrid_forward`` into a graph, then run it.

1. Trace: call ``hybrid_forward(F=mx.sym, data, **params_as_variables)``; children see symbols and
   trace themselves. The result is one ``mx.sym`` graph for the whole block (``export`` writes it).
2. Shapes: Parameters still waiting for their shape (``Dense(10)``) get it from the graph's shape
   inference given the input shapes; a layer the graph cannot infer for runs once imperatively.
3. Run: every later call feeds the inputs and the Parameters' arrays to the graph. For each input
   signature (shapes, dtypes, context) a ``GraphPlan`` (``symbol/graph_plan.py``) keeps every
   node's output shapes, dtypes and kernel and plans the buffers, so a call pushes the whole graph
   as one engine op and, under ``autograd.record()``, puts one node on the tape whose gradient is
   the traced backward graph. A graph the plan does not cover (a composite op) runs node by node
   through ``invoke``, like ``mx.nd`` calls.
"""
import warnings

from .. import symbol
from ..base import MXNetError
from ..ndarray import NDArray
from ..symbol.executor import run_graph
from ..symbol.graph_plan import GraphPlan
from ..symbol.infer import propagate_shapes
from ..symbol.symbol import topo_order

__all__ = ["CachedGraph", "flatten", "regroup"]


def flatten(args, what):
    """Nested lists/tuples of arrays -> a flat list and the format to rebuild them."""
    if isinstance(args, (NDArray, symbol.Symbol)) or args is None:
        return [args], 0
    if not isinstance(args, (list, tuple)):
        raise MXNetError(f"HybridBlock {what} must be (nested) lists of arrays or symbols, "
                         f"got {type(args).__name__}")
    flat, fmts = [], []
    for a in args:
        f, fmt = flatten(a, what)
        flat.extend(f)
        fmts.append(fmt)
    return flat, fmts


def regroup(flat, fmt):
    """Inverse of `flatten`: (structure, remaining items)."""
    if isinstance(fmt, int):
        if fmt == 0:
            return flat[0], flat[1:]
        return flat[:fmt], flat[fmt:]
    out = []
    for f in fmt:
        item, flat = regroup(flat, f)
        out.append(item)
    return out, flat


class CachedGraph:
    """A block's traced graph and what is needed to feed it."""

    def __init__(self, block, args):
        flat, self.in_format = flatten(list(args), "inputs")
        if any(a is None for a in flat):
            raise MXNetError(f"{block.__class__.__name__}: hybridized blocks take arrays only, "
                             "not None, as inputs")
        names = ["data"] if len(flat) == 1 else ["data%d" % i for i in range(len(flat))]
        self.inputs = [symbol.var(n) for n in names]
        grouped, _ = regroup(self.inputs, self.in_format)
        params = {k: v.var() for k, v in block._reg_params.items()}
        with block.name_scope():
            out = block.hybrid_forward(symbol, *grouped, **params)
        flat_out, self.out_format = flatten(out, "outputs")
        self.output = symbol.Group(flat_out)
        self.input_names = names
        self.nodes = topo_order(self.output._outputs)
        # Parameters by the name their variable has in the graph.
        self.params = {p.name: p for p in block.collect_params().values()}
        graph_vars = {n.name for n in self.nodes if n.op is None}
        self.used = [name for name in self.params if name in graph_vars]
        self.var_names = [n.name for n in self.nodes if n.op is None]
        self.plans = {}      # input signature -> GraphPlan (None: run node by node)
        self.static_alloc = bool(dict(getattr(block, "_flags", ())).get("static_alloc", False))
        unused = [i for i, n in enumerate(names) if n not in graph_vars]
        if unused:     # MXNet's warning, word for word
            warnings.warn("The %s input to HybridBlock is not used by any computation. Is this "
                          "intended?" % ", ".join("%d-th" % i for i in unused), stacklevel=4)
        missing = [n for n in graph_vars if n not in self.params and n not in names]
        if missing:
            raise MXNetError(f"{block.__class__.__name__}: the traced graph uses variables {missing} "
                             "that are neither inputs nor Parameters of the block")

    def infer_parameter_shapes(self, flat_args):
        """Give deferred Parameters their shapes from the input shapes; True if all are known."""
        by_name = {n.name: n for n in self.nodes if n.op is None}
        var_shapes = {id(by_name[n]): a.shape for n, a in zip(self.input_names, flat_args)
                      if n in by_name}     # an input the graph does not use has no node
        for name in self.used:
            p = self.params[name]
            if p.shape is not None and all(d > 0 for d in p.shape) and len(p.shape):
                var_shapes[id(by_name[name])] = p.shape
        shapes = propagate_shapes(self.output, var_shapes, partial=True)
        complete = True
        for name in self.used:
            p = self.params[name]
            if p._deferred_init:
                shape = shapes.get((id(by_name[name]), 0))
                if shape is None:
                    complete = False
                    continue
                p.shape = shape
                p._finish_deferred_init()
        return complete

    def __call__(self, args):
        flat, _ = flatten(list(args), "inputs")
        ctx = flat[0].context
        feed = dict(zip(self.input_names, flat))
        for name in self.used:
            feed[name] = self.params[name].data(ctx)
        outs = self._run_planned(feed, ctx)
        if outs is None:
            outs = run_graph(self.output, feed, self.nodes)
        result, _ = regroup(outs, self.out_format)
        return result

    def _run_planned(self, feed, ctx):
        """The outputs through the signature's GraphPlan, or None to take the node-by-node path."""
        arrays = [feed.get(n) for n in self.var_names]
        key = []
        for a in arrays:
            if not isinstance(a, NDArray) or a._chunk.ctx != ctx:
                return None    # the slow path raises the right error
            key.append((a._shape, a._data.dtype))
        key = (ctx, tuple(key))
        plan = self.plans.get(key, False)
        if plan is False:
            metas = [(a._shape, a._data.dtype) for a in arrays]
            plan = self.plans[key] = GraphPlan.build(self.nodes, self.output._outputs, metas, ctx,
                                                     self.static_alloc)
        return None if plan is None else plan(arrays)
