"""The benchmark's workloads, each written once against the MXNet API.

A workload's ``mxnet_api(mx, np)`` builds its inputs with the module it is given (``minimx`` or real
``mxnet``) and returns a callable that does the work once and waits for it; the same function runs
under both. ``numpy(np)`` and ``torch(torch, np)`` are the peers' equivalents, where they exist.
Every callable returns its result, so ``run.py`` can check that all frameworks computed the same thing.

A workload also lists its ``runs``: which framework runs it under which extra environment (for
example minimx under ``MINIMX_ENGINE_TYPE=NaiveEngine``), and its ``targets``: ratios of two runs'
times checked against a bound. Every run is measured in a fresh subprocess (see ``child.py``).

This module imports no framework, so the MXNet and PyTorch virtual environments can import it too.
"""
import math

from workloads_train import (HYBRIDIZE, lstm_mx, lstm_torch, resnet18_mx, resnet18_torch,
                             train_lenet_mx, train_lenet_torch, train_mlp_mx, train_mlp_torch)

__all__ = ["Run", "Target", "Workload", "WORKLOADS", "get"]

SEED = 0


class Run:
    """One measured configuration: a framework and the environment variables it runs under."""

    def __init__(self, label, framework, env=None, note=""):
        self.label = label            # unique within its workload, e.g. 'minimx naive'
        self.framework = framework    # 'minimx', 'mxnet', 'numpy' or 'torch'
        self.env = dict(env or {})
        self.note = note


class Target:
    """A goal: ``time(numer) / time(denom)`` compared with ``bound``.

    ``at_least=True`` reads "the ratio must be >= bound" (a speed-up or a throughput ratio);
    ``False`` reads "<= bound" (a time ratio). ``bound=None`` makes it a reported ratio only.
    """

    def __init__(self, what, numer, denom, bound=None, at_least=True):
        self.what, self.numer, self.denom, self.bound, self.at_least = what, numer, denom, bound, at_least


class Workload:
    def __init__(self, name, title, group, measures, metric, runs, targets=(), mxnet_api=None,
                 numpy=None, torch=None, env=None, min_repeats=0,
                 check_order=("mxnet", "numpy", "torch", "minimx")):
        self.name = name
        self.title = title
        self.group = group            # 'target' (the four) or 'extra' (informative)
        self.measures = measures      # one sentence: what is timed
        self.unit, self.metric = metric   # e.g. ('us/op', seconds -> value)
        self.runs = runs
        self.targets = list(targets)
        self.env = dict(env or {})    # environment for every run of this workload
        self.builders = {"minimx": mxnet_api, "mxnet": mxnet_api, "numpy": numpy, "torch": torch}
        # Short calls get more timed calls (at least this many, whatever --repeats says): on a
        # busy machine the best of many short calls is the one least disturbed.
        self.min_repeats = min_repeats
        self.check_order = check_order   # whose result the others are checked against


def _uniform(np, shape, lo=0.0, hi=1.0, seed=SEED):
    """float32 inputs, the same bits in every framework (uniform draws are stable across numpy versions)."""
    rng = np.random.default_rng(seed)
    return (lo + (hi - lo) * rng.random(shape)).astype(np.float32)


# -- 1. per-op overhead -------------------------------------------------------------------------
CHAIN = 10000


def per_op_mx(mx, np):
    x0, b = mx.nd.zeros((1,)), mx.nd.ones((1,))
    mx.nd.waitall()

    def run():
        x = x0
        for _ in range(CHAIN):
            x = x + b
        x.wait_to_read()
        return x
    return run


def per_op_np(np):
    x0, b = np.zeros((1,), np.float32), np.ones((1,), np.float32)

    def run():
        x = x0
        for _ in range(CHAIN):
            x = x + b
        return x
    return run


def per_op_torch(torch, np):
    x0, b = torch.zeros((1,)), torch.ones((1,))

    def run():
        x = x0
        for _ in range(CHAIN):
            x = x + b
        return x
    return run


# -- 2. two independent matmul chains: threaded vs naive engine ----------------------------------
MM_N, MM_STEPS = 1024, 8


def _chain_inputs(np):
    # Weights with variance 1/n keep the chain's values near 1 (no overflow, no denormals).
    scale = math.sqrt(3.0 / MM_N)
    return ([_uniform(np, (MM_N, MM_N), seed=s) for s in (1, 2)],
            [_uniform(np, (MM_N, MM_N), -scale, scale, seed=s) for s in (3, 4)])


