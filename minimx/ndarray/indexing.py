"""``x[key]`` and ``x[key] = value`` with MXNet 1.9.1's legacy (non-numpy) NDArray semantics.

Steps of ``getitem(arr, key)``:

1. Fast paths, as in MXNet: an int selects a row as a view (a 1-d array gives shape ``(1,)``: there
   are no 0-d results), a step-1 slice selects rows as a view, ``()`` and ``:`` give the array
   itself, and a tuple of ``ndim`` ints a ``(1,)`` view of one element.
2. Expand the key: ``...`` (or nothing) stands for the missing ``:``; a Python bool inside a tuple
   is dropped (MXNet's quirk); a bool NDArray is refused, as in legacy MXNet.
3. A basic key (ints, slices, None) selecting one contiguous run of memory gives a view
   (``arr._view``: writes through it change ``arr``); any other basic key gives a copy made by
   the ``slice`` op. Then int axes are dropped and None axes inserted (a view reshape).
4. An advanced key (lists, numpy arrays, NDArrays, ranges, mixed with the rest) becomes one index
   array of shape ``(M, ...)`` (``_index_nd``) for ``gather_nd``; the result is always a copy.

``setitem(arr, key, value)`` reads the key the same way. The value (a scalar, an NDArray, a numpy
array or a list) is cast to ``arr``'s dtype and broadcast to the selected region. Every write is an
engine op that writes ``arr``'s chunk, so it is ordered with every other use of the array: a
contiguous region is written through a view with ``out=`` (``_full``, ``_copy`` or
``broadcast_to``), a strided one by ``_slice_assign``/``_slice_assign_scalar``, an advanced one by
``_scatter_set_nd``.
"""
from functools import partial
from itertools import accumulate

import numpy as np

from ..base import MXNetError, integer_types, numeric_types, prod
from ..engine import get_engine
from ..ops.opdef import get_op
from .invoke import invoke
from .storage import Chunk

__all__ = ["getitem", "setitem"]

_OPS = {n: get_op(n) for n in ("slice", "_slice_assign", "_slice_assign_scalar", "_copy", "_full",
                               "broadcast_to", "gather_nd", "_scatter_set_nd", "stack", "Cast")}
_INT64 = np.dtype(np.int64)


# -- getitem -------------------------------------------------------------------------------------
def getitem(arr, key):
    """``arr[key]``: a view for contiguous basic selections, else a new array (see the module doc)."""
    if arr.ndim == 0:
        if key == slice(None) or isinstance(key, tuple) and not key:
            return arr
        raise IndexError("a 0-d array accepts only () and : as an index")
    if isinstance(key, integer_types):   # also bool: x[True] is x[1], as in MXNet
        return _at(arr, int(key))
    if isinstance(key, slice) and key.step in (None, 1):
        if key.start is None and key.stop is None:
            return arr
        return _rows(arr, key.start, key.stop)
    if isinstance(key, tuple) and not key:
        return arr
    if isinstance(key, tuple) and len(key) == arr.ndim and all(isinstance(k, integer_types)
                                                              for k in key):
        out = arr
        for k in key:
            out = _at(out, int(k))
        return out
    key = _expand(key, arr)
    if _is_advanced_key(key, type(arr)):
        return _advanced_get(arr, key)
    return _basic_get(arr, key)


def _at(arr, idx):
    """Row ``idx`` as a view (shape ``(1,)`` for a 1-d array)."""
    n = arr.shape[0]
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of bounds for axis 0 with size {n}")
    inner = arr.shape[1:]
    return arr._view((idx % n) * prod(inner), inner or (1,))


def _rows(arr, start, stop):
    """``arr[start:stop]`` as a view; as MXNet, a reversed range is an error, not an empty view."""
    n = arr.shape[0]
    b = 0 if start is None else _clamp(int(start), n)
    e = n if stop is None else _clamp(int(stop), n)
    if b > e:
        raise MXNetError(f"invalid slicing range [{b}, {e}) on axis 0 of size {n}\n"
                         "  hint: with step 1 the start must not come after the stop")
    inner = arr.shape[1:]
    return arr._view(b * prod(inner), (e - b,) + inner)


