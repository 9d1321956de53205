"""Numerics (issue 10, part 5): precision, overflow and non-finite values, against numpy float64
or values recorded in MXNet 1.9.1 (``/work/mxnet-venv``, CPU build with oneDNN).

- float32 training follows float64 training (MLP and LeNet, same init and batches).
- log_softmax and softmax cross-entropy stay finite and exact for logits of magnitude 1e4.
- softmax/log_softmax of -inf, large negative and mixed rows; NaN/+inf rows as MXNet.
- BatchNorm on a batch of one constant sample: no NaN, MXNet's values.
- ``clip_global_norm`` with an Inf or NaN gradient: MXNet's warning, norm and arrays.
- sigmoid, softrelu, log1p, expm1 at extreme arguments, with gradients.
- sums and means of 1e7 float32 elements (MXNet's 1e6 for 0.1 * 1e7, not float32 naive
  summation's 1087937).

tests/RELIABILITY.md section 5 records what MXNet does in each case.
"""
import os
import tempfile
import warnings

import numpy as np
import pytest

os.environ.setdefault("POCL_CACHE_DIR", tempfile.mkdtemp(prefix="minimx-pocl-"))
os.environ.setdefault("MINIMX_OPENCL_DEVICE", "cpu")

import minimx as mx  # noqa: E402
from minimx import autograd, gluon, nd  # noqa: E402
from minimx._kernels import opencl  # noqa: E402
from minimx.gluon import nn  # noqa: E402

INF, NAN = np.inf, np.nan


# ---- float32 training follows float64 training -------------------------------------------------
def _mlp():
    net = nn.HybridSequential()
    net.add(nn.Dense(64, activation="relu"), nn.Dense(10))
    return net


def _lenet():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, 5, activation="relu"), nn.MaxPool2D(2, 2),
            nn.Conv2D(16, 5, activation="relu"), nn.MaxPool2D(2, 2), nn.Flatten(),
            nn.Dense(120, activation="relu"), nn.Dense(84, activation="relu"), nn.Dense(10))
    return net


def _train(make, xshape, dtype, init, steps):
    """``steps`` SGD-momentum steps from the weights ``init``; the same batches for every dtype."""
    rng = np.random.default_rng(0)
    net = make()
    if dtype != "float32":
        net.cast(dtype)
    net.initialize(mx.init.Xavier())
    net(nd.zeros(xshape, dtype=dtype))
    params = list(net.collect_params().values())
    if init is not None:
        for p, value in zip(params, init):
            p.set_data(nd.array(value, dtype=dtype))
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    losses = []
    for _ in range(steps):
        x = nd.array(rng.standard_normal(xshape), dtype=dtype)
        y = nd.array(rng.integers(0, 10, xshape[0]), dtype=dtype)
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(xshape[0])
        losses.append(loss.mean().asscalar())
    return [p.data().asnumpy() for p in params], np.array(losses, np.float64)


# MXNet 1.9.1, same experiment (10 steps): loss rel. diff 5.0e-7 (MLP) / 1.4e-6 (LeNet); weights
# max |w32 - w64| / max |w64| at most 2.2e-6 / 4.3e-6. minimx: 5e-8 / 8e-8 and 2.4e-7 / 3e-7.
# The stated tolerance, 1e-5 relative, admits MXNet's own drift with a margin of 2.
TRAIN_RTOL = 1e-5


@pytest.mark.parametrize("make, xshape", [(_mlp, (32, 20)), (_lenet, (8, 1, 28, 28))],
                         ids=["mlp", "lenet"])
def test_float32_training_follows_float64(make, xshape):
    init, _ = _train(make, xshape, "float32", None, 0)
    w32, loss32 = _train(make, xshape, "float32", init, 10)
    w64, loss64 = _train(make, xshape, "float64", [w.astype(np.float64) for w in init], 10)
    assert all(w.dtype == np.float32 for w in w32) and all(w.dtype == np.float64 for w in w64)
    np.testing.assert_allclose(loss32, loss64, rtol=TRAIN_RTOL)
    moved = max(np.max(np.abs(b - a)) for a, b in zip(init, w64))
    assert moved > 1e-2                 # the weights did change, so the comparison means something
    diffs = [np.max(np.abs(a - b)) / np.max(np.abs(b)) for a, b in zip(w32, w64)]
    assert max(diffs) < TRAIN_RTOL, diffs
    assert max(diffs) > 0                        # float64 really computed in float64


