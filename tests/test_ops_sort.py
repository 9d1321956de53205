"""The sort family (sort, argsort, topk): values and shapes against what MXNet 1.9.1 printed, the
order of equal values, index dtypes, error messages, and random inputs against numpy.

Expected values marked "MXNet" were observed with a real MXNet 1.9.1 (CPU build).
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minimx as mx
from minimx.ops import get_op

nd = mx.nd
A = [[3, 1, 3, 2, 1, 3], [0, 0, 0, 0, 0, 0]]     # ties everywhere


def check(x, shape, dtype, values):
    assert x.shape == shape, (x.shape, shape)
    assert x.dtype == np.dtype(dtype), (x.dtype, dtype)
    np.testing.assert_array_equal(x.asnumpy(), np.array(values, dtype=np.float64))


# -- sort and argsort --------------------------------------------------------------------------
@pytest.mark.parametrize("op, kwargs, shape, values", [                         # MXNet
    ("sort", {}, (2, 6), [[1, 1, 2, 3, 3, 3], [0] * 6]),
    ("sort", {"is_ascend": False}, (2, 6), [[3, 3, 3, 2, 1, 1], [0] * 6]),
    ("sort", {"axis": 0}, (2, 6), [[0] * 6, [3, 1, 3, 2, 1, 3]]),
    ("sort", {"axis": None}, (12,), [0] * 6 + [1, 1, 2, 3, 3, 3]),
    ("argsort", {}, (2, 6), [[1, 4, 3, 0, 2, 5], [0, 1, 2, 3, 4, 5]]),
    ("argsort", {"is_ascend": False}, (2, 6), [[0, 2, 5, 3, 1, 4], [0, 1, 2, 3, 4, 5]]),
    ("argsort", {"axis": None}, (12,), [6, 7, 8, 9, 10, 11, 1, 4, 3, 0, 2, 5]),
    ("argsort", {"axis": None, "is_ascend": False}, (12,), [0, 2, 5, 3, 1, 4, 6, 7, 8, 9, 10, 11]),
    ("argsort", {"axis": -2}, (2, 6), [[1] * 6, [0] * 6]),
])
def test_sort_and_argsort_as_mxnet(op, kwargs, shape, values):
    check(getattr(nd, op)(nd.array(A), **kwargs), shape, "float32", values)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "float16", "float64"])
def test_argsort_index_dtype_as_mxnet(dtype):
    check(nd.argsort(nd.array(A), dtype=dtype), (2, 6), dtype,
          [[1, 4, 3, 0, 2, 5], list(range(6))])


def test_sort_keeps_the_input_dtype_and_argsort_defaults_to_float32():
    a = nd.array(A, dtype="int32")
    check(nd.sort(a), (2, 6), "int32", [[1, 1, 2, 3, 3, 3], [0] * 6])                # MXNet
    check(nd.argsort(a), (2, 6), "float32", [[1, 4, 3, 0, 2, 5], list(range(6))])     # MXNet
    check(nd.argsort(nd.array(A, dtype="float64")), (2, 6), "float32",                # MXNet
          [[1, 4, 3, 0, 2, 5], list(range(6))])
    check(nd.array(A).sort(axis=0), (2, 6), "float32", [[0] * 6, [3, 1, 3, 2, 1, 3]])


def test_index_casts_wrap_and_round_as_mxnet():
    idx = nd.argsort(nd.array(np.arange(300)[::-1]), dtype="uint8").asnumpy()
    assert idx[:5].tolist() == [43, 42, 41, 40, 39] and idx[-5:].tolist() == [4, 3, 2, 1, 0]
    idx = nd.argsort(nd.array(np.arange(3000)[::-1]), dtype="float16").asnumpy()
    assert idx[:5].tolist() == [3000, 2998, 2996, 2996, 2996]
    assert nd.topk(nd.array(np.arange(300)), dtype="uint8", k=3).asnumpy().tolist() == [43, 42, 41]


# -- topk ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, shape, values", [                              # MXNet
    ({}, (2, 1), [[0], [0]]),
    ({"k": 3}, (2, 3), [[0, 2, 5], [0, 1, 2]]),
    ({"k": 3, "is_ascend": True}, (2, 3), [[1, 4, 3], [0, 1, 2]]),
    ({"k": 3, "ret_typ": "value"}, (2, 3), [[3, 3, 3], [0, 0, 0]]),
    ({"k": 3, "ret_typ": "mask"}, (2, 6), [[1, 0, 1, 0, 0, 1], [1, 1, 1, 0, 0, 0]]),
    ({"k": 3, "ret_typ": "mask", "is_ascend": True}, (2, 6),
     [[0, 1, 0, 1, 1, 0], [1, 1, 1, 0, 0, 0]]),
    ({"k": 0}, (2, 6), [[0, 2, 5, 3, 1, 4], [0, 1, 2, 3, 4, 5]]),
    ({"k": -1}, (2, 6), [[0, 2, 5, 3, 1, 4], [0, 1, 2, 3, 4, 5]]),
    ({"k": 6}, (2, 6), [[0, 2, 5, 3, 1, 4], [0, 1, 2, 3, 4, 5]]),
    ({"k": 2, "axis": 0}, (2, 6), [[0] * 6, [1] * 6]),
    ({"k": 3, "axis": None}, (3,), [0, 2, 5]),
    ({"k": 3, "axis": None, "ret_typ": "mask"}, (2, 6), [[1, 0, 1, 0, 0, 1], [0] * 6]),
    ({"k": 0, "axis": None}, (12,), [0, 2, 5, 3, 1, 4, 6, 7, 8, 9, 10, 11]),
    ({"k": 2, "dtype": "uint8"}, (2, 2), [[0, 2], [0, 1]]),
])
def test_topk_as_mxnet(kwargs, shape, values):
    out = nd.topk(nd.array(A), **kwargs)
    dtype = kwargs.get("dtype", "float32")
    check(out, shape, dtype, values)


def test_topk_both_returns_values_and_indices_as_mxnet():
    values, indices = nd.topk(nd.array(A), k=3, ret_typ="both")
    check(values, (2, 3), "float32", [[3, 3, 3], [0, 0, 0]])
    check(indices, (2, 3), "float32", [[0, 2, 5], [0, 1, 2]])
    values, indices = nd.topk(nd.array(A), k=0, ret_typ="both")
    check(values, (2, 6), "float32", [[3, 3, 3, 2, 1, 1], [0] * 6])
    check(indices, (2, 6), "float32", [[0, 2, 5, 3, 1, 4], list(range(6))])
    values, indices = nd.topk(nd.array(A), k=3, axis=None, ret_typ="both")
    check(values, (3,), "float32", [3, 3, 3])
    check(indices, (3,), "float32", [0, 2, 5])
    values, indices = nd.array(A).topk(k=2, dtype="int32", ret_typ="both")
    check(values, (2, 2), "float32", [[3, 3], [0, 0]])
    check(indices, (2, 2), "int32", [[0, 2], [0, 1]])
    values, indices = nd.topk(nd.array(A, dtype="float64"), k=2, ret_typ="both")
    check(values, (2, 2), "float64", [[3, 3], [0, 0]])
    check(indices, (2, 2), "float32", [[0, 2], [0, 1]])
    values, indices = nd.topk(nd.array(A, dtype="int32"), k=2, ret_typ="both")
    check(values, (2, 2), "int32", [[3, 3], [0, 0]])
    check(indices, (2, 2), "float32", [[0, 2], [0, 1]])


def test_topk_mask_has_the_data_dtype_as_mxnet():
    mask = [[1, 0, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0]]
    check(nd.topk(nd.array(A, dtype="int32"), k=2, ret_typ="mask"), (2, 6), "int32", mask)
    check(nd.topk(nd.array(A, dtype="float64"), k=2, ret_typ="mask"), (2, 6), "float64", mask)
    check(nd.topk(nd.array(A), k=2, ret_typ="mask", dtype="float16"), (2, 6), "float32", mask)


def test_topk_along_a_middle_axis_as_mxnet():
    x = nd.array(np.arange(24).reshape(2, 3, 4) % 5)
    values, indices = nd.topk(x, k=2, axis=1, ret_typ="both")
    check(values, (2, 2, 4), "float32",
          [[[4, 4, 2, 3], [3, 1, 1, 2]], [[2, 3, 4, 4], [1, 2, 3, 3]]])
    check(indices, (2, 2, 4), "float32",
          [[[1, 2, 0, 0], [2, 0, 1, 1]], [[0, 0, 0, 1], [1, 1, 1, 2]]])


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, match", [
    (lambda a: nd.sort(a, axis=2), "axis 2 is out of range for a 2-d input"),
    (lambda a: nd.sort(a, axis=-3), "axis -3 is out of range for a 2-d input"),
    (lambda a: nd.argsort(a, axis=2), "axis 2 is out of range"),
    (lambda a: nd.topk(a, axis=2), "axis 2 is out of range"),
    (lambda a: nd.topk(a, k=7), "k=7 is larger than the 6 elements along axis -1"),
    (lambda a: nd.topk(a, k=3, axis=0), "k=3 is larger than the 2 elements along axis 0"),
    (lambda a: nd.topk(a, k=13, axis=None), "the 12 elements along the flattened input"),
    (lambda a: nd.topk(a, ret_typ="bad"), "'both', 'indices', 'mask', 'value'"),
    (lambda a: nd.argsort(a, dtype="int8"),
     "'float16', 'float32', 'float64', 'int32', 'int64', 'uint8', got 'int8'"),
    (lambda a: nd.sort(nd.array([1, 0, 1], dtype="bool")), "bool"),
])
def test_errors_name_the_problem(call, match):
    with pytest.raises(mx.MXNetError, match=match):
        call(nd.array(A))


def test_defaults_are_mxnets():
    def defaults(name):
        return {p.name: p.default for p in get_op(name).params}
    assert defaults("sort") == {"axis": -1, "is_ascend": True}
    assert defaults("argsort") == {"axis": -1, "is_ascend": True, "dtype": "float32"}
    assert defaults("topk") == {"axis": -1, "k": 1, "ret_typ": "indices", "is_ascend": False,
                                "dtype": "float32"}


# -- the order of equal values -------------------------------------------------------------------
def test_ties_keep_input_order_as_mxnet_for_short_axes():
    """MXNet's CPU sort is std::sort, which (insertion sort) is stable up to 16 elements."""
    x = np.array([2, 1, 1, 2, 0, 2, 1, 0, 0, 2, 1, 2, 0, 1, 1, 0], np.float32)   # MXNet below
    check(nd.argsort(nd.array(x)), (16,), "float32",
          [4, 7, 8, 12, 15, 1, 2, 6, 10, 13, 14, 0, 3, 5, 9, 11])
    check(nd.argsort(nd.array(x), is_ascend=False), (16,), "float32",
          [0, 3, 5, 9, 11, 1, 2, 6, 10, 13, 14, 4, 7, 8, 12, 15])
    check(nd.topk(nd.array(x), k=3), (3,), "float32", [0, 3, 5])


