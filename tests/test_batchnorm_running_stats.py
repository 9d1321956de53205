"""When BatchNorm's running statistics change: in BACKWARD, as MXNet 1.9.1's CPU operator does.

A training-mode forward alone (recorded or not) leaves ``running_mean``/``running_var`` alone;
the backward of each recorded training call updates them once (``_backward_BatchNorm`` takes
them as inputs and mutates them), in backward order; prediction mode and ``use_global_stats``
never touch them. Checked imperatively, hybridized (the cached backward graph), through
``mx.sym`` executors, with ``create_graph`` and on the kernels. Expected values marked "MXNet"
were observed with Apache MXNet 1.9.1 (CPU) on the same arrays.
"""
import numpy as np
import pytest

import minimx as mx
from minimx import autograd
from minimx._kernels import get_backend
from minimx.gluon import nn
from minimx.ops import get_op

RS = np.random.RandomState(0)
X = RS.uniform(-2, 2, (4, 3, 2, 2)).astype(np.float32)
W = RS.uniform(-1, 1, (4, 3, 2, 2)).astype(np.float32)
X64 = X.astype(np.float64)
MEAN, VAR = X64.mean(axis=(0, 2, 3)), X64.var(axis=(0, 2, 3))
# MXNet: one training step of a fresh nn.BatchNorm() (momentum 0.9) on X
MX_MEAN_1 = [0.0191068, 0.01074031, 0.02563082]
MX_VAR_1 = [1.0311422, 1.0122627, 1.0178075]


def stats(bn):
    return bn.running_mean.data().asnumpy(), bn.running_var.data().asnumpy()


def fresh(hybridize, **kw):
    bn = nn.BatchNorm(in_channels=3, **kw)
    bn.initialize()
    if hybridize:
        bn.hybridize()
    return bn


def assert_untouched(bn, mean=0.0, var=1.0):
    m, v = stats(bn)
    np.testing.assert_array_equal(m, np.full(3, mean, np.float32))
    np.testing.assert_array_equal(v, np.full(3, var, np.float32))


@pytest.mark.parametrize("hybridize", [False, True])
def test_recorded_forward_alone_leaves_them_and_backward_updates(hybridize):   # MXNet
    bn = fresh(hybridize)
    with autograd.record():
        y = bn(mx.nd.array(X))
    y.wait_to_read()
    assert_untouched(bn)
    y.backward()
    m, v = stats(bn)
    np.testing.assert_allclose(m, MX_MEAN_1, rtol=1e-6)
    np.testing.assert_allclose(v, MX_VAR_1, rtol=1e-6)
    np.testing.assert_allclose(m, 0.1 * MEAN, rtol=1e-6)
    np.testing.assert_allclose(v, 0.9 + 0.1 * VAR, rtol=1e-6)


@pytest.mark.parametrize("hybridize", [False, True])
def test_train_mode_without_record_prediction_and_global_stats_never_update(hybridize):  # MXNet
    bn = fresh(hybridize)
    with autograd.train_mode():
        bn(mx.nd.array(X)).wait_to_read()
    bn(mx.nd.array(X)).wait_to_read()                       # prediction
    assert_untouched(bn)
    x = mx.nd.array(X)
    x.attach_grad()
    with autograd.record(train_mode=False):                 # prediction-mode record + backward
        y = bn(x)
    y.backward()
    assert_untouched(bn)
    bn = fresh(hybridize, use_global_stats=True)
    with autograd.record():
        y = bn(mx.nd.array(X))
    y.backward()
    assert_untouched(bn)


@pytest.mark.parametrize("hybridize", [False, True])
def test_two_calls_in_one_record_update_twice_last_call_first(hybridize):   # MXNet
    # MXNet 1.9.1 raises nothing here: each call's backward updates once, the later call's
    # first (backward order): 0.8 * (0.8 * 0 + 0.2 * mean(2X + 1)) + 0.2 * mean(X).
    bn = fresh(hybridize, momentum=0.8)
    with autograd.record():
        y1 = bn(mx.nd.array(X)) * mx.nd.array(W)
        y2 = bn(mx.nd.array(X * 2 + 1))
    y1.wait_to_read()
    assert_untouched(bn)
    autograd.backward([y1, y2])
    m, v = stats(bn)
    np.testing.assert_allclose(m, [0.2593553, 0.21584958, 0.2932802], rtol=1e-6)   # MXNet
    np.testing.assert_allclose(v, [1.7415941, 1.5830069, 1.6295831], rtol=1e-6)
    np.testing.assert_allclose(m, 0.8 * 0.2 * (2 * MEAN + 1) + 0.2 * MEAN, rtol=1e-6)


