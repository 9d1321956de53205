"""The dependency engine: ops declare what they read and write, and nothing else orders them.

MXNet's API in MXNet's terms::

    v = new_var()
    push(fn, reads=(a,), writes=(v,), ctx=None, name='my_op')   # returns at once
    wait_for_var(v)                                            # raises the op's error, if any
    wait_all()

The engine knows nothing about arrays: an NDArray's storage owns a ``Var``, and ``invoke`` pushes a
closure that calls a kernel. Choose the engine with ``MINIMX_ENGINE_TYPE`` (or MXNet's
``MXNET_ENGINE_TYPE``) or ``set_engine('naive' | 'threaded')``.
"""
import threading

from .. import config
from ..base import MXNetError
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
