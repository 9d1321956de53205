"""Gradient rules of the linalg family beyond the generated finite-difference check
(tests/test_op_grads.py): N-d ``dot`` semantics, FullyConnected's layouts, potrf's symmetric
gradient, values observed in MXNet 1.9.1, and second derivatives through
``autograd.grad(create_graph=True)``."""
import numpy as np
import pytest

import minimx as mx
from minimx.ops import get_op
from test_op_grads import check_gradient

F64 = "float64"


def nd(x):
    return mx.nd.array(np.asarray(x, dtype=np.float64), dtype=F64)


def fd_check(name, attrs, inputs, seed=0, rtol=1e-5, atol=1e-7):
    op = get_op(name)
    check_gradient(op, op.parse(attrs), [np.ascontiguousarray(x, np.float64) for x in inputs],
                   np.random.default_rng(seed), rtol=rtol, atol=atol)


# -- dot: every transpose combination, N-d and 1-d operands ------------------------------------
@pytest.mark.parametrize("lhs,rhs,ta,tb", [
    ((2, 3, 4), (4, 5), False, False),        # N-d lhs: its last axis is contracted
    ((4, 2, 3), (4, 5), True, False),         # transpose_a contracts lhs's first axis
    ((2, 3), (5, 2, 3), False, True),         # transpose_b contracts rhs's last axis
    ((3, 2, 2), (4, 3), True, True),
    ((2, 3, 4), (4, 2, 3), False, False),     # N-d x N-d
    ((4,), (4, 3), False, False),             # vector x matrix
    ((3, 4), (4,), False, False),
    ((4,), (4,), False, False),               # inner product: output (1,)
    ((4,), (3, 4), False, True),
    ((4,), (4, 3), True, False),
])
def test_dot_nd_gradients(lhs, rhs, ta, tb):
    rng = np.random.default_rng(len(lhs) * 7 + len(rhs))
    fd_check("dot", {"transpose_a": ta, "transpose_b": tb},
             [rng.uniform(-2, 2, lhs), rng.uniform(-2, 2, rhs)])


def test_dot_gradient_values():
    a, b = nd([[1, 2], [3, 4]]), nd([[5, 6, 7], [8, 9, 10]])
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        y = mx.nd.dot(a, b)
    y.backward(nd(np.ones((2, 3))))
    np.testing.assert_allclose(a.grad.asnumpy(), [[18, 27], [18, 27]])
    np.testing.assert_allclose(b.grad.asnumpy(), [[4, 4, 4], [6, 6, 6]])


@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_batch_dot_4d(ta, tb):
    rng = np.random.default_rng(3)
    lhs = (2, 3, 4, 2) if ta else (2, 3, 2, 4)
    rhs = (2, 3, 5, 4) if tb else (2, 3, 4, 5)
    fd_check("batch_dot", {"transpose_a": ta, "transpose_b": tb},
             [rng.uniform(-1, 1, lhs), rng.uniform(-1, 1, rhs)])


def test_gemm_with_batch_axis_in_the_middle():
    rng = np.random.default_rng(4)
    fd_check("_linalg_gemm", {"axis": 0, "alpha": 1.5, "beta": -0.5, "transpose_b": True},
             [rng.uniform(-1, 1, (3, 2, 4)), rng.uniform(-1, 1, (5, 2, 4)),
              rng.uniform(-1, 1, (3, 2, 5))])


# -- FullyConnected ----------------------------------------------------------------------------
@pytest.mark.parametrize("data,attrs,bias", [
    ((2, 3, 2), {"num_hidden": 3}, (3,)),
    ((2, 3, 2), {"num_hidden": 3, "no_bias": True}, None),
    ((2, 2, 3), {"num_hidden": 2, "flatten": False}, (2,)),
    ((3,), {"num_hidden": 2, "flatten": False}, (2,)),
    ((4,), {"num_hidden": 2}, (2, 1)),        # flatten=True views 1-d data as (4, 1); bias (nh, 1)
])
def test_fully_connected_layouts(data, attrs, bias):
    rng = np.random.default_rng(5)
    units = data[-1] if not attrs.get("flatten", True) else int(np.prod(data[1:]))
    inputs = [rng.uniform(-1, 1, data), rng.uniform(-1, 1, (attrs["num_hidden"], units))]
    if bias is not None:
        inputs.append(rng.uniform(-1, 1, bias))
    fd_check("FullyConnected", attrs, inputs)


