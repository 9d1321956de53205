"""``dist_sync`` / ``dist_device_sync``: data-parallel training across processes on MPI.

Every process (an MPI rank, a "worker") holds the whole model. Steps of ``kv.pushpull(key, grads,
out=weights)`` on each worker, with an optimizer set:

1. sum the key's gradients over this worker's contexts (as the local store does);
2. ``MPI_Allreduce`` (sum) that sum with every other worker's: all now hold the same total;
3. each worker applies the optimizer to its own copy of the stored weight. All copies started
   equal (`init` broadcasts rank 0's value) and see the same gradients, so they stay equal;
4. pull: copy the stored weight into ``weights``.

NB: MXNet runs ``dist_*`` with parameter servers: workers push to servers, which sum and update,
and workers pull back. With synchronous updates the arithmetic is the same (the gradient is the sum
over every worker's batch, scaled by ``rescale_grad`` = 1 / one worker's batch size), so minimx uses
MPI's allreduce and no servers. ``dist_async`` (servers applying each worker's push as it comes)
has no honest allreduce equivalent and is not provided.

Communication is an engine op: the allreduce of a key runs on an engine worker once the key's
gradient is ready, and the Python thread goes on pushing instead of waiting. MPI needs every rank
to call collectives in the same order, so every communication op writes one shared engine
variable: the engine then runs them in push order, which is the same on every rank because every
rank runs the same program. NB: ``gluon.Trainer`` pushes parameter 0 first, whose gradient
backward computes last, so in practice communication overlaps the optimizer updates and the next
pushes more than backward itself (MXNet orders by ``priority``, which minimx ignores).
"""
import sys
import time

import numpy as np

from ..base import MXNetError
from ..engine import new_var, push, wait_for_var
from ..ndarray import empty
from .local import KVStore

__all__ = ["DistKVStore", "mpi_comm"]

INSTALL_HINT = ("pip install mpi4py mpich (or: pip install 'minimx[dist]'), then launch N "
                "workers with `python -m minimx.launch -n N train.py` or `mpiexec -n N python "
                "train.py`")


def mpi_comm():
    """``(MPI module, COMM_WORLD)``, or a clear error when mpi4py or an MPI library is missing."""
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise MXNetError(f"distributed kvstores run on MPI through mpi4py, which cannot be "
                         f"imported ({err}). {INSTALL_HINT}") from err
    return MPI, MPI.COMM_WORLD


class DistKVStore(KVStore):
    """A KVStore whose pushes are summed over every MPI rank (``mx.kv.create('dist_sync')``)."""

    def __init__(self, name="dist_sync"):
        if "async" in name:
            raise MXNetError(f"kvstore {name!r}: asynchronous updates need parameter servers, "
                             "which minimx does not have (its distributed kvstore is MPI "
                             "allreduce). Use 'dist_sync' (same script, synchronous updates)")
        super().__init__(name)
        self._mpi, self._comm = mpi_comm()
        self._comm_var = new_var()       # written by every collective: keeps them in push order
        if self._comm.Get_size() > 1:
            _abort_all_on_crash(self._comm)

    timeout = 300.0
    """Seconds a collective waits for the other ranks before it aborts them all (a rank that
    died or stopped early would otherwise leave the others waiting forever)."""

    def _wait(self, request, what):
        """Wait for a nonblocking collective, polling so that a dead peer cannot hang us."""
        deadline, pause = time.monotonic() + self.timeout, 1e-5
        while not request.Test():
            if time.monotonic() > deadline:
                sys.stderr.write(f"minimx kvstore: rank {self.rank} waited {self.timeout:.0f} s "
                                 f"for the other ranks in {what}; one of them died or stopped "
                                 "calling the kvstore. Aborting all ranks (raise kv.timeout for "
                                 "steps this slow).\n")
                sys.stderr.flush()
                self._comm.Abort(1)
            time.sleep(pause)
            pause = min(pause * 2, 5e-4)   # short naps: latency matters more than a few wakeups

    @property
    def rank(self):
        """This worker's MPI rank, in ``[0, num_workers)``."""
        return self._comm.Get_rank()

    @property
    def num_workers(self):
        """The number of MPI ranks."""
        return self._comm.Get_size()

    def _collective(self, name, fn, reads, writes, ctx):
        """Push ``fn`` as an engine op that also writes the communication variable."""
        push(fn, tuple(a._chunk for a in reads), (self._comm_var,) + tuple(a._chunk for a in writes),
             ctx, name, False)

    def _first_value(self, key, value):
        """Every rank stores rank 0's value (``MPI_Bcast``); shapes must agree."""
        stored = value.copyto(self._home(value))
        comm, backend = self._comm, stored.context.backend
        view, shape = stored._data, stored.shape

        def bcast():
            mine = np.full(8, -1, np.int64)
            mine[:len(shape[:8])] = shape[:8]
            shapes = np.empty((comm.Get_size(), 8), np.int64)
            self._wait(comm.Iallgather(mine, shapes), f"init of key {key!r}")
            if (shapes != shapes[0]).any():
                raise MXNetError(f"kvstore init of key {key!r}: the ranks' shapes differ "
                                 f"({[tuple(s[s >= 0]) for s in shapes]}); every worker must "
                                 "build the same model")
            buf = np.ascontiguousarray(backend.to_numpy(view))
            self._wait(comm.Ibcast(buf, root=0), f"init of key {key!r}")
            backend.from_numpy(buf, view)

        self._collective("kvstore_broadcast", bcast, (), (stored,), stored.context)
        return stored

    def _reduce(self, key, merged):
        """The sum of `merged` over every rank, as a new array (``MPI_Allreduce``)."""
        total = empty(merged.shape, ctx=merged.context, dtype=merged.dtype)
        comm, mpi = self._comm, self._mpi
        src_backend, src, dst = merged.context.backend, merged._data, total._data

        def allreduce():
            send = np.ascontiguousarray(src_backend.to_numpy(src))
            recv = np.empty_like(send)
            self._wait(comm.Iallreduce(send, recv, op=mpi.SUM), f"push of key {key!r}")
            src_backend.from_numpy(recv, dst)

        self._collective("kvstore_allreduce", allreduce, (merged,), (total,), merged.context)
        return total

    def barrier(self):
        """Block until every rank has reached this point (and its earlier collectives ran)."""
        def barrier():
            self._wait(self._comm.Ibarrier(), "barrier")
        push(barrier, (), (self._comm_var,), None, "kvstore_barrier", False)
        wait_for_var(self._comm_var)

    _barrier = barrier


def _abort_all_on_crash(comm):
    """Make an uncaught exception on this rank abort every rank (``MPI_Abort``), rather than leave
    the others waiting in a collective for an answer that never comes."""
    previous = sys.excepthook
    if getattr(previous, "_minimx_abort", False):
        return

    def hook(kind, value, tb):
        previous(kind, value, tb)
        sys.stderr.write(f"minimx kvstore: rank {comm.Get_rank()} failed; aborting all ranks\n")
        sys.stderr.flush()
        comm.Abort(1)

    hook._minimx_abort = True
    sys.excepthook = hook
