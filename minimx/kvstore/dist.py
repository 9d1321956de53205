"""``dist_sync`` / ``dist_device_sync``: data-parallel training across processes on MPI.

Every process (an MPI rank, a "worker") holds the whole model. Steps of ``kv.pushpull(key, grads,
out=weights)`` on each worker, with an optimizer set:

1. sum the key's gradients over this worker's contexts (as the local store does);
2. ``MPI_Allreduce`` (sum) that sum with every other worker's: all now hold the same total;
3. each worker applies the optimizer to its own copy of the stored weight. All copies started
   equal (`init` broadcasts rank 0's value) and see the same gradients, so they stay equal;
4. pull: copy the stored weight into ``weights``.

With ``set_gradient_compression({'type': '2bit', ...})`` step 2 sends each worker's sum quantized
to 2 bits (its own residual keeps the error): ``MPI_Allgather`` of the packed words, 1/16 of the
bytes, then every worker unpacks and adds them in rank order (``compression.py``).

NB: MXNet runs ``dist_*`` with parameter servers: workers push to servers, which sum and update,
and workers pull back. With synchronous updates the arithmetic is the same (the gradient is the sum
over every worker's batch, scaled by ``rescale_grad`` = 1 / one worker's batch size), so minimx uses
MPI's allreduce and no servers. ``dist_async`` (a server applying each worker's push as it comes)
is ``dist_async.py``: rank 0 runs the server.

Communication is engine ops: the Python thread goes on pushing instead of waiting. The
reductions of pushes go through a communicator thread that agrees with the other ranks on which
ready gradients to reduce next (``negotiate.py``), so the last layer's allreduce overlaps the rest
of backward, and ``priority`` orders the ready ones as in MXNet. Without ``MPI_THREAD_MULTIPLE``,
or with ``MINIMX_KVSTORE_OVERLAP=0``, every collective instead writes one shared engine variable
and runs in push order (the same on every rank, as every rank runs the same program): then key 0,
whose gradient backward computes last, goes first and nothing overlaps backward. ``init``'s
broadcast and ``barrier`` always take that ordered path.
"""
import os
import sys
import time

import numpy as np

