"""DataLoader: mini-batches from a dataset, in this process or in worker processes.

One epoch, step by step:

1. The batch sampler yields lists of indices (``BatchSampler`` over a ``SequentialSampler`` or,
   with ``shuffle=True``, a ``RandomSampler``; ``last_batch`` decides the short last batch).
2. With ``num_workers=0`` each list becomes a batch right here: ``batchify_fn([dataset[i] ...])``.
   (For a numpy array or an ArrayDataset of numpy arrays with the default batchify, one fancy
   index per array makes the same batch without a Python step per sample.)
3. With ``num_workers > 0`` the lists go to worker processes (``_worker.WorkerPool``), up to
   ``prefetch`` batches ahead; each worker batchifies and returns its batch through shared memory
   (``_shm``); batches come back in order. ``thread_pool=True`` uses threads instead.
4. A worker that raises: its error, traceback and sample index surface here. A worker that hangs
   for ``timeout`` seconds or dies: a clear MXNetError, and the workers are shut down. Leaving the
   loop early drops the batches in flight; the workers stay for the next epoch.

Example::

    >>> loader = DataLoader(ArrayDataset(X, y), batch_size=128, shuffle=True, num_workers=2)
    >>> for data, label in loader:
    ...     ...
"""
import itertools

from . import sampler as _sampler
from ._worker import ThreadWorkerPool, WorkerPool, load_batch
from .batchify import default_batchify_fn
from .dataset import DataAssertionError, batch_gatherer

__all__ = ["DataLoader", "default_batchify_fn", "default_mp_batchify_fn"]

# NB: in MXNet this variant stacks into shared memory for worker processes; minimx workers copy
# every batch into shared memory whatever batchify function made it, so one function serves.
default_mp_batchify_fn = default_batchify_fn


