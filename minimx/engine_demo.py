"""The README's main job: watch the dependency engine run independent work in parallel.

Two chains of 8 matrix products (1024 x 1024, float32) do not depend on each other. Pushed to the
threaded engine they run side by side on two worker threads; the naive engine runs every op on the
calling thread, one after the other. Each kernel is held to one thread here, so the speed-up you
see is the engine's alone. Run it with ``python -m minimx.engine_demo``.
"""
import time

import numpy as np

import minimx as mx
from minimx import engine, threads

N, STEPS = 1024, 8


def chains(a, b, steps=STEPS):
    """Two independent chains: x <- x . a / n and y <- y . b / n, ``steps`` times each."""
    n = a.shape[0]
    x, y = a, b
    for _ in range(steps):
        x = mx.nd.dot(x, a) / n
        y = mx.nd.dot(y, b) / n
    return x, y


def timed(kind, a, b, steps, repeats=3):
    engine.set_engine(kind)
    chains(a, b, steps)[0].wait_to_read()          # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        x, y = chains(a, b, steps)
        mx.nd.waitall()
        best = min(best, time.perf_counter() - start)
    return best, x, y


def timeline(records, width=60):
    """An ASCII picture of which worker ran which op when."""
    t0 = min(r[1] for r in records)
    t1 = max(r[2] for r in records)
    scale = width / max(t1 - t0, 1e-9)
    lines = {}
    for name, start, end, thread in records:
        row = lines.setdefault(thread, [" "] * width)
        a, b = int((start - t0) * scale), max(int((start - t0) * scale) + 1, int((end - t0) * scale))
        for i in range(a, min(b, width)):
            row[i] = "#"
    return "\n".join(f"  {thread:>16} |{''.join(row)}|" for thread, row in sorted(lines.items()))


def main(n=N, steps=STEPS):
    """Time both engines on the two chains; returns the speed-up of the threaded one."""
    old_cap = threads.set_kernel_threads(1)   # one thread per kernel: parallelism from the engine
    old_engine = engine.get_engine().name
    rng = np.random.default_rng(0)
    a = mx.nd.array(rng.standard_normal((n, n)))
    b = mx.nd.array(rng.standard_normal((n, n)))
    print(f"minimx {mx.__version__}: two independent chains of {steps} matmuls of {n}x{n} float32")
    naive, xn, yn = timed("naive", a, b, steps)
    threaded, xt, yt = timed("threaded", a, b, steps)
    same = np.allclose(xn.asnumpy(), xt.asnumpy(), rtol=1e-4) and np.allclose(yn.asnumpy(), yt.asnumpy(), rtol=1e-4)
    eng = engine.get_engine()
    eng.profiling, eng.records = True, []
    chains(a, b, steps)
    mx.nd.waitall()
    eng.profiling = False
    print(f"  naive engine    : {naive * 1e3:7.1f} ms   (one op at a time, on the calling thread)")
    print(f"  threaded engine : {threaded * 1e3:7.1f} ms   ({eng.cpu_workers} CPU workers)")
    print(f"  speed-up        : {naive / threaded:7.2f}x   results identical: {same}")
    print("  threaded engine timeline (each # is a dot running on that worker):")
    print(timeline([r for r in eng.records if r[0] == "dot"]))
    threads.set_kernel_threads(old_cap)
    engine.set_engine(old_engine)
    assert same, "the threaded and naive engines disagree"
    return naive / threaded


if __name__ == "__main__":
    main()
