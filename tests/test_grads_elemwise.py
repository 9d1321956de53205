"""Gradient rules of the elemwise family: what finite differences cannot show.

``tests/test_op_grads.py`` checks every rule against central differences away from kinks. Here:
MXNet 1.9.1's choices AT the kinks (values observed in real MXNet and written down as expected
values), the zero gradients of piecewise-constant ops, ``Cast`` (the head gradient cast back to the
input dtype), ``digamma`` (the rule of ``gammaln``) against closed forms, and second derivatives
through ``autograd.grad(create_graph=True)``.
"""
import math

import numpy as np
import pytest

import minimx as mx
from minimx.ndarray import gen_elemwise as nd_internal  # wrappers of the _-prefixed ops
from minimx.ops import get_op
from minimx.ops.gradutil_elemwise import digamma

NAN, INF = float("nan"), float("inf")
EULER = 0.5772156649015329


def grads(f, *values, dtype="float64", head=None):
    """x.grad of each input after ``f(*inputs).backward(head)``."""
    xs = [mx.nd.array(v, dtype=dtype) for v in values]
    for x in xs:
        x.attach_grad()
    with mx.autograd.record():
        y = f(*xs)
    y.backward(None if head is None else mx.nd.array(head, dtype=y.dtype))
    return [x.grad.asnumpy() for x in xs]


def close(actual, expected):
    np.testing.assert_allclose(actual, np.asarray(expected, dtype=np.float64), rtol=1e-7,
                               atol=1e-12, equal_nan=True)


