"""When BatchNorm's running statistics change: in BACKWARD, as MXNet 1.9.1's CPU operator does.

A training-mode forward alone (recorded or not) leaves ``running_mean``/``running_var`` alone;
the backward of each recorded training call updates them once (``_backward_BatchNorm`` takes
them as inputs and mutates them), in backward order; prediction mode and ``use_global_stats``
never touch them. Checked imperatively, hybridized (the cached backward graph), through
``mx.sym`` executors, with ``create_graph`` and on the kernels. Expected values marked "MXNet"
were observed with Apache MXNet 1.9.1 (CPU) on the same arrays.

The update reads the forward's saved mean and invstd (``var = 1 / invstd^2 - eps``), rounded as
MXNet's CPU op: the kernels give MXNet's bits from MXNet's saved statistics (tested with
equality below). End to end on random data minimx agrees to an ulp or two (``rtol=1e-6``):
its forward rounds the saved statistics from float64 sums, while MXNet sums in float32 and
takes ``invstd = 1 / sqrtf(var + eps)`` in float32; on data whose statistics both round alike,
equality again (``test_steps_match_mxnet_bit_for_bit``).
"""
import os
import tempfile

import numpy as np
import pytest

os.environ.setdefault("POCL_CACHE_DIR", tempfile.mkdtemp(prefix="minimx-pocl-"))
os.environ.setdefault("MINIMX_OPENCL_DEVICE", "cpu")

import minimx as mx  # noqa: E402
from minimx import autograd  # noqa: E402
from minimx._kernels import get_backend, opencl  # noqa: E402
from minimx.gluon import nn  # noqa: E402
from minimx.ops import get_op  # noqa: E402

RS = np.random.RandomState(0)
X = RS.uniform(-2, 2, (4, 3, 2, 2)).astype(np.float32)
W = RS.uniform(-1, 1, (4, 3, 2, 2)).astype(np.float32)
X64 = X.astype(np.float64)
MEAN, VAR = X64.mean(axis=(0, 2, 3)), X64.var(axis=(0, 2, 3))
# MXNet: one training step of a fresh nn.BatchNorm() (momentum 0.9) on X (minimx: within two
# ulps, from its forward's rounding of the batch statistics; see the module docstring)
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


# Quarter-integer data: float32 sums are exact and the float32 and float64 invstd round alike
# (seed 27 picked for that), so the forward's statistics are MXNet's and so are the results.
_QS = np.random.RandomState(27)
XQ = [(_QS.randint(-12, 13, (4, 3, 2, 2)) / 4).astype(np.float32) for _ in range(3)]


@pytest.mark.parametrize("hybridize", [False, True])
@pytest.mark.parametrize("momentum,eps,mean,var", [       # MXNet, after three steps on XQ
    (0.9, 1e-5, [0.06812502, -0.050062515, 0.057500016], [1.5787036, 1.5523741, 1.7716483]),
    (0.8, 1e-3, [0.12124999, -0.09612499, 0.11187499], [2.0582032, 2.0228887, 2.3378026])])
