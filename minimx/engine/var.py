"""A variable of the dependency engine and its four scheduling rules.

An op declares the variables it reads and the ones it writes. Each variable keeps a FIFO of the ops
that are waiting for it and a count of the readers running on it. Four rules are the whole
scheduling logic (MXNet: ``ThreadedVar::AppendReadDependency`` and friends):

1. append read:  run now if no write is running or waiting ahead; else wait in the queue.
2. append write: run now if nothing runs or waits on the variable; else wait in the queue.
3. complete read:  the last running reader lets the write at the head of the queue start.
4. complete write: the next write starts, or every read up to the next queued write starts.

Readers of one variable run together; a writer runs alone; pushes are served in order.
All methods are called with the engine's lock held.
"""
from collections import deque

__all__ = ["Var", "Opr"]


class Opr:
    """One pushed operation: the function to run and what it reads and writes."""
    __slots__ = ("fn", "reads", "writes", "name", "where", "wait", "done", "ctx")

    def __init__(self, fn, reads, writes, name, ctx):
        self.fn = fn
        self.reads = reads
        self.writes = writes
        self.name = name
        self.ctx = ctx
        self.where = None      # 'file.py:12', the user's line that pushed the op (found lazily)
        self.wait = 0          # dependencies not yet granted; the op is ready at 0
        self.done = None       # a threading.Event for ops that someone waits on


def _grant(opr, ready):
    opr.wait -= 1
    if opr.wait == 0:
        ready.append(opr)


class Var:
    """An engine variable. An NDArray's storage owns one; views share it.

    ``exc`` holds the error of a failed op that wrote this variable; it is raised again by every
    wait on the variable and passed on to every op that reads or writes it (as MXNet does).
    """
    __slots__ = ("_queue", "_readers", "_writing", "exc", "__weakref__")

    def __init__(self):
        self._queue = None      # deque of (opr, is_write) waiting, in push order; made when needed
        self._readers = 0       # running readers
        self._writing = False   # a writer is running
        self.exc = None

    def idle_for_read(self):
        """True if a reader pushed now would run at once (no write running or queued)."""
        return not self._writing and not self._queue

    # rule 1
    def append_read(self, opr):
        if not self._writing and not self._queue:
            self._readers += 1
            return True
        if self._queue is None:
            self._queue = deque()
        self._queue.append((opr, False))
        return False

    # rule 2
    def append_write(self, opr):
        if not self._writing and not self._readers and not self._queue:
            self._writing = True
            return True
        if self._queue is None:
            self._queue = deque()
        self._queue.append((opr, True))
        return False

    # rule 3
    def complete_read(self, ready):
        self._readers -= 1
        if self._queue:
            self.grant_waiting(ready)

    # rule 4
    def complete_write(self, ready):
        self._writing = False
        if self._queue:
            self.grant_waiting(ready)

    def grant_waiting(self, ready):
        """Start queued ops from the head while the rules allow: reads up to the next write, or a
        write once no reader runs. (invariant: a read waits only behind a write, so after rule 3
        the head, if any, is a write.)"""
        queue = self._queue
        while queue and not self._writing:
            opr, is_write = queue[0]
            if is_write:
                if self._readers == 0:
                    queue.popleft()
                    self._writing = True
                    _grant(opr, ready)
                break
            queue.popleft()
            self._readers += 1
            _grant(opr, ready)

    def __repr__(self):
        return (f"<Var readers={self._readers} writing={self._writing} "
                f"queued={len(self._queue or ())}{' failed' if self.exc else ''}>")