# -- MXNet's gradients at kinks and edges (values observed in MXNet 1.9.1) -------------------------
KINKS = [
    ("relu at 0", lambda x: mx.nd.relu(x), [[-1.0, 0.0, 1.0, 2.0]], [[0, 0, 1, 1]]),
    ("abs at 0", lambda x: mx.nd.abs(x), [[-1.0, 0.0, 1.0, 2.0]], [[-1, 0, 1, 1]]),
    ("sign", lambda x: mx.nd.sign(x), [[-1.0, 0.0, 1.0]], [[0, 0, 0]]),
    ("clip bounds are inside", lambda x: mx.nd.clip(x, -1, 1), [[-2.0, -1.0, 0.0, 1.0, 2.0]],
     [[0, 1, 1, 1, 0]]),
    ("clip a_min > a_max", lambda x: mx.nd.clip(x, 1, -1), [[-2.0, -1.0, 0.0, 1.0, 2.0]],
     [[0, 0, 0, 0, 0]]),
    ("clip float32 bound vs float64 x", lambda x: mx.nd.clip(x, 0.1, 1.0), [[0.1]], [[0]]),
    ("hard_sigmoid flat at the corners", lambda x: mx.nd.hard_sigmoid(x),
     [[-3.0, -2.5, 0.0, 2.5, 3.0]], [[0, 0, 0.20000000298023224, 0, 0]]),
    ("maximum tie goes to lhs", lambda a, b: mx.nd.broadcast_maximum(a, b),
     [[1.0, 2.0], [1.0, 1.0]], [[1, 1], [0, 0]]),
    ("minimum tie goes to lhs", lambda a, b: mx.nd.broadcast_minimum(a, b),
     [[1.0, 2.0], [1.0, 1.0]], [[1, 0], [0, 1]]),
    ("_maximum tie", lambda a, b: nd_internal._maximum(a, b), [[1.0, 2.0], [1.0, 1.0]],
     [[1, 1], [0, 0]]),
    ("_minimum tie", lambda a, b: nd_internal._minimum(a, b), [[1.0, 2.0], [1.0, 1.0]],
     [[1, 0], [0, 1]]),
    ("maximum_scalar tie", lambda x: nd_internal._maximum_scalar(x, scalar=1.0),
     [[0.0, 1.0, 2.0]], [[0, 1, 1]]),
    ("minimum_scalar tie", lambda x: nd_internal._minimum_scalar(x, scalar=1.0),
     [[0.0, 1.0, 2.0]], [[1, 1, 0]]),
    ("mod", lambda a, b: mx.nd.broadcast_mod(a, b), [[5.0, -5.0, 3.5], [3.0, 3.0, -2.0]],
     [[1, 1, 1], [-1, 2, 2]]),
    ("_mod", lambda a, b: nd_internal._mod(a, b), [[5.0, -5.0, 3.5], [3.0, 3.0, -2.0]],
     [[1, 1, 1], [-1, 2, 2]]),
    ("mod_scalar", lambda x: x % 3.0, [[5.0, -5.0, 3.5]], [[1, 1, 1]]),
    ("rmod_scalar", lambda x: 5.0 % x, [[3.0, -3.0, 2.0]], [[-1, 2, -2]]),
    ("power at 0 and below", lambda a, b: mx.nd.broadcast_power(a, b),
     [[0.0, 0.0, 2.0, -2.0], [2.0, 0.0, 3.0, 2.0]],
     [[0, NAN, 12, -4], [NAN, -INF, 8 * math.log(2.0), NAN]]),
    ("power_scalar", lambda x: x ** 2.0, [[0.0, -1.0, 3.0]], [[0, -2, 6]]),
    ("power_scalar 0.5 at 0", lambda x: x ** 0.5, [[0.0, -1.0, 4.0]], [[INF, NAN, 0.25]]),
    ("rpower_scalar", lambda x: 2.0 ** x, [[0.0, -1.0, 3.0]],
     [[math.log(2), math.log(2) / 2, 8 * math.log(2)]]),
    ("hypot at 0", lambda a, b: mx.nd.broadcast_hypot(a, b), [[0.0, 3.0], [0.0, 4.0]],
     [[NAN, 0.6], [NAN, 0.8]]),
    ("hypot_scalar", lambda x: nd_internal._hypot_scalar(x, scalar=4.0), [[0.0, 3.0]],
     [[0, 0.6]]),
    ("hypot_scalar 0", lambda x: nd_internal._hypot_scalar(x, scalar=0.0), [[0.0, 3.0, -3.0]],
     [[NAN, 1, -1]]),
    ("div by 0", lambda a, b: a / b, [[1.0, 0.0], [0.0, 0.0]], [[INF, INF], [-INF, NAN]]),
    ("rdiv at 0", lambda x: 2.0 / x, [[0.0, 2.0]], [[-INF, -0.5]]),
    ("sqrt at 0", lambda x: mx.nd.sqrt(x), [[0.0, 1.0]], [[INF, 0.5]]),
    ("cbrt at 0", lambda x: mx.nd.cbrt(x), [[0.0, 1.0]], [[INF, 1 / 3]]),
    ("cbrt of negatives", lambda x: mx.nd.cbrt(x), [[8.0, -8.0]], [[1 / 12, 1 / 12]]),
    ("rcbrt", lambda x: mx.nd.rcbrt(x), [[8.0, -8.0]], [[-1 / 48, -1 / 48]]),
    ("softsign", lambda x: mx.nd.softsign(x), [[0.0, 2.0]], [[1, 1 / 9]]),
    ("degrees: float32 constant", lambda x: mx.nd.degrees(x), [[0.5, 0.0]],
     [[57.2957763671875, 57.2957763671875]]),
    ("radians: float32 constant", lambda x: mx.nd.radians(x), [[0.5, 0.0]],
     [[0.01745329238474369, 0.01745329238474369]]),
    ("erfinv", lambda x: mx.nd.erfinv(x), [[0.0]], [[math.sqrt(math.pi) / 2]]),
    ("gammaln", lambda x: mx.nd.gammaln(x), [[0.5, 2.0]],
     [[-EULER - 2 * math.log(2), 1 - EULER]]),
    ("gamma", lambda x: mx.nd.gamma(x), [[0.5, 2.0]],
     [[math.sqrt(math.pi) * (-EULER - 2 * math.log(2)), 1 - EULER]]),
    ("copy", lambda x: nd_internal._copy(x), [[1.0, 0.0]], [[1, 1]]),
    ("identity", lambda x: mx.nd.identity(x), [[1.0, 0.0]], [[1, 1]]),
]


