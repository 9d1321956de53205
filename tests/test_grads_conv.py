"""Gradients of Convolution, Deconvolution and Pooling beyond the generated finite-difference check
(tests/test_op_grads.py): the fused backward kernels (``_backward_Convolution_data``,
``_backward_Convolution_weight``, ``_backward_Pooling``) against composite formulations, on both
backends; values observed in MXNet 1.9.1; second derivatives through the backward ops."""
import itertools

import numpy as np
import pytest

import minimx as mx
from minimx._kernels import get_backend
from minimx.ops import get_op
from test_grads_linalg import nd, second_order

BACKENDS = [get_backend("reference").kernels, get_backend("cpu").kernels]
CONV = get_op("Convolution")
POOL = get_op("Pooling")

GEOMETRIES = [
    ((2, 4, 6, 5), {"kernel": (3, 3), "num_filter": 3}),
    ((1, 4, 7, 6), {"kernel": (3, 2), "num_filter": 4, "stride": (2, 1), "pad": (1, 0)}),
    ((2, 4, 6, 6), {"kernel": (2, 2), "num_filter": 6, "dilate": (2, 1), "num_group": 2}),
    ((2, 2, 9), {"kernel": (3,), "num_filter": 2, "stride": (2,), "pad": (1,)}),
    ((1, 2, 4, 3, 4), {"kernel": (2, 2, 2), "num_filter": 2, "pad": (1, 0, 1),
                       "stride": (1, 2, 1)}),
]


def conv_attrs(params):
    return CONV.parse(dict(params, no_bias=True))


def im2col(x, kernel, stride, dilate, pad):
    """Composite: the windows of ``x`` as columns ``(N, C, prod(kernel), *out)``, by loops."""
    nd_ = len(kernel)
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    out = [(n + 2 * p - d * (k - 1) - 1) // s + 1
           for n, p, d, k, s in zip(x.shape[2:], pad, dilate, kernel, stride)]
    cols = np.zeros(x.shape[:2] + (int(np.prod(kernel)),) + tuple(out))
    for j, off in enumerate(itertools.product(*(range(k) for k in kernel))):
        for pos in itertools.product(*(range(o) for o in out)):
            src = tuple(p * s + o * d for p, s, o, d in zip(pos, stride, off, dilate))
            cols[(slice(None), slice(None), j) + pos] = xp[(slice(None), slice(None)) + src]
    return cols, out, nd_


