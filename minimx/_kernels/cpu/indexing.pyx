"""Cython kernels of the indexing family: take and Embedding (row gathers), pick, one_hot.

The naive loops (``a`` seen as ``(outer, n, inner)`` around the indexed axis)::

    take:     out[o, j, :] = a[o, fix(indices[j]), :]            for o < outer, j < m
    pick:     out[o, i]    = data[o, fix(index[o, i]), i]         for o < outer, i < inner
    one_hot:  out[j, :] = off;  out[j, int(indices[j])] = on      if 0 <= int(indices[j]) < depth

where ``fix`` truncates a float index toward zero, then clips or wraps it into ``[0, n)``.
Optimisations:

1. take moves whole rows of ``inner`` elements with ``memcpy``, so one loop serves every dtype
   (an Embedding lookup is a take of rows of the weight).
2. Indices are read in their own dtype (int32, int64, float32, float64: a fused type), so no
   converted copy of the index array is made.
3. Above ``PARALLEL_MIN`` elements, ``prange`` over rows with ``kernel_threads()`` threads.

pick and one_hot run here for float32/float64 data; other dtypes, and indices of other dtypes,
use the numpy reference (``_kernels/reference/indexing.py``), the spec these kernels are tested
against.
"""
cimport numpy as cnp
from cython cimport floating
from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t
from libc.string cimport memcpy

import numpy as np

from minimx._kernels.reference.indexing import KERNELS as _REF
from minimx.threads import kernel_threads

cnp.import_array()

__all__ = ["KERNELS", "PARALLEL_MIN"]

ctypedef fused index_t:
    int32_t
    int64_t
    float
    double

cdef enum Mode:
    CLIP, WRAP, RAISE

PARALLEL_MIN = 65536
_INDEX_DTYPES = (np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.float32), np.dtype(np.float64))
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


cdef inline Py_ssize_t _fix(index_t v, Py_ssize_t n, int mode) noexcept nogil:
    """A raw index made valid: truncated toward zero, then clipped or wrapped into [0, n)."""
    cdef Py_ssize_t j = <Py_ssize_t> v          # C's cast truncates toward zero, as MXNet's
    if mode == WRAP:
        j = j % n
        return j + n if j < 0 else j
    if j < 0:
        return 0
    return n - 1 if j >= n else j


cdef Py_ssize_t _first_bad(const index_t* idx, Py_ssize_t m, Py_ssize_t n) noexcept nogil:
    """The position of the first index outside [0, n - 1] (take's mode='raise'), or -1."""
    cdef Py_ssize_t j
    for j in range(m):
        if idx[j] < 0 or idx[j] > n - 1:
            return j
    return -1


cdef void _take_rows(const char* a, const index_t* idx, char* out, Py_ssize_t outer,
                     Py_ssize_t n, Py_ssize_t m, Py_ssize_t row_bytes, int mode,
                     int nthreads) noexcept nogil:
    cdef Py_ssize_t t, o, j
    if nthreads <= 1:
        for t in range(outer * m):
            o = t // m
            j = t % m
            memcpy(out + t * row_bytes, a + (o * n + _fix(idx[j], n, mode)) * row_bytes, row_bytes)
    else:
        for t in prange(outer * m, schedule="static", num_threads=nthreads):
            o = t // m
            j = t % m
            memcpy(out + t * row_bytes, a + (o * n + _fix(idx[j], n, mode)) * row_bytes, row_bytes)


def _gather_rows(cnp.ndarray a, cnp.ndarray idx, cnp.ndarray out, int axis, int mode):
    """``take`` along ``axis`` with raw indices ``idx`` (flattened) into ``out``."""
    cdef Py_ssize_t outer = 1, inner = 1, k, n = a.shape[axis], m = idx.size
    cdef Py_ssize_t row_bytes, bad = -1
    cdef int nthreads = 1
    cdef char* src = <char*> cnp.PyArray_DATA(a)
    cdef char* dst = <char*> cnp.PyArray_DATA(out)
    cdef void* ip = cnp.PyArray_DATA(idx)
    for k in range(axis):
        outer *= a.shape[k]
    for k in range(axis + 1, a.ndim):
        inner *= a.shape[k]
    if out.size == 0:
        return
    if n == 0:
        raise IndexError(f"cannot take from axis {axis} of size 0")
    row_bytes = inner * a.itemsize
    if out.size >= PARALLEL_MIN:
        nthreads = kernel_threads()
    dt = idx.dtype
    if mode == RAISE:
        if dt == _INDEX_DTYPES[0]:
            bad = _first_bad(<int32_t*> ip, m, n)
        elif dt == _INDEX_DTYPES[1]:
            bad = _first_bad(<int64_t*> ip, m, n)
        elif dt == _INDEX_DTYPES[2]:
            bad = _first_bad(<float*> ip, m, n)
        else:
            bad = _first_bad(<double*> ip, m, n)
        if bad >= 0:
            raise IndexError(f"take: index {idx.reshape(-1)[bad]} is out of range for axis {axis} "
                             f"with size {n} (mode='raise' accepts 0..{n - 1})")
    if dt == _INDEX_DTYPES[0]:
        with nogil:
            _take_rows(src, <int32_t*> ip, dst, outer, n, m, row_bytes, mode, nthreads)
    elif dt == _INDEX_DTYPES[1]:
        with nogil:
            _take_rows(src, <int64_t*> ip, dst, outer, n, m, row_bytes, mode, nthreads)
    elif dt == _INDEX_DTYPES[2]:
        with nogil:
            _take_rows(src, <float*> ip, dst, outer, n, m, row_bytes, mode, nthreads)
    else:
        with nogil:
            _take_rows(src, <double*> ip, dst, outer, n, m, row_bytes, mode, nthreads)


