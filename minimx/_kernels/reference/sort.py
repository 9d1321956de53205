"""numpy kernels of the sort family: sort, argsort, topk.

All three are one computation: the order of the elements along an axis (or of the flattened
input when ``axis`` is None). The order is *stable* in both directions: equal values keep their
input order, also when sorting descending (so descending is not ascending reversed).

NB: MXNet 1.9.1 on the CPU orders with ``std::sort``/``std::partial_sort``, whose order of equal
values is unspecified. It is stable for up to 16 elements along the axis when ``8 * k > n`` (every
sort and argsort, topk with a large k), which is what the tests check against; beyond that
MXNet's tie order is an artefact of the C++ library, and minimx keeps the stable order (the order
MXNet's GPU sort gives). A row that holds NaN is ordered exactly as MXNet's CPU kernel orders
it (``std_sort.py`` replays libstdc++'s algorithms): NaN compares false both ways, so
``topk([1, nan, 3], k=1)`` is index 2 and NaN lands wherever the algorithm leaves it.
"""
import numpy as np

from .std_sort import topk_order

__all__ = ["KERNELS", "order"]


def order(x, axis, is_ascend, k=None):
    """Indices that sort ``x`` along ``axis``, ties in input order for either direction.

    Rows holding NaN get MXNet's order for a top-``k`` (``k=None``: a full sort); only their
    first ``k`` indices are meaningful then.
    """
    if is_ascend:
        idx = np.argsort(x, axis=axis, kind="stable")
    else:
        # Sort the reversed input ascending and reverse the result: equal values then come out
        # in increasing input position (reversing the ascending order would put them last-first).
        n = x.shape[axis]
        flipped = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
        idx = (n - 1) - np.flip(flipped, axis)
    if x.dtype.kind == "f" and x.size:
        nan_rows = np.isnan(x).any(axis=axis)
        if nan_rows.any():
            idx = np.ascontiguousarray(idx)
            rows, by_row = np.moveaxis(x, axis, -1), np.moveaxis(idx, axis, -1)   # views
            n = x.shape[axis]
            for pos in np.argwhere(nan_rows):       # works for a 1-d x (one 0-d row) too
                pos = tuple(pos)
                by_row[pos] = topk_order(rows[pos], n if k is None else k, is_ascend)
    return idx


def _flat(x, axis):
    """Sorting with ``axis=None`` works on the flattened input along axis 0."""
    return (x.reshape(-1), 0) if axis is None else (x, axis)


def sort(ins, outs, attrs):
    x, axis = _flat(ins[0], attrs["axis"])
    idx = order(x, axis, attrs["is_ascend"])
    np.copyto(outs[0], np.take_along_axis(x, idx, axis).reshape(outs[0].shape))


def argsort(ins, outs, attrs):
    """Indices in the requested dtype (a cast that wraps or rounds, as MXNet's does)."""
    x, axis = _flat(ins[0], attrs["axis"])
    idx = order(x, axis, attrs["is_ascend"])
    np.copyto(outs[0], idx.reshape(outs[0].shape), casting="unsafe")


def topk(ins, outs, attrs):
    """The k largest (or smallest) along an axis: values, indices, both, or a mask."""
    data = ins[0]
    x, axis = _flat(data, attrs["axis"])
    n = x.shape[axis]
    k = attrs["k"] if attrs["k"] >= 1 else n          # k < 1 means a full sort
    idx = np.take(order(x, axis, attrs["is_ascend"], k), np.arange(k), axis=axis)
    ret = attrs["ret_typ"]
    if ret == "mask":
        mask = np.zeros(x.shape, outs[0].dtype)
        np.put_along_axis(mask, idx, 1, axis)
        np.copyto(outs[0], mask.reshape(outs[0].shape))
    elif ret == "indices":
        np.copyto(outs[0], idx.reshape(outs[0].shape), casting="unsafe")
    elif ret == "value":
        np.copyto(outs[0], np.take_along_axis(x, idx, axis).reshape(outs[0].shape))
    else:                                              # "both": [values, indices]
        np.copyto(outs[0], np.take_along_axis(x, idx, axis).reshape(outs[0].shape))
        np.copyto(outs[1], idx.reshape(outs[1].shape), casting="unsafe")


KERNELS = {
    "sort": sort,
    "argsort": argsort,
    "topk": topk,
}