def _clamp(i, n):
    return max(i + n, 0) if i < 0 else min(i, n)


def _expand(key, arr):
    """The key with one entry per axis (plus the None entries): ``...`` expanded, ``:`` appended."""
    cls = type(arr)
    entries, ellipsis_at, nones = [], None, 0
    for k in key if isinstance(key, tuple) else (key,):
        if k is Ellipsis:
            if ellipsis_at is not None:
                raise IndexError("Cannot use more than one ellipsis (`...`) for indexing")
            ellipsis_at = len(entries)
            continue
        if isinstance(k, bool):
            continue   # MXNet turns it into a 0-d bool array and then ignores it
        if isinstance(k, cls):
            if k.dtype == np.bool_:
                raise ValueError("Cannot perform boolean indexing in legacy mode (MXNet needs "
                                 "npx.set_np(); minimx has only the legacy mode)\n  hint: use the "
                                 "indices of the True entries, e.g. x[np.nonzero(mask.asnumpy())]")
            if k.ndim == 0:
                k = int(k.asscalar())
        nones += k is None
        entries.append(k)
    if ellipsis_at is None:
        ellipsis_at = len(entries)
    fill = max(arr.ndim + nones - len(entries), 0)
    return tuple(entries[:ellipsis_at]) + (slice(None),) * fill + tuple(entries[ellipsis_at:])


def _is_advanced_key(key, cls):
    advanced = False
    for k in key:
        if isinstance(k, (cls, np.ndarray, list, tuple, range)):
            advanced = True
        elif not (k is None or isinstance(k, (slice, integer_types))):
            raise ValueError(f"NDArray does not support slicing with key {k!r} of type {type(k)}.")
        elif isinstance(k, slice) and k.step == 0:
            raise ValueError("slice step cannot be zero")
    return advanced


def _axes_only(arr, key):
    """The key without its None entries; too many indices is an IndexError."""
    key_nd = [k for k in key if k is not None]
    if len(key_nd) > arr.ndim:
        raise IndexError(f"too many indices ({len(key_nd)}) for array with {arr.ndim} dimensions")
    return key_nd


def _check_ints(arr, key_nd):
    for ax, k in enumerate(key_nd):
        if isinstance(k, integer_types) and not -arr.shape[ax] <= k < arr.shape[ax]:
            raise IndexError(f"index {k} is out of bounds for axis {ax} with size {arr.shape[ax]}")


def _as_slices(key_nd):
    """Ints become one-element slices (``-1`` becomes ``-1:``, not the empty ``-1:0``)."""
    return [k if isinstance(k, slice) else (slice(-1, None) if k == -1 else slice(int(k), int(k) + 1))
            for k in key_nd]


def _slice_attrs(slices):
    """The parsed begin/end/step of the ``slice`` op (and the slice assignments) for ``slices``."""
    def opt(v):
        return None if v is None else int(v)
    return {"begin": tuple(opt(s.start) for s in slices), "end": tuple(opt(s.stop) for s in slices),
            "step": tuple(opt(s.step) for s in slices)}


def _ranges(slices, shape):
    """``(start, stop, step)`` of each slice on its axis, and the number of elements it selects."""
    ranges = [s.indices(n) for s, n in zip(slices, shape)]
    return ranges, tuple(len(range(*r)) for r in ranges)


def _contiguous(ranges, lens, shape):
    """MXNet's rule: from the last axis back, once an axis is a proper subset, the axes before it
    may select at most one element each; a step other than 1 on a selection of several elements
    is never contiguous. Returns the flat offset of the region, or None."""
    if prod(lens) == 0:
        return 0
    subset = False
    for k in range(len(lens) - 1, -1, -1):
        if lens[k] > 1 and (ranges[k][2] != 1 or subset):
            return None
        subset = subset or lens[k] < shape[k]
    offset = 0
    for (start, _, _), n in zip(ranges, shape):
        offset = offset * n + start
    return offset


