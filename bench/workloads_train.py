"""Training workloads: Gluon training steps, written once against the MXNet API (and in PyTorch).

Each builder takes the module ``mx`` (minimx or real MXNet) and returns a callable that runs one
step and waits for it. ``BENCH_HYBRIDIZE=1`` in the run's environment hybridizes the network (and
the training steps' loss, a HybridBlock too, unless ``BENCH_HYBRIDIZE_LOSS=0``) first, so one
builder gives the imperative and the hybridized runs of both minimx and MXNet.

- ``train_mlp``: MLP 784-256-256-10 (relu), batch 64: forward, SoftmaxCrossEntropyLoss, backward,
  ``trainer.step`` (SGD, learning rate 0.05, momentum 0.9).
- ``train_lenet``: LeNet-5 (Conv 6x5x5 pad 2, MaxPool 2, Conv 16x5x5, MaxPool 2, Dense 120, 84, 10,
  relu) on 1x28x28, batch 64, the same step.
- ``resnet18``: ``model_zoo.vision.resnet18_v1(classes=10)`` on 3x32x32 (CIFAR shapes), batch 16:
  forward, loss and backward into every parameter's gradient (no optimizer), training mode.
- ``lstm``: ``gluon.rnn.LSTM(256, num_layers=2)`` on a (35, 32, 256) TNC sequence: forward and
  backward of the outputs' sum into every parameter's gradient (PyTorch: ``nn.LSTM(256, 256, 2)``,
  whose parameters come in the same order with the same gate order i, f, g/c, o).

Every framework starts from the same parameter values (drawn per parameter, in the order of
``collect_params()``, which is also the order of PyTorch's ``state_dict()`` for the same layers), so
the results after the same number of steps agree and ``run.py`` can check them. The MLP and LeNet
return their FIRST layer's weight: the last layer's weights keep their sum under a softmax
cross-entropy gradient (each row of d loss / d logits sums to 0), so its sum only measured rounding
noise, which MXNet accumulates (0.2426 vs minimx's 0.2441 after a bench run, both from 0.2441).

This module imports no framework.
"""
import math
import os

__all__ = ["train_mlp_mx", "train_mlp_torch", "train_lenet_mx", "train_lenet_torch",
           "resnet18_mx", "resnet18_torch", "lstm_mx", "lstm_torch", "HYBRIDIZE"]

HYBRIDIZE = {"BENCH_HYBRIDIZE": "1"}
LR, MOMENTUM = 0.05, 0.9
MLP_BATCH, LENET_BATCH, RESNET_BATCH = 64, 64, 16
LSTM_SEQ, LSTM_BATCH, LSTM_HIDDEN, LSTM_LAYERS = 35, 32, 256, 2


def _uniform(np, shape, lo, hi, seed):
    rng = np.random.default_rng(seed)
    return (lo + (hi - lo) * rng.random(shape)).astype(np.float32)


def _param_value(np, name, shape, index):
    """A deterministic starting value for a parameter, by its kind (from its name) and shape."""
    seed = 100 + index
    if name.endswith(("gamma", "running_var")):
        return _uniform(np, shape, 0.5, 1.5, seed)
    if name.endswith(("beta", "bias", "running_mean")):
        return _uniform(np, shape, -0.1, 0.1, seed)
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
    bound = math.sqrt(3.0 / fan_in)
    return _uniform(np, shape, -bound, bound, seed)


def _inputs(np, batch, shape, classes=10):
    x = _uniform(np, (batch,) + shape, -1, 1, seed=1)
    y = (np.arange(batch) % classes).astype(np.float32)
    return x, y


def _hybridize():
    return os.environ.get("BENCH_HYBRIDIZE", "") == "1"


# -- MXNet API (minimx and MXNet) ------------------------------------------------------------------
def _prepare_mx(mx, np, net, x):
    """Initialize, finish deferred shapes with one forward, then load the shared starting values."""
    net.initialize()
    net(x)
    mx.nd.waitall()
    for i, (name, p) in enumerate(net.collect_params().items()):
        p.set_data(mx.nd.array(_param_value(np, name, p.shape, i)))
    if _hybridize():
        net.hybridize()
    mx.nd.waitall()


def _train_step_mx(mx, np, net, batch, shape, result):
    x, y = _inputs(np, batch, shape)
    x, y = mx.nd.array(x), mx.nd.array(y)
    _prepare_mx(mx, np, net, x)
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    if _hybridize() and os.environ.get("BENCH_HYBRIDIZE_LOSS", "1") == "1":
        loss_fn.hybridize()       # the loss is a HybridBlock too (BENCH_HYBRIDIZE_LOSS=0: net only)
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd",
                               {"learning_rate": LR, "momentum": MOMENTUM})

    def run():
        with mx.autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(batch)
        mx.nd.waitall()
        return result(net)
    return run


def _mlp_net(mx):
    nn = mx.gluon.nn
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(256, activation="relu", in_units=784),
                nn.Dense(256, activation="relu", in_units=256),
                nn.Dense(10, in_units=256))
    return net


def _lenet_net(mx):
    nn = mx.gluon.nn
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(6, 5, padding=2, activation="relu", in_channels=1),
                nn.MaxPool2D(2, 2),
                nn.Conv2D(16, 5, activation="relu", in_channels=6),
                nn.MaxPool2D(2, 2),
                nn.Dense(120, activation="relu", in_units=400),
                nn.Dense(84, activation="relu", in_units=120),
                nn.Dense(10, in_units=84))
    return net


