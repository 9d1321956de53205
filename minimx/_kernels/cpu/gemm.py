"""GEMM on the CPU backend: numpy's BLAS, split over minimx's thread budget.

The naive loop every kernel here computes is ``out[i, j] = sum_k a[i, k] * b[k, j]``; numpy's
``matmul`` hands it to BLAS (OpenBLAS in numpy's wheels) and releases the GIL while it runs.

Why BLAS runs on one thread, and how minimx gets the cores back
----------------------------------------------------------------
BLAS starts its own threads, one per core, for every large product. minimx's engine also runs
independent ops at once on its workers. Two workers each running a 2-thread BLAS on a 2-core
machine keep four threads busy on two cores: they take turns, trash each other's caches, and spin
in BLAS's barriers, so the pair runs *slower* than one product after the other. So at first use
this module limits numpy's BLAS to one thread for the rest of the process
(``threadpoolctl.threadpool_limits(1, user_api='blas')``; NB: this also applies to numpy code the
user runs in the same process) and hands threads out itself, under the one thread budget
(``minimx/threads.py``): ``kernel_threads()`` says how many cores this op may use now (all of them
when it runs alone, one when every core already has an op). Then:

1. **OpenBLAS's own threads** (``blas_threads.py``), where numpy's OpenBLAS lets a kernel raise
   its thread count: one ``np.matmul`` call with that many threads. OpenBLAS's parked workers
   pick the blocks up within microseconds (an MLP's 64x784x256 product runs 1.8x faster on two
   cores), and ``blas_threads.blas_call`` turns this off for a while when another process holds
   a core (then OpenBLAS's threads are 100x slower than one thread).
2. **Otherwise, a row split**: the product is cut by rows of the output into that many blocks;
   each block is ``np.matmul(a[rows], b, out=out[rows])``, written straight into its slice of
   ``outs[0]`` (row slices of C-contiguous arrays are C-contiguous, and transposed operands are
   views BLAS reads with its ``trans`` flag). The calling thread (an engine worker) computes the
   first block; a small private thread pool the others. numpy releases the GIL inside
   ``matmul``, so they truly run in parallel, but a Python thread hand-off costs tens of
   microseconds, so only products above ``MIN_SPLIT_FLOPS`` are split.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import threadpoolctl

from ...threads import budget, kernel_threads
from . import blas_threads as _blas
from ..reference.linalg import batch_operands, dot_operands, fc_operands, gemm_operands

__all__ = ["KERNELS", "limit_blas", "run_blocks", "matmul", "threads_for", "blas_threads"]

# Below this many multiply-adds per thread a Python row split does not pay: the handoff and the
# thinner row blocks cost more than the second core gives back.
MIN_SPLIT_FLOPS = 1 << 24
# With OpenBLAS's own threads the hand-off is cheap: measured on 2 cores, 64x256x256 (4.2M
# multiply-adds) ran 1.8x faster on two threads, 64x256x10 (0.16M) no faster.
MIN_BLAS_FLOPS = 1 << 20

_state = threading.Lock()
_blas_limited = False
_pool = None


_set_local = None     # blas_threads.find_setter(): raising the count is possible


def limit_blas():
    """Limit numpy's BLAS to one thread, once per process (see the module docstring)."""
    global _blas_limited, _set_local
    if not _blas_limited:
        with _state:
            if not _blas_limited:
                threadpoolctl.threadpool_limits(1, user_api="blas")
                _set_local = _blas.find_setter()
                _blas_limited = True


def blas_threads():
    """True when GEMMs thread inside OpenBLAS (``blas_threads.py``), False for the row split."""
    limit_blas()
    return _set_local is not None


def _executor():
    global _pool
    if _pool is None:
        with _state:
            if _pool is None:
                _pool = ThreadPoolExecutor(max(1, budget.total - 1),
                                           thread_name_prefix="minimx-gemm")
    return _pool


def _forget_pool_in_child():
    global _pool, _state
    _pool, _state = None, threading.Lock()   # a forked child has none of the pool's threads


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool_in_child)