def chains_mx(mx, np):
    (a1, a2), (w1, w2) = [[mx.nd.array(v) for v in pair] for pair in _chain_inputs(np)]
    mx.nd.waitall()

    def run():
        x1, x2 = a1, a2
        for _ in range(MM_STEPS):
            # Pushed alternately, as a user writes it; the engine must see that they are independent.
            x1 = mx.nd.dot(x1, w1)
            x2 = mx.nd.dot(x2, w2)
        mx.nd.waitall()
        return x1, x2
    return run


def chains_np(np):
    (a1, a2), (w1, w2) = _chain_inputs(np)

    def run():
        x1, x2 = a1, a2
        for _ in range(MM_STEPS):
            x1 = x1 @ w1
            x2 = x2 @ w2
        return x1, x2
    return run


# -- 3. c = a * b + a on 10M float32: memory bandwidth ------------------------------------------
AXPY_N = 10_000_000
# Bytes the expression moves as two unfused ops (what numpy does): a*b reads 2 arrays and writes a
# temporary, then (+ a) reads 2 and writes c: 4 reads + 2 writes of 4-byte floats. Every framework is
# credited with the same bytes, so the GB/s compare the same work (a fused kernel would move only 3).
AXPY_BYTES = 6 * 4 * AXPY_N


def axpy_mx(mx, np):
    a = mx.nd.array(_uniform(np, (AXPY_N,), seed=1))
    b = mx.nd.array(_uniform(np, (AXPY_N,), seed=2))
    mx.nd.waitall()

    def run():
        c = a * b + a
        c.wait_to_read()
        return c
    return run


def axpy_np(np):
    a, b = _uniform(np, (AXPY_N,), seed=1), _uniform(np, (AXPY_N,), seed=2)
    return lambda: a * b + a


def axpy_torch(torch, np):
    a = torch.from_numpy(_uniform(np, (AXPY_N,), seed=1))
    b = torch.from_numpy(_uniform(np, (AXPY_N,), seed=2))
    return lambda: a * b + a


# -- 4. one big matmul: GFLOP/s ------------------------------------------------------------------
GEMM_N = 2048


def gemm_mx(mx, np):
    a = mx.nd.array(_uniform(np, (GEMM_N, GEMM_N), seed=1))
    b = mx.nd.array(_uniform(np, (GEMM_N, GEMM_N), seed=2))
    mx.nd.waitall()

    def run():
        c = mx.nd.dot(a, b)
        c.wait_to_read()
        return c
    return run


def gemm_np(np):
    a, b = _uniform(np, (GEMM_N, GEMM_N), seed=1), _uniform(np, (GEMM_N, GEMM_N), seed=2)
    return lambda: a @ b


def gemm_torch(torch, np):
    a = torch.from_numpy(_uniform(np, (GEMM_N, GEMM_N), seed=1))
    b = torch.from_numpy(_uniform(np, (GEMM_N, GEMM_N), seed=2))
    return lambda: a @ b


# -- extras ----------------------------------------------------------------------------------------
SM_SHAPE = (4096, 1000)


def softmax_mx(mx, np):
    x = mx.nd.array(_uniform(np, SM_SHAPE, -4, 4))
    mx.nd.waitall()

    def run():
        y = mx.nd.softmax(x, axis=-1)
        y.wait_to_read()
        return y
    return run


def softmax_np(np):
    x = _uniform(np, SM_SHAPE, -4, 4)

    def run():
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    return run


def softmax_torch(torch, np):
    x = torch.from_numpy(_uniform(np, SM_SHAPE, -4, 4))
    return lambda: torch.softmax(x, dim=-1)


CONV_N, CONV_C, CONV_HW, CONV_F = 32, 64, 56, 64
CONV_FLOPS = 2 * CONV_N * CONV_F * CONV_HW * CONV_HW * CONV_C * 9   # 3x3, pad 1, stride 1


def _conv_inputs(np):
    return (_uniform(np, (CONV_N, CONV_C, CONV_HW, CONV_HW), -1, 1, seed=1),
            _uniform(np, (CONV_F, CONV_C, 3, 3), -0.1, 0.1, seed=2))


def conv_mx(mx, np):
    x, w = [mx.nd.array(v) for v in _conv_inputs(np)]
    mx.nd.waitall()

    def run():
        y = mx.nd.Convolution(data=x, weight=w, kernel=(3, 3), pad=(1, 1), num_filter=CONV_F,
                              no_bias=True)
        y.wait_to_read()
        return y
    return run


