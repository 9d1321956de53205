"""The fast paths added for training speed give the same results as the plain paths.

- backward bulks its gradient ops into segments (``engine.bulk``);
- backward lets ``.grad`` adopt a gradient's storage instead of copying it, without aliasing;
- FullyConnected / Convolution rules skip the gradients nobody asked for;
- a hybridized block runs through a ``GraphPlan`` (one engine op per call);
- the batched im2col convolution kernels, also when a batch is cut into chunks.
"""
import numpy as np
import pytest

import minimx as mx
from minimx import autograd
from minimx._kernels.cpu import im2col as conv_kernels
from minimx._kernels.reference.conv import KERNELS as REFERENCE


@pytest.fixture(params=["threaded", "naive"])
def engine_kind(request):
    old = mx.engine.set_engine(request.param)
    yield request.param
    mx.engine.set_engine(old or "threaded")


def _mlp(hybridize):
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Dense(8, activation="relu", in_units=5), mx.gluon.nn.Dense(3, in_units=8))
    net.initialize(mx.init.Constant(0.1))
    rng = np.random.default_rng(0)
    for p in net.collect_params().values():
        p.set_data(mx.nd.array(rng.uniform(-1, 1, p.shape)))
    if hybridize:
        net.hybridize()
    return net


def test_bulk_gives_the_same_values_and_flushes_before_waits(engine_kind):
    a = mx.nd.array([1.0, 2.0])
    with mx.engine.bulk(4):
        b = a * 2
        c = b + 1
        assert c.asnumpy().tolist() == [3.0, 5.0]     # a wait inside the block flushes
        d = c * c
        e = d - b
    assert e.asnumpy().tolist() == [7.0, 21.0]


def test_grad_arrays_keep_their_identity_and_do_not_alias(engine_kind):
    x1, x2 = mx.nd.array([1.0, 2.0]), mx.nd.array([3.0, 4.0])
    x1.attach_grad()
    x2.attach_grad()
    g1, g2 = x1.grad, x2.grad
    for step in range(2):
        with autograd.record():
            y = x1 + x2          # both inputs get the same gradient array from the rule
            z = (y * x1).sum()
        z.backward()
        assert x1.grad is g1 and x2.grad is g2
        np.testing.assert_allclose(g1.asnumpy(), (x1 + y).asnumpy())
        np.testing.assert_allclose(g2.asnumpy(), x1.asnumpy())
    g1[:] = 0                    # writing one gradient leaves the other alone
    assert g2.asnumpy().tolist() == [1.0, 2.0]


def test_head_gradient_is_not_adopted(engine_kind):
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    head = mx.nd.array([5.0, 6.0])
    with autograd.record():
        y = x * 1
    y.backward(head)
    head[:] = 0
    assert x.grad.asnumpy().tolist() == [5.0, 6.0]


def test_fc_and_conv_skip_unwanted_gradients_but_keep_the_wanted_ones():
    rng = np.random.default_rng(1)
    x = mx.nd.array(rng.uniform(-1, 1, (2, 3, 5, 5)))   # a fresh copy per run, below
    w = mx.nd.array(rng.uniform(-1, 1, (4, 3, 3, 3)))
    b = mx.nd.array(rng.uniform(-1, 1, (4,)))
    fw = mx.nd.array(rng.uniform(-1, 1, (2, 36)))
    grads = {}
    x0 = x
    for want_x in (True, False):
        x = x0.copy()
        for a in (w, b, fw):
            a.attach_grad()
        if want_x:
            x.attach_grad()
        with autograd.record():
            h = mx.nd.Convolution(x, w, b, kernel=(3, 3), num_filter=4)
            out = mx.nd.FullyConnected(h, fw, no_bias=True, num_hidden=2)
        out.backward()
        grads[want_x] = [a.grad.asnumpy() for a in (w, b, fw)]
    for g_all, g_some in zip(grads[True], grads[False]):
        np.testing.assert_allclose(g_all, g_some, rtol=1e-6)


def test_hybridized_training_step_equals_imperative(engine_kind):
    x = mx.nd.array(np.random.default_rng(2).uniform(-1, 1, (4, 5)))
    y = mx.nd.array([0, 1, 2, 0])
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    results = []
    for hybridize in (False, True):
        net = _mlp(hybridize)
        trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1,
                                                                 "momentum": 0.9})
        for _ in range(3):
            with autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(4)
        results.append([p.data().asnumpy() for p in net.collect_params().values()])
        if hybridize:
            plans = list(net._cached_op.plans.values())
            assert plans and all(p is not None for p in plans)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_hybridized_batchnorm_updates_running_stats_like_imperative():
    x = mx.nd.array(np.random.default_rng(3).uniform(-1, 1, (4, 2, 3, 3)))
    stats = []
    for hybridize in (False, True):
        net = mx.gluon.nn.HybridSequential()
        net.add(mx.gluon.nn.Conv2D(2, 3, padding=1, in_channels=2), mx.gluon.nn.BatchNorm(in_channels=2))
        net.initialize(mx.init.Constant(0.2))
        if hybridize:
            net.hybridize()
        with autograd.record():
            out = net(x)
        out.backward()
        stats.append([net[1].running_mean.data().asnumpy(), net[1].running_var.data().asnumpy(),
                      out.asnumpy(), net[0].weight.grad().asnumpy()])
    for a, b in zip(*stats):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("chunk", [conv_kernels.CHUNK_ELEMS, 40])
@pytest.mark.parametrize("groups,stride,pad", [(1, 1, 1), (2, 2, 0)])
def test_batched_conv_kernels_match_the_reference(monkeypatch, chunk, groups, stride, pad):
    monkeypatch.setattr(conv_kernels, "CHUNK_ELEMS", chunk)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 4, 6, 7)).astype(np.float32)
    w = rng.standard_normal((6, 4 // groups, 3, 3)).astype(np.float32)
    b = rng.standard_normal((6,)).astype(np.float32)
    attrs = {"kernel": (3, 3), "stride": (stride, stride), "pad": (pad, pad), "dilate": (1, 1),
             "num_group": groups, "num_filter": 6, "no_bias": False}
    grid = tuple((n + 2 * pad - 3) // stride + 1 for n in (6, 7))
    out, ref = np.empty((3, 6) + grid, np.float32), np.empty((3, 6) + grid, np.float32)
    conv_kernels.convolution([x, w, b], [out], attrs)
    REFERENCE["Convolution"]([x, w, b], [ref], attrs)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)
    og = rng.standard_normal(out.shape).astype(np.float32)
    for name, ins, shape in (("_backward_Convolution_data", [og, w], x.shape),
                             ("_backward_Convolution_weight", [og, x], w.shape)):
        got, want = np.empty(shape, np.float32), np.empty(shape, np.float32)
        conv_kernels.KERNELS[name](ins, [got], attrs)
        REFERENCE[name](ins, [want], attrs)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
