"""``mx.profiler``: what ran, where and for how long, as a Chrome trace and an aggregate table.

    mx.profiler.set_config(profile_all=True, aggregate_stats=True, filename='profile.json')
    mx.profiler.set_state('run')
    ...                                   # the code to look at
    mx.nd.waitall()
    mx.profiler.set_state('stop')
    print(mx.profiler.dumps())            # MXNet's aggregate table: count, total/min/max/avg ms
    mx.profiler.dump()                    # profile.json: open it in chrome://tracing or Perfetto
    mx.profiler.plot_timeline(filename='timeline.png')   # the same timeline as a picture

Where the timings come from: while profiling, the engine appends ``(op name, start, end, thread
name)`` to ``engine.records`` for every op it runs (a worker thread's op, or a tiny op run inline on
the pushing thread). The profiler drains that list into trace events: one trace "process" per device
queue (the CPU worker pool, each OpenCL device's issuing thread) and one row per thread in it, so ops
that ran side by side on two workers appear side by side. User objects (`Domain`, `Task`, `Frame`,
`Event`, `Counter`, `Marker`) add their own rows.

The file is the Chrome trace-event format (JSON object form): ``{"traceEvents": [...],
"displayTimeUnit": "ms"}`` with complete (``X``), async (``b``/``e``), counter (``C``), instant
(``i``) and metadata (``M``) events; timestamps in microseconds since the epoch.
"""
import json
import threading
import time

from .. import engine as _engine
from ..base import MXNetError
from ..ndarray.ndarray import MXNetValueError

__all__ = ["set_config", "set_state", "pause", "resume", "dump", "dumps", "Domain", "Task",
           "Frame", "Event", "Counter", "Marker", "plot_timeline", "profiler_set_config",
           "profiler_set_state", "dump_profile"]

# set_config's arguments and MXNet's defaults.
_DEFAULTS = {"filename": "profile.json", "profile_all": False, "profile_symbolic": True,
             "profile_imperative": False, "profile_memory": False, "profile_api": False,
             "continuous_dump": False, "dump_period": 1.0, "aggregate_stats": False,
             "profile_process": "worker"}
_config = dict(_DEFAULTS)
_lock = threading.Lock()
_running = False        # set_state('run') and not stopped
_paused = False
_ever_ran = False
_events = []            # trace events (dicts) recorded so far
_stats = {}             # category -> name -> [count, total ms, min ms, max ms]
_rows = {}              # (process name, thread name) -> (pid, tid)
# perf_counter is precise but has an arbitrary zero; this puts trace timestamps on the epoch.
_EPOCH = time.time() - time.perf_counter()


class _KeyError(MXNetError, KeyError):
    """Raised where MXNet raises a KeyError (an unknown state)."""


class _AssertionError(MXNetError, AssertionError):
    """Raised where MXNet's profiler fails an ``assert``."""


# ---- configuration and state ---------------------------------------------------------------------
def set_config(**kwargs):
    """Configure the profiler (keyword arguments only).

    Parameters
    ----------
    filename : str, default 'profile.json'
        Where `dump` writes the trace.
    profile_all : bool, default False
        Turn on every kind of profiling.
    profile_symbolic, profile_imperative : bool, default True, False
        Record operators. NB: minimx runs hybridized graphs through the same ``invoke`` as
        imperative calls, so either flag records every op.
    profile_memory, profile_api : bool, default False
        Accepted. NB: minimx records no memory or C API events (it has no C API).
    aggregate_stats : bool, default False
        Keep the per-name statistics that `dumps` prints.
    continuous_dump, dump_period, profile_process
        Accepted for MXNet compatibility; only ``profile_process='worker'`` exists.
    """
    for key in kwargs:
        if key not in _DEFAULTS:
            known = ", ".join(_DEFAULTS)
            raise MXNetError(f"Cannot find argument '{key}', Possible Arguments: {known}")
    _check_process(kwargs.get("profile_process", "worker"))
    with _lock:
        _config.update(kwargs)
    if _running:
        _engine.get_engine().profiling = _records_ops()