def conv_torch(torch, np):
    x, w = [torch.from_numpy(v) for v in _conv_inputs(np)]
    return lambda: torch.nn.functional.conv2d(x, w, padding=1)


SUM_N = 2048


def _sum_mx(axis):
    def build(mx, np):
        x = mx.nd.array(_uniform(np, (SUM_N, SUM_N)))
        mx.nd.waitall()

        def run():
            y = mx.nd.sum(x, axis=axis)
            y.wait_to_read()
            return y
        return run
    return build


def _sum_np(axis):
    def build(np):
        x = _uniform(np, (SUM_N, SUM_N))
        return lambda: x.sum(axis=axis)
    return build


def _sum_torch(axis):
    def build(torch, np):
        x = torch.from_numpy(_uniform(np, (SUM_N, SUM_N)))
        return lambda: x.sum(dim=axis)
    return build


# -- autograd: forward + backward of an MLP ------------------------------------------------------
MLP = (784, 256, 256, 10)
MLP_BATCH = 64


def _mlp_inputs(np):
    x = _uniform(np, (MLP_BATCH, MLP[0]), -1, 1, seed=1)
    label = (np.arange(MLP_BATCH) % MLP[-1]).astype(np.float32)
    params = []
    for i, (n_in, n_out) in enumerate(zip(MLP[:-1], MLP[1:])):
        bound = 1 / math.sqrt(n_in)
        params.append((_uniform(np, (n_out, n_in), -bound, bound, seed=10 + i),
                       _uniform(np, (n_out,), -bound, bound, seed=20 + i)))
    return x, label, params


def mlp_backward_mx(mx, np):
    x, label, params = _mlp_inputs(np)
    x, label = mx.nd.array(x), mx.nd.array(label)
    params = [(mx.nd.array(w), mx.nd.array(b)) for w, b in params]
    for w, b in params:
        w.attach_grad()
        b.attach_grad()
    mx.nd.waitall()

    def run():
        with mx.autograd.record():
            h = x
            for i, (w, b) in enumerate(params):
                h = mx.nd.FullyConnected(h, w, b, num_hidden=w.shape[0])
                if i < len(params) - 1:
                    h = mx.nd.relu(h)
            loss = -mx.nd.pick(mx.nd.log_softmax(h), label).mean()
        loss.backward()
        for w, b in params:
            w.grad.wait_to_read()
            b.grad.wait_to_read()
        return params[0][0].grad
    return run


def mlp_backward_torch(torch, np):
    x, label, params = _mlp_inputs(np)
    x, label = torch.from_numpy(x), torch.from_numpy(label).long()
    params = [(torch.from_numpy(w).requires_grad_(), torch.from_numpy(b).requires_grad_())
              for w, b in params]

    def run():
        h = x
        for i, (w, b) in enumerate(params):
            h = torch.nn.functional.linear(h, w, b)
            if i < len(params) - 1:
                h = torch.relu(h)
        loss = torch.nn.functional.cross_entropy(h, label)
        for w, b in params:
            w.grad = b.grad = None
        loss.backward()
        return params[0][0].grad
    return run


# -- the table -----------------------------------------------------------------------------------
BLAS_ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _peers(numpy=True, torch=True):
    runs = [Run("minimx", "minimx"), Run("mxnet", "mxnet")]
    if numpy:
        runs.append(Run("numpy", "numpy"))
    if torch:
        runs.append(Run("torch", "torch"))
    return runs


def _gbps(nbytes):
    return ("GB/s", lambda t: nbytes / t / 1e9)


def _gflops(flops):
    return ("GFLOP/s", lambda t: flops / t / 1e9)


