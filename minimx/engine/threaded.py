"""The threaded engine: ops run on worker threads as soon as what they read and write is ready.

Steps of ``push(fn, reads, writes, ctx, name, inline)``:

1. Under the engine lock, append the op to every variable it reads and writes (rules 1 and 2 in
   ``var.py``). The op's ``wait`` counts the dependencies not granted at once.
2. If nothing blocks it and ``inline`` is set (the caller judged the op tiny), run it right here on
   the pushing thread: a thread handoff would cost more than the op. Otherwise a ready op goes to its
   device's queue, where a worker picks it up.
3. When an op finishes, rules 3 and 4 grant the next ops on its variables; ops whose last dependency
   was granted are ready. The finishing worker runs the first of them itself and queues the rest.
4. ``push`` blocks while ``max_inflight`` ops are queued or running (backpressure).

Bulking (``engine.bulk(size)``, MXNet's bulk execution; backward uses it): while a thread is
inside ``bulk``, its pushes are collected into a segment instead; every ``size`` ops (and at the
end of the block, and before any wait) the segment is pushed as ONE op that runs its functions in
push order, reading the union of what they read and writing the union of what they wrote. One
hand-off per segment instead of one per op; the ops of a segment do not run in parallel.

Workers sleep on their queue (``queue.SimpleQueue.get``): nothing busy-waits. CPU contexts share
one pool of ``cpu_workers`` threads (they are the same cores); every other device gets one
issuing thread, so its ops are issued in order (an OpenCL in-order queue).
"""
import queue
import threading
import time

from ..threads import budget
from .devsync import SYNCS, sync
from .errors import OpFailure, check_vars, interruption, push_site, raise_first_unreported
from .var import Opr

__all__ = ["ThreadedEngine"]

_STOP = object()


