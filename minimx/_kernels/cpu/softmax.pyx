"""Cython kernels of the softmax family: softmax, log_softmax, softmin, SoftmaxActivation, SoftmaxOutput.

Every op views its data as ``(outer, n, inner)`` with the softmax axis in the middle. The naive
loop, with ``s = -1`` for softmin and ``+1`` otherwise::

    for o in range(outer):
        for k in range(inner):
            m = max(s * x[o, j, k] for j in range(n))
            total = sum(exp((s * x[o, j, k] - m) / T) for j in range(n))
            for j in range(n):
                out[o, j, k] = exp((s * x[o, j, k] - m) / T) / total
                # log_softmax: (s * x[o, j, k] - m) / T - log(total)

Optimisations:

1. ``inner == 1`` (the last axis, the common case): each row is contiguous and is read in three
   passes in memory order: the max, then exp written to ``out`` while summing, then a scale.
2. ``inner > 1``: ``k`` is the innermost loop, so every pass runs along contiguous memory; the
   maxima and sums of a tile of 256 ``k`` live on the stack.
3. float32 ``exp`` is a polynomial that vectorises, in a few lines of C below, compiled for AVX2
   (8 lanes) and for the baseline (4 lanes, SSE2). glibc's ``expf`` is a scalar call and was the
   bottleneck: exp of 4M floats took 19 ms with it, 2.7 ms with this (numpy: 11 ms).
4. ``prange`` over rows (or over (row, tile) pairs), with the thread budget's
   ``kernel_threads()`` threads, when there is enough work to pay for waking them.
5. Sums accumulate in float64.

A row whose sum is NaN (it holds a NaN, or a +inf, or only -inf) goes through ``_nonfinite_row``,
a scalar pass with MXNet 1.9.1's answer (its default float32 kernel, oneDNN's): the max ignores
NaN, entries whose ``x - max`` is NaN are NaN, the others are 0 (log_softmax: ``x - max`` minus
the log of the dtype's largest value, which each NaN entry adds to the sum there). See
``reference/nn.py``'s ``softmax_along``.

The backward kernels (``_backward_softmax``: ``dx = y * (g - sum(g * y)) / T``;
``_backward_log_softmax``: ``dx = (g - e^y * sum(g)) / T``) use the same view and the same two
layouts: a float64 sum along the row (or a tile of column sums), then one elementwise pass.

float16 data, a ``dtype`` that differs from the input's, and row lengths along an axis other than
the last fall back to the numpy reference (``reference/nn.py``), which is also the spec these
kernels are tested against.
"""
from cython.parallel cimport prange
from libc.math cimport exp, log, INFINITY
from libc.float cimport FLT_MAX, DBL_MAX
from libc.stdint cimport int64_t
from cython cimport floating

import numpy as np

from minimx.threads import kernel_threads

from ..reference import nn as _reference

__all__ = ["KERNELS"]

cdef enum:
    TILE = 256              # inner positions handled together when the axis is not the last
    PARALLEL_MIN = 32768    # below this many elements one thread beats waking several


