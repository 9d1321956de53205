"""minimx.data: datasets, samplers and batchify functions, against values seen in MXNet 1.9.1."""
import numpy as np
import pytest

import minimx as mx
from minimx.gluon.data import (ArrayDataset, BatchSampler, Dataset, FilterSampler, IntervalSampler,
                               RandomSampler, RecordFileDataset, Sampler, SequentialSampler,
                               SimpleDataset)
from minimx.gluon.data import batchify
from minimx.gluon.data.dataloader import default_batchify_fn


@pytest.fixture
def ds():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    return ArrayDataset(X, np.arange(10))


def test_gluon_data_is_minimx_data():
    import minimx.data
    from minimx.gluon.data import DataLoader
    assert mx.gluon.data is minimx.data
    assert DataLoader is minimx.data.DataLoader


# -- datasets --------------------------------------------------------------------------------------
def test_array_dataset_samples(ds):
    x, y = ds[3]
    np.testing.assert_array_equal(x, [6, 7])
    assert y == 3 and isinstance(y, np.int64)
    assert len(ds) == 10
    single = ArrayDataset(np.arange(5))
    assert single[2] == 2


def test_array_dataset_of_ndarrays():
    ds = ArrayDataset(mx.nd.arange(12).reshape((6, 2)), mx.nd.arange(6))
    x, y = ds[1]
    assert isinstance(x, mx.nd.NDArray)          # >1-D NDArrays stay NDArrays
    assert isinstance(y, np.float32) and y == 1  # MXNet turns a 1-D NDArray into numpy
    np.testing.assert_array_equal(x.asnumpy(), [2, 3])


def test_array_dataset_errors():
    with pytest.raises(AssertionError, match="array\\[0\\] has length 10 while array\\[2\\] has 5"):
        ArrayDataset(np.zeros(10), np.zeros(5))
    with pytest.raises(mx.MXNetError, match="at least 1"):
        ArrayDataset()


def test_transform_lazy_and_eager(ds):
    calls = []

    def double(x, y):
        calls.append(y)
        return x * 2, y

    lazy = ds.transform(double)
    assert calls == []
    np.testing.assert_array_equal(lazy[1][0], [4, 6])
    eager = ds.transform(double, lazy=False)
    assert type(eager) is SimpleDataset and len(calls) == 11
    np.testing.assert_array_equal(eager[1][0], [4, 6])
    assert SimpleDataset([1, 2, 3]).transform(lambda v: v + 1)[0] == 2


def test_transform_first(ds):
    t = ds.transform_first(lambda x: x * 2)
    x, y = t[1]
    np.testing.assert_array_equal(x, [4, 6])
    assert y == 1
    assert SimpleDataset([1, 2]).transform_first(lambda v: -v)[1] == -2


def test_filter_take_shard_sample(ds):
    f = ds.filter(lambda s: s[1] % 2 == 0)
    assert len(f) == 5 and f[1][1] == 2
    assert len(ds.take(3)) == 3 and ds.take(3)[2][1] == 2
    assert len(ds.take(None)) == 10 and len(ds.take(99)) == 10
    # MXNet: 10 samples in 3 shards -> 4, 3, 3; shard 1 starts at sample 4
    assert [len(ds.shard(3, i)) for i in range(3)] == [4, 3, 3]
    assert ds.shard(3, 1)[0][1] == 4
    assert ds.sample(SequentialSampler(3, 2))[0][1] == 2
    with pytest.raises(TypeError, match="Invalid sampler type"):
        ds.sample([1, 2])
    with pytest.raises(AssertionError, match="Shard index of out bound: 2 out of 2"):
        ds.shard(2, 2)


def test_base_dataset_is_abstract():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        len(Sampler())


def test_record_file_dataset_not_supported():
    with pytest.raises(mx.MXNetError, match="(?s)RecordIO.*ImageFolderDataset"):
        RecordFileDataset("train.rec")


# -- samplers --------------------------------------------------------------------------------------
def test_sequential_and_random_sampler():
    assert list(SequentialSampler(4, start=3)) == [3, 4, 5, 6]
    np.random.seed(1)
    first = list(RandomSampler(10))
    assert sorted(first) == list(range(10)) and len(RandomSampler(10)) == 10
    np.random.seed(1)
    assert list(RandomSampler(10)) == first          # follows np.random.seed, as in MXNet
    assert isinstance(first[0], np.int64)


def test_filter_sampler():
    s = FilterSampler(lambda v: v > 5, list(range(10)))
    assert list(s) == [6, 7, 8, 9] and len(s) == 4


@pytest.mark.parametrize("last_batch, batches, length", [
    ("keep", [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]], 4),
    ("discard", [[0, 1, 2], [3, 4, 5], [6, 7, 8]], 3),
])
def test_batch_sampler(last_batch, batches, length):
    bs = BatchSampler(SequentialSampler(10), 3, last_batch)
    assert list(bs) == batches and len(bs) == length


def test_batch_sampler_rollover():
    bs = BatchSampler(SequentialSampler(10), 3, "rollover")
    assert len(bs) == 3
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert len(bs) == 3                      # (1 rolled + 10) // 3, as MXNet computes it
    assert list(bs) == [[9, 0, 1], [2, 3, 4], [5, 6, 7]]
    assert len(bs) == 4