# ---- logits of magnitude 1e4 ------------------------------------------------------------------
BIG = np.array([[1e4, 0, -1e4], [0, 1e4, 3], [-1e4, 1e4, 0]])
BIG_LABEL = np.array([1, 1, 0])


def _log_softmax64(x, axis=-1):
    x = np.asarray(x, np.float64)
    with np.errstate(invalid="ignore"):
        z = x - np.max(x, axis=axis, keepdims=True)
        return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_cross_entropy_loss_is_exact_for_logits_1e4(dtype):
    x = nd.array(BIG, dtype=dtype)
    x.attach_grad()
    with autograd.record():
        loss = gluon.loss.SoftmaxCrossEntropyLoss()(x, nd.array(BIG_LABEL, dtype=dtype))
    loss.backward()
    log_p = _log_softmax64(BIG)
    expect = -log_p[np.arange(3), BIG_LABEL]                   # [1e4, 0, 2e4]
    np.testing.assert_allclose(loss.asnumpy(), expect, rtol=1e-7, atol=1e-5)
    grad = np.exp(log_p) - np.eye(3)[BIG_LABEL]
    assert np.isfinite(x.grad.asnumpy()).all()
    np.testing.assert_allclose(x.grad.asnumpy(), grad, atol=1e-5)
    # MXNet 1.9.1 (float32): [10000, -1.43e-6, 20000], grad [[1, -1, 0], [0, 1.43e-6, 0],
    # [-1, 1, 0]] (its float32 log(1) is -1.43e-6)
    np.testing.assert_allclose(loss.asnumpy(), [10000, -1.430511e-06, 20000], atol=2e-6)


def test_log_softmax_gradient_for_logits_1e4():
    x = nd.array(BIG)
    x.attach_grad()
    head = np.array([[1, 2, 3], [0.5, -1, 2], [1, 1, 1]])
    with autograd.record():
        y = nd.log_softmax(x)
    y.backward(nd.array(head))
    log_p = _log_softmax64(BIG)
    np.testing.assert_allclose(y.asnumpy(), log_p, atol=1e-5)
    expect = head - np.exp(log_p) * head.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(x.grad.asnumpy(), expect, atol=1e-5)
    # MXNet 1.9.1: [[-5.0000086, 2, 3], [0.5, -2.5000021, 2], [1, -2.0000043, 1]]
    np.testing.assert_allclose(x.grad.asnumpy(), [[-5, 2, 3], [0.5, -2.5, 2], [1, -2, 1]],
                               atol=1e-5)


def test_nd_softmax_cross_entropy_clips_the_probability_as_mxnet():
    """The op (not the gluon loss) takes -log(max(p, 1e-8)): MXNet gives 36.841362 here."""
    x = nd.array(BIG)
    x.attach_grad()
    with autograd.record():
        loss = nd.softmax_cross_entropy(x, nd.array(BIG_LABEL))
    loss.backward()
    np.testing.assert_allclose(loss.asnumpy(), [36.841362], rtol=1e-6)
    # unclipped gradient softmax - onehot (MXNet: [[1, -1, 0], [0, 0, 0], [-1, 1, 0]])
    np.testing.assert_allclose(x.grad.asnumpy(), [[1, -1, 0], [0, 0, 0], [-1, 1, 0]], atol=1e-6)
    # below the clip the value is exact: p = 1e-7 gives MXNet's 16.118095
    row = nd.array([[0.0, np.log(1e-7)]])
    np.testing.assert_allclose(nd.softmax_cross_entropy(row, nd.array([1])).asnumpy(),
                               [16.118095], rtol=1e-6)


# ---- softmax of -inf, large negative, mixed, NaN and +inf -------------------------------------
ROWS = {
    "minus_inf": [-INF, 1.0],
    "large_negative": [-1e4, -1e4 - 1, -2e4],
    "mixed": [-INF, -1e4, 0, 1e4, 3.0],
}


