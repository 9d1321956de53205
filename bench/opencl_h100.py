"""The OpenCL backend on a real GPU, side by side with PyTorch CUDA in the same run.

    python bench/opencl_h100.py                 # on an NVIDIA machine (written for an H100)
    python bench/opencl_h100.py --quick         # tiny sizes: checks the script runs (PoCL is fine)
    python bench/opencl_h100.py --json out.json

Measures, each as the best of ``--repeats`` timed runs after a warm-up:

1. float32 GEMM 4096^3: minimx ``mx.nd.dot`` on ``mx.gpu()`` for a few tile configurations
   (``MINIMX_OPENCL_GEMM=TM,TN,TK,RM,RN``) against ``torch.matmul`` with
   ``torch.backends.cuda.matmul.allow_tf32 = False`` (true float32 cuBLAS). Target: >= 40%.
2. Elementwise bandwidth: ``x + y`` and ``x * y + x`` on 64M floats, against the device's copy
   bandwidth (an OpenCL buffer-to-buffer copy) and PyTorch's. Target: ``x + y`` >= 70% of copy.
3. Training steps (forward, backward, SGD update; batch 64): an MLP (784-512-512-10), LeNet
   (conv 6x5x5, pool, conv 16x5x5, pool, 120, 84, 10) and ResNet-18 v1 (model zoo, CIFAR shapes
   3x32x32) in Gluon on ``mx.gpu()``, hybridized, against the same networks in PyTorch CUDA eager
   (the ResNet from ``workloads_train.py``). Target: within 3x. The host fallback calls per step
   are printed too: an op without an OpenCL kernel for its inputs crosses the bus (there should
   be none in these networks).

OpenCL sees the NVIDIA GPU only once its ICD is registered (``--register-icd`` does it when run
as root)::

    mkdir -p /etc/OpenCL/vendors && echo libnvidia-opencl.so.1 > /etc/OpenCL/vendors/nvidia.icd

``MINIMX_OPENCL_DEVICE`` (default here: ``nvidia``) picks the device. PyTorch is optional: without
it only minimx's numbers are printed.
"""
import argparse
import glob
import json
import os
import sys
import time

import numpy as np


def register_icd():
    path = "/etc/OpenCL/vendors/nvidia.icd"
    if os.path.exists(path):
        return f"{path} exists"
    libs = sorted(glob.glob("/usr/lib*/**/libnvidia-opencl.so*", recursive=True))
    if not libs:
        return "no libnvidia-opencl.so found: is the NVIDIA driver installed?"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(libs[0] + "\n")
    return f"wrote {path} -> {libs[0]}"


def best_time(fn, sync, repeats, warmup=2):
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return min(times)


# -- minimx ---------------------------------------------------------------------------------------
def mx_setup():
    os.environ.setdefault("MINIMX_OPENCL_DEVICE", "nvidia")
    import minimx as mx
    from minimx._kernels import opencl
    reason = opencl.missing_reason()
    if reason:
        sys.exit(f"minimx OpenCL backend unavailable: {reason}")
    return mx, opencl


def mx_gemm(mx, n, repeats, configs):
    ctx = mx.gpu()
    rng = np.random.RandomState(0)
    a = mx.nd.array(rng.rand(n, n), ctx=ctx)
    b = mx.nd.array(rng.rand(n, n), ctx=ctx)
    out = {}
    for cfg in configs:
        os.environ["MINIMX_OPENCL_GEMM"] = cfg
        t = best_time(lambda: mx.nd.dot(a, b), mx.nd.waitall, repeats)
        out[cfg] = 2 * n ** 3 / t / 1e12
    check = mx.nd.dot(a[:64], b).asnumpy()
    err = np.abs(check - a[:64].asnumpy() @ b.asnumpy()).max()
    return out, float(err)


def mx_bandwidth(mx, opencl, n, repeats):
    ctx = mx.gpu()
    x = mx.nd.ones((n,), ctx=ctx)
    y = mx.nd.ones((n,), ctx=ctx) * 2
    dst = mx.nd.zeros((n,), ctx=ctx)
    res = {}
    res["copy"] = 2 * 4 * n / best_time(lambda: x.copyto(dst), mx.nd.waitall, repeats) / 1e9
    res["x+y"] = 3 * 4 * n / best_time(lambda: x + y, mx.nd.waitall, repeats) / 1e9
    # as PyTorch's figure counts it: three arrays of traffic (the temporaries are extra passes)
    res["x*y+x"] = 3 * 4 * n / best_time(lambda: x * y + x, mx.nd.waitall, repeats) / 1e9
    return res


def mx_nets(mx, batch):
    from minimx.gluon import nn

    def mlp():
        net = nn.HybridSequential()
        net.add(nn.Dense(512, activation="relu"), nn.Dense(512, activation="relu"), nn.Dense(10))
        return net, (batch, 784)

    def lenet():
        net = nn.HybridSequential()
        net.add(nn.Conv2D(6, 5, activation="relu"), nn.MaxPool2D(2),
                nn.Conv2D(16, 5, activation="relu"), nn.MaxPool2D(2), nn.Flatten(),
                nn.Dense(120, activation="relu"), nn.Dense(84, activation="relu"), nn.Dense(10))
        return net, (batch, 1, 28, 28)

    def resnet18():
        from minimx.gluon.model_zoo import vision
        return vision.resnet18_v1(classes=10), (batch, 3, 32, 32)
    return {"mlp": mlp, "lenet": lenet, "resnet18": resnet18}