def _usable(*arrays):
    return all(isinstance(x, np.ndarray) and x.flags.c_contiguous for x in arrays)


def take(ins, outs, attrs):
    a, indices = ins
    if not _usable(a, indices, outs[0]) or a.itemsize not in (1, 2, 4, 8):
        return _REF["take"](ins, outs, attrs)
    if indices.dtype not in _INDEX_DTYPES:
        indices = indices.astype(np.int64)
    mode = {"clip": CLIP, "wrap": WRAP, "raise": RAISE}[attrs["mode"]]
    _gather_rows(a, indices, outs[0], attrs["axis"] % a.ndim, mode)


def embedding(ins, outs, attrs):
    data, weight = ins
    if not _usable(data, weight, outs[0]):
        return _REF["Embedding"](ins, outs, attrs)
    if data.dtype not in _INDEX_DTYPES:
        data = data.astype(np.int64)
    _gather_rows(weight, data, outs[0], 0, CLIP)


# -- pick -------------------------------------------------------------------------------------------
cdef void _pick(const floating* x, const index_t* idx, floating* out, Py_ssize_t outer,
                Py_ssize_t n, Py_ssize_t inner, int mode, int nthreads) noexcept nogil:
    cdef Py_ssize_t o, i
    if nthreads <= 1:
        for o in range(outer):
            for i in range(inner):
                out[o * inner + i] = x[(o * n + _fix(idx[o * inner + i], n, mode)) * inner + i]
    else:
        for o in prange(outer, schedule="static", num_threads=nthreads):
            for i in range(inner):
                out[o * inner + i] = x[(o * n + _fix(idx[o * inner + i], n, mode)) * inner + i]


def _pick_typed(const floating[::1] x, const index_t[::1] idx, floating[::1] out, Py_ssize_t outer,
                Py_ssize_t n, Py_ssize_t inner, int mode, int nthreads):
    with nogil:
        _pick(&x[0], &idx[0], &out[0], outer, n, inner, mode, nthreads)


def pick(ins, outs, attrs):
    data, index = ins
    out = outs[0]
    if (data.dtype not in _FLOATS or index.dtype not in _INDEX_DTYPES
            or not _usable(data, index, out)):
        return _REF["pick"](ins, outs, attrs)
    if out.size == 0:
        return
    axis = attrs["axis"] % data.ndim
    n = data.shape[axis]
    inner = int(np.prod(data.shape[axis + 1:], dtype=np.int64))
    outer = data.size // max(n * inner, 1)
    nthreads = kernel_threads() if out.size >= PARALLEL_MIN // 8 else 1
    _pick_typed(data.reshape(-1), index.reshape(-1), out.reshape(-1), outer, n, inner,
                WRAP if attrs["mode"] == "wrap" else CLIP, nthreads)


# -- one_hot ------------------------------------------------------------------------------------------
cdef void _one_hot(const index_t* idx, floating* out, Py_ssize_t m, Py_ssize_t depth,
                   floating on, floating off, int nthreads) noexcept nogil:
    cdef Py_ssize_t j, k, c
    if nthreads <= 1:
        for j in range(m):
            for k in range(depth):
                out[j * depth + k] = off
            c = <Py_ssize_t> idx[j]
            if 0 <= c < depth:
                out[j * depth + c] = on
    else:
        for j in prange(m, schedule="static", num_threads=nthreads):
            for k in range(depth):
                out[j * depth + k] = off
            c = <Py_ssize_t> idx[j]
            if 0 <= c < depth:
                out[j * depth + c] = on


def _one_hot_typed(const index_t[::1] idx, floating[::1] out, Py_ssize_t depth, double on, double off,
                   int nthreads):
    with nogil:
        _one_hot(&idx[0], &out[0], idx.shape[0], depth, <floating> on, <floating> off, nthreads)


def one_hot(ins, outs, attrs):
    indices, out = ins[0], outs[0]
    if (out.dtype not in _FLOATS or indices.dtype not in _INDEX_DTYPES
            or not _usable(indices, out)):
        return _REF["one_hot"](ins, outs, attrs)
    if out.size == 0:
        return
    nthreads = kernel_threads() if out.size >= PARALLEL_MIN else 1
    _one_hot_typed(indices.reshape(-1), out.reshape(-1), attrs["depth"], attrs["on_value"],
                   attrs["off_value"], nthreads)


KERNELS = {"take": take, "Embedding": embedding, "pick": pick, "one_hot": one_hot}
