"""Where a training step spends its time: cProfile of a training workload, per step.

    python bench/profile_train.py train_mlp [--hybridize] [--engine naive|threaded] [--steps 20]
        [--sort tottime|cumtime|ncalls] [--top 30]

Runs the workload's minimx builder (``workloads_train.py``), warms it up, then profiles ``--steps``
steps and prints the functions sorted by ``--sort``, with the number of Python function calls per
step (a count that a busy machine does not disturb, unlike times). The naive engine (the default
here) runs every kernel on this thread, so call counts are exact and kernels show in the profile.
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
    p.add_argument("workload", choices=("train_mlp", "train_lenet", "resnet18"))
    p.add_argument("--hybridize", action="store_true")
    p.add_argument("--engine", choices=("threaded", "naive"), default="naive")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--sort", default="tottime")
    p.add_argument("--top", type=int, default=30)
    args = p.parse_args()
    if args.hybridize:
        os.environ["BENCH_HYBRIDIZE"] = "1"
    import numpy as np

    import minimx as mx
    import workloads_train
    mx.engine.set_engine(args.engine)
    run = getattr(workloads_train, args.workload + "_mx")(mx, np)
    for _ in range(3):
        run()
    c0 = time.process_time()
    for _ in range(args.steps):
        run()
    cpu = (time.process_time() - c0) / args.steps
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(args.steps):
        run()
    prof.disable()
    stats = pstats.Stats(prof)
    calls = sum(v[1] for v in stats.stats.values()) / args.steps
    print(f"{args.workload} ({'hybridized' if args.hybridize else 'imperative'}, {args.engine} "
          f"engine): {cpu * 1e3:.2f} ms CPU per step without the profiler; "
          f"{calls:.0f} Python function calls per step\n")
    stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
