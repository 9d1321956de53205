"""Imperative vs hybridized training step of minimx, interleaved in ONE process.

    python bench/ab_train.py train_mlp [--steps 100]

Builds the workload three times (``workloads_train.py``: imperative; hybridized, net and loss; the
net only hybridized), then alternates one step of each ``--steps`` times and prints the best, 25th
percentile and median wall time of each, and the speed-ups.
On a busy machine this is steadier than comparing two separate processes: both see the same noise.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))   # the checkout this file lives in
sys.path.insert(0, HERE)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("workload", choices=("train_mlp", "train_lenet", "resnet18"))
    p.add_argument("--steps", type=int, default=100)
    args = p.parse_args()
    import numpy as np

    import minimx as mx
    import workloads_train
    build = getattr(workloads_train, args.workload + "_mx")
    runs = {}
    for label, flag, loss in (("imperative", "0", "1"), ("hybridized", "1", "1"),
                              ("net only", "1", "0")):
        os.environ["BENCH_HYBRIDIZE"], os.environ["BENCH_HYBRIDIZE_LOSS"] = flag, loss
        runs[label] = build(mx, np)
    times = {label: [] for label in runs}
    for fn in runs.values():
        fn()
        fn()
    for _ in range(args.steps):
        for label, fn in runs.items():
            t = time.perf_counter()
            fn()
            times[label].append(time.perf_counter() - t)
    for label, ts in times.items():
        ts.sort()
        print(f"{label:>10}: best {ts[0] * 1e3:.2f} ms, q25 {ts[len(ts) // 4] * 1e3:.2f} ms, "
              f"median {ts[len(ts) // 2] * 1e3:.2f} ms")
    for stat, at in (("best", 0), ("q25", args.steps // 4), ("median", args.steps // 2)):
        t = {k: v[at] for k, v in times.items()}
        print(f"hybridized speed-up ({stat}): {t['imperative'] / t['hybridized']:.2f} "
              f"(net only: {t['imperative'] / t['net only']:.2f})")
    from minimx._kernels.cpu import blas_threads
    for lane, st in sorted(blas_threads._lanes.items()):
        print(f"OpenBLAS threads, lane {lane}: {st.threaded} threaded calls, {st.lost} lost "
              "(slower than 2x one thread: another process or thread held a core)")


if __name__ == "__main__":
    main()
