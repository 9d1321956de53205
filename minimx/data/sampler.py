"""Samplers: the order in which a DataLoader visits a dataset.

A sampler is an iterable of dataset indices with a length. ``BatchSampler`` groups another
sampler's indices into mini-batches; the DataLoader builds one for you from ``batch_size``,
``shuffle``/``sampler`` and ``last_batch``::

    >>> list(BatchSampler(SequentialSampler(7), 3, 'keep'))
    [[0, 1, 2], [3, 4, 5], [6]]
"""
import itertools

import numpy as np

from ..base import MXNetError, integer_types
from ..ndarray.ndarray import MXNetTypeError

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "FilterSampler", "BatchSampler",
           "IntervalSampler"]

_LAST_BATCH = ("keep", "discard", "rollover")


class BatchSizeError(MXNetError, ValueError, ZeroDivisionError):
    """A batch size that is not positive. Also a ``ValueError`` and a ``ZeroDivisionError``: what
    MXNet's sampler raises for a negative and for a zero batch size, later, when it is used."""


def _check_batch_size(batch_size):
    """Refuse a batch size that cannot split indices into batches, naming what was given."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, integer_types):
        raise MXNetTypeError(f"batch_size must be a positive int (samples per batch), got "
                             f"{batch_size!r} of type {type(batch_size).__name__}")
    if batch_size <= 0:
        raise BatchSizeError(f"batch_size must be a positive int (samples per batch), got "
                             f"{batch_size}")


class Sampler:
    """Base class of samplers: subclasses define ``__iter__`` (indices) and ``__len__``."""

    def __iter__(self):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """The indices ``start, start + 1, ..., start + length - 1`` in order.

    Parameters
    ----------
    length : int
        How many indices.
    start : int, default 0
        The first index.
    """

    def __init__(self, length, start=0):
        self._length = length
        self._start = start

    def __iter__(self):
        return iter(range(self._start, self._start + self._length))

    def __len__(self):
        return self._length


class RandomSampler(Sampler):
    """A fresh random permutation of ``0 .. length - 1`` on every pass (numpy's global generator,
    so ``np.random.seed`` makes it reproducible, as in MXNet).

    Parameters
    ----------
    length : int
        How many indices.
    """

    def __init__(self, length):
        self._length = length

    def __iter__(self):
        indices = np.arange(self._length)
        np.random.shuffle(indices)
        return iter(indices)

    def __len__(self):
        return self._length


class FilterSampler(Sampler):
    """The indices of the samples of ``dataset`` for which ``fn(sample)`` is true.

    The dataset is scanned once, when the sampler is made.

    Parameters
    ----------
    fn : callable
        Takes a sample, returns a bool.
    dataset : Dataset
        The dataset to filter.
    """

    def __init__(self, fn, dataset):
        self._fn = fn
        self._dataset = dataset
        self._indices = [i for i in range(len(dataset)) if fn(dataset[i])]

    def __iter__(self):
        return iter(self._indices)

    def __len__(self):
        return len(self._indices)


def _check_last_batch(last_batch):
    if last_batch not in _LAST_BATCH:
        # NB: a ValueError with MXNet's words, so `except ValueError` written for MXNet still works.
        raise ValueError("last_batch must be one of 'keep', 'discard', or 'rollover', "
                         f"but got {last_batch}")


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Parameters
    ----------
    sampler : Sampler
        The source of indices.
    batch_size : int
        Indices per batch.
    last_batch : {'keep', 'discard', 'rollover'}, default 'keep'
        What to do with a last batch shorter than ``batch_size``: ``keep`` returns it,
        ``discard`` drops it, ``rollover`` puts its indices at the start of the next pass.

    Examples
    --------
    >>> bs = BatchSampler(SequentialSampler(10), 3, 'rollover')
    >>> list(bs), list(bs)      # index 9 rolls over into the second pass
    ([[0, 1, 2], [3, 4, 5], [6, 7, 8]], [[9, 0, 1], [2, 3, 4], [5, 6, 7]])
    """

    def __init__(self, sampler, batch_size, last_batch="keep"):
        _check_batch_size(batch_size)
        self._sampler = sampler
        self._batch_size = batch_size
        self._last_batch = last_batch
        self._prev = []      # indices rolled over from the previous pass

    def __iter__(self):
        batch, self._prev = self._prev, []
        size = self._batch_size
        indices = iter(self._sampler)
        while True:
            # islice fills a batch at C speed: a Python loop per index costs ~10 ms an epoch
            batch.extend(itertools.islice(indices, size - len(batch)))
            if len(batch) < size:
                break
            yield batch
            batch = []
        if batch:
            _check_last_batch(self._last_batch)
            if self._last_batch == "keep":
                yield batch
            elif self._last_batch == "rollover":
                self._prev = batch

    def __len__(self):
        _check_last_batch(self._last_batch)
        if self._last_batch == "keep":
            return (len(self._sampler) + self._batch_size - 1) // self._batch_size
        if self._last_batch == "discard":
            return len(self._sampler) // self._batch_size
        return (len(self._prev) + len(self._sampler)) // self._batch_size


class IntervalSampler(Sampler):
    """Every ``interval``-th index: ``0, interval, 2 * interval, ...``; then, with ``rollover``,
    the same from 1, from 2, ... until every index is visited once.

    NB: MXNet 1.9.1 has no IntervalSampler; this is MXNet 2.0's (gluon.data.IntervalSampler).

    Parameters
    ----------
    length : int
        Indices are ``0 .. length - 1``.
    interval : int
        The step between two indices (smaller than ``length``).
    rollover : bool, default True
        Whether to start again from the skipped indices after reaching the end.

    Examples
    --------
    >>> list(IntervalSampler(7, interval=3))
    [0, 3, 6, 1, 4, 2, 5]
    >>> list(IntervalSampler(7, interval=3, rollover=False))
    [0, 3, 6]
    """

    def __init__(self, length, interval, rollover=True):
        assert interval < length, f"Interval {interval} must be smaller than length {length}"
        self._length = length
        self._interval = interval
        self._rollover = rollover

    def __iter__(self):
        for start in range(self._interval if self._rollover else 1):
            yield from range(start, self._length, self._interval)

    def __len__(self):
        if self._rollover:
            return self._length
        return (self._length + self._interval - 1) // self._interval
