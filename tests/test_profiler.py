"""mx.profiler: MXNet's API and table, a valid Chrome trace with a row per engine worker, the
timeline picture."""
import json
import numbers
import sys

import numpy as np
import pytest

import minimx as mx
from minimx import profiler

# ---- the trace-event format (Google's "Trace Event Format" document, JSON object form) ----------
_PHASES = {"B", "E", "X", "i", "I", "C", "b", "n", "e", "s", "t", "f", "P", "O", "N", "D", "M",
           "(", ")", "R", "c"}
_METADATA = {"process_name", "process_labels", "process_sort_index", "thread_name",
             "thread_sort_index"}


def validate_trace(trace):
    """Raise AssertionError where `trace` breaks the trace-event format; returns its events."""
    assert isinstance(trace, dict) and isinstance(trace.get("traceEvents"), list)
    assert trace.get("displayTimeUnit", "ms") in ("ms", "ns")
    open_slices = {}
    for e in trace["traceEvents"]:
        ph = e.get("ph")
        assert ph in _PHASES, e
        assert isinstance(e.get("name"), str), e
        assert isinstance(e.get("pid"), int) and isinstance(e.get("tid", 0), int), e
        if ph == "M":
            assert e["name"] in _METADATA and isinstance(e["args"], dict), e
            if e["name"].endswith("_name"):
                assert isinstance(e["args"]["name"], str), e
            continue
        assert isinstance(e.get("ts"), numbers.Real) and e["ts"] >= 0, e
        if ph == "X":
            assert isinstance(e.get("dur"), numbers.Real) and e["dur"] >= 0, e
        elif ph in ("b", "e", "n"):
            assert "id" in e and isinstance(e.get("cat"), str), e
        elif ph in ("i", "I"):
            assert e.get("s", "t") in ("g", "p", "t"), e
        elif ph == "C":
            assert e["args"] and all(isinstance(v, numbers.Real) for v in e["args"].values()), e
        elif ph == "B":
            open_slices.setdefault((e["pid"], e["tid"]), []).append(e["ts"])
        elif ph == "E":
            stack = open_slices.get((e["pid"], e["tid"]))
            assert stack and stack.pop() <= e["ts"], e
    assert not any(open_slices.values()), "unclosed B events"
    return trace["traceEvents"]


@pytest.fixture
def prof():
    old = mx.engine.set_engine("threaded")
    profiler._reset()
    yield profiler
    profiler._reset()
    mx.engine.set_engine(old or "threaded")


def _two_chains(n=6, size=128):
    a = mx.nd.array(np.random.default_rng(0).standard_normal((size, size)) / size)
    x, y = a, a
    for _ in range(n):
        x, y = mx.nd.dot(x, a), mx.nd.dot(y, a)
    mx.nd.waitall()


def test_trace_is_valid_with_a_row_per_engine_worker(prof, tmp_path):
    path = str(tmp_path / "profile.json")
    prof.set_config(profile_all=True, aggregate_stats=True, filename=path)
    prof.set_state("run")
    _two_chains()
    prof.set_state("stop")
    prof.dump()
    with open(path) as f:
        events = validate_trace(json.load(f))
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
             if e["ph"] == "M" and e["name"] == "thread_name"}
    processes = {e["pid"]: e["args"]["name"] for e in events
                 if e["ph"] == "M" and e["name"] == "process_name"}
    dots = [e for e in events if e["ph"] == "X" and e["name"] == "dot"]
    assert len(dots) == 12 and all(e["cat"] == "operator" for e in dots)
    rows = {names[(e["pid"], e["tid"])] for e in dots}
    assert all(r.startswith("minimx-cpu-") for r in rows)
    assert {processes[e["pid"]] for e in dots} == {"cpu"}
    assert len(rows) <= mx.engine.get_engine().cpu_workers    # one row per worker, not per op


def test_dumps_table_as_mxnet_prints_it(prof):
    prof.set_config(profile_imperative=True, aggregate_stats=True)
    prof.set_state("run")
    _two_chains(n=3)
    prof.set_state("stop")
    table = prof.dumps()
    lines = table.split("\n")
    assert lines[:3] == ["", "Profile Statistics:",
                         "\tNote the difference in units for different entries."]
    i = lines.index("operator")
    assert lines[i + 1] == "================="
    assert lines[i + 2] == ("Name                          Total Count        Time (ms)    "
                            "Min Time (ms)    Max Time (ms)    Avg Time (ms)")
    assert lines[i + 3] == ("----                          -----------        ---------    "
                            "-------------    -------------    -------------")
    dot = next(line for line in lines if line.startswith("dot "))
    assert dot[:41] == "dot" + " " * 37 + "6"
    total, lo, hi, avg = map(float, dot[41:].split())
    assert lo <= avg <= hi and abs(total - 6 * avg) < 1e-3
    stats = json.loads(prof.dumps(format="json"))
    assert stats["Time"]["operator"]["dot"]["Count"] == 6
    assert stats["Unit"] == {"Time": "ms", "Memory": "kB"}
    by_count = prof.dumps(sort_by="count", ascending=True).split("\n")
    rows = by_count[by_count.index("operator") + 4:]
    counts = [int(r[25:41]) for r in rows if r.strip()]
    assert counts == sorted(counts)
    prof.dumps(reset=True)
    assert prof.dumps() == ""


