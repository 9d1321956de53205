"""sort, argsort and topk by rank: one work item per element counts the elements that go before it.

``rank(i) = #{j : x_j before x_i} + #{j < i : x_j == x_i}`` is the element's position in the
*stable* order in either direction (the order ``reference/sort.py`` specifies), computed with no
local memory or synchronisation; the element then writes itself (value, index, or a mask bit) to
its place if that is among the first ``k``. The work is ``n`` per element, so rows longer than
``_MAX_ROW`` (or more than ``_MAX_WORK`` compares in all) go to the host fallback.

NaN: MXNet's CPU kernel leaves NaN where libstdc++'s algorithms put it (``reference/std_sort.py``
replays them); that order is not a rank order. The kernel raises a flag when a row holds NaN; the
flag is read back (one small blocking read) and such a call runs through the host fallback, so the
result is the CPU kernel's in every case.
"""
import numpy as np

from .array import CLStorage
from .elemwise import _PREAMBLE, ctype, floats, launch_1d

__all__ = ["KERNELS"]

_MAX_ROW = 16384
_MAX_WORK = 1 << 31
_VALUES, _INDICES, _MASK = 1, 2, 4

_SRC = _PREAMBLE + """#define T {T}
#define TO {TO}
__kernel void rank(__global T* vals, long vo, __global TO* idxs, long io,
                   __global const T* x, long xo, long total, long n, long inner, long k, int asc,
                   int what, __global int* nan) {{
  long g = get_global_id(0); if (g >= total) return;
  long r = g % inner, i = (g / inner) % n, o = g / (inner * n);
  __global const T* row = x + xo + o * n * inner + r;
  T v = row[i * inner];
  if (v != v) {{ *nan = 1; return; }}
  long at = 0;
  for (long j = 0; j < n; j++) {{
    T w = row[j * inner];
    at += (asc ? w < v : w > v) || (j < i && w == v);
  }}
  if (what & {MASK}) {{ idxs[io + g] = (TO)(at < k); return; }}
  if (at >= k) return;
  long p = (o * k + at) * inner + r;
  if (what & {VALUES}) vals[vo + p] = v;
  if (what & {INDICES}) idxs[io + p] = (TO)i;
}}
"""


def _geometry(shape, axis):
    if axis is None:
        return 1, int(np.prod(shape, dtype=np.int64)), 1
    axis %= len(shape)
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    return outer, shape[axis], int(np.prod(shape[axis + 1:], dtype=np.int64))


def _order(x, vals, idxs, axis, k, asc, what):
    """Launch the rank kernel; NotImplemented (the caller falls back) when it does not apply."""
    dev = x.dev
    if not floats(dev, x) or (vals is not None and vals.dtype != x.dtype):
        return NotImplemented
    TO = ctype(idxs.dtype) if idxs is not None else ctype(x.dtype)
    if TO is None or (idxs is not None and idxs.dtype == np.float64 and not dev.fp64):
        return NotImplemented
    outer, n, inner = _geometry(x.shape, axis)
    total = outer * n * inner
    if n > _MAX_ROW or total * n > _MAX_WORK:
        return NotImplemented
    if total == 0:
        return None
    flag = CLStorage(dev).alloc((1,), np.int32)
    CLStorage.from_numpy(np.zeros(1, np.int32), flag)
    v, i = vals if vals is not None else x, idxs if idxs is not None else x
    src = _SRC.format(T=ctype(x.dtype), TO=TO, MASK=_MASK, VALUES=_VALUES, INDICES=_INDICES)
    launch_1d(dev, dev.kernel(src, "rank"), total, v.buf, np.int64(v.offset), i.buf,
              np.int64(i.offset), x.buf, np.int64(x.offset), np.int64(total), np.int64(n),
              np.int64(inner), np.int64(k), np.int32(bool(asc)), np.int32(what), flag.buf)
    if CLStorage.to_numpy(flag)[0]:
        return NotImplemented     # a row holds NaN: the CPU kernel's order (see above)
    return None


def sort(ins, outs, attrs):
    x = ins[0]
    n = _geometry(x.shape, attrs["axis"])[1]
    return _order(x, outs[0], None, attrs["axis"], n, attrs["is_ascend"], _VALUES)


def argsort(ins, outs, attrs):
    x = ins[0]
    n = _geometry(x.shape, attrs["axis"])[1]
    return _order(x, None, outs[0], attrs["axis"], n, attrs["is_ascend"], _INDICES)


def topk(ins, outs, attrs):
    x = ins[0]
    n = _geometry(x.shape, attrs["axis"])[1]
    k = attrs["k"] if attrs["k"] >= 1 else n
    ret, asc, axis = attrs["ret_typ"], attrs["is_ascend"], attrs["axis"]
    if ret == "mask":
        return _order(x, None, outs[0], axis, k, asc, _MASK)
    if ret == "indices":
        return _order(x, None, outs[0], axis, k, asc, _INDICES)
    if ret == "value":
        return _order(x, outs[0], None, axis, k, asc, _VALUES)
    return _order(x, outs[0], outs[1], axis, k, asc, _VALUES | _INDICES)


KERNELS = {"sort": sort, "argsort": argsort, "topk": topk}
