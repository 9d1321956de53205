"""``mx.nd`` functions that MXNet writes in Python over its operators, not as operators.

``moveaxis`` (a transpose), ``concatenate`` (deprecated: use ``concat``), ``onehot_encode``
(deprecated: use ``one_hot``), ``histogram`` (over ``_histogram``; numpy's answer when no range is
given) and ``split_v2`` (over ``_split_v2``). Each keeps MXNet's signature and calls the ops of the
table through ``call_op``, so they run asynchronously like any op. Bad arguments raise MXNetError
(MXNet raises ValueError or AssertionError here).
"""
import numbers

import numpy as np

from ..base import MXNetError
from .creation import array
from .invoke import call_op
from .ndarray import NDArray

__all__ = ["moveaxis", "concatenate", "onehot_encode", "histogram", "split_v2"]


def _axes(axes, ndim, what):
    """``axes`` (an int or a sequence) as a tuple of distinct non-negative axes."""
    axes = (axes,) if isinstance(axes, numbers.Integral) else tuple(axes)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise MXNetError(f"moveaxis: {what} axis {a} is out of range for a {ndim}-d array "
                             f"(use an axis in [{-ndim}, {ndim - 1}])")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise MXNetError(f"moveaxis: repeated axis in {what} {axes}")
    return tuple(out)


def moveaxis(tensor, source, destination):
    """Moves axes ``source`` to positions ``destination``; the other axes keep their order.

    >>> moveaxis(mx.nd.zeros((3, 4, 5)), [0, 1], [-1, -2]).shape
    (5, 4, 3)
    """
    source = _axes(source, tensor.ndim, "source")
    destination = _axes(destination, tensor.ndim, "destination")
    if len(source) != len(destination):
        raise MXNetError("moveaxis: source and destination must have the same number of axes, "
                         f"got {source} and {destination}")
    order = [n for n in range(tensor.ndim) if n not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return call_op("transpose", (tensor,), (), {"axes": tuple(order)})


def concatenate(arrays, axis=0, always_copy=True):
    """Joins a list of arrays along ``axis`` (deprecated in MXNet: use ``concat``).

    With ``always_copy=False`` a list of one array returns that array itself.
    """
    if not isinstance(arrays, (list, tuple)) or not arrays or \
            not all(isinstance(a, NDArray) for a in arrays):
        raise MXNetError("concatenate: arrays must be a non-empty list of NDArrays")
    if not always_copy and len(arrays) == 1:
        return arrays[0]
    first = arrays[0]
    for i, a in enumerate(arrays[1:], 1):
        if a.dtype != first.dtype:
            raise MXNetError(f"concatenate: array {i} has dtype {np.dtype(a.dtype).name} but "
                             f"array 0 has {np.dtype(first.dtype).name}; they must match")
    # NB: MXNet fails on a negative axis here (a bug); minimx counts it from the end.
    return call_op("Concat", tuple(arrays), (), {"dim": axis, "num_args": len(arrays)})


def onehot_encode(indices, out):
    """Writes the one-hot rows of 1-d ``indices`` into the 2-d float32 ``out`` and returns it
    (deprecated in MXNet: use ``one_hot``). An index outside ``[0, out.shape[1])`` gives a row of
    zeros; a float index is truncated."""
    if indices.ndim != 1 or out.ndim != 2:
        raise MXNetError(f"onehot_encode: needs 1-d indices and a 2-d out, got shapes "
                         f"{indices.shape} and {out.shape}")
    if indices.shape[0] != out.shape[0]:
        raise MXNetError(f"onehot_encode: {indices.shape[0]} indices but out has "
                         f"{out.shape[0]} rows")
    if out.dtype != np.float32:
        raise MXNetError(f"onehot_encode: out must be float32 (as in MXNet), got "
                         f"{np.dtype(out.dtype).name}; use one_hot for other types")
    return call_op("one_hot", (indices,), (), {"depth": out.shape[1], "dtype": "float32"}, out=out)


def histogram(a, bins=10, range=None):   # noqa: A002  (MXNet's argument name)
    """Counts of the flattened ``a`` in bins; returns ``(counts, bin_edges)``.

    ``bins`` is an int (equal bins on ``range``) or an NDArray of edges (of ``a``'s dtype). With an
    int and no range, MXNet hands the work to numpy on the host, and so does minimx: both arrays
    then come back as float32 (``mx.nd.array``'s default). Otherwise counts are int64.
    """
    if isinstance(bins, NDArray):
        return call_op("_histogram", (a, bins), (), {})
    if isinstance(bins, numbers.Integral) and not isinstance(bins, bool):
        if range is None:
            counts, edges = np.histogram(a.asnumpy(), bins=int(bins))
            return array(counts), array(edges)
        return call_op("_histogram", (a,), (), {"bin_cnt": int(bins), "range": tuple(range)})
    raise MXNetError(f"histogram: bins must be an int or an NDArray of bin edges, got "
                     f"{type(bins).__name__}")


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """Splits ``ary`` along ``axis`` into equal sections (an int) or at indices (a tuple).

    ``split_v2(x, (2, 3))`` gives ``x[:2], x[2:3], x[3:]``. Indices must increase and stay within
    the axis (MXNet's docstring promises an empty part for an index past the end; its operator
    raises, and so does minimx). One part comes back as an NDArray, several as a list.
    """
    if not -ary.ndim <= axis < ary.ndim:
        raise MXNetError(f"split_v2: axis {axis} is out of range for a {ary.ndim}-d array")
    size = ary.shape[axis]
    sections = indices_or_sections
    if isinstance(sections, numbers.Integral) and not isinstance(sections, bool):
        sections = int(sections)
        if sections <= 0 or size % sections:
            raise MXNetError(f"split_v2: an axis of size {size} cannot be split into {sections} "
                             "equal sections (array split does not result in an equal division)")
        indices = tuple(i * (size // sections) for i in np.arange(sections).tolist())
    elif isinstance(sections, tuple):
        indices = (0,) + tuple(int(i) for i in indices_or_sections)
    else:
        raise MXNetError("split_v2: indices_or_sections must be an int or a tuple of ints, got "
                         f"{type(indices_or_sections).__name__}")
    return call_op("_split_v2", (ary,), (),
                   {"indices": indices, "axis": axis, "squeeze_axis": squeeze_axis})