def test_batch_sampler_bad_last_batch():
    with pytest.raises(ValueError, match="last_batch must be one of 'keep', 'discard', or "
                                         "'rollover', but got bad"):
        list(BatchSampler(SequentialSampler(10), 3, "bad"))


def test_interval_sampler():
    assert list(IntervalSampler(13, interval=3)) == [0, 3, 6, 9, 12, 1, 4, 7, 10, 2, 5, 8, 11]
    assert len(IntervalSampler(13, 3)) == 13
    s = IntervalSampler(13, 3, rollover=False)
    assert list(s) == [0, 3, 6, 9, 12] and len(s) == 5
    with pytest.raises(AssertionError, match="smaller than length"):
        IntervalSampler(3, 5)


# -- batchify --------------------------------------------------------------------------------------
def test_default_batchify_fn_dtypes(ds):
    data, label = default_batchify_fn([ds[i] for i in range(3)])
    assert data.shape == (3, 2) and data.dtype == np.float32
    assert label.dtype == np.int64
    np.testing.assert_array_equal(label.asnumpy(), [0, 1, 2])
    # numbers follow numpy.asarray, as in MXNet: ints -> int64, floats -> float64
    assert default_batchify_fn([1, 2, 3]).dtype == np.int64
    assert default_batchify_fn([1.5, 2.0]).dtype == np.float64
    assert default_batchify_fn([np.float32(1)]).dtype == np.float32
    stacked = default_batchify_fn([mx.nd.ones((2,), dtype="int32")] * 3)
    assert stacked.dtype == np.int32 and stacked.shape == (3, 2)


def test_default_batchify_copies_samples():
    rows = [np.ones(3, np.float32), np.zeros(3, np.float32)]
    batch = default_batchify_fn(rows)
    rows[0][:] = 7
    np.testing.assert_array_equal(batch.asnumpy(), [[1, 1, 1], [0, 0, 0]])


def test_stack():
    out = batchify.Stack()([[1, 2, 3, 4], [4, 5, 6, 8]])
    assert isinstance(out, list) and len(out) == 4       # lists are stacked field by field
    arr = batchify.Stack()([np.array([[1, 2], [3, 4]]), np.array([[5, 6], [7, 8]])])
    assert arr.shape == (2, 2, 2)
    nd = batchify.Stack()([mx.nd.ones((2,)), mx.nd.zeros((2,))])
    np.testing.assert_array_equal(nd.asnumpy(), [[1, 1], [0, 0]])


def test_pad():
    out = batchify.Pad()([[1, 2, 3, 4], [4, 5, 6], [8, 2]])
    np.testing.assert_array_equal(out.asnumpy(), [[1, 2, 3, 4], [4, 5, 6, 0], [8, 2, 0, 0]])
    assert out.dtype == np.int64
    a = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    b = np.array([[5, 8], [1, 2]])
    out = batchify.Pad(val=-1)([a, b])
    np.testing.assert_array_equal(out.asnumpy()[1], [[5, 8, -1, -1], [1, 2, -1, -1]])
    out, lengths = batchify.Pad(dtype="float32", round_to=4, ret_length=True)([[1, 2, 3, 4, 5], [1]])
    assert out.shape == (2, 8) and out.dtype == np.float32
    np.testing.assert_array_equal(lengths.asnumpy(), [5, 1])
    assert lengths.dtype == np.int32
    out = batchify.Pad(val=9)([mx.nd.ones((1, 2)), mx.nd.ones((2, 1))])
    np.testing.assert_array_equal(out.asnumpy(), [[[1, 1], [9, 9]], [[1, 9], [1, 9]]])
    with pytest.raises(NotImplementedError, match="Group"):
        batchify.Pad()([(1, 2), (3, 4)])


def test_group_and_tuple():
    data, label = batchify.Tuple(batchify.Pad(val=-1), batchify.Stack())([([1, 2, 3], 0), ([4, 5], 1)])
    np.testing.assert_array_equal(data.asnumpy(), [[1, 2, 3], [4, 5, -1]])
    np.testing.assert_array_equal(label.asnumpy(), [0, 1])
    assert batchify.Group is batchify.Tuple
    f = batchify.Group([batchify.Stack(), batchify.AsList()])
    _, names = f([(1, "a"), (2, "b")])
    assert names == ["a", "b"]
    with pytest.raises(ValueError, match="2 fields but Group has 1"):
        batchify.Group(batchify.Stack())([(1, 2)])
    with pytest.raises(TypeError, match="callable"):
        batchify.Group(batchify.Stack(), 3)


def test_append():
    out = batchify.Append()([[1, 2, 3], [4, 5]])
    assert [x.shape for x in out] == [(1, 3), (1, 2)]


def test_default_batchify_of_an_array_copies_it():
    arr = np.arange(4, dtype=np.float32)
    batch = default_batchify_fn(arr)
    batch[:] = 0
    np.testing.assert_array_equal(arr, [0, 1, 2, 3])