WORKLOADS = [
    Workload(
        "per_op", "per-op overhead: 10,000 dependent x = x + b on shape (1,)", "target",
        f"a chain of {CHAIN} dependent `x = x + b` on shape-(1,) float32 arrays, then "
        "x.wait_to_read(); threaded engine (the default)",
        ("us/op", lambda t: t / CHAIN * 1e6), _peers(),
        [Target("minimx time / MXNet time", "minimx", "mxnet", 0.35, at_least=False),
         Target("minimx time / PyTorch time", "minimx", "torch")],
        per_op_mx, per_op_np, per_op_torch),
    Workload(
        "chains", "two independent chains of 8 dot(1024x1024) float32, BLAS at 1 thread", "target",
        f"two independent chains of {MM_STEPS} mx.nd.dot of {MM_N}x{MM_N} float32, pushed "
        "alternately, then waitall; BLAS/OpenMP at one thread for every run",
        ("ms", lambda t: t * 1e3),
        [Run("minimx", "minimx"),
         Run("minimx naive", "minimx", {"MINIMX_ENGINE_TYPE": "NaiveEngine"}),
         Run("mxnet", "mxnet"),
         Run("mxnet 2 workers", "mxnet", {"MXNET_CPU_WORKER_NTHREADS": "2"}),
         Run("mxnet naive", "mxnet", {"MXNET_ENGINE_TYPE": "NaiveEngine"}),
         Run("numpy", "numpy", note="sequential, for reference")],
        [Target("minimx speed-up, threaded over naive", "minimx naive", "minimx", 1.8),
         Target("MXNet speed-up, threaded (default workers) over naive", "mxnet naive", "mxnet"),
         Target("MXNet speed-up, threaded (2 workers) over naive", "mxnet naive", "mxnet 2 workers")],
        chains_mx, chains_np, None, env=BLAS_ONE_THREAD),
    Workload(
        "axpy", "c = a * b + a on 10M float32: bandwidth", "target",
        f"c = a * b + a on {AXPY_N:,} float32, then c.wait_to_read(); GB/s counts "
        "6 arrays x 4 bytes x 10M (4 reads + 2 writes of the two unfused ops) for every framework",
        _gbps(AXPY_BYTES), _peers(),
        [Target("minimx GB/s / numpy GB/s", "numpy", "minimx", 0.8),
         Target("minimx GB/s / MXNet GB/s", "mxnet", "minimx", 0.8),
         Target("minimx GB/s / PyTorch GB/s", "torch", "minimx")],
        axpy_mx, axpy_np, axpy_torch),
    Workload(
        "gemm", "dot(2048x2048, 2048x2048) float32: GFLOP/s", "target",
        f"one mx.nd.dot of two {GEMM_N}x{GEMM_N} float32 matrices, then wait_to_read(); "
        "GFLOP/s = 2 n^3; every framework at its default thread count",
        _gflops(2 * GEMM_N ** 3), _peers(),
        [Target("minimx GFLOP/s / numpy GFLOP/s", "numpy", "minimx", 0.95),
         Target("minimx GFLOP/s / MXNet GFLOP/s", "mxnet", "minimx"),
         Target("minimx GFLOP/s / PyTorch GFLOP/s", "torch", "minimx")],
        gemm_mx, gemm_np, gemm_torch),
    Workload(
        "softmax", "softmax(4096x1000, axis=-1)", "extra",
        "mx.nd.softmax over the last axis of a 4096x1000 float32 array; GB/s counts 1 read + 1 write",
        _gbps(2 * 4 * SM_SHAPE[0] * SM_SHAPE[1]), _peers(),
        [Target("minimx speed / numpy speed", "numpy", "minimx"),
         Target("minimx speed / MXNet speed", "mxnet", "minimx")],
        softmax_mx, softmax_np, softmax_torch),
    Workload(
        "conv", "Convolution 32x64x56x56, 64 filters 3x3, pad 1", "extra",
        "mx.nd.Convolution, no bias, NCHW float32; GFLOP/s = 2 N F H W C 9",
        _gflops(CONV_FLOPS), _peers(numpy=False),
        [Target("minimx speed / MXNet speed", "mxnet", "minimx"),
         Target("minimx speed / PyTorch speed", "torch", "minimx")],
        conv_mx, None, conv_torch),
    Workload(
        "mlp_backward", "MLP 784-256-256-10, batch 64: forward + backward", "target",
        "FullyConnected/relu x3, log_softmax + pick loss, backward into every weight's .grad "
        "(no optimizer), waiting for all gradients",
        ("ms", lambda t: t * 1e3), _peers(numpy=False),
        [Target("minimx time / PyTorch time", "minimx", "torch", 1.0, at_least=False),
         Target("minimx time / MXNet time", "minimx", "mxnet")],
        mlp_backward_mx, None, mlp_backward_torch),
] + [
    Workload(
        f"sum_axis{axis}", f"sum(2048x2048, axis={axis})", "extra",
        f"mx.nd.sum over axis {axis} of a 2048x2048 float32 array; GB/s counts the input read once",
        _gbps(4 * SUM_N * SUM_N), _peers(),
        [Target("minimx speed / numpy speed", "numpy", "minimx"),
         Target("minimx speed / MXNet speed", "mxnet", "minimx")],
        _sum_mx(axis), _sum_np(axis), _sum_torch(axis))
    for axis in (0, 1)
]


