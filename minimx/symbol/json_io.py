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
import os

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


def _bad(message):
    return MXNetError(f"invalid symbol JSON: {message}")


def _entry(value, where, count, nodes_before):
    """Check one ``[node, output, version]`` entry; returns ``(node index, output index)``.

    ``nodes_before`` is how many nodes precede the one that uses it: an input must name an earlier
    node (MXNet writes inputs first), so an entry that points forward, at itself or out of range is
    refused, and no graph read here can hold a cycle.
    """
    if not isinstance(value, list) or not 2 <= len(value) <= 3 or \
            any(type(v) is not int for v in value):
        raise _bad(f"{where} is {_short(value)}; expected [node index, output index, version] "
                   "of ints")
    src, out = value[0], value[1]
    if not 0 <= src < nodes_before:
        what = "a later node or itself (a cycle, or nodes out of order)" if 0 <= src < count \
            else "no node"
        raise _bad(f"{where} refers to node {src}, {what}; the graph has {count} nodes and an "
                   f"input must be one of the nodes 0..{nodes_before - 1} before it")
    return src, out


def _short(value, limit=80):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _node_attrs(spec, i):
    raw = spec.get("attrs", spec.get("attr", spec.get("param", {}))) or {}
    if not isinstance(raw, dict) or any(not isinstance(k, str) or not isinstance(v, str)
                                        for k, v in raw.items()):
        raise _bad(f"node {i} has attributes {_short(raw)}; expected an object of strings")
    return raw


def fromjson(json_str):
    """The Symbol a JSON string describes.

    Everything read is checked before use: a file that is not MXNet's symbol JSON (truncated,
    hand-edited, hostile) raises MXNetError naming the node and field, never a bare KeyError or
    IndexError, and cannot make the reader loop or recurse without end.
    """
    if isinstance(json_str, (bytes, bytearray)):
        try:
            json_str = bytes(json_str).decode("utf-8")
        except UnicodeDecodeError as e:
            raise MXNetError(f"not a symbol JSON string: {e}") from None
    if not isinstance(json_str, str):
        raise TypeError(f"fromjson expects a JSON string, got {type(json_str).__name__}")
    try:
        graph = json.loads(json_str)
    except (ValueError, RecursionError) as e:   # RecursionError: nesting deeper than the stack
        raise MXNetError(f"not a symbol JSON string: {e}") from None
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), list) or \
            not isinstance(graph.get("heads"), list):
        raise _bad("expected an object with a list of 'nodes' and a list of 'heads', got "
                   + _short(graph if not isinstance(graph, dict) else sorted(graph)))
    specs = graph["nodes"]
    count = len(specs)
    built = []
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict) or not isinstance(spec.get("op"), str) or \
                not isinstance(spec.get("name"), str):
            raise _bad(f"node {i} is {_short(spec)}; expected an object with string 'op' and "
                       "'name'")
        raw = _node_attrs(spec, i)
        name = spec["name"]
        inputs = spec.get("inputs", [])
        if not isinstance(inputs, list):
            raise _bad(f"node {i} ('{name}') has inputs {_short(inputs)}; expected a list")
        if spec["op"] == "null":
            if inputs:
                raise _bad(f"node {i} ('{name}') is a variable (op 'null') but has inputs")
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
        links = []
        for k, value in enumerate(inputs):
            src, out = _entry(value, f"input {k} of node {i} ('{name}')", count, i)
            links.append((built[src], _check_output(built[src], src, out,
                                                    f"input {k} of node {i} ('{name}')")))
        try:
            node = Node(op, name, params, links, extra=extra)
        except MXNetError:
            raise
        except Exception as e:   # a parser's ValueError, or worse, on hostile attribute text
            raise _bad(f"node {i} ('{name}', op {op.name}): cannot read its attributes "
                       f"{_short(params)}: {type(e).__name__}: {e}") from None
        built.append(node)
    heads = []
    for k, value in enumerate(graph["heads"]):
        src, out = _entry(value, f"head {k}", count, count)
        heads.append((built[src], _check_output(built[src], src, out, f"head {k}")))
    if not heads:
        raise _bad("the graph has no heads (outputs)")
    return Symbol(heads)


def _check_output(node, index, out, where):
    """``out`` if node `index` has that output (counting hidden ones, as MXNet's JSON does)."""
    n = total_outputs(node.op, node.parsed) if node.op is not None else 1
    if not 0 <= out < n:
        raise _bad(f"{where} asks for output {out} of node {index} ('{node.name}'), which has "
                   f"{n} output{'s' if n != 1 else ''}")
    return out


def load(fname):
    """Load a symbol saved by ``sym.save`` (or by MXNet)."""
    if not isinstance(fname, (str, os.PathLike)):
        raise TypeError(f"fname must be a str, got {type(fname).__name__}")
    try:
        with open(fname, "rb") as f:
            text = f.read()
    except OSError as err:
        raise MXNetError(f"cannot open symbol file {os.fspath(fname)!r}: {err.strerror}") from err
    try:
        return fromjson(text)
    except MXNetError as err:
        raise MXNetError(f"{os.fspath(fname)}: {err}") from None
