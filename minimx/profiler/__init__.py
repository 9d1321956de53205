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

from ..base import MXNetError
from . import state
from .objects import Counter, Domain, Event, Frame, Marker, Task
from .state import _AssertionError, pause, resume, set_config, set_state
from .state import _reset  # noqa: F401 - tests start from a clean profiler

__all__ = ["set_config", "set_state", "pause", "resume", "dump", "dumps", "Domain", "Task",
           "Frame", "Event", "Counter", "Marker", "plot_timeline", "profiler_set_config",
           "profiler_set_state", "dump_profile"]


def dump(finished=True, profile_process="worker"):
    """Write the trace recorded so far to the configured ``filename`` (Chrome trace JSON).

    Parameters
    ----------
    finished : bool, default True
        Also stop the profiler. With False, recording goes on and a later `dump` rewrites the
        file with everything recorded by then.
    """
    state._check_process(profile_process)
    if not state._ever_ran:
        raise MXNetError("Profiler hasn't been run. Config and start profiler first: "
                         "mx.profiler.set_config(...); mx.profiler.set_state('run')")
    if finished and state._running:
        set_state("stop")
    trace = state._trace()
    with open(state._config["filename"], "w") as f:
        json.dump(trace, f)


_SORT = {"total": 1, "avg": None, "min": 2, "max": 3, "count": 0}


def dumps(reset=False, format="table", sort_by="total", ascending=False):  # noqa: A002
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
    state._collect()
    with state._lock:
        stats = {cat: dict(rows) for cat, rows in state._stats.items()}
        if reset:
            state._stats.clear()
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
        trace = state._trace()
    elif isinstance(trace, str):
        with open(trace) as f:
            trace = json.load(f)
    return draw(trace, filename, title, max_legend, figsize)