def train_mlp_mx(mx, np):
    return _train_step_mx(mx, np, _mlp_net(mx), MLP_BATCH, (784,), lambda net: net[0].weight.data())


def train_lenet_mx(mx, np):
    return _train_step_mx(mx, np, _lenet_net(mx), LENET_BATCH, (1, 28, 28),
                          lambda net: net[0].weight.data())


def resnet18_mx(mx, np):
    x, y = _inputs(np, RESNET_BATCH, (3, 32, 32))
    x, y = mx.nd.array(x), mx.nd.array(y)
    net = mx.gluon.model_zoo.vision.resnet18_v1(classes=10)
    _prepare_mx(mx, np, net, x)
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()

    def run():
        with mx.autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        mx.nd.waitall()
        return loss
    return run


def lstm_mx(mx, np):
    x = mx.nd.array(_uniform(np, (LSTM_SEQ, LSTM_BATCH, LSTM_HIDDEN), -1, 1, seed=1))
    net = mx.gluon.rnn.LSTM(LSTM_HIDDEN, num_layers=LSTM_LAYERS, input_size=LSTM_HIDDEN)
    net.initialize()
    for i, (name, p) in enumerate(net.collect_params().items()):
        p.set_data(mx.nd.array(_param_value(np, name, p.shape, i)))
    if _hybridize():
        net.hybridize()
    mx.nd.waitall()

    def run():
        with mx.autograd.record():
            out = net(x)
        out.backward()
        mx.nd.waitall()
        return out
    return run


# -- PyTorch (eager) -------------------------------------------------------------------------------
def _prepare_torch(torch, np, net):
    with torch.no_grad():
        items = [(k, v) for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")]
        for i, (name, t) in enumerate(items):
            # PyTorch's names (weight/bias of a BatchNorm) -> the kinds MXNet's names give.
            kind = name
            if isinstance(_module_of(net, name), torch.nn.BatchNorm2d):
                kind = {"weight": "gamma", "bias": "beta"}.get(name.rsplit(".", 1)[1], name)
            t.copy_(torch.from_numpy(_param_value(np, kind, tuple(t.shape), i)))
    net.train()


def _module_of(net, name):
    mod = net
    for part in name.split(".")[:-1]:
        mod = getattr(mod, part)
    return mod


def _train_step_torch(torch, np, net, batch, shape, result):
    x, y = _inputs(np, batch, shape)
    x, y = torch.from_numpy(x), torch.from_numpy(y).long()
    _prepare_torch(torch, np, net)
    opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
    loss_fn = torch.nn.CrossEntropyLoss()

    def run():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        return result(net).detach()
    return run


def train_mlp_torch(torch, np):
    nn = torch.nn
    net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                        nn.Linear(256, 10))
    return _train_step_torch(torch, np, net, MLP_BATCH, (784,), lambda n: n[0].weight)


def train_lenet_torch(torch, np):
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2),
                        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
                        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                        nn.Linear(84, 10))
    return _train_step_torch(torch, np, net, LENET_BATCH, (1, 28, 28), lambda n: n[0].weight)


def _resnet18_torch_net(torch):
    """MXNet's resnet18_v1 (BasicBlockV1, 7x7 stem, max pool), layers in MXNet's order."""
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
                                      nn.BatchNorm2d(cout), nn.ReLU(),
                                      nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
                                      nn.BatchNorm2d(cout))
            self.downsample = None
            if cin != cout:
                self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                                nn.BatchNorm2d(cout))

        def forward(self, x):
            r = x if self.downsample is None else self.downsample(x)
            return torch.relu(self.body(x) + r)

    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
              nn.MaxPool2d(3, 2, 1)]
    chans = [64, 64, 128, 256, 512]
    for i in range(4):
        layers += [Block(chans[i], chans[i + 1], 1 if i == 0 else 2),
                   Block(chans[i + 1], chans[i + 1], 1)]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 10)]
    return nn.Sequential(*layers)


def resnet18_torch(torch, np):
    x, y = _inputs(np, RESNET_BATCH, (3, 32, 32))
    x, y = torch.from_numpy(x), torch.from_numpy(y).long()
    net = _resnet18_torch_net(torch)
    _prepare_torch(torch, np, net)
    params = list(net.parameters())

    def run():
        for p in params:
            p.grad = None
        loss = torch.nn.functional.cross_entropy(net(x), y, reduction="none")
        loss.sum().backward()
        return loss.detach()
    return run


def lstm_torch(torch, np):
    x = torch.from_numpy(_uniform(np, (LSTM_SEQ, LSTM_BATCH, LSTM_HIDDEN), -1, 1, seed=1))
    net = torch.nn.LSTM(LSTM_HIDDEN, LSTM_HIDDEN, LSTM_LAYERS)
    with torch.no_grad():
        for i, (name, t) in enumerate(net.state_dict().items()):
            kind = "bias" if name.startswith("bias") else "weight"
            t.copy_(torch.from_numpy(_param_value(np, kind, tuple(t.shape), i)))
    params = list(net.parameters())

    def run():
        for p in params:
            p.grad = None
        out, _ = net(x)
        out.sum().backward()
        return out.detach()
    return run