@pytest.mark.parametrize("name", sorted(ROWS))
@pytest.mark.parametrize("ctx_axis", [-1, 0])
def test_softmax_of_extreme_finite_rows_matches_float64(name, ctx_axis):
    row = np.array(ROWS[name])
    x = nd.array(row.reshape(-1, 1) if ctx_axis == 0 else row)
    with np.errstate(divide="ignore"):
        log_p = _log_softmax64(row)
    got = nd.log_softmax(x, axis=ctx_axis).asnumpy().ravel()
    np.testing.assert_allclose(got, log_p, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(nd.softmax(x, axis=ctx_axis).asnumpy().ravel(), np.exp(log_p),
                               rtol=1e-6, atol=1e-7)


def test_softmax_of_extreme_rows_as_recorded_in_mxnet():
    np.testing.assert_allclose(nd.softmax(nd.array(ROWS["large_negative"])).asnumpy(),
                               [0.7310585, 0.2689414, 0.0], rtol=1e-6)
    np.testing.assert_allclose(nd.log_softmax(nd.array(ROWS["mixed"])).asnumpy(),
                               [-INF, -20000.0, -10000.0, 1.430511e-06, -9997.0], atol=2e-6)
    np.testing.assert_array_equal(nd.softmax(nd.array([[-INF, 1], [2, -INF]]), axis=0).asnumpy(),
                                  [[0, 1], [1, 0]])


# MXNet 1.9.1's default float32 kernel (oneDNN): the max ignores NaN; an entry whose x - max is
# NaN is NaN and adds the largest float to the sum, so the rest of its row is 0 (log: -88.72284
# below x - max). A row of -inf only is all NaN.
NONFINITE = [
    ([INF, 1.0], [NAN, 0.0], [NAN, -INF]),
    ([1.0, INF], [0.0, NAN], [-INF, NAN]),
    ([NAN, 1.0], [NAN, 0.0], [NAN, -88.72284]),
    ([1.0, 2.0, NAN], [0.0, 0.0, NAN], [-89.72284, -88.72284, NAN]),
    ([INF, INF, 1.0], [NAN, NAN, 0.0], [NAN, NAN, -INF]),
    ([-INF, INF], [0.0, NAN], [-INF, NAN]),
    ([NAN, INF], [NAN, NAN], [NAN, NAN]),
    ([-INF, -INF], [NAN, NAN], [NAN, NAN]),
]


@pytest.mark.parametrize("row, soft, log", NONFINITE, ids=[str(r[0]) for r in NONFINITE])
def test_softmax_of_nan_and_inf_rows_as_mxnet(row, soft, log):
    for axis in (-1, 0):                 # the contiguous row and the strided (tile) kernel
        x = nd.array(np.array(row).reshape(-1, 1) if axis == 0 else row)
        np.testing.assert_allclose(nd.softmax(x, axis=axis).asnumpy().ravel(), soft, rtol=1e-6)
        np.testing.assert_allclose(nd.log_softmax(x, axis=axis).asnumpy().ravel(), log,
                                   rtol=1e-6)


@pytest.mark.skipif(opencl.missing_reason() is not None, reason="OpenCL backend unavailable")
def test_softmax_of_nan_and_inf_rows_on_opencl():
    gpu = mx.gpu(0)
    for row, soft, log in NONFINITE:
        for axis in (-1, 0):
            x = nd.array(np.array(row).reshape(-1, 1) if axis == 0 else row, ctx=gpu)
            y, log_y = nd.softmax(x, axis=axis), nd.log_softmax(x, axis=axis)
            assert y.context == gpu
            np.testing.assert_allclose(y.asnumpy().ravel(), soft, rtol=1e-6)
            np.testing.assert_allclose(log_y.asnumpy().ravel(), log, rtol=1e-6)


# ---- BatchNorm: a batch of one constant sample ------------------------------------------------
@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 1, 1), (1, 2, 4, 4)])
def test_batchnorm_batch_of_one_constant_sample_gives_no_nan(shape):
    bn = nn.BatchNorm()
    bn.initialize()
    x = nd.ones(shape) * 5
    x.attach_grad()
    head = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    with autograd.record():
        out = bn(x)
    out.backward(nd.array(head))
    # variance 0: (x - mean) / sqrt(0 + eps) = 0, so the output is beta = 0
    np.testing.assert_array_equal(out.asnumpy(), np.zeros(shape))
    axes = (0,) + tuple(range(2, len(shape)))
    g = head - head.mean(axis=axes, keepdims=True)
    dx = g / np.sqrt(1e-5)                  # gamma = 1, x_hat = 0
    np.testing.assert_allclose(x.grad.asnumpy(), dx, rtol=1e-5)
    np.testing.assert_array_equal(bn.gamma.grad().asnumpy(), 0)
    np.testing.assert_allclose(bn.beta.grad().asnumpy(), head.sum(axis=axes))
    # MXNet 1.9.1: running mean 0.5000001, running var 0.9, then inference gives 4.74339
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), 0.5, rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.data().asnumpy(), 0.9, rtol=1e-6)
    np.testing.assert_allclose(bn(x).asnumpy(), 4.743390, rtol=1e-6)


