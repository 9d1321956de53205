"""The README's main job: train a LeNet-style convnet on the handwritten digits that ship with minimx.

It is ordinary MXNet 1.x Gluon code (swap ``import minimx as mx`` for ``import mxnet as mx`` and it
runs on MXNet): a Dataset and DataLoader, a HybridSequential network, SoftmaxCrossEntropyLoss, a
Trainer, an accuracy metric. The data are the 1,797 8x8 UCI digits, upsampled to 28x28 so the network
is the one you would train on MNIST.

    python -m minimx.demo [--epochs 10] [--batch-size 64] [--ctx cpu|gpu] [--hybridize]
                          [--engine threaded|naive] [--out DIR]

It prints a progress bar per epoch (loss, accuracy, samples/s), the test accuracy, and writes the
trained parameters and a PNG of the training curves to ``--out``.
"""
import argparse
import os
import sys
import time

import minimx as mx
from minimx import autograd, gluon
from minimx.gluon import nn


def lenet(classes=10):
    """LeNet-5 as the MXNet tutorials write it (with BatchNorm after the first convolution)."""
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(6, kernel_size=5, padding=2, activation="relu"),
                nn.BatchNorm(),
                nn.MaxPool2D(pool_size=2, strides=2),
                nn.Conv2D(16, kernel_size=5, activation="relu"),
                nn.MaxPool2D(pool_size=2, strides=2),
                nn.Flatten(),
                nn.Dense(120, activation="relu"),
                nn.Dense(84, activation="relu"),
                nn.Dense(classes))
    return net


def loaders(batch_size):
    """Train and test DataLoaders over the bundled digits: 1x28x28 float32 images in [0, 1]."""
    from minimx.gluon.data.vision import Digits, transforms
    to_tensor = transforms.ToTensor()
    train = Digits(train=True, upsample=True).transform_first(to_tensor)
    test = Digits(train=False, upsample=True).transform_first(to_tensor)
    return (gluon.data.DataLoader(train, batch_size, shuffle=True, last_batch="keep"),
            gluon.data.DataLoader(test, batch_size, shuffle=False))


def evaluate(net, loader, ctx):
    metric = mx.metric.Accuracy()
    for data, label in loader:
        metric.update([label.as_in_context(ctx)], [net(data.as_in_context(ctx))])
    return metric.get()[1]


def _progress(iterable, total, desc):
    try:
        from tqdm import tqdm
    except ImportError:          # the demo extra installs tqdm; without it, plain lines
        return _Plain(iterable, desc)
    return tqdm(iterable, total=total, desc=desc, ncols=100, file=sys.stdout)


class _Plain:
    def __init__(self, iterable, desc):
        self.iterable, self.desc, self.postfix = iterable, desc, {}

    def __iter__(self):
        return iter(self.iterable)

    def set_postfix(self, **kw):
        self.postfix = kw

    def close(self):
        print(self.desc, " ".join(f"{k}={v}" for k, v in self.postfix.items()))


def train(epochs=10, batch_size=64, ctx=None, hybridize=False, lr=0.03, out=None, seed=0,
          verbose=True):
    """Train, evaluate and (with ``out``) save; returns a dict of the history and test accuracy."""
    ctx = ctx or mx.cpu()
    mx.random.seed(seed)
    train_data, test_data = loaders(batch_size)
    net = lenet()
    net.initialize(mx.init.Xavier(), ctx=ctx)
    if hybridize:
        net.hybridize()
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    # SGD with momentum; the learning rate follows a cosine from lr down to lr/100.
    schedule = mx.lr_scheduler.CosineScheduler(max_update=epochs * len(train_data), base_lr=lr,
                                               final_lr=lr / 100)
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": lr, "momentum": 0.9, "lr_scheduler": schedule})
    history = {"loss": [], "train_acc": [], "test_acc": [], "samples_per_s": []}
    for epoch in range(epochs):
        metric, total_loss, seen = mx.metric.Accuracy(), 0.0, 0
        bar = _progress(train_data, len(train_data), f"epoch {epoch + 1}/{epochs}") if verbose \
            else _Plain(train_data, "")
        start = time.perf_counter()
        for data, label in bar:
            data, label = data.as_in_context(ctx), label.as_in_context(ctx)
            with autograd.record():
                output = net(data)
                loss = loss_fn(output, label)
            loss.backward()
            trainer.step(data.shape[0])
            metric.update([label], [output])
            total_loss += loss.sum().asscalar()
            seen += data.shape[0]
            bar.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{metric.get()[1]:.3f}",
                            samples_s=f"{seen / (time.perf_counter() - start):.0f}")
        if verbose:
            bar.close()
        history["loss"].append(total_loss / seen)
        history["train_acc"].append(metric.get()[1])
        history["samples_per_s"].append(seen / (time.perf_counter() - start))
        history["test_acc"].append(evaluate(net, test_data, ctx))
    result = {"history": history, "test_acc": history["test_acc"][-1], "net": net}
    if out:
        os.makedirs(out, exist_ok=True)
        result["params"] = os.path.join(out, "lenet_digits.params")
        net.save_parameters(result["params"])
        result["plot"] = plot(history, os.path.join(out, "training_curves.png"))
    return result


def plot(history, path):
    """Loss and accuracy per epoch as a PNG (needs matplotlib; returns None without it)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[demo]'): no plot written")
        return None
    epochs = range(1, len(history["loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, history["loss"], marker="o")
    left.set(title="training loss", xlabel="epoch")
    right.plot(epochs, history["train_acc"], marker="o", label="train")
    right.plot(epochs, history["test_acc"], marker="o", label="test")
    right.set(title="accuracy", xlabel="epoch")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m minimx.demo", description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.03)
    parser.add_argument("--ctx", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--hybridize", action="store_true")
    parser.add_argument("--engine", choices=["threaded", "naive"], default="threaded")
    parser.add_argument("--out", default="demo_out", help="folder for the parameters and the plot")
    args = parser.parse_args(argv)
    mx.engine.set_engine(args.engine)
    ctx = mx.gpu() if args.ctx == "gpu" else mx.cpu()
    start = time.perf_counter()
    result = train(args.epochs, args.batch_size, ctx, args.hybridize, args.lr, args.out)
    print(f"test accuracy {result['test_acc']:.4f} after {args.epochs} epochs "
          f"({time.perf_counter() - start:.1f} s); parameters: {result['params']}"
          + (f"; curves: {result['plot']}" if result.get("plot") else ""))
    return result


if __name__ == "__main__":
    main()
