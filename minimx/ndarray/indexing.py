"""``x[key]`` and ``x[key] = value`` with MXNet's semantics.

NB: a first version: integer and step-1 slice keys on the first axis give views; everything else is
completed by the shape-ops work (advanced indexing, steps, None, Ellipsis).
"""
from ..base import MXNetError, integer_types

__all__ = ["getitem", "setitem"]


def getitem(arr, key):
    if isinstance(key, integer_types) and arr.ndim >= 1:
        n = arr.shape[0]
        if not -n <= key < n:
            raise IndexError(f"index {key} is out of bounds for axis 0 with size {n}")
        key %= n
        inner = arr.shape[1:]
        step = 1
        for s in inner:
            step *= s
        return arr._view(key * step, inner or (1,))
    if isinstance(key, slice) and key.step in (None, 1):
        start, stop, _ = key.indices(arr.shape[0])
        stop = max(start, stop)
        inner = arr.shape[1:]
        step = 1
        for s in inner:
            step *= s
        return arr._view(start * step, (stop - start,) + inner)
    raise MXNetError(f"indexing with {key!r} is not supported yet")


def setitem(arr, key, value):
    from .ndarray import NDArray  # noqa: PLC0415 - temporary until the full indexing module lands
    target = arr if key == slice(None) else getitem(arr, key)
    if isinstance(value, NDArray):
        value.copyto(target) if value.shape == target.shape else (
            _fill_from(target, value))
    else:
        from .invoke import call_op  # noqa: PLC0415
        call_op("_full", (), (), {"shape": target.shape, "value": float(value),
                                  "dtype": target.dtype}, out=target) if False else \
            _fill(target, value)


def _fill(target, value):
    import numpy as np  # noqa: PLC0415
    from ..engine import get_engine  # noqa: PLC0415
    view = target._data
    get_engine().push(lambda: view.fill(value), (), (target._chunk,), target.context, "_set_value", True)


def _fill_from(target, value):
    raise MXNetError("broadcasting assignment not supported yet")
