"""Tests of unit 1 (NDArray basics): one marker per exercise, numpy as the oracle."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minimx as mx
from nd_basics import logsumexp, one_hot, softmax

# Matrices with entries up to +-1000: exp() of those overflows float32, so only a stable
# implementation passes (the planted bug "forgot to subtract the max" is caught here).
matrices = hnp.arrays(np.float32, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=6),
                      elements=st.floats(-1000, 1000, width=32))


def np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_logsumexp(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))).squeeze(axis)


@pytest.mark.ex1_1
def test_softmax_small_example():
    out = softmax(mx.nd.array([[1.0, 2.0, 3.0]])).asnumpy()
    np.testing.assert_allclose(out, [[0.09003057, 0.24472847, 0.66524096]], rtol=1e-5)


@pytest.mark.ex1_1
@given(x=matrices, axis=st.sampled_from([0, 1, -1]))
def test_softmax_matches_numpy(x, axis):
    out = softmax(mx.nd.array(x), axis=axis)
    assert out.shape == x.shape
    np.testing.assert_allclose(out.asnumpy(), np_softmax(x.astype(np.float64), axis), atol=1e-5)


@pytest.mark.ex1_2
def test_one_hot_example():
    out = one_hot(mx.nd.array([2, 0, 1]), 4)
    assert out.shape == (3, 4)
    np.testing.assert_array_equal(out.asnumpy(), [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])


@pytest.mark.ex1_2
@given(labels=st.lists(st.integers(0, 9), min_size=1, max_size=20), extra=st.integers(0, 3))
def test_one_hot_matches_numpy(labels, extra):
    depth = 10 + extra
    out = one_hot(mx.nd.array(labels), depth).asnumpy()
    np.testing.assert_array_equal(out, np.eye(depth, dtype=np.float32)[labels])


@pytest.mark.ex1_3
def test_logsumexp_example():
    out = logsumexp(mx.nd.array([[0.0, 0.0], [1000.0, 1000.0]]), axis=1).asnumpy()
    np.testing.assert_allclose(out, [np.log(2), 1000 + np.log(2)], rtol=1e-6)


@pytest.mark.ex1_3
@given(x=matrices, axis=st.sampled_from([0, 1, -1]))
def test_logsumexp_matches_numpy(x, axis):
    out = logsumexp(mx.nd.array(x), axis=axis)
    expected = np_logsumexp(x.astype(np.float64), axis)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-5, atol=1e-4)
