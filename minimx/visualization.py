"""``mx.viz``: look at a graph, as a table (``print_summary``) or a picture (``plot_network``).

>>> sym = mx.sym.load('lenet-symbol.json')
>>> mx.viz.print_summary(sym, shape={'data': (1, 1, 28, 28)})

The table has MXNet's layout and numbers: each op with its output shape (batch axis left out), its
parameter count by MXNet's per-op formula, and the layers feeding it. ``plot_network`` returns a ``graphviz.Digraph`` (``pip install graphviz``).
"""
from .base import MXNetError
from .symbol.infer import propagate_shapes
from .symbol.symbol import topo_order

__all__ = ["print_summary", "plot_network"]


def _shapes(symbol, shape):
    if not shape:
        return {}
    nodes = topo_order(symbol._outputs)
    given = {id(n): tuple(shape[n.name]) for n in nodes if n.is_variable and n.name in shape}
    return propagate_shapes(symbol, given, partial=True)


def _print_row(fields, positions):
    line = ""
    for i, field in enumerate(fields):
        if i > 0:
            line = line[:-1] + " "
        line += str(field)
        line = line[:positions[i]]
        line += " " * (positions[i] - len(line))
    print(line)


def print_summary(symbol, shape=None, line_length=120, positions=(0.44, 0.64, 0.74, 1.0)):
    """Print a table of the graph's layers: output shape, parameter count, previous layers.

    Parameters
    ----------
    symbol : Symbol
    shape : dict of str to tuple, optional
        Input shapes (``{'data': (1, 1, 28, 28)}``); without them the shape column is empty.
    line_length : int, default 120
    positions : tuple of float
        Where each column ends, as fractions of ``line_length``.
    """
    if shape is not None and not isinstance(shape, dict):
        raise MXNetError("print_summary: shape must be a dict of input name -> shape")
    positions = [int(line_length * p) if p <= 1 else int(p) for p in positions]
    shapes = _shapes(symbol, shape)
    nodes = topo_order(symbol._outputs)
    print("_" * line_length)
    _print_row(["Layer (type)", "Output Shape", "Param #", "Previous Layer"], positions)
    print("=" * line_length)
    index = {id(n): i for i, n in enumerate(nodes)}
    # NB: MXNet builds its "heads" set from the first head entry [node, output, version], so it
    # holds that node's index and 0: node 0 (usually 'data') counts as a head. Kept for fidelity.
    first_head = symbol._outputs[0]
    heads = {index[id(first_head[0])], first_head[1]}
    rows = [n for i, n in enumerate(nodes) if not n.is_variable or i == 0]
    total_params = 0
    for k, node in enumerate(rows):
        out_shape = shapes.get((id(node), 0))
        shape_str = "x".join(str(d) for d in out_shape[1:]) if out_shape else ""
        previous, pre_filter = [], 0
        for src, i in node.inputs:
            if not src.is_variable or index[id(src)] in heads:
                previous.append(src.name)
                src_shape = shapes.get((id(src), i))
                if src_shape and len(src_shape) > 1:
                    pre_filter += src_shape[1]
        params = _param_count(node, pre_filter, out_shape)
        total_params += params
        kind = node.op.name if node.op is not None else "null"
        _print_row([f"{node.name}({kind})", shape_str, params, previous[0] if previous else ""],
                   positions)
        for name in previous[1:]:
            _print_row(["", "", "", name], positions)
        print(("=" if k == len(rows) - 1 else "_") * line_length)
    print("Total params: %d" % total_params)
    print("_" * line_length)


def _param_count(node, pre_filter, out_shape):
    """Parameters of a layer, by MXNet's per-op formulas (from the channels feeding it)."""
    if node.op is None:
        return 0
    a, name = node.parsed, node.op.name
    if name == "Convolution":
        count = pre_filter * a["num_filter"] // a["num_group"]
        for k in a["kernel"]:
            count *= k
        return count + (0 if a["no_bias"] else a["num_filter"])
    if name == "FullyConnected":
        return (pre_filter + (0 if a["no_bias"] else 1)) * a["num_hidden"]
    if name == "BatchNorm":
        return 2 * out_shape[1] if out_shape else 0
    if name == "Embedding":
        return a["input_dim"] * a["output_dim"]
    return 0


def plot_network(symbol, title="plot", save_format="pdf", shape=None, dtype=None, node_attrs=None,
                 hide_weights=True):
    """The graph as a ``graphviz.Digraph`` (render it with ``.render()`` or show it in a notebook)."""
    try:
        from graphviz import Digraph
    except ImportError:
        raise MXNetError("plot_network needs the graphviz package: pip install graphviz (and the "
                         "Graphviz 'dot' program to render: apt-get install graphviz)") from None
    shapes = _shapes(symbol, shape)
    attrs = {"shape": "box", "fixedsize": "true", "width": "1.3", "height": "0.8034",
             "style": "filled"}
    attrs.update(node_attrs or {})
    dot = Digraph(name=title, format=save_format)
    nodes = topo_order(symbol._outputs)
    shown = set()
    for node in nodes:
        if node.is_variable and hide_weights and node.name.endswith(
                ("_weight", "_bias", "_gamma", "_beta", "_moving_mean", "_moving_var",
                 "_running_mean", "_running_var")):
            continue
        label = node.name if node.is_variable else f"{node.op.name}\n{node.name}"
        color = "#8dd3c7" if node.is_variable else "#fb8072"
        dot.node(name=str(id(node)), label=label, fillcolor=color, **attrs)
        shown.add(id(node))
    for node in nodes:
        for src, i in node.inputs:
            if id(src) in shown and id(node) in shown:
                s = shapes.get((id(src), i))
                dot.edge(str(id(src)), str(id(node)),
                         label="x".join(str(d) for d in s[1:]) if s else "")
    return dot
