"""Gradient rules of the norm family: what the generated finite-difference check does not cover.

BatchNorm's training-mode gradient (batch statistics; the generated check runs its differences in
prediction mode), prediction mode and use_global_stats (the affine gradient), fix_gamma, the fused
``_backward_BatchNorm`` (Cython and numpy kernels, against the composite rule), values observed in
real MXNet 1.9.1 for every op, and second derivatives through ``create_graph``.
"""
import numpy as np
import pytest

import minimx as mx
from numeric import central_differences as _fd
from minimx._kernels import get_backend
from minimx.ndarray.invoke import call_op
from minimx.ops.gradutil_norm import batch_norm_composite

X = np.array([[[0.5, -1.], [2., 0.3]], [[1., 0.2], [-0.3, 0.7]], [[0.1, 1.5], [-2., 0.4]]])
HEAD = np.array([[[1., 2.], [0.5, -1.]], [[0.3, 0.1], [2., -0.5]], [[1.5, -2.], [0.2, 0.9]]])
GAMMA, BETA = [1.5, 0.5], [0.1, -0.2]
MOVING_MEAN, MOVING_VAR = [0.2, -0.1], [1.5, 0.8]


def bn_grads(train_mode=True, dtype="float32", data=X, head=HEAD, **kw):
    pdtype = "float32" if dtype == "float16" else dtype       # float16 data, float32 parameters
    x = mx.nd.array(data, dtype=dtype)
    g, b = mx.nd.array(GAMMA, dtype=pdtype), mx.nd.array(BETA, dtype=pdtype)
    mm, mv = mx.nd.array(MOVING_MEAN, dtype=pdtype), mx.nd.array(MOVING_VAR, dtype=pdtype)
    for a in (x, g, b):
        a.attach_grad()
    with mx.autograd.record(train_mode=train_mode):
        y = mx.nd.BatchNorm(x, g, b, mm, mv, **kw)
    y.backward(mx.nd.array(head, dtype=dtype))
    return x.grad.asnumpy(), g.grad.asnumpy(), b.grad.asnumpy()


# x.grad, gamma.grad of BatchNorm(X, gamma, beta, ...) with head gradient HEAD, MXNet 1.9.1.
MXNET_TRAIN = {
    "fix_gamma": ({}, [[[0.868854, -0.535551], [0.243430, -1.117766]],
                       [[0.868437, -0.817683], [1.343953, -0.674895]],
                       [[0.792515, -1.176571], [-0.267325, 0.472603]]], [0.0, 0.0]),
    "gamma": ({"fix_gamma": False}, [[[1.303281, -0.803327], [0.121715, -0.558883]],
                                     [[1.302655, -1.226525], [0.671977, -0.337448]],
                                     [[1.188773, -1.764856], [-0.133663, 0.236302]]],
              [-6.570378, -0.562685]),
}
AFFINE = ([[[1.224337, 2.448674], [0.279334, -0.558668]], [[0.367301, 0.122434], [1.117336, -0.279334]],
           [[1.836505, -2.448674], [0.111734, 0.502801]]], [-3.762795, -0.089387])


