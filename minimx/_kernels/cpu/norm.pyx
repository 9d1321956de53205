"""Cython kernels of the norm family: BatchNorm and LayerNorm forward, BatchNorm backward.

BatchNorm views its data as ``(outer, C, inner)`` with the channel axis in the middle (NCHW:
``(N, C, H*W)``). The naive loop::

    for c in range(C):                      # training only: the batch statistics
        mean[c] = sum(x[o, c, k] for o, k) / count
        var[c] = sum((x[o, c, k] - mean[c]) ** 2 for o, k) / count
    for c in range(C):                      # then one pass with a scale per channel
        scale = gamma[c] / sqrt(var[c] + eps)
        for o, k: out[o, c, k] = (x[o, c, k] - mean[c]) * scale + beta[c]

LayerNorm (along the last axis) is the same with the roles swapped: statistics per row, and
gamma/beta per column.

Optimisations:

1. Statistics in one pass, shifted: ``d = x - K`` with ``K`` the channel's (row's) first value,
   summing ``d`` and ``d * d`` in float64. A value of the data lies within a few standard
   deviations of the mean, so ``E[d^2] - E[d]^2`` escapes the cancellation that
   ``E[x^2] - E[x]^2`` suffers when the mean is large; float64 sums keep it accurate.
2. The sums run in 8 independent lanes (``acc[q] += ...`` for ``q < 8``), which the compiler turns
   into vector adds; one running sum would be a dependency chain it may not reorder.
3. The normalisation is one subtract and one multiply-add per element over contiguous memory
   (it vectorises), in float64 with float64 per-channel values. NB: folding the mean into the
   shift (``x * scale + shift``), or rounding the mean to float32, loses float32 digits to
   cancellation when the mean is large next to the std; memory, not arithmetic, bounds this pass.
4. ``prange`` over channels (statistics; blocks of channels when ``inner == 1``) and over rows
   (normalisation), with the thread budget's ``kernel_threads()`` threads for large inputs.

BatchNorm's backward (``_backward_BatchNorm``) is two passes of the same shape::

    for c: sg[c] = sum(g[o, c, k]); sgx[c] = sum(g[o, c, k] * (x[o, c, k] - mean[c]) * invstd[c])
    for c, o, k: dx[o, c, k] = scale[c] * (g - sg[c] / n - (x - mean[c]) * invstd[c] * sgx[c] / n)

with float64 sums in lanes and ``prange`` over channels (blocks of columns when ``inner == 1``),
then one elementwise pass per row, as the forward.

The small per-channel work (running statistics, ``1/sqrt(var + eps)``) is done with numpy. float16
data and LayerNorm along an axis other than the last fall back to the numpy reference
(``reference/norm.py``), which is also the spec these kernels are tested against.
"""
from cython.parallel cimport prange
from cython cimport floating
from libc.math cimport sqrt

import numpy as np

from minimx.threads import kernel_threads

from ..reference import norm as _reference

__all__ = ["KERNELS"]

cdef enum:
    LANES = 8               # independent partial sums (vectorised adds)
    BLOCK = 256             # channels per task when the channel axis is the last
    PARALLEL_MIN = 32768    # below this many elements one thread beats waking several


cdef void _shifted_sums(const floating* x, Py_ssize_t n, double shift, double* s1,
                        double* s2) noexcept nogil:
    """Add ``sum(x - shift)`` to ``s1[0]`` and ``sum((x - shift)^2)`` to ``s2[0]`` (n contiguous)."""
    cdef double a1[LANES]
    cdef double a2[LANES]
    cdef double d
    cdef Py_ssize_t j, q, full = n - n % LANES
    for q in range(LANES):
        a1[q] = 0.0
        a2[q] = 0.0
    j = 0
    while j < full:
        for q in range(LANES):
            d = x[j + q] - shift
            a1[q] += d
            a2[q] += d * d
        j += LANES
    for j in range(full, n):
        d = x[j] - shift
        a1[0] += d
        a2[0] += d * d
    for q in range(LANES):
        s1[0] += a1[q]
        s2[0] += a2[q]


cdef void _mean_var(double s1, double s2, double shift, Py_ssize_t count, double* mean,
                    double* var) noexcept nogil:
    cdef double m = s1 / count
    mean[0] = shift + m
    var[0] = s2 / count - m * m
    if var[0] < 0:          # rounding can leave a tiny negative for constant data
        var[0] = 0


