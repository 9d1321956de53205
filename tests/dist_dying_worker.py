"""A worker of tests/test_kvstore.py's dead-rank tests: rank 1 fails at step 3 of 6.

Usage: ``python dist_dying_worker.py MODE`` with MODE one of ``raise`` (an uncaught exception),
``kill`` (SIGKILL: no Python cleanup runs at all) or ``stall`` (stops calling the kvstore, alive).
Rank 0 keeps training; it must end (nonzero) instead of waiting forever in a collective.
"""
import os
import signal
import sys
import time

import minimx as mx
from minimx import autograd, gluon


def main(mode):
    kv = mx.kv.create("dist_sync")
    net = gluon.nn.Dense(4, in_units=8)
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}, kvstore=kv)
    x = mx.nd.ones((2, 8))
    for step in range(6):
        if kv.rank == 1 and step == 3:
            print(f"rank 1 {mode}s at step 3", flush=True)
            if mode == "raise":
                raise RuntimeError("rank 1 fails")
            if mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(120)                  # 'stall': alive, but gone from the collectives
        with autograd.record():
            loss = net(x).sum()
        loss.backward()
        trainer.step(2)
        mx.nd.waitall()
    print(f"rank {kv.rank} finished", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
