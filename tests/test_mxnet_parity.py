"""Regression tests for differences found by tools/diff_mxnet.py (real MXNet 1.9.1 vs minimx).

Expected values were printed by MXNet 1.9.1; the tests do not import mxnet.
"""
import numpy as np
import pytest

import minimx as mx


# -- fluent methods of ops with several inputs: x.take(idx) is mx.nd.take(x, idx) ----------------
def test_fluent_take_and_pick_pass_the_index_array_as_an_input():
    a = mx.nd.arange(12).reshape((3, 4))
    assert a.take(mx.nd.array([2, 0])).asnumpy().tolist() == [[8, 9, 10, 11], [0, 1, 2, 3]]
    assert a.take(mx.nd.array([1]), 1).asnumpy().tolist() == [[1], [5], [9]]        # then axis
    assert a.pick(mx.nd.array([5, -1, 1]), mode="wrap").asnumpy().tolist() == [1, 7, 9]
    assert a.pick(mx.nd.array([0, 2, 1, 0]), 0).asnumpy().tolist() == [0, 9, 6, 3]
    assert a.pick(index=mx.nd.array([0, 2, 1]), axis=1).asnumpy().tolist() == [0, 6, 9]


def test_fluent_like_ops_take_the_other_array():
    b = mx.nd.arange(6).reshape((2, 3))
    assert b.reshape_like(mx.nd.zeros((3, 2))).asnumpy().tolist() == [[0, 1], [2, 3], [4, 5]]
    assert b[0:1].broadcast_like(mx.nd.ones((2, 3))).asnumpy().tolist() == [[0, 1, 2], [0, 1, 2]]
    assert b.slice_like(mx.nd.ones((1, 2))).asnumpy().tolist() == [[0, 1]]


def test_fluent_softmax_keeps_its_parameters_and_optional_length():
    b = mx.nd.arange(6).reshape((2, 3))
    np.testing.assert_allclose(b.softmax(axis=0).asnumpy(),
                               [[0.04742587357759476] * 3, [0.9525741338729858] * 3], rtol=1e-6)
    np.testing.assert_allclose(b.softmax().asnumpy(), mx.nd.softmax(b).asnumpy())
    x = mx.nd.array([[1, 2, 3], [1, 1, 1]])
    got = x.softmax(mx.nd.array([2, 1], dtype="int32"), use_length=True).asnumpy()
    np.testing.assert_allclose(got, [[0.26894143, 0.7310586, 0], [1, 0, 0]], rtol=1e-6)


# -- arange computes start + i * step in the output's dtype ---------------------------------------
def test_arange_float32_accumulates_in_float32_like_mxnet():
    got = mx.nd.arange(0, 1, 0.1).asnumpy()
    assert got.dtype == np.float32
    assert got[9] == np.float32(0.9000000357627869)                    # 0.90000004, not 0.9
    expected = [-1.2999999523162842, -0.9299999475479126, -0.559999942779541, -0.18999993801116943,
                0.18000006675720215, 0.5500000715255737, 0.9200000762939453, 1.2900002002716064,
                1.6600000858306885]
    assert mx.nd.arange(-1.3, 2, 0.37).asnumpy().tolist() == expected   # bit-exact


def test_arange_integer_dtype_truncates_start_and_step_first():
    assert mx.nd.arange(0, 5, 1.5, dtype="int32").asnumpy().tolist() == [0, 1, 2, 3]
    assert mx.nd.arange(0.5, 5, 1.5, dtype="int32").asnumpy().tolist() == [0, 1, 2]
    assert mx.nd.arange(0, 3.3, 0.3, dtype="int64").asnumpy().tolist() == [0] * 11


def test_arange_float64_is_exact_in_float64():
    assert mx.nd.arange(0, 1, 0.1, dtype="float64").asnumpy().tolist() == [
        0.0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6000000000000001, 0.7000000000000001, 0.8, 0.9]


# -- copyto converts to the destination's dtype --------------------------------------------------
def test_copyto_casts_to_the_destination_dtype():
    x = mx.nd.array([1.7, -2.2])
    y = mx.nd.zeros(2, dtype="int32")
    assert x.copyto(y) is y
    assert y.dtype == np.int32 and y.asnumpy().tolist() == [1, -2]
    z = mx.nd.zeros(2, dtype="float64")
    x.copyto(z)
    assert z.asnumpy().tolist() == [1.7000000476837158, -2.200000047683716]


# -- array() of out-of-range Python ints wraps around as numpy 1.x did ---------------------------
def test_array_wraps_out_of_range_ints_like_mxnet():
    assert mx.nd.array([-1, 255, 256], dtype="uint8").asnumpy().tolist() == [255, 255, 0]
    assert mx.nd.array([-129, 127, 128], dtype="int8").asnumpy().tolist() == [127, 127, -128]


# -- errors are MXNetErrors that are also the builtin type MXNet raises ---------------------------
@pytest.mark.parametrize("call", [
    lambda: mx.nd.ones((2, 3)).asscalar(),
    lambda: mx.nd.ones((2, 3)).reshape((5, -1)),
    lambda: mx.nd.ones((2, 3)).reshape((2, 2)),
])
def test_value_errors_as_in_mxnet(call):
    with pytest.raises(ValueError) as info:
        call()
    assert isinstance(info.value, mx.MXNetError)


@pytest.mark.parametrize("call", [
    lambda: mx.nd.array([[1, 2], [3]]),
    lambda: mx.nd.array([1, 2], dtype="bad"),
    lambda: mx.nd.zeros((2, 3), dtype="bad"),
    lambda: mx.nd.ones((2, 3), dtype="bad"),
    lambda: mx.nd.full((2, 3), 1, dtype="bad"),
    lambda: mx.nd.arange(3, dtype="bad"),
    lambda: mx.nd.empty((2,), dtype="bad"),
    lambda: mx.nd.array([1, 2]).astype("nosuchtype"),
    lambda: mx.nd.ones((2, 3)).reshape((3, 2), bad=1),
    lambda: float(mx.nd.array([1, 2])),
    lambda: int(mx.nd.array([1, 2])),
])
def test_type_errors_as_in_mxnet(call):
    with pytest.raises(TypeError) as info:
        call()
    assert isinstance(info.value, mx.MXNetError)


def test_one_element_conversions_still_work():
    a = mx.nd.array([3.7])
    assert float(a) == pytest.approx(3.7) and int(a) == 3


def test_full_accepts_a_bool_value():
    assert mx.nd.full((2,), True).asnumpy().tolist() == [1.0, 1.0]
    assert mx.nd.full((2,), False, dtype="int32").asnumpy().tolist() == [0, 0]


@pytest.mark.parametrize("shape", [(3, 3), (2,), (2, 0)])
def test_broadcast_to_method_raises_value_error_as_mxnet(shape):
    # MXNet's NDArray.broadcast_to checks in Python: fewer axes, a mismatch, or a 0 are ValueErrors
    with pytest.raises(ValueError) as info:
        mx.nd.ones((2, 3)).broadcast_to(shape)
    assert isinstance(info.value, mx.MXNetError)


def test_broadcast_to_method_adds_leading_axes():
    assert mx.nd.ones((2, 3)).broadcast_to((4, 2, 3)).shape == (4, 2, 3)
    assert mx.nd.ones((1, 3)).broadcast_to((2, 3)).asnumpy().tolist() == [[1, 1, 1]] * 2


def test_copyto_a_string_is_a_type_error():
    with pytest.raises(TypeError):
        mx.nd.array([1, 2]).copyto("cpu")
