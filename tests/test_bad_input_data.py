"""Bad input to the data pipeline and the metrics (issue 10, item 2): Dataset, ArrayDataset,
SimpleDataset, the samplers, batchify, DataLoader (with and without workers) and mx.metric.

Same table form as tests/test_bad_input_gluon.py: the call, the error it must raise (MXNetError or
the Python error MXNet 1.9.1 raises, recorded there; ``both(A, B)``: one error that is both) and
words its message must contain.
"""
from collections import Counter

import numpy as np
import pytest

import minimx as mx
from minimx import nd
from minimx.base import MXNetError
from minimx.gluon import data as gdata
from minimx.gluon.data import batchify
from bad_input_table import both, check_bad_input, row

E = MXNetError


def simple(n=3):
    return gdata.SimpleDataset(list(range(n)))


def loader(dataset, *args, **kw):
    return list(gdata.DataLoader(dataset, *args, **kw))


RAGGED = gdata.SimpleDataset([np.ones(2), np.ones(3)])
PAIRS = gdata.ArrayDataset(np.ones((4, 2)), np.arange(4))

DATA_ROWS = [
    # ---- datasets ----
    row("ArrayDataset", "length_mismatch", lambda: gdata.ArrayDataset(np.ones(3), np.ones(4)),
        both(E, AssertionError), "same length", "3", "4"),
    row("ArrayDataset", "no_arrays", lambda: gdata.ArrayDataset(), both(E, AssertionError),
        "at least 1"),
    row("SimpleDataset", "index_out_of_range", lambda: simple(2)[5], IndexError, "out of range"),
    row("Dataset.transform", "not_callable", lambda: simple(2).transform(3)[0], TypeError,
        "int", "not callable"),
    row("Dataset.shard", "index_out_of_range", lambda: simple(2).shard(2, 5),
        both(E, AssertionError), "shard", "5", "2"),
    row("Dataset.shard", "zero_shards", lambda: simple(2).shard(0, 0), both(E, AssertionError),
        "shard", "0"),
    row("Dataset.sample", "not_a_sampler", lambda: simple(2).sample(3), TypeError,
        "sampler", "int", "gluon.data.Sampler"),
    # ---- samplers ----
    row("BatchSampler", "batch_size_zero", lambda: gdata.BatchSampler(gdata.SequentialSampler(3),
                                                                      0),
        both(E, ValueError, ZeroDivisionError), "batch_size", "positive", "0"),
    row("BatchSampler", "batch_size_negative", lambda: gdata.BatchSampler(
        gdata.SequentialSampler(3), -2), both(E, ValueError), "batch_size", "positive", "-2"),
    row("BatchSampler", "batch_size_float", lambda: gdata.BatchSampler(
        gdata.SequentialSampler(3), 2.5), both(E, TypeError), "batch_size", "2.5", "float"),
    row("BatchSampler", "unknown_last_batch", lambda: list(gdata.BatchSampler(
        gdata.SequentialSampler(3), 2, "foo")), ValueError, "last_batch", "'keep'", "foo"),
    row("SequentialSampler", "negative_length", lambda: list(gdata.SequentialSampler(-1)),
        ValueError, ">= 0"),
    row("RandomSampler", "length_str", lambda: list(gdata.RandomSampler("a")), TypeError, "str"),
    row("IntervalSampler", "interval_above_length", lambda: list(gdata.IntervalSampler(3, 5)),
        AssertionError, "interval 5", "length 3"),
    # ---- batchify ----
    row("batchify.Stack", "ragged_samples", lambda: batchify.Stack()([np.ones(2), np.ones(3)]),
        both(E, ValueError), "sample 0", "(2,)", "sample 1", "(3,)", "Pad"),
    row("batchify.Group", "field_count", lambda: batchify.Group(batchify.Stack())([(1, 2), (3, 4)]),
        ValueError, "2 fields", "1 batchify"),
    row("batchify.Group", "not_callable", lambda: batchify.Group(3), TypeError, "callable"),
    row("batchify.Pad", "unknown_kwarg", lambda: batchify.Pad(axis=5), TypeError, "axis"),
    # ---- DataLoader ----
    row("DataLoader", "batch_size_zero", lambda: loader(simple(), batch_size=0),
        both(E, ValueError, ZeroDivisionError), "batch_size", "positive", "0"),
    row("DataLoader", "batch_size_negative", lambda: loader(simple(), batch_size=-1),
        both(E, ValueError), "batch_size", "positive", "-1"),
    row("DataLoader", "batch_size_str", lambda: loader(simple(), batch_size="a"),
        both(E, TypeError), "batch_size", "'a'", "str"),
    row("DataLoader", "no_batch_size", lambda: gdata.DataLoader(simple()), ValueError,
        "batch_size", "batch_sampler"),
    row("DataLoader", "shuffle_and_sampler", lambda: gdata.DataLoader(
        simple(), 2, shuffle=True, sampler=gdata.SequentialSampler(3)), ValueError,
        "shuffle", "sampler"),
    row("DataLoader", "batch_sampler_and_batch_size", lambda: gdata.DataLoader(
        simple(), 2, batch_sampler=gdata.BatchSampler(gdata.SequentialSampler(3), 2)), ValueError,
        "batch_size", "batch_sampler"),
    row("DataLoader", "unknown_last_batch", lambda: loader(simple(), 2, last_batch="foo"),
        ValueError, "last_batch", "'rollover'", "foo"),
    row("DataLoader", "unknown_kwarg", lambda: gdata.DataLoader(simple(), 2, shufle=True),
        TypeError, "shufle"),
    row("DataLoader", "dataset_int", lambda: loader(3, 2), TypeError, "int", "len"),
    row("DataLoader", "ragged_samples", lambda: loader(RAGGED, 2), both(E, ValueError),
        "(2,)", "(3,)", "Pad"),
    row("DataLoader", "ragged_samples_in_worker", lambda: loader(RAGGED, 2, num_workers=1),
        both(E, ValueError), "(2,)", "(3,)", "worker"),
    row("DataLoader", "string_samples", lambda: loader(gdata.SimpleDataset(["a", "b"]), 2), E,
        "dtype", "<U1", "float32"),
    row("DataLoader", "non_positive_timeout", lambda: gdata.DataLoader(simple(), 2, timeout=0),
        both(E, AssertionError), "timeout", "0"),
]

