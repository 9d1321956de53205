"""Tests of unit 1 (NDArray basics): one marker per exercise, numpy as the oracle."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minimx as mx
from nd_basics import logsumexp, one_hot, softmax
from nd_views import KINDS, flat_index, sliding_windows, strides_of, writes_through

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


# -- views and strides (nd_views.py) ---------------------------------------------------------------

shapes = hnp.array_shapes(min_dims=0, max_dims=5, min_side=1, max_side=6)
itemsizes = st.sampled_from([1, 2, 4, 8])


@pytest.mark.ex1_4
def test_strides_example():
    assert tuple(strides_of((2, 3, 4), 4)) == (48, 16, 4)
    assert flat_index((1, 2, 3), (2, 3, 4)) == 23


@pytest.mark.ex1_4
@given(shape=shapes, itemsize=itemsizes)
def test_strides_match_numpy(shape, itemsize):
    dtype = {1: np.int8, 2: np.float16, 4: np.float32, 8: np.float64}[itemsize]
    assert tuple(strides_of(shape, itemsize)) == np.empty(shape, dtype).strides


@pytest.mark.ex1_4
@given(data=st.data(), shape=shapes)
def test_flat_index_matches_numpy(data, shape):
    index = tuple(data.draw(st.integers(0, n - 1)) for n in shape)
    k = flat_index(index, shape)
    assert k == np.ravel_multi_index(index, shape)
    if shape:                               # the same element, read from an NDArray's flat data
        x = mx.nd.arange(int(np.prod(shape))).reshape(shape).asnumpy()
        assert x.reshape(-1)[k] == x[index]


def _expression(kind, x, i, j):
    """``KINDS[kind]`` evaluated on ``x``, as its text says."""
    return eval(KINDS[kind], {"mx": mx, "x": x, "i": i, "j": j})    # noqa: S307 (our own table)


# What MXNet 1.9.1 does for x = mx.nd.arange(20).reshape((4, 5)): (kind, i, j) -> a write through
# the result changes x. Recorded from MXNet; minimx's behaviour is checked by the next test.
MXNET_1_9_1 = [("first_axis_slice", 1, 3, True), ("integer_index", 2, 3, True),
               ("reshape", 0, 1, True), ("transpose", 0, 1, False), ("fancy_index", 0, 2, False),
               ("axis1_slice", 1, 3, False), ("axis1_slice", 0, 5, True),
               ("stepped_slice", 0, 3, False), ("stepped_slice", 1, 3, True),
               ("slice_axis", 1, 3, False), ("copy", 0, 1, False)]


@pytest.mark.ex1_5
@pytest.mark.parametrize("kind, i, j, view", MXNET_1_9_1)
def test_writes_through_as_in_mxnet(kind, i, j, view):
    assert writes_through(kind, (4, 5), i, j) == view


@pytest.mark.ex1_5
@given(rows=st.integers(1, 6), cols=st.integers(1, 6))
def test_writes_through_matches_minimx(rows, cols):
    for kind in KINDS:                      # every kind and every i < j, on each drawn shape
        n = cols if kind == "axis1_slice" else rows
        for i, j in ((i, j) for j in range(1, n + 1) for i in range(j)):
            answer = writes_through(kind, (rows, cols), i, j)
            x = mx.nd.arange(rows * cols).reshape((rows, cols))
            y = _expression(kind, x, i, j)
            y[:] = -1                       # write through the result, then look at x
            changed = bool((x.asnumpy() == -1).any())
            assert answer == changed, (
                f"{KINDS[kind]} with x.shape={(rows, cols)}, i={i}, j={j}: you said {answer}, "
                f"but the write {'did' if changed else 'did not'} change x")


@pytest.mark.ex1_6
def test_sliding_windows_example():
    out = sliding_windows(np.arange(6), 3, 2)
    np.testing.assert_array_equal(out, [[0, 1, 2], [2, 3, 4]])


@pytest.mark.ex1_6
@given(data=st.data(), n=st.integers(1, 30), every=st.integers(1, 3),
       dtype=st.sampled_from([np.float32, np.float64, np.int16]))
def test_sliding_windows_match_a_loop(data, n, every, dtype):
    window = data.draw(st.integers(1, n), label="window")
    step = data.draw(st.integers(1, 5), label="step")
    a = np.arange(n * every).astype(dtype)[::every]      # may itself be a strided view
    out = sliding_windows(a, window, step)
    expected = np.array([a[s:s + window] for s in range(0, n - window + 1, step)])
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)
    assert np.shares_memory(out, a), "the windows must be a view of a, not a copy"
    assert out.strides == (step * a.strides[0], a.strides[0])
