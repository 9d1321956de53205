"""Tests of unit 4 (an op end to end): hypothesis against the library's ``mx.nd.hard_sigmoid``."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minimx as mx
from hard_sigmoid import HardSigmoid, hard_sigmoid_backward, hard_sigmoid_forward

# Inputs wide enough to reach both flat parts for every drawn alpha and beta.
arrays = hnp.arrays(np.float32, hnp.array_shapes(max_dims=3, max_side=5),
                    elements=st.floats(-10, 10, width=32))
alphas = st.floats(0.05, 1.0)
betas = st.floats(-1.0, 1.0)


def reference(x, alpha, beta, out_grad=None):
    """Forward and input gradient of the library's op (autograd through its gradient rule)."""
    xs = mx.nd.array(x, dtype="float32")
    xs.attach_grad()
    with mx.autograd.record():
        y = mx.nd.hard_sigmoid(xs, alpha=alpha, beta=beta)
    y.backward(None if out_grad is None else mx.nd.array(out_grad))
    return y.asnumpy(), xs.grad.asnumpy()


@pytest.mark.ex4_1
def test_forward_example():
    x = np.array([-5.0, -2.5, 0.0, 1.0, 2.5, 5.0], dtype=np.float32)
    out = hard_sigmoid_forward(x)
    np.testing.assert_array_equal(out, np.array([0.0, 0.0, 0.5, 0.7, 1.0, 1.0], dtype=np.float32))
    assert out.dtype == np.float32 and x[0] == -5.0


@pytest.mark.ex4_1
@given(x=arrays, alpha=alphas, beta=betas)
def test_forward_matches_library(x, alpha, beta):
    out = hard_sigmoid_forward(x.copy(), alpha, beta)
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_array_equal(out, reference(x, alpha, beta)[0])


@pytest.mark.ex4_2
def test_backward_example():
    out = np.array([0.0, 0.3, 1.0, 0.999], dtype=np.float32)
    got = hard_sigmoid_backward(out, np.full(4, 2.0, np.float32), alpha=0.5)
    np.testing.assert_array_equal(got, [0.0, 1.0, 0.0, 1.0])


@pytest.mark.ex4_2
@given(x=arrays, alpha=alphas, beta=betas, data=st.data())
def test_backward_matches_library(x, alpha, beta, data):
    # Catches a gradient that ignores the flat parts, or ignores the incoming gradient.
    dy = data.draw(hnp.arrays(np.float32, x.shape, elements=st.floats(-2, 2, width=32)))
    y, dx = reference(x, alpha, beta, dy)
    got = hard_sigmoid_backward(y, dy, alpha)
    assert got.shape == x.shape
    np.testing.assert_allclose(got, dx, rtol=1e-6, atol=0)


@pytest.mark.ex4_3
@given(x=arrays, alpha=alphas, beta=betas)
def test_function_matches_library(x, alpha, beta):
    xs = mx.nd.array(x)
    xs.attach_grad()
    with mx.autograd.record():
        y = HardSigmoid(alpha, beta)(xs)
    y.backward()
    ref_y, ref_dx = reference(x, alpha, beta)
    np.testing.assert_array_equal(y.asnumpy(), ref_y)
    np.testing.assert_allclose(xs.grad.asnumpy(), ref_dx, rtol=1e-6)


@pytest.mark.ex4_3
def test_function_in_a_network():
    # The op trains: one SGD step on a Dense layer followed by HardSigmoid lowers the loss.
    mx.random.seed(0)
    dense = mx.gluon.nn.Dense(3, in_units=4)
    dense.initialize(mx.init.Uniform(0.5))
    trainer = mx.gluon.Trainer(dense.collect_params(), "sgd", {"learning_rate": 1.0})
    x, target = mx.nd.random.uniform(-1, 1, shape=(8, 4)), mx.nd.full((8, 3), 0.9)
    losses = []
    for _ in range(2):
        with mx.autograd.record():
            loss = ((HardSigmoid()(dense(x)) - target) ** 2).mean()
        loss.backward()
        trainer.step(1)
        losses.append(loss.asscalar())
    assert losses[1] < losses[0]
