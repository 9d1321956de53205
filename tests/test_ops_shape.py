"""The shape family: reshape codes, axis moves, slicing, joining, broadcasting; the strided copy.

Expected values marked "MXNet" were observed in Apache MXNet 1.9.1 (mx.nd, legacy mode).
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.lib.stride_tricks import as_strided

import minimx as mx
from minimx._kernels import get_backend
from minimx._kernels.cpu.copy import strided_copy
from minimx.ops import get_op
from minimx.ops.shape import infer_reshape

nd = mx.nd
REF = get_backend("reference").kernels
CPU = get_backend("cpu").kernels
DTYPES = ["float32", "float64", "float16", "int32", "int64", "int8", "uint8", "bool"]


def a(*shape, dtype="float32"):
    return nd.arange(int(np.prod(shape))).reshape(shape).astype(dtype)


def np_a(*shape):
    return np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)


# -- Reshape codes -------------------------------------------------------------------------------------
@pytest.mark.parametrize("src, shape, reverse, expected", [
    ((2, 3, 4), (-4, 1, 2, -2), False, (1, 2, 3, 4)),
    ((2, 3, 4), (-4, -1, 1, -2), False, (2, 1, 3, 4)),
    ((2, 3, 4), (0, -3), False, (2, 12)),
    ((2, 3, 4), (-3, -2), False, (6, 4)),
    ((2, 3, 4), (-2, 1, 1), False, (2, 3, 4, 1, 1)),
    ((2, 3, 4), (0, 0, 0, 1), False, (2, 3, 4, 1)),
    ((2, 3, 4), (-1, 0), False, (8, 3)),
    ((10, 5, 4), (-1, 0), True, (50, 4)),
    ((10, 5, 4), (-1, 0), False, (40, 5)),
    ((2, 3, 4), (0, -1), True, (3, 8)),
    ((2, 3, 4), (-3, 0), True, (6, 4)),
    ((2, 3, 4), (0, -3), True, (2, 12)),
    ((2, 3, 4), (6, -1), True, (6, 4)),
    ((2, 3, 4), (-2,), True, (2, 3, 4)),
    ((2, 3, 4), (-2, 0), True, (2, 3, 4)),
    ((2, 3, 4), (-2, 2, 2, -4), True, (2, 3, 2, 2)),
    ((2, 3, 4), (-2, -1, 2, -4), True, (2, 3, 2, 2)),
    ((2, 3, 4, 5), (-3, -3), True, (6, 20)),
    ((2, 3, 4, 5), (-1, -3), True, (6, 20)),
    ((2, 3, 4, 5), (-3, -1), True, (12, 10)),
    ((2, 3, 4, 5), (-4, 1, -1, -4, 3, -1, -2), False, (1, 2, 3, 1, 4, 5)),
])
def test_reshape_codes_match_mxnet(src, shape, reverse, expected):
    assert infer_reshape(src, shape, reverse) == expected
    x = nd.zeros(src)
    assert nd.reshape(x, shape=shape, reverse=reverse).shape == expected
    assert x.reshape(shape, reverse=reverse).shape == expected


@pytest.mark.parametrize("src, shape, reverse, words", [
    ((2, 3, 4), (0, 0, 0, 0), False, "no input axis"),
    ((2, 3, 4), (-1, -1), False, "only one"),
    ((2, 3, 4), (-4, -1, -1, -2), False, "both be -1"),
    ((2, 3, 4), (-4, 3, -1, -2), False, "do not divide"),
    ((2, 3, 4), (-3, -3), False, "-3 needs two"),
    ((2, 3, 4), (-4, 1, 2, -2), True, "-4 must be followed"),   # MXNet: reverse reads -4 backwards
    ((2, 3, 4), (0, -2), True, "no input axis"),
    ((2, 3, 4), (5, -1), False, "cannot infer"),                # NB: MXNet gives (5, 4) silently
    ((2, 3, 4), (5, 5), False, "elements"),
    ((2, 3, 4), (-3,), False, "elements"),                      # NB: MXNet gives (6,) silently
    ((2, 3, 4), (-5,), False, "invalid code"),
])
def test_reshape_errors(src, shape, reverse, words):
    with pytest.raises(mx.MXNetError, match=words):
        nd.reshape(nd.zeros(src), shape=shape, reverse=reverse)


def test_reshape_legacy_target_shape_and_defaults():
    x = nd.zeros((2, 3, 4))
    assert nd.reshape(x, target_shape=(0, 4)).shape == (6, 4)                       # MXNet
    assert nd.reshape(x, target_shape=(5, 0), keep_highest=True).shape == (2, 12)
    with pytest.raises(mx.MXNetError, match="does not keep"):   # NB: MXNet gives (2, 4) silently
        nd.reshape(x, target_shape=(0, 4), keep_highest=True)
    op = get_op("Reshape")
    assert op.parse({}) == {"shape": (), "reverse": False, "target_shape": (), "keep_highest": False}
    assert nd.reshape is nd.Reshape
    with pytest.raises(mx.MXNetError, match="shape is empty"):
        nd.reshape(x)


def test_reshape_like():
    assert nd.reshape_like(nd.arange(6), nd.zeros((2, 3))).shape == (2, 3)
    out = nd.reshape_like(a(2, 3, 4), nd.zeros((12, 2)), lhs_begin=1, rhs_begin=0, rhs_end=1)
    assert out.shape == (2, 12)
    np.testing.assert_array_equal(out.asnumpy(), np_a(2, 12))
    with pytest.raises(mx.MXNetError, match="sizes differ"):
        nd.reshape_like(nd.arange(6), nd.zeros((2, 4)))


def test_flatten_expand_squeeze_match_mxnet():
    assert nd.Flatten(a(2, 3, 4)).shape == (2, 12)
    assert nd.flatten(nd.arange(4)).shape == (4, 1)
    assert nd.expand_dims(nd.zeros((2, 3)), axis=-1).shape == (2, 3, 1)
    assert nd.expand_dims(nd.zeros((2, 3)), axis=-3).shape == (1, 2, 3)
    with pytest.raises(mx.MXNetError, match="axis 3 is out of range for a 2-d input"):
        nd.expand_dims(nd.zeros((2, 3)), axis=3)
    assert nd.squeeze(nd.zeros((1, 2, 1, 3))).shape == (2, 3)
    assert nd.squeeze(nd.zeros((1, 1))).shape == (1,)                 # MXNet: never 0-d
    assert nd.squeeze(nd.zeros((1, 2, 1, 3)), axis=(0, -2)).shape == (2, 3)
    with pytest.raises(mx.MXNetError, match="its size is 2"):
        nd.squeeze(nd.zeros((1, 2, 1, 3)), axis=1)
    with pytest.raises(mx.MXNetError, match="twice"):
        nd.squeeze(nd.zeros((1, 2, 1, 3)), axis=(0, 0))


# -- axis moves ------------------------------------------------------------------------------------
def test_transpose_swapaxes_match_mxnet():
    np.testing.assert_array_equal(nd.transpose(a(2, 3)).asnumpy(), [[0, 3], [1, 4], [2, 5]])
    out = nd.transpose(a(2, 3, 4), axes=(1, 0, 2))
    assert out.asnumpy().ravel()[:10].tolist() == [0, 1, 2, 3, 12, 13, 14, 15, 4, 5]   # MXNet
    assert nd.transpose(nd.arange(3)).shape == (3,)
    for axes in [(1, 0), (1, 0, 0), (-1, 0, 1), (3, 0, 1)]:
        with pytest.raises(mx.MXNetError, match="not a permutation"):
            nd.transpose(a(2, 3, 4), axes=axes)
    out = nd.swapaxes(a(2, 3, 4), dim1=-1, dim2=0)
    assert out.shape == (4, 3, 2)
    assert out.asnumpy().ravel()[:6].tolist() == [0, 12, 4, 16, 8, 20]                   # MXNet
    assert nd.SwapAxis(a(2, 3), dim1=1).shape == (3, 2)
    assert nd.swapaxes(a(2, 3)).shape == (2, 3)                        # defaults dim1=dim2=0
    with pytest.raises(mx.MXNetError, match="dim1 2 is out of range"):
        nd.swapaxes(a(2, 3), dim1=2, dim2=0)


def test_depth_space_flip_diag_match_mxnet():
    d2s = nd.depth_to_space(a(1, 12, 2, 2), block_size=2)
    assert d2s.shape == (1, 3, 4, 4)
    assert d2s.asnumpy().ravel()[:10].tolist() == [0, 12, 1, 13, 24, 36, 25, 37, 2, 14]
    s2d = nd.space_to_depth(a(1, 3, 4, 4), block_size=2)
    assert s2d.shape == (1, 12, 2, 2)
    assert s2d.asnumpy().ravel()[:10].tolist() == [0, 2, 8, 10, 16, 18, 24, 26, 32, 34]
    np.testing.assert_array_equal(nd.space_to_depth(d2s, block_size=2).asnumpy(), np_a(1, 12, 2, 2))
    with pytest.raises(mx.MXNetError, match="multiple of block_size"):
        nd.depth_to_space(a(1, 12, 2, 2), block_size=3)
    with pytest.raises(mx.MXNetError, match="4-d"):
        nd.depth_to_space(a(12, 2, 2), block_size=2)
    assert nd.flip(a(2, 3), axis=(0, 1)).asnumpy().ravel().tolist() == [5, 4, 3, 2, 1, 0]
    assert nd.reverse(a(2, 3), axis=(0, 0)).asnumpy().ravel().tolist() == [0, 1, 2, 3, 4, 5]
    with pytest.raises(mx.MXNetError, match="axis -1 is out of range"):
        nd.flip(a(2, 3), axis=-1)                                        # MXNet refuses too
    np.testing.assert_array_equal(nd.diag(a(3, 3), k=1).asnumpy(), [1, 5])
    assert nd.diag(a(3, 3), k=3).shape == (0,)
    with pytest.raises(mx.MXNetError, match="does not exist"):
        nd.diag(a(3, 3), k=-4)
    assert nd.diag(nd.arange(3), k=1).shape == (4, 4)
    np.testing.assert_array_equal(nd.diag(nd.arange(3), k=-2).asnumpy(), np.diag(np.arange(3.0), -2))
    out = nd.diag(a(2, 3, 4), axis1=-1, axis2=0, k=1)
    assert out.shape == (3, 1) and out.asnumpy().ravel().tolist() == [12, 16, 20]         # MXNet
    assert nd.diag(a(2, 3, 4)).asnumpy().ravel().tolist() == [0, 16, 1, 17, 2, 18, 3, 19]
    with pytest.raises(mx.MXNetError, match="same axis"):
        nd.diag(a(2, 3, 4), axis1=1, axis2=1)


def test_shape_and_size_array():
    out = nd.shape_array(nd.zeros((2, 3, 4), dtype="int32"))
    assert out.dtype == np.int64 and out.asnumpy().tolist() == [2, 3, 4]
    out = nd.size_array(nd.zeros((2, 3, 4)))
    assert out.dtype == np.int64 and out.asnumpy().tolist() == [24]


# -- selecting -----------------------------------------------------------------------------------
@pytest.mark.parametrize("begin, end, step, expected_shape, first", [
    ((0, 1), (2, 4), (), (2, 3), [1, 2, 3, 5]),
    ((None, 1), (None, None), (None, 2), (3, 2), [1, 3, 5, 7]),
    ((None,), (None,), (-1,), (3, 4), [8, 9, 10, 11]),
    ((2,), (0,), (-1,), (2, 4), [8, 9, 10, 11]),
    ((-1,), (-3,), (-1,), (2, 4), [8, 9, 10, 11]),
    ((0,), (3,), (2,), (2, 4), [0, 1, 2, 3]),
    ((-5,), (10,), (), (3, 4), [0, 1, 2, 3]),
    ((2,), (1,), (), (0, 4), []),
    ((5,), (None,), (-1,), (3, 4), [8, 9, 10, 11]),
    ((-10,), (None,), (-1,), (0, 4), []),
    ((None,), (-10,), (-1,), (3, 4), [8, 9, 10, 11]),
    ((3,), (None,), (), (0, 4), []),
])
def test_slice_matches_mxnet(begin, end, step, expected_shape, first):
    out = nd.slice(a(3, 4), begin=begin, end=end, step=step)
    assert out.shape == expected_shape
    assert out.asnumpy().ravel()[:4].tolist() == first


@pytest.mark.parametrize("kwargs, words", [
    ({"begin": (0, 1), "end": (2,)}, "same length"),
    ({"begin": (0, 1, 0), "end": (2, 2, 1)}, "only 2 axes"),
    ({"begin": (0,), "end": (2,), "step": (0,)}, "cannot be 0"),
    ({"begin": (0,), "end": (2,), "step": (1, 1)}, "step and begin"),
])
def test_slice_errors(kwargs, words):
    with pytest.raises(mx.MXNetError, match=words):
        nd.slice(a(3, 4), **kwargs)


def test_slice_axis_and_slice_like_match_mxnet():
    assert nd.slice_axis(a(3, 4), axis=1, begin=1, end=3).asnumpy().ravel().tolist() == [1, 2, 5, 6, 9, 10]
    assert nd.slice_axis(a(3, 4), axis=-1, begin=-3, end=None).shape == (3, 3)
    for kwargs, words in [({"axis": 0, "begin": 2, "end": 1}, "non-empty"),
                          ({"axis": 0, "begin": 2, "end": 2}, "non-empty"),
                          ({"axis": 0, "begin": 0, "end": 5}, "past the end"),
                          ({"axis": 0, "begin": -5, "end": 2}, "non-empty"),
                          ({"axis": 2, "begin": 0, "end": 1}, "axis 2 is out of range")]:
        with pytest.raises(mx.MXNetError, match=words):
            nd.slice_axis(a(3, 4), **kwargs)
    assert nd.slice_like(a(3, 4), nd.zeros((2, 3))).asnumpy().ravel().tolist() == [0, 1, 2, 4, 5, 6]
    assert nd.slice_like(a(3, 4), nd.zeros((2, 3)), axes=(-1,)).shape == (3, 3)
    assert nd.slice_like(a(3, 4), nd.zeros((2, 3, 4)), axes=(1,)).shape == (3, 3)
    with pytest.raises(mx.MXNetError, match="more than the input"):
        nd.slice_like(a(3, 4), nd.zeros((2, 5)))
    with pytest.raises(mx.MXNetError, match="axes"):
        nd.slice_like(a(3, 4), nd.zeros((2,)))


def test_split_matches_mxnet():
    parts = nd.split(a(2, 6), num_outputs=3)
    assert [p.asnumpy().ravel().tolist() for p in parts] == [[0, 1, 6, 7], [2, 3, 8, 9], [4, 5, 10, 11]]
    parts = nd.SliceChannel(a(2, 6), num_outputs=2, axis=0, squeeze_axis=True)
    assert [p.shape for p in parts] == [(6,), (6,)]
    one = nd.split(a(2, 6), num_outputs=1, axis=0)
    assert isinstance(one, nd.NDArray) and one.shape == (2, 6)        # MXNet: not a list
    zero_d = nd.split(nd.arange(3), num_outputs=3, axis=0, squeeze_axis=True)
    assert [p.shape for p in zero_d] == [(), (), ()]                  # MXNet gives 0-d parts
    assert [float(p.asnumpy()) for p in zero_d] == [0, 1, 2]
    with pytest.raises(mx.MXNetError, match="cannot be split into 4"):
        nd.split(a(2, 6), num_outputs=4)
    with pytest.raises(mx.MXNetError, match="squeeze_axis"):
        nd.split(a(2, 6), num_outputs=3, squeeze_axis=True)
    with pytest.raises(mx.MXNetError, match="num_outputs"):
        nd.split(a(2, 6), num_outputs=0)


def test_where_matches_mxnet():
    x, y = nd.array([[1, 2], [3, 4]]), nd.array([[5, 6], [7, 8]])
    assert nd.where(nd.array([[1, 0], [0, 1]]), x, y).asnumpy().ravel().tolist() == [1, 6, 7, 4]
    assert nd.where(nd.array([1, 0]), x, y).asnumpy().ravel().tolist() == [1, 2, 7, 8]
    assert nd.where(nd.array([-0.5, float("nan")]), nd.array([1, 2]),
                    nd.array([5, 6])).asnumpy().tolist() == [1, 2]
    out = nd.where(nd.array([1, 0], dtype="int32"), nd.array([1, 2], dtype="int32"),
                   nd.array([5, 6], dtype="int32"))
    assert out.dtype == np.int32 and out.asnumpy().tolist() == [1, 6]
    with pytest.raises(mx.MXNetError, match="condition"):
        nd.where(nd.array([1, 0, 1]), x, y)
    with pytest.raises(mx.MXNetError, match="dtype"):
        nd.where(nd.array([1, 0]), nd.array([1, 2], dtype="int32"), nd.array([5, 6]))


# -- joining and replicating -----------------------------------------------------------------------
def test_concat_and_stack_match_mxnet():
    out = nd.concat(nd.zeros((2, 3)), nd.ones((2, 2)))
    assert out.shape == (2, 5) and out.asnumpy()[0].tolist() == [0, 0, 0, 1, 1]
    assert nd.concat(nd.zeros((2, 3)), nd.ones((3, 3)), dim=-2).shape == (5, 3)
    assert nd.Concat(nd.zeros((3,)), nd.ones((2,)), dim=0, num_args=2).shape == (5,)
    assert nd.concat(nd.zeros((2, 3))).shape == (2, 3)
    with pytest.raises(mx.MXNetError, match=r"input 1 has shape \(2, 2\).*concatenation axis 0"):
        nd.concat(nd.zeros((2, 3)), nd.ones((2, 2)), dim=0)
    with pytest.raises(mx.MXNetError, match="dim 1 is out of range"):
        nd.concat(nd.zeros((3,)), nd.ones((2,)))
    with pytest.raises(mx.MXNetError, match="same dtype"):
        nd.concat(nd.zeros((2, 3)), nd.ones((2, 3), dtype="int32"), dim=0)
    out = nd.stack(nd.zeros((2, 3)), nd.ones((2, 3)), axis=-1)
    assert out.shape == (2, 3, 2) and out.asnumpy().ravel()[:4].tolist() == [0, 1, 0, 1]
    with pytest.raises(mx.MXNetError, match="axis 3 is out of range"):
        nd.stack(nd.zeros((2, 3)), nd.ones((2, 3)), axis=3)
    with pytest.raises(mx.MXNetError, match="one shape"):
        nd.stack(nd.zeros((2, 3)), nd.ones((3, 3)))


def test_tile_and_repeat_match_mxnet():
    assert nd.tile(a(2, 3), reps=(2,)).asnumpy().ravel()[:8].tolist() == [0, 1, 2, 0, 1, 2, 3, 4]
    assert nd.tile(a(2, 3), reps=(2, 1, 2)).shape == (2, 2, 6)
    assert nd.tile(a(2, 3), reps=()).shape == (2, 3)
    assert nd.tile(nd.arange(3), reps=(2, 2)).shape == (2, 6)
    with pytest.raises(mx.MXNetError, match="negative"):
        nd.tile(a(2, 3), reps=(-1,))
    assert nd.repeat(a(2, 3), repeats=2).asnumpy()[:6].tolist() == [0, 0, 1, 1, 2, 2]
    assert nd.repeat(a(2, 3), repeats=2, axis=-2).shape == (4, 3)
    assert nd.repeat(a(2, 3), repeats=0, axis=1).shape == (0,)          # MXNet's quirk
    with pytest.raises(mx.MXNetError, match="negative"):
        nd.repeat(a(2, 3), repeats=-1, axis=1)
    with pytest.raises(mx.MXNetError, match="axis 2 is out of range"):
        nd.repeat(a(2, 3), repeats=2, axis=2)


def test_pad_matches_mxnet():
    out = nd.Pad(a(1, 1, 4, 4), mode="constant", pad_width=(0, 0, 0, 0, 1, 1, 1, 1), constant_value=9)
    assert out.shape == (1, 1, 6, 6) and out.asnumpy().ravel()[:10].tolist() == [9] * 7 + [0, 1, 2]
    out = nd.pad(a(1, 1, 4, 4), mode="edge", pad_width=(0, 0, 0, 0, 1, 2, 2, 1))
    assert out.shape == (1, 1, 7, 7) and out.asnumpy().ravel()[:10].tolist() == [0, 0, 0, 1, 2, 3, 3, 0, 0, 0]
    out = nd.pad(a(1, 1, 4, 4), mode="reflect", pad_width=(0, 0, 0, 0, 1, 2, 2, 1))
    assert out.asnumpy().ravel()[:10].tolist() == [6, 5, 4, 5, 6, 7, 6, 2, 1, 0]
    out = nd.pad(a(1, 1, 2, 4, 4), mode="reflect", pad_width=(0, 0, 0, 0, 1, 1, 1, 1, 1, 1))
    assert out.shape == (1, 1, 4, 6, 6) and out.asnumpy().ravel()[:6].tolist() == [21, 20, 21, 22, 23, 22]
    for kwargs, words in [({"pad_width": (0, 0, 0, 0, 4, 4, 0, 0), "mode": "reflect"}, "smaller"),
                          ({"pad_width": (1, 0, 0, 0, 1, 1, 1, 1), "mode": "constant"}, "first two"),
                          ({"pad_width": (0, 0, 0, 0, 1, 1), "mode": "constant"}, "needs 8")]:
        with pytest.raises(mx.MXNetError, match=words):
            nd.pad(a(1, 1, 4, 4), **kwargs)
    with pytest.raises(mx.MXNetError, match="4-d or 5-d"):
        nd.pad(a(4, 4), mode="constant", pad_width=(1, 1, 1, 1))
    with pytest.raises(mx.MXNetError, match="floating point"):
        nd.pad(a(1, 1, 4, 4, dtype="int32"), mode="constant", pad_width=(0, 0, 0, 0, 1, 1, 1, 1))
    with pytest.raises(mx.MXNetError, match="mode"):
        nd.pad(a(1, 1, 4, 4), pad_width=(0, 0, 0, 0, 1, 1, 1, 1))            # mode is required


def test_broadcast_ops_match_mxnet():
    row = a(1, 3)
    assert nd.broadcast_to(row, shape=(2, 3)).asnumpy().ravel().tolist() == [0, 1, 2, 0, 1, 2]
    assert nd.broadcast_to(row, shape=(2, 0)).shape == (2, 3)             # 0 keeps the axis
    for shape, words in [((4, 2, 3), "number of axes"), ((2, 4), "equal or 1"), ((3,), "number of axes")]:
        with pytest.raises(mx.MXNetError, match=words):
            nd.broadcast_to(row, shape=shape)
    col = a(1, 3, 1)
    assert nd.broadcast_axis(col, axis=(0, 2), size=(2, 4)).shape == (2, 3, 4)
    assert nd.broadcast_axes(col, axis=0, size=0).shape == (0, 3, 1)
    for kwargs, words in [({"axis": -1, "size": 4}, "out of range"), ({"axis": 1, "size": 4}, "size 1"),
                          ({"axis": (0, 2), "size": (2,)}, "same length"),
                          ({"axis": (0, 0), "size": (2, 3)}, "size 1")]:
        with pytest.raises(mx.MXNetError, match=words):
            nd.broadcast_axis(col, **kwargs)
    assert nd.broadcast_like(row, nd.zeros((2, 3))).shape == (2, 3)
    out = nd.broadcast_like(row, nd.zeros((2, 3, 4)), lhs_axes=(0,), rhs_axes=(-1,))
    assert out.shape == (4, 3) and out.asnumpy()[3].tolist() == [0, 1, 2]
    with pytest.raises(mx.MXNetError, match="equal or 1"):
        nd.broadcast_like(row, nd.zeros((2, 4)))
    with pytest.raises(mx.MXNetError, match="empty"):
        nd.broadcast_like(row, nd.zeros((2, 3, 4)), lhs_axes=(), rhs_axes=())
    with pytest.raises(mx.MXNetError, match="size 1"):
        nd.broadcast_like(row, nd.zeros((2, 3, 4)), lhs_axes=(1,), rhs_axes=(0,))


def test_defaults_and_aliases_are_mxnets():
    assert get_op("Concat").parse({"num_args": 2})["dim"] == 1
    assert get_op("stack").parse({"num_args": 2})["axis"] == 0
    assert get_op("split").parse({"num_outputs": 2}) == {"num_outputs": 2, "axis": 1, "squeeze_axis": False}
    assert get_op("Pad").parse({"mode": "edge", "pad_width": (0,) * 8})["constant_value"] == 0.0
    assert get_op("slice").parse({"begin": (1,), "end": (None,)})["step"] == ()
    assert get_op("diag").parse({}) == {"k": 0, "axis1": 0, "axis2": 1}
    assert get_op("squeeze").parse({})["axis"] is None
    assert get_op("SwapAxis").parse({}) == {"dim1": 0, "dim2": 0}
    for alias, name in [("flip", "reverse"), ("crop", "slice"), ("swapaxes", "SwapAxis"),
                        ("broadcast_axes", "broadcast_axis"), ("pad", "Pad"), ("concat", "Concat"),
                        ("flatten", "Flatten"), ("split", "SliceChannel")]:
        assert get_op(alias) is get_op(name)


# -- the Cython kernels against the numpy reference ------------------------------------------------------
def _run(table, name, ins, attrs, out_shapes, dtype):
    outs = [np.full(s, 3, dtype) for s in out_shapes]
    table[name](tuple(ins), tuple(outs), get_op(name).parse(attrs))
    return outs


def _check(name, ins, attrs):
    op = get_op(name)
    parsed = op.parse(attrs)
    shapes = op.shape(parsed, *[x.shape for x in ins])
    shapes = shapes if isinstance(shapes, list) else [shapes]
    dtype = op.dtype(parsed, *[x.dtype for x in ins])
    want = _run(REF, name, ins, attrs, shapes, dtype)
    got = _run(CPU, name, ins, attrs, shapes, dtype)
    for w, g in zip(want, got):
        np.testing.assert_array_equal(g, w)


shapes = st.lists(st.integers(0, 5), min_size=1, max_size=4).map(tuple)
dtypes = st.sampled_from(DTYPES)


def _values(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 10).astype(dtype)


@given(shape=shapes, dtype=dtypes, data=st.data())
def test_cpu_transpose_slice_flip_match_reference(shape, dtype, data):
    x = _values(shape, dtype)
    perm = data.draw(st.permutations(range(len(shape))))
    _check("transpose", [x], {"axes": tuple(perm)})
    _check("SwapAxis", [x], {"dim1": 0, "dim2": -1})
    k = data.draw(st.integers(1, len(shape)))
    ints = st.one_of(st.none(), st.integers(-7, 7))
    begin = tuple(data.draw(ints) for _ in range(k))
    end = tuple(data.draw(ints) for _ in range(k))
    step = tuple(data.draw(st.one_of(st.none(), st.integers(-3, 3).filter(bool))) for _ in range(k))
    _check("slice", [x], {"begin": begin, "end": end, "step": step})
    axes = tuple(data.draw(st.lists(st.integers(0, len(shape) - 1), max_size=3)))
    _check("reverse", [x], {"axis": axes})
    reps = tuple(data.draw(st.lists(st.integers(0, 3), max_size=4)))
    _check("tile", [x], {"reps": reps})
    _check("repeat", [x], {"repeats": data.draw(st.integers(0, 3)),
                           "axis": data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))})


@given(shape=shapes, dtype=dtypes, data=st.data())
def test_cpu_broadcast_join_split_match_reference(shape, dtype, data):
    small = tuple(1 if data.draw(st.booleans()) else n for n in shape)
    x = _values(small, dtype)
    _check("broadcast_to", [x], {"shape": shape})
    _check("broadcast_like", [x, _values(shape, dtype)], {})
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    others = [_values(shape[:axis % len(shape)] + (data.draw(st.integers(0, 3)),)
                      + shape[axis % len(shape) + 1:], dtype, i) for i in range(3)]
    _check("Concat", others, {"dim": axis, "num_args": 3})
    _check("stack", [_values(shape, dtype, i) for i in range(2)], {"axis": axis, "num_args": 2})
    y = _values(shape[:axis % len(shape)] + (6,) + shape[axis % len(shape) + 1:], dtype)
    _check("SliceChannel", [y], {"num_outputs": data.draw(st.sampled_from([1, 2, 3, 6])), "axis": axis})
    _check("slice_axis", [y], {"axis": axis, "begin": data.draw(st.integers(-6, 4)), "end": None})
    _check("slice_like", [y, np.zeros(tuple(max(n - 1, 0) for n in y.shape))], {})


@given(dtype=dtypes, b=st.integers(1, 3), n=st.integers(1, 3), c=st.integers(1, 3),
       h=st.integers(1, 3), w=st.integers(1, 3), k=st.integers(-3, 3))
def test_cpu_depth_space_diag_match_reference(dtype, b, n, c, h, w, k):
    _check("depth_to_space", [_values((n, c * b * b, h, w), dtype)], {"block_size": b})
    _check("space_to_depth", [_values((n, c, h * b, w * b), dtype)], {"block_size": b})
    _check("diag", [_values((h + 2,), dtype)], {"k": k})
    if min(h + 2 + min(k, 0), w + 2 - max(k, 0)) >= 0:
        _check("diag", [_values((n, h + 2, w + 2), dtype)], {"k": k, "axis1": -1, "axis2": 1})


def test_cpu_kernels_on_big_and_odd_sizes():
    rng = np.random.default_rng(3)
    for shape, axes in [((2048, 2048), ()), ((3, 257, 129), (2, 0, 1)), ((65, 7, 66, 3), (3, 1, 2, 0)),
                        ((1000, 3), ()), ((3, 1000), ())]:
        x = rng.standard_normal(shape).astype(np.float32)
        _check("transpose", [x], {"axes": axes})
    _check("slice", [rng.standard_normal((300, 301))], {"begin": (None, 300), "end": (None, 0),
                                                       "step": (-3, -7)})
    _check("broadcast_to", [rng.standard_normal((1, 1000, 1))], {"shape": (70, 1000, 3)})


@given(data=st.data())
def test_strided_copy_matches_as_strided(data):
    ndim = data.draw(st.integers(0, 4))
    shape = tuple(data.draw(st.lists(st.integers(1, 6), min_size=ndim, max_size=ndim)))
    sstr = [data.draw(st.integers(-5, 5)) for _ in shape]
    dtype = np.dtype(data.draw(st.sampled_from(["uint8", "float16", "float32", "float64"])))
    lo = sum(min(0, (n - 1) * s) for n, s in zip(shape, sstr))
    hi = sum(max(0, (n - 1) * s) for n, s in zip(shape, sstr))
    src = _values((hi - lo + 2,), dtype)
    perm = data.draw(st.permutations(range(ndim)))      # the destination in another axis order
    dstr, step = [0] * ndim, 1
    for k in reversed(perm):
        dstr[k], step = step, step * shape[k]
    dst = np.zeros(max(step, 1), dtype)
    strided_copy(src, -lo, shape, sstr, dst, 0, dstr)
    it = dtype.itemsize
    want = as_strided(src[-lo:], shape, [s * it for s in sstr])
    np.testing.assert_array_equal(as_strided(dst, shape, [s * it for s in dstr]), want)


def test_strided_copy_rejects_regions_outside_the_arrays():
    src, dst = np.zeros(10, np.float32), np.zeros(10, np.float32)
    with pytest.raises(ValueError, match="source region"):
        strided_copy(src, 5, (3,), (3,), dst, 0, (1,))
    with pytest.raises(ValueError, match="destination region"):
        strided_copy(src, 0, (3,), (1,), dst, 9, (1,))
    with pytest.raises(ValueError, match="item sizes"):
        strided_copy(src, 0, (3,), (1,), np.zeros(3, np.float64), 0, (1,))