@pytest.mark.parametrize("case", sorted(MXNET_TRAIN))
def test_batch_norm_training_gradient_matches_mxnet(case):
    kw, dx, dgamma = MXNET_TRAIN[case]
    gx, gg, gb = bn_grads(**kw)
    np.testing.assert_allclose(gx, dx, rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(gg, dgamma, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gb, [2.9, 2.1], rtol=1e-6)


@pytest.mark.parametrize("train_mode", [True, False])
def test_batch_norm_use_global_stats_gives_the_affine_gradient(train_mode):
    gx, gg, gb = bn_grads(train_mode=train_mode, fix_gamma=False, use_global_stats=True)
    np.testing.assert_allclose(gx, AFFINE[0], rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(gg, AFFINE[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gb, [2.9, 2.1], rtol=1e-6)


def test_batch_norm_prediction_mode_gives_the_affine_gradient():
    # NB: MXNet's CPU backward (in its default train_mode) uses the batch-statistics formula with
    # the running statistics after a prediction-mode forward; minimx follows the forward's mode.
    gx, gg, _ = bn_grads(train_mode=False, fix_gamma=False)
    np.testing.assert_allclose(gx, AFFINE[0], rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(gg, AFFINE[1], rtol=1e-5, atol=1e-6)
    gx, gg, _ = bn_grads(train_mode=False)          # fix_gamma: gamma is 1, its gradient 0
    np.testing.assert_allclose(gx, np.array(AFFINE[0]) / np.array([1.5, 0.5])[:, None], rtol=1e-5)
    assert (gg == 0).all()


@pytest.mark.parametrize("axis,output_mean_var", [(1, False), (-1, False), (1, True)])
def test_batch_norm_training_gradient_matches_differences_in_training_mode(axis, output_mean_var):
    rng = np.random.default_rng(0)
    shape = (3, 2, 4)
    c = shape[axis]
    x, gamma, beta = rng.uniform(-2, 2, shape), rng.uniform(0.5, 2, c), rng.uniform(-1, 1, c)
    kw = dict(fix_gamma=False, axis=axis, output_mean_var=output_mean_var)
    n_out = 3 if output_mean_var else 1
    weights = [rng.standard_normal(shape), rng.standard_normal(c), rng.standard_normal(c)][:n_out]

    def run(xv, gv, bv, grads=False):
        arrays = [mx.nd.array(v, dtype="float64") for v in (xv, gv, bv)]
        stats = [mx.nd.zeros((c,), dtype="float64"), mx.nd.ones((c,), dtype="float64")]
        if grads:
            for a in arrays:
                a.attach_grad()
        with mx.autograd.record():           # training mode, also for the differences
            out = mx.nd.BatchNorm(*arrays, *stats, **kw)
        outs = out if isinstance(out, list) else [out]
        if grads:
            mx.autograd.backward(outs, [mx.nd.array(w, dtype="float64") for w in weights])
            return [a.grad.asnumpy() for a in arrays]
        return sum(float((o.asnumpy() * w).sum()) for o, w in zip(outs, weights))

    analytic = run(x, gamma, beta, grads=True)
    for i, v in enumerate((x, gamma, beta)):
        def f(p, i=i):
            args = [x, gamma, beta]
            args[i] = p
            return run(*args)
        np.testing.assert_allclose(analytic[i], _fd(f, v), rtol=1e-5, atol=1e-7)


def test_batch_norm_float16_data_gets_float16_gradients():
    gx, gg, gb = bn_grads(dtype="float16")
    assert gx.dtype == np.float16 and gg.dtype == gb.dtype == np.float32
    np.testing.assert_allclose(gx, MXNET_TRAIN["fix_gamma"][1], rtol=2e-3, atol=2e-3)


# -- the fused _backward_BatchNorm -------------------------------------------------------------
def _bn_backward_inputs(rng, shape, axis, dtype):
    c = shape[axis]
    return [rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype),
            rng.uniform(0.5, 2, c).astype(dtype), rng.standard_normal(c).astype(dtype),
            rng.uniform(0.5, 2, c).astype(dtype)]


@pytest.mark.parametrize("fix_gamma", [True, False])
@pytest.mark.parametrize("use_global_stats", [True, False])
@pytest.mark.parametrize("shape,axis", [((3, 5, 7), 1), ((4, 6), 1), ((2, 3, 4, 5), -1), ((7, 1), 0)])
def test_fused_backward_matches_the_composite_rule(fix_gamma, use_global_stats, shape, axis):
    ins = [mx.nd.array(a, dtype="float64")
           for a in _bn_backward_inputs(np.random.default_rng(1), shape, axis, np.float64)]
    fused = call_op("_backward_BatchNorm", ins, (), dict(axis=axis, fix_gamma=fix_gamma,
                                                          use_global_stats=use_global_stats))
    composite = batch_norm_composite(mx.nd, *ins, axis, fix_gamma, not use_global_stats)
    for a, b in zip(fused, composite):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("shape,axis", [((3, 5, 7), 1), ((5, 300), -1), ((2, 3, 4, 5), 2),
                                        ((600, 3, 50), 1), ((0, 3, 2), 1)])
def test_cython_backward_kernel_matches_the_reference(dtype, shape, axis):
    ref = get_backend("reference").kernels["_backward_BatchNorm"]
    cpu = get_backend("cpu").kernels["_backward_BatchNorm"]
    pdtype = np.float32 if dtype == np.float16 else dtype
    ins = _bn_backward_inputs(np.random.default_rng(2), shape, axis, dtype)
    ins[2:] = [a.astype(pdtype) for a in ins[2:]]
    c = shape[axis]
    for attrs in (dict(axis=axis, fix_gamma=False, use_global_stats=False),
                  dict(axis=axis, fix_gamma=True, use_global_stats=True)):
        a = [np.full(shape, 7, dtype), np.full(c, 7, pdtype), np.full(c, 7, pdtype)]
        b = [np.full(shape, 7, dtype), np.full(c, 7, pdtype), np.full(c, 7, pdtype)]
        ref(ins, a, attrs)
        cpu(ins, b, attrs)
        tol = {np.float64: 1e-10, np.float32: 1e-4, np.float16: 1e-3}[dtype]
        for u, v in zip(a, b):
            np.testing.assert_allclose(u, v, rtol=tol, atol=tol)


def test_backward_batch_norm_rejects_mismatched_shapes():
    ins = [mx.nd.ones((2, 3)), mx.nd.ones((2, 4)), mx.nd.ones((3,)), mx.nd.ones((3,)), mx.nd.ones((3,))]
    with pytest.raises(mx.MXNetError, match="out_grad has shape"):
        call_op("_backward_BatchNorm", ins, (), {})


def test_batch_norm_second_derivative_matches_differences():
    rng = np.random.default_rng(3)
    x, w = rng.uniform(-2, 2, (4, 2, 3)), rng.standard_normal((4, 2, 3))
    gamma, beta = mx.nd.array([1.5, 0.7], dtype="float64"), mx.nd.array([0.1, 0.2], dtype="float64")

    def first(xv, create_graph=False):
        xa = mx.nd.array(xv, dtype="float64")
        xa.attach_grad()
        with mx.autograd.record():
            y = mx.nd.BatchNorm(xa, gamma, beta, mx.nd.zeros((2,), dtype="float64"),
                                mx.nd.ones((2,), dtype="float64"), fix_gamma=False)
            s = (y * mx.nd.array(w, dtype="float64")).sum()
            g, = mx.autograd.grad(s, [xa], create_graph=create_graph)
            z = (g * g).sum()
        if create_graph:
            z.backward()
            return xa.grad.asnumpy()
        return float(z.asnumpy()[0])

    np.testing.assert_allclose(first(x, create_graph=True), _fd(first, x), rtol=1e-5, atol=1e-7)


# -- the other norms against MXNet 1.9.1 -----------------------------------------------------------
NX = np.array([[[0.5, -1., 2.], [2., 0.3, -0.4]], [[1., 0.2, 0.9], [-0.3, 0.7, 1.1]]])
NHEAD = np.array([[[1., 2., 0.3], [0.5, -1., 0.2]], [[0.3, 0.1, -0.7], [2., -0.5, 1.]]])


def _grads(f, head, *arrays):
    xs = [mx.nd.array(a) for a in arrays]
    for a in xs:
        a.attach_grad()
    with mx.autograd.record():
        y = f(*xs)
    y.backward(mx.nd.array(head))
    return [a.grad.asnumpy() for a in xs]


MXNET_NORMS = {
    "LayerNorm": (lambda d, g, b: mx.nd.LayerNorm(d, g, b), [[1.5, 0.5, -1.], [0.1, 0.2, 0.3]],
                  [[[[0.625979, -0.312986, -0.312993], [0.105262, -0.360880, 0.255618]],
                    [[-0.414009, -0.059223, 0.473233], [0.119874, -0.419183, 0.299309]]],
                   [-1.786481, -2.429034, 0.788030], [3.8, 0.6, 0.8]]),
    "InstanceNorm": (lambda d, g, b: mx.nd.InstanceNorm(d, g, b), [[1.5, 0.5], [0.1, 0.2]],
                     [[[[-0.122434, 0.061910, 0.060523], [0.117536, -0.402415, 0.284880]],
                       [[2.008071, 0.291565, -2.299637], [0.273854, -0.951782, 0.677928]]],
                      [-2.361246, -1.062191], [3.0, 2.2]]),
    "GroupNorm": (lambda d, g, b: mx.nd.GroupNorm(d, g, b, num_groups=2), [[1.5, 0.5], [0.1, 0.2]],
                  [[[[-0.122474, 0.061244, 0.061230], [0.117417, -0.402569, 0.285151]],
                    [[2.018483, 0.288402, -2.306885], [0.272199, -0.952628, 0.680430]]],
                   [-2.363024, -1.064461], [3.0, 2.2]]),
    "L2Normalization": (lambda d: mx.nd.L2Normalization(d, mode="channel"), [],
                        [[[[0.399470, -0.105448, 0.024515], [-0.099868, -0.351496, 0.122573]],
                          [[0.550970, 0.308413, -0.639856], [1.836566, -0.088118, 0.523518]]]]),
}


@pytest.mark.parametrize("name", sorted(MXNET_NORMS))
def test_norm_gradients_match_mxnet(name):
    f, params, expected = MXNET_NORMS[name]
    got = _grads(f, NHEAD, NX, *params)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=2e-5)


def test_lrn_gradient_matches_mxnet():
    x = NX.reshape(2, 2, 3, 1).repeat(2, axis=3).transpose(0, 2, 1, 3)
    head = np.arange(24.).reshape(2, 3, 2, 2) / 10 - 1
    g, = _grads(lambda d: mx.nd.LRN(d, nsize=3, alpha=0.5, beta=0.75, knorm=1.5), head, x)
    np.testing.assert_allclose(g[0, :, 0], [[-0.661245, -0.594020], [-0.352276, -0.289261],
                                            [-0.126561, -0.085289]], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g[1, 2], [[0.594878, 0.653727], [0.590556, 0.637471]], rtol=1e-4)