# Why C: GCC vectorises these loops only when it may execute both arms of a select
# (no-trapping-math) and reorder a sum or max (an OpenMP simd reduction); Cython cannot ask
# for either. Everything else in this file is Cython.
cdef extern from *:
    """
    #if defined(__GNUC__) && !defined(__clang__)
    #pragma GCC push_options
    #pragma GCC optimize("no-trapping-math")
    #endif
    #include <stdint.h>
    #include <string.h>

    /* Each loop below is compiled twice, for AVX2+FMA and for the baseline, and the loader picks
       one for the machine it runs on (GCC's target_clones; elsewhere the baseline only). */
    #if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11 && defined(__x86_64__) \
        && defined(__linux__)
    #define MINIMX_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
    #else
    #define MINIMX_CLONES
    #endif

    /* e^x in float32 within 1 ulp (Cephes' expf): x = n ln2 + r with |r| <= ln2 / 2, so
       e^x = 2^n e^r, e^r by a polynomial and 2^n built from its exponent bits. Results below
       2^-126 (x < -87) flush to 0, arguments above 88.37 saturate (softmax only passes x <= 0),
       NaN stays NaN. */
    static inline float minimx_expf(float x) {
        float xc = x > -87.0f ? x : -87.0f;
        xc = xc < 88.37f ? xc : 88.37f;
        float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;   /* round(x/ln2) */
        float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;              /* ln2 in 2 parts */
        float p = 1.9875691500e-4f;
        p = p * r + 1.3981999507e-3f;
        p = p * r + 8.3334519073e-3f;
        p = p * r + 4.1665795894e-2f;
        p = p * r + 1.6666665459e-1f;
        p = p * r + 5.0000001201e-1f;
        p = p * r * r + r + 1.0f;
        int32_t bits = ((int32_t)n + 127) << 23;
        float two_n;
        memcpy(&two_n, &bits, sizeof two_n);
        float e = p * two_n;
        e = x < -87.0f ? 0.0f : e;
        return x != x ? x : e;
    }

    MINIMX_CLONES static float minimx_max_f32(const float* x, Py_ssize_t n, float sign) {
        float m = sign * x[0];
        #pragma omp simd reduction(max:m)
        for (Py_ssize_t j = 1; j < n; j++) m = m > sign * x[j] ? m : sign * x[j];
        return m;
    }

    /* y = exp((sign * x - m) * inv_t) along a row; returns the sum in float64. */
    MINIMX_CLONES static double minimx_exp_sum_f32(const float* x, float* y, Py_ssize_t n, float sign, float m,
                                     float inv_t) {
        double total = 0.0;
        #pragma omp simd reduction(+:total)
        for (Py_ssize_t j = 0; j < n; j++) {
            float e = minimx_expf((sign * x[j] - m) * inv_t);
            y[j] = e;
            total += e;
        }
        return total;
    }

    /* The same across a tile of columns, each with its own max m[j] and running sum total[j]. */
    MINIMX_CLONES static void minimx_exp_cols_f32(const float* x, float* y, Py_ssize_t n, float sign,
                                    const float* m, float inv_t, double* total) {
        #pragma omp simd
        for (Py_ssize_t j = 0; j < n; j++) {
            float e = minimx_expf((sign * x[j] - m[j]) * inv_t);
            y[j] = e;
            total[j] += e;
        }
    }
    #if defined(__GNUC__) && !defined(__clang__)
    #pragma GCC pop_options
    #endif
    """
    float minimx_max_f32(const float* x, Py_ssize_t n, float sign) noexcept nogil
    double minimx_exp_sum_f32(const float* x, float* y, Py_ssize_t n, float sign, float m,
                              float inv_t) noexcept nogil
    void minimx_exp_cols_f32(const float* x, float* y, Py_ssize_t n, float sign, const float* m,
                             float inv_t, double* total) noexcept nogil
    float minimx_expf(float x) noexcept nogil


cdef void _nonfinite_row(const floating* x, floating* y, Py_ssize_t n, Py_ssize_t stride,
                        floating sign, floating inv_t, bint log_out) noexcept nogil:
    """A row whose exp-sum is NaN, ``n`` entries ``stride`` apart: MXNet's answer (module doc)."""
    cdef Py_ssize_t j
    cdef floating m = -INFINITY
    cdef floating d, z
    cdef floating big = <floating>(log(FLT_MAX) if floating is float else log(DBL_MAX))
    for j in range(n):
        d = sign * x[j * stride]
        if d > m:           # false for NaN: the max ignores NaN
            m = d
    for j in range(n):
        z = (sign * x[j * stride] - m) * inv_t
        if z != z:
            y[j * stride] = z
        elif log_out:
            y[j * stride] = z - big
        else:
            y[j * stride] = 0


