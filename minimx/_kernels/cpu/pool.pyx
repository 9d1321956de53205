"""Cython kernels of the pool family: ``Pooling`` (max, avg, sum, lp; 1-d, 2-d and 3-d).

The naive loop, for every plane ``(n, c)`` and every output position ``(od, oh, ow)``::

    window = input positions [o * stride - pad, o * stride - pad + kernel) on each axis,
             cut to the input (padding never enters a max; it adds 0 to a sum)
    out[n, c, od, oh, ow] = reduce(x[n, c, d, h, w] for (d, h, w) in window)

with ``avg`` dividing by the window size counted up to the padded edge (``count_include_pad``,
the default) or by the number of real elements, and ``lp`` taking ``(sum x^p)^(1/p)``.
``_kernels/reference/pool.py`` is the spec (including MXNet's rules for all-padding windows).

Optimisations:

1. 1-d and 2-d pooling are 3-d pooling with unit axes: one loop nest serves all three.
2. The window is cut to the input once per output, so the inner loops have no bounds tests and
   walk a contiguous input row.
3. Sums accumulate in a C double (MXNet accumulates in the data type; results agree to rounding).
4. ``_backward_Pooling`` walks the same windows and scatters each output's gradient back onto
   them (to the first element equal to the output, for max).
5. Threads: ``prange`` over the ``N * C`` planes (each thread writes its own planes, so there is
   nothing to synchronise), with ``num_threads=kernel_threads()``, for inputs of at least
   ``PARALLEL_MIN`` elements.
"""
import numpy as np

from cython cimport floating
from cython.parallel cimport prange
from libc.float cimport DBL_MAX, FLT_MAX
from libc.math cimport cbrt, sqrt

from minimx.threads import budget, kernel_threads

from ..reference.pool import KERNELS as REFERENCE, geometry

__all__ = ["KERNELS"]

cdef enum PoolType:
    MAX, AVG, SUM, LP

_TYPES = {"max": MAX, "avg": AVG, "sum": SUM, "lp": LP}
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
PARALLEL_MIN = 1 << 15    # smaller inputs run on one thread (waking OpenMP threads costs us)

# Geometry, as 3-d: input plane (D, H, W), output plane (OD, OH, OW), kernel, stride, pad.
cdef struct Geom:
    Py_ssize_t D, H, W, OD, OH, OW, kd, kh, kw, sd, sh, sw, pd, ph, pw