ONES = [nd.ones((2, 3))]

METRIC_ROWS = [
    row("metric.Accuracy", "length_mismatch", lambda: mx.metric.Accuracy().update(
        [nd.array([0, 1])], [nd.ones((3, 2))]), ValueError, "labels 2", "predictions 3"),
    row("metric.Accuracy", "list_length_mismatch", lambda: mx.metric.Accuracy().update(
        [nd.array([0, 1]), nd.array([0])], [nd.ones((2, 2))]), ValueError, "labels 2",
        "predictions 1"),
    row("metric.Accuracy", "axis_out_of_range", lambda: mx.metric.Accuracy(axis=5).update(
        [nd.array([0, 1])], [nd.ones((2, 2))]), E, "axis 5", "2"),
    row("metric.Accuracy", "not_lists", lambda: mx.metric.Accuracy().update(3, 4), TypeError,
        "int"),
    row("metric.TopKAccuracy", "top_k_1", lambda: mx.metric.TopKAccuracy(top_k=1),
        both(E, AssertionError), "Accuracy", "top_k", "1"),
    row("metric.TopKAccuracy", "3d_pred", lambda: mx.metric.TopKAccuracy(top_k=2).update(
        [nd.array([0, 1])], [nd.ones((2, 3, 4))]), both(E, AssertionError),
        "no more than 2 dims", "(2, 3, 4)"),
    row("metric.create", "unknown_name", lambda: mx.metric.create("no_such_metric"),
        both(E, AssertionError), "no_such_metric", "not registered", "acc"),
    row("metric.create", "int", lambda: mx.metric.create(3), (E, TypeError, AssertionError),
        "3"),
    row("metric.CompositeEvalMetric", "add_unknown", lambda: mx.metric.CompositeEvalMetric().add(
        "no_such_metric"), both(E, AssertionError), "no_such_metric", "not registered"),
    row("metric.MSE", "shape", lambda: mx.metric.MSE().update(ONES, [nd.ones((2, 4))]),
        both(E, ValueError), "MSE", "(2, 3)", "(2, 4)"),
    row("metric.MAE", "shape", lambda: mx.metric.MAE().update(ONES, [nd.ones((3, 3))]),
        both(E, ValueError), "MAE", "(2, 3)", "(3, 3)"),
    row("metric.RMSE", "shape", lambda: mx.metric.RMSE().update(ONES, [nd.ones((2, 4))]),
        both(E, ValueError), "RMSE", "(2, 3)", "(2, 4)"),
    row("metric.CrossEntropy", "rows", lambda: mx.metric.CrossEntropy().update(
        [nd.array([0, 1])], [nd.ones((3, 2))]), both(E, AssertionError),
        "CrossEntropy", "2 entries", "3 rows", "(3, 2)"),
    row("metric.CrossEntropy", "label_out_of_range", lambda: mx.metric.CrossEntropy().update(
        [nd.array([0, 7])], [nd.ones((2, 2))]), IndexError, "index 7", "size 2"),
    row("metric.NegativeLogLikelihood", "rows", lambda: mx.metric.NegativeLogLikelihood().update(
        [nd.array([0, 1])], [nd.ones((3, 2))]), both(E, AssertionError),
        "NegativeLogLikelihood", "2 entries", "3 rows"),
    row("metric.Perplexity", "shape", lambda: mx.metric.Perplexity(ignore_label=None).update(
        [nd.array([0, 1])], [nd.ones((3, 2))]), both(E, AssertionError),
        "Perplexity", "(2,)", "(3, 2)"),
    row("metric.PearsonCorrelation", "shape", lambda: mx.metric.PearsonCorrelation().update(
        ONES, [nd.ones((2, 4))]), ValueError, "labels (2, 3)", "predictions (2, 4)"),
    row("metric.PearsonCorrelation", "unknown_average", lambda: mx.metric.PearsonCorrelation(
        average="foo"), both(E, ValueError), "PearsonCorrelation", "average", "'macro'", "'foo'"),
    row("metric.CustomMetric", "not_callable", lambda: mx.metric.CustomMetric(3), AttributeError,
        "int"),
]