def _inserted_axes(key, counts):
    """Where the None entries of ``key`` land in the result: MXNet's cumulative-sum rule
    (``counts[0]`` is where the count starts, ``counts[1 + i]`` what entry ``i`` adds)."""
    if all(k is not None for k in key):
        return []
    steps = list(accumulate(counts))
    return [steps[ax] for ax, k in enumerate(key) if k is None]


def _basic_get(arr, key):
    key_nd = _axes_only(arr, key)
    _check_ints(arr, key_nd)
    slices = _as_slices(key_nd)
    ranges, lens = _ranges(slices, arr.shape)
    offset = _contiguous(ranges, lens, arr.shape)
    if offset is not None:
        sliced = arr._view(offset, lens)
    else:
        sliced = invoke(_OPS["slice"], (arr,), _slice_attrs(slices))
    final = [n for k, n in zip(key_nd, lens) if not isinstance(k, integer_types)]
    counts = [0] + [0 if isinstance(k, integer_types) else 1 for k in key]
    for ax in _inserted_axes(key, counts):
        final.insert(ax, 1)
    final = tuple(final) or (1,)
    return sliced if final == sliced.shape else sliced._view(0, final)


def _advanced_get(arr, key):
    indices, new_axes, out_shape = _index_nd(arr, key)
    out = invoke(_OPS["gather_nd"], (arr, indices), {})
    if not new_axes:
        return out
    final = list(out_shape)
    for ax in new_axes:
        final.insert(ax, 1)
    return out._view(0, tuple(final))


# -- advanced keys: one (M, ...) index array for gather_nd / _scatter_set_nd -------------------------
def _is_advanced(k, cls):
    return isinstance(k, (cls, np.ndarray, list, tuple, range) + integer_types)


def _index_nd(arr, key):
    """The index array, the None axes' positions and the gathered shape of an advanced key.

    As MXNet: ints count as advanced (as 1-element arrays), slices become ``arange``s, trailing
    ``:`` are left to gather_nd, and each index is broadcast to its place: the advanced block
    stays where it is when its indices are adjacent in the key, else it moves to the front.
    """
    cls = type(arr)
    key_nd = _axes_only(arr, key)
    adv_key = [ax for ax, k in enumerate(key) if _is_advanced(k, cls)]
    adv = [ax for ax, k in enumerate(key_nd) if _is_advanced(k, cls)]
    adjacent = all(b - a == 1 for a, b in zip(adv_key, adv_key[1:]))
    m = len(key_nd)
    while m > adv[-1] + 1 and key_nd[m - 1] == slice(None):
        m -= 1
    comps = [_index_component(k, arr.shape[ax], ax, cls) for ax, k in enumerate(key_nd[:m])]
    try:
        block = np.broadcast_shapes(*[comps[ax].shape for ax in adv])
    except ValueError:
        shapes = ", ".join(str(comps[ax].shape) for ax in adv)
        raise ValueError(f"shape mismatch: the index arrays of shapes {shapes} cannot be broadcast "
                         "together") from None
    basic = [ax for ax in range(m) if ax not in adv]
    lens = {ax: comps[ax].shape[0] for ax in basic}
    if adjacent:
        lead, trail = [ax for ax in basic if ax < adv[0]], [ax for ax in basic if ax > adv[-1]]
        bshape = tuple(lens[ax] for ax in lead) + block + tuple(lens[ax] for ax in trail)
        block_at = len(lead)
    else:
        bshape = block + tuple(lens[ax] for ax in basic)
        block_at = 0
    placed = []
    for ax in range(m):
        c = comps[ax]
        if ax in lens:   # a basic axis: its arange on its own axis of bshape
            pos = (lead + [None] * len(block) + trail).index(ax) if adjacent else \
                len(block) + basic.index(ax)
            shape = tuple(lens[ax] if i == pos else 1 for i in range(len(bshape)))
        else:            # an advanced index: right-aligned in the block
            shape = (1,) * block_at + (1,) * (len(block) - len(c.shape)) + tuple(c.shape)
            shape += (1,) * (len(bshape) - len(shape))
        placed.append((c, shape))
    counts = [len(block) if not adjacent else 0] + [0 if ax in adv_key else 1 for ax in range(len(key))]
    new_axes = _inserted_axes(key, counts)
    return _stack_indices(arr, placed, bshape), new_axes, bshape + arr.shape[m:]


