"""Cython kernels of the reduce family: sum, mean, prod, max, min, nansum, nanprod, norm, argmax,
argmin, argmax_channel (float32 and float64; every other dtype uses the numpy reference).

Every reduction first sees its C-contiguous input as a 3-d block ``(outer, R, inner)`` and reduces
the middle axis. The naive loop::

    for o in range(outer):
        for j in range(inner):
            acc = identity
            for r in range(R):
                acc = op(acc, x[o, r, j])
            out[o, j] = acc

Optimisations, in order:

1. No copy when it can be avoided. Axes of size 1 are ignored; if the reduced axes are then one
   contiguous block, ``(outer, R, inner)`` is just a view of the input. Otherwise the input is
   copied once, transposed so that the reduced axes come last (``inner == 1``).
2. Loop order for the memory and the vector units. With ``inner == 1`` each output reduces one
   contiguous row: sums with several independent register accumulators, max/min as a matrix of
   LANES columns (below). With ``inner > 1`` the ``r`` loop goes outside the ``j`` loop, so the
   innermost loop walks contiguous memory (``acc[j] += x[o, r, j]`` for a block of columns) and
   vectorises. max/min use plain selects (``v > m ? v : m``), which vectorise, and find NaNs
   with a cheap detector rather than a test per element (``_extremes``).
3. Accuracy. Every accumulator is a C double: float32 sums are exact to float32's precision even
   over ten million elements (numpy's float32 sum drifts along non-contiguous axes). Rows are also
   summed in blocks of ``BLOCK`` elements, so a float64 sum of n values errs by about
   ``(BLOCK + n / BLOCK)`` ulps rather than ``n``.
4. Threads, for inputs of at least ``PARALLEL_MIN`` elements: ``prange`` over tasks (rows, or
   (row, column block) tiles), with ``num_threads=kernel_threads()`` so engine workers and OpenMP
   share the cores. When there are fewer tasks than threads (a full reduction is one row), R is
   split into chunks too, and their partial results are combined afterwards.
"""
import numpy as np

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport NAN, fabs
from libc.stdint cimport int64_t

from minimx.threads import kernel_threads

from ..reference.reduce import KERNELS as REFERENCE, reduce_axes

__all__ = ["KERNELS"]

cdef enum Op:
    SUM, PROD, MAX, MIN, NANSUM, NANPROD, SUMSQ, SUMABS

cdef enum:
    ACC = 8               # register accumulators of a row sum or product
    LANES = 64            # a row's max/min runs as a (n / LANES, LANES) matrix
    BLOCK = 1024          # row elements summed before the block joins the running total
    COLS = 4096           # columns per tile when inner > 1: 32 KiB of accumulators and whole
                          # rows of typical widths, so the input streams in memory order
    ARG_COLS = 512        # columns per argmax/argmin task when inner > 1
    CHUNK_MIN = 32768     # smallest piece of work worth a thread of its own

PARALLEL_MIN = 1 << 16    # inputs smaller than this run on one thread (OpenMP start-up costs us)

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


# -- the typed loops -------------------------------------------------------------------------
cdef inline double _identity(int op) noexcept nogil:
    return 1.0 if op == PROD or op == NANPROD else 0.0


cdef void _cols(const floating* p, Py_ssize_t R, Py_ssize_t inner, Py_ssize_t width,
                double* acc, int op) noexcept nogil:
    """``acc[j] = reduce_r p[r * inner + j]`` for ``j < width``: sums and products (max/min:
    ``_cols_extreme``).

    The ``r`` loop is outside the ``j`` loop, so the innermost loop reads contiguous memory and
    updates independent accumulators: it vectorises without reordering any one sum.
    """
    cdef Py_ssize_t r, j
    cdef const floating* q
    cdef double v
    for j in range(width):
        acc[j] = _identity(op)
    for r in range(R):
        q = p + r * inner
        if op == SUM:
            for j in range(width):
                acc[j] += q[j]
        elif op == SUMSQ:
            for j in range(width):
                v = q[j]
                acc[j] += v * v
        elif op == SUMABS:
            for j in range(width):
                acc[j] += fabs(q[j])
        elif op == PROD:
            for j in range(width):
                acc[j] *= q[j]
        elif op == NANSUM:
            for j in range(width):
                v = q[j]
                acc[j] += v if v == v else 0.0
        else:
            for j in range(width):
                v = q[j]
                acc[j] *= v if v == v else 1.0


cdef inline double _combine(double a, double b, int op) noexcept nogil:
    if op == PROD or op == NANPROD:
        return a * b
    if op == MAX:
        return a if (a > b) | (a != a) else b
    if op == MIN:
        return a if (a < b) | (a != a) else b
    return a + b


