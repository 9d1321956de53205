"""One worker of the distributed test (tests/test_kvstore.py runs it under ``mpiexec -n 2``).

Usage: ``python dist_mlp_worker.py OUT_PREFIX [STEPS]``. Every rank trains the same MLP on its
share (``rank::num_workers``) of each global batch of the bundled digits with
``kvstore='dist_sync'``, twice (update on the kvstore through the overlapping communicator, and
update on the workers with the collectives in push order), and writes its final parameters to
``OUT_PREFIX.rank<r>.npz``; the test compares them with one process training on the whole
batches. Also checks the kvstore API across ranks (init broadcast, summed push,
barrier, 2-bit compression) and writes the results. The ranks then train once more with
``{'type': '2bit'}``: that equals one process with a 'device' store over two contexts that
each get one rank's share (each worker's gradient is quantized with its own residual).
"""
import sys

import numpy as np

import minimx as mx
from minimx import autograd, gluon

GLOBAL_BATCH = 32
COMPRESSION = {"type": "2bit", "threshold": 0.01}
PUSH = [0.3, -0.7, 1.4, 0.1, -0.2]      # rank r pushes (r + 1) * PUSH with threshold 0.5


def make_net(ctx=None):
    mx.random.seed(7)           # every rank starts equal, as MXNet's data-parallel scripts do
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(32, activation="relu", in_units=64), gluon.nn.Dense(10, in_units=32))
    net.initialize(mx.init.Xavier(), ctx=ctx)
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


def train_contexts(steps, workers=2, compression=None):
    """One process, one context per would-be rank (context r gets rank r's share), 'device'."""
    ctxs = [mx.cpu(r) for r in range(workers)]
    net = make_net(ctxs)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5, "momentum": 0.9},
                            kvstore="device", compression_params=compression)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for x, y in batches(steps):
        with autograd.record():
            losses = [loss_fn(net(mx.nd.array(x[r::workers], ctx=c)),
                              mx.nd.array(y[r::workers], ctx=c)) for r, c in enumerate(ctxs)]
        for loss in losses:
            loss.backward()
        trainer.step(GLOBAL_BATCH)
    return {name: p.data(ctxs[0]).asnumpy() for name, p in net.collect_params().items()}


def train_compressed(steps, rank, workers):
    net = make_net()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5, "momentum": 0.9},
                            kvstore="dist_sync", compression_params=COMPRESSION)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for x, y in batches(steps):
        x, y = mx.nd.array(x[rank::workers]), mx.nd.array(y[rank::workers])
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(GLOBAL_BATCH)
    params = {name: p.data().asnumpy() for name, p in net.collect_params().items()}
    return params, trainer._kvstore.comm_stats


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
    gc = mx.kv.create("dist_sync")
    gc.set_gradient_compression({"type": "2bit", "threshold": 0.5})
    gc.init(0, mx.nd.zeros((5,)))
    pulls = []
    for _ in range(4):
        gc.push(0, mx.nd.array(PUSH) * (rank + 1))
        got = mx.nd.zeros((5,))
        gc.pull(0, out=got)
        pulls.append(got.asnumpy())
    checks["compressed"] = np.stack(pulls)
    checks["compressed_bytes"] = np.array(gc.comm_stats["bytes"])
    checks["rank"], checks["workers"] = np.array(rank), np.array(workers)
    results = {f"check_{k}": v for k, v in checks.items()}
    ordered = mx.kv.create("dist_sync")
    ordered.overlap = False         # the collectives in push order, without the communicator
    for on_kv in (True, False):
        params = train(kv if on_kv else ordered, steps, on_kv, rank, workers)
        results.update({f"{on_kv}/{i}": v for i, v in enumerate(params.values())})
    results["negotiated"] = np.array(kv._communicator.rounds if kv.overlap else -1)
    results["ordered_calls"] = np.array(ordered.comm_stats["calls"])
    params, stats = train_compressed(steps, rank, workers)
    results.update({f"2bit/{i}": v for i, v in enumerate(params.values())})
    results["2bit_bytes"] = np.array(stats["bytes"])
    np.savez(f"{prefix}.rank{rank}.npz", **results)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10)