def mx_train_step(mx, opencl, make, repeats):
    from minimx import autograd, gluon
    ctx = mx.gpu()
    net, shape = make()
    net.initialize(mx.init.Xavier(), ctx=ctx)
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    x = mx.nd.array(np.random.rand(*shape), ctx=ctx)
    y = mx.nd.array(np.random.randint(0, 10, shape[0]), ctx=ctx)

    def step():
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(shape[0])
    step()
    before = sum(opencl.fallback_report().values())
    step()
    mx.nd.waitall()
    fallbacks = sum(opencl.fallback_report().values()) - before
    return best_time(step, mx.nd.waitall, repeats) * 1e3, fallbacks


# -- PyTorch ------------------------------------------------------------------------------------
def torch_setup():
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    return torch


def _torch_resnet18(torch):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from workloads_train import _resnet18_torch_net
    return _resnet18_torch_net(torch)


def torch_all(torch, n_gemm, n_bw, batch, repeats):
    dev = "cuda"
    sync = torch.cuda.synchronize
    res = {}
    a, b = torch.rand(n_gemm, n_gemm, device=dev), torch.rand(n_gemm, n_gemm, device=dev)
    res["gemm_tflops"] = 2 * n_gemm ** 3 / best_time(lambda: a @ b, sync, repeats) / 1e12
    x, y = torch.ones(n_bw, device=dev), torch.ones(n_bw, device=dev) * 2
    dst = torch.empty_like(x)
    res["copy"] = 2 * 4 * n_bw / best_time(lambda: dst.copy_(x), sync, repeats) / 1e9
    res["x+y"] = 3 * 4 * n_bw / best_time(lambda: x + y, sync, repeats) / 1e9
    res["x*y+x"] = 3 * 4 * n_bw / best_time(lambda: x * y + x, sync, repeats) / 1e9
    nn = torch.nn
    nets = {
        "mlp": (nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                              nn.Linear(512, 10)), (batch, 784)),
        "lenet": (nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                                nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120),
                                nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)),
                  (batch, 1, 28, 28)),
        "resnet18": (_torch_resnet18(torch), (batch, 3, 32, 32)),
    }
    for name, (net, shape) in nets.items():
        net = net.to(dev)
        opt = torch.optim.SGD(net.parameters(), lr=0.01)
        xb = torch.rand(*shape, device=dev)
        yb = torch.randint(0, 10, (shape[0],), device=dev)
        loss_fn = nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss_fn(net(xb), yb).backward()
            opt.step()
        res[f"{name}_ms"] = best_time(step, sync, repeats) * 1e3
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test, e.g. on PoCL)")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--register-icd", action="store_true")
    p.add_argument("--gemm-configs", default="64,64,16,4,4;128,128,16,8,8;128,64,16,8,4;64,64,8,4,4")
    p.add_argument("--json", default=None)
    args = p.parse_args()
    if args.register_icd:
        print(register_icd())
    n_gemm, n_bw, batch = (256, 1 << 20, 8) if args.quick else (4096, 64 << 20, 64)
    repeats = 2 if args.quick else args.repeats
    configs = args.gemm_configs.split(";")[:1 if args.quick else None]

    mx, opencl = mx_setup()
    dev = opencl.backend_for(0).storage.dev.device
    print(f"minimx mx.gpu(0): {dev.name} ({dev.platform.name}, driver {dev.driver_version})")
    result = {"device": dev.name, "quick": args.quick}
    gemm, err = mx_gemm(mx, n_gemm, repeats, configs)
    result["minimx_gemm_tflops"] = gemm
    result["minimx_gemm_max_abs_err"] = err
    result["minimx_bandwidth_gbs"] = mx_bandwidth(mx, opencl, n_bw, repeats)
    result["minimx_steps"] = {}
    for name, make in mx_nets(mx, batch).items():
        ms, fallbacks = mx_train_step(mx, opencl, make, repeats)
        result["minimx_steps"][name] = {"ms": ms, "host_fallback_calls": fallbacks}
    torch = torch_setup()
    if torch is not None:
        print(f"torch {torch.__version__}: {torch.cuda.get_device_name()}")
        result["torch"] = torch_all(torch, n_gemm, n_bw, batch, repeats)
    else:
        print("PyTorch with CUDA not available: minimx figures only")

    best_cfg = max(gemm, key=gemm.get)
    print(f"\nGEMM {n_gemm}^3 float32: minimx " + ", ".join(f"{c}: {v:.2f}" for c, v in gemm.items())
          + f" TFLOP/s (max |err| {err:.2e})")
    bw = result["minimx_bandwidth_gbs"]
    print("bandwidth GB/s: minimx " + ", ".join(f"{k} {v:.0f}" for k, v in bw.items())
          + f"; x+y is {100 * bw['x+y'] / bw['copy']:.0f}% of copy (target 70%)")
    for name, r in result["minimx_steps"].items():
        print(f"{name} step: minimx {r['ms']:.2f} ms ({r['host_fallback_calls']} host-fallback calls)")
    if torch is not None:
        t = result["torch"]
        print(f"torch: GEMM {t['gemm_tflops']:.2f} TFLOP/s -> minimx best ({best_cfg}) is "
              f"{100 * gemm[best_cfg] / t['gemm_tflops']:.0f}% (target 40%)")
        print(f"torch bandwidth GB/s: copy {t['copy']:.0f}, x+y {t['x+y']:.0f}, x*y+x {t['x*y+x']:.0f}")
        for name in ("mlp", "lenet", "resnet18"):
            ratio = result["minimx_steps"][name]["ms"] / t[f"{name}_ms"]
            print(f"{name} step: torch {t[f'{name}_ms']:.2f} ms -> minimx {ratio:.1f}x (target 3x)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
