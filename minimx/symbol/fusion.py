"""Elementwise fusion: a group of elementwise nodes of a planned graph becomes ONE kernel.

``relu(x * 2 + 1) * sigmoid(y) - 0.5`` need not run as five kernels that each read and write
memory: ``fuse_elementwise`` finds the groups of elementwise steps (unary math, same-shape binary
ops, scalar ops, ``Activation`` relu/sigmoid/tanh/softrelu/softsign) and replaces each by one step
running the whole group in one pass:

- on OpenCL, a kernel generated from C expressions (``_kernels/opencl/fused.py``);
- on the CPU, a program for the register machine of ``_kernels/cpu/fused.pyx``, built by
  ``fusion_cpu.py`` (each step becomes the interpreter ops that compute what its own CPU kernel
  computes, so fused and unfused plans give the same bits).

A node joins the group of its consumers when

- it is elementwise, of one float dtype and shape with its inputs (decided here, at plan-build
  time, so the fused kernel does not meet a case it cannot run);
- its value is not **pinned** (a graph output or, in training, a value the backward reads);
- every node that reads its value is in that same group (one group: chains, trees, diamonds).

The group's last node (its *root*) keeps its place and its outputs; the others become
``FUSED_AWAY`` (``GraphPlan._run`` skips them: their values never exist).
"""
import numpy as np

__all__ = ["FUSED_AWAY", "FusedOp", "fuse_elementwise", "elementwise_expr", "fusible_step"]

FUSED_AWAY = "fused-away"    # the step of a node computed inside a later fused step


class FusedOp:
    """The op of a fused step (what ``GraphPlan._run`` reads of an op); not in the op table."""
    name = "_fused_elemwise"
    needs_extra_attrs = train_aware = random = False
    mutates = ()
    family = "fused"
    in_place = False    # memory planning: may the output overwrite an input (set per step)

    def __init__(self, in_place=False):
        self.in_place = in_place


FUSED_OP = FusedOp()


def _tables():
    from .._kernels.opencl import elemwise, nn
    unary = {**elemwise._UNARY_FLOAT, **elemwise._UNARY_EXACT}
    binary = {**elemwise._BINARY_EXACT, **elemwise._BINARY_FLOAT}
    return unary, binary, elemwise._SCALAR, nn._ACT


def _elementwise_ok(st, meta):
    """One output of float32/float64, every input of that same shape and dtype, no extra
    attributes, nothing mutated (``meta``: the plan's (shape, dtype) per node output)."""
    if st is None or st is FUSED_AWAY or len(st.outs) != 1 or st.mutated or \
            st.op.needs_extra_attrs:
        return False
    shape, dtype = st.outs[0]
    if np.dtype(dtype) not in (np.float32, np.float64):
        return False
    return all(meta[k][j] == (shape, dtype) for k, j in st.refs)


def fusible_step(st, meta, target):
    """True if step ``st`` may join a fused group on ``target`` ("opencl" or "cpu")."""
    if target == "cpu":
        from .fusion_cpu import cpu_recipe
        return _elementwise_ok(st, meta) and cpu_recipe(st) is not None
    return elementwise_expr(st, meta) is not None


def elementwise_expr(st, meta):
    """``(C expression, operand count, scalar or None, reflected)`` for a step fusible on
    OpenCL, else None (see ``_elementwise_ok``). ``elemwise_add``/``elemwise_mul``... run the
    ``broadcast_*`` kernels, so their same-shape form fuses as a binary op."""
    if not _elementwise_ok(st, meta):
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


def _groups(steps, meta, pinned, target):
    """``group[i]``: the root node of node i's group (itself when it is not fused into one)."""
    readers = {}
    for i, st in enumerate(steps):
        if st is not None:
            for r in st.refs:
                readers.setdefault(r, set()).add(i)
    fusible = [fusible_step(st, meta, target) for st in steps]
    group = list(range(len(steps)))
    for i in reversed(range(len(steps))):     # consumers first
        if not fusible[i] or (i, 0) in pinned:
            continue
        users = readers.get((i, 0), ())
        roots = {group[c] for c in users}
        if users and len(roots) == 1 and all(fusible[c] for c in users):
            group[i] = roots.pop()
    return group


def _opencl_kernel(nodes, steps, meta, inputs):
    """The generated OpenCL kernel of a group: its C expressions, scalars as kernel arguments."""
    from .._kernels.opencl.fused import FusedProgram, fused_kernel
    exprs = [elementwise_expr(steps[i], meta) for i in nodes]
    reg = {r: k for k, r in enumerate(inputs)}
    s_next = len(inputs)
    first = len(inputs) + sum(e[2] is not None for e in exprs)
    prog, scalars = [], []
    for k, (i, (expr, _, scalar, reflected)) in enumerate(zip(nodes, exprs)):
        slots = [reg[r] for r in steps[i].refs]
        if scalar is not None:
            slots = [s_next, slots[0]] if reflected else [slots[0], s_next]
            scalars.append(scalar)
            s_next += 1
        prog.append((expr, slots))
        reg[(i, 0)] = first + k
    return fused_kernel(FusedProgram(len(inputs), scalars, prog))


def _declined(ins, outs, attrs):
    """A fused kernel for a group the interpreter cannot take: the members run one by one."""
    return NotImplemented


def _cpu_kernel(nodes, steps, inputs):
    """The CPU interpreter's program of a group (or ``_declined``: too many registers)."""
    from .fusion_cpu import cpu_program
    program = cpu_program(nodes, steps, inputs)
    return _declined if program is None else program


def fuse_elementwise(steps, meta, pinned, alloc, target="opencl"):
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
    target : {"opencl", "cpu"}
        Which fused kernel: OpenCL's generated one or the CPU's interpreter.

    Returns
    -------
    (list, dict)
        The new steps (same length: fused-away nodes are ``FUSED_AWAY``, each group's root a
        step calling the fused kernel) and a report ``{"nodes", "after", "groups"}``.
    """
    from .memory_plan import may_run_in_place
    group = _groups(steps, meta, pinned, target)
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
        # The fallback's registers: the inputs, then each member's output.
        slot, calls = {r: k for k, r in enumerate(inputs)}, []
        for k, i in enumerate(nodes):
            calls.append((steps[i].kernel, steps[i].attrs, [slot[r] for r in steps[i].refs],
                          i == root))
            slot[(i, 0)] = len(inputs) + k
        st = type(steps[root])()
        if target == "cpu":
            kernel = _cpu_kernel(nodes, steps, inputs)
            # The output may overwrite a dead input when every member's kernel may (the
            # interpreter reads a block's inputs before it writes that block's output).
            st.op = FusedOp(in_place=all(may_run_in_place(steps[i].op) for i in nodes))
        else:
            kernel, st.op = _opencl_kernel(nodes, steps, meta, inputs), FUSED_OP
        st.attrs, st.refs, st.outs = {}, tuple(inputs), steps[root].outs
        st.visible, st.mutated = 1, ()
        st.kernel = _FusedCall(kernel, calls, alloc)
        new[root] = st
        for i in nodes:
            if i != root:
                new[i] = FUSED_AWAY
    n_ops = sum(st is not None for st in steps)
    after = sum(st is not None and st is not FUSED_AWAY for st in new)
    return new, {"nodes": n_ops, "after": after, "groups": fused_groups}