cdef inline Py_ssize_t _min(Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    return a if a < b else b


cdef inline Py_ssize_t _max(Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    return a if a > b else b


cdef void _plane(const floating* x, floating* y, Geom g, int ptype, int p,
                 bint include_pad) noexcept nogil:
    """Pool one ``(D, H, W)`` plane ``x`` into the ``(OD, OH, OW)`` plane ``y``."""
    cdef Py_ssize_t od, oh, ow, d, h, w, d0, d1, h0, h1, w0, w1, pd1, ph1, pw1
    cdef double acc, size, v
    cdef floating m, lowest
    cdef const floating* row
    lowest = -FLT_MAX if floating is float else -DBL_MAX
    for od in range(g.OD):
        d0 = od * g.sd - g.pd
        pd1 = _min(d0 + g.kd, g.D + g.pd)      # window end counted up to the padded edge
        d1 = _min(pd1, g.D)
        for oh in range(g.OH):
            h0 = oh * g.sh - g.ph
            ph1 = _min(h0 + g.kh, g.H + g.ph)
            h1 = _min(ph1, g.H)
            for ow in range(g.OW):
                w0 = ow * g.sw - g.pw
                pw1 = _min(w0 + g.kw, g.W + g.pw)
                w1 = _min(pw1, g.W)
                if include_pad:
                    size = <double>((pd1 - d0) * (ph1 - h0) * (pw1 - w0))
                else:
                    size = <double>((d1 - _max(d0, 0)) * (h1 - _max(h0, 0)) * (w1 - _max(w0, 0)))
                if ptype == MAX:
                    m = lowest
                    for d in range(_max(d0, 0), d1):
                        for h in range(_max(h0, 0), h1):
                            row = x + (d * g.H + h) * g.W
                            for w in range(_max(w0, 0), w1):
                                if row[w] > m:
                                    m = row[w]
                    y[(od * g.OH + oh) * g.OW + ow] = m
                    continue
                acc = 0.0
                for d in range(_max(d0, 0), d1):
                    for h in range(_max(h0, 0), h1):
                        row = x + (d * g.H + h) * g.W
                        if ptype == LP and p == 2:
                            for w in range(_max(w0, 0), w1):
                                acc += <double>row[w] * row[w]
                        elif ptype == LP and p == 3:
                            for w in range(_max(w0, 0), w1):
                                v = row[w]
                                acc += v * v * v
                        else:
                            for w in range(_max(w0, 0), w1):
                                acc += row[w]
                if ptype == AVG:
                    acc = acc / size if size > 0 else 0.0
                elif ptype == LP and p == 2:
                    acc = sqrt(acc)
                elif ptype == LP and p == 3:
                    acc = cbrt(acc)
                y[(od * g.OH + oh) * g.OW + ow] = <floating>acc


def _pool(const floating[::1] x, floating[::1] y, Py_ssize_t planes, Py_ssize_t[::1] v,
          int ptype, int p, bint include_pad, int nthreads):
    cdef Geom g
    g.D, g.H, g.W, g.OD, g.OH, g.OW = v[0], v[1], v[2], v[3], v[4], v[5]
    g.kd, g.kh, g.kw, g.sd, g.sh, g.sw, g.pd, g.ph, g.pw = (v[6], v[7], v[8], v[9], v[10],
                                                            v[11], v[12], v[13], v[14])
    cdef Py_ssize_t i, n_in = g.D * g.H * g.W, n_out = g.OD * g.OH * g.OW
    if planes == 0 or n_out == 0:
        return
    with nogil:
        if nthreads > 1:
            for i in prange(planes, num_threads=nthreads, schedule="static"):
                _plane(&x[i * n_in], &y[i * n_out], g, ptype, p, include_pad)
        else:
            for i in range(planes):
                _plane(&x[i * n_in], &y[i * n_out], g, ptype, p, include_pad)


cdef void _plane_grad(const floating* og, const floating* x, const floating* y, floating* dx,
                      Geom g, int ptype, int p, bint include_pad) noexcept nogil:
    """Scatter one plane's output gradient ``og`` back onto its input gradient ``dx``."""
    cdef Py_ssize_t od, oh, ow, d, h, w, d0, d1, h0, h1, w0, w1, pd1, ph1, pw1, o
    cdef double size, grad, out
    cdef floating* row
    cdef const floating* xrow
    cdef bint found
    for d in range(g.D * g.H * g.W):
        dx[d] = 0
    for od in range(g.OD):
        d0 = od * g.sd - g.pd
        pd1 = _min(d0 + g.kd, g.D + g.pd)
        d1 = _min(pd1, g.D)
        for oh in range(g.OH):
            h0 = oh * g.sh - g.ph
            ph1 = _min(h0 + g.kh, g.H + g.ph)
            h1 = _min(ph1, g.H)
            for ow in range(g.OW):
                w0 = ow * g.sw - g.pw
                pw1 = _min(w0 + g.kw, g.W + g.pw)
                w1 = _min(pw1, g.W)
                o = (od * g.OH + oh) * g.OW + ow
                grad = og[o]
                out = y[o]
                if ptype == MAX:
                    # The first element equal to the output takes all of the gradient (MXNet).
                    found = False
                    for d in range(_max(d0, 0), d1):
                        for h in range(_max(h0, 0), h1):
                            xrow = x + (d * g.H + h) * g.W
                            for w in range(_max(w0, 0), w1):
                                if xrow[w] == out:
                                    dx[(d * g.H + h) * g.W + w] += <floating>grad
                                    found = True
                                    break
                            if found:
                                break
                        if found:
                            break
                    continue
                if ptype == AVG:
                    if include_pad:
                        size = <double>((pd1 - d0) * (ph1 - h0) * (pw1 - w0))
                    else:
                        size = <double>((d1 - _max(d0, 0)) * (h1 - _max(h0, 0))
                                        * (w1 - _max(w0, 0)))
                    grad = grad / size if size > 0 else 0.0
                for d in range(_max(d0, 0), d1):
                    for h in range(_max(h0, 0), h1):
                        row = dx + (d * g.H + h) * g.W
                        xrow = x + (d * g.H + h) * g.W
                        if ptype == LP and p == 2:
                            for w in range(_max(w0, 0), w1):
                                row[w] += <floating>(grad * xrow[w] / out)
                        elif ptype == LP and p == 3:
                            for w in range(_max(w0, 0), w1):
                                row[w] += <floating>(grad * xrow[w] * xrow[w] / (out * out))
                        else:
                            for w in range(_max(w0, 0), w1):
                                row[w] += <floating>grad


def _pool_grad(const floating[::1] og, const floating[::1] x, const floating[::1] y,
               floating[::1] dx, Py_ssize_t planes, Py_ssize_t[::1] v, int ptype, int p,
               bint include_pad, int nthreads):
    cdef Geom g
    g.D, g.H, g.W, g.OD, g.OH, g.OW = v[0], v[1], v[2], v[3], v[4], v[5]
    g.kd, g.kh, g.kw, g.sd, g.sh, g.sw, g.pd, g.ph, g.pw = (v[6], v[7], v[8], v[9], v[10],
                                                            v[11], v[12], v[13], v[14])
    cdef Py_ssize_t i, n_in = g.D * g.H * g.W, n_out = g.OD * g.OH * g.OW
    if planes == 0 or n_out == 0:
        return
    # Each plane's gradient is written by one thread only: planes run in parallel safely.
    with nogil:
        if nthreads > 1:
            for i in prange(planes, num_threads=nthreads, schedule="static"):
                _plane_grad(&og[i * n_out], &x[i * n_in], &y[i * n_out], &dx[i * n_in], g,
                            ptype, p, include_pad)
        else:
            for i in range(planes):
                _plane_grad(&og[i * n_out], &x[i * n_in], &y[i * n_out], &dx[i * n_in], g,
                            ptype, p, include_pad)


def _as3d(values, fill):
    return (fill,) * (3 - len(values)) + tuple(values)


def _setup(attrs, data, out):
    """The 3-d geometry array, the number of planes and the threads for one call."""
    kernel, stride, pad = geometry(attrs, data.shape)
    geom = np.array(_as3d(data.shape[2:], 1) + _as3d(out.shape[2:], 1) + _as3d(kernel, 1)
                    + _as3d(stride, 1) + _as3d(pad, 0), dtype=np.intp)
    planes = data.shape[0] * data.shape[1]
    nthreads = min(kernel_threads(), budget.total, planes) if data.size >= PARALLEL_MIN else 1
    return geom, planes, nthreads


def pooling(ins, outs, attrs):
    data, out = ins[0], outs[0]
    if data.dtype not in _FLOATS:
        return REFERENCE["Pooling"](ins, outs, attrs)
    geom, planes, nthreads = _setup(attrs, data, out)
    _pool(data.reshape(-1), out.reshape(-1), planes, geom, _TYPES[attrs["pool_type"]],
          attrs["p_value"] or 1, attrs["count_include_pad"] in (None, True), nthreads)


def backward_pooling(ins, outs, attrs):
    """``ins = (ograd, data, out)``, ``outs = (data_grad,)``; attrs are Pooling's."""
    ograd, data, out = ins
    dx = outs[0]
    if data.dtype not in _FLOATS or not (ograd.dtype == data.dtype == out.dtype):
        return REFERENCE["_backward_Pooling"](ins, outs, attrs)
    geom, planes, nthreads = _setup(attrs, data, ograd)
    _pool_grad(ograd.reshape(-1), data.reshape(-1), out.reshape(-1), dx.reshape(-1), planes,
               geom, _TYPES[attrs["pool_type"]], attrs["p_value"] or 1,
               attrs["count_include_pad"] in (None, True), nthreads)


KERNELS = {
    "Pooling": pooling,
    "_backward_Pooling": backward_pooling,
}
