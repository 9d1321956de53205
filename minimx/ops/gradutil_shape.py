"""Helpers for the gradient rules of the shape, indexing and sequence families.

Like ``gradutil``, everything here is written with ops (``F``), so the rules that use it run on any
backend and can be differentiated again. Constant index arrays (which positions a padding copied)
are made from the op's parameters, never from the data.
"""
import numpy as np

__all__ = ["call", "fractional", "grads_or_zeros", "join_grads", "pad_index", "diag_grad"]


def call(F, name, *inputs, **params):
    """Call op ``name`` through ``F``, also when it is hidden (no public ``mx.nd`` wrapper, e.g.
    ``_backward_take``): hidden ops live in ``F._internal``, as in MXNet. Recorded like any op."""
    fn = getattr(F, name, None) or getattr(F._internal, name)
    return fn(*inputs, **params)


def fractional(ints):
    """Integer-valued test indices moved 0.25 away from zero (``2 -> 2.25``, ``-1 -> -1.25``).

    Float indices are truncated toward zero, so this reads the same positions, but a
    finite-difference step on an index no longer crosses an integer (``2 - 1e-6`` reads 1).
    """
    ints = np.asarray(ints)
    return ints + np.where(ints >= 0, 0.25, -0.25)


def grads_or_zeros(F, outputs, out_grads):
    """The output gradients with None (an output nobody used) replaced by zeros."""
    return [F.zeros_like(o) if g is None else g for o, g in zip(outputs, out_grads)]


def join_grads(F, grads, axis, squeezed):
    """The gradient of a split: the parts' gradients joined back along ``axis`` (stacked when
    the split dropped the axis)."""
    if squeezed:
        return F.stack(*grads, axis=axis, num_args=len(grads))
    return grads[0] if len(grads) == 1 else F.concat(*grads, dim=axis, num_args=len(grads))


def pad_index(mode, before, size, after):
    """The input position each output position of a padded axis copies (edge or reflect)."""
    pos = np.arange(-before, size + after)
    if mode == "edge":
        return np.clip(pos, 0, size - 1)
    pos = np.abs(pos)                                       # reflect at the start: -1 -> 1
    return np.where(pos > size - 1, 2 * (size - 1) - pos, pos)   # and at the end: n -> n - 2


def diag_grad(F, g, shape, k, axis1, axis2):
    """The gradient of extracting the k-th diagonal of the (axis1, axis2) planes of ``shape``.

    ``g`` has the other axes first and the diagonal last. It is placed on the diagonal of a
    rest + (rows, cols) array (broadcast against ``eye(rows, cols, k)``, after padding the
    diagonal to the length of the axis it runs along), then the axes are moved back.
    """
    nd = len(shape)
    a1, a2 = axis1 % nd, axis2 % nd
    rows, cols = shape[a1], shape[a2]
    n = g.shape[-1]
    # The diagonal starts at row max(-k, 0), column max(k, 0): index it by the row for k < 0
    # (entries broadcast along columns) and by the column for k >= 0 (along rows).
    along = rows if k < 0 else cols
    lead = max(-k, 0) if k < 0 else max(k, 0)
    pads = (lead, along - lead - n)
    parts = [F.zeros(shape=g.shape[:-1] + (p,), ctx=g.context, dtype=g.dtype) if i != 1 else g
             for i, p in enumerate((pads[0], n, pads[1])) if i == 1 or p]
    full = parts[0] if len(parts) == 1 else F.concat(*parts, dim=-1, num_args=len(parts))
    full = F.expand_dims(full, axis=-1 if k < 0 else -2)
    eye = F.eye(rows, cols, k, ctx=g.context, dtype=g.dtype)
    plane = F.broadcast_mul(full, eye)
    rest = [i for i in range(nd) if i not in (a1, a2)]
    position = {a: p for p, a in enumerate(rest + [a1, a2])}
    return F.transpose(plane, axes=tuple(position[i] for i in range(nd)))
