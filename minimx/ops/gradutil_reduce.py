"""Helpers of the reduce and sort families' gradient rules, written with ops (``F`` is ``mx.nd``)
so they run on any backend and can be differentiated again (``create_graph=True``)."""
import numpy as np

from ..base import prod

__all__ = ["expand_back", "as_dtype", "reduce_over", "group_size", "product_grad"]


def expand_back(F, y, shape, axes):
    """Broadcast a reduction's result (or its gradient) ``y`` back to the input ``shape``.

    ``y`` has the reduced shape (``(1,)`` for a full reduction, or with ``keepdims`` size-1 axes):
    it is first reshaped to the keepdims shape, then broadcast along the reduced ``axes``.
    """
    if prod(shape) == 0:   # NB: broadcast_to reads a 0 in shape as "keep this axis"
        return F.zeros(shape=shape, dtype=y.dtype)
    kept = tuple(1 if i in axes else s for i, s in enumerate(shape))
    if y.shape != kept:
        y = F.reshape(y, shape=kept)
    return y if kept == tuple(shape) else F.broadcast_to(y, shape=shape)


def as_dtype(F, y, dtype):
    """``y`` cast to ``dtype`` unless it already has it (ops whose output dtype is a parameter)."""
    return y if y.dtype == dtype else F.Cast(y, dtype=np.dtype(dtype).name)


def reduce_over(reducer, y, axes):
    """``reducer(y, axes, keepdims=True)``; nothing to do for no axes (exclude=True listing every
    axis), where an ``axis=()`` would reduce everything instead."""
    return reducer(y, axis=axes, keepdims=True) if axes else y


def group_size(shape, axes):
    """How many elements each output of a reduction over ``axes`` combines (at least 1)."""
    return max(1, prod([shape[a] for a in axes]))


def product_grad(F, x, out, g, axes):
    """Gradient of ``out = prod_{axes} x`` with zeros handled (x without NaN).

    d out / d x_i is the product of the other elements. Where no element of the group is 0 that
    is ``out / x_i``. With exactly one zero, the zero's gradient is the product of the non-zero
    elements and every other gradient is 0 (``out / x_i`` is 0 too). With two zeros or more all
    gradients are 0. (MXNet computes ``out / x_i`` everywhere: NaN at the zeros.)
    NB: ``out / x_i`` keeps ``out``'s dependence on the zero, so a second derivative is exact
    with at most one zero per group.
    """
    shape = x.shape
    zero = x == 0
    safe = F.where(zero, F.ones_like(x), x)
    count = expand_back(F, reduce_over(F.sum, zero, axes), shape, axes)
    nonzero_prod = expand_back(F, reduce_over(F.prod, safe, axes), shape, axes)
    at_nonzero = expand_back(F, out, shape, axes) / safe
    at_zero = nonzero_prod * (count == 1)
    return expand_back(F, g, shape, axes) * F.where(zero, at_zero, at_nonzero)