@pytest.mark.parametrize("f,inputs,expected", [k[1:] for k in KINKS], ids=[k[0] for k in KINKS])
def test_gradient_matches_mxnet_at_kinks_and_edges(f, inputs, expected):
    with np.errstate(all="ignore"):
        for got, want in zip(grads(f, *inputs), expected):
            close(got, want)


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "rint", "fix", "trunc", "sign"])
def test_piecewise_constant_ops_write_a_zero_gradient(name):
    """MXNet writes zeros into x.grad, overwriting what was there (grad_req='write')."""
    x = mx.nd.array([0.3, 1.5, -2.5], dtype="float64")
    x.attach_grad()
    x.grad[:] = 5
    with mx.autograd.record():
        y = getattr(mx.nd, name)(x)
    y.backward()
    close(x.grad.asnumpy(), [0, 0, 0])


@pytest.mark.parametrize("f", [lambda x: x > 1, lambda x: x == 1.0, lambda x: mx.nd.logical_not(x),
                               lambda x: mx.nd.broadcast_lesser(x, x * 2.0)])
def test_comparisons_pass_no_gradient(f):
    """Comparisons are constants to autograd: a mask times x is differentiated as mask * g."""
    gx, = grads(lambda x: f(x) * x, [0.5, 1.0, 2.0])
    mask = f(mx.nd.array([0.5, 1.0, 2.0], dtype="float64")).asnumpy()
    close(gx, mask)


def test_same_shape_binaries_share_the_broadcasting_rules():
    for same, bcast in [("elemwise_add", "broadcast_add"), ("elemwise_div", "broadcast_div"),
                        ("_power", "broadcast_power"), ("_hypot", "broadcast_hypot"),
                        ("_equal", "broadcast_equal")]:
        assert get_op(same).grad is get_op(bcast).grad


def test_broadcast_gradients_are_summed_to_each_input_shape():
    a = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = np.array([[2.0, 3.0, 4.0]])
    ga, gb = grads(lambda x, y: mx.nd.broadcast_power(x, y), a, b)
    close(ga, b * a ** (b - 1))
    close(gb, (a ** b * np.log(a)).sum(axis=0, keepdims=True))
    ga, gb = grads(lambda x, y: mx.nd.broadcast_maximum(x, y), a, np.array([[3.0]]))
    close(ga, a >= 3)
    close(gb, [[(a < 3).sum()]])


# -- Cast ------------------------------------------------------------------------------------------
def test_cast_passes_the_gradient_back_in_the_input_dtype():
    """MXNet 1.9.1: float64 -> int32 gives ones; -> float32 rounds the head gradient to float32."""
    g, = grads(lambda x: mx.nd.Cast(x, dtype="int32"), [1.7, -2.3])
    assert g.dtype == np.float64
    close(g, [1, 1])
    g, = grads(lambda x: mx.nd.Cast(x, dtype="float32"), [1.7, -2.3], head=[0.1, 0.3])
    assert g.dtype == np.float64
    close(g, [0.10000000149011612, 0.30000001192092896])
    g, = grads(lambda x: mx.nd.cast(x, dtype="float16"), [1.7, -2.3], dtype="float32",
               head=[0.1, 0.3])
    assert g.dtype == np.float32
    close(g, [0.0999755859375, 0.300048828125])
    g, = grads(lambda x: mx.nd.Cast(x, dtype="float64") * x, [1.5, -2.0])
    close(g, [3.0, -4.0])


