"""Cython kernels of the optim family: each hot update in one pass over memory.

The naive loop is the numpy reference (``reference/optim.py``), which makes a temporary array per
operation: Adam's update reads and writes about 20 arrays of the weight's size. Written out, the
update of one element needs only its own values::

    for i in range(n):
        g = clip(rescale_grad * grad[i] + wd * weight[i], clip_gradient)
        mean[i] = beta1 * mean[i] + (1 - beta1) * g
        var[i] = beta2 * var[i] + (1 - beta2) * g * g
        out[i] = weight[i] - lr * mean[i] / (sqrt(var[i]) + epsilon)

Optimisations, in order:

1. Fuse: the loop above reads weight, grad, mean and var once and writes mean, var and out once
   (7 passes instead of ~20); an update is bound by memory, so this is most of the gain.
2. Keep MXNet's order of operations, in the element's type: float32 results then equal MXNet's
   and the reference's bit for bit (unless the compiler contracts ``a * b + c`` into a fused
   multiply-add, which x86-64 without ``-march`` cannot). Where MXNet computes differently with
   and without clipping (``(lr * rescale) * g`` against ``lr * clip(rescale * g)``) there are two
   loops, chosen outside; other loop-invariant tests the compiler moves out itself. NB: Cython
   writes the ``1`` of ``1 - lr * wd`` as a C double, which would turn a float loop into a double
   one: such terms are typed locals, computed before the loop.
3. Above ``PARALLEL_MIN`` elements the arrays are cut into one piece per thread for OpenMP's
   ``prange``, with ``kernel_threads()`` threads (the cores the engine has not given to other ops).

``out`` may be the weight itself (``out=weight``): each loop reads ``weight[i]`` before it writes
``out[i]``, except ``nag_mom_update``'s, which re-reads it afterwards as MXNet does. float32 and
float64 run here; other dtypes and overlapping arrays fall back to the reference, which is also
the spec these kernels are tested against. The mixed-precision updates are in ``optim_mp.pyx``.
"""
cimport numpy as cnp
from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport sqrt, sqrtf

import numpy as np

from minimx._kernels.cpu.elemwise cimport clashes, float_type, threads_for
from minimx._kernels.reference import optim as _ref, optim_multi as _ref_multi

cnp.import_array()

__all__ = ["KERNELS", "float32_params"]


# -- scalar helpers --------------------------------------------------------------------------------
cdef inline floating _clip(floating x, floating bound) noexcept nogil:
    """MXNet's clip: ``bound`` above it, ``-bound`` below, else ``x`` (NaN stays NaN)."""
    if x > bound:
        return bound
    if x < -bound:
        return -bound
    return x


cdef inline floating _sqrt(floating x) noexcept nogil:
    if floating is float:
        return sqrtf(x)
    else:
        return sqrt(x)


