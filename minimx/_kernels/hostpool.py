"""A pool of large host buffers, so training loops do not ask the OS for fresh memory every step.

Why: a new 40 MB array costs more than the arithmetic that fills it. The allocator returns such
blocks to the OS when they are freed, so the next one starts as untouched pages and every first
write to a page is a page fault (about 19 ms per 40 MB here). numpy hides this by reusing its
temporaries; minimx's ops each write a new output. MXNet keeps a pooled storage manager for the
same reason.

How: ``empty(shape, dtype)`` hands out a window of a raw byte buffer taken from the pool (or newly
made) and registers a finalizer on the array; when the array and all its views are gone, the raw
buffer goes back to the pool. Small arrays (< ``min_bytes``) use ``np.empty`` directly: the
allocator already reuses small blocks, and the finalizer would cost more than it saves. The pool
keeps at most ``max_cached`` bytes of free buffers, dropping the oldest first.
"""
import os
import threading
import weakref
from collections import OrderedDict

import numpy as np

__all__ = ["HostPool", "POOL"]

_PAGE = 4096


class HostPool:
    def __init__(self, min_bytes=1 << 20, max_cached=1 << 30):
        self.min_bytes = min_bytes
        self.max_cached = max_cached
        self.cached = 0                 # bytes held in free buffers
        self._free = OrderedDict()      # size -> list of raw uint8 buffers, oldest size first
        self._lock = threading.Lock()

    def empty(self, shape, dtype):
        """An uninitialised array; large ones come from (and go back to) the pool."""
        arr = np.empty(shape, dtype)   # cheap even when large: pages are mapped on first touch
        n = arr.nbytes
        if n < self.min_bytes:
            return arr
        dtype = arr.dtype
        size = -(-n // _PAGE) * _PAGE
        raw = None
        with self._lock:
            stack = self._free.get(size)
            if stack:
                raw = stack.pop()
                self.cached -= size
                if not stack:
                    del self._free[size]
        if raw is None:
            raw = np.empty(size, np.uint8)
        arr = raw[:n].view(dtype).reshape(shape)
        weakref.finalize(arr, self._give_back, raw)
        return arr

    def _give_back(self, raw):
        size = raw.nbytes
        with self._lock:
            if size > self.max_cached:
                return
            self._free.setdefault(size, []).append(raw)
            self._free.move_to_end(size)
            self.cached += size
            while self.cached > self.max_cached:
                old_size, stack = next(iter(self._free.items()))
                stack.pop(0)
                self.cached -= old_size
                if not stack:
                    del self._free[old_size]

    def clear(self):
        """Drop every cached buffer (``Context.empty_cache``)."""
        with self._lock:
            self._free.clear()
            self.cached = 0


POOL = HostPool()


def _reset_lock_in_child():
    # A fork copies the lock as it was: if another thread held it then, the child's copy stays
    # held forever. The child has one thread, so a fresh lock is safe.
    POOL._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock_in_child)