def test_steps_match_mxnet_bit_for_bit(hybridize, momentum, eps, mean, var):   # MXNet
    bn = fresh(hybridize, momentum=momentum, epsilon=eps)
    for x in XQ:
        with autograd.record():
            y = bn(mx.nd.array(x))
        y.backward()
    m, v = stats(bn)
    np.testing.assert_array_equal(m, np.float32(mean))
    np.testing.assert_array_equal(v, np.float32(var))


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
def test_backward_kernels_update_from_the_saved_statistics(dtype, shape, axis):
    # inputs 3 and 4 (the forward's mean and invstd), not the data, give the batch statistics
    rng = np.random.default_rng(2)
    c = shape[axis]
    pdtype = np.float32 if dtype == np.float16 else dtype
    mean, invstd = rng.standard_normal(c).astype(pdtype), rng.uniform(0.5, 2, c).astype(pdtype)
    ins = [rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype),
           rng.uniform(0.5, 2, c).astype(pdtype), mean, invstd]
    attrs = get_op("_backward_BatchNorm").parse({"axis": axis, "momentum": 0.7, "eps": 0.01})
    var = 1 / invstd.astype(np.float64) ** 2 - 0.01
    m = np.float64(np.float32(0.7))    # momentum is a float32 parameter, also for float64 data
    tol = dict(rtol=1e-6, atol=1e-7) if pdtype == np.float32 else dict(rtol=1e-13, atol=1e-16)
    results = []
    for backend in ("reference", "cpu"):
        kernel = get_backend(backend).kernels["_backward_BatchNorm"]
        mm, mv = np.full(c, 0.5, pdtype), np.full(c, 2.0, pdtype)
        outs = [np.empty(shape, dtype), np.empty(c, pdtype), np.empty(c, pdtype)]
        kernel(ins + [mm, mv], outs, attrs)
        if ins[1].size:
            np.testing.assert_allclose(mm, 0.5 * m + (1 - m) * mean, **tol, err_msg=backend)
            np.testing.assert_allclose(mv, 2 * m + (1 - m) * var, **tol, err_msg=backend)
        else:       # an empty batch has no statistics: nothing moves
            np.testing.assert_array_equal(mm, np.full(c, 0.5, pdtype))
        results.append((mm, mv))
        mm, mv = np.full(c, 0.5, pdtype), np.full(c, 2.0, pdtype)
        kernel(ins + [mm, mv], outs, dict(attrs, use_global_stats=True))
        np.testing.assert_array_equal(mm, np.full(c, 0.5, pdtype))
        np.testing.assert_array_equal(mv, np.full(c, 2.0, pdtype))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


# MXNet 1.9.1: (data dtype, momentum, eps, [moving_mean, moving_var, the forward's saved mean
# and invstd (output_mean_var), moving_mean and moving_var after backward]), 4 channels. The
# first case ran on MXNet's oneDNN path (4-d float32), the others on its own CPU loop. Each has
# a channel where rounding in float64 (the old recomputation) gives other bits.
MXNET_UPDATES = [
    ('float32', 0.9, 1e-05, [  # shape (8, 4, 3, 3), axis 1
        [0.09762701, 0.43037874, 0.20552675, 0.08976637],
        [1.1354822, 1.4688412, 1.1563808, 1.8376595],
        [1.5928102, 2.0999472, 1.7171743, 2.0813282],
        [0.4009893, 0.53135455, 0.4169092, 0.33654663],
        [0.24714535, 0.59733564, 0.35669154, 0.2889226],
        [1.643853, 1.6761419, 1.6160718, 2.5367885],
    ]),
    ('float32', 0.7, 0.001, [  # shape (6, 7, 4), axis -1
        [-0.16595599, 0.44064897, -0.99977124, -0.39533487],
        [0.72013384, 0.6385079, 0.77939034, 1.0183411],
        [-0.46909976, -0.5061345, -0.31802267, -0.3365748],
        [0.7718715, 0.5633768, 5.1898, 0.53749126],
        [-0.25689912, 0.15661392, -0.79524666, -0.37770686],
        [1.0073307, 1.3918548, 0.55641156, 1.7509716],
    ]),
    ('float64', 0.9, 0.001, [  # shape (8, 4, 5), axis 1
        [0.0976270078546495, 0.43037873274483895, 0.20552675214328775, 0.08976636599379373],
        [1.135482199008357, 1.4688411695999841, 1.1563808168940388, 1.8376595011731196],
        [-0.93225524927994, -1.0402424815794953, -1.8106928212484417, -1.0949542616025754],
        [0.5781611050037124, 0.4665266518915783, 0.530633862633278, 0.31720709049610213],
        [-0.005361242413115877, 0.2833165762500635, 0.003904746733694231, -0.028705725011784047],
        [1.3209931498503669, 1.7813164639450811, 1.3957913681888992, 2.6476286062666636],
    ]),
    ('float64', 0.1, 0.02, [  # shape (5, 4), axis 1
        [0.0976270078546495, 0.43037873274483895, 0.20552675214328775, 0.08976636599379373],
        [1.135482199008357, 1.4688411695999841, 1.1563808168940388, 1.8376595011731196],
        [-0.12767781793980754, -1.0255296312746736, 0.1866951571137916, -0.8410530492034434],
        [0.3142751627005714, 0.6995978412032846, 1.2117795405838583, 0.5615861924547044],
        [-0.10514733502463147, -0.8799387927032498, 0.18857831664480249, -0.7479711062966907],
        [9.207730294885996, 1.9677310844563038, 0.710546065529674, 3.019474828190133],
    ]),
    ('float16', 0.8, 1e-05, [  # shape (6, 4, 5), axis 1
        [0.09762701, 0.43037874, 0.20552675, 0.08976637],
        [1.1354822, 1.4688412, 1.1563808, 1.8376595],
        [-2.1937866, -2.391992, -3.7535481, -2.6993937],
        [0.4789475, 0.43164492, 0.36298072, 0.32404336],
        [-0.3606557, -0.1340954, -0.5862882, -0.46806562],
        [1.7802587, 2.2485085, 2.4430714, 3.3748128],
    ]),
]