ALL_ROWS = DATA_ROWS + METRIC_ROWS


@pytest.mark.parametrize("api, call, types, words", ALL_ROWS)
def test_bad_input(api, call, types, words):
    check_bad_input(call, types, words)


def test_loader_still_works_after_bad_batches():
    """A loader whose batch failed keeps serving good epochs (the worker pool is not wedged)."""
    dl = gdata.DataLoader(PAIRS, 2, num_workers=1)
    assert [b[0].shape for b in dl] == [(2, 2), (2, 2)]
    with pytest.raises(ValueError):
        loader(RAGGED, 2, num_workers=1)
    assert [b[0].shape for b in dl] == [(2, 2), (2, 2)]


def test_nonfinite_metric_values():
    """NaN predictions give MXNet's values (recorded there), not an error."""
    mse = mx.metric.MSE()
    mse.update([nd.array([1.0])], [nd.array([float("nan")])])
    assert np.isnan(mse.get()[1])
    acc = mx.metric.Accuracy()
    acc.update([nd.array([1.0])], [nd.array([[float("nan"), 1.0]])])
    assert acc.get() == ("accuracy", 0.0)


def case_counts():
    """Rows per API (for tests/RELIABILITY.md): ``python3 tests/test_bad_input_data.py``."""
    return Counter(p.values[0] for p in ALL_ROWS)


if __name__ == "__main__":
    for api, n in sorted(case_counts().items()):
        print(f"{api}: {n}")
