"""The OpenCL nn kernels (pool.py, norm.py, nn_extra.py, deconv.py) where the op-table suite does
not reach: training mode (BatchNorm's running statistics, Dropout's draws), gradients through
autograd on ``mx.gpu()`` against ``mx.cpu()``, max-pooling ties, and a LeNet with BatchNorm
whose forward and backward passes run without the host fallback.

Runs on PoCL's CPU device (``MINIMX_OPENCL_DEVICE=cpu``); skipped when no OpenCL device exists.
"""
import os
import tempfile

import numpy as np
import pytest

os.environ.setdefault("POCL_CACHE_DIR", tempfile.mkdtemp(prefix="minimx-pocl-"))
os.environ.setdefault("MINIMX_OPENCL_DEVICE", "cpu")

import minimx as mx  # noqa: E402
from minimx import autograd  # noqa: E402
from minimx._kernels import opencl  # noqa: E402

_REASON = opencl.missing_reason()
pytestmark = pytest.mark.skipif(_REASON is not None,
                                reason=f"OpenCL backend unavailable: {_REASON}")


def _fallbacks_during(fn):
    """The host-fallback calls ``fn`` made, by kernel name."""
    mx.nd.waitall()
    before = opencl.fallback_report()
    fn()
    mx.nd.waitall()
    after = opencl.fallback_report()
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


# The kernels of this file's families: on mx.gpu() they must not reach the host fallback.
_OURS = {
    "Pooling", "_backward_Pooling", "BatchNorm", "_backward_BatchNorm", "LayerNorm",
    "InstanceNorm", "GroupNorm", "L2Normalization", "LRN", "LeakyReLU", "SoftmaxOutput",
    "Dropout", "Deconvolution", "UpSampling"}


def _run_both(f, arrays, head=None):
    """``f(*arrays)`` and the gradients of every array, on mx.cpu() and mx.gpu() (numpy)."""
    results = []
    for ctx in (mx.cpu(), mx.gpu()):
        def run():
            xs = [mx.nd.array(a, ctx=ctx, dtype=a.dtype) for a in arrays]
            for x in xs:
                x.attach_grad()
            with autograd.record():
                y = f(*xs)
            y.backward(None if head is None else mx.nd.array(head, ctx=ctx, dtype=head.dtype))
            results.append([y.asnumpy()] + [x.grad.asnumpy() for x in xs])
        fell_back = _fallbacks_during(run)
        assert not set(fell_back) & _OURS, fell_back
    return results


def _assert_same(results, rtol=1e-5, atol=1e-6):
    cpu, gpu = results
    for k, (c, g) in enumerate(zip(cpu, gpu)):
        np.testing.assert_allclose(g, c, rtol=rtol, atol=atol, err_msg=f"array {k}")


# -- BatchNorm in training ---------------------------------------------------------------------
@pytest.mark.parametrize("fix_gamma,axis", [(False, 1), (True, 1), (False, -1)])
def test_batchnorm_train_step_matches_cpu(fix_gamma, axis):
    rng = np.random.default_rng(0)
    # axis 1: 360 values a channel (norm.py's work-group path); axis -1: 108 (one item a row)
    x = (rng.standard_normal((4, 3, 9, 10)) * 2 + 3).astype(np.float32)
    c = x.shape[axis]
    head = rng.standard_normal(x.shape).astype(np.float32)
    state = {}
    for ctx in (mx.cpu(), mx.gpu()):
        xs = mx.nd.array(x, ctx=ctx)
        gamma = mx.nd.array(np.full(c, 2.0, np.float32), ctx=ctx)
        beta = mx.nd.array(np.linspace(-1, 1, c).astype(np.float32), ctx=ctx)
        mm, mv = mx.nd.zeros(c, ctx=ctx), mx.nd.ones(c, ctx=ctx)
        for a in (xs, gamma, beta):
            a.attach_grad()
        with autograd.record():
            y = mx.nd.BatchNorm(xs, gamma, beta, mm, mv, fix_gamma=fix_gamma, momentum=0.8,
                                axis=axis, eps=1e-3)
        y.wait_to_read()     # as MXNet's CPU op: the forward leaves the running statistics
        np.testing.assert_array_equal(mm.asnumpy(), np.zeros(c, np.float32))
        np.testing.assert_array_equal(mv.asnumpy(), np.ones(c, np.float32))
        y.backward(mx.nd.array(head, ctx=ctx))
        state[ctx.device_type] = [a.asnumpy() for a in (y, mm, mv, gamma, xs.grad, gamma.grad,
                                                         beta.grad)]
    for k, (c_, g_) in enumerate(zip(state["cpu"], state["gpu"])):
        np.testing.assert_allclose(g_, c_, rtol=1e-5, atol=1e-5, err_msg=f"array {k}")
    # the running statistics moved 20% of the way to the batch's (biased) statistics
    axes = tuple(i for i in range(4) if i != axis % 4)
    np.testing.assert_allclose(state["gpu"][1], 0.2 * x.mean(axis=axes), rtol=1e-5)
    np.testing.assert_allclose(state["gpu"][2], 0.8 + 0.2 * x.var(axis=axes), rtol=1e-5)
    if fix_gamma:      # MXNet sets a fixed gamma to 1 while training
        np.testing.assert_array_equal(state["gpu"][3], np.ones(c, np.float32))


