"""Tests of the sequence family (ops/sequence.py) and the Python-level functions over it
(ndarray/legacy_functions.py): SequenceLast, SequenceReverse, ravel_multi_index, unravel_index,
fill_element_0index, histogram, split_v2, cast_storage, amp_cast, amp_multicast, moveaxis,
concatenate, onehot_encode.

Expected values marked "MXNet" were observed in Apache MXNet 1.9.1 (mx.nd, legacy mode; amp casts
with MXNET_MKLDNN_ENABLED=0, the plain CPU kernels).
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minimx as mx
from minimx._kernels import get_backend
from minimx.ndarray.invoke import call_op

nd = mx.nd
REF = get_backend("reference").kernels


def flat(x):
    return x.asnumpy().ravel().tolist()


def values(x):
    return x.asnumpy().tolist()


# -- SequenceLast, SequenceReverse -------------------------------------------------------------
def test_sequence_last_matches_mxnet():
    x = nd.arange(24).reshape((4, 3, 2))
    assert values(call_op("SequenceLast", (x,), (), {})) == [[18, 19], [20, 21], [22, 23]]
    out = nd.SequenceLast(x, nd.array([1, 4, 2]), use_sequence_length=True)
    assert out.shape == (3, 2) and values(out) == [[0, 1], [20, 21], [10, 11]]
    y = nd.arange(24).reshape((3, 4, 2))
    out = nd.SequenceLast(y, nd.array([1, 4, 2]), use_sequence_length=True, axis=1)
    assert values(out) == [[0, 1], [14, 15], [18, 19]]
    assert values(call_op("SequenceLast", (y,), (), {"axis": 1})) == [[6, 7], [14, 15], [22, 23]]
    # float lengths are truncated: 1.7 -> 1, 2.2 -> 2, 3.9 -> 3 (MXNet)
    out = nd.SequenceLast(x, nd.array([1.7, 2.2, 3.9]), use_sequence_length=True)
    assert values(out) == [[0, 1], [8, 9], [16, 17]]
    out = nd.SequenceLast(x.astype("int32"), nd.array([1, 4, 2], dtype="int32"),
                          use_sequence_length=True)
    assert out.dtype == np.int32 and values(out) == [[0, 1], [20, 21], [10, 11]]
    assert call_op("SequenceLast", (nd.ones((4, 3)),), (), {}).shape == (3,)


def test_sequence_last_errors():
    x = nd.arange(24).reshape((4, 3, 2))
    with pytest.raises(mx.MXNetError, match="axis must be 0 or 1"):
        nd.SequenceLast(x, nd.array([1, 2, 3]), use_sequence_length=True, axis=2)
    with pytest.raises(mx.MXNetError, match=r"must be \(3,\)"):
        nd.SequenceLast(x, nd.array([1, 2]), use_sequence_length=True)
    with pytest.raises(mx.MXNetError, match="at least 2 axes"):
        call_op("SequenceLast", (nd.ones((4,)),), (), {})
    with pytest.raises(mx.MXNetError, match="use_sequence_length=False"):
        nd.SequenceLast(x, nd.array([1, 2, 3]))
    with pytest.raises(mx.MXNetError, match="needs the sequence_length input"):
        call_op("SequenceLast", (x,), (), {"use_sequence_length": True})
    # MXNet reads outside the array for a length of 0 or > T; minimx refuses at the wait
    with pytest.raises(mx.MXNetError, match=r"out of range: lengths must be in \[1, 4\]"):
        nd.SequenceLast(x, nd.array([0, 2, 3]), use_sequence_length=True).asnumpy()
    with pytest.raises(mx.MXNetError, match="out of range"):
        nd.SequenceLast(x, nd.array([5, 2, 3]), use_sequence_length=True).asnumpy()


def test_sequence_last_public_wrapper_without_lengths():
    assert nd.SequenceLast(nd.arange(6).reshape((3, 2))).shape == (2,)
    assert nd.SequenceReverse(nd.arange(6).reshape((3, 2))).shape == (3, 2)


def test_sequence_reverse_matches_mxnet():
    x = nd.arange(24).reshape((4, 3, 2))
    out = nd.SequenceReverse(x, nd.array([1, 4, 2]), use_sequence_length=True)
    assert out.shape == (4, 3, 2)
    assert values(out[:, :, 0]) == [[0, 20, 10], [6, 14, 4], [12, 8, 16], [18, 2, 22]]
    assert values(call_op("SequenceReverse", (x,), (), {}))[0] == [[18, 19], [20, 21], [22, 23]]
    out = nd.SequenceReverse(x, nd.array([0, 4, 2]), use_sequence_length=True)   # 0: as it is
    assert values(out[:, :, 0]) == [[0, 20, 10], [6, 14, 4], [12, 8, 16], [18, 2, 22]]
    out = nd.SequenceReverse(x, nd.array([1.7, 2.2, 3.9]), use_sequence_length=True)
    assert values(out[:, :, 0]) == [[0, 8, 16], [6, 2, 10], [12, 14, 4], [18, 20, 22]]
    assert nd.SequenceReverse(x.astype("float16"), nd.array([1, 1, 1]),
                              use_sequence_length=True).dtype == np.float16
    with pytest.raises(mx.MXNetError, match="axis must be 0"):
        nd.SequenceReverse(x, nd.array([1, 2, 3]), use_sequence_length=True, axis=1)
    with pytest.raises(mx.MXNetError, match=r"lengths must be in \[0, 4\]"):
        nd.SequenceReverse(x, nd.array([5, 1, 2]), use_sequence_length=True).asnumpy()


@given(steps=st.integers(1, 5), batch=st.integers(0, 4), seed=st.integers(0, 2**16))
@settings(max_examples=20)
def test_sequence_kernels_against_python_loops(steps, batch, seed):
    rng = np.random.default_rng(seed)
    data = rng.normal(size=(steps, batch, 2)).astype(np.float32)
    lengths = rng.integers(1, steps + 1, size=batch).astype(np.float32)
    attrs = {"use_sequence_length": True, "axis": 0}
    rev = np.empty_like(data)
    REF["SequenceReverse"]((data, lengths), (rev,), attrs)
    last = np.empty((batch, 2), np.float32)
    REF["SequenceLast"]((data, lengths), (last,), attrs)
    for b in range(batch):
        n = int(lengths[b])
        np.testing.assert_array_equal(rev[:n, b], data[:n, b][::-1])
        np.testing.assert_array_equal(rev[n:, b], data[n:, b])
        np.testing.assert_array_equal(last[b], data[n - 1, b])


# -- ravel_multi_index, unravel_index ----------------------------------------------------------
def test_ravel_and_unravel_match_mxnet():
    out = nd.ravel_multi_index(nd.array([[3, 6, 6], [4, 5, 1]]), shape=(7, 6))
    assert out.dtype == np.float32 and flat(out) == [22, 41, 37]
    out = nd.ravel_multi_index(nd.array([[3, 6, 6], [4, 5, 1]], dtype="int32"), shape=(7, 6))
    assert out.dtype == np.int32 and flat(out) == [22, 41, 37]
    # no bounds check; floats truncate (MXNet)
    assert flat(nd.ravel_multi_index(nd.array([[3.7, 6, 6], [4, -1, 1]]), shape=(7, 6))) == [22, 35, 37]
    assert flat(nd.ravel_multi_index(nd.array([[3, 8, 6], [4, 7, 1]]), shape=(7, 6))) == [22, 55, 37]
    assert flat(nd.ravel_multi_index(nd.array([[1], [2]]), shape=(0, 6))) == [8]
    out = nd.unravel_index(nd.array([22, 41, 37]), shape=(7, 6))
    assert out.shape == (2, 3) and values(out) == [[3, 6, 6], [4, 5, 1]]
    assert values(nd.unravel_index(nd.array([22.7, -1, 50]), shape=(7, 6))) == [[3, 0, 8], [4, -1, 2]]
    assert values(nd.unravel_index(nd.array([22, 41, 37]), shape=(7, 6, 2))) == \
        [[1, 3, 3], [5, 2, 0], [0, 1, 1]]
    assert nd.unravel_index(nd.array([[22, 41], [37, 1]]), shape=(7, 6)).shape == (2, 2, 2)
    out = nd.unravel_index(nd.array([22, 41, 37], dtype="int64"), shape=(7, 6))
    assert out.dtype == np.int64
    assert values(nd.unravel_index(nd.array([5]), shape=(0, 6))) == [[0], [5]]


def test_ravel_and_unravel_errors():
    data = nd.array([[3, 6, 6], [4, 5, 1]])
    with pytest.raises(mx.MXNetError, match="2 rows but shape=.* has 3 axes"):
        nd.ravel_multi_index(data, shape=(7, 6, 2))
    with pytest.raises(mx.MXNetError, match="must be 2-d"):
        nd.ravel_multi_index(nd.array([3, 6]), shape=(7, 6))
    with pytest.raises(mx.MXNetError, match="needs the shape parameter"):
        nd.ravel_multi_index(data)
    with pytest.raises(mx.MXNetError, match="needs the shape parameter"):
        nd.unravel_index(nd.array([1, 2]))
    with pytest.raises(mx.MXNetError, match="divides by it"):
        nd.unravel_index(nd.array([1, 2]), shape=(3, 0))


@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=4), seed=st.integers(0, 2**16))
@settings(max_examples=20)
def test_ravel_unravel_round_trip_like_numpy(shape, seed):
    rng = np.random.default_rng(seed)
    idx = np.stack([rng.integers(0, n, size=6) for n in shape]).astype(np.int64)
    flat_idx = nd.ravel_multi_index(nd.array(idx, dtype="int64"), shape=tuple(shape))
    np.testing.assert_array_equal(flat_idx.asnumpy(), np.ravel_multi_index(tuple(idx), shape))
    back = nd.unravel_index(flat_idx, shape=tuple(shape))
    np.testing.assert_array_equal(back.asnumpy(), idx)


# -- fill_element_0index -----------------------------------------------------------------------
def test_fill_element_0index_matches_mxnet():
    lhs = nd.arange(12).reshape((3, 4))
    out = nd.fill_element_0index(lhs, nd.array([-1, -2, -3]), nd.array([1, 0, 3]))
    assert values(out) == [[0, -1, 2, 3], [-2, 5, 6, 7], [8, 9, 10, -3]]
    # 1.7 -> column 1; -1 and 5 are out of range: the row stays (MXNet)
    out = nd.fill_element_0index(lhs, nd.array([-1, -2, -3]), nd.array([1.7, -1, 5]))
    assert values(out) == [[0, -1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    assert values(lhs)[0] == [0, 1, 2, 3]                     # not in place
    out = nd.fill_element_0index(lhs.astype("int32"), nd.array([7, 7, 7], dtype="int32"),
                                 nd.array([0, 0, 0], dtype="int32"))
    assert out.dtype == np.int32 and [r[0] for r in values(out)] == [7, 7, 7]
    with pytest.raises(mx.MXNetError, match="3 rows but mhs has 2 values"):
        nd.fill_element_0index(lhs, nd.array([-1, -2]), nd.array([1, 0, 3]))
    with pytest.raises(mx.MXNetError, match="2-d lhs and 1-d mhs and rhs"):
        nd.fill_element_0index(lhs, nd.array([[-1, -2, -3]]), nd.array([1, 0, 3]))
    with pytest.raises(mx.MXNetError, match="same dtype"):
        nd.fill_element_0index(lhs, nd.array([-1, -2, -3]), nd.array([1, 0, 3], dtype="int32"))


# -- histogram ---------------------------------------------------------------------------------
def test_histogram_matches_mxnet():
    x = nd.array([[0, 1], [2, 2], [3, 4]])
    counts, edges = nd.histogram(x, bins=5, range=(0, 5))
    assert counts.dtype == np.int64 and edges.dtype == np.float32
    assert flat(counts) == [1, 1, 2, 1, 1] and flat(edges) == [0, 1, 2, 3, 4, 5]
    counts, edges = nd.histogram(x, bins=nd.array([0, 2.1, 3]))
    assert flat(counts) == [4, 1] and np.allclose(flat(edges), [0, 2.1, 3])
    assert flat(nd.histogram(x, bins=nd.array([0, 2.1, 3, 4]))[0]) == [4, 0, 2]
    assert flat(nd.histogram(x, bins=nd.array([3, 2.1, 0]))[0]) == [0, 0]   # decreasing edges
    counts, edges = nd.histogram(x, bins=4, range=(1, 3))
    assert flat(counts) == [1, 0, 2, 1] and flat(edges) == [1, 1.5, 2, 2.5, 3]
    counts, edges = nd.histogram(x, bins=3, range=(1, 1))        # widened to (0.5, 1.5)
    assert flat(counts) == [0, 1, 0] and np.allclose(flat(edges), [0.5, 5 / 6, 7 / 6, 1.5])
    counts, edges = nd.histogram(x.astype("int32"), bins=3, range=(0, 4))
    assert flat(counts) == [1, 1, 4] and edges.dtype == np.int32 and flat(edges) == [0, 1, 2, 4]
    counts, edges = nd.histogram(x.astype("float64"), bins=3, range=(0, 4))
    assert flat(counts) == [2, 2, 2] and edges.dtype == np.float64
    counts, edges = nd.histogram(x, bins=0, range=(1, 3))
    assert counts.shape == (0,) and np.isnan(flat(edges)).all()
    counts, _ = nd.histogram(nd.array([0.1, np.nan, 5, 4.0000001, -3]), bins=4, range=(0, 4))
    assert flat(counts) == [1, 0, 0, 1]
    counts, _ = nd.histogram(nd.array([0.1, np.nan, 5, 4.0, -3, 3.999]), bins=nd.array([0, 1, 2, 3, 4]))
    assert flat(counts) == [1, 0, 0, 2]
    # no range: numpy's answer, both arrays float32 (MXNet's mx.nd.array)
    counts, edges = nd.histogram(x, bins=5)
    assert counts.dtype == np.float32 and flat(counts) == [1, 1, 2, 1, 1]
    assert np.allclose(flat(edges), [0, 0.8, 1.6, 2.4, 3.2, 4])


def test_histogram_errors():
    x = nd.array([[0, 1], [2, 2], [3, 4]])
    with pytest.raises(mx.MXNetError, match="low <= high"):
        nd.histogram(x, bins=4, range=(3, 1))
    with pytest.raises(mx.MXNetError, match="bins has dtype float64 but data has float32"):
        nd.histogram(x, bins=nd.array([0, 2, 3], dtype="float64"))
    with pytest.raises(mx.MXNetError, match="1-d vector of at least 2 edges"):
        nd.histogram(x, bins=nd.array([0]))
    with pytest.raises(mx.MXNetError, match="1-d vector"):
        nd.histogram(x, bins=nd.array([[0, 1], [2, 3]]))
    with pytest.raises(mx.MXNetError, match="bins must be an int or an NDArray"):
        nd.histogram(x, bins=[0, 1, 2])
    with pytest.raises(mx.MXNetError, match="bin_cnt and range must be given together"):
        call_op("_histogram", (x,), (), {"bin_cnt": 3})
    with pytest.raises(mx.MXNetError, match="bins input must be left out"):
        call_op("_histogram", (x, nd.array([0, 1])), (), {"bin_cnt": 3, "range": (0, 1)})


@given(seed=st.integers(0, 2**16), bins=st.integers(1, 7))
@settings(max_examples=20)
def test_histogram_counts_like_numpy(seed, bins):
    rng = np.random.default_rng(seed)
    data = rng.uniform(-3, 3, size=40)
    counts, edges = nd.histogram(nd.array(data, dtype="float64"), bins=bins, range=(-2.0, 2.5))
    want, want_edges = np.histogram(data, bins=bins, range=(-2.0, 2.5))
    np.testing.assert_array_equal(counts.asnumpy(), want)
    np.testing.assert_allclose(edges.asnumpy(), want_edges)
    given_edges = np.sort(rng.uniform(-3, 3, bins + 1))
    counts, _ = nd.histogram(nd.array(data, dtype="float64"), bins=nd.array(given_edges, dtype="float64"))
    np.testing.assert_array_equal(counts.asnumpy(), np.histogram(data, bins=given_edges)[0])


# -- split_v2 ----------------------------------------------------------------------------------
def test_split_v2_matches_mxnet():
    x = nd.arange(12).reshape((3, 4))
    parts = nd.split_v2(x, 2, axis=1)
    assert [values(p) for p in parts] == [[[0, 1], [4, 5], [8, 9]], [[2, 3], [6, 7], [10, 11]]]
    parts = nd.split_v2(x, (1, 3), axis=1)
    assert [p.shape for p in parts] == [(3, 1), (3, 2), (3, 1)]
    assert values(parts[1]) == [[1, 2], [5, 6], [9, 10]]
    assert [p.shape for p in nd.split_v2(x, (1, 1), axis=1)] == [(3, 1), (3, 0), (3, 3)]
    parts = nd.split_v2(x, 3, axis=0, squeeze_axis=True)
    assert [p.shape for p in parts] == [(4,), (4,), (4,)] and flat(parts[2]) == [8, 9, 10, 11]
    single = nd.split_v2(x, 1)
    assert isinstance(single, nd.NDArray) and single.shape == (3, 4)
    assert isinstance(nd.split_v2(x, ()), nd.NDArray)
    assert [p.shape for p in nd.split_v2(nd.arange(4), 4, squeeze_axis=True)] == [()] * 4
    assert nd.split_v2(x.astype("int32"), (1,), axis=1)[0].dtype == np.int32
    # sections: near-equal parts, larger first (MXNet's _split_v2 with sections=3 on 4)
    parts = call_op("_split_v2", (x,), (), {"indices": (), "sections": 3, "axis": 1})
    assert [p.shape for p in parts] == [(3, 2), (3, 1), (3, 1)]


def test_split_v2_errors():
    x = nd.arange(12).reshape((3, 4))
    with pytest.raises(mx.MXNetError, match="cannot be split into 2 equal sections"):
        nd.split_v2(x, 2, axis=0)
    with pytest.raises(mx.MXNetError, match=r"part 1 would be \[3, 1\)"):
        nd.split_v2(x, (3, 1), axis=1)
    with pytest.raises(mx.MXNetError, match=r"part 1 would be \[1, 6\)"):
        nd.split_v2(x, (1, 6), axis=1)
    with pytest.raises(mx.MXNetError, match="squeeze_axis=True needs parts of size 1"):
        nd.split_v2(x, 2, axis=1, squeeze_axis=True)
    with pytest.raises(mx.MXNetError, match="axis 2 is out of range"):
        nd.split_v2(x, 2, axis=2)
    with pytest.raises(mx.MXNetError, match="an int or a tuple"):
        nd.split_v2(x, [1, 2])
    with pytest.raises(mx.MXNetError, match="indices must start at 0"):
        call_op("_split_v2", (x,), (), {"indices": (1, 2), "axis": 1})


@given(size=st.integers(0, 7), cuts=st.lists(st.integers(0, 7), max_size=3), seed=st.integers(0, 99))
@settings(max_examples=20)
def test_split_v2_like_numpy(size, cuts, seed):
    data = np.random.default_rng(seed).normal(size=(2, size)).astype(np.float32)
    cuts = tuple(sorted(c for c in cuts if c <= size))
    parts = nd.split_v2(nd.array(data), cuts, axis=1)
    parts = parts if isinstance(parts, list) else [parts]
    want = np.split(data, cuts, axis=1)
    assert len(parts) == len(want)
    for p, w in zip(parts, want):
        np.testing.assert_array_equal(p.asnumpy(), w)


# -- cast_storage, amp_cast, amp_multicast ------------------------------------------------------
def test_cast_storage_dense_only():
    x = nd.array([[1.5, -2.7], [0, 3]])
    out = nd.cast_storage(x, stype="default")
    assert out.dtype == np.float32 and values(out) == values(x)
    assert nd.cast_storage(x.astype("int32"), stype="default").dtype == np.int32
    for stype in ("csr", "row_sparse"):
        with pytest.raises(mx.MXNetError, match="minimx has dense storage only"):
            nd.cast_storage(x, stype=stype)
    with pytest.raises(mx.MXNetError, match="required parameter 'stype'"):
        nd.cast_storage(x)
    with pytest.raises(mx.MXNetError, match="invalid value for parameter 'stype'"):
        nd.cast_storage(x, stype="dense")


def test_amp_cast_matches_mxnet():
    x = nd.array([[1.5, -2.7], [0, 3]])
    out = nd.amp_cast(x, dtype="float16")
    assert out.dtype == np.float16 and flat(out) == [1.5, -2.69921875, 0, 3]
    out = nd.amp_cast(x, dtype="int32")
    assert out.dtype == np.int32 and flat(out) == [1, -2, 0, 3]        # C cast: truncation
    assert flat(nd.amp_cast(x, dtype="uint8")) == [1, 254, 0, 3]        # and wrap-around
    assert nd.amp_cast(x.astype("float16"), dtype="float32").dtype == np.float32
    # only float16/float32 inputs are cast; other types pass through unchanged (MXNet)
    for dtype in ("int32", "int8", "float64"):
        out = nd.amp_cast(x.astype(dtype), dtype="float16")
        assert out.dtype == np.dtype(dtype)
    with pytest.raises(mx.MXNetError, match="bfloat16 is not supported"):
        nd.amp_cast(x, dtype="bfloat16")
    with pytest.raises(mx.MXNetError, match="invalid value for parameter 'dtype'"):
        nd.amp_cast(x, dtype="bool")
    with pytest.raises(mx.MXNetError, match="required parameter 'dtype'"):
        nd.amp_cast(x)


@pytest.mark.parametrize("dtypes,narrow,want", [
    # MXNet's type inference, observed with mx.sym.amp_multicast(...).infer_type
    (("int32", "float16"), False, ("int32", "int32")),
    (("float16", "int32"), False, ("float16", "int32")),
    (("float16", "float16"), False, ("float16", "float16")),
    (("int32", "float32"), False, ("int32", "float32")),
    (("float64", "float16"), False, ("float64", "float64")),
    (("float16", "float64"), False, ("float16", "float64")),
    (("float32", "float16"), False, ("float32", "float32")),
    (("int32", "float16"), True, ("int32", "float16")),
    (("float32", "float32"), True, ("float32", "float32")),
    (("float64", "float32"), True, ("float64", "float32")),
    (("float32", "float16"), True, ("float16", "float16")),
    (("float16", "int32", "float32"), False, ("float32", "int32", "float32")),
])
def test_amp_multicast_dtypes_match_mxnet(dtypes, narrow, want):
    x = nd.array([[1.5, -2.7], [0, 3]])
    outs = nd.amp_multicast(*[x.astype(d) for d in dtypes], num_outputs=len(dtypes),
                            cast_narrow=narrow)
    assert tuple(np.dtype(o.dtype).name for o in outs) == want
    for o, d in zip(outs, dtypes):
        np.testing.assert_array_equal(o.asnumpy(), x.astype(d).asnumpy().astype(o.dtype))


def test_amp_multicast_counts():
    x = nd.array([1.5, 2])
    assert isinstance(nd.amp_multicast(x, num_outputs=1), nd.NDArray)   # one output: an NDArray
    with pytest.raises(mx.MXNetError, match="num_outputs=1 but 2 arrays"):
        nd.amp_multicast(x, x, num_outputs=1)
    with pytest.raises(mx.MXNetError, match="required parameter 'num_outputs'"):
        nd.amp_multicast(x, x)


# -- moveaxis, concatenate, onehot_encode -------------------------------------------------------
def test_moveaxis():
    assert nd.moveaxis(nd.zeros((3, 4, 5)), 0, 2).shape == (4, 5, 3)
    assert nd.moveaxis(nd.zeros((3, 4, 5)), [0, 1], [-1, -2]).shape == (5, 4, 3)
    out = nd.moveaxis(nd.arange(6).reshape((2, 3)), 0, -1)
    assert values(out) == [[0, 3], [1, 4], [2, 5]]
    x = np.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(nd.moveaxis(nd.array(x), [2, 0], [0, 1]).asnumpy(),
                                  np.moveaxis(x, [2, 0], [0, 1]))
    with pytest.raises(mx.MXNetError, match="source axis 3 is out of range"):
        nd.moveaxis(nd.zeros((3, 4, 5)), 3, 0)
    with pytest.raises(mx.MXNetError, match="destination axis 3 is out of range"):
        nd.moveaxis(nd.zeros((3, 4, 5)), 0, 3)
    with pytest.raises(mx.MXNetError, match="same number of axes"):
        nd.moveaxis(nd.zeros((3, 4, 5)), [0, 1], [0])
    with pytest.raises(mx.MXNetError, match="repeated axis"):
        nd.moveaxis(nd.zeros((3, 4, 5)), [0, 0], [1, 2])


def test_concatenate():
    x = nd.arange(6).reshape((2, 3))
    out = nd.concatenate([x, x * 2])
    assert out.shape == (4, 3) and values(out)[2] == [0, 2, 4]
    out = nd.concatenate([x, x * 2], axis=1)
    assert values(out) == [[0, 1, 2, 0, 2, 4], [3, 4, 5, 6, 8, 10]]
    assert values(nd.concatenate([x, x * 2], axis=-1)) == values(out)   # MXNet fails here
    assert nd.concatenate([x, nd.ones((2, 2))], axis=1).shape == (2, 5)
    assert nd.concatenate([x], always_copy=False) is x
    assert nd.concatenate([x]) is not x
    with pytest.raises(mx.MXNetError, match="dtype int32 but array 0 has float32"):
        nd.concatenate([x, x.astype("int32")], axis=1)
    with pytest.raises(mx.MXNetError, match="non-empty list"):
        nd.concatenate([])
    with pytest.raises(mx.MXNetError):
        nd.concatenate([x, nd.ones((2, 2))], axis=0)


def test_onehot_encode_matches_mxnet():
    out = nd.ones((4, 3)) * 7
    res = nd.onehot_encode(nd.array([0, 2, 1.7, -1]), out)
    assert res is out
    assert values(out) == [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0]]
    with pytest.raises(mx.MXNetError, match="3 indices but out has 4 rows"):
        nd.onehot_encode(nd.array([0, 2, 1]), nd.zeros((4, 3)))
    with pytest.raises(mx.MXNetError, match="1-d indices and a 2-d out"):
        nd.onehot_encode(nd.array([[0, 2, 1]]), nd.zeros((1, 3)))
    with pytest.raises(mx.MXNetError, match="must be float32"):
        nd.onehot_encode(nd.array([0, 2]), nd.zeros((2, 3), dtype="int32"))


# -- empty arrays through the kernels ------------------------------------------------------------
def test_kernels_on_empty_arrays():
    assert nd.SequenceReverse(nd.ones((3, 0, 2)), nd.ones((0,)), use_sequence_length=True).shape \
        == (3, 0, 2)
    assert nd.SequenceLast(nd.ones((3, 0)), nd.ones((0,)), use_sequence_length=True).shape == (0,)
    assert nd.ravel_multi_index(nd.zeros((2, 0)), shape=(3, 4)).shape == (0,)
    assert nd.unravel_index(nd.zeros((0,)), shape=(3, 4)).shape == (2, 0)
    counts, _ = nd.histogram(nd.zeros((0,)), bins=3, range=(0, 1))
    assert flat(counts) == [0, 0, 0]
    parts = nd.split_v2(nd.zeros((2, 0)), (1,), axis=1)
    assert [p.shape for p in parts] == [(2, 0), (2, 0)]
