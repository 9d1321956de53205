# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 3. The dependency engine
#
# ## Goal
#
# Understand the one idea that makes MXNet-style frameworks asynchronous: **every op declares the
# variables it reads and the ones it writes, and nothing else orders it.** You will push your own
# ops to the engine, watch independent ones run at the same time, switch to the naive engine to
# debug, see an error raised inside a worker surface later at `asnumpy`, and draw a timeline of
# which thread ran which op.
#
# Time: about 45 minutes.

# %%
import json
import os
import tempfile
import threading
import time

import numpy as np

import minimx as mx
from minimx import engine, threads

FAST = os.environ.get("MINIMX_TUTORIAL_FAST") == "1"
OUT = os.environ.get("MINIMX_TUTORIAL_OUT", tempfile.gettempdir())

# %% [markdown]
# ## Code
#
# ### Variables, reads and writes
#
# The engine knows nothing about arrays. It schedules Python callables against *variables*
# (`engine.new_var()`). `engine.push(fn, reads, writes)` returns at once; the engine runs `fn`
# when the rules allow:
#
# * ops that only **read** a variable may run together;
# * an op that **writes** a variable waits for every earlier reader and writer of it;
# * on each variable, ops are served in the order they were pushed.
#
# Let us push ops that sleep (sleeping releases the GIL, like a real kernel) and log when they
# start and end. We begin with the threaded engine, the default (this line makes sure of it even
# if `MINIMX_ENGINE_TYPE=NaiveEngine` is set).

# %%
engine.set_engine("threaded")
log = []
log_lock = threading.Lock()
t0 = time.perf_counter()
NAP = 0.15


def op(name, nap=NAP):
    def run():
        start = time.perf_counter() - t0
        time.sleep(nap)
        with log_lock:
            log.append((name, start, time.perf_counter() - t0, threading.current_thread().name))
    return run


def run_graph():
    """Two independent writes, then a reader of both, then a second write of the first variable."""
    global t0
    log.clear()
    x, y = engine.new_var(), engine.new_var()
    t0 = time.perf_counter()
    engine.push(op("write x"), reads=(), writes=(x,), name="write x")
    engine.push(op("write y"), reads=(), writes=(y,), name="write y")
    engine.push(op("read x,y"), reads=(x, y), writes=(), name="read x,y")
    engine.push(op("write x again"), reads=(), writes=(x,), name="write x again")
    pushed = time.perf_counter() - t0
    engine.wait_all()
    return pushed, time.perf_counter() - t0, sorted(log, key=lambda r: r[1])


pushed, total, threaded_log = run_graph()
print(f"pushed in {pushed * 1e3:.1f} ms, all done after {total * 1e3:.0f} ms")
for name, start, end, thread in threaded_log:
    print(f"  {name:14s} {start * 1e3:6.0f} -> {end * 1e3:6.0f} ms on {thread}")

# %% [markdown]
# `write x` and `write y` touch different variables, so they ran side by side on two workers.
# `read x,y` waited for both. `write x again` waited for the reader (a writer must not change `x`
# while someone reads it). Four naps of 150 ms took about 450 ms, not 600.
#
# ### The naive engine: one op at a time, on your thread
#
# `NaiveEngine` runs every op at push time on the caller's thread. Use it when debugging: the
# order is the program order, a debugger steps straight into a kernel, and timings are per op.
# Select it with `MINIMX_ENGINE_TYPE=NaiveEngine` (MXNet's `MXNET_ENGINE_TYPE` works too) or
# `mx.engine.set_engine('naive')`. The results must be identical; only the time differs.

# %%
engine.set_engine("naive")
pushed_naive, total_naive, naive_log = run_graph()
print(f"naive: pushed in {pushed_naive * 1e3:.0f} ms, done after {total_naive * 1e3:.0f} ms")
print("ran on", {thread for *_, thread in naive_log})


