"""User-defined profiler objects: `Domain` and its `Task`, `Frame`, `Counter`, `Marker`; `Event`.

Each records into the profiler only while it runs (``set_state('run')``, not paused), on the row
of its domain and the calling thread.
"""
import threading
import time

from ..base import MXNetError
from ..ndarray.ndarray import MXNetValueError
from . import state

__all__ = ["Domain", "Task", "Frame", "Event", "Counter", "Marker"]


class Domain:
    """A named group of tasks, frames, counters and markers (one process row in the trace)."""

    def __init__(self, name):
        self.name = name

    def __str__(self):
        return self.name

    def new_task(self, name):
        return Task(self, name)

    def new_frame(self, name):
        return Frame(self, name)

    def new_counter(self, name, value=None):
        return Counter(self, name, value)

    def new_marker(self, name):
        return Marker(self, name)


class _Span:
    """An interval between ``start()`` and ``stop()``, recorded at ``stop()``."""
    _category = "event"

    def __init__(self, name):
        self.name = name
        self._start = None

    def start(self):
        self._start = time.perf_counter()

    def stop(self):
        if self._start is None:
            raise MXNetError(f"{type(self).__name__} '{self.name}': stop() before start()")
        self._record(self._start, time.perf_counter())
        self._start = None

    def _record(self, start, end):
        state._span("event", "event", self.name, start, end)

    def __str__(self):
        return self.name


class Task(_Span):
    """A logical piece of work in a `Domain`; may start on one thread and stop on another
    (written as an async slice)."""

    def __init__(self, domain, name):
        super().__init__(name)
        self.domain = domain

    def _record(self, start, end):
        state._span(self.domain.name, self.domain.name, self.name, start, end, async_id=id(self))


class Frame(_Span):
    """A repeated region of a `Domain` (one iteration of a loop, one batch).

    NB: MXNet writes a frame as ``(``/``)`` context events, which trace viewers do not draw;
    minimx writes a complete (``X``) slice in category ``'<domain>,frame'``.
    """

    def __init__(self, domain, name):
        super().__init__(name)
        self.domain = domain

    def _record(self, start, end):
        state._span(f"{self.domain.name},frame", self.domain.name, self.name, start, end)


class Event(_Span):
    """A named interval, outside any domain (category ``'event'``)."""


class Counter:
    """A named value in a `Domain` drawn as a graph over time (``C`` events).

    NB: in the aggregate table MXNet fills a counter's time columns with numbers unrelated to its
    values; minimx puts the values there (Total = sum of the values set).
    """

    def __init__(self, domain, name, value=None):
        self.domain, self.name, self.value = domain, name, None
        if value is not None:
            self.set_value(value)

    def set_value(self, value):
        self.value = value
        if not state._recording():
            return
        with state._lock:
            pid, tid = state._row(self.domain.name, threading.current_thread().name)
            state._events.append({"name": self.name, "cat": self.domain.name, "ph": "C",
                                  "ts": state._us(time.perf_counter()), "pid": pid, "tid": tid,
                                  "args": {self.name: value}})
            state._add_stat(self.domain.name, self.name, float(value))

    def increment(self, delta=1):
        self.set_value((self.value or 0) + delta)

    def decrement(self, delta=1):
        self.set_value((self.value or 0) - delta)

    def __iadd__(self, delta):
        self.increment(delta)
        return self

    def __isub__(self, delta):
        self.decrement(delta)
        return self

    def __str__(self):
        return self.name


_SCOPES = {"global": "g", "process": "p", "thread": "t", "task": "p", "marker": "p"}


class Marker:
    """An instant in a `Domain` (a vertical line in the viewer).

    NB: MXNet writes ``n`` (async instant) events without an id; minimx writes standard instant
    (``i``) events with the same scope letter.
    """

    def __init__(self, domain, name):
        self.domain, self.name = domain, name

    def mark(self, scope="process"):
        if scope not in _SCOPES:
            raise MXNetValueError(f"Invalid Input: '{scope}', valid values are: "
                                  "{'global', 'marker', 'process', 'task', 'thread'}")
        if not state._recording():
            return
        category = f"{self.domain.name},instant_marker"
        with state._lock:
            pid, tid = state._row(self.domain.name, threading.current_thread().name)
            state._events.append({"name": self.name, "cat": category, "ph": "i",
                                  "s": _SCOPES[scope], "ts": state._us(time.perf_counter()),
                                  "pid": pid, "tid": tid})
            state._stats.setdefault(category, {})

    def __str__(self):
        return self.name