cdef void _column_stats(const floating* x, Py_ssize_t rows, Py_ssize_t cols, Py_ssize_t c0,
                        Py_ssize_t c1, double* mean, double* var) noexcept nogil:
    """Mean and variance of columns ``c0:c1`` of a ``(rows, cols)`` array."""
    cdef double s1[BLOCK]
    cdef double s2[BLOCK]
    cdef double d
    cdef Py_ssize_t o, c
    cdef const floating* row
    for c in range(c0, c1):
        s1[c - c0] = 0.0
        s2[c - c0] = 0.0
    for o in range(rows):
        row = x + o * cols
        for c in range(c0, c1):
            d = row[c] - x[c]
            s1[c - c0] += d
            s2[c - c0] += d * d
    for c in range(c0, c1):
        _mean_var(s1[c - c0], s2[c - c0], x[c], rows, &mean[c], &var[c])


cdef void _channel_stats(const floating* x, Py_ssize_t outer, Py_ssize_t channels,
                         Py_ssize_t inner, double* mean, double* var, int nthreads) noexcept nogil:
    """Per-channel mean and biased variance of ``x`` viewed as ``(outer, channels, inner)``."""
    cdef Py_ssize_t c, o, b, c0, c1, blocks
    cdef double s1, s2, shift
    if inner > 1:
        for c in prange(channels, num_threads=nthreads, schedule="static"):
            s1 = 0.0
            s2 = 0.0
            shift = x[c * inner]
            for o in range(outer):
                _shifted_sums(x + (o * channels + c) * inner, inner, shift, &s1, &s2)
            _mean_var(s1, s2, shift, outer * inner, &mean[c], &var[c])
    else:
        # Channels are the contiguous axis: sum whole rows into per-channel accumulators.
        blocks = (channels + BLOCK - 1) // BLOCK
        for b in prange(blocks, num_threads=nthreads, schedule="static"):
            c0 = b * BLOCK
            c1 = c0 + BLOCK if c0 + BLOCK < channels else channels
            _column_stats(x, outer, channels, c0, c1, mean, var)


cdef void _normalize(const floating* x, floating* y, Py_ssize_t outer, Py_ssize_t channels,
                     Py_ssize_t inner, const double* mean, const double* scale,
                     const double* shift, int nthreads) noexcept nogil:
    """``y[o, c, k] = (x[o, c, k] - mean[c]) * scale[c] + shift[c]``, computed in float64."""
    cdef Py_ssize_t r, o, c, k
    cdef const floating* xr
    cdef floating* yr
    if inner > 1:
        for r in prange(outer * channels, num_threads=nthreads, schedule="static"):
            c = r % channels
            xr = x + r * inner
            yr = y + r * inner
            for k in range(inner):
                yr[k] = (xr[k] - mean[c]) * scale[c] + shift[c]
    else:
        for o in prange(outer, num_threads=nthreads, schedule="static"):
            xr = x + o * channels
            yr = y + o * channels
            for c in range(channels):
                yr[c] = (xr[c] - mean[c]) * scale[c] + shift[c]


def _batch_norm_stats(const floating[::1] x, Py_ssize_t outer, Py_ssize_t channels,
                      Py_ssize_t inner, double[::1] mean, double[::1] var, int nthreads):
    with nogil:
        _channel_stats(&x[0], outer, channels, inner, &mean[0], &var[0], nthreads)


def _batch_norm_apply(const floating[::1] x, floating[::1] y, Py_ssize_t outer,
                      Py_ssize_t channels, Py_ssize_t inner, const double[::1] mean,
                      const double[::1] scale, const double[::1] shift, int nthreads):
    with nogil:
        _normalize(&x[0], &y[0], outer, channels, inner, &mean[0], &scale[0], &shift[0], nthreads)


def _threads(size):
    return kernel_threads() if size >= PARALLEL_MIN else 1


def _stats(data, Py_ssize_t outer, Py_ssize_t channels, Py_ssize_t inner):
    """Per-channel mean and biased variance (float64) of contiguous float32/float64 data."""
    mean, var = np.empty(channels), np.empty(channels)
    _batch_norm_stats(data.reshape(-1), outer, channels, inner, mean, var, _threads(data.size))
    return mean, var


def batch_norm(ins, outs, attrs):
    """BatchNorm forward; the statistics and normalisation in Cython, per-channel work in numpy."""
    data = ins[0]
    if data.dtype.type not in (np.float32, np.float64) or data.size == 0:
        _reference.batch_norm(ins, outs, attrs)
        return
    gamma, beta, moving_mean, moving_var = ins[1:]
    out, mean_out, invstd_out = outs
    outer, channels, inner = _reference.channel_view(data.shape, attrs["axis"] % data.ndim)
    nthreads = _threads(data.size)
    x = data.reshape(-1)
    if _reference.batch_norm_is_training(attrs):
        mean, var = _stats(data, outer, channels, inner)
        _reference.batch_norm_fix_gamma(ins, attrs)
    else:
        mean, var = moving_mean.astype(np.float64), moving_var.astype(np.float64)
    invstd = 1.0 / np.sqrt(var + attrs["eps"])
    scale = invstd if attrs["fix_gamma"] else gamma * invstd
    f64 = np.float64
    _batch_norm_apply(x, out.reshape(-1), outer, channels, inner, mean.astype(f64),
                      scale.astype(f64), beta.astype(f64), nthreads)
    np.copyto(mean_out, mean, casting="unsafe")
    np.copyto(invstd_out, invstd, casting="unsafe")


