"""``dist_async``: asynchronous data-parallel training, with rank 0 as the parameter server.

Every MPI rank is a worker; rank 0 also runs a server thread that holds the weights (and, after
``set_optimizer``, the optimizer). Steps, with no barrier between workers:

1. ``push(key, grad)``: the worker sums its contexts' values and sends the sum to the server
   (``MPI_Isend``); the server applies each push as it arrives, one at a time: ``updater(key,
   grad, weight)`` (without an optimizer, the pushed value replaces the weight), and acknowledges
   it (a push is done once applied, as in MXNet);
2. ``pull(key, out)``: the worker asks the server for the key and copies the current weight, which
   includes whatever the other workers pushed so far, into ``out``.

So a fast worker does not wait for a slow one, and at the same step two workers may hold
different weights (MXNet's ``dist_async`` with its parameter servers behaves the same). ``init``
stores rank 0's value (every rank calls it; a barrier follows, as in MXNet). At exit every rank
waits for the others (a barrier), so that the server outlives the last worker.

Each worker's kvstore calls go to the engine as ops that write one engine variable, so they run in
program order (requests and replies then pair up without ids); the server thread polls its
nonblocking receives with short naps. NB: MXNet can shard keys over several servers; minimx has
one (rank 0), and gradient compression is not offered here.
"""
import atexit
import threading
import time

import numpy as np

from .. import ndarray as nd
from .. import optimizer as opt
from ..base import MXNetError
from ..engine import push as engine_push, wait_for_var
from .base import _require
from .dist import DistKVStore
from .negotiate import key_id

__all__ = ["AsyncKVStore"]

_REQ, _DATA, _REPLY = 11, 12, 13          # message tags
_PUSH, _PULL = 1, 2                       # request kinds


class AsyncKVStore(DistKVStore):
    """``mx.kv.create('dist_async')``: pushes are applied on rank 0 as they come (see above)."""

    def __init__(self, name="dist_async"):
        super().__init__(name)
        self.overlap = False
        self._pcomm = self._comm.Dup()     # worker <-> server messages only
        self._shapes = {}                  # key -> (shape, dtype), to size replies
        self.server = _Server(self._pcomm, self._wait) if self.rank == 0 else None
        atexit.register(self._finish)

    def _finish(self):
        """Keep rank 0 (the server) alive until every worker is done."""
        try:
            self.barrier()
        except Exception:   # noqa: BLE001 - at exit there is nobody to tell; MPI aborts if stuck
            pass
        if self.server is not None:
            self.server.stop()

    # ---- keys ------------------------------------------------------------------------------
    def init(self, key, value):
        """Store rank 0's value of each key on the server, then wait for every rank."""
        for k, values in self._pairs(key, value):
            if k in self._shapes:
                raise MXNetError(f"duplicate init of key {k!r}. Please double check if you called "
                                 "kv.init or kv.broadcast with this key multiple times")
            self._shapes[k] = (values[0].shape, values[0].dtype)
            if self.server is not None:
                self.server.store(key_id(k), values[0].asnumpy())
        self.barrier()

    def _stored(self, key):
        if key not in self._shapes:
            raise MXNetError(f"key {key!r} has not been inited: call kv.init({key!r}, value) first")
        return self._shapes[key]

    def _send(self, header, payload=None):
        """(On an engine worker) send a request, and its data, to the server."""
        self._wait(self._pcomm.Isend(header, dest=0, tag=_REQ), "a request to the server")
        if payload is not None:
            self._wait(self._pcomm.Isend(payload, dest=0, tag=_DATA), "a push to the server")

    # ---- the API ---------------------------------------------------------------------------
    def push(self, key, value, priority=0):
        """Send each key's value (summed over this worker's contexts) to the server."""
        for k, values in self._pairs(key, value):
            shape, _ = self._stored(k)
            for v in values:
                if v.shape != shape:
                    raise MXNetError(f"push of key {k!r}: operands shape mismatch, value shape "
                                     f"{v.shape} vs stored shape {shape}")
            merged = values[0].copy()
            for v in values[1:]:
                merged += v.as_in_context(merged.context)
            header = np.array([_PUSH, key_id(k), self.rank], np.int64)
            backend, data = merged.context.backend, merged._data

            def send(header=header, backend=backend, data=data, k=k):
                self._send(header, np.ascontiguousarray(backend.to_numpy(data)))
                ack = np.empty(1, np.int64)      # as MXNet: a push is done once it is applied
                self._wait(self._pcomm.Irecv(ack, source=0, tag=_REPLY), f"push of key {k!r}")

            engine_push(send, (merged._chunk,), (self._comm_var,), merged.context,
                        "kvstore_push_async", False)

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        """Copy the server's current value of each key into `out`."""
        _require(out is not None, "pull needs out=: the arrays that receive the stored values")
        for k, outs in self._pairs(key, out):
            shape, dtype = self._stored(k)
            for o in outs:
                if o.shape != shape:
                    raise MXNetError(f"pull of key {k!r}: operands shape mismatch, stored shape "
                                     f"{shape} vs out shape {o.shape}")
            first = outs[0]
            header = np.array([_PULL, key_id(k), self.rank], np.int64)
            backend, data = first.context.backend, first._data

            def fetch(header=header, backend=backend, data=data, k=k):
                self._send(header)
                reply = np.empty(shape, dtype)
                self._wait(self._pcomm.Irecv(reply, source=0, tag=_REPLY), f"pull of key {k!r}")
                backend.from_numpy(reply, data)

            engine_push(fetch, (), (self._comm_var, first._chunk), first.context,
                        "kvstore_pull_async", False)
            for o in outs[1:]:
                first.copyto(o)

    def broadcast(self, key, value, out, priority=0):
        """`init` each key with rank 0's `value`, then `pull` it into `out`."""
        self.init(key, value)
        self.pull(key, out, priority)

    def set_gradient_compression(self, compression_params):
        raise MXNetError("gradient compression is not offered with 'dist_async' in minimx; use "
                         "'dist_sync' or drop compression_params")

    def set_optimizer(self, optimizer):
        """Give the server (rank 0) the optimizer: every push is then an update there."""
        if self.server is not None:
            self.server.updater = opt.get_updater(optimizer)
        self.barrier()

    @property
    def _updater(self):
        return None if self.server is None else self.server.updater

    @_updater.setter
    def _updater(self, value):
        if value is not None:
            raise MXNetError("dist_async: use set_optimizer (the server applies the updates)")

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Write the server's optimizer states (call it on rank 0, where the server lives)."""
        _require(self.server is not None, "dist_async: the optimizer states live on rank 0 "
                 "(the server); call save_optimizer_states there")
        wait_for_var(self._comm_var)
        with self.server.lock:
            super().save_optimizer_states(fname, dump_optimizer)

    def load_optimizer_states(self, fname):
        _require(self.server is not None, "dist_async: the optimizer states live on rank 0 "
                 "(the server); call load_optimizer_states there")
        with self.server.lock:
            super().load_optimizer_states(fname)


