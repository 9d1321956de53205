"""Cython kernels of the optim family: the mixed-precision updates (``mp_*``).

A float16 weight is updated through a float32 master copy ``weight32``; the naive loop
(``reference/optim.py``) converts the float16 gradient to a float32 array, updates ``weight32``
and the states, then rounds ``weight32`` into a float16 copy::

    for i in range(n):
        g = float(grad[i])                             # float16 -> float32, exact
        weight32[i] = (1 - lr * wd) * weight32[i] - lr * clip(rescale_grad * g)
        weight[i] = float16(weight32[i])               # rounded to nearest even

Optimisations: as in ``optim.pyx`` (one fused pass, MXNet's order of operations, one piece per
thread above ``PARALLEL_MIN`` elements), and float16, which has no C type, is handled as its bits
(``uint16``): ``half_to_float`` and ``float_to_half`` convert in registers, inside the pass, with a
few integer operations, where the naive loop makes two extra passes over memory for ``astype``.

float16 gradients and outputs with float32 states run here; everything else (MXNet also allows
float32 weights here) falls back to the reference.
"""
cimport numpy as cnp
from cython.parallel cimport prange
from libc.stdint cimport uint16_t, uint32_t
from libc.string cimport memcpy

from minimx._kernels.cpu.elemwise cimport clashes, float_type, threads_for
from minimx._kernels.cpu.optim import float32_params
from minimx._kernels.reference import optim as _ref

cnp.import_array()

__all__ = ["KERNELS"]


cdef inline float _clip(float x, float bound) noexcept nogil:
    """MXNet's clip (as in ``optim.pyx``)."""
    if x > bound:
        return bound
    if x < -bound:
        return -bound
    return x


