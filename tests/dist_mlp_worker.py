"""One worker of the distributed test (tests/test_kvstore.py runs it under ``mpiexec -n 2``).

Usage: ``python dist_mlp_worker.py OUT_PREFIX [STEPS]``. Every rank trains the same MLP on its
share (``rank::num_workers``) of each global batch of the bundled digits with
``kvstore='dist_sync'``, twice (update on the kvstore, and update on the workers), and writes its
final parameters to ``OUT_PREFIX.rank<r>.npz``; the test compares them with one process training
on the whole batches. Also checks the kvstore API across ranks (init broadcast, summed push,
barrier) and writes the results.
"""
import sys

import numpy as np

import minimx as mx
from minimx import autograd, gluon

GLOBAL_BATCH = 32


def make_net():
    mx.random.seed(7)           # every rank starts equal, as MXNet's data-parallel scripts do
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(32, activation="relu", in_units=64), gluon.nn.Dense(10, in_units=32))
    net.initialize(mx.init.Xavier())
    return net


def batches(steps):
    data = gluon.data.vision.Digits(train=True)
    x = data._data.asnumpy().reshape(-1, 64).astype(np.float32) / 255.0
    y = data._label.astype(np.float32)
    for i in range(steps):
        rows = slice(i * GLOBAL_BATCH, (i + 1) * GLOBAL_BATCH)
        yield x[rows], y[rows]


def train(kvstore, steps, update_on_kvstore, rank=0, workers=1):
    net = make_net()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5, "momentum": 0.9},
                            kvstore=kvstore, update_on_kvstore=update_on_kvstore)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for x, y in batches(steps):
        x, y = mx.nd.array(x[rank::workers]), mx.nd.array(y[rank::workers])
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(GLOBAL_BATCH)          # dist_sync sums gradients over workers
    return {name: p.data().asnumpy() for name, p in net.collect_params().items()}


def main(prefix, steps):
    kv = mx.kv.create("dist_sync")
    rank, workers = kv.rank, kv.num_workers
    api = mx.kv.create("dist_sync")
    checks = {}
    api.init(0, mx.nd.full((3,), 10.0 + rank))       # every rank gets rank 0's value
    out = mx.nd.zeros((3,))
    api.pull(0, out=out)
    checks["init"] = out.asnumpy()
    api.push(0, [mx.nd.full((3,), rank + 1.0), mx.nd.full((3,), 1.0, ctx=mx.cpu(1))])
    api.pull(0, out=out)                             # no optimizer: the sum over ranks and contexts
    checks["push"] = out.asnumpy()
    api.barrier()
    checks["rank"], checks["workers"] = np.array(rank), np.array(workers)
    results = {f"check_{k}": v for k, v in checks.items()}
    for on_kv in (True, False):
        params = train(kv if on_kv else "dist_sync", steps, on_kv, rank, workers)
        results.update({f"{on_kv}/{i}": v for i, v in enumerate(params.values())})
    np.savez(f"{prefix}.rank{rank}.npz", **results)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10)