cdef inline double _term(double v, int op) noexcept nogil:
    """One element's contribution to a sum or product (squared, made absolute, NaN dropped)."""
    if op == SUMSQ:
        return v * v
    if op == SUMABS:
        return fabs(v)
    if op == NANSUM and v != v:
        return 0.0
    if op == NANPROD and v != v:
        return 1.0
    return v


cdef void _extremes(const floating* p, Py_ssize_t rows, Py_ssize_t stride, Py_ssize_t width,
                    floating* m, floating* z, bint is_max) noexcept nogil:
    """``m[j] = max/min_r p[r * stride + j]``, with ``z[j] += v - v`` beside.

    Plain selects (``v > m ? v : m``) vectorise; a NaN test per element would not. ``z[j]`` turns
    NaN when a NaN, or an infinity, goes by: the caller then looks for a real NaN.
    """
    cdef Py_ssize_t r, j
    cdef const floating* q
    cdef floating v
    for j in range(width):
        m[j] = p[j]
        z[j] = p[j] - p[j]
    for r in range(1, rows):
        q = p + r * stride
        if is_max:
            for j in range(width):
                v = q[j]
                m[j] = v if v > m[j] else m[j]
                z[j] += v - v
        else:
            for j in range(width):
                v = q[j]
                m[j] = v if v < m[j] else m[j]
                z[j] += v - v


cdef void _cols_extreme(const floating* p, Py_ssize_t R, Py_ssize_t inner, Py_ssize_t width,
                        double* out, bint is_max) noexcept nogil:
    """Column max/min (``width <= COLS`` columns, rows ``inner`` apart); NaN where one is."""
    cdef floating m[COLS]
    cdef floating z[COLS]
    cdef Py_ssize_t r, j
    _extremes(p, R, inner, width, m, z, is_max)
    for j in range(width):
        out[j] = m[j]
        if z[j] != z[j]:
            for r in range(R):
                if p[r * inner + j] != p[r * inner + j]:
                    out[j] = NAN
                    break