cdef inline Py_ssize_t _piece(Py_ssize_t n, int nthreads) noexcept nogil:
    """Elements per thread, rounded up to 16 (as in ``optim.pyx``)."""
    return ((n + nthreads - 1) // nthreads + 15) // 16 * 16


cdef inline void* _ptr(object x):
    return cnp.PyArray_DATA(<cnp.ndarray>x)


# -- float16 <-> float32, bit by bit (F. Giesen's branch-light conversions) ------------------------
cdef inline float _as_float(uint32_t u) noexcept nogil:
    cdef float f
    memcpy(&f, &u, 4)          # the portable bit cast; compilers turn it into a register move
    return f


cdef inline uint32_t _as_bits(float f) noexcept nogil:
    cdef uint32_t u
    memcpy(&u, &f, 4)
    return u


cdef inline float half_to_float(uint16_t h) noexcept nogil:
    """float16 bits (1 sign, 5 exponent, 10 mantissa) to float32 (1, 8, 23), exactly."""
    cdef uint32_t o = (<uint32_t>(h & 0x7fff)) << 13    # exponent and mantissa in float32's place
    cdef uint32_t exponent = o & (0x1f << 23)
    o += 112 << 23                                         # rebias the exponent: 127 - 15
    if exponent == (0x1f << 23):                           # inf or NaN: exponent all ones
        o += 112 << 23
    elif exponent == 0:                                    # zero or subnormal: m * 2^-24 is
        o = _as_bits(_as_float(o + (1 << 23)) - _as_float(113 << 23))   # 2^-14 (1 + m/1024) - 2^-14
    return _as_float(o | ((<uint32_t>(h & 0x8000)) << 16))


cdef inline uint16_t float_to_half(float value) noexcept nogil:
    """float32 to float16 bits, rounded to nearest even (as numpy's ``astype``)."""
    cdef uint32_t f = _as_bits(value)
    cdef uint32_t sign = f & <uint32_t>0x80000000
    cdef uint32_t o
    f ^= sign
    if f >= (143 << 23):                     # |value| >= 2^16: inf, or NaN (kept quiet)
        o = 0x7e00 if f > (255 << 23) else 0x7c00
    elif f < (113 << 23):                    # below 2^-14: a float16 subnormal or zero. Adding 0.5
        # puts the 10 mantissa bits at the bottom of the float, and the FPU rounds to nearest even
        o = _as_bits(_as_float(f) + <float>0.5) - (126 << 23)
    else:                                    # normal: rebias, round (ties to even), take 16 bits
        o = (f - (112 << 23) + 0xfff + ((f >> 13) & 1)) >> 13
    return <uint16_t>(o | (sign >> 16))


# -- the loops: float16 grad and out, float32 master weight and states ----------------------------
cdef void _mp_sgd(const uint16_t* g, float* w32, uint16_t* out, Py_ssize_t n, float lr, float wd,
                  float rescale, float bound, int nthreads) noexcept nogil:
    cdef Py_ssize_t t, i, lo, hi, step = _piece(n, nthreads)
    cdef float w, decay = 1 - lr * wd
    for t in prange(nthreads, num_threads=nthreads, schedule="static", use_threads_if=nthreads > 1):
        lo = t * step
        hi = min(lo + step, n)
        for i in range(lo, hi):
            if bound >= 0:
                w = decay * w32[i] - lr * _clip(rescale * half_to_float(g[i]), bound)
            else:
                w = decay * w32[i] - (lr * rescale) * half_to_float(g[i])
            w32[i] = w
            out[i] = float_to_half(w)


cdef void _mp_sgd_mom(const uint16_t* g, float* mom, float* w32, uint16_t* out, Py_ssize_t n,
                      float lr, float momentum, float wd, float rescale, float bound,
                      bint nesterov, int nthreads) noexcept nogil:
    """mp_sgd_mom_update, or with ``nesterov`` mp_nag_mom_update (whose mom sees the new weight)."""
    cdef Py_ssize_t t, i, lo, hi, step = _piece(n, nthreads)
    cdef float w, m, gr, momentum1 = momentum + 1
    for t in prange(nthreads, num_threads=nthreads, schedule="static", use_threads_if=nthreads > 1):
        lo = t * step
        hi = min(lo + step, n)
        for i in range(lo, hi):
            gr = half_to_float(g[i])
            w = w32[i]
            if nesterov:
                gr = _clip(rescale * gr, bound) if bound >= 0 else rescale * gr
                m = momentum * mom[i]
                w = w - m + momentum1 * (m - lr * (gr + wd * w))
                m = m - lr * (gr + wd * w)
            elif bound >= 0:
                m = momentum * mom[i] - lr * wd * w - lr * _clip(rescale * gr, bound)
                w = w + m
            else:
                m = momentum * mom[i] - lr * wd * w - lr * rescale * gr
                w = w + m
            mom[i] = m
            w32[i] = w
            out[i] = float_to_half(w)


# -- the kernels: check with the GIL, then run without it ------------------------------------------
cdef bint _half(object x, bint writable):
    if type(x) is not cnp.ndarray:
        return False
    cdef cnp.ndarray arr = <cnp.ndarray>x
    return (cnp.PyArray_TYPE(arr) == cnp.NPY_FLOAT16
            and (cnp.PyArray_ISCARRAY(arr) if writable else cnp.PyArray_ISCARRAY_RO(arr)))


cdef bint _mp_args(object g, tuple states, object out):
    """float16 grad and out, float32 states, no partial overlaps: else the reference runs."""
    if not (_half(g, False) and _half(out, True)) or clashes(g, out):
        return False
    for x in states:
        if float_type(x, True) != cnp.NPY_FLOAT32 or clashes(x, out):
            return False
    return True


def mp_sgd_update(ins, outs, attrs):
    """The fused ``mp_sgd_update`` (its formula: ``reference/optim.py``)."""
    _, g, w32 = ins
    out = outs[0]
    if not _mp_args(g, (w32,), out):
        return _ref.mp_sgd_update(ins, outs, attrs)
    cdef double lr, wd, rescale, bound
    lr, wd, rescale, bound = float32_params(attrs, "lr", "wd", "rescale_grad", "clip_gradient")
    cdef Py_ssize_t n = out.size
    cdef int nthreads = threads_for(n)
    cdef void* pg = _ptr(g)
    cdef void* pw = _ptr(w32)
    cdef void* po = _ptr(out)
    with nogil:
        _mp_sgd(<uint16_t*>pg, <float*>pw, <uint16_t*>po, n, lr, wd, rescale, bound, nthreads)


def _mp_momentum_kernel(bint nesterov):
    reference = _ref.mp_nag_mom_update if nesterov else _ref.mp_sgd_mom_update

    def kernel(ins, outs, attrs):
        """The fused ``mp_nag_mom_update`` or ``mp_sgd_mom_update``."""
        _, g, mom, w32 = ins
        out = outs[0]
        if not _mp_args(g, (mom, w32), out):
            return reference(ins, outs, attrs)
        cdef double lr, momentum, wd, rescale, bound
        lr, momentum, wd, rescale, bound = float32_params(
            attrs, "lr", "momentum", "wd", "rescale_grad", "clip_gradient")
        cdef Py_ssize_t n = out.size
        cdef int nthreads = threads_for(n)
        cdef void* pg = _ptr(g)
        cdef void* pm = _ptr(mom)
        cdef void* pw = _ptr(w32)
        cdef void* po = _ptr(out)
        with nogil:
            _mp_sgd_mom(<uint16_t*>pg, <float*>pm, <float*>pw, <uint16_t*>po, n, lr, momentum, wd,
                        rescale, bound, nesterov, nthreads)
    return kernel


KERNELS = {
    "mp_sgd_update": mp_sgd_update,
    "mp_sgd_mom_update": _mp_momentum_kernel(False),
    "mp_nag_mom_update": _mp_momentum_kernel(True),
}
