"""Helpers for the gradient rules of the linalg, conv and pool families.

Like ``gradutil``, everything here is written with ops (``F``), so the rules that use it run on any
backend and can be differentiated again.
"""
import numpy as np

__all__ = ["call", "as_shape", "swap_last", "triangle_mask", "matmul_grads"]


def call(F, name, *inputs, **params):
    """Call op ``name`` through ``F``, also when it is hidden (no public ``mx.nd`` wrapper, e.g.
    ``_backward_take``): hidden ops live in ``F._internal``, as in MXNet. Recorded like any op."""
    fn = getattr(F, name, None) or getattr(F._internal, name)
    return fn(*inputs, **params)


def as_shape(F, x, shape):
    """``x`` reshaped to ``shape`` (no op recorded when it already has it)."""
    shape = tuple(shape)
    return x if x.shape == shape else F.reshape(x, shape=shape)


def swap_last(F, x):
    """Each matrix of ``x`` (its last two axes) transposed."""
    nd = len(x.shape)
    return F.swapaxes(x, dim1=nd - 2, dim2=nd - 1)


def triangle_mask(F, like, lower=True, diagonal=1.0):
    """A constant 0/1 mask of the lower (or upper) triangle of ``like``'s matrices, with
    ``diagonal`` on the diagonal; shaped ``(n, n)`` to broadcast against ``like``."""
    n = like.shape[-1]
    mask = np.tril(np.ones((n, n)), -1) if lower else np.triu(np.ones((n, n)), 1)
    mask += diagonal * np.eye(n)
    return F.array(mask, ctx=like.context, dtype=like.dtype)


def matmul_grads(mm, g, a, b, ta, tb):
    """Gradients of ``out = op(a) @ op(b)`` given ``mm(x, y, ta, tb) = op(x) @ op(y)``.

    ``op`` transposes when its flag is set. With ``out = A B``: ``dA = G B^T``, ``dB = A^T G``;
    each transpose of the forward swaps the factors of that input's gradient.
    """
    if not ta and not tb:
        return mm(g, b, False, True), mm(a, g, True, False)
    if ta and not tb:
        return mm(b, g, False, True), mm(a, g, False, False)
    if not ta and tb:
        return mm(g, b, False, False), mm(g, a, True, False)
    return mm(b, g, True, True), mm(g, a, True, True)