@pytest.mark.parametrize("hybridize", [False, True])
def test_sum_of_two_calls_updates_in_mxnet_order(hybridize):   # MXNet: as the two heads above
    # Backward visits the graph in MXNet's order (the inputs' depth-first order, reversed), so
    # bn(X)'s update comes after bn(2X + 1)'s here too.
    bn = fresh(hybridize, momentum=0.8)
    with autograd.record():
        y = bn(mx.nd.array(X)) + bn(mx.nd.array(X * 2 + 1))
    y.backward()
    np.testing.assert_allclose(stats(bn)[0], [0.2593553, 0.21584958, 0.2932802], rtol=1e-6)
    np.testing.assert_allclose(stats(bn)[1], [1.7415941, 1.5830069, 1.6295831], rtol=1e-6)


def test_only_the_backward_of_a_call_updates():   # MXNet: backward of y1 alone, one update
    bn = fresh(False, momentum=0.8)
    with autograd.record():
        y1 = bn(mx.nd.array(X))
        bn(mx.nd.array(X * 2 + 1))
    y1.backward()
    np.testing.assert_allclose(stats(bn)[0], 0.2 * MEAN, rtol=1e-6)


def test_frozen_layer_on_constant_input_is_not_differentiated_so_not_updated():   # MXNet
    bn = fresh(False)
    bn.collect_params().setattr("grad_req", "null")
    dense = nn.Dense(2, in_units=12)
    dense.initialize()
    with autograd.record():
        y = dense(bn(mx.nd.array(X)))
    y.backward()
    assert_untouched(bn)


def test_hybridized_network_matches_imperative_bit_for_bit():
    x = mx.nd.array(np.random.default_rng(3).uniform(-1, 1, (4, 2, 5, 5)))
    results = []
    for hybridize in (False, True):
        net = nn.HybridSequential()
        net.add(nn.Conv2D(3, 3, in_channels=2), nn.BatchNorm(in_channels=3), nn.Activation("relu"),
                nn.Dense(2, in_units=27))
        net.initialize(mx.init.Constant(0.1))
        if hybridize:
            net.hybridize()
        for step in range(2):
            with autograd.record():
                out = net(x * (step + 1))
            out.wait_to_read()
            before = stats(net[1])
            out.backward()
            results.append(before + stats(net[1]))
    np.testing.assert_array_equal(results[0][0], np.zeros(3, np.float32))   # forward alone
    assert not np.array_equal(results[0][2], results[0][0])                  # backward
    for a, b in zip(results[:2], results[2:]):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)


def test_executor_updates_aux_states_in_backward():   # MXNet (momentum 0.8: 0.2 * mean)
    s = mx.sym.BatchNorm(mx.sym.var("data"), name="bn", fix_gamma=False, momentum=0.8)
    exe = s.simple_bind(mx.cpu(), data=X.shape)
    exe.arg_dict["data"][:] = X
    exe.arg_dict["bn_gamma"][:] = 1
    exe.arg_dict["bn_beta"][:] = 0
    exe.aux_dict["bn_moving_mean"][:] = 0
    exe.aux_dict["bn_moving_var"][:] = 1
    exe.forward(is_train=True)
    np.testing.assert_array_equal(exe.aux_dict["bn_moving_mean"].asnumpy(), np.zeros(3))
    exe.backward(mx.nd.array(W))
    np.testing.assert_allclose(exe.aux_dict["bn_moving_mean"].asnumpy(),
                               [0.03821358, 0.02148062, 0.05126163], rtol=1e-6)   # MXNet
    np.testing.assert_allclose(exe.aux_dict["bn_moving_var"].asnumpy(), 0.8 + 0.2 * VAR, rtol=1e-6)