def test_batchnorm_inference_leaves_running_stats():
    x = mx.nd.array(np.random.default_rng(1).standard_normal((2, 3, 4)), ctx=mx.gpu())
    mm = mx.nd.array([0.5, 1.0, -1.0], ctx=mx.gpu())
    mv = mx.nd.array([1.0, 4.0, 0.25], ctx=mx.gpu())
    g, b = mx.nd.ones(3, ctx=mx.gpu()), mx.nd.zeros(3, ctx=mx.gpu())
    y = mx.nd.BatchNorm(x, g, b, mm, mv, eps=0.0)
    expect = (x.asnumpy() - mm.asnumpy()[:, None]) / np.sqrt(mv.asnumpy())[:, None]
    np.testing.assert_allclose(y.asnumpy(), expect, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(mm.asnumpy(), np.float32([0.5, 1.0, -1.0]))


# -- Dropout -----------------------------------------------------------------------------------
def _dropout(seed, shape=(200, 300), **kw):
    mx.random.seed(seed)
    x = mx.nd.ones(shape, ctx=mx.gpu())
    with autograd.train_mode():
        return mx.nd.Dropout(x, **kw).asnumpy()


def test_dropout_repeatable_per_seed_and_keep_rate():
    a, b, c = _dropout(3, p=0.3), _dropout(3, p=0.3), _dropout(4, p=0.3)
    np.testing.assert_array_equal(a, b)
    assert (a != c).mean() > 0.2
    assert set(np.unique(a).tolist()) == {0.0, np.float32(1 / 0.7)}
    assert abs((a != 0).mean() - 0.7) < 0.01
    assert abs(a.mean() - 1.0) < 0.02         # unbiased: E[out] = x


def test_dropout_axes_share_draws_and_prediction_is_identity():
    a = _dropout(5, shape=(40, 30, 8), p=0.5, axes=(1,))
    assert (a == a[:, :1, :]).all() and 0.35 < (a[:, 0] != 0).mean() < 0.65
    x = mx.nd.array(np.arange(6.0).reshape(2, 3), ctx=mx.gpu())
    np.testing.assert_array_equal(mx.nd.Dropout(x, p=0.5).asnumpy(), x.asnumpy())
    always = mx.nd.Dropout(mx.nd.ones((100, 100), ctx=mx.gpu()), p=0.25, mode="always")
    assert abs((always.asnumpy() != 0).mean() - 0.75) < 0.02


def test_dropout_gradient_uses_the_mask():
    mx.random.seed(11)
    x = mx.nd.ones((50, 40), ctx=mx.gpu())
    x.attach_grad()
    with autograd.record():
        y = mx.nd.Dropout(x, p=0.4)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), y.asnumpy())


def test_rrelu_training_draws_slopes_in_bounds():
    x = mx.nd.array(-np.ones((30, 40), np.float32), ctx=mx.gpu())

    def draw(seed):
        mx.random.seed(seed)
        with autograd.train_mode():
            out, mask = mx.nd.LeakyReLU(x, act_type="rrelu", lower_bound=0.1, upper_bound=0.3)
        np.testing.assert_array_equal(out.asnumpy(), -mask.asnumpy())    # rrelu: 2 outputs
        return out.asnumpy()
    a, b = draw(1), draw(1)
    np.testing.assert_array_equal(a, b)
    assert (-a >= 0.1).all() and (-a <= 0.3).all() and abs(-a.mean() - 0.2) < 0.01
    assert not (a == draw(2)).all()


# -- gradients through autograd, mx.gpu() against mx.cpu() -----------------------------------
@pytest.mark.parametrize("kw,shape", [
    (dict(kernel=(2, 2), stride=(2, 2), pool_type="max"), (2, 3, 6, 6)),
    (dict(kernel=(3, 3), stride=(1, 1), pad=(1, 1), pool_type="max"), (2, 2, 5, 5)),
    (dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg", count_include_pad=False,
          pooling_convention="full"), (1, 2, 7, 6)),
    (dict(kernel=(2, 2), pool_type="lp", p_value=2), (1, 2, 4, 5)),
    (dict(kernel=(3,), stride=(2,), pool_type="sum"), (2, 3, 9)),
    (dict(kernel=(2, 2, 2), stride=(1, 2, 2), pad=(1, 0, 1), pool_type="max"), (1, 2, 3, 4, 4)),
    (dict(kernel=(1, 1), global_pool=True, pool_type="avg"), (2, 3, 4, 5)),
])
def test_pooling_gradient_matches_cpu(kw, shape):
    # Small integers: max windows hold ties, which go to the first maximum (MXNet).
    x = np.random.default_rng(2).integers(0, 4, shape).astype(np.float32)
    if kw["pool_type"] == "lp":
        x += 1
    head = np.random.default_rng(3).standard_normal(
        mx.nd.Pooling(mx.nd.array(x), **kw).shape).astype(np.float32)
    _assert_same(_run_both(lambda a: mx.nd.Pooling(a, **kw), [x], head))


