"""Batches through shared memory: how a worker process hands a batch to the main process.

Pickling a 400 KB batch through a pipe copies it three times (into the pickle, through the kernel,
out of the pickle). Instead a worker writes the arrays of a batch into a *slot*: a file in
``/dev/shm`` (memory, not disk) that both processes map. Only the slot's name and a skeleton of the
batch travel through the pipe: its nesting and, for each array, its offset, shape and dtype. The
main process wraps the arrays as NDArrays over its own mapping of the slot, without a copy.

Why slots are reused: a fresh file per batch costs a page fault per 4 KB page in the worker and
freeing the pages again later; here that was ~1 ms per 400 KB batch, more than making the batch.
So the main process hands each task a free slot (``Slots.take``) and gets the slot back when the
last array of that batch is garbage (a ``weakref.finalize`` on the batch's buffer): a user who
keeps a batch keeps its slot, and the loader simply makes another.

Steps of ``pack(batch, path, cache)`` (in the worker):

1. Walk the batch (nested lists, tuples and dicts); each NDArray or numpy array becomes an
   ``_ArrayRef(offset, shape, dtype, is_nd)`` placeholder; other values stay as they are.
2. Map the slot (growing its file if the batch does not fit), copy the arrays in.
3. Return ``(path, size, skeleton)``: a few hundred bytes to send.

Two variants skip a copy by writing the batch straight into the slot: ``pack_gather`` (a numpy
ArrayDataset: one fancy index per array) and ``pack_default`` (``default_batchify_fn`` of numpy
samples: one concatenate per field).

``Slots.unpack(path, size, skeleton)`` (in the main process) rebuilds the batch with NDArrays (or
numpy arrays, where the worker's batch had numpy arrays) over the mapping.
"""
import collections
import glob
import itertools
import math
import mmap
import os
import tempfile
import weakref

import numpy as np

from ..base import MXNetError, normalize_dtype
from ..ndarray import NDArray
from .batchify import default_batchify_fn, wrap_numpy

__all__ = ["SHM_DIR", "pack", "pack_gather", "pack_default", "Slots", "remove_leftovers"]

# /dev/shm is RAM on Linux; elsewhere a temp file works the same way through the page cache.
SHM_DIR = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) \
    else tempfile.gettempdir()
_ALIGN = 64


class _ArrayRef:
    """Where one array of a packed batch lies in its slot."""
    __slots__ = ("offset", "shape", "dtype", "is_nd")

    def __init__(self, offset, shape, dtype, is_nd):
        self.offset, self.shape, self.dtype, self.is_nd = offset, shape, dtype, is_nd

    def __reduce__(self):
        return _ArrayRef, (self.offset, self.shape, self.dtype, self.is_nd)


def _host_values(x):
    """The values of NDArray ``x`` as a numpy array, without a copy where they are in host memory."""
    if x.context.device_type.startswith("cpu"):
        x.wait_to_read()
        return x._data          # the host backend's buffer (a numpy view); we only read it
    return x.asnumpy()


