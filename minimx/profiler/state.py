"""The profiler's state: configuration, run/pause flags, and the events recorded so far.

Everything here is module-level, as in MXNet (one profiler per process). The engine's records are
drained lazily (`collect`): at stop, pause, dump and dumps.
"""
import threading
import time

from .. import engine as _engine
from ..base import MXNetError

__all__ = ["set_config", "set_state", "pause", "resume"]

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



def _trace():
    _collect()
    with _lock:
        return {"traceEvents": list(_events), "displayTimeUnit": "ms"}


def _reset():
    """Forget everything recorded and restore the default configuration (for tests)."""
    global _running, _paused, _ever_ran
    set_state("stop")
    with _lock:
        _events.clear()
        _stats.clear()
        _rows.clear()
        _config.clear()
        _config.update(_DEFAULTS)
    _running = _paused = _ever_ran = False