def test_max_pool_tie_goes_to_first_maximum():
    x = mx.nd.array(np.ones((1, 1, 2, 2), np.float32), ctx=mx.gpu())
    x.attach_grad()
    with autograd.record():
        y = mx.nd.Pooling(x, kernel=(2, 2), pool_type="max")
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy().ravel(), [1, 0, 0, 0])


@pytest.mark.parametrize("axis", [-1, 1])
def test_layernorm_gradient_matches_cpu(axis):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((3, 5, 4)) + 2).astype(np.float32)
    n = x.shape[axis]
    g = rng.standard_normal(n).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    head = rng.standard_normal(x.shape).astype(np.float32)
    _assert_same(_run_both(lambda a, gg, bb: mx.nd.LayerNorm(a, gg, bb, axis=axis), [x, g, b],
                           head), rtol=1e-4, atol=1e-5)


def test_group_instance_l2_lrn_gradients_match_cpu():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 4, 3, 3)).astype(np.float32)
    g2, b2 = rng.standard_normal(2).astype(np.float32), rng.standard_normal(2).astype(np.float32)
    g4, b4 = rng.standard_normal(4).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    for f, arrays in [(lambda a, g, b: mx.nd.GroupNorm(a, g, b, num_groups=2), [x, g2, b2]),
                      (lambda a, g, b: mx.nd.InstanceNorm(a, g, b), [x, g4, b4]),
                      (lambda a: mx.nd.L2Normalization(a, mode="channel"), [x]),
                      (lambda a: mx.nd.LRN(a, nsize=3), [x])]:
        _assert_same(_run_both(f, arrays, x), rtol=1e-4, atol=1e-5)


def test_deconvolution_and_gradients_match_cpu():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    b = rng.standard_normal(2).astype(np.float32)
    f = lambda a, ww, bb: mx.nd.Deconvolution(a, ww, bb, kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                                              adj=(1, 0), num_filter=2, no_bias=False)
    _assert_same(_run_both(f, [x, w, b]), rtol=1e-4, atol=1e-4)


def test_grouped_deconvolution_and_bilinear_upsampling_match_cpu():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 4, 3, 5)).astype(np.float32)
    w = rng.standard_normal((4, 3, 2, 3)).astype(np.float32)
    _assert_same(_run_both(lambda a: mx.nd.Deconvolution(
        a, mx.nd.array(w, ctx=a.context), kernel=(2, 3), stride=(2, 2), num_group=2,
        num_filter=6), [x]), rtol=1e-4, atol=1e-4)
    wb = rng.standard_normal((4, 1, 4, 4)).astype(np.float32)
    _assert_same(_run_both(lambda a, ww: mx.nd.UpSampling(a, ww, scale=2, sample_type="bilinear",
                                                          num_filter=4), [x, wb]),
                 rtol=1e-4, atol=1e-4)


def test_leaky_relu_variants_and_softmax_output_gradients_match_cpu():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 4, 2)).astype(np.float32)
    gamma = rng.uniform(0.1, 0.5, 4).astype(np.float32)
    _assert_same(_run_both(lambda a, g: mx.nd.LeakyReLU(a, g, act_type="prelu"), [x, gamma]))
    for act in ("elu", "selu", "gelu", "leaky"):
        _assert_same(_run_both(lambda a: mx.nd.LeakyReLU(a, act_type=act, slope=0.2), [x]),
                     rtol=1e-4, atol=1e-5)
    label = np.float32([1, 0, 3])
    _assert_same(_run_both(lambda a, lab: mx.nd.SoftmaxOutput(a, lab), [x[:, :, 0], label]))


# -- a whole network -------------------------------------------------------------------------
def test_lenet_with_batchnorm_runs_without_host_fallback():
    from minimx import gluon
    from minimx.gluon import nn
    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, 5, in_channels=1), nn.BatchNorm(in_channels=6), nn.Activation("relu"),
            nn.MaxPool2D(2), nn.Conv2D(8, 3, in_channels=6), nn.BatchNorm(in_channels=8),
            nn.Activation("relu"), nn.AvgPool2D(2), nn.Flatten(),
            nn.Dense(16, activation="relu", in_units=32), nn.Dropout(0.2),
            nn.Dense(10, in_units=16))
    net.initialize(mx.init.Xavier(), ctx=mx.gpu())
    x = mx.nd.array(np.random.default_rng(8).random((4, 1, 16, 16)), ctx=mx.gpu())
    y = mx.nd.array([1, 2, 3, 4], ctx=mx.gpu())
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()

    def step():
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        net(x).wait_to_read()        # and a prediction-mode forward
    assert _fallbacks_during(step) == {}
    grad = net[0].weight.grad().asnumpy()
    assert np.isfinite(grad).all() and np.abs(grad).sum() > 0
