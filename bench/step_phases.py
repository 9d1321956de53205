"""Where a training step's wall time goes: forward + loss, backward, and the optimizer step.

    python bench/step_phases.py [--steps 300]

Builds the MLP workload of ``workloads_train.py`` imperative and hybridized (net and loss; twice
each, alternating), waits for the engine after each phase and prints each phase's 20th-percentile time.
Waiting after each phase removes the overlap between phases, so the sum is a little above a
normal step's time; what it shows is which phase a change should target.
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
    p.add_argument("--steps", type=int, default=300)
    args = p.parse_args()
    import numpy as np

    import minimx as mx
    import workloads_train as W
    for hybrid in (False, True, False, True):
        os.environ["BENCH_HYBRIDIZE"] = "1" if hybrid else "0"
        x, y = W._inputs(np, W.MLP_BATCH, (784,))
        x, y = mx.nd.array(x), mx.nd.array(y)
        net = W._mlp_net(mx)
        W._prepare_mx(mx, np, net, x)
        loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
        if hybrid:
            loss_fn.hybridize()
        trainer = mx.gluon.Trainer(net.collect_params(), "sgd",
                                   {"learning_rate": W.LR, "momentum": W.MOMENTUM})
        phases = {"forward+loss": [], "backward": [], "trainer.step": []}
        for i in range(args.steps):
            t0 = time.perf_counter()
            with mx.autograd.record():
                loss = loss_fn(net(x), y)
            mx.nd.waitall()
            t1 = time.perf_counter()
            loss.backward()
            mx.nd.waitall()
            t2 = time.perf_counter()
            trainer.step(W.MLP_BATCH)
            mx.nd.waitall()
            t3 = time.perf_counter()
            if i >= 20:
                for k, t in zip(phases, (t1 - t0, t2 - t1, t3 - t2)):
                    phases[k].append(t)
        print(f"{'hybridized' if hybrid else 'imperative':10s} " + ", ".join(
            f"{k} {1e3 * np.percentile(v, 20):.2f} ms" for k, v in phases.items()))


if __name__ == "__main__":
    main()