def test_every_backward_through_a_call_updates():
    # MXNet: backward(retain_graph=True) twice updates twice (0.0191068, then 0.03630292).
    bn = fresh(False)
    with autograd.record():
        y = bn(mx.nd.array(X))
    y.backward(retain_graph=True)
    np.testing.assert_allclose(stats(bn)[0], MX_MEAN_1, rtol=1e-6)
    y.backward()
    np.testing.assert_allclose(stats(bn)[0], [0.03630292, 0.0204066, 0.04869856], rtol=1e-6)


def test_create_graph_updates_once_per_backward_through_the_call():
    bn = fresh(False)
    x = mx.nd.array(X)
    x.attach_grad()
    with autograd.record():
        y = bn(x)
        g = autograd.grad((y * mx.nd.array(W)).sum(), [x], create_graph=True)[0]
        loss = (g * g).sum()
    np.testing.assert_allclose(stats(bn)[0], MX_MEAN_1, rtol=1e-6)      # MXNet
    # NB: MXNet 1.9.1 cannot differentiate g again; minimx can, and that backward passes
    # through the BatchNorm call once more, so (as a second backward would) it updates again.
    loss.backward()
    np.testing.assert_allclose(stats(bn)[0], 0.9 * np.float32(MX_MEAN_1) + 0.1 * MEAN, rtol=1e-6)


# -- the kernels -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("shape,axis", [((3, 5, 7), 1), ((5, 300), -1), ((600, 3, 50), 1),
                                        ((0, 3, 2), 1)])
def test_backward_kernels_update_as_the_forward_used_to(dtype, shape, axis):
    rng = np.random.default_rng(2)
    c = shape[axis]
    pdtype = np.float32 if dtype == np.float16 else dtype
    x = (rng.standard_normal(shape) * 3 + 5).astype(dtype)
    ins = [rng.standard_normal(shape).astype(dtype), x, rng.uniform(0.5, 2, c).astype(pdtype),
           rng.standard_normal(c).astype(pdtype), rng.uniform(0.5, 2, c).astype(pdtype)]
    attrs = get_op("_backward_BatchNorm").parse({"axis": axis, "momentum": 0.7})
    red = tuple(a for a in range(len(shape)) if a != axis % len(shape))
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=red) if x.size else np.zeros(c)
    var = x64.var(axis=red) if x.size else np.zeros(c)
    for backend in ("reference", "cpu"):
        kernel = get_backend(backend).kernels["_backward_BatchNorm"]
        mm, mv = np.full(c, 0.5, pdtype), np.full(c, 2.0, pdtype)
        outs = [np.empty(shape, dtype), np.empty(c, pdtype), np.empty(c, pdtype)]
        kernel(ins + [mm, mv], outs, attrs)
        if x.size:
            np.testing.assert_allclose(mm, 0.35 + 0.3 * mean, rtol=1e-6, err_msg=backend)
            np.testing.assert_allclose(mv, 1.4 + 0.3 * var, rtol=1e-6, err_msg=backend)
        else:       # an empty batch has no statistics: nothing moves
            np.testing.assert_array_equal(mm, np.full(c, 0.5, pdtype))
        mm, mv = np.full(c, 0.5, pdtype), np.full(c, 2.0, pdtype)
        kernel(ins + [mm, mv], outs, dict(attrs, use_global_stats=True))
        np.testing.assert_array_equal(mm, np.full(c, 0.5, pdtype))
        np.testing.assert_array_equal(mv, np.full(c, 2.0, pdtype))


def test_backward_op_takes_both_running_statistics_or_neither():
    a = [mx.nd.ones((2, 3)), mx.nd.ones((2, 3)), mx.nd.ones(3), mx.nd.ones(3), mx.nd.ones(3)]
    with pytest.raises(mx.MXNetError, match="moving_mean and moving_var together"):
        mx.nd._internal._backward_BatchNorm(*a, mx.nd.zeros(3))
    with pytest.raises(mx.MXNetError, match=r"moving_var has shape \(2,\)"):
        mx.nd._internal._backward_BatchNorm(*a, mx.nd.zeros(3), mx.nd.ones(2))
    mm, mv = mx.nd.zeros(3), mx.nd.ones(3)
    mx.nd._internal._backward_BatchNorm(*a, mm, mv, momentum=0.5)
    np.testing.assert_allclose(mm.asnumpy(), 0.5)       # batch mean 1, variance 0
    np.testing.assert_allclose(mv.asnumpy(), 0.5)
