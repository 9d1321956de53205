"""The naive engine: every op runs at push time, on the pushing thread.

It is the debugging mode (a failing op's traceback points at the line that pushed it) and the
oracle the threaded engine is tested against: both must give identical results. Failures are still
stored on the written variables and raised at the next wait, exactly as in the threaded engine, so
that programs behave the same under both.
"""
import threading
import time

from ..threads import budget
from .devsync import SYNCS, sync
from .errors import check_vars, interruption, push_site, raise_first_unreported, wrap_failure
from .var import Opr

__all__ = ["NaiveEngine"]


class NaiveEngine:
    name = "NaiveEngine"

    def __init__(self):
        self.profiling = False
        self.records = []         # (name, start, end, thread name) while profiling
        self._failures = []       # failures not yet raised by wait_all
        self._lock = threading.Lock()

    def push(self, fn, reads, writes, ctx=None, name="op", inline=True):
        opr = Opr(fn, reads, writes, name, ctx)
        failure = interrupt = None
        for v in reads:
            if v.exc is not None:
                failure = v.exc
                break
        if failure is None:
            for v in writes:
                if v.exc is not None:
                    failure = v.exc
                    break
        if failure is None:
            start = time.perf_counter() if self.profiling else 0.0
            budget.demand += 1   # this op holds a core: kernels split over the rest
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - every failure is stored, then re-raised at a wait
                opr.where = push_site()
                failure = wrap_failure(opr, e)
                with self._lock:
                    self._failures.append(failure)
                interrupt = interruption(e, failure)
            finally:
                budget.demand -= 1
            if self.profiling:
                self.records.append((name, start, time.perf_counter(), threading.current_thread().name))
        if failure is not None:
            for v in writes:
                v.exc = failure
        if interrupt is not None:
            raise interrupt

    # Bulking changes nothing here: every op already runs at push time.
    def begin_bulk(self, size):
        return None

    def end_bulk(self, prev):
        pass

    def flush_bulk(self):
        pass

    def wait_for_var(self, var):
        if SYNCS:
            sync(var)
        check_vars((var,))

    def wait_all(self):
        if SYNCS:
            sync(None)
        with self._lock:
            failures, self._failures = self._failures, []
        if failures:
            raise_first_unreported(failures)

    def shutdown(self):
        pass

    # fork: see minimx/engine/__init__.py; ops already ran, only the lock matters
    def before_fork(self):
        self._lock.acquire()

    def after_fork_in_parent(self):
        self._lock.release()

    def fresh_copy(self):
        """The engine a forked child uses instead of this one (whose lock the fork copied held)."""
        eng = NaiveEngine()
        eng.profiling = self.profiling
        return eng
