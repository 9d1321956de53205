"""MXNet's symbol JSON: ``sym.tojson()``, ``mx.sym.fromjson``, ``mx.sym.load``.

The format (nnvm's, as MXNet 1.9.1 writes it)::

    {"nodes": [{"op": "null", "name": "data", "inputs": []},
               {"op": "FullyConnected", "name": "fc1", "attrs": {"num_hidden": "8"},
                "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]}, ...],
     "arg_nodes": [indices of the variable nodes],
     "node_row_ptr": [running count of outputs, one entry per node, plus the first 0],
     "heads": [[node, output, 0], ...],
     "attrs": {"mxnet_version": ["int", 10901]}}

Nodes come inputs-first; an input is ``[node index, output index, version]``. Attribute values are
strings (``'(5, 5)'``, ``'True'``); variables keep ``__shape__``, ``__dtype__``, ``__init__`` ...
Older files say ``attr`` or ``param`` instead of ``attrs``; both load.
"""
import json

import numpy as np

from ..base import MXNetError
from ..ops import get_op
from .outputs import total_outputs
from .symbol import Node, Symbol, _aux_inputs, topo_order

__all__ = ["tojson", "fromjson", "load", "load_json", "DTYPE_CODES"]

# MXNet's type flags (mshadow): what __dtype__ holds.
DTYPE_CODES = {"float32": 0, "float64": 1, "float16": 2, "uint8": 3, "int32": 4, "int8": 5,
               "int64": 6, "bool": 7}
MXNET_VERSION = 10901


def _attr_str(value):
    if isinstance(value, str):
        return value
    if isinstance(value, type) and issubclass(value, np.generic) or isinstance(value, np.dtype):
        return np.dtype(value).name
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_attr_str(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return str(value)


def tojson(symbol):
    nodes = topo_order(symbol._outputs)
    index = {id(n): i for i, n in enumerate(nodes)}
    out_nodes, row_ptr = [], [0]
    for node in nodes:
        entry = {"op": node.op.name if node.op is not None else "null", "name": node.name}
        attrs = {k: _attr_str(v) for k, v in node.attrs.items()}
        attrs.update({k: _attr_str(v) for k, v in node.extra.items()})
        if attrs:
            entry["attrs"] = dict(sorted(attrs.items()))
        # MXNet writes version 2 for the variables an op updates in place (running statistics).
        aux = set(_aux_inputs(node))
        entry["inputs"] = [[index[id(src)], i, 2 if k in aux and src.op is None else 0]
                           for k, (src, i) in enumerate(node.inputs)]
        out_nodes.append(entry)
        row_ptr.append(row_ptr[-1] + (total_outputs(node.op, node.parsed) if node.op else 1))
    return _write(out_nodes, [i for i, n in enumerate(nodes) if n.op is None], row_ptr,
                  [[index[id(n)], i, 0] for n, i in symbol._outputs])


def _write(nodes, arg_nodes, row_ptr, heads):
    """The text, laid out as MXNet's writer lays it out (so exports diff cleanly against MXNet's)."""
    def node_text(entry):
        lines = ['    {', f'      "op": {json.dumps(entry["op"])}, ',
                 f'      "name": {json.dumps(entry["name"])}, ']
        if "attrs" in entry and len(entry["attrs"]) == 1:
            lines.append(f'      "attrs": {json.dumps(entry["attrs"])}, ')
        elif "attrs" in entry:
            items = [f'        {json.dumps(k)}: {json.dumps(v)}' for k, v in entry["attrs"].items()]
            lines += ['      "attrs": {', ", \n".join(items), '      }, ']
        lines.append(f'      "inputs": {arr(entry["inputs"], 6)}')
        lines.append('    }')
        return "\n".join(lines)
    def arr(values, indent):
        # dmlc's writer breaks an array over lines when it has more than 10 entries.
        if len(values) <= 10:
            return json.dumps(values)
        pad = " " * (indent + 2)
        return "[\n" + ", \n".join(pad + json.dumps(v) for v in values) + "\n" + " " * indent + "]"
    return "\n".join([
        "{", '  "nodes": [', ", \n".join(node_text(n) for n in nodes), "  ], ",
        f'  "arg_nodes": {arr(arg_nodes, 2)}, ',
        f'  "node_row_ptr": {arr(row_ptr, 2)}, ',
        f'  "heads": {arr(heads, 2)}, ',
        f'  "attrs": {{"mxnet_version": ["int", {MXNET_VERSION}]}}', "}"])


def load_json(json_str):
    """Alias of `fromjson` (MXNet's name)."""
    return fromjson(json_str)


def fromjson(json_str):
    """The Symbol a JSON string describes."""
    try:
        graph = json.loads(json_str)
    except ValueError as e:
        raise MXNetError(f"not a symbol JSON string: {e}") from None
    built = []
    for i, spec in enumerate(graph["nodes"]):
        raw = spec.get("attrs", spec.get("attr", spec.get("param", {}))) or {}
        name = spec["name"]
        if spec["op"] == "null":
            built.append(Node(None, name, extra=raw))
            continue
        try:
            op = get_op(spec["op"])
        except (KeyError, MXNetError):
            raise MXNetError(f"symbol JSON node {i} ('{name}') uses op '{spec['op']}', which minimx "
                             "does not have") from None
        known = set(op.param_names)
        params = {k: v for k, v in raw.items() if k in known}
        extra = {k: v for k, v in raw.items() if k not in known}   # __attrs__, cudnn_tune, ...
        inputs = [(built[src], out) for src, out, *_ in spec["inputs"]]
        node = Node(op, name, params, inputs, extra=extra)
        built.append(node)
    return Symbol([(built[n], out) for n, out, *_ in graph["heads"]])


def load(fname):
    """Load a symbol saved by ``sym.save`` (or by MXNet)."""
    with open(fname) as f:
        return fromjson(f.read())