def test_no_aggregate_stats_gives_an_empty_string(prof):
    prof.set_config(profile_imperative=True)
    prof.set_state("run")
    mx.nd.ones((3,)).wait_to_read()
    prof.set_state("stop")
    assert prof.dumps() == ""


def test_pause_and_resume(prof):
    prof.set_config(profile_all=True, aggregate_stats=True)
    prof.set_state("run")
    (mx.nd.ones((4,)) + 1).wait_to_read()
    prof.pause()
    (mx.nd.ones((4,)) * 3).wait_to_read()
    prof.resume()
    (mx.nd.ones((4,)) - 1).wait_to_read()
    prof.set_state("stop")
    ops = json.loads(prof.dumps(format="json"))["Time"]["operator"]
    assert "_plus_scalar" in ops and "_minus_scalar" in ops and "_mul_scalar" not in ops


def test_user_objects(prof, tmp_path):
    path = str(tmp_path / "objects.json")
    prof.set_config(profile_all=True, aggregate_stats=True, filename=path)
    domain = prof.Domain("mydomain")
    task, frame = domain.new_task("mytask"), domain.new_frame("myframe")
    event, marker = prof.Event("myevent"), domain.new_marker("mymarker")
    assert [str(o) for o in (domain, task, frame, event, marker)] == \
        ["mydomain", "mytask", "myframe", "myevent", "mymarker"]
    task.start()                       # not running yet: nothing recorded
    task.stop()
    prof.set_state("run")
    for obj in (task, frame, event):
        obj.start()
        obj.stop()
    counter = domain.new_counter("mycounter", 5)
    counter += 3
    counter.decrement(1)
    marker.mark("process")
    marker.mark("global")
    with pytest.raises(mx.MXNetError, match="Invalid Input: 'bad'"):
        marker.mark("bad")
    prof.dump()                        # finished=True also stops the profiler
    with open(path) as f:
        events = validate_trace(json.load(f))
    kinds = {(e["name"], e["ph"], e.get("cat")) for e in events if e["ph"] != "M"}
    assert {("mytask", "b", "mydomain"), ("mytask", "e", "mydomain"),
            ("myframe", "X", "mydomain,frame"), ("myevent", "X", "event"),
            ("mycounter", "C", "mydomain"), ("mymarker", "i", "mydomain,instant_marker")} <= kinds
    assert [e["args"]["mycounter"] for e in events if e["name"] == "mycounter"] == [5, 8, 7]
    stats = json.loads(prof.dumps(format="json"))["Time"]
    assert stats["mydomain"]["mytask"]["Count"] == 1 and stats["mydomain"]["mycounter"]["Count"] == 3
    assert stats["mydomain,instant_marker"] == {}
    assert set(stats) == {"event", "mydomain", "mydomain,frame", "mydomain,instant_marker"}


def test_errors_as_mxnet(prof):
    with pytest.raises(mx.MXNetError, match="Cannot find argument 'bogus'"):
        prof.set_config(bogus=1)
    with pytest.raises(KeyError):
        prof.set_state("bad")
    with pytest.raises(AssertionError, match="Invalid value provided for format: x"):
        prof.dumps(format="x")
    with pytest.raises(AssertionError, match="sort_by"):
        prof.dumps(sort_by="median")
    with pytest.raises(mx.MXNetError, match="Profiler hasn't been run"):
        prof.dump()
    with pytest.raises(mx.MXNetError, match="MPI without servers"):
        prof.set_state("run", profile_process="server")


def test_plot_timeline(prof, tmp_path):
    pytest.importorskip("matplotlib")
    prof.set_config(profile_all=True)
    prof.set_state("run")
    _two_chains(n=3)
    prof.set_state("stop")
    out = prof.plot_timeline(filename=str(tmp_path / "timeline.png"), title="two chains")
    with open(out, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    # a trace file written by dump (or by MXNet) draws too
    prof.set_config(filename=str(tmp_path / "t.json"))
    prof.dump()
    assert prof.plot_timeline(str(tmp_path / "t.json"), filename=str(tmp_path / "t.png"))
    bars = profiler.timeline.spans(json.load(open(tmp_path / "t.json")))[1]
    assert sum(b[2] == "dot" for b in bars) == 6


def test_plot_timeline_without_matplotlib_says_what_to_install(prof, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for mod in [m for m in sys.modules if m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, mod, None)
    with pytest.raises(mx.MXNetError, match="pip install matplotlib"):
        prof.plot_timeline({"traceEvents": []}, filename="never.png")


def test_engine_records_inline_ops_too(prof):
    prof.set_config(profile_all=True, aggregate_stats=True)
    prof.set_state("run")
    (mx.nd.ones((2,)) + 1).wait_to_read()       # tiny: run inline on this thread
    prof.set_state("stop")
    assert "_plus_scalar" in json.loads(prof.dumps(format="json"))["Time"]["operator"]
