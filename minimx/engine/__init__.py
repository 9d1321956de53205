"""The dependency engine: ops declare what they read and write, and nothing else orders them.

MXNet's API in MXNet's terms::

    v = new_var()
    push(fn, reads=(a,), writes=(v,), ctx=None, name='my_op')   # returns at once
    wait_for_var(v)                                            # raises the op's error, if any
    wait_all()

The engine knows nothing about arrays: an NDArray's storage owns a ``Var``, and ``invoke`` pushes a
closure that calls a kernel. Choose the engine with ``MINIMX_ENGINE_TYPE`` (or MXNet's
``MXNET_ENGINE_TYPE``) or ``set_engine('naive' | 'threaded')``.

Fork safety (MXNet stops its engine around ``fork`` the same way): before ``os.fork`` (and so
before every DataLoader worker starts) the engine waits until every pushed op has run and holds
its lock through the fork, so no variable is half-written in the copy. The parent then carries
on; the child drops the inherited engine (its worker threads do not exist there, and its locks may
be held by threads that are gone) and starts a fresh one of the same kind. Kernels in the child
use one thread (as PyTorch's do): OpenMP's thread team of the forking thread does not survive the
fork, and a parallel loop on that thread would wait for it forever (``threads.set_kernel_threads``
raises the cap again where the forking thread never ran a parallel kernel).
"""
import os
import threading

from .. import config
from ..base import MXNetError
from ..threads import set_kernel_threads
from .naive import NaiveEngine
from .threaded import ThreadedEngine
from .var import Var

__all__ = ["Var", "new_var", "push", "wait_for_var", "wait_all", "get_engine", "set_engine",
           "NaiveEngine", "ThreadedEngine", "bulk", "set_bulk_size"]

_engine = None
current = None        # the engine in use once created (read directly on the hot path)
_engine_lock = threading.Lock()


def _make(kind):
    kind = kind.lower()
    if kind.startswith("naive"):
        return NaiveEngine()
    if kind.startswith("threaded"):
        return ThreadedEngine(config.cpu_worker_nthreads(), config.max_inflight())
    raise MXNetError(f"unknown engine type {kind!r}: use 'ThreadedEngine' or 'NaiveEngine'")


def get_engine():
    """The engine in use (created from the environment on first use)."""
    global _engine, current
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = current = _make(config.engine_type())
    return _engine


def set_engine(kind):
    """Switch engines ('naive' or 'threaded'); work pushed so far finishes first. Returns the old name."""
    global _engine, current
    with _engine_lock:
        old = _engine
        if old is not None:
            old.shutdown()
        _engine = current = _make(kind)
    return None if old is None else old.name


def _before_fork():
    _engine_lock.acquire()
    if _engine is not None:
        _engine.before_fork()


def _after_fork_in_parent():
    if _engine is not None:
        _engine.after_fork_in_parent()
    _engine_lock.release()


def _after_fork_in_child():
    global _engine, current, _engine_lock
    _engine_lock = threading.Lock()   # the parent's lock is held (by _before_fork) in the copy
    set_kernel_threads(1)
    if _engine is not None:
        _engine = current = _engine.fresh_copy()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent,
                        after_in_child=_after_fork_in_child)


def new_var():
    return Var()


def push(fn, reads=(), writes=(), ctx=None, name="op", inline=False):
    """Schedule ``fn()`` to run after earlier ops on ``reads``/``writes``; returns at once.

    A variable may appear once: in ``reads`` or in ``writes``, not both (an op that reads and writes
    a variable lists it in ``writes`` only). ``inline=True`` lets a ready op run on this thread.
    """
    reads, writes = tuple(reads), tuple(writes)
    seen = set()
    for v in reads + writes:
        if not isinstance(v, Var):
            raise MXNetError(f"engine.push({name}): {v!r} is not an engine Var")
        if id(v) in seen:
            raise MXNetError(f"engine.push({name}): a variable is listed twice in reads/writes; "
                             "list a variable the op both reads and writes in writes only")
        seen.add(id(v))
    get_engine().push(fn, reads, writes, ctx, name, inline)


def wait_for_var(var):
    """Block until every op pushed so far that writes ``var`` has run; raise its failure if any."""
    get_engine().wait_for_var(var)


def wait_all():
    """Block until every pushed op has run; raise the first failure not raised before."""
    get_engine().wait_all()


class bulk:
    """``with mx.engine.bulk(size):``: this thread's ops are pushed in segments of up to ``size``
    ops, each one engine op (MXNet's bulk execution): fewer hand-offs, no parallelism inside a
    segment. The threaded engine flushes a segment when it is full, at the end of the block and
    before any wait; the naive engine runs every op at once anyway.
    """

    def __init__(self, size):
        self.size = int(size)

    def __enter__(self):
        self._engine = get_engine()
        self._prev = self._engine.begin_bulk(self.size)
        return self

    def __exit__(self, *exc):
        self._engine.end_bulk(self._prev)
        return False


def set_bulk_size(size):
    """Accepted for MXNet compatibility (see ``bulk``); returns the previous size (always 0)."""
    return 0