cdef inline Py_ssize_t _piece(Py_ssize_t n, int nthreads) noexcept nogil:
    """Elements per thread, rounded up to 16 so that pieces start on 64-byte cache lines."""
    return ((n + nthreads - 1) // nthreads + 15) // 16 * 16


# -- SGD and momentum ------------------------------------------------------------------------------
cdef void _sgd(const floating* w, const floating* g, floating* out, Py_ssize_t n, floating lr,
               floating wd, floating rescale, floating bound, int nthreads) noexcept nogil:
    cdef Py_ssize_t t, i, lo, hi, step = _piece(n, nthreads)
    cdef floating decay = 1 - lr * wd
    for t in prange(nthreads, num_threads=nthreads, schedule="static", use_threads_if=nthreads > 1):
        lo = t * step
        hi = min(lo + step, n)
        if bound >= 0:
            for i in range(lo, hi):
                out[i] = decay * w[i] - lr * _clip(rescale * g[i], bound)
        else:
            for i in range(lo, hi):
                out[i] = decay * w[i] - (lr * rescale) * g[i]


cdef void _sgd_mom(const floating* w, const floating* g, floating* mom, floating* out,
                   Py_ssize_t n, floating lr, floating momentum, floating wd, floating rescale,
                   floating bound, int nthreads) noexcept nogil:
    cdef Py_ssize_t t, i, lo, hi, step = _piece(n, nthreads)
    cdef floating m
    for t in prange(nthreads, num_threads=nthreads, schedule="static", use_threads_if=nthreads > 1):
        lo = t * step
        hi = min(lo + step, n)
        if bound >= 0:
            for i in range(lo, hi):
                m = momentum * mom[i] - lr * wd * w[i] - lr * _clip(rescale * g[i], bound)
                mom[i] = m
                out[i] = w[i] + m
        else:
            for i in range(lo, hi):
                m = momentum * mom[i] - lr * wd * w[i] - lr * rescale * g[i]
                mom[i] = m
                out[i] = w[i] + m


cdef void _nag(const floating* w, const floating* g, floating* mom, floating* out, Py_ssize_t n,
               floating lr, floating momentum, floating wd, floating rescale, floating bound,
               int nthreads) noexcept nogil:
    cdef Py_ssize_t t, i, lo, hi, step = _piece(n, nthreads)
    cdef floating m, gr, momentum1 = momentum + 1
    for t in prange(nthreads, num_threads=nthreads, schedule="static", use_threads_if=nthreads > 1):
        lo = t * step
        hi = min(lo + step, n)
        for i in range(lo, hi):     # one loop: the clip test is cheap next to the rest here
            gr = _clip(rescale * g[i], bound) if bound >= 0 else rescale * g[i]
            m = momentum * mom[i]
            out[i] = w[i] - m + momentum1 * (m - lr * (gr + wd * w[i]))
            mom[i] = m - lr * (gr + wd * w[i])      # w[i] is the new weight when out is w


# -- Adam and RMSProp ------------------------------------------------------------------------------
cdef void _adam(const floating* w, const floating* g, floating* mean, floating* var,
                floating* out, Py_ssize_t n, floating lr, floating beta1, floating beta2,
                floating eps, floating wd, floating rescale, floating bound,
                int nthreads) noexcept nogil:
    cdef Py_ssize_t t, i, lo, hi, step = _piece(n, nthreads)
    cdef floating gr, m, v, c1 = 1 - beta1, c2 = 1 - beta2
    for t in prange(nthreads, num_threads=nthreads, schedule="static", use_threads_if=nthreads > 1):
        lo = t * step
        hi = min(lo + step, n)
        for i in range(lo, hi):
            gr = g[i] * rescale + w[i] * wd
            if bound >= 0:
                gr = _clip(gr, bound)
            m = beta1 * mean[i] + c1 * gr
            v = beta2 * var[i] + c2 * gr * gr
            mean[i] = m
            var[i] = v
            out[i] = w[i] - lr * m / (_sqrt(v) + eps)


cdef void _rmsprop(const floating* w, const floating* g, floating* sq, floating* out,
                   Py_ssize_t n, floating lr, floating gamma1, floating eps, floating wd,
                   floating rescale, floating bound, floating bound_w,
                   int nthreads) noexcept nogil:
    cdef Py_ssize_t t, i, lo, hi, step = _piece(n, nthreads)
    cdef floating gr, s, new, c1 = 1 - gamma1
    for t in prange(nthreads, num_threads=nthreads, schedule="static", use_threads_if=nthreads > 1):
        lo = t * step
        hi = min(lo + step, n)
        for i in range(lo, hi):
            gr = rescale * g[i] + wd * w[i]
            if bound >= 0:
                gr = _clip(gr, bound)
            s = c1 * (gr * gr) + gamma1 * sq[i]
            sq[i] = s
            new = w[i] - lr * (gr / _sqrt(s + eps))
            out[i] = _clip(new, bound_w) if bound_w >= 0 else new


# -- the kernels: check with the GIL, then run without it ------------------------------------------
cdef int _float_args(tuple read, tuple written, object out) except -2:
    """The common float type (NPY_FLOAT32/64) of the arrays, or -1 when the reference must run:
    mixed or other dtypes, non-contiguous arrays, or ``out`` partly overlapping an input."""
    cdef int t = float_type(out, True)
    if t < 0:
        return -1
    for x in read:
        if float_type(x, False) != t or clashes(x, out):
            return -1
    for x in written:
        if float_type(x, True) != t or clashes(x, out):
            return -1
    return t


cdef inline void* _ptr(object x):
    return cnp.PyArray_DATA(<cnp.ndarray>x)


def float32_params(attrs, *names):
    """The parameters ``names`` rounded to float32, as MXNet's kernels see them.

    NB: rounded with numpy and passed on as C doubles, not through a C ``float``: GCC 12 with
    ``-fno-trapping-math`` may fold ``(double)(float)x`` back into ``x``, losing the rounding.
    """
    return [float(np.float32(attrs[name])) for name in names]


def sgd_update(ins, outs, attrs):
    """The fused ``sgd_update`` (its formula: ``reference/optim.py``)."""
    w, g = ins
    out = outs[0]
    cdef int t = _float_args((w, g), (), out)
    if t < 0:
        return _ref.sgd_update(ins, outs, attrs)
    cdef double lr, wd, rescale, bound
    lr, wd, rescale, bound = float32_params(attrs, "lr", "wd", "rescale_grad", "clip_gradient")
    cdef Py_ssize_t n = out.size
    cdef int nthreads = threads_for(n)
    if n == 0:
        return
    cdef void* pw = _ptr(w)
    cdef void* pg = _ptr(g)
    cdef void* po = _ptr(out)
    with nogil:
        if t == cnp.NPY_FLOAT32:
            _sgd(<float*>pw, <float*>pg, <float*>po, n, lr, wd, rescale, bound, nthreads)
        else:
            _sgd(<double*>pw, <double*>pg, <double*>po, n, lr, wd, rescale, bound, nthreads)


def _momentum_kernel(bint nesterov):
    reference = _ref.nag_mom_update if nesterov else _ref.sgd_mom_update

    def kernel(ins, outs, attrs):
        """The fused ``nag_mom_update`` or ``sgd_mom_update``."""
        w, g, mom = ins
        out = outs[0]
        cdef int t = _float_args((w, g), (mom,), out)
        if t < 0:
            return reference(ins, outs, attrs)
        cdef double lr, momentum, wd, rescale, bound
        lr, momentum, wd, rescale, bound = float32_params(
            attrs, "lr", "momentum", "wd", "rescale_grad", "clip_gradient")
        cdef Py_ssize_t n = out.size
        cdef int nthreads = threads_for(n)
        if n == 0:
            return
        cdef void* pw = _ptr(w)
        cdef void* pg = _ptr(g)
        cdef void* pm = _ptr(mom)
        cdef void* po = _ptr(out)
        with nogil:
            if t == cnp.NPY_FLOAT32 and nesterov:
                _nag(<float*>pw, <float*>pg, <float*>pm, <float*>po, n, lr, momentum, wd,
                     rescale, bound, nthreads)
            elif t == cnp.NPY_FLOAT32:
                _sgd_mom(<float*>pw, <float*>pg, <float*>pm, <float*>po, n, lr, momentum, wd,
                         rescale, bound, nthreads)
            elif nesterov:
                _nag(<double*>pw, <double*>pg, <double*>pm, <double*>po, n, lr, momentum, wd,
                     rescale, bound, nthreads)
            else:
                _sgd_mom(<double*>pw, <double*>pg, <double*>pm, <double*>po, n, lr, momentum,
                         wd, rescale, bound, nthreads)
    return kernel


def adam_update(ins, outs, attrs):
    """The fused ``adam_update``."""
    w, g, mean, var = ins
    out = outs[0]
    cdef int t = _float_args((w, g), (mean, var), out)
    if t < 0:
        return _ref.adam_update(ins, outs, attrs)
    cdef double lr, beta1, beta2, eps, wd, rescale, bound
    lr, beta1, beta2, eps, wd, rescale, bound = float32_params(
        attrs, "lr", "beta1", "beta2", "epsilon", "wd", "rescale_grad", "clip_gradient")
    cdef Py_ssize_t n = out.size
    cdef int nthreads = threads_for(n)
    if n == 0:
        return
    cdef void* pw = _ptr(w)
    cdef void* pg = _ptr(g)
    cdef void* pm = _ptr(mean)
    cdef void* pv = _ptr(var)
    cdef void* po = _ptr(out)
    with nogil:
        if t == cnp.NPY_FLOAT32:
            _adam(<float*>pw, <float*>pg, <float*>pm, <float*>pv, <float*>po, n, lr, beta1, beta2,
                  eps, wd, rescale, bound, nthreads)
        else:
            _adam(<double*>pw, <double*>pg, <double*>pm, <double*>pv, <double*>po, n, lr, beta1,
                  beta2, eps, wd, rescale, bound, nthreads)


def rmsprop_update(ins, outs, attrs):
    """The fused ``rmsprop_update``."""
    w, g, sq = ins
    out = outs[0]
    cdef int t = _float_args((w, g), (sq,), out)
    if t < 0:
        return _ref.rmsprop_update(ins, outs, attrs)
    cdef double lr, gamma1, eps, wd, rescale, bound, bound_w
    lr, gamma1, eps, wd, rescale, bound, bound_w = float32_params(
        attrs, "lr", "gamma1", "epsilon", "wd", "rescale_grad", "clip_gradient", "clip_weights")
    cdef Py_ssize_t n = out.size
    cdef int nthreads = threads_for(n)
    if n == 0:
        return
    cdef void* pw = _ptr(w)
    cdef void* pg = _ptr(g)
    cdef void* ps = _ptr(sq)
    cdef void* po = _ptr(out)
    with nogil:
        if t == cnp.NPY_FLOAT32:
            _rmsprop(<float*>pw, <float*>pg, <float*>ps, <float*>po, n, lr, gamma1, eps, wd,
                     rescale, bound, bound_w, nthreads)
        else:
            _rmsprop(<double*>pw, <double*>pg, <double*>ps, <double*>po, n, lr, gamma1, eps, wd,
                     rescale, bound, bound_w, nthreads)


# -- several weights at once -----------------------------------------------------------------------
cdef void _multi_sgd_one(const floating* w, const floating* g, floating* out, Py_ssize_t n,
                         floating lr, floating wd, floating rescale, floating bound,
                         int nthreads) noexcept nogil:
    """One weight of MXNet's MultiSGDKernel: ``w + (0 - lr * wd * w - lr * clip(rescale * g))``."""
    cdef Py_ssize_t t, i, lo, hi, step = _piece(n, nthreads)
    cdef floating zero = 0
    for t in prange(nthreads, num_threads=nthreads, schedule="static", use_threads_if=nthreads > 1):
        lo = t * step
        hi = min(lo + step, n)
        if bound >= 0:
            for i in range(lo, hi):
                out[i] = w[i] + (zero - lr * wd * w[i] - lr * _clip(rescale * g[i], bound))
        else:
            for i in range(lo, hi):
                out[i] = w[i] + (zero - lr * wd * w[i] - lr * rescale * g[i])


def _multi_sgd(ins, outs, lrs, wds, attrs, reference):
    """Each (weight_i, grad_i) pair with its ``lrs[i]`` and ``wds[i]``, one loop per weight."""
    cdef int i, t = _float_args((ins[0],), (), outs[0])
    for i in range(len(outs)):
        if t < 0 or _float_args((ins[2 * i], ins[2 * i + 1]), (), outs[i]) != t:
            return reference(ins, outs, attrs)
    cdef double lr, wd, rescale, bound
    rescale, bound = float32_params(attrs, "rescale_grad", "clip_gradient")
    cdef Py_ssize_t n
    cdef int nthreads
    cdef void* pw
    cdef void* pg
    cdef void* po
    for i in range(len(outs)):
        lr, wd = float32_params({"lr": lrs[i], "wd": wds[i]}, "lr", "wd")
        n = outs[i].size
        nthreads = threads_for(n)
        pw, pg, po = _ptr(ins[2 * i]), _ptr(ins[2 * i + 1]), _ptr(outs[i])
        with nogil:
            if t == cnp.NPY_FLOAT32:
                _multi_sgd_one(<float*>pw, <float*>pg, <float*>po, n, lr, wd, rescale, bound,
                               nthreads)
            else:
                _multi_sgd_one(<double*>pw, <double*>pg, <double*>po, n, lr, wd, rescale, bound,
                               nthreads)


def multi_sgd_mom_update(ins, outs, attrs):
    """The fused ``multi_sgd_mom_update``: ``sgd_mom_update``'s loop over each group in turn, all
    in one engine op (the saving is the per-op overhead of the small bias updates)."""
    cdef int i, t = _float_args((ins[0],), (), outs[0])
    for i in range(len(outs)):
        if t < 0 or _float_args((ins[3 * i], ins[3 * i + 1]), (ins[3 * i + 2],), outs[i]) != t:
            return _ref_multi.multi_sgd_mom_update(ins, outs, attrs)
    cdef double lr, wd, momentum, rescale, bound
    momentum, rescale, bound = float32_params(attrs, "momentum", "rescale_grad", "clip_gradient")
    cdef Py_ssize_t n
    cdef int nthreads
    cdef void* pw
    cdef void* pg
    cdef void* pm
    cdef void* po
    for i in range(len(outs)):
        lr, wd = float32_params({"lr": attrs["lrs"][i], "wd": attrs["wds"][i]}, "lr", "wd")
        n = outs[i].size
        if n == 0:
            continue
        nthreads = threads_for(n)
        pw, pg, pm, po = _ptr(ins[3 * i]), _ptr(ins[3 * i + 1]), _ptr(ins[3 * i + 2]), \
            _ptr(outs[i])
        with nogil:
            if t == cnp.NPY_FLOAT32:
                _sgd_mom(<float*>pw, <float*>pg, <float*>pm, <float*>po, n, lr, momentum, wd,
                         rescale, bound, nthreads)
            else:
                _sgd_mom(<double*>pw, <double*>pg, <double*>pm, <double*>po, n, lr, momentum, wd,
                         rescale, bound, nthreads)


def multi_sgd_update(ins, outs, attrs):
    """The fused ``multi_sgd_update``."""
    _multi_sgd(ins, outs, attrs["lrs"], attrs["wds"], attrs, _ref_multi.multi_sgd_update)


def preloaded_multi_sgd_update(ins, outs, attrs):
    """The fused ``preloaded_multi_sgd_update``: lrs and wds read from the last two inputs."""
    cdef Py_ssize_t k = len(ins) - 2      # lrs and wds follow the groups (no negative indices here)
    _multi_sgd(ins, outs, ins[k].reshape(-1).tolist(), ins[k + 1].reshape(-1).tolist(), attrs,
               _ref_multi.preloaded_multi_sgd_update)


KERNELS = {
    "sgd_update": sgd_update,
    "sgd_mom_update": _momentum_kernel(False),
    "nag_mom_update": _momentum_kernel(True),
    "adam_update": adam_update,
    "rmsprop_update": rmsprop_update,
    "multi_sgd_update": multi_sgd_update,
    "multi_sgd_mom_update": multi_sgd_mom_update,
    "preloaded_multi_sgd_update": preloaded_multi_sgd_update,
}
