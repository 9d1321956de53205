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
user runs in the same process) and does the threading itself, under the one thread budget
(``minimx/threads.py``):

1. ``kernel_threads()`` says how many cores this op may use now: all of them when it runs alone,
   one when every core already has an op.
2. A large product is split by rows of the output into that many blocks; each block is
   ``np.matmul(a[rows], b, out=out[rows])``, written straight into its slice of ``outs[0]`` (no
   copies: row slices of C-contiguous arrays are C-contiguous, and transposed operands are views
   BLAS reads with its ``trans`` flag).
3. The calling thread (an engine worker) computes the first block; a small private thread pool
   computes the others concurrently. numpy releases the GIL inside ``matmul``, so they truly run
   in parallel.

Small products (below ``MIN_SPLIT_FLOPS``) are one ``matmul`` call: a thread handoff would cost
more than it saves.
"""
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import threadpoolctl

from ...threads import budget, kernel_threads
from ..reference.linalg import batch_operands, dot_operands, fc_operands, gemm_operands

__all__ = ["KERNELS", "limit_blas", "run_blocks", "matmul", "threads_for"]

# Below this many multiply-adds per thread a split does not pay: the handoff and the thinner
# row blocks cost more than the second core gives back (an MLP's 64x784x256 products stay whole).
MIN_SPLIT_FLOPS = 1 << 24

_state = threading.Lock()
_blas_limited = False
_pool = None


def limit_blas():
    """Limit numpy's BLAS to one thread, once per process (see the module docstring)."""
    global _blas_limited
    if not _blas_limited:
        with _state:
            if not _blas_limited:
                threadpoolctl.threadpool_limits(1, user_api="blas")
                _blas_limited = True


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


def threads_for(flops, parts):
    """How many threads a kernel of ``flops`` multiply-adds over ``parts`` splittable rows uses."""
    limit_blas()
    # kernel_threads() counts the calling op in the engine's demand; a direct call (tests, the
    # naive engine) is not counted, so also cap at the budget itself.
    n = min(kernel_threads(), budget.total, parts, flops // MIN_SPLIT_FLOPS)
    return max(1, n)


def run_blocks(fn, n, nthreads):
    """Call ``fn(start, stop)`` over ``range(n)`` cut into ``nthreads`` blocks, concurrently.

    The calling thread runs the first block itself; the others go to the private pool. Returns
    when every block has finished (re-raising the first error of any block).
    """
    if nthreads <= 1 or n <= 1:
        fn(0, n)
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
    run_blocks(block, m, nthreads)


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
    nthreads = threads_for(batch * m * n * k, max(batch, m))
    if batch >= nthreads or m == 1:
        def block(lo, hi):
            np.matmul(a[lo:hi], b[lo:hi], out=out[lo:hi])
            if after is not None:
                after(out[lo:hi], (slice(lo, hi),))
        run_blocks(block, batch, nthreads)
    else:
        def block(lo, hi):
            np.matmul(a[:, lo:hi], b, out=out[:, lo:hi])
            if after is not None:
                after(out[:, lo:hi], (slice(None), slice(lo, hi)))
        run_blocks(block, m, nthreads)


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
    run_blocks(block, m, threads_for(m * n * k, m))


KERNELS = {
    "dot": dot,
    "batch_dot": batch_dot,
    "_linalg_gemm2": linalg_gemm2,
    "_linalg_gemm": linalg_gemm,
    "FullyConnected": fully_connected,
}
