"""The indexing family: take, pick, batch_take, Embedding, gather_nd, scatter_nd, one_hot,
SequenceMask and the slice assignments.

Expected values marked "MXNet" were observed in Apache MXNet 1.9.1 (mx.nd, legacy mode).
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minimx as mx
from minimx._kernels import get_backend
from minimx.ndarray.invoke import invoke
from minimx.ops import get_op

nd = mx.nd
REF = get_backend("reference").kernels
CPU = get_backend("cpu").kernels


def a(*shape, dtype="float32"):
    return nd.arange(int(np.prod(shape))).reshape(shape).astype(dtype)


def flat(x):
    return x.asnumpy().ravel().tolist()


# -- take, pick, batch_take, Embedding ------------------------------------------------------------
@pytest.mark.parametrize("indices, mode, expected", [
    ([0, 2, 5, -1], "clip", [0, 1, 4, 5, 4, 5, 0, 1]),
    ([0, 2, 5, -1], "wrap", [0, 1, 4, 5, 4, 5, 4, 5]),
    ([0, 1.7, 2.5, -0.5], "clip", [0, 1, 2, 3, 4, 5, 0, 1]),
    ([0, 1.7, 2.5, -0.5], "wrap", [0, 1, 2, 3, 4, 5, 0, 1]),
    ([-4, -3, 3, 4, 7], "wrap", [4, 5, 0, 1, 0, 1, 2, 3, 2, 3]),
    ([0, -1.5], "wrap", [0, 1, 4, 5]),
])
def test_take_matches_mxnet(indices, mode, expected):
    assert flat(nd.take(a(3, 2), nd.array(indices), mode=mode)) == expected


def test_take_axes_dtypes_and_errors():
    out = nd.take(a(3, 2), nd.array([[0, 1], [1, 2]]), axis=-1)
    assert out.shape == (3, 2, 2) and flat(out)[:6] == [0, 1, 1, 1, 2, 3]          # MXNet (clip)
    assert nd.take(a(3, 2, dtype="int32"), nd.array([0, 1])).dtype == np.int32
    assert flat(nd.take(a(3, 2), nd.array([0, 1], dtype="int64"))) == [0, 1, 2, 3]
    assert flat(nd.take(a(3, 2), nd.array([0, 1], dtype="int32"), axis=1, mode="raise")) == \
        [0, 1, 2, 3, 4, 5]
    with pytest.raises(mx.MXNetError, match="axis 2 is out of range for a 2-d input"):
        nd.take(a(3, 2), nd.array([0]), axis=2)
    for bad in ([0, 2, 5], [-1], [2.9]):       # MXNet's raise mode accepts only 0..n-1
        with pytest.raises(mx.MXNetError, match="out of range for axis 0 with size 3"):
            nd.take(a(3, 2), nd.array(bad), mode="raise").wait_to_read()
    assert get_op("take").parse({}) == {"axis": 0, "mode": "clip"}


def test_pick_matches_mxnet():
    assert flat(nd.pick(a(3, 2), nd.array([0, 1, 0]))) == [0, 3, 4]
    assert nd.pick(a(3, 2), nd.array([0, 1, 0]), keepdims=True).shape == (3, 1)
    assert flat(nd.pick(a(3, 2), nd.array([0, 1]), axis=0)) == [0, 3]
    assert flat(nd.pick(a(3, 2), nd.array([0, 5, -1]), axis=1)) == [0, 3, 4]
    assert flat(nd.pick(a(3, 2), nd.array([0, 5, -1]), axis=1, mode="wrap")) == [0, 3, 5]
    assert flat(nd.pick(a(3, 2), nd.array([0, 1.6, -0.5]), axis=1)) == [0, 3, 4]
    assert flat(nd.pick(a(3, 2), nd.array([[0], [1], [0]]), axis=1)) == [0, 3, 4]
    out = nd.pick(a(2, 3, 4), nd.array([[0, 1, 2, 0], [1, 1, 1, 1]]), axis=-2, keepdims=True)
    assert out.shape == (2, 1, 4) and flat(out) == [0, 5, 10, 3, 16, 17, 18, 19]
    assert nd.pick(nd.arange(3), nd.array([1]), axis=0).shape == (1,)
    assert nd.choose_element_0index is nd.pick
    with pytest.raises(mx.MXNetError, match=r"index has shape \(2,\)"):
        nd.pick(a(3, 2), nd.array([0, 1]), axis=1)
    with pytest.raises(mx.MXNetError, match="axis=None"):
        nd.pick(a(3, 2), nd.array([0, 1, 1]), axis=None)
    assert get_op("pick").parse({}) == {"axis": -1, "keepdims": False, "mode": "clip"}


def test_batch_take_and_embedding_match_mxnet():
    assert flat(nd.batch_take(a(3, 2), nd.array([0, 1, 5], dtype="int32"))) == [0, 3, 5]
    assert nd.batch_take(a(3, 2), nd.array([[0, 1, 1]], dtype="int32")).shape == (1, 3)
    with pytest.raises(mx.MXNetError, match="int32"):
        nd.batch_take(a(3, 2), nd.array([0, 1, 1]))
    with pytest.raises(mx.MXNetError, match="3 rows"):
        nd.batch_take(a(3, 2), nd.array([0, 1], dtype="int32"))
    w = a(4, 3)
    out = nd.Embedding(nd.array([0, 2, 5, -1]), w, input_dim=4, output_dim=3)
    assert out.shape == (4, 3) and flat(out) == [0, 1, 2, 6, 7, 8, 9, 10, 11, 0, 1, 2]
    out = nd.Embedding(nd.array([[0, 1.7]]), w, input_dim=4, output_dim=3)
    assert out.shape == (1, 2, 3) and flat(out) == [0, 1, 2, 3, 4, 5]
    assert nd.Embedding(nd.array([0, 2]), w.astype("float64"), input_dim=4, output_dim=3,
                        dtype="float16").dtype == np.float64                     # MXNet: weight's
    with pytest.raises(mx.MXNetError, match="input_dim, output_dim"):
        nd.Embedding(nd.array([0, 2]), w, input_dim=3, output_dim=3)
    assert get_op("Embedding").parse({"input_dim": 4, "output_dim": 3}) == {
        "input_dim": 4, "output_dim": 3, "dtype": np.dtype("float32"), "sparse_grad": False}


# -- gather_nd, scatter_nd -------------------------------------------------------------------------
def test_gather_nd_matches_mxnet():
    data = a(3, 2)
    assert flat(nd.gather_nd(data, nd.array([[0, 1], [1, 0]]))) == [1, 2]
    assert flat(nd.gather_nd(data, nd.array([[0, 2]]))) == [0, 1, 4, 5]
    assert flat(nd.gather_nd(data, nd.array([[-1, 1]]))) == [4, 5, 2, 3]
    assert flat(nd.gather_nd(data, nd.array([[1.7]]))) == [2, 3]
    for idx, words in [([[0, 5]], "index 5 is out of bounds for axis 0 with size 3"),
                       ([[-4]], "index -4 is out of bounds for axis 0 with size 3"),
                       ([[[0, 1], [1, 0]], [[1, 1], [2, 0]]], "index 2 is out of bounds for axis 1 "
                                                              "with size 2")]:
        with pytest.raises(mx.MXNetError, match=words):
            nd.gather_nd(data, nd.array(idx)).wait_to_read()
    with pytest.raises(mx.MXNetError, match="at least 2 axes"):
        nd.gather_nd(data, nd.array([0, 1]))
    with pytest.raises(mx.MXNetError, match="address 3 axes"):
        nd.gather_nd(data, nd.array([[0, 1], [1, 0], [0, 1]]))


def test_scatter_nd_matches_mxnet():
    assert flat(nd.scatter_nd(nd.array([1, 2]), nd.array([[0, 1], [1, 0]]), shape=(2, 2))) == [0, 1, 2, 0]
    assert flat(nd.scatter_nd(nd.array([[1, 2], [3, 4]]), nd.array([[0, 2]]), shape=(3, 2))) == \
        [1, 2, 0, 0, 3, 4]
    assert flat(nd.scatter_nd(nd.array([1, 2]), nd.array([[0, 1], [1, 0]]), shape=(2, 3))) == \
        [0, 1, 0, 2, 0, 0]
    with pytest.raises(mx.MXNetError, match="need"):
        nd.scatter_nd(nd.array([1, 2, 3]), nd.array([[0, 1], [1, 0]]), shape=(2, 2))
    # NB: MXNet writes out of bounds here (memory corruption); minimx raises.
    with pytest.raises(mx.MXNetError, match="index 5 is out of bounds for axis 1 with size 2"):
        nd.scatter_nd(nd.array([1, 2]), nd.array([[0, 1], [5, 0]]), shape=(2, 2)).wait_to_read()


# -- one_hot, SequenceMask -------------------------------------------------------------------------
def test_one_hot_matches_mxnet():
    out = nd.one_hot(nd.array([0, 2, 5, -1, 1.7, -0.5]), depth=3)
    assert out.dtype == np.float32
    assert out.asnumpy().tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0], [0, 1, 0], [1, 0, 0]]
    out = nd.one_hot(nd.array([[0, 2], [1, 1]]), depth=3, on_value=5, off_value=-1, dtype="int32")
    assert out.dtype == np.int32 and flat(out) == [5, -1, -1, -1, -1, 5, -1, 5, -1, -1, 5, -1]
    assert nd.one_hot(nd.array([0, 2]), depth=0).shape == (2, 0)
    assert flat(nd.one_hot(nd.array([0, 2]), depth=3, on_value=2.7, dtype="int32")) == [2, 0, 0, 0, 0, 2]
    with pytest.raises(mx.MXNetError, match="depth must be >= 0"):
        nd.one_hot(nd.array([0, 2]), depth=-1)
    with pytest.raises(mx.MXNetError, match="bool"):
        nd.one_hot(nd.array([0, 2]), depth=3, dtype="bool")


def test_sequence_mask_matches_mxnet():
    x = a(3, 2, 2)
    assert flat(nd.SequenceMask(x, nd.array([1, 2]), use_sequence_length=False)) == flat(x)
    out = nd.SequenceMask(x, nd.array([1, 2]), use_sequence_length=True, value=-1)
    assert flat(out) == [0, 1, 2, 3, -1, -1, 6, 7, -1, -1, -1, -1]
    out = nd.SequenceMask(x, nd.array([1, 0, 3]), use_sequence_length=True, axis=1)
    assert flat(out)[:10] == [0, 1, 0, 0, 0, 0, 0, 0, 8, 9]
    assert flat(nd.SequenceMask(x, nd.array([1.5, 5]), use_sequence_length=True))[:8] == \
        [0, 1, 2, 3, 0, 0, 6, 7]
    assert flat(nd.SequenceMask(x, nd.array([-1, 2]), use_sequence_length=True))[:4] == [0, 0, 2, 3]
    out = nd.SequenceMask(a(3, 2, dtype="int32"), nd.array([1, 2]), use_sequence_length=True, value=2.5)
    assert out.dtype == np.int32 and flat(out) == [0, 1, 2, 3, 2, 2]
    with pytest.raises(mx.MXNetError, match=r"must be \(2,\)"):
        nd.SequenceMask(x, nd.array([1, 2, 3]), use_sequence_length=True)
    with pytest.raises(mx.MXNetError, match="axis must be 0 or 1"):
        nd.SequenceMask(x, nd.array([1, 2]), use_sequence_length=True, axis=-1)
    with pytest.raises(mx.MXNetError, match="at least 2 axes"):
        nd.SequenceMask(nd.arange(3), nd.array([1]), use_sequence_length=True)


# -- slice assignment -------------------------------------------------------------------------------
def test_slice_assign_ops_write_in_place():
    x = a(3, 4)
    assert not hasattr(nd, "_slice_assign_scalar")    # internal ops: not public in mx.nd
    op = get_op("_slice_assign_scalar")
    y = invoke(op, (x,), op.parse({"scalar": -1, "begin": (None, 1), "end": (None, None),
                                                     "step": (2, 2)}), out=x)
    assert y is x
    assert x.asnumpy().tolist() == [[0, -1, 2, -1], [4, 5, 6, 7], [8, -1, 10, -1]]
    op = get_op("_slice_assign")
    invoke(op, (x, nd.array([[10, 20]])), op.parse({"begin": (1, 3), "end": (2, 0),
                                                                      "step": (1, -2)}), out=x)
    assert x.asnumpy()[1].tolist() == [4, 20, 6, 10]
    with pytest.raises(mx.MXNetError, match="slice of lhs has shape"):
        invoke(op, (x, nd.array([[1, 2, 3]])), op.parse({"begin": (1,), "end": (2,)}))
    assert get_op("_crop_assign") is op


# -- the Cython kernels against the numpy reference -----------------------------------------------------
def _compare(name, ins, attrs):
    op = get_op(name)
    parsed = op.parse(attrs)
    shape = op.shape(parsed, *[x.shape for x in ins])
    dtype = op.dtype(parsed, *[x.dtype for x in ins])
    want, got = np.full(shape, 7, dtype), np.full(shape, 7, dtype)
    REF[name](tuple(ins), (want,), parsed)
    CPU[name](tuple(ins), (got,), parsed)
    np.testing.assert_array_equal(got, want)


data_dtypes = st.sampled_from(["float32", "float64", "float16", "int32", "int64", "int8", "uint8"])
index_dtypes = st.sampled_from(["int32", "int64", "float32", "float64", "uint8", "int8"])


def _idx(rng, shape, lo, hi, dtype):
    values = rng.uniform(lo, hi, shape)
    if np.dtype(dtype).kind in "iu":
        values = np.floor(values)
    if np.dtype(dtype).kind == "u":
        values = np.abs(values)
    return values.astype(dtype)


@given(dtype=data_dtypes, idtype=index_dtypes, shape=st.lists(st.integers(0, 5), min_size=1, max_size=3),
       m=st.integers(0, 6), data=st.data())
def test_cpu_take_embedding_match_reference(dtype, idtype, shape, m, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 99)))
    x = (rng.standard_normal(shape) * 10).astype(dtype)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    if shape[axis] == 0:
        return
    idx = _idx(rng, (m, 2), -2 * shape[axis], 2 * shape[axis], idtype)
    for mode in ("clip", "wrap"):
        _compare("take", [x, idx], {"axis": axis, "mode": mode})
    weight = (rng.standard_normal((max(shape[0], 1), 3)) * 10).astype(dtype)
    _compare("Embedding", [idx, weight], {"input_dim": weight.shape[0], "output_dim": 3})


@given(dtype=st.sampled_from(["float32", "float64", "int32"]), idtype=index_dtypes,
       shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), data=st.data())
def test_cpu_pick_one_hot_match_reference(dtype, idtype, shape, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 99)))
    x = (rng.standard_normal(shape) * 10).astype(dtype)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    rest = tuple(n for i, n in enumerate(shape) if i != axis % len(shape)) or (1,)
    idx = _idx(rng, rest, -3, shape[axis] + 3, idtype)
    for mode in ("clip", "wrap"):
        _compare("pick", [x, idx], {"axis": axis, "mode": mode})
    depth = data.draw(st.integers(0, 5))
    _compare("one_hot", [_idx(rng, shape, -2, depth + 2, idtype)],
             {"depth": depth, "on_value": 3.5, "off_value": -1, "dtype": data.draw(
                 st.sampled_from(["float32", "float64", "int32"]))})


def test_cpu_take_is_fast_path_for_big_rows():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((10000, 64)).astype(np.float32)
    idx = rng.integers(0, 10000, size=(512, 20)).astype(np.float32)
    _compare("Embedding", [idx, w], {"input_dim": 10000, "output_dim": 64})
    _compare("take", [w, idx], {"axis": 0, "mode": "wrap"})
    _compare("pick", [w, rng.integers(0, 64, size=10000).astype(np.int64)], {"axis": 1})
