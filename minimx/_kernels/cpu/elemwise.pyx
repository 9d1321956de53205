"""Cython kernels of the elemwise family: binary ops with broadcasting and ops with a scalar.

The naive loop of a broadcasting binary op is, for every output index ``i`` (a tuple)::

    out[i] = f(lhs[i with broadcast axes set to 0], rhs[i with broadcast axes set to 0])

Optimisations, in order:

1. Collapse the axes. Neighbouring axes on which each input is either contiguous or broadcast in
   the same way merge into one: ``(8, 16, 32) + (8, 16, 32)`` is one axis of 4096 elements,
   ``(8, 16, 32) + (32,)`` is a (128, 32) loop with the rhs repeated per row. What is left is a
   loop over rows of one innermost axis, on which each input has stride 1 (a vector) or
   stride 0 (one value): three row loops, ``_vv``, ``_vs`` and ``_sv``, each simple enough for the
   C compiler to vectorise (the op is chosen outside the loop, the stride is a constant in it).
2. Walk the rows with an odometer (add a stride per row, carry on overflow) instead of dividing
   the row index on every row.
3. Above ``PARALLEL_MIN`` elements split the work into one block per thread (whole rows when
   there are many, pieces of rows when there are few) and run the blocks with OpenMP's ``prange``,
   using ``kernel_threads()`` threads (the cores the engine has not given to other ops). Small
   arrays never start OpenMP: its fork/join costs more than their whole loop.

float32 and float64 run here (``real`` is the fused type of both); every other dtype, an
input that is not a C-contiguous numpy array and an output that partly overlaps an input fall back
to the numpy reference (``_kernels/reference/elemwise.py``), which is also the spec these kernels
are tested against. float32 math uses the float functions of libm (``powf``), as MXNet does.
Unary math is in ``elemwise_unary.pyx``.
"""
cimport numpy as cnp
from cython.parallel cimport prange
from libc.math cimport hypot, hypotf, pow, powf

import numpy as np

from minimx._kernels.reference.elemwise import KERNELS as _REF
from minimx.threads import kernel_threads

cnp.import_array()

__all__ = ["KERNELS", "PARALLEL_MIN"]

PARALLEL_MIN = 65536          # elements; below this a kernel runs on the calling thread only
cdef Py_ssize_t _PAR_MIN = PARALLEL_MIN
cdef enum:
    MAX_NDIM = 32

cdef enum BinaryOp:
    ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, POWER, HYPOT,
    EQ, NE, GT, GE, LT, LE, AND, OR, XOR


# -- scalar math in the element type (float functions for float, as MXNet's math::) ----------------
cdef inline real _pow(real x, real y) noexcept nogil:
    if real is float:
        return powf(x, y)
    else:
        return pow(x, y)


cdef inline real _hypot(real x, real y) noexcept nogil:
    if real is float:
        return hypotf(x, y)
    else:
        return hypot(x, y)


cdef inline real _apply(int op, real x, real y) noexcept nogil:
    """``op(x, y)`` for one pair: the generic path, for the loops not written out below."""
    if op == ADD:
        return x + y
    if op == SUB:
        return x - y
    if op == MUL:
        return x * y
    if op == DIV:
        return x / y
    if op == MAXIMUM:                       # MXNet: a NaN lhs wins, else the larger
        return x if (x != x) | (x > y) else y
    if op == MINIMUM:
        return x if (x != x) | (x < y) else y
    if op == POWER:
        return _pow(x, y)
    if op == HYPOT:
        return _hypot(x, y)
    if op == EQ:
        return x == y
    if op == NE:
        return x != y
    if op == GT:
        return x > y
    if op == GE:
        return x >= y
    if op == LT:
        return x < y
    if op == LE:
        return x <= y
    if op == AND:
        return (x != 0) & (y != 0)
    if op == OR:
        return (x != 0) | (y != 0)
    return (x != 0) ^ (y != 0)              # XOR


