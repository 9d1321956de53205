"""Elementwise fusion: a group of elementwise nodes of a planned graph becomes ONE kernel.

On a backend that compiles kernels at run time (OpenCL), ``relu(x * 2 + 1) * sigmoid(y) - 0.5``
need not run as five kernels that each read and write device memory: ``fuse_elementwise``
finds the groups of elementwise steps (unary math, same-shape binary ops, scalar ops,
``Activation`` relu/sigmoid/tanh/softrelu/softsign) and replaces each by one step calling
``_kernels/opencl/fused.py``'s generated kernel.

A node joins the group of its consumers when

- it is elementwise, of one float dtype and shape with its inputs (decided here, at plan-build
  time, so the fused kernel does not meet a case it cannot run);
- its value is not **pinned** (a graph output or, in training, a value the backward reads);
- every node that reads its value is in that same group (one group: chains, trees, diamonds).

The group's last node (its *root*) keeps its place and its outputs; the others become
``FUSED_AWAY`` (``GraphPlan._run`` skips them: their values never exist).
"""
import numpy as np

__all__ = ["FUSED_AWAY", "FusedOp", "fuse_elementwise", "elementwise_expr"]

FUSED_AWAY = "fused-away"    # the step of a node computed inside a later fused step


class FusedOp:
    """The op of a fused step (what ``GraphPlan._run`` reads of an op); not in the op table."""
    name = "_fused_elemwise"
    needs_extra_attrs = train_aware = random = False
    mutates = ()
    family = "fused"


FUSED_OP = FusedOp()


def _tables():
    from .._kernels.opencl import elemwise, nn
    unary = {**elemwise._UNARY_FLOAT, **elemwise._UNARY_EXACT}
    binary = {**elemwise._BINARY_EXACT, **elemwise._BINARY_FLOAT}
    return unary, binary, elemwise._SCALAR, nn._ACT


def elementwise_expr(st, meta):
    """``(C expression, operand count, scalar or None, reflected)`` for a fusible step, else None.

    ``meta``: the plan's (shape, dtype) per node output. Fusible: one output of float32/float64,
    every input of that same shape and dtype, no extra attributes, nothing mutated.
    """
    if st is None or st is FUSED_AWAY or len(st.outs) != 1 or st.mutated or \
            st.op.needs_extra_attrs:
        return None
    shape, dtype = st.outs[0]
    if np.dtype(dtype) not in (np.float32, np.float64):
        return None
    if any(meta[k][j] != (shape, dtype) for k, j in st.refs):
        return None
    unary, binary, scalar, act = _tables()
    name, n = st.op.kernel, len(st.refs)
    if n == 1 and name in unary:
        return unary[name], 1, None, False
    if n == 1 and name == "Activation" and st.attrs.get("act_type") in act:
        return act[st.attrs["act_type"]], 1, None, False
    if n == 1 and name in scalar:
        bin_name, reflected = scalar[name]
        return binary[bin_name], 1, float(st.attrs["scalar"]), reflected
    if n == 2 and name.startswith("broadcast_") and name[len("broadcast_"):] in binary:
        return binary[name[len("broadcast_"):]], 2, None, False
    return None


class _FusedCall:
    """The kernel of a fused step: the generated kernel, or (if it declines) the original steps
    one by one with temporary arrays, so a fused plan always runs."""

    def __init__(self, fused, members, alloc):
        self.fused, self.members, self.alloc = fused, members, alloc

    def __call__(self, ins, outs, attrs):
        if self.fused(ins, outs, attrs) is not NotImplemented:
            return None
        regs = list(ins)       # members: (kernel, attrs, register slots, is_root)
        for kernel, at, slots, last in self.members:
            o = outs[0] if last else self.alloc(outs[0].shape, outs[0].dtype)
            kernel([regs[s] for s in slots], [o], at)
            regs.append(o)
        return None


def _groups(steps, meta, pinned):
    """``group[i]``: the root node of node i's group (itself when it is not fused into one)."""
    readers = {}
    for i, st in enumerate(steps):
        if st is not None:
            for r in st.refs:
                readers.setdefault(r, set()).add(i)
    fusible = [elementwise_expr(st, meta) is not None for st in steps]
    group = list(range(len(steps)))
    for i in reversed(range(len(steps))):     # consumers first
        if not fusible[i] or (i, 0) in pinned:
            continue
        users = readers.get((i, 0), ())
        roots = {group[c] for c in users}
        if users and len(roots) == 1 and all(fusible[c] for c in users):
            group[i] = roots.pop()
    return group


def fuse_elementwise(steps, meta, pinned, alloc):
    """The plan's steps with each elementwise group replaced by one fused step.

    Parameters
    ----------
    steps : list
        ``GraphPlan.steps`` (None for variables).
    meta : list
        ``GraphPlan.meta``: per node, the (shape, dtype) of each output.
    pinned : set of (int, int)
        Values that must exist after the run (outputs; in training, what the backward reads).
    alloc : callable
        The backend's ``alloc(shape, dtype)``, for the fallback's temporaries.

    Returns
    -------
    (list, dict)
        The new steps (same length: fused-away nodes are ``FUSED_AWAY``, each group's root a
        step calling the fused kernel) and a report ``{"nodes", "after", "groups"}``.
    """
    from .._kernels.opencl.fused import FusedProgram, fused_kernel
    group = _groups(steps, meta, pinned)
    members = {}
    for i, g in enumerate(group):
        if steps[i] is not None:
            members.setdefault(g, []).append(i)
    new = list(steps)
    fused_groups = 0
    for root, nodes in members.items():
        if len(nodes) < 2:
            continue
        fused_groups += 1
        inside = set(nodes)
        inputs = []       # the group's external operands, (node, output), each once
        for i in nodes:
            for r in steps[i].refs:
                if r[0] not in inside and r not in inputs:
                    inputs.append(r)
        exprs = [elementwise_expr(steps[i], meta) for i in nodes]
        scalars = [e[2] for e in exprs if e[2] is not None]
        reg, s_next = {r: k for k, r in enumerate(inputs)}, len(inputs)
        first = len(inputs) + len(scalars)
        prog, calls = [], []
        for k, (i, (expr, _, scalar, reflected)) in enumerate(zip(nodes, exprs)):
            slots = [reg[r] for r in steps[i].refs]
            if scalar is not None:
                slots = [s_next, slots[0]] if reflected else [slots[0], s_next]
                s_next += 1
            prog.append((expr, slots))
            calls.append((steps[i].kernel, steps[i].attrs,
                          [reg[r] for r in steps[i].refs], i == root))
            # Fallback registers: inputs then member outputs (no scalar registers).
            reg[(i, 0)] = first + k
        n_in, n_sc = len(inputs), len(scalars)
        calls = [(kern, at, [s if s < n_in else s - n_sc for s in slots], last)
                 for kern, at, slots, last in calls]
        program = FusedProgram(n_in, scalars, prog)
        st = type(steps[root])()
        st.op, st.attrs, st.refs, st.outs = FUSED_OP, {}, tuple(inputs), steps[root].outs
        st.visible, st.mutated = 1, ()
        st.kernel = _FusedCall(fused_kernel(program), calls, alloc)
        new[root] = st
        for i in nodes:
            if i != root:
                new[i] = FUSED_AWAY
    n_ops = sum(st is not None for st in steps)
    after = sum(st is not None and st is not FUSED_AWAY for st in new)
    return new, {"nodes": n_ops, "after": after, "groups": fused_groups}
