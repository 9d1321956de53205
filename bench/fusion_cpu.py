"""Elementwise fusion on the CPU: a hybridized block with and without it (``MINIMX_CPU_FUSION``).

    python bench/fusion_cpu.py [--n 1000000] [--repeats 20] [--rounds 3]

Two workloads, each timed fused and unfused in the same process, interleaved (best of
``--rounds`` rounds of ``--repeats`` calls):

1. ``relu(x * 2 + 1) * sigmoid(y) - 0.5`` on ``--n`` float32 elements: six kernels, each reading
   and writing main memory, against one pass of ``_kernels/cpu/fused.pyx``'s interpreter;
2. one ``gluon.rnn.LSTMCell`` step (batch 64, 256 hidden): its gates' elementwise tail fuses into
   two groups (the new cell state is an output, so it splits there).

Fused and unfused outputs are compared before timing (the chain's bit for bit).
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))   # the checkout this file lives in


def _time(fn, repeats):
    fn()
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t0) / repeats


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    import numpy as np

    import minimx as mx
    from minimx import gluon

    class Chain(gluon.HybridBlock):
        def hybrid_forward(self, F, x, y):
            return F.relu(x * 2 + 1) * F.sigmoid(y) - 0.5

    def build(make, fuse):
        # GraphPlan reads MINIMX_CPU_FUSION when it is built: on the first call.
        os.environ["MINIMX_CPU_FUSION"] = "1" if fuse else "0"
        net = make()
        net.hybridize()
        return net

    rng = np.random.default_rng(0)
    x, y = (mx.nd.array(rng.standard_normal(args.n).astype(np.float32)) for _ in range(2))
    cells, state = [], [mx.nd.zeros((64, 256)), mx.nd.zeros((64, 256))]
    xin = mx.nd.array(rng.standard_normal((64, 128)).astype(np.float32))

    def lstm():
        cell = gluon.rnn.LSTMCell(256, input_size=128)
        cell.initialize(mx.init.Constant(0.01))
        return cell

    workloads = {}
    for fuse in (True, False):
        net = build(Chain, fuse)
        out = net(x, y).asnumpy()
        cell = build(lstm, fuse)
        cells.append(cell)
        h = cell(xin, state)[0].asnumpy()
        workloads.setdefault("chain", []).append((net, out, lambda n=net: n(x, y).wait_to_read()))
        workloads.setdefault("lstm", []).append(
            (cell, h, lambda c=cell: c(xin, state)[0].wait_to_read()))
    os.environ.pop("MINIMX_CPU_FUSION")
    print(f"threads: {mx.threads.kernel_threads()}; best of {args.rounds} x {args.repeats} calls")
    for name, ((fnet, fout, frun), (unet, uout, urun)) in workloads.items():
        # The chain: the same bits. The LSTM: close (its GEMM's sums depend on the thread count,
        # which the engine sets per call from what else runs).
        same = np.array_equal(fout.view(np.uint32), uout.view(np.uint32)) if name == "chain" \
            else np.allclose(fout, uout, rtol=1e-5, atol=1e-6)
        assert same, f"{name}: fused and unfused outputs differ"
        plan = next(iter(fnet._cached_op.plans.values()))
        best_f = best_u = float("inf")
        for _ in range(args.rounds):
            best_f = min(best_f, _time(frun, args.repeats))
            best_u = min(best_u, _time(urun, args.repeats))
        print(f"{name:6s} fused {best_f * 1e3:8.3f} ms  unfused {best_u * 1e3:8.3f} ms  "
              f"speed-up x{best_u / best_f:.2f}  fusion {plan.fusion_report()}")


if __name__ == "__main__":
    main()
