"""mx.nd.contrib: boolean_mask (a function over take), arange_like, index_copy, index_array,
div_sqrt_dim and quadratic.

Expected values marked "MXNet 1.9.1" were printed by real MXNet for the same inputs.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minimx as mx
from minimx._kernels import get_backend

REF = get_backend("reference").kernels
CPU = get_backend("cpu").kernels
DATA = [[1., 2.], [3., 4.], [5., 6.]]


# -- boolean_mask ---------------------------------------------------------------------------------
def test_boolean_mask_matches_mxnet():
    out = mx.nd.contrib.boolean_mask(mx.nd.array(DATA), mx.nd.array([0, 1, 1]))
    assert out.shape == (2, 2) and out.dtype == np.float32
    assert out.asnumpy().tolist() == [[3, 4], [5, 6]]
    # any nonzero value selects; an int mask works too (MXNet 1.9.1)
    assert mx.nd.contrib.boolean_mask(mx.nd.array([1, 2, 3]), mx.nd.array([1, 0, 2])) \
        .asnumpy().tolist() == [1, 3]
    assert mx.nd.contrib.boolean_mask(mx.nd.array([[1, 2], [3, 4]]),
                                      mx.nd.array([1, 0], dtype="int32")).shape == (1, 2)


def test_boolean_mask_of_nothing_is_empty():
    assert mx.nd.contrib.boolean_mask(mx.nd.array(DATA), mx.nd.zeros((3,))).shape == (0, 2)


def test_boolean_mask_gradient_matches_mxnet():
    x = mx.nd.array(DATA)
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.contrib.boolean_mask(x, mx.nd.array([0, 1, 1]))
    y.backward()
    assert x.grad.asnumpy().tolist() == [[0, 0], [1, 1], [1, 1]]


def test_boolean_mask_waits_for_a_pending_mask():
    mask = mx.nd.array([3., -1., 2.]) > 0             # computed asynchronously
    out = mx.nd.contrib.boolean_mask(mx.nd.array(DATA), mask)
    assert out.asnumpy().tolist() == [[1, 2], [5, 6]]


@pytest.mark.parametrize("mask,kwargs,words", [
    ([0, 1], {}, "one entry per row"),
    ([0, 1, 1], {"axis": 1}, "only axis=0"),
])
def test_boolean_mask_errors(mask, kwargs, words):
    with pytest.raises(mx.MXNetError, match=words):
        mx.nd.contrib.boolean_mask(mx.nd.array(DATA), mx.nd.array(mask), **kwargs)


@given(st.lists(st.booleans(), min_size=1, max_size=8), st.integers(1, 3))
def test_boolean_mask_is_numpy_masking(mask, cols):
    data = np.arange(len(mask) * cols, dtype=np.float32).reshape(len(mask), cols)
    out = mx.nd.contrib.boolean_mask(mx.nd.array(data), mx.nd.array(np.array(mask, np.float32)))
    np.testing.assert_array_equal(out.asnumpy(), data[np.array(mask)])


# -- arange_like ----------------------------------------------------------------------------------
def test_arange_like_matches_mxnet():
    d = mx.nd.array(DATA)
    assert mx.nd.contrib.arange_like(d).asnumpy().tolist() == [[0, 1], [2, 3], [4, 5]]
    assert mx.nd.contrib.arange_like(d, axis=0, start=2, step=0.5).asnumpy().tolist() == \
        [2, 2.5, 3]
    assert mx.nd.contrib.arange_like(d, repeat=2).asnumpy().tolist() == [[0, 0], [1, 1], [2, 2]]
    assert mx.nd.contrib.arange_like(d, axis=-1, repeat=2).asnumpy().tolist() == [0, 0]
    assert mx.nd.contrib.arange_like(mx.nd.zeros((2, 3), dtype="int32")).dtype == np.int32
    assert mx.nd.contrib.arange_like(mx.nd.zeros((2,), dtype="float64")).dtype == np.float64


def test_arange_like_has_no_gradient_and_checks_axis():
    x = mx.nd.array([1., 2.])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.contrib.arange_like(x) * 2
    y.backward()
    assert x.grad.asnumpy().tolist() == [0, 0]                # MXNet 1.9.1
    with pytest.raises(mx.MXNetError, match="out of range"):
        mx.nd.contrib.arange_like(x, axis=1)


# -- index_copy -----------------------------------------------------------------------------------
def test_index_copy_matches_mxnet():
    out = mx.nd.contrib.index_copy(mx.nd.zeros((5, 2)), mx.nd.array([0, 4, 2]), mx.nd.array(DATA))
    assert out.asnumpy().tolist() == [[1, 2], [0, 0], [5, 6], [0, 0], [3, 4]]
    out = mx.nd.contrib.index_copy(mx.nd.zeros((3, 2)), mx.nd.array([2], dtype="int64"),
                                   mx.nd.ones((1, 2)))
    assert out.asnumpy().tolist() == [[0, 0], [0, 0], [1, 1]]
    # an index out of range writes nothing (MXNet 1.9.1)
    out = mx.nd.contrib.index_copy(mx.nd.zeros((3, 2)), mx.nd.array([5]), mx.nd.ones((1, 2)))
    assert out.asnumpy().tolist() == [[0, 0]] * 3


def test_index_copy_gradient_matches_mxnet():
    x, n = mx.nd.ones((3, 2)), mx.nd.ones((1, 2))
    x.attach_grad()
    n.attach_grad()
    with mx.autograd.record():
        y = mx.nd.contrib.index_copy(x, mx.nd.array([1]), n)
    y.backward(mx.nd.arange(6).reshape((3, 2)))
    assert x.grad.asnumpy().tolist() == [[0, 1], [0, 0], [4, 5]]
    assert n.grad.asnumpy().tolist() == [[2, 3]]


def test_index_copy_rejects_mismatched_rows():
    with pytest.raises(mx.MXNetError, match="new_tensor has shape"):
        mx.nd.contrib.index_copy(mx.nd.zeros((3, 2)), mx.nd.array([2]), mx.nd.ones((2, 2)))


# -- index_array, div_sqrt_dim, quadratic ---------------------------------------------------------
def test_index_array_matches_mxnet():
    out = mx.nd.contrib.index_array(mx.nd.zeros((2, 3)))
    assert out.shape == (2, 3, 2) and out.dtype == np.int64
    assert out.asnumpy()[1].tolist() == [[1, 0], [1, 1], [1, 2]]
    out = mx.nd.contrib.index_array(mx.nd.zeros((2, 3)), axes=(-1, 0))
    assert out.asnumpy()[1].tolist() == [[0, 1], [1, 1], [2, 1]]
    assert mx.nd.contrib.index_array(mx.nd.zeros((2, 3)), axes=(1,)).shape == (2, 3, 1)
    with pytest.raises(mx.MXNetError, match="out of range"):
        mx.nd.contrib.index_array(mx.nd.zeros((2, 3)), axes=(2,))


def test_div_sqrt_dim_and_quadratic_match_mxnet():
    out = mx.nd.contrib.div_sqrt_dim(mx.nd.ones((2, 4), dtype="float64"))
    assert out.dtype == np.float64 and out.asnumpy().tolist() == [[0.5] * 4] * 2
    out = mx.nd.contrib.quadratic(mx.nd.array([1, 2, 3]), a=1, b=2, c=3)
    assert out.asnumpy().tolist() == [6, 11, 18]
    assert mx.nd.contrib.quadratic(mx.nd.array([1, 2])).asnumpy().tolist() == [0, 0]  # defaults


def test_quadratic_gradient():
    x = mx.nd.array([1., -2.])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.contrib.quadratic(x, a=1.5, b=2.)
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [5., -4.])


def test_cpu_backend_agrees_with_reference():
    x = np.random.default_rng(0).uniform(-2, 2, (3, 5))
    for name, attrs in [("_contrib_quadratic", {"a": 1., "b": 2., "c": 3.}),
                        ("_contrib_div_sqrt_dim", {}),
                        ("_contrib_arange_like", {"start": 1., "step": 2., "repeat": 2})]:
        a, b = np.zeros_like(x), np.zeros_like(x)
        REF[name]([x], [a], attrs)
        CPU[name]([x], [b], attrs)
        np.testing.assert_array_equal(a, b)
