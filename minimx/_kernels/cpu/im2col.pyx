"""Cython kernels of the conv family: im2col / col2im, and Convolution / Deconvolution on them.

A convolution is a matrix product once every input window is laid out as a column (im2col)::

    for n in range(N):                                  # naive Convolution, one group
        for f in range(F):
            for y in output positions:
                out[n, f, y] = bias[f] + sum over c, k of
                               weight[f, c, k] * data[n, c, y * stride + k * dilate - pad]

becomes, per sample ``n`` and group ``g``::

    col = im2col(data[n])                   # (C * prod(kernel), prod(out_spatial))
    out[n, g] = weight[g] @ col[g rows]      # one GEMM: (F/G, K) @ (K, L), BLAS does the work

``im2col`` writes ``col[((c * kd + i) * kh + j) * kw + l, (od * OH + oh) * OW + ow] =
data[c, od*sd - pd + i*dd, oh*sh - ph + j*dh, ow*sw - pw + l*dw]`` (0 outside the image): the row
order is the weight's ``(c, i, j, l)`` order, so the weight is used as it is stored. ``col2im``
is its transpose: it adds every column entry back onto the image position it came from; it runs
Deconvolution and Convolution's data gradient (both ``col = weight.T @ data``, then ``col2im``).
Convolution's weight gradient is ``sum_n ograd[n] @ im2col(data[n]).T``.

Optimisations:

1. 1-d and 2-d are 3-d with unit axes, so one loop nest serves all three.
2. For each kernel offset the valid output columns ``[ow_lo, ow_hi)`` are computed once, so the
   innermost loop has no bounds test; with ``stride == 1`` it is a straight contiguous copy.
3. Batched columns: the columns of a chunk of samples sit side by side, ``(K, nb * L)``, so a
   group costs one GEMM per chunk, not one per sample (per-sample GEMMs of small images are all
   call overhead, and those of deep layers with a tiny grid re-read the weight for every sample).
4. Threads: with at least as many samples as threads, each thread takes whole samples (its own
   scratch buffers, single-threaded BLAS): no synchronisation inside a sample. With fewer
   samples (inference on one image), the GEMM is split by rows (``gemm.matmul``). Scratch buffers
   are kept per thread and reused across calls.
"""
import threading

import numpy as np

from cython cimport floating
from cython.parallel cimport prange
from libc.string cimport memcpy, memset

from . import gemm
from ..reference.conv import KERNELS as REFERENCE, deconv_pad, geometry

