"""OpenBLAS's own threads for one kernel at a time, and only while they pay.

minimx keeps numpy's BLAS on one thread (``gemm.limit_blas``) and hands cores out from its thread
budget. Where numpy's OpenBLAS has ``openblas_set_num_threads_local`` (OpenBLAS >= 0.3.27: it sets
the thread count and returns the previous one), ``blas_call(fn, n, flops)`` raises the count to
``n`` around ``fn``: OpenBLAS's parked workers pick up the blocks within microseconds, so an MLP's
64x784x256 product ran 1.8x faster on two cores of a quiet machine (0.30 -> 0.165 ms).

Two hazards, two rules:

1. **The count is process-wide.** Two kernels whose raised windows overlap must not "restore"
   each other's value (the one that entered second would leave BLAS threaded for good), so the
   kernels inside a window are counted and only the last one out sets the count back to 1.
2. **A busy core.** When another thread or process holds a core, OpenBLAS's threads wait for each other
   at every block of the product, and a waiting thread keeps its core: the 64x784x256 product
   took 32-48 ms instead of 0.3 ms next to one busy-looping process on two cores, 100x slower.
   So each kind of caller (a ``lane``: "gemm", "rnn") keeps the seconds per multiply-add of its
   one-thread calls, and a threaded call slower than twice that turns threading off for that
   lane for a while (2 s, doubling up to 120 s while it keeps losing; one-thread calls in the
   meantime refresh the baseline). The first call of a lane runs on one thread to measure it.
   On a busy machine this costs one slow call per back-off period. The commonest such thread is
   our own: the main thread runs Python (pushing the next ops) while an engine worker runs the
   GEMM. So a worker only raises the count while some thread sleeps in an engine wait
   (``budget.waiting``, kept by the engine); a kernel on the main thread (the naive engine, a
   direct call) is that thread.

``MINIMX_BLAS_THREADS=0`` turns the whole mechanism off (every GEMM on one thread).
"""
import ctypes
import os
import threading
import time

import threadpoolctl

from ...threads import budget

__all__ = ["find_setter", "blas_call", "lane_state"]

SLOWER = 2.0            # a threaded call this many times the one-thread estimate lost
BACKOFF, MAX_BACKOFF = 2.0, 120.0      # seconds: a lost call costs ~30 ms, so < 1.5% overhead
_ALPHA = 0.2            # weight of a new one-thread sample in the baseline

_lock = threading.Lock()
_setter = None
_raised = 0             # kernels inside a raised window (under _lock)
_lanes = {}
_MAIN = threading.main_thread()


class _Lane:
    """What one kind of caller has learnt: one-thread seconds per multiply-add, and back-off."""
    __slots__ = ("single", "until", "fails", "threaded", "lost")

    def __init__(self):
        self.single = None         # EWMA of one-thread seconds per multiply-add
        self.until = 0.0           # threading is off for this lane until this perf_counter()
        self.fails = 0             # threaded calls that lost, in a row
        self.threaded = self.lost = 0     # counts, for tests and reports


def find_setter():
    """``openblas_set_num_threads_local`` of numpy's OpenBLAS (cached), or None where it is
    missing (older OpenBLAS, MKL, ...) or ``MINIMX_BLAS_THREADS=0``."""
    global _setter
    if _setter is None and os.environ.get("MINIMX_BLAS_THREADS", "1") != "0":
        _setter = _lookup() or False
    return _setter or None


def _lookup():
    for lib in threadpoolctl.ThreadpoolController().select(internal_api="openblas").lib_controllers:
        try:
            dll = ctypes.CDLL(lib.filepath)
        except OSError:
            continue
        for name in ("openblas_set_num_threads_local", lib.prefix + "_set_num_threads_local"):
            fn = getattr(dll, name, None)
            if fn is not None:
                fn.argtypes, fn.restype = [ctypes.c_int], ctypes.c_int
                return fn
    return None


def lane_state(lane):
    """The lane's ``_Lane`` (created on first use)."""
    st = _lanes.get(lane)
    if st is None:
        st = _lanes.setdefault(lane, _Lane())
    return st


def blas_call(fn, nthreads, flops, lane="gemm"):
    """``fn()`` (whose work is BLAS calls totalling about ``flops`` multiply-adds) with OpenBLAS on
    up to ``nthreads`` threads, when that has been paying off for ``lane``."""
    setter = find_setter()
    st = lane_state(lane)
    start = time.perf_counter()
    pusher_idle = budget.waiting > 0 or threading.current_thread() is _MAIN
    if setter is None or nthreads <= 1 or st.single is None or start < st.until or \
            not pusher_idle:
        fn()
        per = (time.perf_counter() - start) / max(flops, 1)
        st.single = per if st.single is None else (1 - _ALPHA) * st.single + _ALPHA * per
        return
    _raise(setter, nthreads)
    try:
        fn()
    finally:
        _lower(setter)
    took = time.perf_counter() - start
    st.threaded += 1
    if took > SLOWER * st.single * flops:
        st.lost += 1
        st.fails += 1
        st.until = time.perf_counter() + min(MAX_BACKOFF, BACKOFF * 2 ** (st.fails - 1))
    else:
        st.fails = 0


def _raise(setter, nthreads):
    global _raised
    with _lock:
        _raised += 1
        setter(nthreads)


def _lower(setter):
    global _raised
    with _lock:
        _raised -= 1
        if _raised == 0:
            setter(1)


def _forget_in_child():
    global _lock, _raised
    _lock, _raised = threading.Lock(), 0     # the engine drains before a fork: no kernel runs


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)
