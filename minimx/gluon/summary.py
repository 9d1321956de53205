"""``Block.summary(*inputs)``: run the network once and print each layer's output shape and size.

A forward hook on every Block (containers excepted) records, in the order the layers finish, the
output shape and the number of parameter values the layer owns; a Parameter met a second time
(shared weights, or a layer called twice) counts as shared. The table's layout is MXNet 1.x's.
"""
from collections import OrderedDict

from ..base import MXNetError
from ..ndarray import NDArray

__all__ = ["print_summary"]


def _shape_str(values):
    """Shapes in the nesting of ``values``: ``(2, 8)``, or ``(2, 8), [(1, 2), (1, 2)]``."""
    def shapes(v):
        if isinstance(v, (list, tuple)):
            return [shapes(i) for i in v]
        return v.shape if isinstance(v, NDArray) else v
    out = shapes(values)
    return str(out)[1:-1] if isinstance(out, list) else str(out)


def print_summary(block, *inputs):
    from .hybrid_block import HybridBlock
    from .nn.containers import HybridSequential, Sequential

    rows = OrderedDict()
    rows["Input"] = {"output_shape": _shape_str(inputs), "n_params": 0, "trainable": 0, "shared": 0}
    seen = set()
    handles = []

    def record(layer, _, outputs):
        key = "%s-%i" % (layer.__class__.__name__, len(rows))
        row = rows[key] = {"output_shape": _shape_str(outputs), "n_params": 0, "trainable": 0,
                           "shared": 0}
        for p in layer.params.values():
            size = p.data().size
            row["n_params"] += size
            row["trainable"] += 0 if p.grad_req == "null" else size
            if p in seen:
                row["shared"] += size
            else:
                seen.add(p)

    def attach(layer):
        if isinstance(layer, HybridBlock) and layer._active:
            raise MXNetError('"{}" must not be hybridized to print summary.'.format(layer.name))
        if not isinstance(layer, (Sequential, HybridSequential)):
            handles.append(layer.register_forward_hook(record))

    try:
        block.apply(attach)
        block(*inputs)
        line = "{:>20}  {:>42} {:>15}"
        print("-" * 80)
        print(line.format("Layer (type)", "Output Shape", "Param #"))
        print("=" * 80)
        for name, row in rows.items():
            print(line.format(name, str(row["output_shape"]), row["n_params"]))
        total = sum(r["n_params"] for r in rows.values())
        trainable = sum(r["trainable"] for r in rows.values())
        shared = sum(r["shared"] for r in rows.values())
        print("=" * 80)
        print("Parameters in forward computation graph, duplicate included")
        print("   Total params: %d" % total)
        print("   Trainable params: %d" % trainable)
        print("   Non-trainable params: %d" % (total - trainable))
        print("Shared params in forward computation graph: %d" % shared)
        print("Unique parameters in model: %d" % (total - shared))
        print("-" * 80)
    finally:
        for h in handles:
            h.detach()