def _index_component(k, n, ax, cls):
    """One key entry as int64 indices: a numpy array (checked here) or an NDArray (checked by the
    kernel at run time)."""
    if isinstance(k, cls):
        return k if k.dtype == np.int64 else invoke(_OPS["Cast"], (k,), {"dtype": _INT64})
    if isinstance(k, slice):
        return np.arange(*k.indices(n), dtype=np.int64)
    if isinstance(k, integer_types):
        k = [k]
    try:
        values = np.asarray(k)
        values = values.astype(np.int64)   # floats truncate; bools become 0/1 (MXNet's quirk)
    except (TypeError, ValueError):
        raise IndexError(f"cannot use {k!r} as an index array") from None
    values = values.reshape(-1) if values.ndim == 0 else values
    bad = (values < -n) | (values >= n)
    if bad.any():
        raise IndexError(f"index {values[bad].flat[0]} is out of bounds for axis {ax} with size {n}")
    return values


def _stack_indices(arr, placed, bshape):
    """``stack([broadcast_to(c.reshape(shape), bshape) ...])``: on the host when every index is
    known there, else with ops (an NDArray index is only known when the engine has computed it)."""
    cls = type(arr)
    if prod(bshape) == 0:   # nothing is selected: no index needs to be known
        return _from_host(np.zeros((len(placed),) + bshape, np.int64), arr)
    if not any(isinstance(c, cls) for c, _ in placed):
        return _from_host(np.stack([np.broadcast_to(c.reshape(s), bshape) for c, s in placed]), arr)
    parts = []
    for c, shape in placed:
        c = _from_host(c, arr) if not isinstance(c, cls) else c.as_in_context(arr.context)
        c = c._view(0, shape)
        if shape != bshape:
            c = invoke(_OPS["broadcast_to"], (c,), {"shape": bshape})
        parts.append(c)
    return invoke(_OPS["stack"], tuple(parts), {"axis": 0, "num_args": len(parts)})


def _from_host(values, like):
    """A new array on ``like``'s context holding a copy of numpy ``values`` (an engine write)."""
    ctx = like.context
    backend = ctx.backend
    values = np.array(values, copy=True)
    out = type(like)._wrap(Chunk(backend.alloc(values.shape, values.dtype), ctx), 0, values.shape)
    get_engine().push(partial(backend.from_numpy, values, out._data), (), (out._chunk,), ctx,
                      "_from_numpy", True)
    return out


# -- setitem -------------------------------------------------------------------------------------
def setitem(arr, key, value):
    """``arr[key] = value`` (see the module doc); the value is broadcast to the selection."""
    if arr.ndim == 0:
        if not (key == slice(None) or isinstance(key, tuple) and not key):
            raise IndexError("scalar tensor can only accept `()` and `:` as index")
        key = ()
    if arr.size == 0:
        return
    key = _expand(key, arr) if arr.ndim else ()
    if _is_advanced_key(key, type(arr)):
        _set_advanced(arr, key, value)
    else:
        _set_basic(arr, key, value)


