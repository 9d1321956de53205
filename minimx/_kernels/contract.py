"""The kernel contract: how every backend's kernels are called.

A kernel is ``kernel(ins, outs, attrs)``:

- ``ins``: a tuple of the backend's arrays (``numpy.ndarray`` on the CPU backends), C-contiguous,
  with the op's input shapes and dtypes. Kernels never write them, except the inputs an op declares
  it mutates (``OpDef.mutates``: BatchNorm's running statistics, optimizer states).
- ``outs``: a tuple of preallocated C-contiguous arrays with the output shapes from the op's shape
  rule. The kernel writes every element of each. An output may be a view into a larger buffer.
- ``attrs``: the op's parsed parameters as a dict of Python values (``{'axis': (1,), ...}``).
  Random ops also get ``attrs['rng']`` (the context's generator) and ops that behave differently
  in training get ``attrs['is_train']``.

The kernel returns nothing. It must not keep references to its arguments after it returns, must not
import the framework, and should release the GIL around its loops so the engine can run it in
parallel with other kernels.

A ``Backend`` also provides storage: ``alloc(shape, dtype)`` returns a fresh buffer,
``view(buf, offset, shape)`` a contiguous window of it (offset in elements), ``to_numpy(view)`` a host
copy, ``from_numpy(array, view)`` fills a view from host memory, ``new_rng(seed)`` makes a
context's random generator and ``reseed(rng, seed)`` re-seeds one in place.
"""
import numpy as np

from .hostpool import POOL

__all__ = ["Backend", "HostStorage"]


class HostStorage:
    """Storage functions for backends that keep arrays in host memory as numpy arrays."""

    # alloc(shape, dtype): an uninitialised buffer; large ones are recycled (see hostpool.py).
    alloc = staticmethod(POOL.empty)

    @staticmethod
    def view(buf, offset, shape):
        flat = buf.reshape(-1)
        n = 1
        for s in shape:
            n *= s
        return flat[offset:offset + n].reshape(shape)

    @staticmethod
    def to_numpy(view):
        return np.array(view, copy=True)

    @staticmethod
    def from_numpy(array, view):
        np.copyto(view, array, casting="unsafe")

    @staticmethod
    def new_rng(seed):
        """A random generator for one context (numpy's PCG64)."""
        return np.random.Generator(np.random.PCG64(seed))

    @staticmethod
    def reseed(rng, seed):
        """Re-seed ``rng`` in place, so kernels holding it see the new stream."""
        rng.bit_generator.state = np.random.PCG64(seed).state


class Backend:
    """A named kernel table plus storage functions."""

    def __init__(self, name, kernels, storage, device="host"):
        self.name = name
        self.kernels = kernels
        self.storage = storage
        self.alloc = storage.alloc
        self.view = storage.view
        self.to_numpy = storage.to_numpy
        self.from_numpy = storage.from_numpy
        self.new_rng = storage.new_rng
        self.reseed = storage.reseed
        self.device = device

    def __repr__(self):
        return f"<Backend {self.name}: {len(self.kernels)} kernels>"