cdef double _row_extreme(const floating* p, Py_ssize_t n, bint is_max) noexcept nogil:
    """max or min of the contiguous row ``p[0:n]``; NaN if the row holds a NaN.

    The row is a (n / LANES, LANES) matrix whose column extremes ``_extremes`` finds; only when
    its NaN detector fires is the row scanned again for a real NaN.
    """
    cdef floating m[LANES]
    cdef floating z[LANES]
    cdef floating v
    cdef double result = p[0]
    cdef Py_ssize_t i, j, full = (n // LANES) * LANES
    cdef bint suspect = p[0] != p[0]
    if full:
        _extremes(p, full // LANES, LANES, LANES, m, z, is_max)
        result = m[0]
        for j in range(LANES):
            suspect = suspect | (z[j] != z[j])
            if (is_max and m[j] > result) or (not is_max and m[j] < result):
                result = m[j]
    for i in range(full, n):
        v = p[i]
        suspect = suspect | (v != v)
        if (is_max and v > result) or (not is_max and v < result):
            result = v
    if suspect:
        for i in range(n):
            if p[i] != p[i]:
                return NAN
    return result


cdef double _row(const floating* p, Py_ssize_t n, int op) noexcept nogil:
    """Reduce the contiguous row ``p[0:n]`` (n >= 1) into a double.

    Sums and products use ACC double accumulators, each taking every ACC-th element: a fixed
    trip count the compiler unrolls, so the accumulators live in registers and the adds do not
    wait on each other. Each block of BLOCK elements starts fresh accumulators that then join the
    running totals, which bounds the rounding error of a long float64 row.
    """
    cdef double acc[ACC]
    cdef double total[ACC]
    cdef double result, v
    cdef Py_ssize_t i, j, b, end, full = (n // ACC) * ACC
    if op == MAX or op == MIN:
        return _row_extreme(p, n, op == MAX)
    for j in range(ACC):
        total[j] = _identity(op)
    b = 0
    while b < full:
        end = b + BLOCK if b + BLOCK < full else full
        for j in range(ACC):
            acc[j] = _identity(op)
        i = b
        if op == SUM:
            while i < end:
                for j in range(ACC):
                    acc[j] += p[i + j]
                i += ACC
        elif op == SUMSQ:
            while i < end:
                for j in range(ACC):
                    v = p[i + j]
                    acc[j] += v * v
                i += ACC
        elif op == SUMABS:
            while i < end:
                for j in range(ACC):
                    acc[j] += fabs(p[i + j])
                i += ACC
        elif op == PROD:
            while i < end:
                for j in range(ACC):
                    acc[j] *= p[i + j]
                i += ACC
        else:                                   # NANSUM, NANPROD
            while i < end:
                for j in range(ACC):
                    acc[j] = _combine(acc[j], _term(p[i + j], op), op)
                i += ACC
        for j in range(ACC):
            total[j] = _combine(total[j], acc[j], op)
        b = end
    result = total[0]
    for j in range(1, ACC):
        result = _combine(result, total[j], op)
    for i in range(full, n):
        result = _combine(result, _term(p[i], op), op)
    return result


cdef void _reduce3(const floating* x, Py_ssize_t outer, Py_ssize_t R, Py_ssize_t inner,
                   double* out, Py_ssize_t nchunk, int op, int nthreads) noexcept nogil:
    """Reduce ``x``, seen as (outer, R, inner), over R.

    ``out`` holds ``nchunk`` partial results of ``outer * inner`` doubles each: chunk ``c`` reduces
    rows ``[c * R // nchunk, (c + 1) * R // nchunk)`` of R (nchunk <= R, so none is empty), and
    the caller combines the chunks. A task is one (chunk, outer index, column block).
    """
    cdef Py_ssize_t t, o, c, j0, r0, r1, nblk, width
    nblk = (inner + COLS - 1) // COLS
    for t in prange(nchunk * outer * nblk, num_threads=nthreads, schedule="static"):
        c = t // (outer * nblk)
        o = (t // nblk) % outer
        j0 = (t % nblk) * COLS
        r0 = c * R // nchunk
        r1 = (c + 1) * R // nchunk
        if inner == 1:
            out[c * outer + o] = _row(x + o * R + r0, r1 - r0, op)
        else:
            width = COLS if j0 + COLS < inner else inner - j0
            if op == MAX or op == MIN:
                _cols_extreme(x + (o * R + r0) * inner + j0, r1 - r0, inner, width,
                              out + (c * outer + o) * inner + j0, op == MAX)
            else:
                _cols(x + (o * R + r0) * inner + j0, r1 - r0, inner, width,
                      out + (c * outer + o) * inner + j0, op)


cdef Py_ssize_t _row_arg(const floating* p, Py_ssize_t n, bint is_max) noexcept nogil:
    """Index of the first extreme of ``p[0:n]``; the first NaN wins (numpy's and MXNet's rule).

    Two passes beat one: the extreme itself comes from the vectorised ``_row_extreme``, then a
    plain scan stops at its first occurrence.
    """
    cdef Py_ssize_t i
    cdef double m = _row_extreme(p, n, is_max)
    if m != m:
        for i in range(n):
            if p[i] != p[i]:
                return i
    for i in range(n):
        if p[i] == m:
            return i
    return 0


cdef void _arg3(const floating* x, Py_ssize_t outer, Py_ssize_t R, Py_ssize_t inner,
                int64_t* index, double* best, bint is_max, int nthreads) noexcept nogil:
    """``index[o, j] = arg-extreme_r x[o, r, j]``; ``best`` is scratch (outer * inner doubles).

    With ``inner > 1`` a task is one (outer index, block of ARG_COLS columns).
    """
    cdef Py_ssize_t t, o, r, j, j0, j1, nblk
    cdef const floating* q
    cdef double v, m
    if inner == 1:
        for o in prange(outer, num_threads=nthreads, schedule="static"):
            index[o] = _row_arg(x + o * R, R, is_max)
        return
    nblk = (inner + ARG_COLS - 1) // ARG_COLS
    for t in prange(outer * nblk, num_threads=nthreads, schedule="static"):
        o = t // nblk
        j0 = o * inner + (t % nblk) * ARG_COLS
        j1 = j0 + ARG_COLS if j0 + ARG_COLS < (o + 1) * inner else (o + 1) * inner
        for j in range(j0, j1):
            best[j] = x[o * (R - 1) * inner + j]
            index[j] = 0
        for r in range(1, R):
            q = x + (o * (R - 1) + r) * inner
            for j in range(j0, j1):
                v = q[j]
                m = best[j]
                # Strictly better, or the first NaN (nothing replaces a NaN: NaN == NaN is false).
                if (v > m if is_max else v < m) or (v != v and m == m):
                    best[j] = v
                    index[j] = r


# -- def wrappers: pick the loop, hold the GIL only for numpy bookkeeping ---------------------
def _reduce_typed(const floating[::1] x, Py_ssize_t outer, Py_ssize_t R, Py_ssize_t inner,
                  double[:, ::1] out, int op, int nthreads):
    with nogil:
        _reduce3(&x[0], outer, R, inner, &out[0, 0], out.shape[0], op, nthreads)


def _arg_typed(const floating[::1] x, Py_ssize_t outer, Py_ssize_t R, Py_ssize_t inner,
               int64_t[::1] index, double[::1] best, bint is_max, int nthreads):
    with nogil:
        _arg3(&x[0], outer, R, inner, &index[0], &best[0], is_max, nthreads)


def _block(x, axes):
    """``(flat, outer, R, inner)``: a flat C-contiguous array and its 3-d split (see point 1)."""
    shape = x.shape
    big = [a for a in range(x.ndim) if shape[a] > 1]
    red = [a for a in big if a in axes]
    last = red[len(red) - 1] if red else -1     # (no negative indexing: wraparound is off here)
    if red and big.index(last) - big.index(red[0]) != len(red) - 1:
        kept = [a for a in range(x.ndim) if a not in axes]
        x = np.ascontiguousarray(x.transpose(kept + list(axes)))
        outer = 1
        for a in kept:
            outer *= shape[a]
        return x.reshape(-1), outer, x.size // outer, 1
    outer = R = 1
    for a in big:
        if red and a < red[0]:
            outer *= shape[a]
        elif red and a <= last:
            R *= shape[a]
    return x.reshape(-1), outer, R, x.size // (outer * R)


def _threads(n):
    return kernel_threads() if n >= PARALLEL_MIN else 1


# How the partial results of row chunks combine (each of these ufuncs propagates NaN as we do).
_COMBINE = {SUM: np.add, NANSUM: np.add, SUMSQ: np.add, SUMABS: np.add, PROD: np.multiply,
            NANPROD: np.multiply, MAX: np.maximum, MIN: np.minimum}


def _reduce(x, axes, int op):
    """The reduction of ``x`` over ``axes`` as flat float64 values (one per output), and R."""
    flat, outer, R, inner = _block(x, axes)
    tasks = outer * -(-inner // COLS)
    nthreads = _threads(flat.size)
    nchunk = 1
    if tasks < nthreads:
        # Too few rows or column blocks to keep the threads busy: split R as well, into pieces of
        # at least CHUNK_MIN elements.
        nchunk = max(1, min(-(-nthreads // tasks), R, (R * min(inner, COLS)) // CHUNK_MIN))
    out = np.empty((nchunk, outer * inner), np.float64)
    _reduce_typed(flat, outer, R, inner, out, op, min(nthreads, tasks * nchunk))
    return (out[0] if nchunk == 1 else _COMBINE[op].reduce(out, axis=0)), R


def _simple(name, int op):
    def kernel(ins, outs, attrs):
        x = ins[0]
        if x.dtype not in _FLOATS or x.size == 0:
            return REFERENCE[name](ins, outs, attrs)
        values, R = _reduce(x, reduce_axes(x.ndim, attrs["axis"], attrs["exclude"]), op)
        if name == "mean":
            values /= R
        np.copyto(outs[0].reshape(-1), values, casting="unsafe")
    kernel.__name__ = name
    return kernel


def norm(ins, outs, attrs):
    """L1: sum of |x| in double; L2: sqrt of the sum of squares in double.

    The squares of float32 values can neither overflow nor underflow a double; float64 ones can,
    and then (a rare case, seen in the result) the scaled numpy reference computes it instead.
    """
    x, out = ins[0], outs[0]
    if x.dtype not in _FLOATS or x.size == 0 or out.dtype not in _FLOATS:
        return REFERENCE["norm"](ins, outs, attrs)
    axes = reduce_axes(x.ndim, attrs["axis"])
    values, R = _reduce(x, axes, SUMABS if attrs["ord"] == 1 else SUMSQ)
    if attrs["ord"] == 2:
        if x.dtype == np.float64 and not np.all(np.isfinite(values) &
                                                ((values == 0) | (values > 1e-290))):
            return REFERENCE["norm"](ins, outs, attrs)
        np.sqrt(values, out=values)
    np.copyto(out.reshape(-1), values, casting="unsafe")


def _arg(name, bint is_max):
    def kernel(ins, outs, attrs):
        x = ins[0]
        if x.dtype not in _FLOATS or x.size == 0:
            return REFERENCE[name](ins, outs, attrs)
        axis = attrs["axis"] if name != "argmax_channel" else 1
        axes = tuple(range(x.ndim)) if axis is None else (axis % x.ndim,)
        flat, outer, R, inner = _block(x, axes)
        index = np.empty(outer * inner, np.int64)
        best = np.empty(outer * inner if inner > 1 else 1, np.float64)
        tasks = outer * -(-inner // ARG_COLS)
        _arg_typed(flat, outer, R, inner, index, best, is_max, min(_threads(flat.size), tasks))
        np.copyto(outs[0].reshape(-1), index, casting="unsafe")
    kernel.__name__ = name
    return kernel


KERNELS = {
    "sum": _simple("sum", SUM),
    "mean": _simple("mean", SUM),
    "prod": _simple("prod", PROD),
    "max": _simple("max", MAX),
    "min": _simple("min", MIN),
    "nansum": _simple("nansum", NANSUM),
    "nanprod": _simple("nanprod", NANPROD),
    "norm": norm,
    "argmax": _arg("argmax", True),
    "argmin": _arg("argmin", False),
    "argmax_channel": _arg("argmax_channel", True),
}