def compute(seed):
    """A few real array ops; the engine in use must not change the answer."""
    rng = np.random.default_rng(seed)
    a = mx.nd.array(rng.standard_normal((64, 64)))
    b = mx.nd.dot(a, a.T) + 1
    b[:] = b / b.sum()
    return mx.nd.softmax(b).asnumpy()


naive_values = compute(0)
engine.set_engine("threaded")
threaded_values = compute(0)

# %% [markdown]
# ### An error inside an op surfaces when you wait
#
# Shape errors are raised at the call (tutorial 1). But some errors can only be found by running
# the kernel: a Cholesky factorisation (`linalg.potrf`) of a matrix that is not positive definite
# fails halfway through the computation. The op already returned; the engine stores the error on
# the variables the op writes, passes it on to every op that reads them, and raises it at the next
# wait on any of them (`asnumpy`, `wait_to_read`, `waitall`). The message names the op and the
# line that pushed it.

# %%
bad = mx.nd.array([[-1.0, 0.0], [0.0, -1.0]])
chol = mx.nd.linalg.potrf(bad)        # returns at once: no error yet
later = chol * 2 + 1                  # pushed happily; inherits the failure
print("both ops pushed; now we ask for the values")
try:
    later.asnumpy()
    async_error = None
except mx.MXNetError as err:
    async_error = str(err)
print(async_error)
try:
    mx.nd.waitall()     # MXNet 1.9.1: already reported at asnumpy, so nothing new to raise
    waitall_raised = False
except mx.MXNetError:
    waitall_raised = True   # would mean the same failure was raised twice
healthy = (mx.nd.ones((2, 2)) * 3).asnumpy()   # unrelated arrays are unaffected

# %% [markdown]
# ### A timeline: seeing the parallelism
#
# `mx.profiler` records the start, end and thread of every op the engine runs, prints MXNet's
# aggregate table, writes a Chrome trace (open it in `chrome://tracing` or Perfetto) and, in
# minimx, draws the timeline as a picture. We push two chains of large matrix products that do not
# depend on each other, with each kernel held to one thread, so any overlap we see is the
# engine's doing.

# %%
n = 512
steps = 6 if FAST else 10
trace_file = os.path.join(OUT, "minimx_tutorial03_trace.json")
mx.profiler.set_config(profile_all=True, aggregate_stats=True, filename=trace_file)
old_cap = threads.set_kernel_threads(1)
try:
    p = mx.nd.random.normal(shape=(n, n)) / np.sqrt(n)
    q = mx.nd.random.normal(shape=(n, n)) / np.sqrt(n)
    mx.nd.waitall()
    mx.profiler.set_state("run")
    u, w = p, q
    for _ in range(steps):
        u = mx.nd.dot(u, p)
        w = mx.nd.dot(w, q)
    mx.nd.waitall()
    mx.profiler.set_state("stop")
finally:
    threads.set_kernel_threads(old_cap)
table = mx.profiler.dumps()
print(table)
mx.profiler.dump()
with open(trace_file) as f:
    trace = json.load(f)
# complete events ("X"): one per op, with start "ts" and duration "dur" in microseconds
records = [(e["name"], e["ts"], e["ts"] + e["dur"], e["tid"])
           for e in trace["traceEvents"] if e.get("ph") == "X" and e["name"] == "dot"]

try:
    timeline_png = mx.profiler.plot_timeline(
        filename=os.path.join(OUT, "minimx_tutorial03_timeline.png"),
        title="two independent chains of dot products")
    print("timeline saved to", timeline_png)
except ImportError:        # matplotlib is optional
    timeline_png = None


def overlapping(records):
    """Pairs of ops on different threads whose run times overlap."""
    pairs = 0
    for i, (_, s1, e1, t1) in enumerate(records):
        for _, s2, e2, t2 in records[i + 1:]:
            if t1 != t2 and s1 < e2 and s2 < e1:
                pairs += 1
    return pairs


print(f"{len(records)} dot ops on {len({r[3] for r in records})} threads, "
      f"{overlapping(records)} overlapping pairs")

# %% [markdown]
# ## Check