class ThreadedEngine:
    name = "ThreadedEngine"

    def __init__(self, cpu_workers, max_inflight):
        self.cpu_workers = cpu_workers
        self.max_inflight = max_inflight
        self.profiling = False
        self.records = []              # (name, start, end, thread name) while profiling
        self._lock = threading.Lock()
        self._all_done = threading.Condition(self._lock)   # pending reached 0
        self._room = threading.Condition(self._lock)       # queued dropped below max_inflight
        self._pending = 0              # pushed and not finished (inline ops included)
        self._queued = 0               # pushed, not inline, not finished: what backpressure bounds
        self._failures = []            # failures not yet raised by wait_all
        self._waiting_room = 0         # pushers blocked by backpressure
        self._waiting_all = 0          # threads in wait_all
        self._queues = {}              # device key -> SimpleQueue of ready ops
        self._threads = []
        self._tls = threading.local()  # .segment: the pushing thread's bulk segment, if any
        self._forking = False          # a fork waits for the engine to drain: pushes hold off
        self._fork_done = threading.Condition(self._lock)

    # -- pushing ---------------------------------------------------------------------------------
    def push(self, fn, reads, writes, ctx=None, name="op", inline=False):
        seg = self._tls.__dict__.get("segment")
        if seg is not None:
            if seg.key == _device_key(ctx):
                seg.add(fn, reads, writes, name)
                if len(seg.fns) >= seg.size:
                    self._flush(seg)
                return
            self._flush(seg)
        if inline and self._run_now(fn, reads, writes, name):
            return
        opr = Opr(fn, reads, writes, name, ctx)
        with self._lock:
            while self._forking and not self._on_worker():
                self._fork_done.wait()
            if not inline:
                while self._queued >= self.max_inflight:
                    self._waiting_room += 1
                    self._room.wait()
                    self._waiting_room -= 1
                self._queued += 1
            self._pending += 1
            wait = len(reads) + len(writes)
            for v in reads:
                if v.append_read(opr):
                    wait -= 1
            for v in writes:
                if v.append_write(opr):
                    wait -= 1
            opr.wait = wait
            if wait == 0:
                budget.demand += 1
        if wait:
            opr.where = push_site()
        elif inline:
            self._execute(opr, True)
        else:
            opr.where = push_site()
            self._queue_for(ctx).put(opr)

    # -- bulking ---------------------------------------------------------------------------------
    def begin_bulk(self, size):
        """Collect this thread's pushes into segments of ``size`` ops; returns the previous state."""
        prev = self._tls.__dict__.get("segment")
        if prev is not None:
            self._flush(prev)
        self._tls.segment = _Segment(size) if size > 1 else None
        return prev

    def end_bulk(self, prev):
        seg = self._tls.__dict__.get("segment")
        if seg is not None:
            self._flush(seg)
        self._tls.segment = None if prev is None else _Segment(prev.size)

    def _flush(self, seg):
        """Push the collected ops as one op (bulking is off while it is pushed)."""
        if not seg.fns:
            return
        fns, reads, writes, ctx, names = seg.take()
        self._tls.segment = None
        try:
            if len(fns) == 1:
                self.push(fns[0], reads, writes, ctx, names[0], False)
            else:
                self.push(_Run(fns), reads, writes, ctx, "Bulk(" + ",".join(names) + ")", False)
        finally:
            self._tls.segment = seg

    def flush_bulk(self):
        seg = self._tls.__dict__.get("segment")
        if seg is not None:
            self._flush(seg)

    def _run_now(self, fn, reads, writes, name):
        """The fast path of a tiny op: if nothing runs, waits on or has failed on its variables,
        claim them (rules 1 and 2 with empty queues), run it on this thread and release them
        (rules 3 and 4), without building an Opr. Returns False if the op must go the long way."""
        lock = self._lock
        with lock:
            if self._forking:
                return False
            for v in reads:
                if v._writing or v._queue or v.exc is not None:
                    return False
            for v in writes:
                if v._writing or v._readers or v._queue or v.exc is not None:
                    return False
            for v in reads:
                v._readers += 1
            for v in writes:
                v._writing = True
            self._pending += 1
            budget.demand += 1
        failure = interrupt = None
        start = time.perf_counter() if self.profiling else 0.0
        try:
            fn()
        except BaseException as e:  # noqa: BLE001 - stored and re-raised at a wait
            failure = self._record_failure(name, push_site(), e)
            interrupt = interruption(e, failure)
        if self.profiling:   # inline ops show up on the pushing thread's row of the timeline
            self.records.append((name, start, time.perf_counter(), threading.current_thread().name))
        ready = None
        with lock:
            for v in reads:
                v._readers -= 1
                if v._queue:   # another thread queued an op on it meanwhile
                    ready = ready or []
                    v.grant_waiting(ready)
            for v in writes:
                v._writing = False
                if failure is not None:
                    v.exc = failure
                if v._queue:
                    ready = ready or []
                    v.grant_waiting(ready)
            self._pending -= 1
            budget.demand += len(ready) - 1 if ready else -1
            if self._waiting_all and self._pending == 0:
                self._all_done.notify_all()
        if ready:
            for r in ready:
                self._queue_for(r.ctx).put(r)
        if interrupt is not None:
            raise interrupt
        return True

    def _queue_for(self, ctx):
        key = _device_key(ctx)
        q = self._queues.get(key)
        if q is None:
            with self._lock:
                q = self._queues.get(key)
                if q is None:
                    q = queue.SimpleQueue()
                    nthreads = self.cpu_workers if key == "cpu" else 1
                    for i in range(nthreads):
                        t = threading.Thread(target=self._worker, args=(q,), daemon=True,
                                             name=f"minimx-{key if key == 'cpu' else '%s%d' % key}-{i}")
                        t.start()
                        self._threads.append((t, q))
                    self._queues[key] = q
        return q

    # -- running ---------------------------------------------------------------------------------
    def _worker(self, q):
        while True:
            opr = q.get()
            if opr is _STOP:
                return
            while opr is not None:
                opr = self._execute(opr, False)

    def _execute(self, opr, inline):
        """Run one ready op, finish it, and return one newly ready op for this thread to run next."""
        failure = _failure_of(opr.reads, opr.writes)
        interrupt = None
        if failure is None:
            start = time.perf_counter() if self.profiling else 0.0
            try:
                opr.fn()
            except BaseException as e:  # noqa: BLE001 - stored and re-raised at a wait
                failure = self._record_failure(opr.name, opr.where or push_site(), e)
                interrupt = interruption(e, failure)
            if self.profiling:
                self.records.append((opr.name, start, time.perf_counter(),
                                     threading.current_thread().name))
        ready = self._finish(opr.reads, opr.writes, failure, inline)
        if opr.done is not None:
            opr.done.set()
        if inline:
            # The pushing thread must return to the user: hand everything to the workers.
            for r in ready:
                self._queue_for(r.ctx).put(r)
            if interrupt is not None:
                raise interrupt
            return None
        if not ready:
            return None
        mine = self._queue_for(opr.ctx)
        first = None
        for r in ready:
            q = self._queue_for(r.ctx)
            # Run one op of this worker's own device next on this thread; queue the others.
            if first is None and q is mine:
                first = r
            else:
                q.put(r)
        return first

    def _record_failure(self, name, where, exc):
        failure = OpFailure(name, where, exc)
        with self._lock:
            self._failures.append(failure)
        return failure

    def _finish(self, reads, writes, failure, inline):
        """Rules 3 and 4 on every variable of a finished op; returns the ops that became ready."""
        ready = []
        with self._lock:
            for v in reads:
                v.complete_read(ready)
            for v in writes:
                if failure is not None:
                    v.exc = failure
                v.complete_write(ready)
            budget.demand += len(ready) - 1
            self._pending -= 1
            if not inline:
                self._queued -= 1
                if self._waiting_room:
                    self._room.notify()
            if self._pending == 0 and self._waiting_all:
                self._all_done.notify_all()
        return ready

    # -- waiting ---------------------------------------------------------------------------------
    def wait_for_var(self, var):
        self.flush_bulk()
        with self._lock:
            idle = var.idle_for_read()
        if not idle:
            done = threading.Event()
            opr = Opr(_nothing, (var,), (), "WaitForVar", None)
            opr.done = done
            with self._lock:
                self._pending += 1
                self._queued += 1
                opr.wait = 1
                if var.append_read(opr):
                    opr.wait = 0
                    budget.demand += 1
            if opr.wait == 0:
                self._queue_for(None).put(opr)
            with self._lock:
                budget.waiting += 1
            try:
                done.wait()
            finally:
                with self._lock:
                    budget.waiting -= 1
        if SYNCS:
            sync(var)
        check_vars((var,))

    def wait_all(self):
        self.flush_bulk()
        with self._lock:
            while self._pending:
                self._wait_all_done()
            failures, self._failures = self._failures, []
        if SYNCS:
            sync(None)
        if failures:
            raise_first_unreported(failures)

    def _wait_all_done(self):
        """Sleep until pending reaches 0 (lock held). Ctrl-C interrupts the sleep: the
        KeyboardInterrupt propagates and the engine stays consistent (its ops run on)."""
        self._waiting_all += 1
        budget.waiting += 1
        try:
            self._all_done.wait()
        finally:
            self._waiting_all -= 1
            budget.waiting -= 1

    def shutdown(self):
        """Finish queued work and stop the workers (used when switching engines)."""
        self.flush_bulk()
        with self._lock:
            while self._pending:
                self._wait_all_done()
            threads, self._threads, self._queues = self._threads, [], {}
        for _, q in threads:
            q.put(_STOP)
        for t, _ in threads:
            t.join()

    # -- fork (see minimx/engine/__init__.py) ----------------------------------------------------
    def before_fork(self):
        """Wait for every pushed op, then hold the lock until the fork is done: the child must
        not copy a half-written array or a variable that a thread it lacks would release."""
        self.flush_bulk()
        self._lock.acquire()
        if self._on_worker():
            return          # an op forks: it cannot wait for itself (its variables stay claimed)
        # Other threads' pushes wait until the fork is done, or a thread that keeps pushing
        # would keep the engine from ever draining.
        self._forking = True
        try:
            while self._pending:
                self._wait_all_done()
        except BaseException:      # Ctrl-C while draining: no fork, pushes go on
            self.after_fork_in_parent()
            raise

    def _on_worker(self):
        me = threading.current_thread()
        return any(t is me for t, _ in self._threads)

    def after_fork_in_parent(self):
        self._forking = False
        self._fork_done.notify_all()
        self._lock.release()

    def fresh_copy(self):
        """The engine a forked child uses instead of this one: no threads, no queued ops, an
        unlocked lock (the child's copy of this one is held, and its workers do not exist)."""
        budget.demand = budget.waiting = 0
        eng = ThreadedEngine(self.cpu_workers, self.max_inflight)
        eng.profiling = self.profiling
        return eng