def _mxnet_case(case):
    dtype, momentum, eps, arrays = case
    pdtype = np.float32 if dtype == "float16" else np.dtype(dtype).type
    mm, mv, mean, invstd, mm_after, mv_after = (np.array(a, pdtype) for a in arrays)
    rng = np.random.default_rng(0)
    ins = [rng.standard_normal((2, 4, 3)).astype(dtype) for _ in range(2)]
    return ins + [np.ones(4, pdtype), mean, invstd], (mm, mv), (mm_after, mv_after), \
        dict(momentum=momentum, eps=eps, fix_gamma=False)


@pytest.mark.parametrize("backend", ["reference", "cpu", "opencl"])
@pytest.mark.parametrize("case", MXNET_UPDATES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_update_gives_mxnet_bits(case, backend):   # MXNet
    ins, moving, expected, params = _mxnet_case(case)
    if backend == "opencl":
        if opencl.missing_reason() is not None or ins[0].dtype == np.float16:
            pytest.skip("no OpenCL device (or float16, which runs on the host)")
        a = [mx.nd.array(v, ctx=mx.gpu(), dtype=v.dtype) for v in ins + list(moving)]
        mx.nd._internal._backward_BatchNorm(*a, **params)
        moving = [v.asnumpy() for v in a[5:]]
    else:
        attrs = get_op("_backward_BatchNorm").parse(params)
        outs = [np.empty_like(ins[0]), np.empty_like(ins[2]), np.empty_like(ins[2])]
        get_backend(backend).kernels["_backward_BatchNorm"](ins + list(moving), outs, attrs)
    np.testing.assert_array_equal(moving[0], expected[0])
    np.testing.assert_array_equal(moving[1], expected[1])


def test_backward_op_takes_both_running_statistics_or_neither():
    a = [mx.nd.ones((2, 3)), mx.nd.ones((2, 3)), mx.nd.ones(3), mx.nd.ones(3), mx.nd.ones(3)]
    with pytest.raises(mx.MXNetError, match="moving_mean and moving_var together"):
        mx.nd._internal._backward_BatchNorm(*a, mx.nd.zeros(3))
    with pytest.raises(mx.MXNetError, match=r"moving_var has shape \(2,\)"):
        mx.nd._internal._backward_BatchNorm(*a, mx.nd.zeros(3), mx.nd.ones(2))
    mm, mv = mx.nd.zeros(3), mx.nd.ones(3)
    mx.nd._internal._backward_BatchNorm(*a, mm, mv, momentum=0.5, eps=0.25)
    np.testing.assert_array_equal(mm.asnumpy(), 0.5)    # saved mean 1, invstd 1: variance 0.75
    np.testing.assert_array_equal(mv.asnumpy(), 0.875)