def test_fully_connected_gradient_values():
    # Observed in MXNet 1.9.1 (FullyConnected, head gradient of ones).
    x, w, b = nd([[1, 2], [3, 4]]), nd([[1, 0], [0, 1], [1, 1]]), nd([0, 0, 0])
    for v in (x, w, b):
        v.attach_grad()
    with mx.autograd.record():
        y = mx.nd.FullyConnected(x, w, b, num_hidden=3)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [[2, 2], [2, 2]])
    np.testing.assert_allclose(w.grad.asnumpy(), [[4, 6], [4, 6], [4, 6]])
    np.testing.assert_allclose(b.grad.asnumpy(), [2, 2, 2])


# -- potrf, trsm, syrk (values from MXNet 1.9.1) ------------------------------------------------
def test_potrf_gradient_is_symmetric_and_matches_mxnet():
    a = nd([[4., 1, 0.5], [1, 3, 0.2], [0.5, 0.2, 2]])
    a.attach_grad()
    with mx.autograd.record():
        low = mx.nd.linalg_potrf(a)
    low.backward(nd(np.arange(9).reshape(3, 3) + 1.))
    np.testing.assert_allclose(a.grad.asnumpy(), [[0.0673, 0.3485, 0.7647],
                                                  [0.3485, 1.4442, 2.3239],
                                                  [0.7647, 2.3239, 3.2346]], atol=1e-4)


def test_potrf_gradient_matches_symmetric_differences():
    """A is symmetric: perturbing A[i, j] and A[j, i] together changes f by dA[i, j] + dA[j, i]."""
    rng = np.random.default_rng(6)
    m = rng.uniform(-1, 1, (2, 3, 3))
    a0 = m @ m.transpose(0, 2, 1) + 3 * np.eye(3)
    w = rng.standard_normal((2, 3, 3))
    a = nd(a0)
    a.attach_grad()
    with mx.autograd.record():
        low = mx.nd.linalg_potrf(a)
    low.backward(nd(w))
    grad = a.grad.asnumpy()

    def f(x):
        return float((np.linalg.cholesky(x) * w).sum())
    eps = 1e-6
    for b in range(2):
        for i in range(3):
            for j in range(i + 1):
                e = np.zeros_like(a0)
                e[b, i, j] = e[b, j, i] = eps
                numeric = (f(a0 + e) - f(a0 - e)) / (2 * eps)
                expected = grad[b, i, j] + (grad[b, j, i] if i != j else 0)
                assert abs(numeric - expected) < 1e-6


def test_trsm_gradient_matches_mxnet():
    a = nd(np.array([[2., 0, 0], [1, 3, 0], [0.5, 0.2, 2]]) + np.triu(np.ones((3, 3)), 1))
    b = nd(np.ones((3, 2)))
    a.attach_grad()
    b.attach_grad()
    with mx.autograd.record():
        x = mx.nd.linalg_trsm(a, b, alpha=2.0)
    x.backward(nd(np.arange(6).reshape(3, 2) + 1.))
    # Only the lower triangle is read, so the upper triangle gets no gradient.
    np.testing.assert_allclose(a.grad.asnumpy(), [[0.8583, 0, 0], [-1.9667, -0.6556, 0],
                                                  [-5.5, -1.8333, -3.9417]], atol=1e-4)
    np.testing.assert_allclose(b.grad.asnumpy(), [[-1.0833, -0.6333], [1.6667, 2.2667], [5, 6]],
                               atol=1e-4)


def test_syrk_gradient_matches_mxnet():
    a = nd(np.arange(6).reshape(2, 3))
    a.attach_grad()
    with mx.autograd.record():
        y = mx.nd.linalg_syrk(a, alpha=0.5)
    y.backward(nd([[1, 2], [3, 4]]))
    np.testing.assert_allclose(a.grad.asnumpy(), [[7.5, 11, 14.5], [12, 18.5, 25]])