def _check_process(profile_process):
    if profile_process not in ("worker", "server"):
        raise _KeyError(profile_process)
    if profile_process == "server":
        raise MXNetError("profile_process='server' profiles a kvstore server; minimx's distributed "
                         "kvstore runs on MPI without servers: profile each worker instead")


def _records_ops():
    c = _config
    return bool(c["profile_all"] or c["profile_symbolic"] or c["profile_imperative"])


def set_state(state="stop", profile_process="worker"):
    """Start (``'run'``) or stop (``'stop'``) recording."""
    global _running, _paused, _ever_ran
    if state not in ("run", "stop"):
        raise _KeyError(state)
    _check_process(profile_process)
    if state == "run":
        _running, _paused, _ever_ran = True, False, True
        eng = _engine.get_engine()
        eng.profiling = _records_ops()
    else:
        _engine.get_engine().profiling = False
        _collect()
        _running = False


def pause(profile_process="worker"):
    """Stop recording for a while; `resume` continues (the profiler stays in state 'run')."""
    global _paused
    _check_process(profile_process)
    _engine.get_engine().profiling = False
    _collect()
    _paused = True


def resume(profile_process="worker"):
    """Continue recording after `pause`."""
    global _paused
    _check_process(profile_process)
    _paused = False
    if _running:
        _engine.get_engine().profiling = _records_ops()


def _recording():
    return _running and not _paused


# ---- collecting events ---------------------------------------------------------------------------
def _row(process, thread, first=False):
    """The (pid, tid) of a timeline row, announced once with metadata events; ``first`` sorts
    the process above the others (device queues above user domains)."""
    key = (process, thread)
    row = _rows.get(key)
    if row is None:
        pids = {p: pid for (p, _), (pid, _) in _rows.items()}
        pid = pids.get(process, len(pids))
        tid = 1 + sum(1 for (p, _) in _rows if p == process)
        row = _rows[key] = (pid, tid)
        if process not in pids:
            _events.append({"name": "process_name", "ph": "M", "pid": pid, "tid": 0,
                            "args": {"name": process}})
            _events.append({"name": "process_sort_index", "ph": "M", "pid": pid, "tid": 0,
                            "args": {"sort_index": pid - 1000 * first}})
        _events.append({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid,
                        "args": {"name": thread}})
        _events.append({"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": tid,
                        "args": {"sort_index": tid}})
    return row


def _device_of(thread):
    """The device queue an engine thread serves: ``minimx-cpu-0`` -> 'cpu', ``minimx-gpu0-0`` ->
    'gpu/0'. Other threads ran ops inline (the engine's fast path for tiny ops)."""
    if thread.startswith("minimx-"):
        dev = thread.split("-")[1]
        kind = dev.rstrip("0123456789")
        return "cpu" if kind == "cpu" else f"{kind}/{dev[len(kind):]}"
    return "cpu"


def _us(t):
    return (t + _EPOCH) * 1e6


def _add_stat(category, name, ms):
    if not _config["aggregate_stats"]:
        return
    stat = _stats.setdefault(category, {}).get(name)
    if stat is None:
        _stats[category][name] = [1, ms, ms, ms]
    else:
        stat[0] += 1
        stat[1] += ms
        stat[2] = min(stat[2], ms)
        stat[3] = max(stat[3], ms)


def _collect():
    """Move the engine's op records into trace events and aggregate statistics."""
    records = _engine.get_engine().records
    n = len(records)
    taken = records[:n]
    del records[:n]           # workers may append meanwhile: keep what came after the slice
    with _lock:
        for name, start, end, thread in taken:
            where = "MainThread (inline)" if thread == "MainThread" else thread
            pid, tid = _row(_device_of(thread), where, first=True)
            _events.append({"name": name, "cat": "operator", "ph": "X", "ts": _us(start),
                            "dur": (end - start) * 1e6, "pid": pid, "tid": tid})
            _add_stat("operator", name, (end - start) * 1e3)


