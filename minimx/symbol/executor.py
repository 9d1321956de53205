"""Running a graph: ``sym.eval``, ``sym.bind``/``simple_bind`` and the ``Executor``.

A graph runs by pushing its op nodes, inputs first, through ``invoke`` (the path every ``mx.nd``
call takes): the engine still runs independent branches in parallel, and under
``autograd.record()`` each node lands on the tape, so gradients flow through a graph exactly as
through the same ops called one by one.

The fast path of a hybridized block is ``graph_plan.GraphPlan`` (one engine op per call, planned
memory, a cached backward).
"""
import numpy as np

from .. import autograd
from .. import ndarray as nd
from ..base import MXNetError
from ..context import Context, current_context
from ..ndarray import NDArray
from ..ndarray.invoke import invoke
from .graph_plan import GraphPlan
from .infer import propagate_shapes
from .symbol import topo_order

__all__ = ["run_graph", "evaluate", "Executor", "simple_bind", "GraphPlan"]


def run_graph(symbol, feed, nodes=None):
    """The symbol's outputs, computed from ``feed`` (variable name -> NDArray)."""
    values = {}
    for node in nodes if nodes is not None else topo_order(symbol._outputs):
        if node.op is None:
            try:
                values[id(node)] = (feed[node.name],)
            except KeyError:
                raise MXNetError(f"the graph needs a value for '{node.name}' (given: "
                                 f"{sorted(feed)})") from None
            continue
        inputs = [values[id(src)][i] for src, i in node.inputs]
        out = invoke(node.op, inputs, node.parsed)
        values[id(node)] = tuple(out) if isinstance(out, list) else (out,)
    return [values[id(n)][i] for n, i in symbol._outputs]


def evaluate(symbol, ctx, feed):
    ctx = ctx or current_context()
    feed = {k: v.as_in_context(ctx) if isinstance(v, NDArray) else nd.array(v, ctx=ctx)
            for k, v in feed.items()}
    return run_graph(symbol, feed)


def _as_dict(names, values, what):
    if values is None:
        return {}
    if isinstance(values, dict):
        return dict(values)
    if len(values) != len(names):
        raise MXNetError(f"bind: {what} has {len(values)} arrays for {len(names)} names {names}")
    return dict(zip(names, values))


class Executor:
    """A graph bound to arrays: ``forward(is_train, **inputs)``, ``backward(out_grads)``.

    Attributes: ``arg_dict``, ``grad_dict``, ``aux_dict`` (name -> NDArray) and ``outputs``.
    """

    def __init__(self, symbol, ctx, args, args_grad=None, grad_req="write", aux_states=None):
        self._symbol = symbol
        self._ctx = ctx if isinstance(ctx, Context) else Context(ctx)
        arg_names, aux_names = symbol.list_arguments(), symbol.list_auxiliary_states()
        self.arg_dict = _as_dict(arg_names, args, "args")
        missing = [n for n in arg_names if n not in self.arg_dict]
        if missing:
            raise MXNetError(f"bind: no array given for arguments {missing}")
        self.arg_arrays = [self.arg_dict[n] for n in arg_names]
        self.grad_dict = _as_dict(arg_names, args_grad, "args_grad")
        self.grad_arrays = [self.grad_dict.get(n) for n in arg_names]
        self.aux_dict = _as_dict(aux_names, aux_states, "aux_states")
        self.aux_arrays = [self.aux_dict.get(n) for n in aux_names]
        reqs = grad_req if isinstance(grad_req, dict) else \
            dict(zip(arg_names, grad_req)) if isinstance(grad_req, (list, tuple)) else \
            {n: grad_req for n in arg_names}
        self._grad_req = {n: reqs.get(n, "null") for n in arg_names}
        self._nodes = topo_order(symbol._outputs)
        self.outputs = []

    def forward(self, is_train=False, **kwargs):
        """Run the graph (``is_train``: training mode, and record for `backward`)."""
        for k, v in kwargs.items():
            if k not in self.arg_dict:
                raise MXNetError(f"forward: '{k}' is not an argument of the symbol")
            self.arg_dict[k][:] = v
        feed = dict(self.arg_dict)
        feed.update(self.aux_dict)
        if is_train and self.grad_dict:
            names = [n for n in self.grad_dict if self._grad_req.get(n, "null") != "null"]
            autograd.mark_variables([self.arg_dict[n] for n in names],
                                    [self.grad_dict[n] for n in names],
                                    [self._grad_req[n] for n in names])
            with autograd.record(train_mode=True):
                self.outputs = run_graph(self._symbol, feed, self._nodes)
        else:
            with autograd.pause(train_mode=is_train):
                self.outputs = run_graph(self._symbol, feed, self._nodes)
        return self.outputs

    def backward(self, out_grads=None, is_train=True):
        """Gradients of the outputs (times ``out_grads``) into ``grad_dict``."""
        if out_grads is not None and isinstance(out_grads, NDArray):
            out_grads = [out_grads]
        autograd.backward(self.outputs, head_grads=out_grads)

    @property
    def output_dict(self):
        return dict(zip(self._symbol.list_outputs(), self.outputs))


def simple_bind(symbol, ctx, grad_req, type_dict, shapes):
    """Bind with fresh zero arrays whose shapes are inferred from the input shapes given."""
    ctx = ctx if isinstance(ctx, Context) else Context(ctx)
    var_shapes = {}
    for node in topo_order(symbol._outputs):
        if node.op is None and node.name in shapes:
            var_shapes[id(node)] = tuple(shapes[node.name])
    inferred = propagate_shapes(symbol, var_shapes, partial=False)
    arg_nodes, aux_nodes = symbol._variables()
    type_dict = type_dict or {}

    def alloc(node):
        shape = inferred.get((id(node), 0))
        if shape is None:
            raise MXNetError(f"simple_bind: cannot infer the shape of '{node.name}'")
        return nd.zeros(shape, ctx=ctx, dtype=type_dict.get(node.name, np.float32))

    args = {n.name: alloc(n) for n in arg_nodes}
    grads = {k: nd.zeros(v.shape, ctx=ctx, dtype=v.dtype) for k, v in args.items()} \
        if grad_req != "null" else None
    aux = {n.name: alloc(n) for n in aux_nodes}
    return Executor(symbol, ctx, args, grads, grad_req, aux)