# %%
by_name = {r[0]: r for r in threaded_log}
# rule: a reader starts after both writes ended; the second write after the reader ended
assert by_name["read x,y"][1] >= max(by_name["write x"][2], by_name["write y"][2]) - 1e-3
assert by_name["write x again"][1] >= by_name["read x,y"][2] - 1e-3
assert pushed < NAP, "push must return before the ops run"
if engine.get_engine().cpu_workers >= 2:
    # the independent writes overlapped: the second started before the first ended
    assert by_name["write y"][1] < by_name["write x"][2], threaded_log
# the naive engine ran everything during the pushes, on this thread, in program order
assert [r[0] for r in naive_log] == ["write x", "write y", "read x,y", "write x again"]
assert pushed_naive >= 4 * NAP * 0.95 and {r[3] for r in naive_log} == {threading.current_thread().name}
np.testing.assert_array_equal(naive_values, threaded_values)
# the asynchronous error surfaced at asnumpy, naming the op and the pushing line
assert async_error is not None and "potrf" in async_error and "03_engine.py" in async_error
assert (healthy == 3).all()
# a failure already raised at asnumpy() is not raised again by waitall() (as in MXNet 1.9.1)
assert not waitall_raised
# the timeline shows the two chains running at the same time
assert len(records) == 2 * steps, len(records)
assert "dot" in table and os.path.exists(trace_file)
assert timeline_png is None or os.path.exists(timeline_png)
if engine.get_engine().cpu_workers >= 2:
    assert overlapping(records) > 0, records
np.testing.assert_allclose(
    u.asnumpy(), np.linalg.matrix_power(p.asnumpy().astype(np.float64), steps + 1), rtol=1e-3,
    atol=1e-3)

# %% [markdown]
# ## Under the hood
#
# * `minimx/engine/var.py` holds the four rules (append read, append write, complete read,
#   complete write) in about 30 lines: a FIFO of waiting ops and a count of running readers per
#   variable. MXNet's are `ThreadedVar::AppendReadDependency` and friends in
#   `src/engine/threaded_engine.cc`.
# * `minimx/engine/threaded.py` keeps a pool of worker threads per device that sleep on a queue
#   (no busy waiting). A tiny op whose variables are free runs inline on the pushing thread.
# * `minimx/engine/naive.py` is about 60 lines: run at push, store failures the same way.
# * Failures: `minimx/engine/errors.py`. A failed op's error is stored on the variables it writes;
#   any op that reads or writes a failed variable is skipped and inherits the error.
# * Parallel kernels need the GIL released: Cython kernels run `with nogil`, numpy's BLAS releases
#   it too. `minimx.threads` shares one thread budget between engine workers and kernels.
#
# * `minimx/profiler/`: while profiling, the engine appends `(op, start, end, thread)` for every op
#   it runs; the profiler turns them into Chrome trace events and the aggregate table.
#
# NB: MXNet's engine is C++ and its profiler writes the same Chrome trace format, but has no
# `plot_timeline`. `python -m minimx.engine_demo` times the two chains on both engines.
#
# ## Summary
#
# * An op = a function + the variables it reads + the variables it writes.
# * Readers share, writers are exclusive, pushes are served in order per variable: that alone
#   gives correct results *and* runs independent work in parallel.
# * The naive engine runs everything in program order on your thread, with identical results.
# * Errors found while running an op surface at the next wait on anything that depends on it.
#
# ## Exercises
#
# 1. Push two ops that only *read* the same variable. Do they overlap? Which rule says so?
# 2. Add a fifth op to `run_graph` that reads `y` only. When does it start, and why does it not
#    wait for `write x again`?
# 3. What would go wrong if `complete_write` started *every* queued op, not just the reads up to
#    the next write? Write a graph that would give a wrong answer.
# 4. In the error example, call `chol.wait_to_read()` instead. Is the message the same? Then run
#    the file with `MINIMX_ENGINE_TYPE=NaiveEngine`: is the error raised at `potrf` or later?