def test_batchnorm_constant_channel_gradient_as_recorded_in_mxnet():
    bn = nn.BatchNorm()
    bn.initialize()
    x = nd.ones((1, 2, 4, 4)) * 5
    x.attach_grad()
    with autograd.record():
        out = bn(x)
    out.backward(nd.arange(32).reshape((1, 2, 4, 4)))
    np.testing.assert_allclose(x.grad.asnumpy().ravel()[:4],
                               [-2371.7085, -2055.4805, -1739.2528, -1423.0250], rtol=1e-6)
    np.testing.assert_allclose(bn.beta.grad().asnumpy(), [120, 376])


# ---- clip_global_norm with Inf / NaN ----------------------------------------------------------
WARNING = "nan or inf is detected. Clipping results will be undefined."


@pytest.mark.parametrize("bad, norm, arrays", [
    (INF, INF, [[0, 0], [NAN, 0]]),
    (-INF, INF, [[0, 0], [NAN, 0]]),
    (NAN, NAN, [[NAN, NAN], [NAN, NAN]]),
])
def test_clip_global_norm_with_a_nonfinite_gradient_warns_as_mxnet(bad, norm, arrays):
    grads = [nd.array([3.0, 4.0]), nd.array([bad, 1.0])]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        total = gluon.utils.clip_global_norm(grads, 1.0)
    assert [str(w.message) for w in caught] == [WARNING]
    assert issubclass(caught[0].category, UserWarning)
    assert isinstance(total, np.float32)
    np.testing.assert_array_equal(total, norm)
    np.testing.assert_array_equal([g.asnumpy() for g in grads], arrays)
    # check_isfinite=False: no warning, and the norm comes back as a 1-element NDArray
    grads = [nd.array([3.0, 4.0]), nd.array([bad, 1.0])]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        total = gluon.utils.clip_global_norm(grads, 1.0, check_isfinite=False)
    assert not caught and isinstance(total, nd.NDArray) and total.shape == (1,)
    np.testing.assert_array_equal(total.asnumpy(), [norm])


def test_clip_global_norm_finite_case():
    grads = [nd.array([3.0, 4.0])]
    assert gluon.utils.clip_global_norm(grads, 1.0) == 5.0
    np.testing.assert_allclose(grads[0].asnumpy(), [0.6, 0.8], rtol=1e-6)


# ---- sigmoid, softrelu, log1p, expm1 at extreme arguments -------------------------------------
EXTREMES = np.array([-1e4, -100, -88.8, -20, -1e-8, 0, 1e-8, 20, 88.8, 100, 1e4, INF, -INF],
                    np.float32)


def _forward_backward(fn, values):
    x = nd.array(values)
    x.attach_grad()
    with autograd.record():
        y = fn(x)
    y.backward()
    return y.asnumpy(), x.grad.asnumpy()


