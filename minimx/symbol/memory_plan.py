"""Memory planning for a graph that runs as one engine op: which values may share a buffer.

A graph's intermediate values live from the node that writes them to the last node that reads
them. Once a value is dead its buffer can hold a later value: this is MXNet's memory planning,
with its two moves:

- **in place**: an elementwise node (``relu``, ``+``, ``Activation`` ...) writes its output over an
  input that nobody reads afterwards (same size and dtype), so no new buffer is needed;
- **co-share**: a node's output takes a free buffer of a dead value (the smallest free one that is
  big enough; if none is, the largest free one grows).

Values that must outlive the graph run are **pinned** and get buffers of their own: the graph's
outputs, and in training the values the backward graph reads.

``plan_memory(steps, n_vars, pinned)`` returns a ``MemoryLayout``: per value ``(node, output)`` a
slot number (or None: a buffer of its own), the slot sizes, and the bytes with and without
sharing (what ``GraphPlan.memory_report()`` prints).
"""
import numpy as np

__all__ = ["plan_memory", "plan_segments", "MemoryLayout", "may_run_in_place"]

def may_run_in_place(op):
    """True if ``op``'s kernel may write its output over an input of the same shape and dtype
    (the op declares it: ``OpDef.in_place``)."""
    return getattr(op, "in_place", False)


class MemoryLayout:
    """Where each value of a planned graph lives.

    Attributes
    ----------
    slot_of : dict of (int, int) -> int
        The slot of each shared value; values not listed get buffers of their own.
    slot_bytes : list of int
        The size of each slot.
    naive_bytes, planned_bytes : int
        Bytes of all node outputs without sharing, and with it (own buffers plus slots).
    in_place : int
        How many outputs overwrite one of their inputs.
    nbytes : dict of (int, int) -> int
        The size of each shared value (its window of the slot).
    """

    def __init__(self, slot_of, slot_bytes, naive_bytes, planned_bytes, in_place, nbytes):
        self.slot_of, self.slot_bytes, self.nbytes = slot_of, slot_bytes, nbytes
        self.naive_bytes, self.planned_bytes, self.in_place = naive_bytes, planned_bytes, in_place

    def report(self):
        saved = self.naive_bytes - self.planned_bytes
        share = saved / self.naive_bytes if self.naive_bytes else 0.0
        return {"naive_bytes": self.naive_bytes, "planned_bytes": self.planned_bytes,
                "saved_bytes": saved, "saved_fraction": share, "slots": len(self.slot_bytes),
                "in_place": self.in_place}


def _nbytes(shape, dtype):
    n = 1
    for d in shape:
        n *= d
    return n * np.dtype(dtype).itemsize


def plan_memory(steps, pinned):
    """Plan buffers for ``steps`` (a GraphPlan's list: None for variables, else objects with
    ``refs``, ``outs``, ``op`` and ``mutated``), keeping the values in ``pinned`` apart."""
    last_use = {}
    for i, st in enumerate(steps):
        if st is not None:
            for r in st.refs:
                last_use[r] = i
    slot_of, sizes, free = {}, [], []     # free: slot numbers whose value is dead
    naive = planned_own = in_place = 0
    nbytes = {}
    for i, st in enumerate(steps):
        if st is None:
            continue
        mutated = {st.refs[m] for m in st.mutated}
        donors = []
        if may_run_in_place(st.op) and len(st.outs) == 1:
            donors = [r for r in st.refs if r in slot_of and last_use.get(r) == i
                      and r not in mutated and steps[r[0]].outs[r[1]] == st.outs[0]]
        for j, (shape, dtype) in enumerate(st.outs):
            size = _nbytes(shape, dtype)
            naive += size
            if (i, j) in pinned:
                planned_own += size
                continue
            nbytes[(i, j)] = size
            if j == 0 and donors:
                slot_of[(i, j)] = slot_of[donors[0]]
                in_place += 1
                # The donor's slot now holds this output: it must not be freed below.
                last_use[donors[0]] = -1
                continue
            fits = [s for s in free if sizes[s] >= size]
            if fits:
                s = min(fits, key=lambda k: sizes[k])
            elif free:
                s = max(free, key=lambda k: sizes[k])
                sizes[s] = size
            else:
                s = len(sizes)
                sizes.append(size)
            if s in free:
                free.remove(s)
            slot_of[(i, j)] = s
        # Values read for the last time here, and outputs nobody reads, free their slots.
        for r in set(st.refs):
            if last_use.get(r) == i and r in slot_of:
                free.append(slot_of[r])
        for j in range(len(st.outs)):
            if (i, j) in slot_of and (i, j) not in last_use:
                free.append(slot_of[(i, j)])
    return MemoryLayout(slot_of, sizes, naive, planned_own + sum(sizes), in_place, nbytes)


def plan_segments(steps, pinned, segments):
    """``plan_memory`` for a plan cut into segments that may run at the same time
    (``segments.py``): each segment gets slots of its own, numbered after the previous ones.
    Values read across segments must be in ``pinned``."""
    slot_of, sizes, nbytes = {}, [], {}
    naive = planned = in_place = 0
    for seg in segments:
        members = set(seg)
        layout = plan_memory([st if i in members else None for i, st in enumerate(steps)],
                             pinned)
        offset = len(sizes)
        slot_of.update({v: s + offset for v, s in layout.slot_of.items()})
        sizes += layout.slot_bytes
        nbytes.update(layout.nbytes)
        naive += layout.naive_bytes
        planned += layout.planned_bytes
        in_place += layout.in_place
    return MemoryLayout(slot_of, sizes, naive, planned, in_place, nbytes)