class _Server:
    """The thread on rank 0 that applies pushes as they arrive and answers pulls."""

    def __init__(self, comm, wait):
        self.comm, self._wait = comm, wait
        self.updater = None
        self.lock = threading.Lock()       # held while the weights change
        self.weights = {}                  # key id -> NDArray (cpu)
        self.pushes = 0                    # pushes applied (for tests)
        self._stopping = False
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="minimx-kvstore-server")
        self._thread.start()

    def store(self, kid, value):
        with self.lock:
            self.weights[kid] = nd.array(value, dtype=value.dtype)

    def _run(self):
        header = np.empty(3, np.int64)
        while True:
            request, nap = self.comm.Irecv(header, tag=_REQ), 1e-5
            while not request.Test():         # idle: nap, but answer quickly when work comes
                if self._stopping:
                    request.Cancel()
                    request.Wait()
                    self._stopped.set()
                    return
                time.sleep(nap)
                nap = min(nap * 2, 2e-3)
            kind, kid, source = (int(v) for v in header)
            with self.lock:
                weight = self.weights[kid]
                if kind == _PUSH:
                    grad = np.empty(weight.shape, weight.dtype)
                    self._wait(self.comm.Irecv(grad, source=source, tag=_DATA), "a push")
                    self._apply(kid, nd.array(grad, dtype=grad.dtype), weight)
                    self._wait(self.comm.Isend(np.array([self.pushes], np.int64), dest=source,
                                               tag=_REPLY), "a push's acknowledgement")
                else:
                    value = np.ascontiguousarray(weight.asnumpy())
                    self._wait(self.comm.Isend(value, dest=source, tag=_REPLY), "a pull")

    def stop(self):
        """End the thread (every worker is done): withdraw its pending receive."""
        self._stopping = True
        self._stopped.wait(5)

    def _apply(self, kid, grad, weight):
        if self.updater is not None:
            self.updater(kid, grad, weight)
        else:
            grad.copyto(weight)
        weight.wait_to_read()
        self.pushes += 1
