"""Communication that overlaps backward: a negotiating communicator thread (Horovod's design).

MPI needs every rank to start its collectives in the same order, but the order in which gradients
become ready is the reverse of the order ``gluon.Trainer`` pushes them (backward computes the last
layer's gradient first), and may differ between ranks. Running the allreduces in push order makes
the first one (key 0, ready last) wait for the whole backward. Instead, steps of one push of key
``k`` (its n-th push):

1. ``kvstore_post`` (an engine op that reads the merged gradient): copy it to a send buffer (and
   2-bit quantize it) and hand the request ``(k, n)`` to this process's communicator thread;
2. ``kvstore_allreduce`` (an engine op on the kvstore's own engine queue, writing the result):
   wait until the communicator has the sum, copy it into the result array;
3. the communicator thread, whenever it holds requests: ``MPI_Allgather`` the ids of the requests
   each rank holds; the ones every rank holds are reduced now, in the same order everywhere
   (higher ``priority`` first, as MXNet's engine: the Trainer gives key ``i`` priority ``-i``),
   fused into one ``MPI_Allreduce`` (or one ``MPI_Allgather`` of packed 2-bit codes).

So the allreduce of the last layer runs while backward computes the earlier layers. Every MPI
call of the thread is nonblocking and polled (a dead peer cannot hang it; see ``DistKVStore``).
Needs ``MPI_THREAD_MULTIPLE``; without it (or with ``MINIMX_KVSTORE_OVERLAP=0``) the store issues
its collectives in push order from engine ops instead.
"""
import threading
import time
import zlib

import numpy as np

__all__ = ["Communicator", "Request"]

_MAX_IDS = 512        # request ids exchanged per round (more wait for the next round)


def key_id(key):
    """A 62-bit integer naming `key` the same way on every rank."""
    if isinstance(key, int):
        return key
    return zlib.crc32(str(key).encode()) | (1 << 40)


class Request:
    """One push of one key: its send buffer, and the sum (or unpacked codes) once reduced."""

    __slots__ = ("rid", "priority", "send", "shape", "compression", "result", "done")

    def __init__(self, rid, priority, send, shape, compression):
        self.rid, self.priority, self.send = rid, priority, send
        self.shape, self.compression = shape, compression
        self.result = None
        self.done = threading.Event()


class Communicator:
    """The thread that agrees with the other ranks on what to reduce next, and reduces it.

    Parameters
    ----------
    comm : mpi4py communicator
        A duplicate of the store's (the thread's collectives never mix with the store's own).
    mpi : the mpi4py ``MPI`` module
    wait : callable ``wait(request, what)``
        Polls an MPI request to completion (aborts all ranks after the store's timeout).
    stats : dict
        ``calls``, ``bytes`` (payload this rank handed to MPI), ``seconds`` (in MPI) are added to.
    """

    def __init__(self, comm, mpi, wait, stats):
        self._comm, self._mpi, self._wait, self._stats = comm, mpi, wait, stats
        self._cond = threading.Condition()
        self._pending = {}           # (key id, n) -> Request
        self.rounds = 0              # negotiation rounds run (for tests and benchmarks)
        self.log = None              # a list to append (rid, start, end) of every reduction to
        self._thread = threading.Thread(target=self._run, daemon=True, name="minimx-kvstore-comm")
        self._thread.start()

    def post(self, request):
        """Hand over a request (from an engine worker); returns at once."""
        with self._cond:
            self._pending[request.rid] = request
            self._cond.notify()

    # ---- the thread -------------------------------------------------------------------------
    def _run(self):
        nap = 0.0
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
                mine = list(self._pending)[:_MAX_IDS]
            common = self._negotiate(mine)
            if not common:
                # The others hold different requests: they will post ours soon. Nap, then retry.
                nap = min(max(nap * 2, 5e-5), 2e-3)
                time.sleep(nap)
                continue
            nap = 0.0
            with self._cond:
                batch = [self._pending.pop(rid) for rid in common]
            batch.sort(key=lambda r: (-r.priority, r.rid))
            self._reduce(batch)

    def _negotiate(self, mine):
        """The request ids every rank holds (the same list on every rank)."""
        table = np.full((_MAX_IDS, 2), -1, np.int64)
        if mine:
            table[:len(mine)] = mine
        everyone = np.empty((self._comm.Get_size(), _MAX_IDS, 2), np.int64)
        self._wait(self._comm.Iallgather(table, everyone), "negotiation of the next allreduce")
        self.rounds += 1
        common = set(map(tuple, everyone[0].tolist()))
        for other in everyone[1:]:
            common &= set(map(tuple, other.tolist()))
        common.discard((-1, -1))
        return sorted(common)

    def _reduce(self, batch):
        """One fused collective per kind (plain sums by dtype; 2-bit codes), in batch order."""
        plain, packed = {}, []
        for r in batch:
            if r.compression is None:
                plain.setdefault(r.send.dtype, []).append(r)
            else:
                packed.append(r)
        start = time.perf_counter()
        for group in plain.values():
            send = np.concatenate([r.send.ravel() for r in group])
            recv = np.empty_like(send)
            self._wait(self._comm.Iallreduce(send, recv, op=self._mpi.SUM),
                       f"allreduce of keys {[r.rid[0] for r in group]}")
            self._count(send.nbytes)
            offset = 0
            for r in group:
                r.result = recv[offset:offset + r.send.size].reshape(r.shape)
                offset += r.send.size
        if packed:
            send = np.concatenate([r.send for r in packed])
            recv = np.empty((self._comm.Get_size(), send.size), np.uint32)
            self._wait(self._comm.Iallgather(send, recv),
                       f"allgather of keys {[r.rid[0] for r in packed]}")
            self._count(send.nbytes)
            offset = 0
            for r in packed:
                words = recv[:, offset:offset + r.send.size]
                total = r.compression.decompress(words[0], r.shape)
                for other in words[1:]:
                    total += r.compression.decompress(other, r.shape)
                r.result = total
                offset += r.send.size
        self._stats["seconds"] += time.perf_counter() - start
        end = time.perf_counter()
        for r in batch:
            if self.log is not None:
                self.log.append((r.rid, start, end))
            r.done.set()

    def _count(self, nbytes):
        self._stats["calls"] += 1
        self._stats["bytes"] += nbytes
