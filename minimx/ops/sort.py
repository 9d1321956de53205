"""Sort ops: sort, argsort, topk.

All three order the elements along one axis (``axis=None``: the flattened input). Equal values
keep their input order in both directions (see ``_kernels/reference/sort.py`` for where MXNet's
CPU order differs). Indices are float32 by default, as in MXNet; ``dtype`` picks another type.
"""
import numpy as np

from ..base import prod
from .opdef import NO_GRAD, Domain, OpDef, Param, fail
from .params import Bool, Enum, Int, OptInt
from .gradutil_reduce import as_dtype
from .reduce import dtype_choice, input_work, one_axis

__all__ = []

_INDEX_DTYPES = ("float16", "float32", "float64", "int32", "int64", "uint8")


def _sorted_length(attrs, data):
    """Check the axis; return the output shape of a full sort and the length sorted."""
    if attrs["axis"] is None:
        return (prod(data),), prod(data)
    axis = one_axis(attrs["axis"], len(data))
    return tuple(data), data[axis]


def _sort_shape(attrs, data):
    return _sorted_length(attrs, data)[0]


def _sortable(attrs, dtype):
    if dtype == np.bool_:
        fail("bool inputs cannot be sorted", "cast the input first, e.g. x.astype('int32')")
    return dtype


