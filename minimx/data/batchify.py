"""Batchify functions: how a list of samples becomes one batch.

``default_batchify_fn`` is what the DataLoader uses unless told otherwise: NDArray samples are
stacked, tuple samples are batchified field by field, anything else goes through
``numpy.asarray`` (so a list of Python ints becomes an int64 array, of floats a float64 one, as in
MXNet). ``Stack``, ``Pad`` and ``Group`` (alias ``Tuple``) build custom ones::

    >>> fn = Tuple(Pad(val=-1), Stack())
    >>> data, label = fn([([1, 2, 3], 0), ([4, 5], 1)])
    >>> data.asnumpy()
    array([[ 1,  2,  3],
           [ 4,  5, -1]])

NB: MXNet 1.9.1 has only ``default_batchify_fn`` (in ``gluon.data.dataloader``); ``Stack``,
``Pad``, ``Group``, ``Append`` and ``AsList`` are MXNet 2.0's ``gluon.data.batchify``; ``Tuple`` and
``Pad(ret_length=True)`` are GluonNLP's names for the same ideas.
"""
import math

import numpy as np

from ..base import MXNetError, normalize_dtype
from ..context import cpu
from ..ndarray import NDArray, array, stack
from ..ndarray.storage import Chunk

__all__ = ["default_batchify_fn", "Stack", "Pad", "Group", "Tuple", "Append", "AsList"]


_CPU = cpu()


class BatchifyError(MXNetError, ValueError):
    """Samples that cannot form one batch (different shapes). Also a ``ValueError``: that is what
    numpy (and so MXNet's default batchify) raises for them."""


def _shape_of(sample):
    return getattr(sample, "shape", None) or np.shape(sample)


def wrap_numpy(values, check=True):
    """An NDArray on ``cpu(0)`` that *is* the numpy array ``values`` (no copy).

    For buffers nobody else writes: a freshly stacked batch, or a batch in shared memory that a
    worker process filled. NB: ``mx.nd.array`` would copy (twice: into a staging array, then on the
    engine), which for a 400 KB batch costs more than making it. ``check=False``: the caller
    knows ``values`` is C-contiguous and of a dtype minimx supports.
    """
    if check:
        dtype = normalize_dtype(values.dtype)
        if values.dtype != dtype or not values.flags.c_contiguous:
            values = np.ascontiguousarray(values, dtype=dtype)
    return NDArray._wrap(Chunk(values, _CPU), 0, values.shape)


def _numpy_batch(data):
    """``np.asarray(data)`` as a fresh array, ready to wrap (0-d becomes shape (1,), as
    ``mx.nd.array`` does)."""
    # a list gives a fresh array; an array given as the batch must be copied, not aliased
    try:
        out = np.array(data) if isinstance(data, np.ndarray) else np.asarray(data)
    except ValueError as e:
        shapes = []
        for sample in data:
            try:
                shapes.append(tuple(_shape_of(sample)))
            except ValueError:
                shapes.append("ragged")
        odd = next((i for i, s in enumerate(shapes) if s != shapes[0]), None)
        if odd is None:
            raise
        raise BatchifyError(
            f"cannot stack the samples into one batch: sample 0 has shape {shapes[0]} but sample "
            f"{odd} has shape {shapes[odd]}. Give every sample one shape (a transform that resizes "
            "or crops), or batchify with batchify.Pad.") from e
    if out.ndim == 0:
        out = out.reshape(1)
    return out


def default_batchify_fn(data):
    """Collate a list of samples into a batch.

    - NDArray samples: ``nd.stack`` (dtype kept);
    - tuple samples: a list with one batch per field (each batchified by this function);
    - anything else (numpy arrays, numbers, lists): ``numpy.asarray``, then an NDArray of that dtype.
    """
    first = data[0]
    if isinstance(first, NDArray):
        return stack(*data)
    if isinstance(first, tuple):
        return [default_batchify_fn(field) for field in zip(*data)]
    return wrap_numpy(_numpy_batch(data))