class DataLoader:
    """Loads data from a dataset and returns mini-batches of data.

    Parameters
    ----------
    dataset : Dataset
        Source dataset; a numpy array or NDArray works too.
    batch_size : int
        Size of mini-batch.
    shuffle : bool, default False
        Whether to shuffle the samples (a new order every epoch).
    sampler : Sampler
        The sampler to use. Either specify sampler or shuffle, not both.
    last_batch : {'keep', 'discard', 'rollover'}, default 'keep'
        How to handle the last batch if ``batch_size`` does not divide ``len(dataset)``: keep a
        shorter batch, discard it, or roll its samples over into the next epoch.
    batch_sampler : Sampler
        A sampler that yields lists of indices. Do not specify batch_size, shuffle, sampler and
        last_batch with it.
    batchify_fn : callable, default ``default_batchify_fn``
        Merges a list of samples into a batch (see ``gluon.data.batchify``).
    num_workers : int, default 0
        The number of worker processes (0: load in this process).
    pin_memory : bool, default False
        Accepted; NB: minimx has no page-locked memory, batches stay in ordinary host memory.
    pin_device_id : int, default 0
        Accepted with ``pin_memory``.
    prefetch : int, default ``2 * num_workers``
        How many batches the workers may prepare ahead of the one being consumed.
    thread_pool : bool, default False
        Use threads instead of processes: no shared memory and no fork, but the dataset's Python
        code takes turns on the GIL.
    timeout : int, default 120
        Seconds to wait for one batch from a worker before raising MXNetError.
    auto_reload : bool, default False
        MXNet 1.9.1's option: start prefetching the next epoch as soon as one ends.
    try_nopython : bool or None, default None
        Accepted for MXNet 2.0 code; minimx always runs the Python path.
    """

    def __init__(self, dataset, batch_size=None, shuffle=False, sampler=None,
                 last_batch=None, batch_sampler=None, batchify_fn=None,
                 num_workers=0, pin_memory=False, pin_device_id=0,
                 prefetch=None, thread_pool=False, timeout=120, auto_reload=False,
                 try_nopython=None):
        self._pool = None      # first, so __del__ works whatever fails below
        self._dataset = dataset
        self._pin_memory = pin_memory
        self._pin_device_id = pin_device_id
        self._thread_pool = thread_pool
        self._timeout = timeout
        if not timeout > 0:
            raise DataAssertionError(f"timeout must be positive, given {timeout}")

        # NB: ValueError with MXNet's words, so `except ValueError` written for MXNet works.
        if batch_sampler is None:
            if batch_size is None:
                raise ValueError("batch_size must be specified unless batch_sampler is specified")
            if sampler is None:
                if shuffle:
                    sampler = _sampler.RandomSampler(len(dataset))
                else:
                    sampler = _sampler.SequentialSampler(len(dataset))
            elif shuffle:
                raise ValueError("shuffle must not be specified if sampler is specified")
            batch_sampler = _sampler.BatchSampler(sampler, batch_size,
                                                  last_batch if last_batch else "keep")
        elif batch_size is not None or shuffle or sampler is not None or last_batch is not None:
            raise ValueError("batch_size, shuffle, sampler and last_batch must "
                             "not be specified if batch_sampler is specified.")

        self._batch_sampler = batch_sampler
        self._num_workers = num_workers if num_workers >= 0 else 0
        self._prefetch = max(0, int(prefetch) if prefetch is not None else 2 * self._num_workers)
        self._batchify_fn = default_batchify_fn if batchify_fn is None else batchify_fn
        self._gather = batch_gatherer(dataset) if batchify_fn is None else None
        self._generations = itertools.count()
        self._iter = None
        self.auto_reload = auto_reload
        if self._num_workers > 0:
            self._pool = self._start_pool()
        if auto_reload:
            self.refresh()

    def _start_pool(self):
        kind = ThreadWorkerPool if self._thread_pool else WorkerPool
        return kind(self._num_workers, self._dataset, self._batchify_fn, self._gather,
                    self._prefetch)

    def __iter__(self):
        if self._num_workers == 0:
            dataset, batchify_fn, gather = self._dataset, self._batchify_fn, self._gather
            for indices in self._batch_sampler:
                yield load_batch(dataset, indices, batchify_fn, gather)
            return
        it = self._iter if self._iter is not None else self._prefetch_iter()
        self._iter = None          # one iterator is never used twice
        try:
            yield from it
        finally:
            it.close()             # a loop left early: drop the batches in flight
        if self._iter is None and self.auto_reload:
            self.refresh()

    def _prefetch_iter(self):
        if self._pool is None or not self._pool.alive:   # shut down by a timeout or a crash
            self._pool = self._start_pool()
        return _MultiWorkerIter(self._pool, self._batch_sampler, self._prefetch, self._timeout,
                                next(self._generations))

    def refresh(self):
        """Start a new epoch's iterator now, so its workers begin prefetching."""
        self._iter = self._prefetch_iter() if self._num_workers > 0 else None

    def clean(self):
        """Drop the prefetched iterator; prefetching starts again at the next ``iter()``."""
        if self._iter is not None:
            self._iter.close()
        self._iter = None

    def __len__(self):
        return len(self._batch_sampler)

    def __del__(self):
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown()


class _MultiWorkerIter:
    """One epoch over a worker pool: keeps ``prefetch`` batches in flight, returns them in order.

    Its batches are keyed ``(generation, number)``, so that two iterators over one loader (or a
    new epoch after a loop left early) never take each other's batches.
    """

    def __init__(self, pool, batch_sampler, prefetch, timeout, generation):
        self._pool = pool
        self._batch_sampler = batch_sampler
        self._batches = iter(batch_sampler)
        self._timeout = timeout
        self._gen = generation
        self._sent = 0
        self._rcvd = 0
        self._worker_of = {}   # batch number -> worker it was sent to
        self._closed = False
        pool.new_generation(generation)
        for _ in range(prefetch):
            self._push_next()

    def _push_next(self):
        indices = next(self._batches, None)
        if indices is None:
            return
        self._worker_of[self._sent] = self._pool.submit((self._gen, self._sent), indices)
        self._sent += 1

    def __iter__(self):
        return self

    def __next__(self):
        if self._closed:
            raise StopIteration
        try:
            self._push_next()
            if self._rcvd == self._sent:
                self.close()
                raise StopIteration
            number = self._rcvd
            self._rcvd += 1
            return self._pool.result((self._gen, number), self._worker_of.pop(number),
                                     self._timeout)
        except BaseException:
            self.close()
            raise

    next = __next__

    def __len__(self):
        return len(self._batch_sampler)

    def close(self):
        if not self._closed:
            self._closed = True
            self._pool.forget(self._gen)

    def __del__(self):
        self.close()
