"""Storage chunks: one buffer on one context, owning one engine variable.

NB: a ``Chunk`` *is* its engine ``Var`` (a subclass) rather than holding one: every new array needs
both, and one object instead of two keeps the per-op cost down. The engine only sees the Var part.
"""
import numpy as np

from ..base import MXNetError
from ..engine import Var

__all__ = ["Chunk", "ArrayAllocationError", "ShapeValueError", "allocation_error"]


class Chunk(Var):
    """A buffer (``buf``: the backend's array) on context ``ctx``; views of it share this object."""
    __slots__ = ("buf", "ctx")

    def __init__(self, buf, ctx):
        # Var's fields, set here rather than through Var.__init__: one call less per new array.
        self._queue = None
        self._readers = 0
        self._writing = False
        self.exc = None
        self.buf = buf
        self.ctx = ctx


class ArrayAllocationError(MXNetError, MemoryError):
    """An op's output does not fit in memory (a MemoryError that names the op and the shape)."""


class ShapeValueError(MXNetError, ValueError):
    """An output shape numpy refuses (a negative dimension): a ValueError that names the op."""


def allocation_error(what, shapes, dtypes, ctx, cause):
    """The error for a failed allocation: numpy's MemoryError, or its ValueError for a size past
    what an address can hold ("array is too big", "Maximum allowed dimension exceeded"); any other
    ValueError (a negative dimension) becomes a ShapeValueError naming ``what`` and the shapes."""
    text = str(cause).lower()
    if isinstance(cause, ValueError) and "too big" not in text and "maximum" not in text:
        shown = ", ".join(str(tuple(s)) for s in shapes)
        return ShapeValueError(f"{what}: invalid output shape {shown}: {cause}. Every size must "
                               "be >= 0: check the shape parameters.")
    sizes = []
    for s, d in zip(shapes, dtypes):
        n = np.dtype(d).itemsize
        for dim in s:
            n *= dim
        sizes.append(f"{tuple(s)} {np.dtype(d).name} ({n / 2 ** 30:.3g} GiB)")
    return ArrayAllocationError(f"{what}: cannot allocate the output {', '.join(sizes)} on "
                                f"{ctx}: {cause}. Use a smaller shape (or batch size).")