cdef void _layer_norm_rows(const floating* x, floating* y, Py_ssize_t rows, Py_ssize_t n,
                           const floating* gamma, const floating* beta, double eps,
                           floating* mean_out, floating* std_out, int nthreads) noexcept nogil:
    """Each row of ``(rows, n)`` normalised, then ``* gamma + beta``; its mean and std written."""
    cdef Py_ssize_t r, j
    cdef double s1, s2, mean, var, std, rstd
    cdef const floating* xr
    cdef floating* yr
    for r in prange(rows, num_threads=nthreads, schedule="static"):
        xr = x + r * n
        yr = y + r * n
        s1 = 0.0
        s2 = 0.0
        mean = 0.0          # assigned here so that prange makes them private to each thread
        var = 0.0
        _shifted_sums(xr, n, xr[0], &s1, &s2)
        _mean_var(s1, s2, xr[0], n, &mean, &var)
        std = sqrt(var + eps)
        rstd = 1.0 / std
        for j in range(n):      # in float64, for the same reason as in _normalize
            yr[j] = <floating>((xr[j] - mean) * rstd * gamma[j] + beta[j])
        mean_out[r] = <floating>mean
        std_out[r] = <floating>std


def _layer_norm_flat(const floating[::1] x, floating[::1] y, Py_ssize_t rows, Py_ssize_t n,
                     const floating[::1] gamma, const floating[::1] beta, double eps,
                     floating[::1] mean_out, floating[::1] std_out, int nthreads):
    with nogil:
        _layer_norm_rows(&x[0], &y[0], rows, n, &gamma[0], &beta[0], eps, &mean_out[0],
                         &std_out[0], nthreads)


def layer_norm(ins, outs, attrs):
    """LayerNorm forward along the last axis in Cython; other axes use the reference."""
    data, gamma, beta = ins
    if (data.dtype.type not in (np.float32, np.float64) or data.size == 0
            or attrs["axis"] % data.ndim != data.ndim - 1):
        _reference.layer_norm(ins, outs, attrs)
        return
    n = data.shape[data.ndim - 1]
    _layer_norm_flat(data.reshape(-1), outs[0].reshape(-1), data.size // n, n, gamma, beta,
                     attrs["eps"], outs[1].reshape(-1), outs[2].reshape(-1), _threads(data.size))


cdef void _grad_sums(const floating* g, const floating* x, Py_ssize_t n, double mean,
                     double inv, double* sg, double* sgx) noexcept nogil:
    """Add ``sum(g)`` to ``sg[0]`` and ``sum(g * (x - mean) * inv)`` to ``sgx[0]`` (n contiguous)."""
    cdef double a1[LANES]
    cdef double a2[LANES]
    cdef Py_ssize_t j, q, full = n - n % LANES
    for q in range(LANES):
        a1[q] = 0.0
        a2[q] = 0.0
    j = 0
    while j < full:
        for q in range(LANES):
            a1[q] += g[j + q]
            a2[q] += g[j + q] * (x[j + q] - mean)
        j += LANES
    for j in range(full, n):
        a1[0] += g[j]
        a2[0] += g[j] * (x[j] - mean)
    for q in range(LANES):
        sg[0] += a1[q]
        sgx[0] += a2[q] * inv


cdef void _channel_grad_sums(const floating* g, const floating* x, Py_ssize_t outer,
                             Py_ssize_t channels, Py_ssize_t inner, const double* mean,
                             const double* inv, double* sg, double* sgx,
                             int nthreads) noexcept nogil:
    """Per-channel ``sum(g)`` and ``sum(g * xhat)`` of ``(outer, channels, inner)`` arrays."""
    cdef Py_ssize_t c, o, b, c0, c1, blocks
    cdef double s1, s2
    cdef const floating* gr
    cdef const floating* xr
    if inner > 1:
        for c in prange(channels, num_threads=nthreads, schedule="static"):
            s1 = 0.0
            s2 = 0.0
            for o in range(outer):
                _grad_sums(g + (o * channels + c) * inner, x + (o * channels + c) * inner, inner,
                           mean[c], inv[c], &s1, &s2)
            sg[c] = s1
            sgx[c] = s2
    else:
        blocks = (channels + BLOCK - 1) // BLOCK
        for b in prange(blocks, num_threads=nthreads, schedule="static"):
            c0 = b * BLOCK
            c1 = c0 + BLOCK if c0 + BLOCK < channels else channels
            for c in range(c0, c1):
                sg[c] = 0.0
                sgx[c] = 0.0
            for o in range(outer):
                gr = g + o * channels
                xr = x + o * channels
                for c in range(c0, c1):
                    sg[c] += gr[c]
                    sgx[c] += gr[c] * (xr[c] - mean[c]) * inv[c]


