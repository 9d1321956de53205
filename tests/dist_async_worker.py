"""One worker of tests/test_kvstore.py's ``dist_async`` test (run under ``mpiexec -n 2``).

Usage: ``python dist_async_worker.py OUT_PREFIX [STEPS]``. Checks the API across ranks (init
keeps rank 0's value; with an optimizer every push is applied on the server), then trains the MLP
on the bundled digits with ``kvstore='dist_async'``; rank 1 naps 100 ms a step, so rank 0 runs
ahead instead of waiting. Writes per-step losses, weight checksums and times, and the final
weights, to ``OUT_PREFIX.rank<r>.npz``.
"""
import sys
import time

import numpy as np

import minimx as mx
from minimx import autograd, gluon

BATCH = 32


def main(prefix, steps):
    api = mx.kv.create("dist_async")
    rank = api.rank
    out = {}
    api.init(0, mx.nd.full((3,), 10.0 + rank))
    got = mx.nd.zeros((3,))
    api.pull(0, out=got)
    out["init"] = got.asnumpy()
    api.set_optimizer(mx.optimizer.SGD(learning_rate=1.0))
    api.push(0, mx.nd.full((3,), rank + 1.0))
    api.barrier()
    api.pull(0, out=got)
    out["pushed"] = got.asnumpy()                  # 10 - 1 - 2 on every rank

    mx.random.seed(7)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(32, activation="relu", in_units=64), gluon.nn.Dense(10, in_units=32))
    net.initialize(mx.init.Xavier())
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9},
                            kvstore="dist_async")
    data = gluon.data.vision.Digits(train=True)
    x_all = data._data.asnumpy().reshape(-1, 64).astype(np.float32) / 255.0
    y_all = data._label.astype(np.float32)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    losses, sums, times = [], [], []
    x_eval, y_eval = mx.nd.array(x_all[:512]), mx.nd.array(y_all[:512])
    out["eval_before"] = np.array(loss_fn(net(x_eval), y_eval).mean().asscalar())
    first = net.collect_params()[sorted(net.collect_params().keys())[0]]
    for i in range(steps):
        rows = (np.arange(BATCH) + (2 * i + rank) * BATCH) % len(y_all)
        x, y = mx.nd.array(x_all[rows]), mx.nd.array(y_all[rows])
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(BATCH)
        losses.append(float(loss.mean().asscalar()))
        sums.append(float(first.data().sum().asscalar()))
        times.append(time.time())
        if rank == 1:
            time.sleep(0.1)
    kv = trainer._kvstore
    out["end_time"] = np.array(time.time())
    kv.barrier()                                    # every push is in: pull the final weights
    params = trainer._params                        # key i is the trainer's i-th parameter
    for i, p in enumerate(params):
        kv.pull(i, out=p.list_data())
    out.update({f"param{i}": p.data().asnumpy() for i, p in enumerate(params)})
    out["eval_after"] = np.array(loss_fn(net(x_eval), y_eval).mean().asscalar())
    out["losses"], out["sums"], out["times"] = np.array(losses), np.array(sums), np.array(times)
    out["server_pushes"] = np.array(kv.server.pushes if kv.server is not None else -1)
    np.savez(f"{prefix}.rank{rank}.npz", **out)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 30)