cdef void _row(const floating* x, floating* y, Py_ssize_t n, Py_ssize_t valid, floating sign,
               floating inv_t, bint log_out) noexcept nogil:
    """One contiguous row: ``y[:valid] = softmax(sign * x[:valid] / T)``, zeros after ``valid``."""
    cdef Py_ssize_t j
    cdef floating m, d, r
    cdef double total = 0.0
    if valid <= 0:
        for j in range(n):
            y[j] = 0
        return
    if floating is float:
        m = minimx_max_f32(x, valid, sign)
        total = minimx_exp_sum_f32(x, y, valid, sign, m, inv_t)
    else:
        m = sign * x[0]
        for j in range(1, valid):
            d = sign * x[j]
            if d > m:
                m = d
        for j in range(valid):
            d = exp((sign * x[j] - m) * inv_t)
            y[j] = d
            total += d
    if total != total:
        _nonfinite_row(x, y, valid, 1, sign, inv_t, log_out)
    elif log_out:
        r = <floating>log(total)
        for j in range(valid):
            y[j] = (sign * x[j] - m) * inv_t - r
    else:
        r = <floating>(1.0 / total)
        for j in range(valid):
            y[j] = y[j] * r
    for j in range(valid, n):
        y[j] = 0


cdef void _tile(const floating* x, floating* y, Py_ssize_t n, Py_ssize_t inner, Py_ssize_t k0,
                Py_ssize_t k1, floating sign, floating inv_t, bint log_out) noexcept nogil:
    """Columns ``k0:k1`` of one ``(n, inner)`` block, softmax down each column."""
    cdef floating m[TILE]
    cdef double total[TILE]
    cdef floating scale[TILE]
    cdef Py_ssize_t j, k, w = k1 - k0
    cdef const floating* xr = x + k0
    cdef floating* yr
    cdef floating d
    for k in range(w):
        m[k] = sign * xr[k]
        total[k] = 0.0
    for j in range(1, n):
        xr = x + j * inner + k0
        for k in range(w):
            d = sign * xr[k]
            m[k] = d if d > m[k] else m[k]
    for j in range(n):
        xr = x + j * inner + k0
        yr = y + j * inner + k0
        if floating is float:
            minimx_exp_cols_f32(xr, yr, w, sign, m, inv_t, total)
        else:
            for k in range(w):
                d = exp((sign * xr[k] - m[k]) * inv_t)
                yr[k] = d
                total[k] += d
    for k in range(w):
        scale[k] = <floating>(log(total[k]) if log_out else 1.0 / total[k])
    for j in range(n):
        xr = x + j * inner + k0
        yr = y + j * inner + k0
        if log_out:
            for k in range(w):
                yr[k] = (sign * xr[k] - m[k]) * inv_t - scale[k]
        else:
            for k in range(w):
                yr[k] = yr[k] * scale[k]
    for k in range(w):
        if total[k] != total[k]:
            _nonfinite_row(x + k0 + k, y + k0 + k, n, inner, sign, inv_t, log_out)


cdef void _softmax(const floating* x, floating* y, const int64_t* length, Py_ssize_t outer,
                   Py_ssize_t n, Py_ssize_t inner, floating sign, floating inv_t, bint log_out,
                   int nthreads) noexcept nogil:
    cdef Py_ssize_t o, t, tiles, valid, k0
    if inner == 1:
        for o in prange(outer, num_threads=nthreads, schedule="static"):
            valid = n
            if length != NULL:
                valid = length[o] if length[o] < n else n
            _row(x + o * n, y + o * n, n, valid, sign, inv_t, log_out)
    else:
        # Tiles of one outer block each, so that there is parallel work even when outer is 1.
        tiles = (inner + TILE - 1) // TILE
        for t in prange(outer * tiles, num_threads=nthreads, schedule="static"):
            o = t // tiles
            k0 = (t % tiles) * TILE
            _tile(x + o * n * inner, y + o * n * inner, n, inner, k0,
                  k0 + TILE if k0 + TILE < inner else inner, sign, inv_t, log_out)