def _train_runs():
    return [Run("minimx", "minimx"), Run("minimx hybrid", "minimx", HYBRIDIZE),
            Run("mxnet", "mxnet"), Run("mxnet hybrid", "mxnet", HYBRIDIZE),
            Run("torch", "torch", note="eager"),
            Run("torch 1 thread", "torch", {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
                note="eager; on a busy machine its default 2 threads can lose far more than 2x")]


def _train_targets(vs_torch, vs_mxnet, hybrid_speedup=None):
    """The issue's bounds: time ratios against PyTorch / MXNet (None: reported only)."""
    out = [Target("minimx time / PyTorch time", "minimx", "torch", vs_torch, at_least=False),
           Target("minimx hybrid time / PyTorch time", "minimx hybrid", "torch", vs_torch,
                  at_least=False),
           Target("minimx time / PyTorch 1-thread time", "minimx", "torch 1 thread"),
           Target("minimx time / MXNet time", "minimx", "mxnet", vs_mxnet, at_least=False),
           Target("minimx hybrid time / MXNet hybrid time", "minimx hybrid", "mxnet hybrid",
                  vs_mxnet, at_least=False),
           Target("minimx speed-up, hybridized over imperative", "minimx", "minimx hybrid",
                  hybrid_speedup),
           Target("MXNet speed-up, hybridized over imperative", "mxnet", "mxnet hybrid")]
    return out


_MS = ("ms", lambda t: t * 1e3)
# Training steps are checked against PyTorch: MXNet 1.9.1's SGD trajectory drifts from the update
# formula (the sum of the last layer's weights, which softmax cross-entropy gradients leave
# unchanged, falls by 0.6% over 41 steps in MXNet; minimx and PyTorch keep it to 6 digits).
_TORCH_FIRST = ("torch", "mxnet", "numpy", "minimx")

WORKLOADS += [
    Workload(
        "train_mlp", "MLP 784-256-256-10, batch 64: training step", "train",
        "Gluon HybridSequential of Dense(256, relu), Dense(256, relu), Dense(10); forward, "
        "SoftmaxCrossEntropyLoss, backward, Trainer('sgd', lr 0.05, momentum 0.9).step(64), waitall",
        _MS, _train_runs(), _train_targets(1.0, 1.0, 1.3), train_mlp_mx, None, train_mlp_torch,
        min_repeats=40, check_order=_TORCH_FIRST),
    Workload(
        "train_lenet", "LeNet-5 on 1x28x28, batch 64: training step", "train",
        "Conv2D(6, 5, pad 2, relu), MaxPool2D(2), Conv2D(16, 5, relu), MaxPool2D(2), Dense 120, 84 "
        "(relu), 10; forward, loss, backward, SGD momentum step, waitall",
        _MS, _train_runs(), _train_targets(None, 1.0), train_lenet_mx, None, train_lenet_torch,
        min_repeats=20, check_order=_TORCH_FIRST),
    Workload(
        "resnet18", "ResNet-18 v1 (CIFAR shapes 3x32x32), batch 16: forward + backward", "train",
        "model_zoo.vision.resnet18_v1(classes=10) in training mode; forward, "
        "SoftmaxCrossEntropyLoss, backward into every parameter's gradient (no optimizer), waitall",
        _MS, _train_runs(), _train_targets(None, 1.0), resnet18_mx, None, resnet18_torch,
        min_repeats=8),
    Workload(
        "lstm", "LSTM 2 layers, 256 hidden, seq 35, batch 32: forward + backward", "train",
        "gluon.rnn.LSTM(256, num_layers=2) on a (35, 32, 256) TNC input; forward, backward of the "
        "outputs' sum into every parameter's gradient, waitall",
        _MS, _train_runs(), _train_targets(None, 1.0), lstm_mx, None, lstm_torch,
        min_repeats=8),
]


def get(name):
    for w in WORKLOADS:
        if w.name == name:
            return w
    raise KeyError(f"no workload {name!r}; known: {', '.join(w.name for w in WORKLOADS)}")
