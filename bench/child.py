"""Measure one workload under one framework, in this fresh process; print the result as JSON.

    python bench/child.py WORKLOAD FRAMEWORK REPEATS WARMUP

``run.py`` starts this script once per (workload, run) with the interpreter of the framework's
environment (minimx: this Python; MXNet and PyTorch: their virtual environments) and the run's
environment variables. Steps:

1. Import the framework (minimx from the checkout this file lives in).
2. Build the workload's inputs and callable (``workloads.py``), untimed.
3. Call it ``WARMUP`` times, then time ``REPEATS`` calls with ``time.perf_counter`` (and the
   process's CPU time, all threads, with ``time.process_time``); every call waits for its result, so
   the time covers the whole computation.
4. Print one line ``BENCH_RESULT {json}``: the times, a checksum of the last result (so ``run.py``
   can check that the frameworks agree), and the framework's version and thread setup.

Any error is caught and printed as ``{"error": ...}`` so one failing cell does not stop the run.
"""
import json
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def load(framework):
    """The module to hand to the workload's builder, and a few facts about its setup."""
    import numpy as np
    info = {"numpy": np.__version__}
    if framework == "minimx":
        sys.path.insert(0, REPO)           # the checkout under test, even if another is installed
        import minimx as mod
        from minimx import config
        info.update(version=mod.__version__, engine=config.engine_type(),
                    cpu_workers=config.cpu_worker_nthreads(), thread_budget=config.num_threads())
    elif framework == "mxnet":
        import mxnet as mod
        info.update(version=mod.__version__,
                    engine=os.environ.get("MXNET_ENGINE_TYPE", "ThreadedEnginePerDevice"),
                    cpu_workers=int(os.environ.get("MXNET_CPU_WORKER_NTHREADS", "1")))
    elif framework == "torch":
        import torch as mod
        info.update(version=mod.__version__, threads=mod.get_num_threads())
    elif framework == "numpy":
        mod = np
        info.update(version=np.__version__)
    else:
        raise ValueError(f"unknown framework {framework!r}")
    try:
        from threadpoolctl import threadpool_info
        info["blas"] = [f"{p.get('internal_api')} {p.get('version')} {p.get('architecture', '')} "
                        f"threads={p.get('num_threads')}" for p in threadpool_info()]
    except ImportError:
        pass
    return mod, np, info


def to_numpy(result, np):
    if isinstance(result, (tuple, list)):
        return [to_numpy(r, np)[0] for r in result]
    if hasattr(result, "asnumpy"):
        return [result.asnumpy()]
    if hasattr(result, "numpy"):
        return [result.numpy()]
    return [np.asarray(result)]


def checksum(result, np):
    """A few numbers that differ if the result differs: shapes, sum and largest magnitude."""
    arrays = to_numpy(result, np)
    return {"shapes": [list(a.shape) for a in arrays],
            "sum": float(sum(np.sum(a, dtype=np.float64) for a in arrays)),
            "absmax": float(max(np.max(np.abs(a)) if a.size else 0.0 for a in arrays))}


def measure(workload_name, framework, repeats, warmup):
    sys.path.insert(0, HERE)
    import workloads
    workload = workloads.get(workload_name)
    build = workload.builders[framework]
    if build is None:
        return {"skipped": f"no {framework} version of this workload"}
    mod, np, info = load(framework)
    fn = build(mod, np) if framework in ("minimx", "mxnet", "torch") else build(np)
    result = None
    for _ in range(warmup):
        result = fn()
    times, cpu = [], []
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)   # all threads of the process: shows the parallelism
    return {"times": times, "cpu": cpu, "check": checksum(result, np), "info": info}


def main():
    name, framework, repeats, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    try:
        out = measure(name, framework, repeats, warmup)
    except BaseException as e:  # noqa: BLE001 - reported in the table's cell
        out = {"error": f"{type(e).__name__}: {e}".strip(), "traceback": traceback.format_exc()}
    sys.stdout.write("BENCH_RESULT " + json.dumps(out) + "\n")
    sys.stdout.flush()
    # Do not wait for framework worker threads or atexit hooks: the measurement is done.
    os._exit(0)


if __name__ == "__main__":
    main()
