"""Cython kernels of the elemwise family: unary math (the hot ops, and the special functions
numpy lacks).

The naive loop is ``out[i] = f(data[i])`` over the flat arrays (shapes do not matter). Then:

1. ``negative``, ``abs``, ``relu`` and ``square`` are loops the C compiler vectorises as written.
2. ``exp``, ``log``, ``sqrt``, ``tanh`` and ``sigmoid`` on more than ``_NUMPY_MIN`` elements call
   numpy's loops: numpy ships SIMD versions of these functions, which a C compiler produces only
   under ``-ffast-math`` (a loop over libm's ``expf`` is 3-7 times slower). Smaller arrays use libm,
   as MXNet does: the ``np.errstate`` that keeps numpy silent about overflow (MXNet is silent)
   costs microseconds.
3. ``erf``, ``erfinv``, ``gamma`` and ``gammaln`` use libm (erfinv: Giles' approximation refined by
   Newton steps), for every dtype: integers and float16 compute in float64 and float32 here, the
   precision MXNet computes them in, then are cast back.
4. Above ``PARALLEL_MIN`` elements the array is cut into one piece per thread for OpenMP's
   ``prange``; numpy's loops run in those threads too (numpy releases the GIL inside its loops, so
   each thread holds it only to start its piece).

float32 and float64 run here; other dtypes of the hot ops fall back to the numpy reference.
"""
cimport numpy as cnp
from cython.parallel cimport prange
from libc.math cimport (erf, erfc, erff, exp, expf, fabs, fabsf, log, logf, sqrt, sqrtf, tanh,
                        tanhf, tgamma, tgammaf, INFINITY, NAN)

import numpy as np

from minimx._kernels.cpu.elemwise cimport clashes, float_type, real, threads_for
from minimx._kernels.reference.elemwise import KERNELS as _REF

cnp.import_array()

cdef extern from "math.h" nogil:
    # The reentrant lgamma: plain lgamma writes the global ``signgam``, a data race under prange.
    double lgamma_r(double x, int* sign)
    float lgammaf_r(float x, int* sign)

__all__ = ["KERNELS"]

cdef enum UnaryOp:
    NEGATIVE, ABS, RELU, SQUARE, EXP, LOG, SQRT, TANH, SIGMOID, ERF, ERFINV, GAMMA, GAMMALN

cdef Py_ssize_t _NUMPY_MIN = 2048    # elements; from here EXP..SIGMOID use numpy's SIMD loops (2.)


cdef inline real _exp(real x) noexcept nogil:
    if real is float:
        return expf(x)
    else:
        return exp(x)


cdef double _erfinv(double y) noexcept nogil:
    """Giles' approximation of erfinv, then Newton steps on erf(x) = |y| (on erfc(x) = 1 - |y|
    near 1, which keeps full precision there); the same algorithm as the reference's."""
    cdef double a = fabs(y), w, p, x
    cdef int it
    if a >= 1:
        return (INFINITY if y > 0 else -INFINITY) if a == 1 else NAN
    if y != y:
        return y
    w = -log((1.0 - a) * (1.0 + a))
    if w < 5.0:
        w = w - 2.5
        p = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            p = c + p * w
    else:
        w = sqrt(w) - 3.0
        p = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            p = c + p * w
    x = p * a
    for it in range(3):                     # 1.128... = 2 / sqrt(pi), erf's slope at 0
        if a > 0.5:
            x = x - ((1.0 - a) - erfc(x)) / (1.1283791670955126 * exp(-x * x))
        else:
            x = x - (erf(x) - a) / (1.1283791670955126 * exp(-x * x))
    return x if y >= 0 else -x


cdef void _unary_loop(int op, real* o, const real* a, Py_ssize_t n) noexcept nogil:
    """``o[i] = op(a[i])`` for n elements, one loop per op."""
    cdef Py_ssize_t i
    cdef real one = 1, zero = 0
    cdef int sign
    if op == NEGATIVE:
        for i in range(n):
            o[i] = -a[i]
    elif op == ABS:
        for i in range(n):
            o[i] = fabsf(a[i]) if real is float else fabs(a[i])
    elif op == RELU:                        # MXNet: NaN passes through
        for i in range(n):
            o[i] = a[i] if (a[i] != a[i]) | (a[i] > zero) else zero
    elif op == SQUARE:
        for i in range(n):
            o[i] = a[i] * a[i]
    elif op == SQRT:
        for i in range(n):
            o[i] = sqrtf(a[i]) if real is float else sqrt(a[i])
    elif op == EXP:
        for i in range(n):
            o[i] = _exp(a[i])
    elif op == LOG:
        for i in range(n):
            o[i] = logf(a[i]) if real is float else log(a[i])
    elif op == TANH:
        for i in range(n):
            o[i] = tanhf(a[i]) if real is float else tanh(a[i])
    elif op == SIGMOID:
        for i in range(n):
            o[i] = one / (one + _exp(-a[i]))
    elif op == ERF:
        for i in range(n):
            o[i] = erff(a[i]) if real is float else erf(a[i])
    elif op == ERFINV:
        for i in range(n):
            o[i] = <real>_erfinv(a[i])
    elif op == GAMMA:
        for i in range(n):
            o[i] = tgammaf(a[i]) if real is float else tgamma(a[i])
    else:                                   # GAMMALN
        for i in range(n):
            o[i] = lgammaf_r(a[i], &sign) if real is float else lgamma_r(a[i], &sign)