def _softmax_flat(const floating[::1] x, floating[::1] y, const int64_t[::1] length,
                  Py_ssize_t outer, Py_ssize_t n, Py_ssize_t inner, double sign, double inv_t,
                  bint log_out, int nthreads):
    cdef const int64_t* lengths = NULL
    if length is not None:
        lengths = &length[0]
    with nogil:
        _softmax(&x[0], &y[0], lengths, outer, n, inner, <floating>sign, <floating>inv_t,
                 log_out, nthreads)


def _run(data, out, axis, temperature=None, log_out=False, negate=False, length=None):
    """Softmax of ``data`` along ``axis`` into ``out``; False when the reference must do it."""
    if data.dtype != out.dtype or data.dtype.type not in (np.float32, np.float64):
        return False
    if data.size == 0:
        return True
    axis %= data.ndim
    n = data.shape[axis]
    inner = 1
    for s in data.shape[axis + 1:]:
        inner *= s
    outer = data.size // (n * inner)
    lengths = None
    if length is not None:
        if inner != 1:
            return False
        lengths = np.ascontiguousarray(length, dtype=np.int64).reshape(-1)
        lengths = np.maximum(lengths, 0)
    if temperature is None:
        inv_t = 1.0
    else:
        # NB: MXNet divides by T (T = 0 gives nan); multiplying by 1/T differs in the last bit only.
        inv_t = 1.0 / temperature if temperature != 0 else INFINITY
    nthreads = kernel_threads() if data.size >= PARALLEL_MIN else 1
    _softmax_flat(data.reshape(-1), out.reshape(-1), lengths, outer, n, inner,
                  -1.0 if negate else 1.0, inv_t, log_out, nthreads)
    return True


def softmax(ins, outs, attrs):
    if not _run(ins[0], outs[0], attrs["axis"], attrs["temperature"],
                length=ins[1] if len(ins) > 1 else None):
        _reference.KERNELS["softmax"](ins, outs, attrs)


def log_softmax(ins, outs, attrs):
    if not _run(ins[0], outs[0], attrs["axis"], attrs["temperature"], log_out=True):
        _reference.KERNELS["log_softmax"](ins, outs, attrs)


def softmin(ins, outs, attrs):
    if not _run(ins[0], outs[0], attrs["axis"], attrs["temperature"], negate=True):
        _reference.KERNELS["softmin"](ins, outs, attrs)


def softmax_activation(ins, outs, attrs):
    if not _run(ins[0], outs[0], 1 if attrs["mode"] == "channel" else -1):
        _reference.KERNELS["SoftmaxActivation"](ins, outs, attrs)


def softmax_output(ins, outs, attrs):
    data = ins[0]
    if data.size == 0:
        return
    if attrs["multi_output"]:
        done = _run(data, outs[0], 1)
    elif attrs["preserve_shape"] or data.ndim < 2:
        done = _run(data, outs[0], -1)
    else:   # all axes but the batch axis form one row
        done = _run(data.reshape(data.shape[0], -1), outs[0].reshape(data.shape[0], -1), 1)
    if not done:
        _reference.KERNELS["SoftmaxOutput"](ins, outs, attrs)


cdef inline floating _exp(floating v) noexcept nogil:
    """e^v: the vectorisable float32 polynomial for float32, libm's exp for float64."""
    if floating is float:
        return minimx_expf(v)
    else:
        return exp(v)


cdef void _backward_row(const floating* g, const floating* y, floating* dx, Py_ssize_t n,
                        bint log_out, double inv_t) noexcept nogil:
    """One contiguous row: the float64 sum, then dx."""
    cdef Py_ssize_t j
    cdef double s = 0.0
    cdef floating fs, ft = <floating>inv_t
    if log_out:
        for j in range(n):
            s += g[j]
        fs = <floating>s
        for j in range(n):          # in the data's type, so that float32's exp vectorises
            dx[j] = (g[j] - _exp(y[j]) * fs) * ft
    else:
        for j in range(n):
            s += g[j] * y[j]
        for j in range(n):
            dx[j] = <floating>(y[j] * (g[j] - s) * inv_t)