# -- the three row loops: vector-vector, vector-scalar, scalar-vector -----------------------------
# The hot ops get one loop each, written out so that the compiler vectorises it; the rest share
# the generic ``_apply`` loop.
cdef void _vv(int op, real* o, const real* a, const real* b, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    if op == ADD:
        for i in range(n):
            o[i] = a[i] + b[i]
    elif op == SUB:
        for i in range(n):
            o[i] = a[i] - b[i]
    elif op == MUL:
        for i in range(n):
            o[i] = a[i] * b[i]
    elif op == DIV:
        for i in range(n):
            o[i] = a[i] / b[i]
    elif op == EQ:
        for i in range(n):
            o[i] = a[i] == b[i]
    elif op == NE:
        for i in range(n):
            o[i] = a[i] != b[i]
    elif op == GT:
        for i in range(n):
            o[i] = a[i] > b[i]
    elif op == GE:
        for i in range(n):
            o[i] = a[i] >= b[i]
    elif op == LT:
        for i in range(n):
            o[i] = a[i] < b[i]
    elif op == LE:
        for i in range(n):
            o[i] = a[i] <= b[i]
    else:
        for i in range(n):
            o[i] = _apply(op, a[i], b[i])


cdef void _vs(int op, real* o, const real* a, real s, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    if op == ADD:
        for i in range(n):
            o[i] = a[i] + s
    elif op == SUB:
        for i in range(n):
            o[i] = a[i] - s
    elif op == MUL:
        for i in range(n):
            o[i] = a[i] * s
    elif op == DIV:
        for i in range(n):
            o[i] = a[i] / s
    elif op == GT:
        for i in range(n):
            o[i] = a[i] > s
    elif op == LT:
        for i in range(n):
            o[i] = a[i] < s
    else:
        for i in range(n):
            o[i] = _apply(op, a[i], s)


cdef void _sv(int op, real* o, real s, const real* b, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    if op == ADD:
        for i in range(n):
            o[i] = s + b[i]
    elif op == SUB:
        for i in range(n):
            o[i] = s - b[i]
    elif op == MUL:
        for i in range(n):
            o[i] = s * b[i]
    elif op == DIV:
        for i in range(n):
            o[i] = s / b[i]
    else:
        for i in range(n):
            o[i] = _apply(op, s, b[i])


# -- broadcasting driver ---------------------------------------------------------------------------
cdef int _collapse(int nd, const cnp.npy_intp* so, int nda, const cnp.npy_intp* sha, int ndb,
                   const cnp.npy_intp* shb, Py_ssize_t* shape, Py_ssize_t* sa,
                   Py_ssize_t* sb) noexcept nogil:
    """Merge the output's axes into the fewest loops; return their number.

    Axes of size 1 are dropped. Neighbouring axes merge when each input treats them alike
    (both present or both broadcast). ``sa``/``sb`` get each input's element stride per loop,
    0 on broadcast loops.
    """
    cdef int i, k = 0
    cdef bint ba, bb
    cdef bint bcast_a[MAX_NDIM]
    cdef bint bcast_b[MAX_NDIM]
    cdef Py_ssize_t acc_a = 1, acc_b = 1
    for i in range(nd):
        if so[i] == 1:
            continue
        ba = i < nd - nda or sha[i - (nd - nda)] == 1
        bb = i < nd - ndb or shb[i - (nd - ndb)] == 1
        if k > 0 and ba == bcast_a[k - 1] and bb == bcast_b[k - 1]:
            shape[k - 1] *= so[i]
        else:
            shape[k] = so[i]
            bcast_a[k] = ba
            bcast_b[k] = bb
            k += 1
    for i in range(k - 1, -1, -1):          # contiguous inputs: strides are suffix products
        sa[i] = 0 if bcast_a[i] else acc_a
        sb[i] = 0 if bcast_b[i] else acc_b
        if not bcast_a[i]:
            acc_a *= shape[i]
        if not bcast_b[i]:
            acc_b *= shape[i]
    return k


cdef void _rows(int op, real* o, const real* a, const real* b, int k, const Py_ssize_t* shape,
                const Py_ssize_t* sa, const Py_ssize_t* sb, Py_ssize_t r0, Py_ssize_t r1,
                Py_ssize_t c0, Py_ssize_t c1) noexcept nogil:
    """Rows ``r0..r1`` (columns ``c0..c1`` of each) of a collapsed broadcast; ``k >= 1`` loops."""
    cdef Py_ssize_t idx[MAX_NDIM]
    cdef Py_ssize_t r, rem, oa = 0, ob = 0, inner = shape[k - 1]
    cdef Py_ssize_t ia = sa[k - 1], ib = sb[k - 1], n = c1 - c0
    cdef int j
    rem = r0                                # the odometer starts at row r0
    for j in range(k - 2, -1, -1):
        idx[j] = rem % shape[j]
        rem //= shape[j]
        oa += idx[j] * sa[j]
        ob += idx[j] * sb[j]
    for r in range(r0, r1):
        if ia and ib:
            _vv(op, o + r * inner + c0, a + oa + c0, b + ob + c0, n)
        elif ia:
            _vs(op, o + r * inner + c0, a + oa + c0, b[ob], n)
        else:
            _sv(op, o + r * inner + c0, a[oa], b + ob + c0, n)
        j = k - 2                           # advance the odometer, carrying into outer loops
        while j >= 0:
            idx[j] += 1
            oa += sa[j]
            ob += sb[j]
            if idx[j] < shape[j]:
                break
            oa -= sa[j] * shape[j]
            ob -= sb[j] * shape[j]
            idx[j] = 0
            j -= 1


cdef void _broadcast(int op, real* o, const real* a, const real* b, int k,
                     const Py_ssize_t* shape, const Py_ssize_t* sa, const Py_ssize_t* sb,
                     int nthreads) noexcept nogil:
    cdef Py_ssize_t rows = 1, inner = shape[k - 1], blocks, pieces, step, t, lo, hi
    cdef int j
    for j in range(k - 1):
        rows *= shape[j]
    if nthreads <= 1:
        _rows(op, o, a, b, k, shape, sa, sb, 0, rows, 0, inner)
    elif rows >= nthreads:                  # many rows: each thread takes a band of whole rows
        step = (rows + nthreads - 1) // nthreads
        for t in prange(nthreads, num_threads=nthreads, schedule="static"):
            lo = t * step
            hi = min(lo + step, rows)
            if lo < hi:
                _rows(op, o, a, b, k, shape, sa, sb, lo, hi, 0, inner)
    else:                                   # few long rows: each row is cut into pieces
        pieces = (nthreads + rows - 1) // rows
        step = ((inner + pieces - 1) // pieces + 15) // 16 * 16    # whole vectors per piece
        blocks = rows * pieces
        for t in prange(blocks, num_threads=nthreads, schedule="static"):
            lo = (t % pieces) * step
            hi = min(lo + step, inner)
            if lo < hi:
                _rows(op, o, a, b, k, shape, sa, sb, t // pieces, t // pieces + 1, lo, hi)


# -- checks done with the GIL ----------------------------------------------------------------------
cdef int float_type(object x, bint writable):
    """NPY_FLOAT32/NPY_FLOAT64 for an aligned C-contiguous float array, else -1 (use numpy)."""
    if type(x) is not cnp.ndarray:
        return -1
    cdef cnp.ndarray arr = <cnp.ndarray>x
    if not (cnp.PyArray_ISCARRAY(arr) if writable else cnp.PyArray_ISCARRAY_RO(arr)):
        return -1
    cdef int t = cnp.PyArray_TYPE(arr)
    return t if t == cnp.NPY_FLOAT32 or t == cnp.NPY_FLOAT64 else -1


cdef bint clashes(cnp.ndarray x, cnp.ndarray out):
    """True when ``out`` overlaps ``x`` other than exactly (an exact alias is safe elementwise)."""
    cdef char* px = <char*>cnp.PyArray_DATA(x)
    cdef char* po = <char*>cnp.PyArray_DATA(out)
    cdef cnp.npy_intp nx = cnp.PyArray_NBYTES(x), no = cnp.PyArray_NBYTES(out)
    if px + nx <= po or po + no <= px or nx == 0 or no == 0:
        return False
    return not (px == po and nx == no)


cdef int threads_for(Py_ssize_t n):
    """OpenMP threads for n elements: 1 below PARALLEL_MIN, then at least 32K elements each."""
    if n < _PAR_MIN:
        return 1
    return max(1, min(<int>kernel_threads(), <int>(n // (_PAR_MIN // 2))))


cdef void _binary(int op, object ins, object outs, str name) except *:
    """One broadcasting op: check and collapse with the GIL, then loop without it."""
    a, b, out = ins[0], ins[1], outs[0]
    cdef int t = float_type(out, True)
    if (t < 0 or float_type(a, False) != t or float_type(b, False) != t
            or clashes(a, out) or clashes(b, out)):
        _REF[name](ins, outs, None)
        return
    cdef cnp.ndarray ca = a, cb = b, co = out
    cdef Py_ssize_t n = cnp.PyArray_SIZE(co)
    cdef Py_ssize_t shape[MAX_NDIM]
    cdef Py_ssize_t sa[MAX_NDIM]
    cdef Py_ssize_t sb[MAX_NDIM]
    cdef int k, nthreads = threads_for(n)
    if n == 0:
        return
    if cnp.PyArray_NDIM(co) > MAX_NDIM:
        _REF[name](ins, outs, None)
        return
    k = _collapse(cnp.PyArray_NDIM(co), cnp.PyArray_DIMS(co), cnp.PyArray_NDIM(ca),
                  cnp.PyArray_DIMS(ca), cnp.PyArray_NDIM(cb), cnp.PyArray_DIMS(cb), shape, sa, sb)
    if k == 0:                              # every axis has size 1: one element
        k, shape[0], sa[0], sb[0] = 1, 1, 1, 1
    with nogil:
        if t == cnp.NPY_FLOAT32:
            _broadcast(op, <float*>cnp.PyArray_DATA(co), <const float*>cnp.PyArray_DATA(ca),
                       <const float*>cnp.PyArray_DATA(cb), k, shape, sa, sb, nthreads)
        else:
            _broadcast(op, <double*>cnp.PyArray_DATA(co), <const double*>cnp.PyArray_DATA(ca),
                       <const double*>cnp.PyArray_DATA(cb), k, shape, sa, sb, nthreads)


cdef void _scalar(int op, bint reflected, object ins, object outs, object attrs,
                  str name) except *:
    """``op(data, scalar)`` (``op(scalar, data)`` when reflected) over a flat array."""
    a, out = ins[0], outs[0]
    cdef int t = float_type(out, True)
    if t < 0 or float_type(a, False) != t or clashes(a, out):
        _REF[name](ins, outs, attrs)
        return
    cdef double s = attrs["scalar"]
    cdef Py_ssize_t n = cnp.PyArray_SIZE(<cnp.ndarray>out)
    cdef Py_ssize_t shape[1]
    cdef Py_ssize_t sa[1]
    cdef Py_ssize_t sb[1]
    cdef int nthreads = threads_for(n)
    cdef void* po = cnp.PyArray_DATA(<cnp.ndarray>out)
    cdef void* pa = cnp.PyArray_DATA(<cnp.ndarray>a)
    cdef float sf = <float>s
    if n == 0:
        return
    # One row of n elements; the scalar is an input of stride 0, so _broadcast does the rest.
    shape[0] = n
    sa[0] = 0 if reflected else 1
    sb[0] = 1 if reflected else 0
    with nogil:
        if t == cnp.NPY_FLOAT32:
            if reflected:
                _broadcast(op, <float*>po, &sf, <const float*>pa, 1, shape, sa, sb, nthreads)
            else:
                _broadcast(op, <float*>po, <const float*>pa, &sf, 1, shape, sa, sb, nthreads)
        else:
            if reflected:
                _broadcast(op, <double*>po, &s, <const double*>pa, 1, shape, sa, sb, nthreads)
            else:
                _broadcast(op, <double*>po, <const double*>pa, &s, 1, shape, sa, sb, nthreads)


# -- the kernel table ------------------------------------------------------------------------------
cdef class BinaryKernel:
    """``kernel(ins, outs, attrs)``: broadcasting op ``op``; ``name`` is its reference kernel."""
    cdef int op
    cdef str name

    def __init__(self, int op, str name):
        self.op, self.name = op, name

    def __call__(self, ins, outs, attrs):
        _binary(self.op, ins, outs, self.name)


cdef class ScalarKernel:
    """``kernel(ins, outs, attrs)``: ``op(data, scalar)``, or ``op(scalar, data)`` if reflected."""
    cdef int op
    cdef bint reflected
    cdef str name

    def __init__(self, int op, bint reflected, str name):
        self.op, self.reflected, self.name = op, reflected, name

    def __call__(self, ins, outs, attrs):
        _scalar(self.op, self.reflected, ins, outs, attrs, self.name)


KERNELS = {
    "broadcast_add": BinaryKernel(ADD, "broadcast_add"),
    "broadcast_sub": BinaryKernel(SUB, "broadcast_sub"),
    "broadcast_mul": BinaryKernel(MUL, "broadcast_mul"),
    "broadcast_div": BinaryKernel(DIV, "broadcast_div"),
    "broadcast_maximum": BinaryKernel(MAXIMUM, "broadcast_maximum"),
    "broadcast_minimum": BinaryKernel(MINIMUM, "broadcast_minimum"),
    "broadcast_power": BinaryKernel(POWER, "broadcast_power"),
    "broadcast_hypot": BinaryKernel(HYPOT, "broadcast_hypot"),
    "broadcast_equal": BinaryKernel(EQ, "broadcast_equal"),
    "broadcast_not_equal": BinaryKernel(NE, "broadcast_not_equal"),
    "broadcast_greater": BinaryKernel(GT, "broadcast_greater"),
    "broadcast_greater_equal": BinaryKernel(GE, "broadcast_greater_equal"),
    "broadcast_lesser": BinaryKernel(LT, "broadcast_lesser"),
    "broadcast_lesser_equal": BinaryKernel(LE, "broadcast_lesser_equal"),
    "broadcast_logical_and": BinaryKernel(AND, "broadcast_logical_and"),
    "broadcast_logical_or": BinaryKernel(OR, "broadcast_logical_or"),
    "broadcast_logical_xor": BinaryKernel(XOR, "broadcast_logical_xor"),
    "_plus_scalar": ScalarKernel(ADD, False, "_plus_scalar"),
    "_minus_scalar": ScalarKernel(SUB, False, "_minus_scalar"),
    "_rminus_scalar": ScalarKernel(SUB, True, "_rminus_scalar"),
    "_mul_scalar": ScalarKernel(MUL, False, "_mul_scalar"),
    "_div_scalar": ScalarKernel(DIV, False, "_div_scalar"),
    "_rdiv_scalar": ScalarKernel(DIV, True, "_rdiv_scalar"),
    "_power_scalar": ScalarKernel(POWER, False, "_power_scalar"),
    "_rpower_scalar": ScalarKernel(POWER, True, "_rpower_scalar"),
    "_maximum_scalar": ScalarKernel(MAXIMUM, False, "_maximum_scalar"),
    "_minimum_scalar": ScalarKernel(MINIMUM, False, "_minimum_scalar"),
    "_hypot_scalar": ScalarKernel(HYPOT, False, "_hypot_scalar"),
    "_equal_scalar": ScalarKernel(EQ, False, "_equal_scalar"),
    "_not_equal_scalar": ScalarKernel(NE, False, "_not_equal_scalar"),
    "_greater_scalar": ScalarKernel(GT, False, "_greater_scalar"),
    "_greater_equal_scalar": ScalarKernel(GE, False, "_greater_equal_scalar"),
    "_lesser_scalar": ScalarKernel(LT, False, "_lesser_scalar"),
    "_lesser_equal_scalar": ScalarKernel(LE, False, "_lesser_equal_scalar"),
}
