"""Tests of unit 2 (autograd): numpy as the oracle; each exercise is tested on its own."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minimx as mx
from custom_grad import StableSigmoid, numeric_grad

vectors = hnp.arrays(np.float32, st.integers(1, 12), elements=st.floats(-200, 200, width=32))


def np_sigmoid(x):
    x = x.astype(np.float64)
    return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))


@pytest.mark.ex2_1
def test_sigmoid_forward_extremes():
    y = StableSigmoid()(mx.nd.array([-1000.0, 0.0, 1000.0])).asnumpy()
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(y, [0.0, 0.5, 1.0], atol=1e-7)


@pytest.mark.ex2_1
@given(x=vectors, dy=st.floats(-3, 3))
def test_sigmoid_forward_and_backward(x, dy):
    # A head gradient other than 1 catches a backward that ignores its input gradient.
    xs = mx.nd.array(x)
    xs.attach_grad()
    with mx.autograd.record():
        y = StableSigmoid()(xs)
    y.backward(mx.nd.full(x.shape, dy))
    s = np_sigmoid(x)
    np.testing.assert_allclose(y.asnumpy(), s, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(xs.grad.asnumpy(), dy * s * (1 - s), rtol=1e-4, atol=1e-7)


@pytest.mark.ex2_1
def test_sigmoid_inside_a_bigger_graph():
    x = mx.nd.array([0.5, -1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        loss = (StableSigmoid()(x * 2) ** 2).sum()
    loss.backward()
    s = np_sigmoid(np.array([1.0, -2.0, 4.0]))
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * s * s * (1 - s) * 2, rtol=1e-5)


@pytest.mark.ex2_2
def test_numeric_grad_of_a_square():
    x = np.array([1.0, -2.0, 3.0])
    g = numeric_grad(lambda v: float((v ** 2).sum()), x)
    np.testing.assert_allclose(g, 2 * x, rtol=1e-6)
    np.testing.assert_array_equal(x, [1.0, -2.0, 3.0])


@pytest.mark.ex2_2
@given(x=hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=4), elements=st.floats(-2, 2)))
def test_numeric_grad_matches_analytic(x):
    # f(v) = sum(sin(v) * v): its gradient is cos(v) * v + sin(v).
    before = x.copy()
    g = numeric_grad(lambda v: float((np.sin(v) * v).sum()), x, eps=1e-5)
    assert g.shape == x.shape
    np.testing.assert_allclose(g, np.cos(x) * x + np.sin(x), rtol=1e-6, atol=1e-8)
    np.testing.assert_array_equal(x, before)


@pytest.mark.ex2_2
def test_numeric_grad_checks_an_autograd_gradient():
    # The use in practice: compare autograd with finite differences.
    x0 = np.array([[0.3, -0.7], [1.1, 0.2]])
    x = mx.nd.array(x0, dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        y = (mx.nd.tanh(x) * x).sum()
    y.backward()
    g = numeric_grad(lambda v: float((np.tanh(v) * v).sum()), x0)
    np.testing.assert_allclose(x.grad.asnumpy(), g, rtol=1e-6)