from ..base import MXNetError
from ..engine import new_var, push, wait_for_var
from ..ndarray import empty
from .local import KVStore, _check_float32
from .negotiate import Communicator, Request, key_id

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
        if "async" in name and type(self) is DistKVStore:
            raise MXNetError(f"kvstore {name!r}: use mx.kv.create('dist_async') (AsyncKVStore)")
        super().__init__(name)
        self._mpi, world = mpi_comm()
        # This store's own communicators, made now, on this thread, in program order: the
        # collectives of two stores (or of a store and its communicator thread) never interleave.
        self._comm = world.Dup()
        self._comm_var = new_var()       # written by every collective: keeps them in push order
        self._communicator = None        # the negotiating thread, made at the first push
        self._pushes = {}                # key -> pushes so far: (key, n) names a push on all ranks
        self._post_vars = {}             # key -> engine var: a key's posts run in push order
        self.overlap = (self._comm.Get_size() > 1
                        and os.environ.get("MINIMX_KVSTORE_OVERLAP", "1") != "0"
                        and self._mpi.Query_thread() >= self._mpi.THREAD_MULTIPLE)
        """Whether reductions go through the negotiating communicator (see the module doc)."""
        self._thread_comm = self._comm.Dup() if self.overlap else None
        if self._comm.Get_size() > 1:
            _abort_all_on_crash(self._comm)

    timeout = float(os.environ.get("MINIMX_KVSTORE_TIMEOUT", "300"))
    """Seconds a collective waits for the other ranks before it aborts them all (a rank that
    stalled or stopped early would otherwise leave the others waiting forever; one that dies is
    noticed by mpiexec, which ends the job). Default 300, or ``MINIMX_KVSTORE_TIMEOUT``."""

    def _wait(self, request, what):
        """Wait for a nonblocking collective, polling so that a dead peer cannot hang us."""
        deadline, pause = time.monotonic() + self.timeout, 1e-5
        while not request.Test():
            if time.monotonic() > deadline:
                self._abort(what)
            time.sleep(pause)
            pause = min(pause * 2, 5e-4)   # short naps: latency matters more than a few wakeups

    def _abort(self, what):
        sys.stderr.write(f"minimx kvstore: rank {self.rank} waited {self.timeout:.0f} s for the "
                         f"other ranks in {what}; one of them died or stopped calling the "
                         "kvstore. Aborting all ranks (for steps this slow, raise kv.timeout or "
                         "MINIMX_KVSTORE_TIMEOUT).\n")
        sys.stderr.flush()
        self._comm.Abort(1)

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

    _compress_contexts = False      # MXNet compresses worker -> server only, not GPU -> GPU

    def _reduce(self, key, merged, priority=0):
        """The sum of `merged` over every rank, as a new array (``MPI_Allreduce``; with 2-bit
        compression, ``MPI_Allgather`` of every rank's packed codes, unpacked and added in rank
        order)."""
        if self.overlap and self._thread_comm is not None:
            return self._reduce_negotiated(key, merged, priority)
        total = empty(merged.shape, ctx=merged.context, dtype=merged.dtype)
        comm, mpi, comp, stats = self._comm, self._mpi, self._compression, self.comm_stats
        src_backend, src, dst = merged.context.backend, merged._data, total._data
        if comp is not None:
            _check_float32(key, merged)

        def allreduce():
            send = np.ascontiguousarray(src_backend.to_numpy(src))
            start = time.perf_counter()
            recv = np.empty_like(send)
            self._wait(comm.Iallreduce(send, recv, op=mpi.SUM), f"push of key {key!r}")
            _count(stats, send.nbytes, start)
            src_backend.from_numpy(recv, dst)

        def allgather():
            grad = np.asarray(src_backend.to_numpy(src), np.float32)
            start = time.perf_counter()
            send = comp.compress(key, 0, grad)
            recv = np.empty((comm.Get_size(), send.size), np.uint32)
            self._wait(comm.Iallgather(send, recv), f"push of key {key!r}")
            _count(stats, send.nbytes, start)
            out = comp.decompress(recv[0], grad.shape)
            for words in recv[1:]:
                out += comp.decompress(words, grad.shape)
            src_backend.from_numpy(out, dst)

        if comp is None:
            self._collective("kvstore_allreduce", allreduce, (merged,), (total,), merged.context)
        else:
            self._collective("kvstore_allgather_2bit", allgather, (merged,), (total,),
                             merged.context)
        return total

    def _reduce_negotiated(self, key, merged, priority):
        """`_reduce` through the communicator thread: post when ready, wait on the kvstore queue."""
        if self._communicator is None:
            self._communicator = Communicator(self._thread_comm, self._mpi, self._wait,
                                              self.comm_stats)
        comp = self._compression
        if comp is not None:
            _check_float32(key, merged)
        n = self._pushes[key] = self._pushes.get(key, 0) + 1
        request = Request((key_id(key), n), priority, None, merged.shape, comp)
        total = empty(merged.shape, ctx=merged.context, dtype=merged.dtype)
        backend, src, dst = merged.context.backend, merged._data, total._data
        token, communicator, timeout = new_var(), self._communicator, self.timeout

        def post():
            grad = np.array(backend.to_numpy(src), copy=True)
            request.send = grad if comp is None else comp.compress(key, 0, grad)
            communicator.post(request)

        def wait():
            if not request.done.wait(2 * timeout):   # the communicator aborts after `timeout`
                self._abort(f"the allreduce of key {key!r}")

        def finish():
            wait()
            backend.from_numpy(request.result, dst)

        post_var = self._post_vars.setdefault(key, new_var())
        push(post, (merged._chunk,), (post_var, token), merged.context, "kvstore_post", False)
        if merged.context.device_type.startswith("cpu"):
            push(finish, (token,), (total._chunk,), _COMM_QUEUE, "kvstore_allreduce", False)
        else:       # a device's arrays are written from its own engine thread (its queue)
            done = new_var()
            push(wait, (token,), (done,), _COMM_QUEUE, "kvstore_allreduce", False)
            push(lambda: backend.from_numpy(request.result, dst), (done,), (total._chunk,),
                 merged.context, "kvstore_result", False)
        return total

    def barrier(self):
        """Block until every rank has reached this point (and its earlier collectives ran)."""
        def barrier():
            self._wait(self._comm.Ibarrier(), "barrier")
        push(barrier, (), (self._comm_var,), None, "kvstore_barrier", False)
        wait_for_var(self._comm_var)

    _barrier = barrier


class _CommQueue:
    """Where ``kvstore_allreduce`` ops run: the engine gives every non-cpu device its own thread,
    so ops that wait for the communicator never hold up a cpu worker (backward goes on)."""

    device_type = "kvstore"
    device_id = 0

    def __repr__(self):
        return "kvstore(0)"


_COMM_QUEUE = _CommQueue()


def _count(stats, nbytes, start):
    stats["calls"] += 1
    stats["bytes"] += nbytes
    stats["seconds"] += time.perf_counter() - start


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
