"""Whole networks on ``mx.gpu()`` (the OpenCL backend) give the CPU's results.

An MLP and a LeNet (Convolution, BatchNorm, Pooling, Dense: native kernels where the
OpenCL backend has them, the host fallback elsewhere) run forward and backward, and train with
SGD and Adam, on gpu and cpu from the same initial parameters. Without a GPU the tests run on
PoCL's CPU device; they skip, with the reason, when pyopencl or a device is missing.
"""
import os
import tempfile

import numpy as np
import pytest

os.environ.setdefault("POCL_CACHE_DIR", tempfile.mkdtemp(prefix="minimx-pocl-"))
os.environ.setdefault("MINIMX_OPENCL_DEVICE", "cpu")

import minimx as mx  # noqa: E402
from minimx import autograd, gluon  # noqa: E402
from minimx._kernels import opencl  # noqa: E402
from minimx.gluon import nn  # noqa: E402

_REASON = opencl.missing_reason()
pytestmark = pytest.mark.skipif(_REASON is not None, reason=f"OpenCL backend unavailable: {_REASON}")


def mlp():
    net = nn.HybridSequential()
    net.add(nn.Dense(64, activation="relu"), nn.Dense(32, activation="tanh"), nn.Dense(10))
    return net


def lenet():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, 5, activation="relu"), nn.BatchNorm(), nn.MaxPool2D(2),
            nn.Conv2D(16, 3, activation="sigmoid"), nn.AvgPool2D(2), nn.Flatten(),
            nn.Dense(32, activation="softrelu"), nn.Dense(10))
    return net


_DATA = {mlp: (16, 20), lenet: (8, 1, 16, 16)}


def _batch(make):
    rng = np.random.RandomState(0)
    shape = _DATA[make]
    return rng.randn(*shape).astype(np.float32), rng.randint(0, 10, shape[0]).astype(np.float32)


def _net_on(make, ctx, x):
    """A network initialised on the cpu from a fixed seed, then moved to ``ctx``."""
    mx.random.seed(0)
    net = make()
    net.initialize(mx.init.Xavier(), ctx=mx.cpu())
    net(mx.nd.array(x[:1]))
    if ctx != mx.cpu():
        net.collect_params().reset_ctx(ctx)
    return net


def _train(make, ctx, optimizer, steps, hybridize=False):
    x, y = _batch(make)
    net = _net_on(make, ctx, x)
    if hybridize:
        net.hybridize()
    lr = 0.1 if optimizer == "sgd" else 0.01
    trainer = gluon.Trainer(net.collect_params(), optimizer, {"learning_rate": lr})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    X, Y = mx.nd.array(x, ctx=ctx), mx.nd.array(y, ctx=ctx)
    losses = []
    for _ in range(steps):
        with autograd.record():
            loss = loss_fn(net(X), Y)
        loss.backward()
        trainer.step(x.shape[0])
        losses.append(loss.asnumpy())
    params = [v.data() for v in net.collect_params().values()]    # names differ per net: by order
    assert all(p.context == ctx for p in params)
    return np.array(losses), [p.asnumpy() for p in params]


@pytest.mark.parametrize("make", [mlp, lenet], ids=["mlp", "lenet"])
def test_forward_backward_matches_cpu(make):
    x, y = _batch(make)
    results = []
    for ctx in (mx.cpu(), mx.gpu()):
        net = _net_on(make, ctx, x)
        X = mx.nd.array(x, ctx=ctx)
        X.attach_grad()
        with autograd.record():
            out = net(X)
            loss = gluon.loss.SoftmaxCrossEntropyLoss()(out, mx.nd.array(y, ctx=ctx))
        loss.backward()
        assert out.context == ctx and X.grad.context == ctx
        grads = [v.grad().asnumpy() for v in net.collect_params().values() if v.grad_req != "null"]
        results.append((out.asnumpy(), X.grad.asnumpy(), grads))
    (out_c, dx_c, g_c), (out_g, dx_g, g_g) = results
    np.testing.assert_allclose(out_g, out_c, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(dx_g, dx_c, rtol=1e-4, atol=1e-5)
    for k, (a, b) in enumerate(zip(g_g, g_c)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=f"parameter {k}")


@pytest.mark.parametrize("make,optimizer,steps,hybridize",
                         [(mlp, "sgd", 5, False), (mlp, "adam", 3, True),
                          (lenet, "sgd", 20, False), (lenet, "adam", 3, False)],
                         ids=["mlp-sgd", "mlp-adam-hybrid", "lenet-sgd-20", "lenet-adam"])
def test_training_matches_cpu(make, optimizer, steps, hybridize):
    loss_c, params_c = _train(make, mx.cpu(), optimizer, steps, hybridize)
    loss_g, params_g = _train(make, mx.gpu(), optimizer, steps, hybridize)
    np.testing.assert_allclose(loss_g, loss_c, rtol=1e-4, atol=1e-5)
    for k, (a, b) in enumerate(zip(params_g, params_c)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=f"parameter {k}")
    assert loss_c[-1].mean() < loss_c[0].mean()        # it did learn


def test_check_consistency_cpu_gpu():
    def block(data, weight, bias):
        h = mx.nd.FullyConnected(data, weight, bias, num_hidden=8)
        return mx.nd.log_softmax(mx.nd.Activation(h, act_type="tanh") * 2, axis=-1).sum(axis=1)
    mx.test_utils.check_consistency(
        block, [{"ctx": mx.cpu(), "data": (5, 7), "weight": (8, 7), "bias": (8,)},
                {"ctx": mx.gpu(), "data": (5, 7), "weight": (8, 7), "bias": (8,)}],
        rtol=1e-4, atol=1e-5)


def test_native_kernels_cover_the_slice():
    native = opencl.native_kernels()
    for name in ("_zeros", "_ones", "_full", "_copy", "Cast", "broadcast_add", "_mul_scalar",
                 "exp", "sum", "mean", "max", "min", "argmax", "dot", "batch_dot",
                 "FullyConnected", "softmax", "log_softmax", "Activation", "sgd_update",
                 "sgd_mom_update", "adam_update", "transpose", "Reshape", "multi_sgd_update",
                 "pick", "_backward_pick"):
        assert name in native, name
    assert "Pooling" in native and "BatchNorm" in native   # pool.py, norm.py
    assert "Convolution" in native and "_backward_Convolution_data" in native
