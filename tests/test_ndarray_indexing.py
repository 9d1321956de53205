"""``x[key]`` and ``x[key] = value``: MXNet 1.9.1's legacy NDArray indexing.

Tables marked "MXNet" were observed in Apache MXNet 1.9.1. Generated keys are checked against
numpy where MXNet agrees with it (everything but the documented quirks).
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minimx as mx

nd = mx.nd
s_ = np.s_


def x3():
    return nd.arange(24).reshape((2, 3, 4))


def flat(x):
    return x.asnumpy().ravel().tolist()


# -- getitem: MXNet's results -----------------------------------------------------------------------
GET_CASES = [   # key, shape, first values (MXNet)
    (s_[1], (3, 4), [12, 13, 14, 15]), (s_[-1], (3, 4), [12, 13, 14, 15]),
    (s_[1, 2, 3], (1,), [23]), (s_[1, 2], (4,), [20, 21, 22, 23]),
    (s_[1:100], (1, 3, 4), [12, 13]), (s_[-100:1], (1, 3, 4), [0, 1]),
    (s_[::-1], (2, 3, 4), [12, 13]), (s_[:, ::2], (2, 2, 4), [0, 1, 2, 3, 8, 9]),
    (s_[None], (1, 2, 3, 4), [0, 1]), (s_[..., None], (2, 3, 4, 1), [0, 1]),
    (s_[..., 1], (2, 3), [1, 5, 9, 13, 17, 21]), (s_[1, ..., 1], (3,), [13, 17, 21]),
    (s_[[0, 1]], (2, 3, 4), [0, 1]), (s_[[0, 1], [1, 2]], (2, 4), [4, 5, 6, 7, 20, 21]),
    (s_[:, [0, 2], 1], (2, 2), [1, 9, 13, 21]), (s_[[0], :, [1, 2]], (2, 3), [1, 5, 9, 2, 6, 10]),
    (s_[True], (3, 4), [12, 13]), (s_[False], (3, 4), [0, 1]),
    (s_[[-1]], (1, 3, 4), [12, 13]), (s_[()], (2, 3, 4), [0, 1]), (s_[0, 1], (4,), [4, 5, 6, 7]),
    (s_[range(2)], (2, 3, 4), [0, 1]), (s_[[[0, 1], [1, 0]]], (2, 2, 3, 4), [0, 1]),
    (s_[np.int64(1)], (3, 4), [12, 13]), (s_[1:2, 1:2], (1, 1, 4), [16, 17, 18, 19]),
    (s_[[0, 1], None, [1, 2]], (2, 1, 4), [4, 5, 6, 7, 20, 21]),
    (s_[None, [0, 1], :, [1, 2]], (2, 1, 3), [1, 5, 9, 14, 18, 22]),
    (s_[[0, 1], :, None], (2, 1, 3, 4), [0, 1]),          # numpy gives (2, 3, 1, 4)
    (s_[:, [0, 1], None], (2, 1, 2, 4), [0, 1, 2, 3, 4]),  # numpy gives (2, 2, 1, 4)
    (s_[None, :, [0, 1]], (1, 2, 2, 4), [0, 1, 2, 3, 4]),
    (s_[[0, 1], 1:3, [0, 1]], (2, 2), [4, 8, 17, 21]),
    (s_[:, [[0], [1]], [0, 1, 2]], (2, 2, 3), [0, 1, 2, 4, 5, 6, 12, 13]),
    (s_[1, [0, 1], 1:3], (2, 2), [13, 14, 17, 18]), (s_[..., [0, 1]], (2, 3, 2), [0, 1, 4, 5]),
    (s_[1, :, 1:3:2], (3, 1), [13, 17, 21]), (s_[1:1], (0, 3, 4), []),
    (s_[np.array([True, False])], (2, 3, 4), [12, 13, 14]),   # a numpy bool array is 1s and 0s
    (s_[0, True], (3, 4), [0, 1, 2]), (s_[True, 0], (3, 4), [0, 1, 2]),   # a bool in a tuple is dropped
]


@pytest.mark.parametrize("key, shape, first", GET_CASES)
def test_getitem_matches_mxnet(key, shape, first):
    out = x3()[key]
    assert out.shape == shape
    assert flat(out)[:len(first)] == first


def test_getitem_with_ndarray_indices():
    x = x3()
    assert flat(x[nd.array([1])])[:2] == [12, 13]
    assert x[nd.array([1.7, 0])].shape == (2, 3, 4)                    # truncated, as MXNet
    assert flat(x[nd.array([1.7, 0])])[:2] == [12, 13]
    assert flat(x[nd.array([0, 1], dtype="int32"), nd.array([1, 2], dtype="int64")]) == \
        [4, 5, 6, 7, 20, 21, 22, 23]
    assert flat(x[1, nd.array([2, 0]), [3, 1]]) == [23, 13]
    with pytest.raises(mx.MXNetError, match="index 3 is out of bounds for axis 0 with size 2"):
        x[nd.array([3])].wait_to_read()


@pytest.mark.parametrize("key, error, words", [
    (s_[-3], IndexError, "index -3 is out of bounds for axis 0 with size 2"),
    (s_[2], IndexError, "index 2 is out of bounds for axis 0 with size 2"),
    (s_[1, 5], IndexError, "index 5 is out of bounds for axis 1 with size 3"),
    (s_[:, -4], IndexError, "index -4 is out of bounds for axis 1 with size 3"),
    (s_[[5]], IndexError, "index 5 is out of bounds for axis 0 with size 2"),
    (s_[[0, 1], [0, 1, 2]], ValueError, "cannot be broadcast"),
    (s_[0, 0, 0, 0], IndexError, r"too many indices \(4\) for array with 3 dimensions"),
    (s_[..., ...], IndexError, "more than one ellipsis"),
    (s_[::0], ValueError, "slice step cannot be zero"),
    (s_[:, ::0], ValueError, "slice step cannot be zero"),
    (1.0, ValueError, "does not support slicing with key 1.0"),
    ("a", ValueError, "does not support slicing"),
    (s_[5:1], mx.MXNetError, r"invalid slicing range \[2, 1\)"),         # MXNet's error too
])
def test_getitem_errors(key, error, words):
    with pytest.raises(error, match=words):
        x3()[key]


def test_bool_ndarray_index_is_refused_as_in_legacy_mxnet():
    with pytest.raises(ValueError, match="boolean indexing in legacy mode"):
        x3()[nd.array([1, 0], dtype="bool")]


# -- views and copies ---------------------------------------------------------------------------------
VIEW_CASES = [   # key, is the result a view of x? (MXNet)
    (s_[1], True), (s_[1:2], True), (s_[:, 1], False), (s_[1, 1:2], True), (s_[1, 2, 3], True),
    (s_[:, :, 1], False), (s_[::2], True), (s_[None, 1], True), (s_[1, ..., 1:3], False),
    (s_[1, 1, 1:3], True), (s_[[0]], False), (s_[1, None], True), (s_[0:1, 0:1, 0:1], True),
    (s_[0:2, 2:3], False), (s_[:], True), (s_[1:2, :, ::-1], False), (s_[1, 2, ::3], False),
]


@pytest.mark.parametrize("key, is_view", VIEW_CASES)
def test_views_share_memory_and_copies_do_not(key, is_view):
    x = x3()
    y = x[key]
    y[:] = -1
    expected = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    if is_view:
        expected[key] = -1
    np.testing.assert_array_equal(x.asnumpy(), expected)


def test_x_colon_is_x_itself_and_views_chain():
    x = x3()
    assert x[:] is x and x[()] is x
    v = x[1][1:3]           # a view of a view
    v[:] = 0
    assert flat(x[1]) == [12, 13, 14, 15] + [0] * 8
    w = nd.arange(6).reshape((2, 3))
    w[1][:] = 9
    w[1:2, 1:][:] = 7
    w[:, 1][:] = 5          # a copy: no effect
    assert w.asnumpy().tolist() == [[0, 1, 2], [9, 7, 7]]                 # MXNet


# -- setitem: MXNet's results ------------------------------------------------------------------------
SET_CASES = [   # key, value, expected x.ravel() (MXNet)
    (s_[1], 5, list(range(12)) + [5] * 12),
    (s_[1], nd.array([1, 2, 3, 4]), list(range(12)) + [1, 2, 3, 4] * 3),
    (s_[1], nd.array([[1], [2], [3]]), list(range(12)) + [1] * 4 + [2] * 4 + [3] * 4),
    (s_[:, 1], nd.array([7, 8, 9, 10]), [0, 1, 2, 3, 7, 8, 9, 10] + list(range(8, 16)) + [7, 8, 9, 10]
     + list(range(20, 24))),
    (s_[:, :, 1], nd.array([7, 8, 9]), [0, 7, 2, 3, 4, 8, 6, 7, 8, 9, 10, 11, 12, 7, 14, 15, 16, 8,
                                        18, 19, 20, 9, 22, 23]),
    (s_[:, :, 1], 7, [0, 7, 2, 3, 4, 7, 6, 7, 8, 7, 10, 11, 12, 7, 14, 15, 16, 7, 18, 19, 20, 7, 22, 23]),
    (s_[:, ::2, 1], nd.array([[1, 2], [3, 4]]), [0, 1] + list(range(2, 9)) + [2, 10, 11, 12, 3]
     + list(range(14, 21)) + [4, 22, 23]),
    (s_[::-1, 0, 0], nd.array([1, 2]), [2] + list(range(1, 12)) + [1] + list(range(13, 24))),
    (s_[1, 2, 3], -5, list(range(23)) + [-5]),
    (s_[:], np.ones((3, 4)), [1] * 24),
    (s_[:], [1, 2, 3, 4], [1, 2, 3, 4] * 6),
    (s_[0], np.array([1, 2, 3, 4]), [1, 2, 3, 4] * 3 + list(range(12, 24))),
    (s_[0], nd.ones((1, 1, 1, 1, 4)), [1] * 12 + list(range(12, 24))),
    (s_[[0, 1], [1, 2]], 9, [0, 1, 2, 3, 9, 9, 9, 9] + list(range(8, 20)) + [9] * 4),
    (s_[[0, 1], :, [1, 2]], nd.array([1, 2, 3]), [0, 1, 2, 3, 4, 2, 6, 7, 8, 3, 10, 11, 12, 13, 1, 15,
                                                  16, 17, 2, 19, 20, 21, 3, 23]),
    (s_[[0, 0], [1, 1]], nd.array([[1, 1, 1, 1], [2, 2, 2, 2]]), [0, 1, 2, 3, 2, 2, 2, 2]
     + list(range(8, 24))),
    (s_[None, 1], nd.array([[1, 2, 3, 4]]), list(range(12)) + [1, 2, 3, 4] * 3),
    (s_[1, None], nd.array([[[1, 2, 3, 4]]]), list(range(12)) + [1, 2, 3, 4] * 3),
    (s_[:, 1:2], nd.array([1, 2, 3, 4]), [0, 1, 2, 3, 1, 2, 3, 4] + list(range(8, 16)) + [1, 2, 3, 4]
     + list(range(20, 24))),
    (s_[0], nd.array([1, 2, 3, 4], dtype="int32"), [1, 2, 3, 4] * 3 + list(range(12, 24))),
    (s_[0, 0, 0], True, [1] + list(range(1, 24))),
    (s_[1:1], 5, list(range(24))),
    (s_[..., 0], nd.array([1, 2, 3]), [1, 1, 2, 3, 2, 5, 6, 7, 3, 9, 10, 11, 1, 13, 14, 15, 2, 17, 18,
                                       19, 3, 21, 22, 23]),
    (s_[nd.array([0, 1])], 0, [0] * 24),
    (s_[np.array([True, False])], 0, [0] * 24),       # bools are the indices 1 and 0
    (s_[:, [0, 2]], nd.zeros((2, 2, 1)), [0] * 4 + [4, 5, 6, 7] + [0] * 8 + [16, 17, 18, 19] + [0] * 4),
]


@pytest.mark.parametrize("key, value, expected", SET_CASES)
def test_setitem_matches_mxnet(key, value, expected):
    x = x3()
    x[key] = value
    assert flat(x) == expected


def test_setitem_casts_to_the_array_dtype():
    y = nd.arange(6).reshape((2, 3)).astype("int32")
    y[0, 1] = 2.7
    assert y.asnumpy().tolist() == [[0, 2, 2], [3, 4, 5]]                 # MXNet truncates
    y[:, ::2] = 3.9
    assert y.asnumpy().tolist() == [[3, 2, 3], [3, 4, 3]]
    y[0] = -1.5
    assert y.asnumpy().tolist() == [[-1, -1, -1], [3, 4, 3]]
    z = nd.zeros((2, 2))
    z[0, 0] = 2.7
    assert abs(z.asnumpy()[0, 0] - 2.7) < 1e-6
    z[1] = nd.array([1, 2], dtype="float64")
    assert z.dtype == np.float32 and z.asnumpy()[1].tolist() == [1, 2]


@pytest.mark.parametrize("key, value, error, words", [
    (s_[0], "nd.ones((2, 3, 4))", ValueError, "could not be broadcast"),
    (s_[1, 1], "nd.array([1, 2, 3])", ValueError, "could not be broadcast"),
    (s_[:, 5], "5", IndexError, "index 5 is out of bounds for axis 1 with size 3"),
    (s_[0], "'a'", TypeError, "does not support assignment"),
    (s_[[5]], "1", IndexError, "index 5 is out of bounds for axis 0 with size 2"),   # MXNet: corrupts
    (s_[5:1], "5", mx.MXNetError, "empty reversed slice"),                     # MXNet: AssertionError
])
def test_setitem_errors(key, value, error, words):
    with pytest.raises(error, match=words):
        x = x3()
        x[key] = eval(value)


def test_setitem_negative_advanced_index_wraps():
    x = x3()
    x[[-1]] = 1          # NB: MXNet writes out of bounds here; minimx counts from the end as numpy
    assert flat(x) == list(range(12)) + [1] * 12


def test_setitem_reading_the_written_array():
    x = nd.arange(12).reshape((3, 4))
    x[::2] = x[1]
    assert x.asnumpy().tolist() == [[4, 5, 6, 7], [4, 5, 6, 7], [4, 5, 6, 7]]
    y = nd.arange(12).reshape((3, 4))
    y[:, 1:] = y[:, :3]
    assert y.asnumpy().tolist() == [[0, 0, 1, 2], [4, 4, 5, 6], [8, 8, 9, 10]]
    z = nd.arange(12).reshape((3, 4))
    z[:] = z
    assert flat(z) == list(range(12))


def test_writes_are_engine_ops_ordered_with_other_ops(engine_kind):
    x = nd.zeros((64, 64))
    total = []
    for i in range(20):
        x[i % 64] = i                 # contiguous: _full through a view
        x[:, i % 64] = x[:, (i + 1) % 64] + 1   # strided: _slice_assign
        x[[0, 63], [1, 2]] = -i      # advanced: _scatter_set_nd
        total.append((x * 1).sum().asscalar() if hasattr(x, "sum") else (x * 1).asnumpy().sum())
    expected = np.zeros((64, 64), np.float32)
    want = []
    for i in range(20):
        expected[i % 64] = i
        expected[:, i % 64] = expected[:, (i + 1) % 64] + 1
        expected[[0, 63], [1, 2]] = -i
        want.append(expected.sum())
    np.testing.assert_array_equal(x.asnumpy(), expected)
    np.testing.assert_allclose(np.array(total, np.float64), want, rtol=1e-6)


def test_zero_size_and_zero_d_arrays():
    e = nd.zeros((0, 3))
    e[:] = 5
    assert e.shape == (0, 3)
    assert e[1:].shape == (0, 3)
    parts = nd.split(nd.arange(2), num_outputs=2, axis=0, squeeze_axis=True)
    p = parts[0]
    assert p[()] is p and p[:] is p
    p[()] = 7
    assert float(p.asnumpy()) == 7
    with pytest.raises(IndexError):
        p[0]


# -- generated keys against numpy ---------------------------------------------------------------------
def basic_keys(shape):
    """Basic keys (ints, slices, None, Ellipsis) for an array of ``shape``."""
    def entry(n):
        return st.one_of(st.integers(-n, n - 1), st.builds(
            slice, st.one_of(st.none(), st.integers(-n - 2, n + 2)),
            st.one_of(st.none(), st.integers(-n - 2, n + 2)),
            st.one_of(st.none(), st.integers(-3, 3).filter(bool))))
    return st.tuples(*[entry(n) for n in shape]).flatmap(lambda key: st.tuples(
        st.just(key), st.lists(st.integers(0, len(key)), max_size=2),
        st.one_of(st.none(), st.integers(0, len(key))), st.integers(0, len(key))))


def _assemble(parts):
    """A key with None entries inserted, an Ellipsis in place of some entries, and the trailing
    entries dropped, from (entries, None positions, Ellipsis position, how many to keep)."""
    entries, nones, ellipsis, keep = parts
    key = list(entries)
    if ellipsis is not None:
        key = key[:ellipsis] + [Ellipsis] + key[keep if keep > ellipsis else ellipsis:]
    else:
        key = key[:max(keep, 1)]
    for p in sorted(nones, reverse=True):
        key.insert(min(p, len(key)), None)
    return tuple(key)


shapes = st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple)


def _reversed(k, n):
    """Whether ``k`` is a slice whose start lies past its stop (``5:1``, ``0:1:-1``)."""
    if not isinstance(k, slice):
        return False
    b, e, step = k.indices(n)
    return b > e if step > 0 else b < e


def key_axes(key, shape):
    """The entries of a basic key, one per axis of ``shape`` (None dropped, ``...`` expanded)."""
    entries = [k for k in key if k is not None]
    if Ellipsis in entries:
        at = entries.index(Ellipsis)
        entries[at:at + 1] = [slice(None)] * (len(shape) - len(entries) + 1)
    return entries + [slice(None)] * (len(shape) - len(entries))


@given(data=st.data(), shape=shapes)
def test_generated_basic_keys_match_numpy(data, shape):
    key = _assemble(data.draw(basic_keys(shape)))
    values = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    x = nd.array(values)
    want = values[key]
    got = x[key]
    assert got.shape == (want.shape or (1,))          # MXNet: an all-int key gives shape (1,)
    np.testing.assert_array_equal(got.asnumpy().reshape(want.shape), want)
    # setitem writes the same region numpy writes; as MXNet, a reversed empty slice is an error
    if any(_reversed(k, n) for k, n in zip(key_axes(key, shape), shape)):
        with pytest.raises(mx.MXNetError, match="empty reversed slice"):
            x[key] = 1.0
        return
    region = np.arange(want.size, dtype=np.float32).reshape(want.shape) + 100
    expected = values.copy()
    expected[key] = region
    x[key] = nd.array(region.reshape(want.shape or (1,)))
    np.testing.assert_array_equal(x.asnumpy(), expected)
    x[key] = -7.0
    expected[key] = -7.0
    np.testing.assert_array_equal(x.asnumpy(), expected)


@given(data=st.data(), shape=shapes)
def test_generated_advanced_keys_match_numpy(data, shape):
    values = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    n_axes = data.draw(st.integers(1, len(shape)))
    bshape = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    key = []
    for n in shape[:n_axes]:
        kind = data.draw(st.sampled_from(["array", "ndarray", "int", "slice"]))
        if kind in ("array", "ndarray"):
            idx = np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=int(np.prod(bshape)),
                                              max_size=int(np.prod(bshape))))).reshape(bshape)
            key.append(nd.array(idx, dtype="int64") if kind == "ndarray" else idx)
        elif kind == "int":
            key.append(data.draw(st.integers(-n, n - 1)))
        else:
            key.append(slice(data.draw(st.one_of(st.none(), st.integers(-n, n))), None,
                             data.draw(st.sampled_from([None, 1, 2, -1]))))
    if not any(isinstance(k, (np.ndarray, nd.NDArray)) for k in key):
        key[0] = np.array([0, -1])
    np_key = tuple(k.asnumpy().astype(np.int64) if isinstance(k, nd.NDArray) else k for k in key)
    want = values[np_key]
    x = nd.array(values)
    got = x[tuple(key)]
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.asnumpy(), want)
    # setitem with one value per selected element (repeated indices: numpy and minimx keep the last)
    fill = np.arange(want.size, dtype=np.float32).reshape(want.shape) - 50
    expected = values.copy()
    expected[np_key] = fill
    x[tuple(key)] = nd.array(fill)
    np.testing.assert_array_equal(x.asnumpy(), expected)