def weight_grad_composite(og, x, attrs):
    """dW[g] = og[g] @ im2col(x)[g].T, summed over the batch: im2col + dot."""
    kernel, stride, dilate, pad = (attrs["kernel"], attrs["stride"] or (1,) * len(attrs["kernel"]),
                                   attrs["dilate"] or (1,) * len(attrs["kernel"]),
                                   attrs["pad"] or (0,) * len(attrs["kernel"]))
    cols, out, _ = im2col(x, kernel, stride, dilate, pad)
    groups = attrs["num_group"]
    n, c = x.shape[:2]
    f = og.shape[1]
    cols = cols.reshape(n, groups, c // groups * cols.shape[2], -1)
    ogm = og.reshape(n, groups, f // groups, -1)
    dw = np.einsum("ngfp,ngkp->gfk", ogm, cols)
    return dw.reshape((f, c // groups) + tuple(kernel))


def data_grad_composite(og, w, x_shape, attrs):
    """The data gradient as the transpose of im2col: differentiate <og, conv(x, w)> by basis."""
    # conv(x, w) is linear in x: its matrix is built from the columns of unit inputs.
    x_size = int(np.prod(x_shape))
    grad = np.zeros(x_size)
    ref = get_backend("reference").kernels["Convolution"]
    out = np.empty(og.shape)
    for i in range(x_size):
        e = np.zeros(x_size)
        e[i] = 1
        ref([e.reshape(x_shape), w], [out], attrs)
        grad[i] = (out * og).sum()
    return grad.reshape(x_shape)


@pytest.mark.parametrize("shape,params", GEOMETRIES)
@pytest.mark.parametrize("kernels", BACKENDS, ids=["reference", "cpu"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_backward_convolution_kernels_match_composites(shape, params, kernels, dtype):
    attrs = conv_attrs(params)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, shape)
    w = rng.uniform(-1, 1, (attrs["num_filter"], shape[1] // attrs["num_group"]) + attrs["kernel"])
    out_shape = CONV.shape(attrs, x.shape, w.shape)
    og = rng.uniform(-1, 1, out_shape)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    dw = np.empty(w.shape, dtype)
    kernels["_backward_Convolution_weight"]([og.astype(dtype), x.astype(dtype)], [dw], attrs)
    np.testing.assert_allclose(dw, weight_grad_composite(og, x, attrs), **tol)
    dx = np.empty(x.shape, dtype)
    kernels["_backward_Convolution_data"]([og.astype(dtype), w.astype(dtype)], [dx], attrs)
    np.testing.assert_allclose(dx, data_grad_composite(og, w, x.shape, attrs), **tol)


@pytest.mark.parametrize("shape,params", GEOMETRIES)
def test_convolution_data_gradient_is_a_deconvolution(shape, params):
    """The fused data gradient equals the differentiable composite: a Deconvolution with adj."""
    attrs = conv_attrs(params)
    rng = np.random.default_rng(1)
    w = nd(rng.uniform(-1, 1, (attrs["num_filter"], shape[1] // attrs["num_group"])
                       + attrs["kernel"]))
    og = nd(rng.uniform(-1, 1, CONV.shape(attrs, shape, w.shape)))
    geo = {k: params[k] for k in ("kernel", "stride", "dilate", "pad", "num_group") if k in params}
    kernel = attrs["kernel"]
    stride, dilate = attrs["stride"] or (1,) * len(kernel), attrs["dilate"] or (1,) * len(kernel)
    pad = attrs["pad"] or (0,) * len(kernel)
    adj = tuple((n + 2 * p - d * (k - 1) - 1) % s
                for n, p, d, k, s in zip(shape[2:], pad, dilate, kernel, stride))
    composite = mx.nd.Deconvolution(og, w, num_filter=shape[1], adj=adj, **geo)
    x = nd(np.zeros(shape))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Convolution(x, w, num_filter=attrs["num_filter"], no_bias=True, **geo)
    y.backward(og)
    np.testing.assert_allclose(x.grad.asnumpy(), composite.asnumpy(), rtol=1e-10, atol=1e-12)


def test_backward_ops_reject_mismatched_shapes():
    og, w = nd(np.zeros((1, 2, 3, 3))), nd(np.zeros((2, 1, 3, 3)))
    with pytest.raises(mx.MXNetError, match="head gradient"):
        mx.nd.gen_conv._backward_Convolution_data(og, w, kernel=(3, 3), num_filter=2,
                                                  data_shape=(1, 1, 6, 6))
    with pytest.raises(mx.MXNetError, match="head gradient"):
        mx.nd.gen_pool._backward_Pooling(og, nd(np.zeros((1, 2, 5, 5))), og, kernel=(2, 2))


def test_convolution_gradient_values():
    # Observed in MXNet 1.9.1: 1x1x3x3 data of 1..9, a 2x2 kernel of ones, head gradient of ones.
    x = nd(np.arange(1, 10).reshape(1, 1, 3, 3))
    w = nd(np.ones((1, 1, 2, 2)))
    b = nd([0.5])
    for v in (x, w, b):
        v.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Convolution(x, w, b, kernel=(2, 2), num_filter=1)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy()[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    np.testing.assert_allclose(w.grad.asnumpy()[0, 0], [[12, 16], [24, 28]])
    np.testing.assert_allclose(b.grad.asnumpy(), [4])


# -- Pooling -------------------------------------------------------------------------------------
def pool_grad_composite(og, x, attrs):
    """Pooling's gradient by differentiating the reference forward along every basis vector
    (max: piecewise linear, so the directional derivative is the routing)."""
    ref = get_backend("reference").kernels["Pooling"]
    out = np.empty(og.shape)
    base = np.empty(og.shape)
    ref([x], [base], attrs)
    grad = np.zeros(x.size)
    eps = 1e-7
    for i in range(x.size):
        e = x.copy()
        e.reshape(-1)[i] += eps
        ref([e], [out], attrs)
        grad[i] = ((out - base) * og).sum() / eps
    return grad.reshape(x.shape)


POOLS = [
    {"kernel": (2, 2)},
    {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1)},
    {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1), "pool_type": "avg"},
    {"kernel": (3, 2), "stride": (2, 1), "pad": (1, 0), "pool_type": "avg",
     "pooling_convention": "full", "count_include_pad": False},
    {"kernel": (2, 3), "stride": (2, 2), "pool_type": "sum", "pooling_convention": "full"},
    {"kernel": (2, 2), "pool_type": "lp", "p_value": 2},
    {"kernel": (2, 2), "stride": (2, 1), "pool_type": "lp", "p_value": 3},
    {"kernel": (3,), "stride": (2,), "pooling_convention": "same", "pool_type": "avg"},
    {"kernel": (2, 2, 2), "stride": (1, 2, 2), "pad": (1, 0, 1)},
    {"global_pool": True, "pool_type": "avg", "kernel": (1, 1)},
    {"global_pool": True, "kernel": (1,)},
]


@pytest.mark.parametrize("params", POOLS, ids=lambda p: "-".join(f"{k}{v}" for k, v in p.items()))
@pytest.mark.parametrize("kernels", BACKENDS, ids=["reference", "cpu"])
def test_backward_pooling_kernel_matches_composite(params, kernels):
    attrs = POOL.parse(params)
    rng = np.random.default_rng(2)
    nd_ = len(params["kernel"])
    x = rng.uniform(-2, 2, (2, 2) + (5, 4, 4)[:nd_])
    if params.get("pool_type") == "lp":
        x = np.abs(x) + 0.5
    out = np.empty(POOL.shape(attrs, x.shape))
    kernels["Pooling"]([x], [out], attrs)
    og = rng.uniform(-1, 1, out.shape)
    dx = np.empty(x.shape)
    kernels["_backward_Pooling"]([og, x, out], [dx], attrs)
    np.testing.assert_allclose(dx, pool_grad_composite(og, x, attrs), rtol=1e-5, atol=1e-5)


def pool_backward(x, head, **params):
    x = nd(x)
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Pooling(x, **params)
    y.backward(nd(np.full(y.shape, head)))
    return x.grad.asnumpy()[0, 0]


X = np.array([[[[1., 1, 0, 2], [0, 1, 2, 2], [3, 3, 1, 0]]]])


def test_max_pooling_routes_to_the_first_maximum_as_mxnet():
    # Observed in MXNet 1.9.1: ties go to the window's first maximum.
    np.testing.assert_allclose(pool_backward(X, 10, kernel=(2, 2)),
                               [[10, 0, 0, 10], [0, 0, 20, 0], [10, 10, 0, 0]])
    np.testing.assert_allclose(pool_backward(X - 5, 10, kernel=(2, 2), stride=(2, 2), pad=(1, 1)),
                               [[10, 10, 0, 10], [0, 0, 0, 10], [10, 10, 0, 0]])


def test_avg_and_lp_pooling_gradients_match_mxnet():
    common = dict(kernel=(2, 3), stride=(2, 2), pool_type="avg", count_include_pad=False,
                  pad=(1, 0))
    np.testing.assert_allclose(pool_backward(X, 1, pooling_convention="valid", **common),
                               [[1 / 3, 1 / 3, 1 / 3, 0], [1 / 6, 1 / 6, 1 / 6, 0],
                                [1 / 6, 1 / 6, 1 / 6, 0]], atol=1e-12)
    np.testing.assert_allclose(pool_backward(X, 1, pooling_convention="full", **common),
                               [[1 / 3, 1 / 3, 5 / 6, 0.5], [1 / 6, 1 / 6, 5 / 12, 0.25],
                                [1 / 6, 1 / 6, 5 / 12, 0.25]], atol=1e-12)
    np.testing.assert_allclose(pool_backward(X, 1, kernel=(2, 2), pool_type="lp", p_value=2),
                               [[0.5774, 0.9856, 0, 0.5774], [0, 1.4732, 2.5769, 1.244],
                                [0.6882, 1.4628, 0.5915, 0]], atol=1e-4)


# -- second derivatives through the backward ops ------------------------------------------------
def squared(op, **params):
    def fn(*args):
        z = op(*args, **params)
        return mx.nd.broadcast_mul(z, z)
    return fn


@pytest.mark.parametrize("params", [
    {"kernel": (2, 2), "num_filter": 2, "stride": (2, 1), "pad": (1, 0)},
    {"kernel": (3,), "num_filter": 4, "num_group": 2, "dilate": (2,)},
])
def test_convolution_second_derivative(params):
    rng = np.random.default_rng(3)
    kernel, groups = params["kernel"], params.get("num_group", 1)
    x = rng.uniform(-1, 1, (1, 2 * groups) + (6,) * len(kernel))
    w = rng.uniform(-1, 1, (params["num_filter"], 2) + kernel)
    b = rng.uniform(-1, 1, (params["num_filter"],))
    out = CONV.shape(CONV.parse(params), x.shape, w.shape, b.shape)
    second_order(squared(mx.nd.Convolution, **params), [x, w, b], rng.standard_normal(out),
                 rng.standard_normal(x.shape))
    # ... and with respect to the weight first.
    second_order(lambda w_, x_, b_: squared(mx.nd.Convolution, **params)(x_, w_, b_), [w, x, b],
                 rng.standard_normal(out), rng.standard_normal(w.shape))


def test_deconvolution_second_derivative():
    rng = np.random.default_rng(4)
    params = {"kernel": (2, 2), "num_filter": 2, "stride": (2, 1), "adj": (1, 0)}
    x = rng.uniform(-1, 1, (1, 2, 3, 3))
    w = rng.uniform(-1, 1, (2, 2, 2, 2))
    out = get_op("Deconvolution").shape(get_op("Deconvolution").parse(params), x.shape, w.shape)
    second_order(squared(mx.nd.Deconvolution, **params), [x, w], rng.standard_normal(out),
                 rng.standard_normal(x.shape))


@pytest.mark.parametrize("params", [
    {"kernel": (2, 2), "stride": (2, 1)},
    {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1), "pooling_convention": "full"},
    {"kernel": (2, 2), "pool_type": "avg", "pad": (1, 1), "count_include_pad": False},
    {"kernel": (2, 2), "pool_type": "lp", "p_value": 2},
    {"kernel": (2, 2), "pool_type": "lp", "p_value": 3, "stride": (2, 2)},
])
def test_pooling_second_derivative(params):
    rng = np.random.default_rng(5)
    x = rng.uniform(0.5, 2, (1, 2, 4, 5))
    out = POOL.shape(POOL.parse(params), x.shape)
    second_order(squared(mx.nd.Pooling, **params), [x], rng.standard_normal(out),
                 rng.standard_normal(x.shape))
