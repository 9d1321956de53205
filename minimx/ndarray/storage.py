"""Storage chunks: one buffer on one context, owning one engine variable.

NB: a ``Chunk`` *is* its engine ``Var`` (a subclass) rather than holding one: every new array needs
both, and one object instead of two keeps the per-op cost down. The engine only sees the Var part.
"""
from ..engine import Var

__all__ = ["Chunk"]


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