__all__ = ["KERNELS", "im2col", "col2im", "col_shape", "make_geom", "scratch"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
# im2col/col2im only copy memory: below this many column elements waking OpenMP threads costs
# more than it saves (a thread that must first be scheduled can take milliseconds).
PARALLEL_COPY_MIN = 1 << 20

# Geometry of one im2col, as 3-d: image (C, D, H, W), column grid (OD, OH, OW), kernel, stride,
# padding and dilation per axis.
cdef struct Geom:
    Py_ssize_t C, D, H, W, OD, OH, OW
    Py_ssize_t kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw


cdef inline Py_ssize_t _ceil_div(Py_ssize_t a, Py_ssize_t b) noexcept nogil:
    """ceil(a / b) for b > 0 and any sign of a."""
    if a <= 0:
        return -((-a) // b)
    return (a + b - 1) // b


cdef inline void _valid(Py_ssize_t n, Py_ssize_t o, Py_ssize_t s, Py_ssize_t offset,
                        Py_ssize_t* lo, Py_ssize_t* hi) noexcept nogil:
    """The outputs ``x`` in [0, o) whose input ``x * s + offset`` lies in [0, n)."""
    lo[0] = _ceil_div(-offset, s)
    hi[0] = _ceil_div(n - offset, s)
    if lo[0] < 0:
        lo[0] = 0
    if hi[0] > o:
        hi[0] = o
    if hi[0] < lo[0]:
        hi[0] = lo[0]


cdef void _im2col_channel(const floating* img, floating* col, Geom g, Py_ssize_t c,
                          Py_ssize_t ld) noexcept nogil:
    """Channel ``c`` of one image into its rows of ``col``, whose rows are ``ld`` apart (``ld`` is
    the grid size for one image; ``nb`` times it when the columns of ``nb`` images sit side by side)."""
    cdef Py_ssize_t i, j, l, od, oh, ow, row, idd, ih, off_w, lo, hi
    cdef floating* dst
    cdef const floating* src
    for i in range(g.kd):
        for j in range(g.kh):
            for l in range(g.kw):
                row = ((c * g.kd + i) * g.kh + j) * g.kw + l
                off_w = l * g.dw - g.pw
                _valid(g.W, g.OW, g.sw, off_w, &lo, &hi)
                for od in range(g.OD):
                    idd = od * g.sd - g.pd + i * g.dd
                    for oh in range(g.OH):
                        ih = oh * g.sh - g.ph + j * g.dh
                        dst = col + row * ld + (od * g.OH + oh) * g.OW
                        if idd < 0 or idd >= g.D or ih < 0 or ih >= g.H or hi == lo:
                            memset(dst, 0, g.OW * sizeof(floating))
                            continue
                        src = img + ((c * g.D + idd) * g.H + ih) * g.W
                        if lo > 0:
                            memset(dst, 0, lo * sizeof(floating))
                        if g.sw == 1:
                            memcpy(dst + lo, src + lo + off_w, (hi - lo) * sizeof(floating))
                        else:
                            for ow in range(lo, hi):
                                dst[ow] = src[ow * g.sw + off_w]
                        if hi < g.OW:
                            memset(dst + hi, 0, (g.OW - hi) * sizeof(floating))


cdef void _col2im_channel(const floating* col, floating* img, Geom g, Py_ssize_t c,
                          Py_ssize_t ld) noexcept nogil:
    cdef Py_ssize_t i, j, l, od, oh, ow, row, idd, ih, off_w, lo, hi
    cdef const floating* src
    cdef floating* dst
    memset(img + c * g.D * g.H * g.W, 0, g.D * g.H * g.W * sizeof(floating))
    for i in range(g.kd):
        for j in range(g.kh):
            for l in range(g.kw):
                row = ((c * g.kd + i) * g.kh + j) * g.kw + l
                off_w = l * g.dw - g.pw
                _valid(g.W, g.OW, g.sw, off_w, &lo, &hi)
                if hi == lo:
                    continue
                for od in range(g.OD):
                    idd = od * g.sd - g.pd + i * g.dd
                    if idd < 0 or idd >= g.D:
                        continue
                    for oh in range(g.OH):
                        ih = oh * g.sh - g.ph + j * g.dh
                        if ih < 0 or ih >= g.H:
                            continue
                        src = col + row * ld + (od * g.OH + oh) * g.OW
                        dst = img + ((c * g.D + idd) * g.H + ih) * g.W
                        for ow in range(lo, hi):
                            dst[ow * g.sw + off_w] += src[ow]


cdef Geom _geom(Py_ssize_t[::1] v):
    cdef Geom g
    g.C, g.D, g.H, g.W, g.OD, g.OH, g.OW = v[0], v[1], v[2], v[3], v[4], v[5], v[6]
    g.kd, g.kh, g.kw, g.sd, g.sh, g.sw = v[7], v[8], v[9], v[10], v[11], v[12]
    g.pd, g.ph, g.pw, g.dd, g.dh, g.dw = v[13], v[14], v[15], v[16], v[17], v[18]
    return g


def _im2col(const floating[::1] img, floating[::1] col, Py_ssize_t[::1] geom, int nthreads):
    cdef Geom g = _geom(geom)
    cdef Py_ssize_t c, L = g.OD * g.OH * g.OW
    with nogil:
        if nthreads > 1:
            for c in prange(g.C, num_threads=nthreads, schedule="static"):
                _im2col_channel(&img[0], &col[0], g, c, L)
        else:
            for c in range(g.C):
                _im2col_channel(&img[0], &col[0], g, c, L)


def _col2im(const floating[::1] col, floating[::1] img, Py_ssize_t[::1] geom, int nthreads):
    cdef Geom g = _geom(geom)
    cdef Py_ssize_t c, L = g.OD * g.OH * g.OW
    # Each channel writes only its own image plane, so channels may run in parallel.
    with nogil:
        if nthreads > 1:
            for c in prange(g.C, num_threads=nthreads, schedule="static"):
                _col2im_channel(&col[0], &img[0], g, c, L)
        else:
            for c in range(g.C):
                _col2im_channel(&col[0], &img[0], g, c, L)


def _im2col_batch(const floating[::1] data, floating[::1] col, Py_ssize_t[::1] geom,
                  Py_ssize_t n0, Py_ssize_t n1):
    """Images ``n0 .. n1-1`` of a batch (flat) side by side in ``col`` ``(K, (n1 - n0) * L)``."""
    cdef Geom g = _geom(geom)
    cdef Py_ssize_t n, c, L = g.OD * g.OH * g.OW, size = g.C * g.D * g.H * g.W
    cdef Py_ssize_t ld = (n1 - n0) * L
    with nogil:
        for n in range(n0, n1):
            for c in range(g.C):
                _im2col_channel(&data[0] + n * size, &col[0] + (n - n0) * L, g, c, ld)


def _col2im_batch(const floating[::1] col, floating[::1] out, Py_ssize_t[::1] geom,
                  Py_ssize_t n0, Py_ssize_t n1):
    """The inverse of `_im2col_batch`: images ``n0 .. n1-1`` of ``out`` (flat) from ``col``."""
    cdef Geom g = _geom(geom)
    cdef Py_ssize_t n, c, L = g.OD * g.OH * g.OW, size = g.C * g.D * g.H * g.W
    cdef Py_ssize_t ld = (n1 - n0) * L
    with nogil:
        for n in range(n0, n1):
            for c in range(g.C):
                _col2im_channel(&col[0] + (n - n0) * L, &out[0] + n * size, g, c, ld)


# -- Python-level helpers ----------------------------------------------------------------------
def _as3d(values, fill):
    return (fill,) * (3 - len(values)) + tuple(values)


def make_geom(image_shape, kernel, stride, pad, dilate):
    """The 19 numbers of a ``Geom`` for an image ``(C, *spatial)`` (1-3 spatial axes)."""
    spatial = tuple(image_shape[1:])
    grid = tuple((n + 2 * p - (d * (k - 1) + 1)) // s + 1
                 for n, k, s, p, d in zip(spatial, kernel, stride, pad, dilate))
    return np.array((image_shape[0],) + _as3d(spatial, 1) + _as3d(grid, 1) + _as3d(kernel, 1)
                    + _as3d(stride, 1) + _as3d(pad, 0) + _as3d(dilate, 1), dtype=np.intp)


def col_shape(image_shape, kernel, stride, pad, dilate):
    """The shape ``(C * prod(kernel), prod(grid))`` of the columns of an image (C, *spatial)."""
    g = make_geom(image_shape, kernel, stride, pad, dilate)
    return (int(g[0] * g[7] * g[8] * g[9]), int(g[4] * g[5] * g[6]))


def im2col(img, col, kernel, stride, pad, dilate, nthreads=1):
    """Write the columns of ``img`` ``(C, *spatial)`` into ``col`` (see the module docstring)."""
    geom = make_geom(img.shape, kernel, stride, pad, dilate)
    if col.shape != col_shape(img.shape, kernel, stride, pad, dilate):
        raise ValueError(f"col has shape {col.shape}, expected "
                         f"{col_shape(img.shape, kernel, stride, pad, dilate)}")
    _im2col(img.reshape(-1), col.reshape(-1), geom, nthreads)


def col2im(col, img, kernel, stride, pad, dilate, nthreads=1):
    """``img`` = the sum of every column entry at the image position it was taken from."""
    geom = make_geom(img.shape, kernel, stride, pad, dilate)
    if col.shape != col_shape(img.shape, kernel, stride, pad, dilate):
        raise ValueError(f"col has shape {col.shape}, expected "
                         f"{col_shape(img.shape, kernel, stride, pad, dilate)}")
    _col2im(col.reshape(-1), img.reshape(-1), geom, nthreads)


_local = threading.local()
# Column elements per chunk of samples: bounds the scratch memory (16 MB of float32).
CHUNK_ELEMS = 1 << 22


def scratch(shape, dtype, slot="col"):
    """A per-thread scratch array (grown when too small, reused across calls, never shared);
    ``slot`` names independent buffers of one thread."""
    n = 1
    for s in shape:
        n *= s
    key = slot + np.dtype(dtype).name
    buf = getattr(_local, key, None)
    if buf is None or buf.size < n:
        buf = np.empty(n, dtype)
        setattr(_local, key, buf)
    return buf[:n].reshape(shape)


def _use_reference(ins, outs):
    return (ins[0].dtype not in _FLOATS or ins[0].size == 0 or outs[0].size == 0
            or any(x.dtype != ins[0].dtype for x in ins) or not outs[0].flags.c_contiguous)


def _by_samples(n_batch, per_sample, threads, fn):
    """Call ``fn(lo, hi, nthreads)`` over the batch: whole samples per thread when there are
    enough samples (single-threaded BLAS each), else one caller with ``threads`` for the GEMMs;
    each call is cut into chunks of at most ``CHUNK_ELEMS`` column elements inside ``fn``."""
    if n_batch >= threads > 1:
        # Python threads (not OpenBLAS's): im2col and the copies run in parallel too.
        gemm.run_blocks(lambda lo, hi: fn(lo, hi, 1), n_batch, threads, blas=False)
    else:
        fn(0, n_batch, threads)


def _chunks(lo, hi, per_sample):
    step = max(1, CHUNK_ELEMS // max(1, per_sample))
    for a in range(lo, hi, step):
        yield a, min(hi, a + step)


def _side_by_side(x, nb, rows, L, slot):
    """``x`` ``(nb, rows, L)`` as ``(rows, nb * L)``: sample n in columns ``n*L .. n*L+L-1``."""
    if nb == 1:
        return x.reshape(rows, L)
    t = scratch((rows, nb * L), x.dtype, slot)
    t.reshape(rows, nb, L)[...] = x.swapaxes(0, 1)
    return t


# -- kernels -----------------------------------------------------------------------------------
# Every kernel lays out the columns of a chunk of samples side by side, ``(K, nb * L)``, so each
# group needs ONE GEMM per chunk (not one per sample: per-sample GEMMs of a small image, or of a
# deep layer with a 1x1 grid, are dominated by call overhead or by re-reading the weight).
def convolution(ins, outs, attrs):
    if _use_reference(ins, outs):
        return REFERENCE["Convolution"](ins, outs, attrs)
    data, weight, out = np.ascontiguousarray(ins[0]), ins[1], outs[0]
    kernel, stride, dilate, pad = geometry(attrs)
    n_batch, channels = data.shape[:2]
    groups = attrs["num_group"]
    fg = weight.shape[0] // groups
    kg = weight[0].size                       # (C / G) * prod(kernel): one group's column rows
    w = weight.reshape(groups, fg, kg)
    K, L = col_shape(data.shape[1:], kernel, stride, pad, dilate)
    o = out.reshape(n_batch, groups, fg, L)
    bias = None if attrs["no_bias"] else ins[2].reshape(groups, fg, 1)
    geom = make_geom(data.shape[1:], kernel, stride, pad, dilate)
    flat = data.reshape(-1)
    threads = gemm.threads_for(out.size * kg, n_batch * groups * fg, gemm.MIN_SPLIT_FLOPS)

    def run(lo, hi, nthreads):
        for a, b in _chunks(lo, hi, K * L):
            nb = b - a
            col = scratch((K, nb * L), data.dtype)
            _im2col_batch(flat, col.reshape(-1), geom, a, b)
            for g in range(groups):
                if nb == 1:
                    gemm.matmul(w[g], col[g * kg:(g + 1) * kg], o[a, g], nthreads)
                    continue
                res = scratch((fg, nb * L), data.dtype, "res")
                gemm.matmul(w[g], col[g * kg:(g + 1) * kg], res, nthreads)
                o[a:b, g] = res.reshape(fg, nb, L).swapaxes(0, 1)
            if bias is not None:
                o[a:b] += bias
    _by_samples(n_batch, K * L, threads, run)


def deconvolution(ins, outs, attrs):
    if _use_reference(ins, outs):
        return REFERENCE["Deconvolution"](ins, outs, attrs)
    data, weight, out = ins[0], ins[1], outs[0]
    kernel, stride, dilate, _ = geometry(attrs)
    pad, _ = deconv_pad(attrs, data.shape[2:], out.shape[2:])
    bias = None if attrs["no_bias"] else ins[2].reshape((-1,) + (1,) * len(kernel))
    _transposed(data, weight, out, kernel, stride, dilate, pad, attrs["num_group"], bias)


def backward_convolution_data(ins, outs, attrs):
    """``ins = (ograd, weight)``, ``outs = (data_grad,)``: Convolution's data gradient."""
    if _use_reference(ins, outs):
        return REFERENCE["_backward_Convolution_data"](ins, outs, attrs)
    kernel, stride, dilate, pad = geometry(attrs)
    _transposed(ins[0], ins[1], outs[0], kernel, stride, dilate, pad, attrs["num_group"], None)


def _transposed(data, weight, out, kernel, stride, dilate, pad, groups, bias):
    """``out`` = the transposed convolution of ``data`` with ``weight`` ``(C, F/G, *kernel)``:
    per chunk of samples and group, ``col = weight[g].T @ data[g]``, then ``col2im`` adds it into
    ``out``."""
    n_batch, channels = data.shape[:2]
    cg = channels // groups
    rows = weight[0].size                     # (F / G) * prod(kernel): one group's column rows
    w = weight.reshape(groups, cg, rows)
    d = data.reshape(n_batch, groups, cg, -1)
    K, L = col_shape(out.shape[1:], kernel, stride, pad, dilate)
    geom = make_geom(out.shape[1:], kernel, stride, pad, dilate)
    flat = out.reshape(-1)
    threads = gemm.threads_for(data.size * rows, n_batch * groups * rows, gemm.MIN_SPLIT_FLOPS)

    def run(lo, hi, nthreads):
        for a, b in _chunks(lo, hi, K * L):
            nb = b - a
            col = scratch((K, nb * L), out.dtype)
            for g in range(groups):
                # col rows of group g = weight[g].T @ data[g]: every data element times the kernel.
                dg = _side_by_side(d[a:b, g], nb, cg, L, "res")
                gemm.matmul(w[g].T, dg, col[g * rows:(g + 1) * rows], nthreads)
            _col2im_batch(col.reshape(-1), flat, geom, a, b)
            if bias is not None:
                out[a:b] += bias
    _by_samples(n_batch, K * L, threads, run)


def backward_convolution_weight(ins, outs, attrs):
    """``ins = (ograd, data)``, ``outs = (weight_grad,)``: Convolution's weight gradient.

    Per group, ``dw[g] = ograd[:, g] @ im2col(data).T`` over the samples side by side: one GEMM per
    chunk. Each thread sums its own samples into a private partial result; the partials are added
    at the end (no locks).
    """
    if _use_reference(ins, outs):
        return REFERENCE["_backward_Convolution_weight"](ins, outs, attrs)
    ograd, data, dw = ins[0], np.ascontiguousarray(ins[1]), outs[0]
    kernel, stride, dilate, pad = geometry(attrs)
    n_batch, channels = data.shape[:2]
    groups = attrs["num_group"]
    fg = ograd.shape[1] // groups
    kg = dw[0].size                           # (C / G) * prod(kernel)
    K, L = col_shape(data.shape[1:], kernel, stride, pad, dilate)
    og = ograd.reshape(n_batch, groups, fg, L)
    geom = make_geom(data.shape[1:], kernel, stride, pad, dilate)
    flat = data.reshape(-1)
    threads = gemm.threads_for(ograd.size * kg, n_batch * groups * fg, gemm.MIN_SPLIT_FLOPS)
    partials = []
    # The block of sample 0 sums straight into dw; the others into per-thread scratch (a fresh
    # array of a deep layer's weight size per call would cost page faults every step).
    direct = dw.reshape(groups, fg, kg) if dw.flags.c_contiguous else None

    def run(lo, hi, nthreads):
        if lo == 0 and direct is not None:
            partial = direct
        else:
            partial = scratch((groups, fg, kg), dw.dtype, "partial")
            partials.append(partial)      # list.append is atomic under the GIL
        for a, b in _chunks(lo, hi, K * L):
            nb = b - a
            col = scratch((K, nb * L), data.dtype)
            _im2col_batch(flat, col.reshape(-1), geom, a, b)
            for g in range(groups):
                ogt = _side_by_side(og[a:b, g], nb, fg, L, "res")
                if a == lo:
                    gemm.matmul(ogt, col[g * kg:(g + 1) * kg].T, partial[g], nthreads)
                else:
                    tmp = scratch((fg, kg), dw.dtype, "tmp")
                    gemm.matmul(ogt, col[g * kg:(g + 1) * kg].T, tmp, nthreads)
                    partial[g] += tmp

    _by_samples(n_batch, K * L, threads, run)
    if direct is None:
        total = partials[0]
        for p in partials[1:]:
            total += p
        dw[...] = total.reshape(dw.shape)
    else:
        for p in partials:
            direct += p


KERNELS = {
    "Convolution": convolution,
    "Deconvolution": deconvolution,
    "_backward_Convolution_data": backward_convolution_data,
    "_backward_Convolution_weight": backward_convolution_weight,
}