def test_sigmoid_extremes():
    y, dy = _forward_backward(nd.sigmoid, EXTREMES)
    x = EXTREMES.astype(np.float64)
    with np.errstate(over="ignore"):
        expect = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(y, expect, rtol=1e-6, atol=1e-37)
    # the gradient is y (1 - y) of the float32 output (as MXNet's): 0 at 20, where y rounds to 1
    y64 = y.astype(np.float64)
    np.testing.assert_allclose(dy, y64 * (1 - y64), rtol=1e-6, atol=1e-37)
    # MXNet 1.9.1
    np.testing.assert_allclose(y, [0, 0, 0, 2.0611537e-09, .5, .5, .5, 1, 1, 1, 1, 1, 0],
                               rtol=1e-6, atol=1e-37)
    np.testing.assert_allclose(dy, [0, 0, 0, 2.0611537e-09, .25, .25, .25, 0, 0, 0, 0, 0, 0],
                               rtol=1e-6, atol=1e-37)


def test_softrelu_extremes():
    y, dy = _forward_backward(lambda v: nd.Activation(v, act_type="softrelu"), EXTREMES)
    x = EXTREMES.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        expect = np.where(x > 0, x + np.log1p(np.exp(-x)), np.log1p(np.exp(x)))
        slope = 1 / (1 + np.exp(-x))
    assert (y >= 0).all() and np.isfinite(dy).all()
    np.testing.assert_allclose(y, expect, rtol=1e-6, atol=1e-37)
    np.testing.assert_allclose(dy, slope, rtol=1e-6, atol=1e-37)
    # MXNet 1.9.1 gives softrelu(-20) = -1.9073486e-06 (its float32 log(1 + 2e-9)), 0 below
    # -88 and 0.6931472 at 0; minimx keeps log1p's 2.06e-9 (the float64 value).
    np.testing.assert_allclose(y, [0, 0, 0, -1.9073486e-06, 0.6931472, 0.6931472, 0.6931472,
                                   20, 88.8, 100, 1e4, INF, 0], rtol=1e-6, atol=2e-6)


def test_log1p_and_expm1_extremes():
    x = np.array([-1, -0.999999, -1e-8, 1e-10, 1e-30, 1e4, INF], np.float32)
    with np.errstate(divide="ignore"):
        got = nd.log1p(nd.array(x)).asnumpy()
        np.testing.assert_allclose(got, np.log1p(x.astype(np.float64)), rtol=1e-6)
    # MXNet 1.9.1
    np.testing.assert_allclose(got, [-INF, -13.802319, -1e-8, 1e-10, 1e-30, 9.2104406, INF],
                               rtol=1e-6)
    assert np.isnan(nd.log1p(nd.array([-2.0])).asnumpy()).all()
    got = nd.expm1(nd.array([1e-10, -1e-10, 100, -100])).asnumpy()
    np.testing.assert_allclose(got, [1e-10, -1e-10, INF, -1], rtol=1e-6)


# ---- sums and means of large float32 arrays ---------------------------------------------------
def test_sum_and_mean_of_1e7_float32_elements_as_mxnet():
    """float32 naive summation of 1e7 x 0.1 gives 1087937; MXNet gives 1e6 (and 0.1)."""
    a = nd.full((10 ** 7,), 0.1)
    assert nd.sum(a).asscalar() == np.float32(1e6)
    assert nd.mean(a).asscalar() == np.float32(0.1)
    rows = a.reshape((1000, 10000))
    np.testing.assert_array_equal(nd.sum(rows, axis=1).asnumpy()[:3], [1000, 1000, 1000])
    np.testing.assert_array_equal(nd.sum(rows, axis=0).asnumpy()[:3], [100, 100, 100])
    np.testing.assert_array_equal(nd.mean(rows, axis=0).asnumpy()[:3], np.float32(0.1))
    # MXNet 1.9.1: 49999996000000.0 and 4999999.5 (the float64 sum rounded to float32)
    r = nd.arange(10 ** 7)
    assert nd.sum(r).asscalar() == np.float32(49999996000000.0) == np.float32(np.arange(1e7).sum())
    assert nd.mean(r).asscalar() == np.float32(4999999.5)
    # the float64 norm is 316.2277707, rounded to float32 316.22778; MXNet gives 316.22775
    # (one ulp below)
    np.testing.assert_allclose(nd.norm(a).asscalar(), 316.2277707, rtol=1e-7)
