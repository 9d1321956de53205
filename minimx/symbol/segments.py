"""Independent branches of a planned graph as separate engine ops, so they run in parallel.

A ``GraphPlan`` runs its nodes in one engine op: no per-node hand-off. But a backward graph has
branches that nothing else waits for: in an MLP's backward, each weight gradient ``dW = dy.T @ x``
is a graph output that no later node reads, while the chain ``dx = dy @ W`` goes on to the layer
below. Run in one op, ``dW0`` (the biggest product) waits for the whole chain and the second
core idles. So ``split_segments`` cuts the plan into segments, like MXNet's bulked CachedOp:

- a **branch** is a *heavy* node (a product of at least ``HEAVY`` multiply-adds) whose values no
  other node reads: it becomes its own segment, pushed as soon as the main chain has computed
  its inputs;
- the **main chain** is every other node, in plan order, cut after each point where a branch's
  inputs are ready (so the branch runs while the chain goes on);
- a branch whose inputs are only ready at the end of the chain stays in the chain: nothing
  could run beside it.

Segments are pushed in an order where every segment comes after the ones it reads from (each
branch right after the chain segment that completes its inputs), so the engine's dependency
tracking on the values that cross segments (pinned: they get arrays of their own) orders them,
and nothing else does. Each segment plans its own buffers (``plan_memory`` per segment), so two
segments running at once never share one.
"""
__all__ = ["split_segments", "HEAVY"]

HEAVY = 1 << 20       # multiply-adds: below this a second core gains less than a hand-off costs

# Ops whose cost is a product of their operands (sqrt(|a| |b| |out|) multiply-adds for a GEMM).
_PRODUCTS = frozenset({"dot", "batch_dot", "FullyConnected", "_linalg_gemm", "_linalg_gemm2",
                       "Convolution", "Deconvolution", "_backward_Convolution",
                       "_backward_Deconvolution", "_backward_FullyConnected"})


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _heavy(st, meta):
    name = getattr(st.op, "kernel", None) or st.op.name
    if name not in _PRODUCTS or len(st.refs) < 2:
        return False
    a, b = (_size(meta[k][j][0]) for k, j in st.refs[:2])
    out = _size(st.outs[0][0])
    return a * b * out >= HEAVY * HEAVY


def split_segments(steps, meta, ops):
    """The segments of a plan's op steps, in push order, or None when there is only one.

    Parameters
    ----------
    steps : list
        The mode's steps (None for variables; ``ops`` lists the ones that run).
    meta : list
        Per node, the (shape, dtype) of each output.
    ops : list of int
        The indices of the steps that run, in plan order.

    Returns
    -------
    list of list of int, or None
        Step indices per segment (each in plan order), in an order the engine can push them.
    """
    read = set()
    for i in ops:
        read.update(k for k, _ in steps[i].refs)
    branches = {i for i in ops if i not in read and _heavy(steps[i], meta)}
    while branches:
        main = [i for i in ops if i not in branches]
        pos = {i: k for k, i in enumerate(main)}
        ready = {b: max((pos[k] for k, _ in steps[b].refs if k in pos), default=-1)
                 for b in branches}
        late = {b for b, r in ready.items() if r >= len(main) - 1}
        if not late:
            break
        branches -= late          # ready only at the chain's end: nothing runs beside them
    if not branches:
        return None
    segments, start = [], 0
    by_ready = {}
    for b in sorted(branches):
        by_ready.setdefault(ready[b], []).append(b)
    segments.extend([b] for b in by_ready.pop(-1, []))
    for cut in sorted(by_ready):
        segments.append(main[start:cut + 1])
        segments.extend([b] for b in by_ready[cut])
        start = cut + 1
    segments.append(main[start:])
    return [s for s in segments if s]