cdef void _grad_apply(const floating* g, const floating* x, floating* dx, Py_ssize_t outer,
                      Py_ssize_t channels, Py_ssize_t inner, const double* mean,
                      const double* inv, const double* scale, const double* a,
                      const double* b, int nthreads) noexcept nogil:
    """``dx = scale[c] * (g - a[c] - (x - mean[c]) * inv[c] * b[c])`` in float64."""
    cdef Py_ssize_t r, o, c, k
    cdef const floating* gr
    cdef const floating* xr
    cdef floating* dr
    if inner > 1:
        for r in prange(outer * channels, num_threads=nthreads, schedule="static"):
            c = r % channels
            gr = g + r * inner
            xr = x + r * inner
            dr = dx + r * inner
            for k in range(inner):
                dr[k] = <floating>(scale[c] * (gr[k] - a[c] - (xr[k] - mean[c]) * inv[c] * b[c]))
    else:
        for o in prange(outer, num_threads=nthreads, schedule="static"):
            gr = g + o * channels
            xr = x + o * channels
            dr = dx + o * channels
            for c in range(channels):
                dr[c] = <floating>(scale[c] * (gr[c] - a[c] - (xr[c] - mean[c]) * inv[c] * b[c]))


def _bn_grad_sums(const floating[::1] g, const floating[::1] x, Py_ssize_t outer,
                  Py_ssize_t channels, Py_ssize_t inner, const double[::1] mean,
                  const double[::1] inv, double[::1] sg, double[::1] sgx, int nthreads):
    with nogil:
        _channel_grad_sums(&g[0], &x[0], outer, channels, inner, &mean[0], &inv[0], &sg[0],
                           &sgx[0], nthreads)


def _bn_grad_apply(const floating[::1] g, const floating[::1] x, floating[::1] dx,
                   Py_ssize_t outer, Py_ssize_t channels, Py_ssize_t inner,
                   const double[::1] mean, const double[::1] inv, const double[::1] scale,
                   const double[::1] a, const double[::1] b, int nthreads):
    with nogil:
        _grad_apply(&g[0], &x[0], &dx[0], outer, channels, inner, &mean[0], &inv[0], &scale[0],
                    &a[0], &b[0], nthreads)


def backward_batch_norm(ins, outs, attrs):
    """``_backward_BatchNorm``: the two passes in Cython, the per-channel work in numpy.

    Given the running statistics it first updates them from the forward's saved mean and
    invstd (numpy, per channel: ``reference.batch_norm_update``, MXNet's rounding).
    """
    out_grad, data, gamma, mean, invstd = ins[:5]
    if (data.dtype.type not in (np.float32, np.float64) or data.size == 0
            or out_grad.dtype != data.dtype):
        _reference.backward_batch_norm(ins, outs, attrs)
        return
    _reference.batch_norm_backward_update(ins, attrs)
    dx, dgamma, dbeta = outs
    outer, channels, inner = _reference.channel_view(data.shape, attrs["axis"] % data.ndim)
    nthreads = _threads(data.size)
    f64 = np.float64
    m, inv = mean.astype(f64), invstd.astype(f64)
    sg, sgx = np.empty(channels), np.empty(channels)
    g, x = out_grad.reshape(-1), data.reshape(-1)
    _bn_grad_sums(g, x, outer, channels, inner, m, inv, sg, sgx, nthreads)
    np.copyto(dbeta, sg, casting="unsafe")
    if attrs["fix_gamma"]:
        dgamma.fill(0)
        scale = inv
    else:
        np.copyto(dgamma, sgx, casting="unsafe")
        scale = gamma.astype(f64) * inv
    if attrs["use_global_stats"]:
        a = b = np.zeros(channels)
    else:
        n = max(outer * inner, 1)
        a, b = sg / n, sgx / n
    _bn_grad_apply(g, x, dx.reshape(-1), outer, channels, inner, m, inv, scale, a, b, nthreads)


KERNELS = {
    "_backward_BatchNorm": backward_batch_norm,
    "BatchNorm": batch_norm,
    "LayerNorm": layer_norm,
}