def _distinct_inputs(rng, dtype, attrs):
    """Test inputs without ties (a unique order) and long enough along the axis for ``k``."""
    k = attrs.get("k", 1)
    ndim = int(rng.integers(1, 4))
    shape = [int(rng.integers(1, 5)) for _ in range(ndim)]
    axis = attrs.get("axis", -1)
    axis = -1 if axis is None else axis
    shape[axis] = max(shape[axis], k)
    n = prod(shape)
    values = (rng.permutation(n) - n // 2).reshape(shape)
    return [values.astype(dtype)]


# -- gradients: scatter the output's gradient back to where each element came from -------------
def _coordinates(F, index, axis, ctx):
    """The (ndim, *index.shape) int64 coordinates of ``index``'s elements, with the coordinate
    along ``axis`` replaced by ``index`` itself (positions along ``axis`` in the input)."""
    shape = index.shape
    coords = []
    for d, n in enumerate(shape):
        if d == axis:
            coords.append(index)
            continue
        line = F.arange(n, dtype="int64", ctx=ctx)
        line = F.reshape(line, shape=tuple(n if i == d else 1 for i in range(len(shape))))
        coords.append(F.broadcast_to(line, shape=shape) if line.shape != shape else line)
    return F.stack(*coords, axis=0)


def scatter_along(F, g, index, axis, x):
    """The gradient for input ``x`` of an op that picked ``out[..., i, ...] = x[..., index[..., i,
    ...], ...]`` along ``axis`` (None: along the flattened ``x``); ``g`` is the gradient of ``out``.
    Positions never picked get 0. Indices are distinct along ``axis`` (a permutation or top k),
    so scattering by assignment is exact."""
    g = as_dtype(F, g, x.dtype)
    index = as_dtype(F, index, np.int64)
    if g.size == 0:
        return F.zeros_like(x)
    if axis is None:
        flat = F.scatter_nd(g, F.reshape(index, shape=(1,) + index.shape), shape=(x.size,))
        return F.reshape(flat, shape=x.shape)
    coords = _coordinates(F, index, axis % x.ndim, x.context)
    return F.scatter_nd(g, coords, shape=x.shape)


def _sort_grad(F, attrs, inputs, outputs, out_grads):
    """out = x[perm]: x[perm[i]] gets g[i]. The permutation is recomputed with the same stable
    order as the forward (argsort), so ties go where sort put them."""
    x = inputs[0]
    perm = F.argsort(x, axis=attrs["axis"], is_ascend=attrs["is_ascend"], dtype="int64")
    return [scatter_along(F, out_grads[0], perm, attrs["axis"], x)]


def _topk_grad(F, attrs, inputs, outputs, out_grads):
    """ret_typ 'value'/'both': the values' gradient goes back to the k chosen positions, the rest
    get 0 (the indices' gradient is ignored). 'indices' and 'mask' are piecewise constant: no
    gradient (MXNet: x.grad stays 0)."""
    ret = attrs["ret_typ"]
    if ret in ("indices", "mask") or out_grads[0] is None:
        return [None]
    x = inputs[0]
    if ret == "both":
        index = outputs[1]
    else:
        index = F.topk(x, axis=attrs["axis"], k=attrs["k"], ret_typ="indices",
                       is_ascend=attrs["is_ascend"], dtype="int64")
    return [scatter_along(F, out_grads[0], index, attrs["axis"], x)]


_AXIS = Param("axis", OptInt, -1, "the axis to sort along; None: the flattened input")
_IS_ASCEND = Param("is_ascend", Bool, True, "ascending (True) or descending")
_SORT_ATTRS = [{}, {"axis": 0}, {"is_ascend": False}, {"axis": None}]

sort = OpDef("sort", params=(_AXIS, _IS_ASCEND),
             shape=_sort_shape, dtype=_sortable, work=input_work, grad=_sort_grad,
             formula="out = data sorted along axis",
             doc="Sorts along an axis; axis=None sorts the flattened input.",
             domain=Domain(attrs=_SORT_ATTRS, make_inputs=_distinct_inputs), family="sort")


def _argsort_dtype(attrs, dtype):
    _sortable(attrs, dtype)
    return np.dtype(attrs["dtype"])


argsort = OpDef("argsort",
                params=(_AXIS, _IS_ASCEND,
                        Param("dtype", dtype_choice(*_INDEX_DTYPES), "float32",
                              "dtype of the indices")),
                shape=_sort_shape, dtype=_argsort_dtype, grad=NO_GRAD, work=input_work,
                formula="data[out[i]] is the i-th smallest (largest) element along axis",
                doc="Indices that sort the input along an axis (stable: ties keep input order).",
                domain=Domain(grad=False, attrs=_SORT_ATTRS + [{"dtype": "int32"}],
                              make_inputs=_distinct_inputs),
                family="sort")


def _topk_k(attrs, data):
    shape, n = _sorted_length(attrs, data)
    k = attrs["k"] if attrs["k"] >= 1 else n
    if k > n:
        where = "the flattened input" if attrs["axis"] is None else f"axis {attrs['axis']}"
        fail(f"k={k} is larger than the {n} elements along {where}",
             f"use k <= {n} (k < 1 sorts the whole axis)")
    if k == 0:
        fail("cannot take the top k of an empty axis")
    return shape, k


def _topk_shape(attrs, data):
    shape, k = _topk_k(attrs, data)
    if attrs["ret_typ"] == "mask":
        return tuple(data)
    if attrs["axis"] is None:
        out = (k,)
    else:
        out = list(data)
        out[one_axis(attrs["axis"], len(data))] = k
        out = tuple(out)
    return [out, out] if attrs["ret_typ"] == "both" else out


def _topk_dtype(attrs, dtype):
    _sortable(attrs, dtype)
    ret = attrs["ret_typ"]
    if ret in ("value", "mask"):      # a mask has the data's dtype, whatever ``dtype`` says
        return dtype
    if ret == "indices":
        return np.dtype(attrs["dtype"])
    return [dtype, np.dtype(attrs["dtype"])]


topk = OpDef("topk",
             params=(_AXIS,
                     Param("k", Int, 1, "how many elements to keep; k < 1 keeps all (a sort)"),
                     Param("ret_typ", Enum("both", "indices", "mask", "value"), "indices",
                           "what to return: 'value', 'indices', 'both' ([values, indices]) or "
                           "'mask' (1 where an element is among the top k, else 0)"),
                     Param("is_ascend", Bool, False, "take the k smallest, not the k largest"),
                     Param("dtype", dtype_choice(*_INDEX_DTYPES), "float32",
                           "dtype of the indices for ret_typ 'indices' and 'both'")),
             shape=_topk_shape, dtype=_topk_dtype, work=input_work, grad=_topk_grad,
             formula="out = the k largest (smallest) elements along axis, or their indices",
             doc="The top k elements along an axis, largest first (smallest first with "
                 "is_ascend); equal values keep input order.",
             # The 'indices' and 'mask' sets differentiate to nothing: the check skips no input
             # but sees x.grad stay 0, which central differences agree with (no ties).
             domain=Domain(attrs=[{}, {"k": 2, "ret_typ": "value"}, {"k": 2, "ret_typ": "both"},
                                  {"ret_typ": "mask", "k": 2}, {"k": 0, "axis": 0},
                                  {"axis": None, "k": 3, "ret_typ": "value", "is_ascend": True}],
                           make_inputs=_distinct_inputs),
             family="sort")