def _nothing():
    pass


def _device_key(ctx):
    """The queue an op of ``ctx`` goes to: one for every CPU context, one per other device."""
    return "cpu" if ctx is None or ctx.device_type.startswith("cpu") else (ctx.device_type,
                                                                            ctx.device_id)


class _Run:
    """A bulk segment's function: its ops' functions in push order (the first failure stops it)."""
    __slots__ = ("fns",)

    def __init__(self, fns):
        self.fns = fns

    def __call__(self):
        for fn in self.fns:
            fn()


class _Segment:
    """The ops one thread pushed inside ``bulk`` and not yet handed to the engine."""
    __slots__ = ("size", "key", "ctx", "fns", "names", "reads", "writes", "written")

    def __init__(self, size):
        self.size = size
        self.key = "cpu"
        self.ctx = None
        self._reset()

    def _reset(self):
        self.fns, self.names, self.reads, self.writes, self.written = [], [], [], [], set()

    def add(self, fn, reads, writes, name):
        if not self.fns:
            self.ctx = None
        written = self.written
        for v in writes:
            if id(v) not in written:
                written.add(id(v))
                self.writes.append(v)
        for v in reads:
            if id(v) not in written:
                self.reads.append(v)     # duplicates and later writes are dropped in take()
        self.fns.append(fn)
        self.names.append(name)

    def take(self):
        written, seen, reads = self.written, set(), []
        for v in self.reads:
            if id(v) not in written and id(v) not in seen:
                seen.add(id(v))
                reads.append(v)
        out = (self.fns, tuple(reads), tuple(self.writes), self.ctx, self.names)
        self._reset()
        return out


def _failure_of(reads, writes):
    """The stored failure of the first failed variable the op reads or writes (None if none)."""
    for v in reads:
        if v.exc is not None:
            return v.exc
    for v in writes:
        if v.exc is not None:
            return v.exc
    return None