def _set_basic(arr, key, value):
    key_nd = _axes_only(arr, key)
    _check_ints(arr, key_nd)
    slices = _as_slices(key_nd)
    ranges, region = _ranges(slices, arr.shape)
    for ax, (b, e, s) in enumerate(ranges):
        if (b > e and s > 0) or (b < e and s < 0):
            raise MXNetError(f"cannot assign to an empty reversed slice on axis {ax} (start {b}, "
                             f"stop {e}, step {s}); MXNet rejects it too")
    if prod(region) == 0:
        return
    counts = [0] + [0 if isinstance(k, integer_types) else 1 for k in key]
    dropped = tuple(n for k, n in zip(key_nd, region) if not isinstance(k, integer_types)) or (1,)
    offset = _contiguous(ranges, region, arr.shape)
    if offset is not None:   # one contiguous run: write through a view
        target = arr if region == arr.shape else arr._view(offset, region)
        _write_view(arr, target, value, dropped, _inserted_axes(key, counts))
        return
    attrs = _slice_attrs(slices)
    if isinstance(value, numeric_types):
        invoke(_OPS["_slice_assign_scalar"], (arr,), dict(attrs, scalar=float(value)), out=arr)
        return
    v = _prepare_value(arr, value, dropped, _inserted_axes(key, counts))
    if v.shape != dropped:
        v = invoke(_OPS["broadcast_to"], (v,), {"shape": dropped})
    invoke(_OPS["_slice_assign"], (arr, v._view(0, region)), attrs, out=arr)


def _write_view(arr, target, value, shape, new_axes):
    """Fill the contiguous ``target`` (viewed as ``shape``) with ``value``, an op with ``out=``."""
    if isinstance(value, numeric_types):
        invoke(_OPS["_full"], (), {"shape": target.shape, "dtype": target._data.dtype,
                                   "value": float(value)}, out=target, ctx=arr.context)
        return
    v = _prepare_value(arr, value, shape, new_axes)
    if v._chunk is target._chunk and v._offset == target._offset and v.size == target.size:
        return   # x[:] = x
    out = target._view(0, shape)
    if v.shape == shape:
        invoke(_OPS["_copy"], (v,), {}, out=out)
    else:
        invoke(_OPS["broadcast_to"], (v,), {"shape": shape}, out=out)


def _set_advanced(arr, key, value):
    indices, new_axes, vshape = _index_nd(arr, key)
    if prod(vshape) == 0:
        return
    if isinstance(value, numeric_types):
        v = invoke(_OPS["_full"], (), {"shape": vshape, "dtype": arr._data.dtype,
                                       "value": float(value)}, ctx=arr.context)
    else:
        v = _prepare_value(arr, value, vshape, new_axes)
        if v.shape != vshape:
            v = invoke(_OPS["broadcast_to"], (v,), {"shape": vshape})
    invoke(_OPS["_scatter_set_nd"], (arr, v, indices), {"shape": arr.shape}, out=arr)


def _prepare_value(arr, value, shape, squeeze_axes=()):
    """``value`` as an NDArray of ``arr``'s dtype and context, with ``len(shape)`` axes that
    broadcast to ``shape`` (MXNet's ``_prepare_value_nd`` without the final broadcast)."""
    cls = type(arr)
    if isinstance(value, cls):
        v = value.as_in_context(arr.context)
        if v.dtype != arr.dtype:
            v = v.astype(arr.dtype)
    else:
        try:
            host = np.asarray(value, dtype=arr._data.dtype)
        except (TypeError, ValueError):
            raise TypeError(f"{cls} does not support assignment with non-array-like object "
                            f"{value!r} of type {type(value)}") from None
        v = _from_host(host.reshape(-1) if host.ndim == 0 else host, arr)
    vshape = list(v.shape)
    if squeeze_axes and len(vshape) > len(shape):   # the value may carry the key's None axes
        drop = [a for a in squeeze_axes if a < len(vshape) and vshape[a] == 1]
        vshape = [n for a, n in enumerate(vshape) if a not in drop]
    while len(vshape) > len(shape) and vshape[0] == 1:
        vshape.pop(0)
    if len(vshape) > len(shape) or any(a != b and a != 1 for a, b in
                                       zip(reversed(vshape), reversed(shape))):
        raise ValueError(f"operands could not be broadcast together with remapped shapes"
                         f"[original->remapped]: {v.shape} and requested shape {shape}")
    vshape = (1,) * (len(shape) - len(vshape)) + tuple(vshape)
    return v if vshape == v.shape else v._view(0, vshape)
