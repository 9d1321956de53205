"""Data-parallel scaling of an MLP over MPI ranks: 1 rank vs 2 ranks, one thread each.

    nice -n 10 python bench/dist_scaling.py               # every configuration, ~1 minute
    python bench/dist_scaling.py --steps 60 --batch 64    # per-rank batch (weak scaling)
    python bench/dist_scaling.py --json /tmp/dist.json

Each configuration runs in fresh processes under ``python -m minimx.launch -n N`` with
``OMP_NUM_THREADS=1 MINIMX_CPU_WORKER_NTHREADS=1 MINIMX_NUM_THREADS=1`` (one core per rank), trains
the MLP on the bundled digits with ``gluon.Trainer(kvstore=...)`` and reports, after ``--warmup``
untimed steps:

* samples/s over all ranks, and the efficiency ``samples/s(N ranks) / (N * samples/s(1 rank))``
  (weak scaling: every rank keeps the batch of the 1-rank run);
* communication per step: seconds inside MPI (the kvstore's ``comm_stats``), payload bytes one rank
  hands to MPI, and how much of the MPI time ran while this rank's engine computed (overlap: the
  communicator's MPI intervals intersected with the engine's cpu-op intervals; "w/ bwd": with
  backward's ops only). In push order the collectives run on the engine's only cpu worker, so
  nothing can overlap there by construction.

Configurations: 1 rank without a kvstore; 2 ranks ``dist_sync`` with the overlapping
communicator, without it (``MINIMX_KVSTORE_OVERLAP=0``: collectives in push order), with backward
bulked 2 ops per engine op instead of 15 (gradients become ready, and can be sent, sooner), and
with 2-bit compression. The machine may be shared: numbers are noisy; rerun, compare within a run.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)          # this checkout's minimx, installed or not

CONFIGS = [  # name, ranks, kvstore, compression, overlap, backward bulk size
    ("1 rank, no kvstore", 1, None, None, "1", 15),
    ("2 ranks dist_sync", 2, "dist_sync", None, "1", 15),
    ("2 ranks, in push order", 2, "dist_sync", None, "0", 15),
    ("2 ranks, backward bulk 2", 2, "dist_sync", None, "1", 2),
    ("2 ranks + 2bit", 2, "dist_sync", {"type": "2bit", "threshold": 0.05}, "1", 15),
]


# ---- one rank ------------------------------------------------------------------------------------
def _intervals_overlap(comm, busy):
    """Seconds of the intervals `comm` that fall inside the union of the intervals `busy`."""
    if not comm or not busy:
        return 0.0
    busy = sorted(busy)
    merged = [list(busy[0])]
    for s, e in busy[1:]:
        if s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    total = 0.0
    for s, e in set(comm):
        for bs, be in merged:
            total += max(0.0, min(e, be) - max(s, bs))
    return total


def _collectives_alone(kv, size, repeats=15):
    """Median ms of one allreduce of `size` float32 (one step's gradients, fused), and of one
    allgather of their 2-bit packed words, with the ranks in step: the transfer itself, without
    the waiting for a late rank that the in-training MPI time includes."""
    from mpi4py import MPI
    comm = kv._comm.Dup()
    send = np.ones(size, np.float32)
    recv = np.empty_like(send)
    words = np.ones(-(-size // 16), np.uint32)
    gathered = np.empty((comm.Get_size(), words.size), np.uint32)
    times = {"allreduce": [], "allgather_2bit": []}
    for _ in range(repeats):
        comm.Barrier()
        t = time.perf_counter()
        comm.Allreduce(send, recv, op=MPI.SUM)
        times["allreduce"].append(time.perf_counter() - t)
        comm.Barrier()
        t = time.perf_counter()
        comm.Allgather(words, gathered)
        times["allgather_2bit"].append(time.perf_counter() - t)
    comm.Free()
    return {k: 1000 * float(np.median(v)) for k, v in times.items()}


def worker(opts):
    import minimx as mx
    from minimx import autograd, engine, gluon
    from minimx.ndarray import backward
    backward.BULK = opts.bulk           # gradient ops per engine op (MXNet's bulking, default 15)
    kvstore = opts.kvstore or None
    kv = mx.kv.create(kvstore) if kvstore else None
    rank, ranks = (kv.rank, kv.num_workers) if kv else (0, 1)
    mx.random.seed(3)
    net = gluon.nn.HybridSequential()
    for _ in range(opts.layers):
        net.add(gluon.nn.Dense(opts.hidden, activation="relu"))
    net.add(gluon.nn.Dense(10))
    net.initialize(mx.init.Xavier())
    compression = json.loads(opts.compression) if opts.compression else None
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.05, "momentum": 0.9},
                            kvstore=kv, compression_params=compression)
    data = gluon.data.vision.Digits(train=True)
    x_all = data._data.asnumpy().reshape(-1, 64).astype(np.float32) / 255.0
    y_all = data._label.astype(np.float32)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    n = len(y_all)

    def step(i):
        rows = (np.arange(opts.batch) + (i * ranks + rank) * opts.batch) % n
        x, y = mx.nd.array(x_all[rows]), mx.nd.array(y_all[rows])
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(opts.batch * ranks)
        return loss

    for i in range(opts.warmup):
        step(i).wait_to_read()
    mx.nd.waitall()
    if kv is not None:
        kv.barrier()
        for k in kv.comm_stats:
            kv.comm_stats[k] = 0 if k != "seconds" else 0.0
    eng = engine.get_engine()
    communicator = getattr(trainer._kvstore, "_communicator", None)
    if communicator is not None:
        communicator.log = []
    eng.records = []
    eng.profiling = True
    start = time.perf_counter()
    loss = None
    for i in range(opts.warmup, opts.warmup + opts.steps):
        loss = step(i)
    mx.nd.waitall()
    seconds = time.perf_counter() - start
    eng.profiling = False
    busy = [(s, e) for name, s, e, thread in eng.records
            if thread.startswith("minimx-cpu") and not name.startswith("kvstore")]
    bwd = [(s, e) for name, s, e, thread in eng.records     # backward's ops are bulked segments
           if thread.startswith("minimx-cpu") and name.startswith(("Bulk(", "_backward"))]
    stats = dict(kv.comm_stats) if kv is not None else {"calls": 0, "bytes": 0, "seconds": 0.0}
    comm_log = [(s, e) for _, s, e in communicator.log] if communicator is not None else []
    result = {"rank": rank, "ranks": ranks, "seconds": seconds, "steps": opts.steps,
              "samples_per_s": opts.batch * opts.steps / seconds, "comm": stats,
              "overlap_s": _intervals_overlap(comm_log, busy),
              "overlap_bwd_s": _intervals_overlap(comm_log, bwd),
              "rounds": communicator.rounds if communicator is not None else 0,
              "loss": float(loss.mean().asscalar())}
    if kv is not None:
        result["alone_ms"] = _collectives_alone(kv, sum(p.data().size
                                                        for p in net.collect_params().values()))
    with open(f"{opts.out}.rank{rank}.json", "w") as f:
        json.dump(result, f)
    if kv is not None:
        kv.barrier()


# ---- the driver ----------------------------------------------------------------------------------
def run_config(opts, ranks, kvstore, compression, overlap, bulk, tmp):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MINIMX_CPU_WORKER_NTHREADS="1", MINIMX_NUM_THREADS="1",
               MINIMX_KVSTORE_OVERLAP=overlap,
               PYTHONPATH=os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    out = os.path.join(tmp, f"r{ranks}_{kvstore}_{bool(compression)}_{overlap}_{bulk}")
    args = [os.path.abspath(__file__), "--worker", "--out", out, "--kvstore", kvstore or "",
            "--compression", json.dumps(compression) if compression else "",
            "--steps", str(opts.steps), "--warmup", str(opts.warmup), "--batch", str(opts.batch),
            "--hidden", str(opts.hidden), "--layers", str(opts.layers), "--bulk", str(bulk)]
    if ranks == 1 and kvstore is None:
        cmd = [sys.executable] + args
    else:
        from minimx import launch
        cmd = launch.mpiexec_command(ranks, args)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=opts.timeout)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    return [json.load(open(f"{out}.rank{r}.json")) for r in range(ranks)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--kvstore", default="", help=argparse.SUPPRESS)
    parser.add_argument("--compression", default="", help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=40, help="timed steps (40)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first (5)")
    parser.add_argument("--batch", type=int, default=64, help="samples per rank per step (64)")
    parser.add_argument("--hidden", type=int, default=512, help="hidden units (512)")
    parser.add_argument("--layers", type=int, default=3, help="hidden layers (3)")
    parser.add_argument("--bulk", type=int, default=15, help=argparse.SUPPRESS)
    parser.add_argument("--timeout", type=float, default=300, help="seconds per configuration")
    parser.add_argument("--json", help="also write the results here")
    opts = parser.parse_args(argv)
    if opts.worker:
        worker(opts)
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, ranks, kvstore, compression, overlap, bulk in CONFIGS:
            rows.append((name, run_config(opts, ranks, kvstore, compression, overlap, bulk, tmp)))
    base = sum(r["samples_per_s"] for r in rows[0][1])
    print(f"MLP 64-{'-'.join([str(opts.hidden)] * opts.layers)}-10, {opts.batch} samples per rank "
          f"per step, {opts.steps} steps; load average {os.getloadavg()[0]:.1f}")
    print(f"{'configuration':26s} {'samples/s':>9s} {'eff.':>5s} {'ms/step':>7s} "
          f"{'MPI ms/step':>11s} {'KB/step':>8s} {'overlap':>8s} {'w/ bwd':>7s} "
          f"{'final loss':>10s}")
    for name, res in rows:
        total = sum(r["samples_per_s"] for r in res)
        ranks, steps = res[0]["ranks"], res[0]["steps"]
        mpi_s = max(r["comm"]["seconds"] for r in res) / steps
        kbytes = res[0]["comm"]["bytes"] / steps / 1024
        comm_s = max(1e-12, sum(r["comm"]["seconds"] for r in res))
        overlap = sum(r["overlap_s"] for r in res) / comm_s
        overlap_bwd = sum(r["overlap_bwd_s"] for r in res) / comm_s
        print(f"{name:26s} {total:9.0f} {total / (ranks * base):5.2f} "
              f"{1000 * max(r['seconds'] for r in res) / steps:7.1f} {1000 * mpi_s:11.2f} "
              f"{kbytes:8.1f} {overlap:8.0%} {overlap_bwd:7.0%} {res[0]['loss']:10.4f}")
    alone = [r[0]["alone_ms"] for _, r in rows if "alone_ms" in r[0]]
    if alone:
        print(f"alone, ranks in step (median of 15): allreduce of one step's gradients "
              f"{np.median([a['allreduce'] for a in alone]):.2f} ms, allgather of their 2-bit "
              f"codes {np.median([a['allgather_2bit'] for a in alone]):.2f} ms")
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({name: res for name, res in rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