def _span(category, process, name, start, end, async_id=None):
    """Record a user object's interval (Event, Frame, Task) on the calling thread's row."""
    if not _recording():
        return
    with _lock:
        pid, tid = _row(process, threading.current_thread().name)
        if async_id is None:
            _events.append({"name": name, "cat": category, "ph": "X", "ts": _us(start),
                            "dur": (end - start) * 1e6, "pid": pid, "tid": tid})
        else:
            for ph, t in (("b", start), ("e", end)):
                _events.append({"name": name, "cat": category, "ph": ph, "ts": _us(t),
                                "id": async_id, "pid": pid, "tid": tid})
        _add_stat(category, name, (end - start) * 1e3)


# ---- output --------------------------------------------------------------------------------------
def _trace():
    _collect()
    with _lock:
        return {"traceEvents": list(_events), "displayTimeUnit": "ms"}


def dump(finished=True, profile_process="worker"):
    """Write the trace recorded so far to the configured ``filename`` (Chrome trace JSON).

    Parameters
    ----------
    finished : bool, default True
        Also stop the profiler. With False, recording goes on and a later `dump` rewrites the
        file with everything recorded by then.
    """
    _check_process(profile_process)
    if not _ever_ran:
        raise MXNetError("Profiler hasn't been run. Config and start profiler first: "
                         "mx.profiler.set_config(...); mx.profiler.set_state('run')")
    if finished and _running:
        set_state("stop")
    trace = _trace()
    with open(_config["filename"], "w") as f:
        json.dump(trace, f)


_SORT = {"total": 1, "avg": None, "min": 2, "max": 3, "count": 0}


def dumps(reset=False, format="table", sort_by="total", ascending=False):   # noqa: A002 - MXNet's name
    """The aggregate statistics (needs ``aggregate_stats=True``) as MXNet prints them.

    Parameters
    ----------
    reset : bool, default False
        Clear the statistics after printing them.
    format : {'table', 'json'}
        A table per category (name, count, total/min/max/avg time in ms), or the same numbers as
        JSON: ``{"Time": {category: {name: {"Count", "Total", "Min", "Max", "Avg"}}}, ...}``.
    sort_by : {'total', 'avg', 'min', 'max', 'count'}
    ascending : bool, default False

    Returns
    -------
    str
        Empty when no statistics were kept.
    """
    if format not in ("table", "json"):
        raise _AssertionError(f"Invalid value provided for format: {format}. Support: 'table', "
                              "'json'")
    if sort_by not in _SORT:
        raise _AssertionError(f"Invalid value provided for sort_by: {sort_by}. Support: 'total', "
                              "'avg', 'min', 'max', 'count'")
    if ascending not in (False, True) or reset not in (False, True):
        raise _AssertionError("Invalid value provided for ascending/reset: Support: False, True")
    _collect()
    with _lock:
        stats = {cat: dict(rows) for cat, rows in _stats.items()}
        if reset:
            _stats.clear()
    if not stats:
        return ""

    def key(item):
        count, total = item[1][0], item[1][1]
        col = _SORT[sort_by]
        return total / count if col is None else item[1][col]

    ordered = {cat: sorted(rows.items(), key=key, reverse=not ascending)
               for cat, rows in sorted(stats.items())}
    if format == "json":
        return json.dumps({"Time": {cat: {name: {"Count": c, "Total": round(t, 3),
                                                 "Min": round(lo, 3), "Max": round(hi, 3),
                                                 "Avg": round(t / c, 3)}
                                          for name, (c, t, lo, hi) in rows}
                                    for cat, rows in ordered.items()},
                           "Memory": {}, "Unit": {"Time": "ms", "Memory": "kB"}}, indent=4)
    lines = ["", "Profile Statistics:", "\tNote the difference in units for different entries."]
    heads = ("Time (ms)", "Min Time (ms)", "Max Time (ms)", "Avg Time (ms)")
    for cat, rows in ordered.items():
        lines += [cat, "=" * 17,
                  f"{'Name':<25}{'Total Count':>16} " + " ".join(f"{h:>16}" for h in heads),
                  f"{'----':<25}{'-----------':>16} " + " ".join(f"{'-' * len(h):>16}"
                                                                    for h in heads)]
        for name, (c, t, lo, hi) in rows:
            lines.append(f"{name:<25}{c:>16} {t:>16.4f} {lo:>16.4f} {hi:>16.4f} {t / c:>16.4f}")
        lines.append("")
    return "\n".join(lines) + "\n"


