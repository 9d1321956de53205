"""minimx.data.DataLoader: batching, MXNet's argument checks, worker processes and threads,
shared-memory transport, and the failure paths (worker error, stuck worker, dead worker, a loop
left early). Every wait that could hang has a bound."""
import gc
import glob
import mmap
import os
import threading
import time

import numpy as np
import pytest

import minimx as mx
from minimx.data import _shm
from minimx.gluon.data import ArrayDataset, BatchSampler, DataLoader, SequentialSampler, batchify

WORKERS = [pytest.param(dict(num_workers=2), id="processes"),
           pytest.param(dict(num_workers=2, thread_pool=True), id="threads")]


def within(seconds, fn, *args):
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it takes over ``seconds``."""
    result = {}

    def target():
        try:
            result["value"] = fn(*args)
        except BaseException as e:  # noqa: BLE001 - re-raised below
            result["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"{fn.__name__} did not finish within {seconds} s"
    if "error" in result:
        raise result["error"]
    return result.get("value")


@pytest.fixture
def data():
    X = np.arange(120, dtype=np.float32).reshape(30, 4)
    y = np.arange(30, dtype=np.int64)
    return X, y


def labels(loader):
    return [b[1].asnumpy().tolist() for b in loader]


def epoch(loader):
    return [[field.asnumpy() for field in batch] for batch in loader]


# -- in this process -------------------------------------------------------------------------------
def test_batches_and_len(data):
    X, y = data
    loader = DataLoader(ArrayDataset(X, y), batch_size=8)
    assert len(loader) == 4
    batches = list(loader)
    assert len(batches) == 4
    x0, y0 = batches[0]
    assert isinstance(batches[0], list) and x0.shape == (8, 4) and x0.dtype == np.float32
    assert y0.dtype == np.int64 and x0.context == mx.cpu()
    np.testing.assert_array_equal(x0.asnumpy(), X[:8])
    assert batches[-1][0].shape == (6, 4)


@pytest.mark.parametrize("last_batch, lens, sizes", [
    ("keep", [4], [8, 8, 8, 6]), ("discard", [3], [8, 8, 8])])
def test_last_batch(data, last_batch, lens, sizes):
    loader = DataLoader(ArrayDataset(*data), batch_size=8, last_batch=last_batch)
    assert [len(loader)] == lens
    assert [b[0].shape[0] for b in loader] == sizes


def test_last_batch_rollover(data):
    loader = DataLoader(ArrayDataset(*data), batch_size=8, last_batch="rollover")
    assert len(loader) == 3
    first = labels(loader)
    assert first[-1] == list(range(16, 24)) and len(loader) == 4   # (6 rolled + 30) // 8
    assert labels(loader)[0] == list(range(24, 30)) + [0, 1]


def test_numpy_and_ndarray_datasets():
    X = np.arange(12, dtype=np.float64).reshape(6, 2)
    b = next(iter(DataLoader(X, batch_size=4)))
    assert b.dtype == np.float64 and b.shape == (4, 2)
    nd = next(iter(DataLoader(mx.nd.array(X), batch_size=4)))
    np.testing.assert_array_equal(nd.asnumpy(), X[:4])


def test_fast_gather_equals_samplewise(data):
    """A numpy ArrayDataset is batched by fancy indexing; the batches must equal stacking."""
    X, y = data
    fast = ArrayDataset(X, y)
    slow = fast.transform(lambda a, b: (a, b))
    sampler = BatchSampler(SequentialSampler(30), 7)
    batch_sampler = [[3, -1, 29, 0], [5]]
    for kw in (dict(batch_sampler=sampler), dict(batch_sampler=batch_sampler)):
        for (fx, fy), (sx, sy) in zip(DataLoader(fast, **kw), DataLoader(slow, **kw)):
            assert fx.dtype == sx.dtype and fy.dtype == sy.dtype
            np.testing.assert_array_equal(fx.asnumpy(), sx.asnumpy())
            np.testing.assert_array_equal(fy.asnumpy(), sy.asnumpy())
    with pytest.raises(IndexError):
        list(DataLoader(fast, batch_sampler=[[30]]))


def test_batches_do_not_alias_the_dataset(data):
    X, y = data
    x0, _ = next(iter(DataLoader(ArrayDataset(X, y), batch_size=4)))
    x0[:] = -1
    assert X[0, 0] == 0


def test_argument_checks(data):
    ds = ArrayDataset(*data)
    with pytest.raises(ValueError, match="batch_size must be specified unless batch_sampler"):
        DataLoader(ds)
    with pytest.raises(ValueError, match="shuffle must not be specified if sampler is specified"):
        DataLoader(ds, batch_size=2, shuffle=True, sampler=SequentialSampler(30))
    with pytest.raises(ValueError, match="must not be specified if batch_sampler is specified"):
        DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(30), 3), batch_size=3)
    with pytest.raises(AssertionError, match="timeout must be positive, given 0"):
        DataLoader(ds, batch_size=2, timeout=0)
    with pytest.raises(ValueError, match="last_batch must be one of"):
        len(DataLoader(ds, batch_size=2, last_batch="bad"))
    loader = DataLoader(ds, batch_size=2, num_workers=-1, pin_memory=True, try_nopython=False)
    assert loader._num_workers == 0 and len(list(loader)) == 15


def test_shuffle_follows_np_random_seed(data):
    loader = DataLoader(ArrayDataset(*data), batch_size=5, shuffle=True)
    np.random.seed(3)
    first = labels(loader)
    np.random.seed(3)
    assert labels(loader) == first
    assert sorted(sum(first, [])) == list(range(30)) and first != labels(loader)


# -- with workers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", WORKERS)
def test_workers_match_in_process(data, kw):
    ds = ArrayDataset(*data)
    for dataset in (ds, ds.transform_first(lambda x: x * 2)):
        plain = DataLoader(dataset, batch_size=7, shuffle=True)
        pooled = DataLoader(dataset, batch_size=7, shuffle=True, **kw)
        for _ in range(2):
            np.random.seed(5)
            want = epoch(plain)
            np.random.seed(5)
            got = within(60, epoch, pooled)
            assert len(got) == len(want) == len(pooled) == 5
            for g, w in zip(got, want):
                for a, b in zip(g, w):
                    assert a.dtype == b.dtype
                    np.testing.assert_array_equal(a, b)


def test_worker_batches_travel_in_shared_memory(data):
    loader = DataLoader(ArrayDataset(*data), batch_size=4, num_workers=2)
    held = within(60, list, loader)      # keep every batch: slots must not be reused under them
    for k, (x, y) in enumerate(held):
        np.testing.assert_array_equal(y.asnumpy(), np.arange(4 * k, min(4 * k + 4, 30)))
        base = x._data
        while isinstance(base, np.ndarray) and base.base is not None:
            base = base.base
        if isinstance(base, memoryview):
            base = base.obj
        assert isinstance(base, mmap.mmap), "a worker batch should be a view of shared memory"
    prefix = loader._pool.prefix
    del loader
    gc.collect()
    assert glob.glob(os.path.join(_shm.SHM_DIR, prefix + "-*")) == []
    np.testing.assert_array_equal(held[0][0].asnumpy(), data[0][:4])   # still valid after


def test_custom_batchify_with_workers():
    ds = ArrayDataset([[1, 2, 3], [4, 5], [6]], ["a", "b", "c"])
    fn = batchify.Group(batchify.Pad(val=-1, ret_length=True), batchify.AsList())
    for kw in (dict(), dict(num_workers=2)):
        (padded, lengths), names = within(60, list, DataLoader(ds, batch_size=3, batchify_fn=fn, **kw))[0]
        np.testing.assert_array_equal(padded.asnumpy(), [[1, 2, 3], [4, 5, -1], [6, -1, -1]])
        np.testing.assert_array_equal(lengths.asnumpy(), [3, 2, 1])
        assert names == ["a", "b", "c"]


def _fail_on_13(x, y):
    if y == 13:
        raise ValueError("sample thirteen is bad")
    return x, y


@pytest.mark.parametrize("kw", WORKERS)
def test_worker_error_surfaces_with_traceback_and_index(data, kw):
    loader = DataLoader(ArrayDataset(*data).transform(_fail_on_13), batch_size=4, **kw)
    with pytest.raises(ValueError) as info:
        within(60, list, loader)
    msg = str(info.value)
    assert "sample index 13" in msg and "sample thirteen is bad" in msg
    assert "Traceback" in msg and "_fail_on_13" in msg        # the worker's own traceback
    # the loader still works for the next epoch (up to the bad sample)
    it = iter(loader)
    assert next(it)[1].asnumpy().tolist() == [0, 1, 2, 3]


def test_worker_error_in_batchify_names_the_batch(data):
    def bad_batchify(samples):
        raise KeyError("no")
    loader = DataLoader(ArrayDataset(*data), batch_size=4, batchify_fn=bad_batchify, num_workers=1)
    with pytest.raises(KeyError, match="batchifying the samples of indices \\[0, 1, 2, 3\\]"):
        within(60, list, loader)


def _stuck_on_5(x, y):
    if y == 5:
        threading.Event().wait(60)     # a transform that hangs (bounded, so nothing leaks long)
    return x, y


@pytest.mark.parametrize("kw", WORKERS)
def test_stuck_worker_times_out_and_shuts_down(data, kw):
    loader = DataLoader(ArrayDataset(*data).transform(_stuck_on_5), batch_size=2, timeout=1, **kw)
    pool = loader._pool
    start = time.monotonic()
    with pytest.raises(mx.MXNetError, match="no batch within timeout=1 s"):
        within(30, list, loader)
    assert time.monotonic() - start < 15
    assert not pool.alive
    if not kw.get("thread_pool"):
        assert not any(p.is_alive() for p in pool._procs)
        assert glob.glob(os.path.join(_shm.SHM_DIR, pool.prefix + "-*")) == []


def _exit_on_7(x, y):
    if y == 7:
        os._exit(3)
    return x, y


def test_dead_worker_raises(data):
    loader = DataLoader(ArrayDataset(*data).transform(_exit_on_7), batch_size=2, num_workers=2)
    with pytest.raises(mx.MXNetError, match="exited with code 3"):
        within(60, list, loader)
    assert not loader._pool.alive
    fresh = DataLoader(ArrayDataset(*data), batch_size=10, num_workers=2)
    assert within(60, labels, fresh)[0] == list(range(10))


@pytest.mark.parametrize("kw", WORKERS)
def test_break_out_of_loop_does_not_hang(data, kw):
    loader = DataLoader(ArrayDataset(*data), batch_size=2, prefetch=6, **kw)

    def leave_early():
        for i, _ in enumerate(loader):
            if i == 1:
                break
        return labels(loader)

    assert within(60, leave_early) == [[2 * i, 2 * i + 1] for i in range(15)]
    del loader
    gc.collect()


def test_two_iterators_over_one_loader(data):
    loader = DataLoader(ArrayDataset(*data), batch_size=10, num_workers=2)
    a, b = iter(loader), iter(loader)

    def interleave():
        return [next(a)[1].asnumpy()[0], next(b)[1].asnumpy()[0], next(b)[1].asnumpy()[0],
                next(a)[1].asnumpy()[0]]

    assert within(60, interleave) == [0, 0, 10, 10]


def _random_value(x, y):
    return np.random.rand(), y


def test_workers_draw_different_random_numbers(data):
    loader = DataLoader(ArrayDataset(*data).transform(_random_value), batch_size=15, num_workers=2)
    first, second = [b[0].asnumpy() for b in within(60, list, loader)]
    assert not np.allclose(first, second)


def test_auto_reload_and_refresh(data):
    loader = DataLoader(ArrayDataset(*data), batch_size=10, num_workers=1, auto_reload=True)
    assert within(60, labels, loader)[2] == list(range(20, 30))
    loader.clean()
    loader.refresh()
    assert len(within(60, labels, loader)) == 3


def _nd_double(x, y):
    return mx.nd.array(x) * 2, y


@pytest.mark.parametrize("kw", WORKERS)
def test_workers_run_ndarray_ops(data, kw):
    """Transforms made of mx.nd ops run in forked workers (whose engine threads did not survive
    the fork) and on thread workers; NDArray datasets work too."""
    X, y = data
    got = within(60, epoch, DataLoader(ArrayDataset(X, y).transform(_nd_double), batch_size=8, **kw))
    np.testing.assert_array_equal(np.concatenate([b[0] for b in got]), X * 2)
    nd = within(60, epoch, DataLoader(ArrayDataset(mx.nd.array(X), y), batch_size=8, **kw))
    np.testing.assert_array_equal(np.concatenate([b[0] for b in nd]), X)


@pytest.mark.parametrize("make", [
    lambda i: np.array(i, dtype=np.float32),                              # 0-d arrays
    lambda i: np.full((2, 3), i, dtype=np.float16),
    lambda i: (np.full(2, i, dtype=np.int32), [i, i + 1], float(i)),      # mixed fields
    lambda i: (mx.nd.full((2,), i), i),                                    # NDArray samples
], ids=["0d", "float16", "mixed", "ndarray"])
def test_worker_batches_equal_default_batchify(make):
    ds = mx.gluon.data.SimpleDataset([make(i) for i in range(9)])
    want = list(DataLoader(ds, batch_size=4))
    got = within(60, list, DataLoader(ds, batch_size=4, num_workers=2))
    for w, g in zip(want, got):
        w, g = (w, g) if isinstance(w, list) else ([w], [g])
        for a, b in zip(w, g):
            a, b = (a, b) if isinstance(a, list) else ([a], [b])
            for x, z in zip(a, b):
                assert x.dtype == z.dtype and x.shape == z.shape
                np.testing.assert_array_equal(x.asnumpy(), z.asnumpy())
