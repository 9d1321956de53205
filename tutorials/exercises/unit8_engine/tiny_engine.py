"""Exercise 8.2: a tiny threaded dependency engine (see engine_rules.py for the unit).

``TinyEngine().push(fn, reads, writes)`` returns at once; ``fn()`` runs on a thread of its own as
soon as every earlier op it conflicts with (a shared variable that either of them writes) has
finished. ``wait_all()`` blocks until everything pushed has run and raises the first error an op
raised. Variables are any hashable names.

The bookkeeping, per variable v (``self._last_write``, ``self._readers``):

- the last pushed op that writes v;
- the ops pushed since then that read v.

A new reader of v waits for that last writer; a new writer of v waits for the last writer and
for every reader since. Each op counts the dependencies it still waits for (``op.waiting``) and
lists the ops that wait for it (``op.dependents``); when it finishes, each dependent's count
drops by one, and a dependent whose count reaches 0 starts. Ops that have finished are no
longer waited for (``op.done``). Everything shared is read and written under ``self._lock``.
"""
import threading

__all__ = ["TinyEngine"]


class _Op:
    """One pushed op."""
    __slots__ = ("fn", "reads", "writes", "waiting", "dependents", "done")

    def __init__(self, fn, reads, writes):
        self.fn = fn
        self.reads = tuple(reads)
        self.writes = tuple(writes)
        self.waiting = 0          # dependencies not finished yet; the op starts at 0
        self.dependents = []      # ops that wait for this one
        self.done = False


class TinyEngine:
    """A dependency engine: one thread per op, started when the op's dependencies are done."""

    def __init__(self):
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)   # notified when _pending drops to 0
        self._pending = 0              # pushed and not finished
        self._errors = []
        self._last_write = {}          # variable -> the last pushed op writing it
        self._readers = {}             # variable -> ops pushed since that write that read it

    def push(self, fn, reads=(), writes=()):
        """Schedule ``fn()`` after the earlier ops it conflicts with; returns at once.

        A variable is in ``reads`` or in ``writes``, not both (reading and writing: ``writes``).
        """
        op = _Op(fn, reads, writes)
        # BEGIN SOLUTION 8.2: find the unfinished ops it waits for, link them, update the state; start it if none
        with self._lock:
            deps = set()
            for v in op.reads:
                last = self._last_write.get(v)
                if last is not None and not last.done:
                    deps.add(last)
                self._readers.setdefault(v, []).append(op)
            for v in op.writes:
                last = self._last_write.get(v)
                if last is not None and not last.done:
                    deps.add(last)
                deps.update(r for r in self._readers.get(v, ()) if not r.done)
                self._last_write[v] = op
                self._readers[v] = []
            for d in deps:
                d.dependents.append(op)
            op.waiting = len(deps)
            self._pending += 1
        if op.waiting == 0:
            self._start(op)
        # END SOLUTION

    def _finish(self, op):
        """Called on op's thread once ``op.fn()`` has returned (or raised)."""
        # BEGIN SOLUTION 8.2: mark op done, count dependents down, _pending too (notify _idle at 0); start the ready
        with self._lock:
            op.done = True
            ready = []
            for d in op.dependents:
                d.waiting -= 1
                if d.waiting == 0:
                    ready.append(d)
            self._pending -= 1
            if self._pending == 0:
                self._idle.notify_all()
        for d in ready:
            self._start(d)
        # END SOLUTION

    def _start(self, op):
        """Run ``op`` on a new thread (given)."""
        threading.Thread(target=self._run, args=(op,), daemon=True).start()

    def _run(self, op):
        try:
            op.fn()
        except BaseException as e:  # noqa: BLE001 - kept for wait_all, as the real engine does
            with self._lock:
                self._errors.append(e)
        finally:
            self._finish(op)

    def wait_all(self):
        """Block until every pushed op has finished; raise the first error one of them raised."""
        with self._idle:
            while self._pending:
                self._idle.wait()
            errors, self._errors = self._errors, []
        if errors:
            raise errors[0]
