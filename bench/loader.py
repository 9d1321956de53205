"""DataLoader speed, side by side: minimx, Apache MXNet 1.9.1 and PyTorch.

One epoch over 60,000 x 784 float32 samples with int64 labels, batch 128, shuffled, with
``num_workers=0`` and ``num_workers=2``. Each (framework, workers) pair runs in a fresh process:
it builds the dataset, makes the loader once, runs one untimed epoch, then times ``--epochs``
epochs and reports the best. Every batch is waited for (``wait_to_read``) so lazy frameworks pay
for it inside the loop. The CPU columns are seconds of CPU per epoch (averaged over all epochs)
in the main process and in the worker processes together: on a machine whose cores are busy with
other work, workers cannot run in parallel, and these show what they would need.

    python bench/loader.py                   # the table and the ratios
    python bench/loader.py --epochs 5 --frameworks minimx,mxnet

Two workloads: ``plain`` is the epoch above; ``transform`` adds a numpy normalisation of every
sample (``transform_first`` in minimx and MXNet, a Dataset class in PyTorch), the kind of per-sample
Python work that worker processes exist to spread over cores.

The loaders are each framework's everyday one: ``gluon.data.DataLoader(ArrayDataset(X, y))``
for minimx and MXNet, ``torch.utils.data.DataLoader(TensorDataset(X, y))`` for PyTorch (its
workers start again every epoch unless ``persistent_workers=True``; ``--torch-persistent``).
Environments: ``--mxnet-python`` (default ../mxnet-venv/bin/python), ``--torch-python``
(default ../torch-venv/bin/python); a missing one is skipped.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = r"""
import gc, json, resource, sys, time
import numpy as np
framework, workers, epochs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
persistent, transform = sys.argv[4] == "1", sys.argv[5] == "1"
rng = np.random.default_rng(0)
X = rng.random((60000, 784), dtype=np.float32)
y = rng.integers(0, 10, 60000).astype(np.int64)


def normalize(x):      # the per-sample work of the 'transform' workload: numpy, in every framework
    return (x - np.float32(0.1307)) / np.float32(0.3081)


if framework == "torch":
    import torch
    from torch.utils.data import DataLoader, Dataset, TensorDataset

    class Normalized(Dataset):
        def __len__(self):
            return len(X)

        def __getitem__(self, i):
            return torch.from_numpy(normalize(X[i])), y[i]

    dataset = Normalized() if transform else TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    loader = DataLoader(dataset, batch_size=128, shuffle=True, num_workers=workers,
                        persistent_workers=persistent and workers > 0)
    wait = lambda batch: None
else:
    if framework == "mxnet":
        import mxnet as mx
    else:
        import minimx as mx
    dataset = mx.gluon.data.ArrayDataset(X, y)
    if transform:
        dataset = dataset.transform_first(normalize)
    loader = mx.gluon.data.DataLoader(dataset, batch_size=128, shuffle=True, num_workers=workers)
    wait = lambda batch: batch[0].wait_to_read()
times, count = [], 0
cpu_start = time.process_time()
for epoch in range(epochs + 1):
    start, count = time.perf_counter(), 0
    for batch in loader:
        wait(batch)
        count += batch[0].shape[0]
    times.append(time.perf_counter() - start)
main_cpu = time.process_time() - cpu_start
del loader, batch          # stops (and reaps) the workers, so their CPU time is counted below
gc.collect()
child = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"times": times[1:], "samples": count, "main_cpu": main_cpu / (epochs + 1),
                  "worker_cpu": (child.ru_utime + child.ru_stime) / (epochs + 1)}))
"""


def _measure(python, framework, workers, epochs, persistent, transform, env):
    proc = subprocess.run([python, "-W", "ignore", "-c", CHILD, framework, str(workers), str(epochs),
                           "1" if persistent else "0", "1" if transform else "0"],
                          capture_output=True, text=True, env=env, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"{framework} ({workers} workers) failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs per run (best counts)")
    parser.add_argument("--frameworks", default="minimx,mxnet,torch")
    parser.add_argument("--workloads", default="plain,transform",
                        help="plain: ArrayDataset(X, y); transform: with a numpy normalize per sample")
    parser.add_argument("--mxnet-python", default=os.path.join(ROOT, "..", "mxnet-venv", "bin", "python"))
    parser.add_argument("--torch-python", default=os.path.join(ROOT, "..", "torch-venv", "bin", "python"))
    parser.add_argument("--torch-persistent", action="store_true",
                        help="keep PyTorch's workers between epochs (persistent_workers=True)")
    args = parser.parse_args(argv)
    pythons = {"minimx": sys.executable, "mxnet": args.mxnet_python, "torch": args.torch_python}
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    print(f"{os.cpu_count()} cores; load average before: "
          + ", ".join(f"{x:.1f}" for x in os.getloadavg()))
    for workload in args.workloads.split(","):
        _table(workload, args, pythons, env)
    print("\nload average after: " + ", ".join(f"{x:.1f}" for x in os.getloadavg()))


def _table(workload, args, pythons, env):
    best = {}
    print(f"\nworkload: {workload}" + (" (transform_first(normalize): numpy per sample)"
                                       if workload == "transform" else " (ArrayDataset(X, y))"))
    print(f"{'framework':<10}{'workers':>8}{'best (s)':>10}{'median (s)':>12}"
          f"{'main cpu (s)':>14}{'workers cpu (s)':>17}")
    for framework in args.frameworks.split(","):
        python = pythons[framework]
        if not os.path.exists(python):
            print(f"{framework:<10} skipped: no {python}")
            continue
        for workers in (0, 2):
            result = _measure(python, framework, workers, args.epochs, args.torch_persistent,
                              workload == "transform", env)
            times = sorted(result["times"])
            best[framework, workers] = times[0]
            print(f"{framework:<10}{workers:>8}{times[0]:>10.3f}{times[len(times) // 2]:>12.3f}"
                  f"{result['main_cpu']:>14.3f}{result['worker_cpu']:>17.3f}", flush=True)
    for workers in (0, 2):
        for peer in ("mxnet", "torch"):
            if ("minimx", workers) in best and (peer, workers) in best:
                print(f"minimx / {peer}, {workers} workers: "
                      f"{best['minimx', workers] / best[peer, workers]:.2f}")
    for framework in ("minimx", "mxnet", "torch"):
        if (framework, 0) in best and (framework, 2) in best:
            print(f"{framework}: 2 workers / 0 workers: "
                  f"{best[framework, 2] / best[framework, 0]:.2f}")
    if ("minimx", 0) in best and ("mxnet", 0) in best:
        ok0 = best["minimx", 0] <= best["mxnet", 0]
        print(f"target 0 workers <= MXNet: {'met' if ok0 else 'MISSED'}")
    if ("minimx", 0) in best and ("minimx", 2) in best:
        ok2 = best["minimx", 2] < best["minimx", 0]
        print(f"target 2 workers faster than 0 workers: {'met' if ok2 else 'MISSED'}")


if __name__ == "__main__":
    main()