cdef void _backward_rows(const floating* g, const floating* y, floating* dx, Py_ssize_t rows,
                         Py_ssize_t n, bint log_out, double inv_t, int nthreads) noexcept nogil:
    """Rows of length ``n`` (the softmax axis is the last)."""
    cdef Py_ssize_t r
    for r in prange(rows, num_threads=nthreads, schedule="static"):
        _backward_row(g + r * n, y + r * n, dx + r * n, n, log_out, inv_t)


cdef void _backward_tile(const floating* g, const floating* y, floating* dx, Py_ssize_t n,
                         Py_ssize_t inner, Py_ssize_t k0, Py_ssize_t k1, bint log_out,
                         double inv_t) noexcept nogil:
    """Columns ``k0:k1`` of one ``(n, inner)`` block: sums down each column, then dx."""
    cdef double s[TILE]
    cdef Py_ssize_t j, k, w = k1 - k0
    cdef const floating* gr
    cdef const floating* yr
    cdef floating* dr
    for k in range(w):
        s[k] = 0.0
    for j in range(n):
        gr = g + j * inner + k0
        yr = y + j * inner + k0
        if log_out:
            for k in range(w):
                s[k] += gr[k]
        else:
            for k in range(w):
                s[k] += gr[k] * yr[k]
    for j in range(n):
        gr = g + j * inner + k0
        yr = y + j * inner + k0
        dr = dx + j * inner + k0
        if log_out:
            for k in range(w):
                dr[k] = <floating>((gr[k] - _exp(yr[k]) * s[k]) * inv_t)
        else:
            for k in range(w):
                dr[k] = <floating>(yr[k] * (gr[k] - s[k]) * inv_t)


def _backward_flat(const floating[::1] g, const floating[::1] y, floating[::1] dx,
                   Py_ssize_t outer, Py_ssize_t n, Py_ssize_t inner, bint log_out, double inv_t,
                   int nthreads):
    cdef Py_ssize_t tiles = (inner + TILE - 1) // TILE
    cdef Py_ssize_t t, o, k0, k1
    cdef const floating* gp = &g[0]
    cdef const floating* yp = &y[0]
    cdef floating* dp = &dx[0]
    with nogil:
        if inner == 1:
            _backward_rows(gp, yp, dp, outer, n, log_out, inv_t, nthreads)
        else:
            for t in prange(outer * tiles, num_threads=nthreads, schedule="static"):
                o = t // tiles
                k0 = (t % tiles) * TILE
                k1 = k0 + TILE if k0 + TILE < inner else inner
                _backward_tile(gp + o * n * inner, yp + o * n * inner, dp + o * n * inner, n,
                               inner, k0, k1, log_out, inv_t)


def _backward(ins, outs, attrs, log_out):
    g, y = ins
    dx = outs[0]
    if (y.dtype.type not in (np.float32, np.float64) or g.dtype != y.dtype
            or dx.dtype != y.dtype):
        _reference.KERNELS["_backward_log_softmax" if log_out else "_backward_softmax"](
            ins, outs, attrs)
        return
    if y.size == 0:
        return
    axis = attrs["axis"] % y.ndim
    n = y.shape[axis]
    inner = 1
    for s in y.shape[axis + 1:]:
        inner *= s
    t = attrs["temperature"]
    inv_t = 1.0 if t is None else (1.0 / t if t != 0 else INFINITY)
    nthreads = kernel_threads() if y.size >= PARALLEL_MIN else 1
    _backward_flat(g.reshape(-1), y.reshape(-1), dx.reshape(-1), y.size // (n * inner), n,
                   inner, log_out, inv_t, nthreads)


def backward_softmax(ins, outs, attrs):
    _backward(ins, outs, attrs, False)


def backward_log_softmax(ins, outs, attrs):
    _backward(ins, outs, attrs, True)


KERNELS = {
    "_backward_softmax": backward_softmax,
    "_backward_log_softmax": backward_log_softmax,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "softmin": softmin,
    "SoftmaxActivation": softmax_activation,
    "SoftmaxOutput": softmax_output,
}
