"""What a hybridized graph's memory planning saves, per model: bytes of node outputs with and
without buffer sharing, for inference and for a training call.

    python bench/memory_plan.py [--models resnet18_v1,mobilenet1.0] [--batch 16] [--size 32]

Builds each model-zoo network, hybridizes it, runs one training step so the graph and its cached
backward are planned, and prints ``GraphPlan.memory_report()``: inference keeps only the graph's
outputs; training also keeps the values the backward reads (``symbol/memory_plan.py``). Counts
bytes, not time, so a busy machine does not change the numbers.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))   # the checkout this file lives in


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default="resnet18_v1,resnet50_v1,mobilenet1.0,mobilenetv2_1.0,vgg16_bn")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--size", type=int, default=32, help="image side (32: CIFAR shapes)")
    args = p.parse_args()
    import numpy as np

    import minimx as mx
    from minimx import autograd
    x = mx.nd.array(np.random.RandomState(0).uniform(-1, 1, (args.batch, 3, args.size, args.size)))
    mib = 1 / 2 ** 20
    print(f"batch {args.batch}, 3x{args.size}x{args.size}; MiB of node outputs per call")
    print(f"{'model':16s} {'infer naive':>11s} {'planned':>8s} {'saved':>6s} "
          f"{'train naive':>11s} {'planned':>8s} {'saved':>6s} {'in place':>8s}")
    for name in args.models.split(","):
        net = mx.gluon.model_zoo.vision.get_model(name, classes=10)
        net.initialize()
        net(x)
        net.hybridize()
        with autograd.record():
            net(x).sum().backward()
        mx.nd.waitall()
        plan = next(iter(net._cached_op.plans.values()))
        inf, tr = plan.memory_report(), plan.memory_report(training=True)
        print(f"{name:16s} {inf['naive_bytes'] * mib:11.1f} {inf['planned_bytes'] * mib:8.1f} "
              f"{inf['saved_fraction']:6.0%} {tr['naive_bytes'] * mib:11.1f} "
              f"{tr['planned_bytes'] * mib:8.1f} {tr['saved_fraction']:6.0%} {inf['in_place']:8d}")


if __name__ == "__main__":
    main()