@pytest.mark.parametrize("name", ["zeros_like", "ones_like"])
def test_zeros_like_and_ones_like_give_no_gradient(name):
    x = mx.nd.array([1.0, 0.0], dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        y = getattr(mx.nd, name)(x) * x
    y.backward()
    close(x.grad.asnumpy(), [0.0, 0.0] if name == "zeros_like" else [1.0, 1.0])


# -- digamma (gammaln's rule), composed of ops ---------------------------------------------------
def test_digamma_matches_closed_forms():
    x = mx.nd.array([1.0, 0.5, -0.5, 10.0, 2.5, 1e-3, 100.0], dtype="float64")
    harmonic9 = sum(1.0 / k for k in range(1, 10))
    want = [-EULER, -EULER - 2 * math.log(2), -EULER - 2 * math.log(2) + 2, harmonic9 - EULER,
            -EULER - 2 * math.log(2) + 2 + 2 / 3,
            -1000.0 - EULER + math.pi ** 2 / 6 * 1e-3 - 1.2020569031595942e-6,   # series at 0
            4.600161852738087]
    np.testing.assert_allclose(digamma(mx.nd, x).asnumpy(), want, rtol=1e-9, atol=1e-9)


def test_digamma_float32():
    x = mx.nd.array([0.5, 3.0, -2.5], dtype="float32")
    y = digamma(mx.nd, x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.asnumpy(), [-1.9635100260214235, 1.5 - EULER, 1.1031566406452432],
                               rtol=1e-5)


# -- second derivatives: autograd.grad(create_graph=True), then backward ---------------------------
def second_derivative(f, values):
    """d/dx of sum(df/dx): the diagonal of the Hessian for an elementwise f."""
    x = mx.nd.array(values, dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        y = f(x)
        dx, = mx.autograd.grad(y, [x], create_graph=True)
    dx.backward()
    return dx.asnumpy(), x.grad.asnumpy()


X = np.array([-1.3, -0.2, 0.4, 1.1, 2.0])
SIG = 1 / (1 + np.exp(-X))
SECOND = [
    ("exp", lambda x: mx.nd.exp(x), np.exp(X), np.exp(X)),
    ("sin", lambda x: mx.nd.sin(x), np.cos(X), -np.sin(X)),
    ("tanh", lambda x: mx.nd.tanh(x), 1 - np.tanh(X) ** 2, -2 * np.tanh(X) * (1 - np.tanh(X) ** 2)),
    ("sigmoid", lambda x: mx.nd.sigmoid(x), SIG * (1 - SIG), SIG * (1 - SIG) * (1 - 2 * SIG)),
    ("x**3", lambda x: x ** 3, 3 * X ** 2, 6 * X),
    ("x*x", lambda x: x * x, 2 * X, 2 + 0 * X),
    ("log", lambda x: mx.nd.log(x * x), 2 / X, -2 / X ** 2),
    ("relu", lambda x: mx.nd.relu(x) * x, 2 * X * (X > 0), 2.0 * (X > 0)),
    ("sqrt", lambda x: mx.nd.sqrt(x * x + 1.0), X / np.sqrt(X * X + 1), (X * X + 1) ** -1.5),
]


@pytest.mark.parametrize("f,first,second", [s[1:] for s in SECOND], ids=[s[0] for s in SECOND])
def test_second_derivatives(f, first, second):
    d1, d2 = second_derivative(f, X)
    np.testing.assert_allclose(d1, first, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d2, second, rtol=1e-10, atol=1e-12)


def test_second_derivative_of_a_product_is_the_cross_term():
    """f = sum(x * y) with y broadcast: d/dx f = y, then d/dy sum(d/dx f) = number of rows."""
    x = mx.nd.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype="float64")
    y = mx.nd.array([[0.5, -1.5]], dtype="float64")
    x.attach_grad()
    y.attach_grad()
    with mx.autograd.record():
        z = x * y * x           # x^2 y: d/dx = 2xy; d2/dx2 = 2y; d2/dxdy = 2x
        dx, = mx.autograd.grad(z, [x], create_graph=True)
    dx.backward()
    xs, ys = x.asnumpy(), y.asnumpy()
    np.testing.assert_allclose(dx.asnumpy(), 2 * xs * ys)
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * np.broadcast_to(ys, xs.shape))
    np.testing.assert_allclose(y.grad.asnumpy(), (2 * xs).sum(axis=0, keepdims=True))


def test_gammaln_second_derivative_is_trigamma():
    """digamma is made of ops, so gammaln differentiates twice: trigamma(1) = pi^2/6."""
    d1, d2 = second_derivative(mx.nd.gammaln, [1.0, 0.5, 3.0])
    np.testing.assert_allclose(d1, [-EULER, -EULER - 2 * math.log(2), 1.5 - EULER], rtol=1e-9)
    np.testing.assert_allclose(d2, [math.pi ** 2 / 6, math.pi ** 2 / 2, math.pi ** 2 / 6 - 1.25],
                               rtol=1e-8)