def test_khatri_rao_two_and_one_inputs():
    rng = np.random.default_rng(7)
    fd_check("khatri_rao", {}, [rng.uniform(-1, 1, (2, 3)), rng.uniform(-1, 1, (4, 3))])
    fd_check("khatri_rao", {}, [rng.uniform(-1, 1, (3, 2))])


# -- second derivatives --------------------------------------------------------------------------
def second_order(fn, values, head, u):
    """Gradients of ``<u, d<head, fn(values)>/d values[0]>`` with respect to every value: through
    ``autograd.grad(create_graph=True)`` then ``backward``, and by central differences of the
    first derivative (itself checked against finite differences elsewhere)."""
    def first(vals):
        arrays = [nd(v) for v in vals]
        for x in arrays:
            x.attach_grad()
        with mx.autograd.record():
            y = fn(*arrays)
        return mx.autograd.grad(y, [arrays[0]], head_grads=nd(head))[0].asnumpy()

    arrays = [nd(v) for v in values]
    for x in arrays:
        x.attach_grad()
    with mx.autograd.record():
        y = fn(*arrays)
        g = mx.autograd.grad(y, [arrays[0]], head_grads=nd(head), create_graph=True)[0]
    g.backward(nd(u))
    eps = 1e-6
    for k, v in enumerate(values):
        numeric = np.zeros_like(v)
        for i in range(v.size):
            plus = [x.copy() for x in values]
            minus = [x.copy() for x in values]
            plus[k].reshape(-1)[i] += eps
            minus[k].reshape(-1)[i] -= eps
            numeric.reshape(-1)[i] = ((first(plus) - first(minus)) * u).sum() / (2 * eps)
        np.testing.assert_allclose(arrays[k].grad.asnumpy(), numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_dot_second_derivative(ta, tb):
    rng = np.random.default_rng(8)
    a = rng.uniform(-1, 1, (3, 3))
    b = rng.uniform(-1, 1, (3, 3))
    # dot(a, a) is quadratic in a: its second derivative is not zero.
    second_order(lambda x, w: mx.nd.dot(x, mx.nd.broadcast_mul(x, w), transpose_a=ta,
                                        transpose_b=tb), [a, b], rng.standard_normal((3, 3)),
                 rng.standard_normal((3, 3)))


def test_dot_second_derivative_closed_form():
    """d/dw <u, d<v, x w>/dx> = d/dw <u, v w^T> = u^T v."""
    rng = np.random.default_rng(9)
    x, w = nd(rng.standard_normal((2, 3))), nd(rng.standard_normal((3, 4)))
    v, u = rng.standard_normal((2, 4)), rng.standard_normal((2, 3))
    x.attach_grad()
    w.attach_grad()
    with mx.autograd.record():
        y = mx.nd.dot(x, w)
        gx = mx.autograd.grad(y, [x], head_grads=nd(v), create_graph=True)[0]
    gx.backward(nd(u))
    np.testing.assert_allclose(w.grad.asnumpy(), u.T @ v, rtol=1e-12)


@pytest.mark.parametrize("attrs,data", [({"num_hidden": 3}, (2, 4)),
                                        ({"num_hidden": 2, "flatten": False}, (2, 2, 3))])
def test_fully_connected_second_derivative(attrs, data):
    rng = np.random.default_rng(10)
    units = data[-1]
    x = rng.uniform(-1, 1, data)
    w = rng.uniform(-1, 1, (attrs["num_hidden"], units))
    b = rng.uniform(-1, 1, (attrs["num_hidden"],))
    out = data[:-1] + (attrs["num_hidden"],)

    def fn(x, w, b):       # a squared layer, so the second derivative involves x, w and b
        z = mx.nd.FullyConnected(x, w, b, **attrs)
        return mx.nd.broadcast_mul(z, z)
    second_order(fn, [x, w, b], rng.standard_normal(out), rng.standard_normal(data))
