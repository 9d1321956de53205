"""The demo's training throughput, minimx against MXNet 1.9.1 running the same Gluon script.

The script below is ordinary MXNet 1.x code; it runs once with ``import minimx as mx`` and once with
``import mxnet as mx`` (MXNet's own venv), on the same bundled digits (exported to a .npz first),
alternating rounds so that both see the same machine load. It prints samples/s and the ratio.

    python bench/demo_throughput.py [--rounds 3] [--epochs 3] [--mxnet /work/mxnet-venv/bin/python]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

SCRIPT = r'''
import sys, time, numpy as np
mx = __import__(sys.argv[1]); gluon, autograd, nn = mx.gluon, mx.autograd, mx.gluon.nn
d = np.load(sys.argv[2]); epochs = int(sys.argv[3]); hybridize = sys.argv[4] == "1"
X = (d["X"].astype("float32") / 255.).transpose(0, 3, 1, 2)
train = gluon.data.DataLoader(gluon.data.ArrayDataset(X, d["y"].astype("float32")), 64, shuffle=True)
net = nn.HybridSequential()
with net.name_scope():
    net.add(nn.Conv2D(6, kernel_size=5, padding=2, activation="relu"), nn.BatchNorm(),
            nn.MaxPool2D(pool_size=2, strides=2), nn.Conv2D(16, kernel_size=5, activation="relu"),
            nn.MaxPool2D(pool_size=2, strides=2), nn.Flatten(), nn.Dense(120, activation="relu"),
            nn.Dense(84, activation="relu"), nn.Dense(10))
net.initialize(mx.init.Xavier())
if hybridize:
    net.hybridize()
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.03, "momentum": 0.9})
def epoch():
    n, metric = 0, mx.metric.Accuracy()
    for x, y in train:
        with autograd.record():
            out = net(x)
            loss = loss_fn(out, y)
        loss.backward()
        trainer.step(x.shape[0])
        metric.update([y], [out])
        n += x.shape[0]
    mx.nd.waitall()
    return n
epoch()                                   # warm-up (and deferred initialization)
t = time.perf_counter(); n = sum(epoch() for _ in range(epochs)); dt = time.perf_counter() - t
print(n / dt)
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--mxnet", default=os.environ.get("MXNET_PY", "/work/mxnet-venv/bin/python"))
    args = ap.parse_args()
    from minimx.data.vision import Digits
    train = Digits(train=True, upsample=True)
    X = np.stack([np.asarray(train[i][0].asnumpy()) for i in range(len(train))])
    y = np.array([train[i][1] for i in range(len(train))])
    tmp = tempfile.mkdtemp()
    data, script = os.path.join(tmp, "digits.npz"), os.path.join(tmp, "train.py")
    np.savez(data, X=X, y=y)
    with open(script, "w") as f:
        f.write(SCRIPT)
    rows = {}
    for _ in range(args.rounds):
        for label, python, module, hyb in (("minimx", sys.executable, "minimx", "0"),
                                           ("minimx hybridized", sys.executable, "minimx", "1"),
                                           ("mxnet", args.mxnet, "mxnet", "0"),
                                           ("mxnet hybridized", args.mxnet, "mxnet", "1")):
            out = subprocess.run([python, "-W", "ignore", script, module, data, str(args.epochs), hyb],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                print(label, "failed:", out.stderr[-500:])
                continue
            rows.setdefault(label, []).append(float(out.stdout.strip().splitlines()[-1]))
    print("| run | samples/s (median of %d) |" % args.rounds)
    print("| --- | --- |")
    med = {k: float(np.median(v)) for k, v in rows.items()}
    for k, v in med.items():
        print(f"| {k} | {v:.0f} |")
    if "minimx" in med and "mxnet" in med:
        print(f"minimx/mxnet throughput: {med['minimx'] / med['mxnet']:.2f}x imperative, "
              f"{med.get('minimx hybridized', 0) / med.get('mxnet hybridized', 1):.2f}x hybridized")


if __name__ == "__main__":
    main()
