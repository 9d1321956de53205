"""Where minimx spends a small op's time: cProfile of the per-op workload (``x = x + b`` chain).

    python bench/profile_perop.py [--engine threaded|naive] [--top 25]

Prints the functions with the most time of their own (``tottime``) over one 10,000-op chain, then
the per-call cost of each step of ``invoke`` measured without the profiler (which inflates small
Python calls). Costs are CPU times (``time.process_time``), which a busy machine disturbs less
than wall times. Use it to see which layer (``NDArray.__add__``, ``invoke``, shape rule, allocation,
engine push, kernel) a change to the fast path should target.
"""
import argparse
import cProfile
import os
import pstats
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))   # the checkout this file lives in
sys.path.insert(0, HERE)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--engine", choices=("threaded", "naive"), default="threaded")
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args()
    import numpy as np

    import minimx as mx
    import workloads
    mx.engine.set_engine(args.engine)
    run = workloads.per_op_mx(mx, np)
    run()                                   # warm-up
    best = min(_timed(run) for _ in range(5))
    print(f"{args.engine} engine: {best / workloads.CHAIN * 1e6:.2f} us/op of CPU time without the "
          f"profiler (best of 5 chains of {workloads.CHAIN})\n")
    prof = cProfile.Profile()
    prof.enable()
    run()
    prof.disable()
    pstats.Stats(prof).strip_dirs().sort_stats("tottime").print_stats(args.top)
    _steps(mx, np)


def _nothing():
    pass


def _timed(fn):
    # CPU time, not wall time: on a busy machine the wall clock also counts the time this process
    # waited for a core. The chain runs on this thread (tiny ready ops run inline), so the CPU time
    # is its cost.
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def _steps(mx, np):
    """Cost of the pieces of one ``x + b`` call, each timed alone in a tight loop (best of 7)."""
    from minimx.engine import get_engine
    from minimx.ndarray import invoke as inv
    from minimx.ops.opdef import get_op
    from minimx.ndarray.storage import Chunk
    x, b = mx.nd.zeros((1,)), mx.nd.ones((1,))
    op = get_op("broadcast_add")
    ctx = x.context
    backend = ctx.backend
    kernel = backend.kernels[op.kernel]
    xin, bin_, out = x._data, b._data, np.empty((1,), np.float32)
    engine = get_engine()
    n = 5000
    steps = [
        ("x + b (whole call, result waited at the end)", lambda: x + b),
        ("invoke(broadcast_add) directly", lambda: inv.invoke(op, (x, b), {})),
        ("shape rule", lambda: op.shape({}, (1,), (1,))),
        ("dtype rule", lambda: op.dtype({}, xin.dtype, bin_.dtype)),
        ("backend.alloc((1,), float32)", lambda: backend.alloc((1,), np.float32)),
        ("Chunk + NDArray._wrap", lambda: mx.nd.NDArray._wrap(Chunk(out, ctx), 0, (1,), backend)),
        ("engine push of a no-op (reads x, writes a new chunk)",
         lambda: engine.push(_nothing, (x._chunk,), (Chunk(None, ctx),), ctx, "op", True)),
        ("kernel(ins, outs, attrs) alone", lambda: kernel((xin, bin_), (out,), {})),
        ("numpy np.add(x, b, out=)", lambda: np.add(xin, bin_, out=out)),
    ]
    print("per-call CPU time of each step (us), timed alone, best of 7 loops:")
    for name, fn in steps:
        try:
            best = float("inf")
            for _ in range(7):
                t0 = time.process_time()
                for _ in range(n):
                    fn()
                mx.nd.waitall()
                best = min(best, time.process_time() - t0)
            print(f"  {best / n * 1e6:8.2f}  {name}")
        except Exception as e:  # noqa: BLE001 - a step that does not exist (yet) is reported
            print(f"  {'error':>8}  {name}: {type(e).__name__}: {e}")


if __name__ == "__main__":
    main()