def _strip(obj, arrays, size):
    """Replace every array in ``obj`` by an ``_ArrayRef``; collect ``(ref, numpy array)``."""
    if isinstance(obj, NDArray):
        values = _host_values(obj)
    elif type(obj) is np.ndarray and obj.dtype != object:
        values = obj
    else:
        if isinstance(obj, list):
            return [_strip(x, arrays, size) for x in obj]
        if type(obj) is tuple:
            return tuple(_strip(x, arrays, size) for x in obj)
        if isinstance(obj, dict):
            return {k: _strip(v, arrays, size) for k, v in obj.items()}
        return obj
    ref = _ArrayRef(size[0], values.shape, values.dtype.str, isinstance(obj, NDArray))
    arrays.append((ref, values))
    size[0] += -(-values.nbytes // _ALIGN) * _ALIGN
    return ref


def _map(path, size):
    """Map slot file ``path``, first growing it to ``size`` bytes if it is smaller."""
    fd = os.open(path, os.O_RDWR)
    try:
        have = os.fstat(fd).st_size
        if have < size:
            os.ftruncate(fd, size)
            have = size
        return mmap.mmap(fd, have)
    finally:
        os.close(fd)


def pack(batch, path, cache):
    """Write the arrays of ``batch`` into slot ``path``; return what to send. ``cache`` keeps
    this worker's mappings (slot path -> mmap) between batches."""
    arrays, size = [], [0]
    skeleton = _strip(batch, arrays, size)
    size = size[0]
    if size == 0:             # no array with bytes: the skeleton carries everything
        return path, 0, skeleton
    mm = _mapped(path, size, cache)
    for ref, values in arrays:
        np.copyto(np.ndarray(values.shape, values.dtype, buffer=mm, offset=ref.offset), values)
    return path, size, skeleton


def pack_gather(gather, indices, path, cache):
    """``pack`` for a ``dataset.batch_gatherer``: the fancy index writes straight into the slot
    (one copy of the batch instead of two)."""
    refs, size = [], 0
    for shape, dtype in gather.shapes(len(indices)):
        dtype = np.dtype(dtype)
        refs.append(_ArrayRef(size, shape, dtype.str, True))
        size += -(-dtype.itemsize * math.prod(shape) // _ALIGN) * _ALIGN
    if size:
        mm = _mapped(path, size, cache)
        gather(indices, [np.ndarray(r.shape, r.dtype, buffer=mm, offset=r.offset) for r in refs])
    else:
        gather(indices)    # for its index check
    return path, size, refs[0] if gather.single else refs


def pack_default(samples, path, cache):
    """``pack(default_batchify_fn(samples))``, but fields whose samples are numpy arrays of one
    shape and dtype are stacked straight into the slot (one copy of the batch instead of two)."""
    single = not isinstance(samples[0], tuple)
    fields = [samples] if single else list(zip(*samples))
    refs, direct, rest, size = [], [], [], [0]
    for field in fields:
        first = field[0]
        if type(first) is np.ndarray and _supported(first.dtype) and all(
                type(x) is np.ndarray and x.shape == first.shape and x.dtype == first.dtype
                for x in field):
            shape = (len(field),) + first.shape
            ref = _ArrayRef(size[0], shape, first.dtype.str, True)
            size[0] += -(-first.dtype.itemsize * math.prod(shape) // _ALIGN) * _ALIGN
            direct.append((ref, field))
            refs.append(ref)
        else:
            refs.append(_strip(default_batchify_fn(list(field)), rest, size))
    size = size[0]
    if size:
        mm = _mapped(path, size, cache)
        for ref, field in direct:
            out = np.ndarray(ref.shape, ref.dtype, buffer=mm, offset=ref.offset)
            if out.ndim > 1:    # (n, s0, ...) seen as (n * s0, ...): concatenate beats np.stack
                np.concatenate(field, axis=0, out=out.reshape((-1,) + ref.shape[2:]))
            else:
                out[...] = field
        for ref, values in rest:
            np.copyto(np.ndarray(values.shape, values.dtype, buffer=mm, offset=ref.offset), values)
    return path, size, refs[0] if single else refs


def _supported(dtype):
    try:
        return normalize_dtype(dtype) == dtype
    except MXNetError:
        return False


def _mapped(path, size, cache):
    mm = cache.get(path)
    if mm is None or len(mm) < size:
        if mm is not None:
            mm.close()
        mm = cache[path] = _map(path, size)
    return mm


def _rebuild(obj, buf):
    if isinstance(obj, _ArrayRef):
        dtype = np.dtype(obj.dtype)
        n = dtype.itemsize * math.prod(obj.shape)
        if buf is None or n == 0:
            values = np.empty(obj.shape, dtype)
        else:
            values = buf[obj.offset:obj.offset + n].view(dtype).reshape(obj.shape)
        return wrap_numpy(values, check=False) if obj.is_nd else values
    if isinstance(obj, list):
        return [_rebuild(x, buf) for x in obj]
    if type(obj) is tuple:
        return tuple(_rebuild(x, buf) for x in obj)
    if isinstance(obj, dict):
        return {k: _rebuild(v, buf) for k, v in obj.items()}
    return obj


class Slots:
    """The main process's side of one worker's slots: hands out free ones, maps them, takes
    them back when their batch is garbage, and keeps at most ``keep`` free ones."""

    def __init__(self, prefix, keep):
        self._prefix = prefix
        self._keep = keep
        self._names = itertools.count()
        self._free = collections.deque()   # appended by finalizers, on whatever thread
        self._maps = {}                     # slot path -> this process's mmap of it
        self.dropped = []                   # slots deleted here; the worker should unmap them

    def take(self):
        """A free slot's path (a new empty file when none is free)."""
        while len(self._free) > self._keep:
            self._delete(self._free.popleft())
        try:
            return self._free.pop()
        except IndexError:
            path = f"{SHM_DIR}/{self._prefix}-{next(self._names)}"
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
            return path

    def give_back(self, path):
        """Return a slot whose batch will never be used (an error, a dropped generation)."""
        self._free.append(path)

    def unpack(self, path, size, skeleton):
        """Rebuild a packed batch over this process's mapping of slot ``path``."""
        if size == 0:
            self._free.append(path)
            return _rebuild(skeleton, None)
        mm = self._maps.get(path)
        if mm is None or len(mm) < size:
            mm = self._maps[path] = _map(path, size)
        # a new array object per batch: every array of the batch is a view of it, so it dies
        # with the last of them, and its finalizer frees the slot.
        buf = np.frombuffer(mm, np.uint8, count=size)
        weakref.finalize(buf, self._free.append, path)
        return _rebuild(skeleton, buf)

    def _delete(self, path):
        self._maps.pop(path, None)
        self.dropped.append(path)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def remove_leftovers(prefix):
    """Delete every slot file whose name starts with ``prefix`` (after the workers stopped)."""
    for path in glob.glob(os.path.join(SHM_DIR, glob.escape(prefix) + "*")):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
