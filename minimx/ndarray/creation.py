"""Functions that create arrays: ``array``, ``empty``, ``zeros``, ``ones``, ``full``, ``arange``,
``linspace``, ``eye`` and the ``*_like`` family. Each ends in ``invoke`` of an ``init`` op."""
import numpy as np

from ..base import MXNetError, normalize_dtype
from ..context import Context, current_context
from ..engine import get_engine
from ..ops.opdef import get_op
from .invoke import invoke
from .ndarray import MXNetTypeError, MXNetValueError, NDArray, empty_array

__all__ = ["array", "empty", "zeros", "ones", "full", "arange", "linspace", "eye", "from_numpy"]


def _ctx(ctx):
    if ctx is None:
        return current_context()
    return ctx if isinstance(ctx, Context) else Context(ctx)


def _shape(shape, fn):
    """``shape`` as a tuple of ints; anything else is a TypeError (as in MXNet) naming ``fn``."""
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    try:
        if isinstance(shape, (str, bytes)):
            raise TypeError("a string")
        return tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise MXNetTypeError(f"{fn}: shape must be an int or a tuple of ints, got {shape!r:.60}"
                             f" ({type(shape).__name__})") from None


def array(source_array, ctx=None, dtype=None):
    """An NDArray with a copy of ``source_array`` (an NDArray, numpy array, list or scalar).

    NB: as in MXNet, the dtype is float32 unless ``dtype`` is given, even for a numpy integer or
    float64 array; an NDArray source keeps its dtype.
    """
    if isinstance(source_array, NDArray):
        dtype = source_array.dtype if dtype is None else dtype
        out = empty_array(source_array.shape, _dtype(dtype), _ctx(ctx))
        if out.dtype == source_array.dtype:
            source_array.copyto(out)
        else:
            source_array.astype(dtype).copyto(out)
        return out
    dt = _dtype(dtype)
    try:
        try:
            values = np.asarray(source_array, dtype=dt)
        except OverflowError:
            # numpy 1.x (MXNet's) wraps out-of-range Python ints: array([-1, 255], dtype='uint8')
            # is [255, 255]; numpy 2 refuses, so convert first and cast with wrap-around.
            values = np.asarray(source_array).astype(dt)
    except (TypeError, ValueError, OverflowError) as e:
        # a TypeError too, as MXNet's "source_array must be array like object"
        raise MXNetTypeError(f"array: cannot make an array of {type(source_array).__name__} "
                         f"({source_array!r:.60}): {e}") from None
    if values.ndim == 0:
        values = values.reshape(1)
    return from_numpy(values, ctx)


def from_numpy(values, ctx=None):
    """A new array holding a copy of numpy array ``values`` (keeping its dtype)."""
    ctx = _ctx(ctx)
    dt = normalize_dtype(values.dtype)
    out = empty_array(values.shape, dt, ctx)
    values = np.array(values, dtype=dt, copy=True)   # the caller may change theirs later
    backend, view = ctx.backend, out._data
    get_engine().push(lambda: backend.from_numpy(values, view), (), (out._chunk,), ctx,
                      "_from_numpy", True)
    return out


def _dtype(dtype):
    """``normalize_dtype`` whose error for an unknown dtype is also a ``TypeError``, as in MXNet
    (where ``np.dtype('bad')`` raises it), so ``except TypeError`` keeps working."""
    try:
        return normalize_dtype(dtype)
    except MXNetError as e:
        raise MXNetTypeError(str(e)) from None


def empty(shape, ctx=None, dtype=None):
    """A new array with uninitialised values."""
    return empty_array(_shape(shape, "empty"), _dtype(dtype), _ctx(ctx))


def zeros(shape, ctx=None, dtype=None, **kwargs):
    """A new array of zeros."""
    op = get_op("_zeros")
    _dtype(dtype)
    return invoke(op, (), op.parse({"shape": _shape(shape, "zeros"), "dtype": dtype or "float32"}),
                  kwargs.get("out"), _ctx(ctx))


def ones(shape, ctx=None, dtype=None, **kwargs):
    """A new array of ones."""
    op = get_op("_ones")
    _dtype(dtype)
    return invoke(op, (), op.parse({"shape": _shape(shape, "ones"), "dtype": dtype or "float32"}),
                  kwargs.get("out"), _ctx(ctx))


def full(shape, val, ctx=None, dtype=np.float32, out=None):
    """A new array filled with ``val``.

    NB: MXNet's ``full`` is ``empty(shape)[:] = val``, so ``val=None`` fills with NaN and an
    array-like ``val`` is broadcast to ``shape``; minimx does the same.
    """
    op = get_op("_full")
    dt = _dtype(dtype)
    shape = _shape(shape, "full")
    if val is None:
        val = float("nan")
    elif isinstance(val, (bool, np.bool_)):
        val = float(val)    # MXNet takes full((2,), True) as 1.0
    elif isinstance(val, (list, tuple, np.ndarray, NDArray)):
        values = val.asnumpy() if isinstance(val, NDArray) else val
        try:
            values = np.broadcast_to(np.asarray(values, dtype=dt), shape)
        except (TypeError, ValueError) as e:
            raise MXNetValueError(f"full: val of shape {np.shape(values)} cannot fill shape "
                                  f"{shape}: {e}") from None
        result = array(values, ctx=ctx, dtype=dt)
        return result if out is None else result.copyto(out)
    try:
        attrs = op.parse({"shape": shape, "dtype": dtype, "value": val})
    except MXNetError as e:
        if "'value'" not in str(e):
            raise
        raise MXNetTypeError(f"full: val must be a number or array-like, got {val!r:.60} "
                             f"({type(val).__name__})") from None
    return invoke(op, (), attrs, out, _ctx(ctx))


def arange(start, stop=None, step=1.0, repeat=1, infer_range=None, ctx=None, dtype=np.float32):
    """Evenly spaced values in [start, stop), each repeated ``repeat`` times."""
    op = get_op("_arange")
    _dtype(dtype)
    return invoke(op, (), op.parse({"start": start, "stop": stop, "step": step, "repeat": repeat,
                                    "dtype": dtype}), None, _ctx(ctx))


def linspace(start, stop, num, endpoint=True, ctx=None, dtype=np.float32):
    """``num`` evenly spaced values from start to stop."""
    op = get_op("_linspace")
    _dtype(dtype)
    return invoke(op, (), op.parse({"start": start, "stop": stop, "num": num,
                                    "endpoint": endpoint, "dtype": dtype}), None, _ctx(ctx))


def eye(N, M=0, k=0, ctx=None, dtype=None, **kwargs):
    """A 2-D array with ones on the k-th diagonal."""
    op = get_op("_eye")
    _dtype(dtype)
    return invoke(op, (), op.parse({"N": N, "M": M, "k": k, "dtype": dtype or "float32"}),
                  kwargs.get("out"), _ctx(ctx))