def threads_for(flops, parts, unit=None):
    """How many threads a kernel of ``flops`` multiply-adds over ``parts`` splittable rows uses
    (``unit``: the fewest multiply-adds per thread; by default what the threading mode needs)."""
    limit_blas()
    # kernel_threads() counts the calling op in the engine's demand; a direct call (tests, the
    # naive engine) is not counted, so also cap at the budget itself.
    if unit is None:
        unit = MIN_BLAS_FLOPS if _set_local is not None else MIN_SPLIT_FLOPS
    n = min(kernel_threads(), budget.total, parts, flops // unit)
    return max(1, n)


def run_blocks(fn, n, nthreads, blas=True, flops=0):
    """Call ``fn(start, stop)`` over ``range(n)`` cut into ``nthreads`` blocks, concurrently.

    With OpenBLAS's thread count at hand (and ``blas``: ``fn``'s work is mostly its BLAS calls, of
    about ``flops`` multiply-adds), one call ``fn(0, n)`` whose BLAS calls use ``nthreads`` threads. Otherwise the calling thread runs
    the first block itself and the others go to the private pool. Returns when every block has
    finished (re-raising the first error of any block).
    """
    if nthreads <= 1 or n <= 1:
        fn(0, n)
        return
    if blas and _set_local is not None:
        _blas.blas_call(lambda: fn(0, n), nthreads, flops)
        return
    nthreads = min(nthreads, n)
    bounds = [n * i // nthreads for i in range(nthreads + 1)]
    pool = _executor()
    futures = [pool.submit(fn, bounds[i], bounds[i + 1]) for i in range(1, nthreads)]
    try:
        fn(bounds[0], bounds[1])
    finally:
        # Wait for every block even if ours failed: they all write into the caller's output.
        errors = [f.exception() for f in futures]
    for e in errors:
        if e is not None:
            raise e


def matmul(a, b, out, nthreads=None):
    """``out[...] = a @ b`` for 2-d operands, split by rows of ``out`` over the thread budget."""
    m, k = a.shape
    n = b.shape[1]
    if nthreads is None:
        nthreads = threads_for(m * n * k, m)

    def block(lo, hi):
        np.matmul(a[lo:hi], b, out=out[lo:hi])
    run_blocks(block, m, nthreads, flops=m * n * k)


# -- kernels -------------------------------------------------------------------------------------
def dot(ins, outs, attrs):
    a, b, out = dot_operands(ins, outs, attrs)
    matmul(a, b, out)


def batch_dot(ins, outs, attrs):
    a, b, out = batch_operands(ins, outs, attrs)
    _batched(a, b, out)


def _batched(a, b, out, after=None):
    """``out = a @ b`` for 3-d operands: split over the batch when it is large, else over rows.

    ``after(out_view, rows)`` (optional) finishes each block while it is still in cache.
    """
    batch, m, k = a.shape
    n = b.shape[2]
    # OpenBLAS's threads pay per product; many small products split over the batch instead.
    blas = m * n * k >= MIN_BLAS_FLOPS
    nthreads = threads_for(batch * m * n * k, max(batch, m), None if blas else MIN_SPLIT_FLOPS)
    if batch >= nthreads or m == 1:
        def block(lo, hi):
            np.matmul(a[lo:hi], b[lo:hi], out=out[lo:hi])
            if after is not None:
                after(out[lo:hi], (slice(lo, hi),))
        run_blocks(block, batch, nthreads, blas, batch * m * n * k)
    else:
        def block(lo, hi):
            np.matmul(a[:, lo:hi], b, out=out[:, lo:hi])
            if after is not None:
                after(out[:, lo:hi], (slice(None), slice(lo, hi)))
        run_blocks(block, m, nthreads, flops=batch * m * n * k)


def linalg_gemm2(ins, outs, attrs):
    _gemm(ins, outs, attrs, None)


def linalg_gemm(ins, outs, attrs):
    _gemm(ins, outs, attrs, ins[2])


def _gemm(ins, outs, attrs, c):
    a, b, out = gemm_operands(ins, outs, attrs)
    alpha = out.dtype.type(attrs["alpha"])
    beta = out.dtype.type(attrs["beta"]) if c is not None else 0
    if c is not None:
        c = np.moveaxis(c, attrs["axis"] % c.ndim, -2)
    lead = out.shape[:-2]
    batch = 1
    for s in lead:
        batch *= s
    if lead and not out.flags.c_contiguous:
        # Rows on an axis other than -2: the moved views are not contiguous, so they cannot be
        # folded into one batch axis without a copy. numpy's batched matmul handles the strides.
        np.matmul(a, b, out=out)
        _scale_add(out, alpha, beta, c)
        return
    a3 = a.reshape((batch,) + a.shape[-2:])
    b3 = b.reshape((batch,) + b.shape[-2:])
    o3 = out.reshape((batch,) + out.shape[-2:])
    c3 = c.reshape((batch,) + c.shape[-2:]) if c is not None else None

    def finish(block, index):
        _scale_add(block, alpha, beta, c3[index] if c3 is not None else None)
    _batched(a3, b3, o3, finish)


def _scale_add(out, alpha, beta, c):
    if alpha != 1:
        out *= alpha
    if c is not None and beta != 0:
        out += c * beta


def fully_connected(ins, outs, attrs):
    x, wt, out = fc_operands(ins, outs, attrs)
    m, k = x.shape
    n = wt.shape[1]
    bias = None if attrs["no_bias"] else ins[2].reshape(-1)

    def block(lo, hi):
        np.matmul(x[lo:hi], wt, out=out[lo:hi])
        if bias is not None:
            out[lo:hi] += bias      # while the block is still in cache
    run_blocks(block, m, threads_for(m * n * k, m), flops=m * n * k)


KERNELS = {
    "dot": dot,
    "batch_dot": batch_dot,
    "_linalg_gemm2": linalg_gemm2,
    "_linalg_gemm": linalg_gemm,
    "FullyConnected": fully_connected,
}