def stable_order(x, axis, ascending):
    keys = x if ascending else -x.astype(np.float64)
    return np.argsort(keys, axis=axis, kind="stable")


@given(st.lists(st.integers(1, 6), min_size=1, max_size=3), st.integers(0, 2 ** 32 - 1),
       st.booleans(), st.sampled_from(["float32", "float64", "int32"]))
def test_against_a_stable_numpy_sort(shape, seed, ascending, dtype):
    x = np.random.default_rng(seed).integers(-2, 3, shape).astype(dtype)   # many ties
    axis = int(np.random.default_rng(seed).integers(-len(shape), len(shape)))
    order = stable_order(x, axis, ascending)
    got = nd.argsort(nd.array(x, dtype=dtype), axis=axis, is_ascend=ascending, dtype="int64")
    np.testing.assert_array_equal(got.asnumpy(), order)
    got = nd.sort(nd.array(x, dtype=dtype), axis=axis, is_ascend=ascending)
    np.testing.assert_array_equal(got.asnumpy(), np.take_along_axis(x, order, axis))
    k = int(np.random.default_rng(seed + 1).integers(1, x.shape[axis] + 1))
    values, indices = nd.topk(nd.array(x, dtype=dtype), axis=axis, k=k, ret_typ="both",
                              is_ascend=not ascending, dtype="int64")
    top = stable_order(x, axis, not ascending).take(np.arange(k), axis=axis)
    np.testing.assert_array_equal(indices.asnumpy(), top)
    np.testing.assert_array_equal(values.asnumpy(), np.take_along_axis(x, top, axis))
    mask = nd.topk(nd.array(x, dtype=dtype), axis=axis, k=k, ret_typ="mask",
                   is_ascend=not ascending).asnumpy()
    assert mask.dtype == np.dtype(dtype) and mask.sum() == k * x.size // x.shape[axis]
    np.testing.assert_array_equal(np.take_along_axis(mask, top, axis), 1)


def test_nan_rows_sort_as_mxnet_cpu():
    # NB: MXNet's CPU sort is std::sort with `<` / `>`, which NaN breaks (it compares false both
    # ways); minimx replays libstdc++'s steps for rows with NaN (reference/std_sort.py).
    # Values recorded in MXNet 1.9.1.
    x = nd.array([1, np.nan, 3, -np.inf, np.inf, 2])
    np.testing.assert_array_equal(nd.sort(x).asnumpy(), [-np.inf, 1, np.nan, 2, 3, np.inf])
    np.testing.assert_array_equal(nd.sort(x, is_ascend=False).asnumpy(),
                                  [np.inf, 3, 1, np.nan, 2, -np.inf])
    np.testing.assert_array_equal(nd.argsort(x).asnumpy(), [3, 0, 1, 5, 2, 4])


def test_large_axis_uses_a_stable_order():
    """Beyond 16 elements MXNet's CPU tie order is std::sort's; minimx stays stable."""
    x = np.zeros(100, np.float32)
    np.testing.assert_array_equal(nd.argsort(nd.array(x)).asnumpy(), np.arange(100))
    np.testing.assert_array_equal(nd.topk(nd.array(x), k=5).asnumpy(), np.arange(5))
