"""``mx.kv``: key-value stores that keep copies of parameters in step.

======================== ======================================================================
``create(name)``         what you get
======================== ======================================================================
``'local'``              sums a key's values over the contexts of this process, on ``cpu()``
``'device'``             the same, storing each key on the context of its first value
``'dist_sync'``          ``'local'`` on every MPI rank, then a sum over ranks (``MPI_Allreduce``)
``'dist_device_sync'``   the same, merging on the device first
``'dist_async'``         rank 0 runs a server thread that applies each push as it arrives
======================== ======================================================================

``set_gradient_compression({'type': '2bit', 'threshold': t})`` works on ``'device'`` and
``'dist_*'`` stores (``compression.py``).

``gluon.Trainer(..., kvstore=...)`` takes a name or a store made here.
"""
from ..base import MXNetError
from .base import KVStoreBase
from .dist import DistKVStore
from .dist_async import AsyncKVStore
from .local import KVStore

__all__ = ["create", "KVStore", "KVStoreBase", "DistKVStore", "AsyncKVStore"]

_LOCAL = ("local", "device", "local_allreduce_cpu", "local_allreduce_device", "local_update_cpu")
_DIST = ("dist_sync", "dist_device_sync", "dist_async", "dist_sync_device", "dist")


class _TypeError(MXNetError, TypeError):
    pass


def create(name="local"):
    """Make a KVStore by name (see the table above), or a store registered with
    ``KVStoreBase.register``.

    Raises
    ------
    MXNetError
        For an unknown name, or for ``'dist_*'`` without mpi4py/MPI (the message says what to
        install).
    """
    if not isinstance(name, str):
        raise _TypeError("name must be a string")
    name = name.lower()
    if name in KVStoreBase.kv_registry:
        return KVStoreBase.kv_registry[name]()
    if name in _LOCAL:
        return KVStore(name)
    if name == "dist_async":
        return AsyncKVStore(name)
    if name in _DIST:
        return DistKVStore("dist_sync" if name == "dist" else name)
    if name in ("nccl", "horovod", "byteps", "p3"):
        raise MXNetError(f"kvstore {name!r} is not available in minimx: use 'device' on one "
                         "machine, 'dist_sync' (MPI) across processes")
    raise MXNetError(f"Unknown KVStore type {name!r}: use 'local', 'device', 'dist_sync' or "
                     "'dist_device_sync'")