# ---- user-defined objects ------------------------------------------------------------------------
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
        _span("event", "event", self.name, start, end)

    def __str__(self):
        return self.name


class Task(_Span):
    """A logical piece of work in a `Domain`; may start on one thread and stop on another
    (written as an async slice)."""

    def __init__(self, domain, name):
        super().__init__(name)
        self.domain = domain

    def _record(self, start, end):
        _span(self.domain.name, self.domain.name, self.name, start, end, async_id=id(self))


class Frame(_Span):
    """A repeated region of a `Domain` (one iteration of a loop, one batch).

    NB: MXNet writes a frame as ``(``/``)`` context events, which trace viewers do not draw;
    minimx writes a complete (``X``) slice in category ``'<domain>,frame'``.
    """

    def __init__(self, domain, name):
        super().__init__(name)
        self.domain = domain

    def _record(self, start, end):
        _span(f"{self.domain.name},frame", self.domain.name, self.name, start, end)


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
        if not _recording():
            return
        with _lock:
            pid, tid = _row(self.domain.name, threading.current_thread().name)
            _events.append({"name": self.name, "cat": self.domain.name, "ph": "C",
                            "ts": _us(time.perf_counter()), "pid": pid, "tid": tid,
                            "args": {self.name: value}})
            _add_stat(self.domain.name, self.name, float(value))

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
        if not _recording():
            return
        category = f"{self.domain.name},instant_marker"
        with _lock:
            pid, tid = _row(self.domain.name, threading.current_thread().name)
            _events.append({"name": self.name, "cat": category, "ph": "i", "s": _SCOPES[scope],
                            "ts": _us(time.perf_counter()), "pid": pid, "tid": tid})
            _stats.setdefault(category, {})

    def __str__(self):
        return self.name


# ---- deprecated spellings MXNet keeps ------------------------------------------------------------
def profiler_set_config(mode="symbolic", filename="profile.json"):
    """Deprecated: ``set_config(profile_<mode>=True, filename=filename)``."""
    set_config(**{"profile_" + mode: True, "filename": filename})


def profiler_set_state(state="stop"):
    """Deprecated: `set_state`."""
    set_state(state)


def dump_profile():
    """Deprecated: ``dump(True)``."""
    dump(True)


def plot_timeline(trace=None, filename="timeline.png", title=None, max_legend=12, figsize=None):
    """Draw a trace as a timeline picture (PNG): one row per thread, one bar per op.

    A minimx addition: the picture shows at a glance which ops ran side by side on the engine's
    workers. Needs matplotlib (``pip install matplotlib``).

    Parameters
    ----------
    trace : None, str or dict
        None: what the profiler recorded so far; a path: a trace JSON written by `dump` (MXNet's
        too); a dict: a loaded trace.
    filename : str, default 'timeline.png'
        The picture to write.
    title : str, optional
    max_legend : int, default 12
        The most frequent op names get their own colour and a legend entry; others are grey.
    figsize : (float, float), optional

    Returns
    -------
    str
        `filename`.
    """
    from .timeline import draw
    if trace is None:
        trace = _trace()
    elif isinstance(trace, str):
        with open(trace) as f:
            trace = json.load(f)
    return draw(trace, filename, title, max_legend, figsize)
