"""``infer_shape`` and ``infer_type``: walk a graph with each op's shape and dtype rules.

Forward, the rules are the op table's own (the same ones ``mx.nd`` runs). Backward, a few layers
say how their parameters' shapes follow from the data's (``FullyConnected``: the weight is
``(num_hidden, in_units)``): that is how ``mx.sym.FullyConnected(data, num_hidden=8)`` knows its
weight's shape from ``data=(2, 5)``, as MXNet does.
"""
import math

import numpy as np

from ..base import MXNetError
from ..ops.custom import param_shapes as _custom_param_shapes
from .symbol import topo_order

__all__ = ["infer_shape", "infer_type", "known"]


def known(shape):
    return shape is not None and len(shape) > 0 and all(d > 0 for d in shape)


def _fc(a, data):
    units = a["num_hidden"]
    n_in = math.prod(data[1:]) if a["flatten"] else data[-1]
    return {1: (units, n_in), 2: (units,)}


def _conv(a, data):
    c = data[1]
    return {1: (a["num_filter"], c // a["num_group"]) + tuple(a["kernel"]), 2: (a["num_filter"],)}


def _deconv(a, data):
    c = data[1]
    return {1: (c, a["num_filter"] // a["num_group"]) + tuple(a["kernel"]), 2: (a["num_filter"],)}


def _per_channel(axis_key=None, default_axis=1, count=4):
    def rule(a, data):
        axis = a.get(axis_key, default_axis) if axis_key else default_axis
        c = (data[axis % len(data)],)
        return {i: c for i in range(1, count + 1)}
    return rule


# op name -> rule(parsed attrs, data shape) -> {input index: shape}
PARAM_SHAPES = {
    "FullyConnected": _fc,
    "Convolution": _conv,
    "Deconvolution": _deconv,
    "BatchNorm": _per_channel("axis", 1, 4),
    "SyncBatchNorm": _per_channel(None, 1, 4),
    "InstanceNorm": _per_channel(None, 1, 2),
    "LayerNorm": _per_channel("axis", -1, 2),
    "GroupNorm": lambda a, d: {1: (a["num_groups"],), 2: (a["num_groups"],)},
    "Embedding": lambda a, d: {1: (a["input_dim"], a["output_dim"])},
    "LeakyReLU": lambda a, d: {1: (d[1],) if len(d) > 1 else (1,)},
    "SoftmaxOutput": lambda a, d: {1: (d[0],) + tuple(d[2:]) if a.get("multi_output") else d[:-1]},
    "LinearRegressionOutput": lambda a, d: {1: d},
    "LogisticRegressionOutput": lambda a, d: {1: d},
    "MAERegressionOutput": lambda a, d: {1: d},
    "Custom": _custom_param_shapes,      # the Prop's infer_shape (``label`` from ``data``)
}


def _given(symbol, args, kwargs, attr_key, convert):
    names = symbol.list_arguments()
    if args and kwargs:
        raise MXNetError("infer_shape/infer_type take positional or keyword arguments, not both")
    given = dict(zip(names, args)) if args else dict(kwargs)
    unknown = [k for k in given if k not in symbol.list_inputs()]
    if unknown:
        raise MXNetError(f"{unknown} are not inputs of the symbol; its inputs are "
                         f"{symbol.list_inputs()}")
    values = {}
    for node in topo_order(symbol._outputs):
        if node.op is None:
            if node.name in given and given[node.name] is not None:
                values[id(node)] = convert(given[node.name])
            elif attr_key in node.extra:
                values[id(node)] = convert(node.extra[attr_key])
    return values


def _shape_of(value):
    if isinstance(value, str):
        import ast
        value = ast.literal_eval(value)
    return tuple(int(d) for d in value)


def propagate_shapes(symbol, var_shapes, partial=True):
    """Shapes of every node output: {(id(node), i): shape}; variables in ``var_shapes`` by id."""
    shapes = {(k, 0): v for k, v in var_shapes.items() if known(v)}
    for node in topo_order(symbol._outputs):
        if node.op is None:
            continue
        ins = [shapes.get((id(src), i)) for src, i in node.inputs]
        rule = PARAM_SHAPES.get(node.op.name)
        if rule is not None and ins and ins[0] is not None and any(s is None for s in ins[1:]):
            for idx, shape in rule(node.parsed, ins[0]).items():
                if idx < len(node.inputs) and ins[idx] is None:
                    src, i = node.inputs[idx]
                    shapes[(id(src), i)] = ins[idx] = tuple(shape)
        if any(s is None for s in ins):
            if partial:
                continue
            missing = [src.name for (src, _), s in zip(node.inputs, ins) if s is None]
            raise MXNetError(f"infer_shape: cannot infer the shape of '{node.name}' "
                             f"({node.op.name}): the shapes of {missing} are unknown; give them")
        try:
            out = node.op.shape(node.parsed, *ins)
        except MXNetError as e:
            raise MXNetError(f"infer_shape failed at '{node.name}' ({node.op.name}) with input "
                             f"shapes {ins}: {e}") from None
        outs = out if isinstance(out, list) else [out]
        for i, s in enumerate(outs[:node.num_outputs]):
            shapes[(id(node), i)] = tuple(s)
    return shapes


def infer_shape(symbol, args, kwargs, partial):
    """(arg_shapes, out_shapes, aux_shapes), in list order; unknown entries are () when partial."""
    var_shapes = _given(symbol, args, kwargs, "__shape__", _shape_of)
    shapes = propagate_shapes(symbol, var_shapes, partial=True)
    arg_nodes, aux_nodes = symbol._variables()
    arg = [shapes.get((id(n), 0)) for n in arg_nodes]
    aux = [shapes.get((id(n), 0)) for n in aux_nodes]
    out = [shapes.get((id(n), i)) for n, i in symbol._outputs]
    if not partial and any(s is None for s in arg + aux + out):
        return None, None, None
    fill = (lambda lst: [s if s is not None else () for s in lst])
    return fill(arg), fill(out), fill(aux)


def infer_type(symbol, args, kwargs):
    """(arg_types, out_types, aux_types) as numpy types; parameters take their data's dtype."""
    def convert(v):
        if isinstance(v, str) and v.isdigit():
            from .json_io import DTYPE_CODES
            return np.dtype({c: n for n, c in DTYPE_CODES.items()}[int(v)]).type
        return np.dtype(v).type
    types = {(k, 0): v for k, v in _given(symbol, args, kwargs, "__dtype__", convert).items()}
    for node in topo_order(symbol._outputs):
        if node.op is None:
            continue
        ins = [types.get((id(src), i)) for src, i in node.inputs]
        first = next((t for t in ins if t is not None), None)
        if first is None:
            continue
        for k, ((src, i), t) in enumerate(zip(node.inputs, ins)):
            if t is None:
                types[(id(src), i)] = ins[k] = first
        out = node.op.dtype(node.parsed, *[np.dtype(t) for t in ins])
        outs = out if isinstance(out, list) else [out] * node.num_outputs
        for i, t in enumerate(outs[:node.num_outputs]):
            types[(id(node), i)] = np.dtype(t).type
    arg_nodes, aux_nodes = symbol._variables()
    return ([types.get((id(n), 0)) for n in arg_nodes],
            [types.get((id(n), i)) for n, i in symbol._outputs],
            [types.get((id(n), 0)) for n in aux_nodes])