cdef void _unary_run(int op, real* o, const real* a, Py_ssize_t n, int nthreads) noexcept nogil:
    cdef Py_ssize_t t, lo, hi, step
    if nthreads <= 1:
        _unary_loop(op, o, a, n)
        return
    step = ((n + nthreads - 1) // nthreads + 15) // 16 * 16
    for t in prange(nthreads, num_threads=nthreads, schedule="static"):
        lo = t * step
        hi = min(lo + step, n)
        if lo < hi:
            _unary_loop(op, o + lo, a + lo, hi - lo)


cdef void _unary(int op, object ins, object outs, str name) except *:
    """One unary op: choose the loop with the GIL (ours, numpy's or the reference), then run it."""
    a, out = ins[0], outs[0]
    cdef int t = float_type(out, True)
    if t < 0 or float_type(a, False) != t or clashes(a, out):
        if (op >= ERF and type(a) is cnp.ndarray and type(out) is cnp.ndarray
                and a.dtype != np.bool_):
            _special_via_float(op, a, out, name)     # the reference loops in Python here
        else:
            _REF[name](ins, outs, None)
        return
    cdef Py_ssize_t n = cnp.PyArray_SIZE(<cnp.ndarray>out)
    cdef int nthreads = threads_for(n)
    cdef void* po = cnp.PyArray_DATA(<cnp.ndarray>out)
    cdef void* pa = cnp.PyArray_DATA(<cnp.ndarray>a)
    if n >= _NUMPY_MIN and EXP <= op <= SIGMOID:
        _numpy_parallel(op, a.reshape(-1), out.reshape(-1), n, nthreads)
        return
    with nogil:
        if t == cnp.NPY_FLOAT32:
            _unary_run(op, <float*>po, <const float*>pa, n, nthreads)
        else:
            _unary_run(op, <double*>po, <const double*>pa, n, nthreads)


def _numpy_chunk(int op, x, out):
    """One op on 1-d views with numpy's SIMD loops."""
    with np.errstate(all="ignore"):
        if op == EXP:
            np.exp(x, out=out)
        elif op == LOG:
            np.log(x, out=out)
        elif op == SQRT:
            np.sqrt(x, out=out)
        elif op == TANH:
            np.tanh(x, out=out)
        else:                               # SIGMOID: 4 passes, in pieces that stay in cache
            for s in range(0, x.shape[0], 8192):
                o = out[s:s + 8192]
                np.negative(x[s:s + 8192], out=o)
                np.exp(o, out=o)
                np.add(o, 1, out=o)
                np.reciprocal(o, out=o)


cdef void _numpy_parallel(int op, object x, object out, Py_ssize_t n, int nthreads) except *:
    """``_numpy_chunk`` on ``nthreads`` slices at once: numpy releases the GIL inside its loops,
    so each OpenMP thread holds the GIL only to start its slice."""
    cdef Py_ssize_t t, lo, hi, step = ((n + nthreads - 1) // nthreads + 15) // 16 * 16
    if nthreads <= 1:
        _numpy_chunk(op, x, out)
        return
    with nogil:
        for t in prange(nthreads, num_threads=nthreads, schedule="static"):
            lo = t * step
            hi = min(lo + step, n)
            if lo < hi:
                with gil:
                    _numpy_chunk(op, x[lo:hi], out[lo:hi])


cdef void _special_via_float(int op, object a, object out, str name) except *:
    """erf, erfinv, gamma, gammaln of other dtypes: in float64 for integers, float32 for float16
    (MXNet's precision), through the float kernels, then cast back."""
    work = np.ascontiguousarray(a, np.float64 if a.dtype.kind in "iu" else np.float32)
    result = np.empty_like(work)
    _unary(op, (work,), (result,), name)
    with np.errstate(all="ignore"):
        np.copyto(out, result, casting="unsafe")


# -- the kernel table ------------------------------------------------------------------------------
cdef class UnaryKernel:
    """``kernel(ins, outs, attrs)``: the unary op ``op``; ``name`` is its reference kernel."""
    cdef int op
    cdef str name

    def __init__(self, int op, str name):
        self.op, self.name = op, name

    def __call__(self, ins, outs, attrs):
        _unary(self.op, ins, outs, self.name)


KERNELS = {
    "negative": UnaryKernel(NEGATIVE, "negative"),
    "abs": UnaryKernel(ABS, "abs"),
    "relu": UnaryKernel(RELU, "relu"),
    "square": UnaryKernel(SQUARE, "square"),
    "exp": UnaryKernel(EXP, "exp"),
    "log": UnaryKernel(LOG, "log"),
    "sqrt": UnaryKernel(SQRT, "sqrt"),
    "tanh": UnaryKernel(TANH, "tanh"),
    "sigmoid": UnaryKernel(SIGMOID, "sigmoid"),
    "erf": UnaryKernel(ERF, "erf"),
    "erfinv": UnaryKernel(ERFINV, "erfinv"),
    "gamma": UnaryKernel(GAMMA, "gamma"),
    "gammaln": UnaryKernel(GAMMALN, "gammaln"),
}