class Stack:
    """Stack samples of one shape into a batch (like ``default_batchify_fn``, and lists of
    samples are stacked field by field too).

    Parameters
    ----------
    use_shared_mem : bool, default False
        Accepted for MXNet compatibility; minimx workers always return batches through shared
        memory.
    """

    def __init__(self, use_shared_mem=False):
        self._use_shared_mem = use_shared_mem

    def __call__(self, data):
        first = data[0]
        if isinstance(first, NDArray):
            return stack(*data)
        if isinstance(first, (tuple, list)):
            return [self(field) for field in zip(*data)]
        return wrap_numpy(_numpy_batch(data))


class Pad:
    """Pad samples to the largest size on every axis, then stack them.

    Parameters
    ----------
    val : number, default None (0)
        The padding value.
    dtype : str or numpy.dtype, default None
        The output type; None keeps the samples' type (int64 for lists of Python ints).
    round_to : int, default None
        Round each padded size up to a multiple of this.
    ret_length : bool, default False
        Also return an int32 array of each sample's length on its first axis (GluonNLP's option).
    use_shared_mem : bool, default False
        Accepted for MXNet compatibility.

    Inputs: a list of N samples, each an NDArray, numpy array or list of numbers, all of the
    same number of dimensions. Outputs: an NDArray of shape (N, max_len_0, max_len_1, ...), and
    with ``ret_length`` also the lengths, shape (N,).
    """

    def __init__(self, val=None, dtype=None, round_to=None, ret_length=False, use_shared_mem=False):
        self._pad_val = 0 if val is None else val
        self._dtype = dtype
        self._round_to = round_to
        self._ret_length = ret_length
        self._use_shared_mem = use_shared_mem

    def __call__(self, data):
        first = data[0]
        if not isinstance(first, (NDArray, np.ndarray, list)):
            raise NotImplementedError(
                "Pad() does not support multiple items, use Group(Pad(), Pad(), ...) instead")
        dtype = self._dtype
        if isinstance(first, NDArray):
            arrs = [x.asnumpy() for x in data]
        else:
            arrs = [np.asarray(x) for x in data]
        if dtype is None:
            dtype = arrs[0].dtype
        shape = []
        for axis in range(arrs[0].ndim):
            size = max(a.shape[axis] for a in arrs)
            if self._round_to is not None:
                size = self._round_to * math.ceil(size / self._round_to)
            shape.append(size)
        out = np.full((len(arrs),) + tuple(shape), self._pad_val, dtype=dtype)
        for i, a in enumerate(arrs):
            out[(i,) + tuple(slice(0, s) for s in a.shape)] = a
        batch = wrap_numpy(out)
        if self._ret_length:
            lengths = [a.shape[0] if a.ndim else 1 for a in arrs]
            return batch, array(lengths, dtype=np.int32)
        return batch


class Group:
    """Apply one batchify function per field of tuple samples: ``Group(Pad(), Stack())`` pads
    the first field and stacks the second. Returns a tuple of batches.

    Parameters
    ----------
    fn : callable, or list/tuple of callables
        The batchify functions (given as ``Group(f, g)`` or ``Group([f, g])``).
    """

    def __init__(self, fn, *args):
        if isinstance(fn, (list, tuple)):
            if args:
                raise ValueError("Group takes Group(A, B, C) or Group([A, B, C]), "
                                 f"not both; got fn={fn}, args={args}")
            self._fn = tuple(fn)
        else:
            self._fn = (fn,) + args
        for i, f in enumerate(self._fn):
            if not callable(f):
                raise TypeError(f"Batchify functions must be callable! type(fn[{i}]) = {type(f)}")

    def __call__(self, data):
        if len(data[0]) != len(self._fn):
            raise ValueError(f"each sample has {len(data[0])} fields but Group has "
                             f"{len(self._fn)} batchify functions")
        return tuple(f([sample[i] for sample in data]) for i, f in enumerate(self._fn))


Tuple = Group   # GluonNLP's name


class Append:
    """A list of the samples, each as an NDArray (with a new batch axis when ``expand``), for
    samples of different shapes."""

    def __init__(self, expand=True, batch_axis=0, use_shared_mem=False):
        self._expand = expand
        self._batch_axis = batch_axis
        self._use_shared_mem = use_shared_mem

    def __call__(self, data):
        out = [x if isinstance(x, NDArray) else array(x) for x in data]
        if self._expand:
            out = [x.expand_dims(axis=self._batch_axis) for x in out]
        return out


class AsList:
    """The samples as they are, in a list (for strings and other non-array fields)."""

    def __call__(self, data):
        return list(data)
