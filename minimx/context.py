"""Contexts: where an array lives and which backend runs its ops.

``mx.cpu(i)`` runs on the Cython backend (``MINIMX_BACKEND=reference`` picks the numpy one);
``mx.gpu(i)`` is the i-th OpenCL device (``minimx/_kernels/opencl``; ``MINIMX_OPENCL_DEVICE`` picks
which, e.g. ``cpu`` for PoCL's CPU device).
``with mx.cpu(1):`` makes a context the default for arrays created inside the block.
"""
import threading

from . import config
from ._kernels import get_backend
from ._kernels.hostpool import POOL
from .base import MXNetError

__all__ = ["Context", "cpu", "gpu", "cpu_pinned", "current_context", "num_gpus", "gpu_memory_info"]


class Context:
    """A device type and id, as in MXNet (``Context('cpu', 0)`` or ``Context(other_context)``)."""
    devtype2str = {1: "cpu", 2: "gpu", 3: "cpu_pinned", 5: "cpu_shared"}
    devstr2type = {"cpu": 1, "gpu": 2, "cpu_pinned": 3, "cpu_shared": 5}
    _default = threading.local()
    __slots__ = ("device_typeid", "device_id", "_backend")

    def __init__(self, device_type, device_id=0):
        if isinstance(device_type, Context):
            self.device_typeid, self.device_id = device_type.device_typeid, device_type.device_id
        else:
            if not isinstance(device_type, str) or device_type not in self.devstr2type:
                raise MXNetError(f"unknown device type {device_type!r}: use one of "
                                 f"{', '.join(self.devstr2type)}")
            if not isinstance(device_id, int) or device_id < 0:
                raise MXNetError(f"device_id must be a non-negative int, got {device_id!r}")
            self.device_typeid, self.device_id = self.devstr2type[device_type], device_id
        self._backend = None

    @property
    def device_type(self):
        return self.devtype2str[self.device_typeid]

    @property
    def backend(self):
        """The kernel backend that runs this context's ops (looked up once)."""
        if self._backend is None:
            self._backend = _backend_for(self)
        return self._backend

    def __hash__(self):
        return hash((self.device_typeid, self.device_id))

    def __eq__(self, other):
        return (isinstance(other, Context) and self.device_typeid == other.device_typeid
                and self.device_id == other.device_id)

    def __ne__(self, other):
        return not self == other

    def __str__(self):
        return f"{self.device_type}({self.device_id})"

    __repr__ = __str__

    def __enter__(self):
        # The previous default goes on a per-thread stack, not on self: arrays share their Context
        # object, so nested ``with x.context:`` blocks often enter the same object twice.
        stack = getattr(Context._default, "stack", None)
        if stack is None:
            stack = Context._default.stack = []
        stack.append(current_context())
        Context._default.value = self
        return self

    def __exit__(self, *exc):
        Context._default.value = Context._default.stack.pop()
        return False

    def empty_cache(self):
        """Give the memory cached for reuse back to the system (the host buffer pool)."""
        if self.device_type.startswith("cpu"):
            POOL.clear()
        else:
            self.backend.storage.dev.pool.free_held()


def _backend_for(ctx):
    if ctx.device_type in ("cpu", "cpu_pinned", "cpu_shared"):
        return get_backend(config.cpu_backend())
    from ._kernels import opencl    # imported on first gpu use: pyopencl is optional
    from .engine.devsync import SYNCS
    backend = opencl.backend_for(ctx.device_id)
    if opencl.engine_sync not in SYNCS:   # waits (wait_to_read, waitall) drain the device queue
        SYNCS.append(opencl.engine_sync)
    return backend


def cpu(device_id=0):
    """The CPU context. ``device_id`` only labels arrays; all CPU contexts share the cores."""
    return Context("cpu", device_id)


def cpu_pinned(device_id=0):
    return Context("cpu_pinned", device_id)


def gpu(device_id=0):
    """The i-th GPU context (an OpenCL device in minimx)."""
    return Context("gpu", device_id)


def num_gpus():
    """Number of OpenCL devices ``mx.gpu(i)`` can use (0 without pyopencl or a device)."""
    from ._kernels import opencl
    return opencl.num_devices()


def gpu_memory_info(device_id=0):
    """``(free, total)`` bytes of ``mx.gpu(device_id)``; OpenCL reports no free memory, so free is
    the total less what minimx's buffer pool holds."""
    from ._kernels import opencl
    backend = opencl.backend_for(device_id)
    dev = backend.storage.dev
    total = dev.device.global_mem_size
    return total - getattr(dev.pool, "active_bytes", 0), total


_CPU0 = Context("cpu", 0)


def current_context():
    """The default context: the innermost ``with ctx:`` block's, else ``cpu(0)``."""
    return getattr(Context._default, "value", None) or _CPU0
