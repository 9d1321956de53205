"""Arrays in OpenCL buffers, and the storage functions of the kernel contract.

A ``CLArray`` is a window of a pooled ``cl.Buffer``: the device, the buffer, an offset in elements,
a shape and a dtype. It has the few attributes the NDArray layer reads (``shape``, ``dtype``,
``size``, ``ndim``, ``nbytes``); kernels pass ``buf`` and ``offset`` to the device.
"""
import numpy as np

from .device import cl

__all__ = ["CLArray", "CLStorage"]


class CLArray:
    __slots__ = ("dev", "buf", "offset", "shape", "dtype", "size")

    def __init__(self, dev, buf, offset, shape, dtype):
        self.dev, self.buf, self.offset = dev, buf, offset
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        n = 1
        for s in self.shape:
            n *= s
        self.size = n

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def nbytes(self):
        return self.size * self.dtype.itemsize

    def reshape(self, *shape):
        """A view with another shape (same elements); ``-1`` is inferred."""
        shape = shape[0] if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        shape = list(shape)
        if -1 in shape:
            known = 1
            for s in shape:
                if s != -1:
                    known *= s
            shape[shape.index(-1)] = self.size // known if known else 0
        return CLArray(self.dev, self.buf, self.offset, shape, self.dtype)

    def __repr__(self):
        return f"<CLArray {self.shape} {self.dtype} on {self.dev.device.name}>"


class CLStorage:
    """The contract's storage functions for one device (``alloc``, ``view``, copies, rng)."""

    def __init__(self, dev):
        self.dev = dev

    def alloc(self, shape, dtype):
        dtype = np.dtype(dtype)
        n = 1
        for s in shape:
            n *= s
        # OpenCL has no empty buffers: a size-0 array still holds one element.
        buf = self.dev.pool.allocate(max(n, 1) * dtype.itemsize)
        return CLArray(self.dev, buf, 0, shape, dtype)

    @staticmethod
    def view(arr, offset, shape):
        return CLArray(arr.dev, arr.buf, arr.offset + offset, shape, arr.dtype)

    @staticmethod
    def to_numpy(arr):
        """A host copy; blocking, so it also waits for every kernel queued before it."""
        out = np.empty(arr.shape, arr.dtype)
        if arr.size:
            cl.enqueue_copy(arr.dev.queue, out, arr.buf, src_offset=arr.offset * arr.dtype.itemsize,
                            is_blocking=True)
        return out

    @staticmethod
    def from_numpy(array, arr):
        """Fill ``arr`` from host values (broadcast and cast as ``np.copyto`` would); blocking, so
        the host array may change as soon as this returns."""
        if not arr.size:
            return
        host = np.asarray(array)
        if host.shape != arr.shape or host.dtype != arr.dtype or not host.flags.c_contiguous:
            tmp = np.empty(arr.shape, arr.dtype)
            np.copyto(tmp, host, casting="unsafe")
            host = tmp
        cl.enqueue_copy(arr.dev.queue, arr.buf, host, dst_offset=arr.offset * arr.dtype.itemsize,
                        is_blocking=True)

    @staticmethod
    def new_rng(seed):
        """numpy's generator: the fallback draws from it, native kernels take their Philox keys
        from it (``rand.py``), so ``mx.random.seed`` makes both repeatable."""
        return np.random.Generator(np.random.PCG64(seed))

    @staticmethod
    def reseed(rng, seed):
        rng.bit_generator.state = np.random.PCG64(seed).state
