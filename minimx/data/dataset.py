"""Datasets: anything with ``__getitem__`` and ``__len__``, plus the ways to derive new ones.

``transform``, ``transform_first``, ``filter``, ``shard``, ``take`` and ``sample`` each return a new
dataset that reads the old one; nothing is copied unless ``lazy=False``::

    >>> ds = ArrayDataset(np.arange(6.0).reshape(3, 2), [0, 1, 0])
    >>> ds[1]
    (array([2., 3.]), 1)
    >>> ds.transform_first(lambda x: x * 10)[1]
    (array([20., 30.]), 1)
"""
import os

import numpy as np

from ..base import MXNetError, normalize_dtype
from ..ndarray import NDArray
from .batchify import wrap_numpy
from .sampler import FilterSampler, Sampler, SequentialSampler

__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "RecordFileDataset"]


class DataAssertionError(MXNetError, AssertionError):
    """A bad argument to a dataset, raised where MXNet fails an ``assert``; an MXNetError that
    ``except AssertionError`` written for MXNet still catches."""


class Dataset:
    """Base class of datasets: subclasses define ``__getitem__`` (the i-th sample) and ``__len__``.

    A numpy array or an NDArray can be used as a dataset directly.
    """

    def __getitem__(self, idx):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def filter(self, fn):
        """A dataset of the samples for which ``fn(sample)`` is true (scanned once, now)."""
        return _SampledDataset(self, FilterSampler(fn, self))

    def shard(self, num_shards, index):
        """Part ``index`` of ``num_shards`` contiguous, near-equal parts (the first
        ``len % num_shards`` parts get one sample more). Shard before shuffling, so that each
        distributed worker sees its own samples."""
        if not index < num_shards:
            raise DataAssertionError(f"Shard index of out bound: {index} out of {num_shards}")
        if not num_shards > 0:
            raise DataAssertionError("Number of shards must be greater than 0")
        if not index >= 0:
            raise DataAssertionError("Index must be non-negative")
        size, rest = divmod(len(self), num_shards)
        start = size * index + min(index, rest)
        return _SampledDataset(self, SequentialSampler(size + (index < rest), start))

    def take(self, count):
        """The first ``count`` samples (all of them when ``count`` is None or too large)."""
        if count is None or count > len(self):
            count = len(self)
        return _SampledDataset(self, SequentialSampler(count))

    def sample(self, sampler):
        """The samples at the indices ``sampler`` yields."""
        if not isinstance(sampler, Sampler):
            raise TypeError(f"Invalid sampler type: {type(sampler)}. "
                            "Expected gluon.data.Sampler instead.")
        return _SampledDataset(self, sampler)

    def transform(self, fn, lazy=True):
        """A dataset whose samples are ``fn(sample)`` (``fn(*sample)`` when a sample is a tuple).

        With ``lazy=True`` (the default) ``fn`` runs on every access, so a random augmentation
        differs from epoch to epoch; ``lazy=False`` runs it once per sample, now.
        """
        trans = _LazyTransformDataset(self, fn)
        if lazy:
            return trans
        return SimpleDataset([trans[i] for i in range(len(trans))])

    def transform_first(self, fn, lazy=True):
        """Like ``transform``, but ``fn`` only sees (and replaces) the first element of each
        sample: transform the data, keep the label."""
        return self.transform(_TransformFirstClosure(fn), lazy)


class SimpleDataset(Dataset):
    """A dataset over any object with ``len()`` and ``[]`` (a list, a numpy array, ...)."""

    def __init__(self, data):
        self._data = data

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        return self._data[idx]


class _LazyTransformDataset(Dataset):
    """``fn`` applied on access (see ``Dataset.transform``)."""

    def __init__(self, data, fn):
        self._data = data
        self._fn = fn

    def __len__(self):
        return len(self._data)

    def __getitem__(self, idx):
        item = self._data[idx]
        if isinstance(item, tuple):
            return self._fn(*item)
        return self._fn(item)


class _TransformFirstClosure:
    """``fn`` on the first element only. A class, not a closure, so that it pickles (worker
    processes started with 'spawn' receive the dataset pickled)."""

    def __init__(self, fn):
        self._fn = fn

    def __call__(self, x, *args):
        if args:
            return (self._fn(x),) + args
        return self._fn(x)


class _SampledDataset(Dataset):
    """The samples of ``dataset`` at the indices of ``sampler`` (listed once, now)."""

    def __init__(self, dataset, sampler):
        self._dataset = dataset
        self._sampler = sampler
        self._indices = list(iter(sampler))

    def __len__(self):
        return len(self._sampler)

    def __getitem__(self, idx):
        return self._dataset[self._indices[idx]]


