"""Draw a Chrome trace as a timeline picture: one row per thread, one bar per op.

Kept apart from the profiler because it needs matplotlib, an optional dependency. It draws on a
``Figure`` with the Agg canvas directly, never through ``pyplot``, so it works without a display and
leaves a notebook's pyplot state alone.
"""
from collections import Counter

from ..base import MXNetError

__all__ = ["draw", "spans"]


def spans(trace):
    """``(rows, bars)`` of a trace: rows are ``(pid, tid) -> label``; bars are ``(pid, tid, name,
    start us, duration us)`` from complete (``X``) events and matched ``B``/``E`` pairs."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    processes, threads, bars, open_, sort = {}, {}, [], {}, {}
    for e in events:
        ph = e.get("ph")
        if ph == "M" and e.get("name") == "process_name":
            processes[e["pid"]] = e["args"]["name"]
        elif ph == "M" and e.get("name") == "process_sort_index":
            sort[e["pid"]] = e["args"]["sort_index"]
        elif ph == "M" and e.get("name") == "thread_name":
            threads[(e["pid"], e["tid"])] = e["args"]["name"]
        elif ph == "X":
            bars.append((e["pid"], e.get("tid", 0), e["name"], float(e["ts"]), float(e["dur"])))
        elif ph in ("B", "b"):     # a sync slice opens on its thread, an async one by its id
            open_.setdefault((e["pid"], e.get("tid", 0), e.get("id")), []).append(e)
        elif ph in ("E", "e"):
            stack = open_.get((e["pid"], e.get("tid", 0), e.get("id")))
            if stack:
                b = stack.pop()
                bars.append((b["pid"], b.get("tid", 0), b["name"], float(b["ts"]),
                             float(e["ts"]) - float(b["ts"])))
    rows = {}
    for pid, tid, *_ in sorted(bars, key=lambda b: (sort.get(b[0], 0), str(b[0]), str(b[1]))):
        if (pid, tid) not in rows:
            rows[(pid, tid)] = f"{processes.get(pid, pid)}: {threads.get((pid, tid), tid)}"
    return rows, bars


def draw(trace, filename, title=None, max_legend=12, figsize=None):
    """Write the timeline of `trace` (a trace dict or its event list) to `filename`; returns it."""
    try:
        from matplotlib import colormaps
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise MXNetError("mx.profiler.plot_timeline needs matplotlib, which is not installed: "
                         "pip install matplotlib") from err
    rows, bars = spans(trace)
    if not bars:
        raise MXNetError("plot_timeline: the trace has no timed events. Profile some work first: "
                         "set_config(profile_all=True), set_state('run'), ..., set_state('stop')")
    t0 = min(b[3] for b in bars)
    order = {key: i for i, key in enumerate(rows)}
    common = [name for name, _ in Counter(b[2] for b in bars).most_common(max_legend)]
    palette = colormaps["tab20"]
    colour = {name: palette(i % 20) for i, name in enumerate(common)}
    fig = Figure(figsize=figsize or (11, 1.2 + 0.45 * len(rows)))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    for name in common + [None]:
        mine = [b for b in bars if (b[2] == name if name else b[2] not in colour)]
        for key in {(b[0], b[1]) for b in mine}:
            # broken_barh draws a row's many bars in one artist: fast for thousands of ops
            ax.broken_barh([((b[3] - t0) / 1e3, max(b[4] / 1e3, 1e-4)) for b in mine
                            if (b[0], b[1]) == key], (order[key] - 0.4, 0.8),
                           color=colour.get(name, "lightgrey"), edgecolor="none")
        if name is not None:
            # an empty bar makes the legend entry; " " because a label '_x' would be hidden
            ax.bar(0, 0, color=colour[name], label=" " + name)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(list(rows.values()))
    ax.invert_yaxis()
    ax.set_xlabel("time (ms)")
    ax.set_title(title or "minimx profiler timeline")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    fig.tight_layout()
    fig.savefig(filename, dpi=100)
    return filename