class ArrayDataset(Dataset):
    """Several equally long arrays (numpy arrays, NDArrays, lists, datasets) side by side: sample
    ``i`` is ``(a[i], b[i], ...)``, or ``a[i]`` when there is one array.

    As in MXNet, a 1-D NDArray is kept as a numpy array, so its samples are numpy scalars.

    Parameters
    ----------
    *args : one or more dataset-like objects
        The arrays; all must have the same length.
    """

    def __init__(self, *args):
        if not args:
            raise DataAssertionError("Needs at least 1 arrays")
        self._length = len(args[0])
        self._data = []
        for i, data in enumerate(args):
            if len(data) != self._length:
                raise DataAssertionError(
                    f"All arrays must have the same length; array[0] has length {self._length} "
                    f"while array[{i + 1}] has {len(data)}.")
            if isinstance(data, NDArray) and data.ndim == 1:
                data = data.asnumpy()
            self._data.append(data)

    def __getitem__(self, idx):
        if len(self._data) == 1:
            return self._data[0][idx]
        return tuple([data[idx] for data in self._data])   # a list builds faster than a generator

    def __len__(self):
        return self._length


def batch_gatherer(dataset):
    """A fast way to load whole batches of ``dataset``, or None where there is none.

    For a numpy array, or an ArrayDataset of numpy arrays, the batch of ``indices`` is one fancy
    index per array: what ``default_batchify_fn`` makes of the samples, without a Python step
    per sample. NB: like PyTorch's ``__getitems__``; MXNet always fetches sample by sample.
    """
    if type(dataset) is np.ndarray:
        fields, single = [dataset], True
    elif type(dataset) is ArrayDataset:
        fields, single = dataset._data, len(dataset._data) == 1
    else:
        return None
    if not all(_gatherable(f) for f in fields):
        return None
    return _Gather(fields, single)


class _Gather:
    """The batch of ``indices`` from numpy ``fields`` as NDArrays (see ``batch_gatherer``)."""

    def __init__(self, fields, single):
        self._fields, self._single = fields, single

    def __call__(self, indices, out=None):
        """The batch as NDArrays; or, given ``out`` (one numpy array per field, from
        ``shapes``), written into those arrays and returned as they are."""
        idx = np.asarray(indices, dtype=np.intp)
        n = len(self._fields[0])
        if idx.size and (idx.min() < -n or idx.max() >= n):
            bad = idx[(idx < -n) | (idx >= n)][0]
            raise IndexError(f"index {bad} is out of bounds for axis 0 with size {n}")
        if out is None:
            out = [wrap_numpy(np.take(f, idx, axis=0, mode="wrap")) for f in self._fields]
            return out[0] if self._single else out
        for f, o in zip(self._fields, out):
            # mode='wrap': negative indices count from the end, as in f[i]; 'raise' would
            # buffer the whole result once more (numpy's documented cost of checking)
            np.take(f, idx, axis=0, out=o, mode="wrap")
        return out

    def shapes(self, count):
        """``(shape, dtype)`` of each field's batch of ``count`` samples."""
        return [((count,) + f.shape[1:], f.dtype) for f in self._fields]

    @property
    def single(self):
        return self._single


def _gatherable(data):
    if type(data) is not np.ndarray or data.ndim == 0:
        return False
    try:
        normalize_dtype(data.dtype)
    except MXNetError:
        return False
    return True


class RecordFileDataset(Dataset):
    """A dataset over a RecordIO (``.rec``) file: not supported by minimx.

    NB: MXNet reads ``.rec`` files with its C++ RecordIO library; minimx has no RecordIO reader.
    """

    def __init__(self, filename):
        raise MXNetError(
            f"RecordFileDataset({filename!r}): minimx cannot read RecordIO (.rec) files\n"
            "  hint: unpack the records into image files and use "
            "gluon.data.vision.ImageFolderDataset, or load them into numpy arrays and use "
            "gluon.data.ArrayDataset")


class _DownloadedDataset(Dataset):
    """Base class of datasets whose files live under ``root`` (MNIST, CIFAR10, ...): subclasses
    define ``_get_data`` to fill ``self._data`` and ``self._label``; ``transform(data, label)``
    runs on access."""

    def __init__(self, root, transform):
        self._transform = transform
        self._data = None
        self._label = None
        root = os.path.expanduser(root)
        self._root = root
        if not os.path.isdir(root):
            os.makedirs(root)
        self._get_data()

    def __getitem__(self, idx):
        if self._transform is not None:
            return self._transform(self._data[idx], self._label[idx])
        return self._data[idx], self._label[idx]

    def __len__(self):
        return len(self._label)

    def _get_data(self):
        raise NotImplementedError
