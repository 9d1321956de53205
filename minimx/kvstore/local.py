"""The single-machine KVStore (``'local'``, ``'device'``): sums a key's values over contexts.

Steps of ``kv.pushpull(key, [g0, g1], out=[w0, w1])`` with an optimizer set (what
``gluon.Trainer`` does for a parameter on two contexts):

1. push: copy ``g0`` to the store's context and add ``g1`` there (in context order), giving the
   merged gradient;
2. the updater (the optimizer) updates the stored weight once with the merged gradient; without
   an optimizer the stored value is replaced by the merged one;
3. pull: copy the stored value into ``w0`` and ``w1``.

Every step is an engine op (copies and adds through ``invoke``), so nothing here blocks: the
engine orders each step after the ops that wrote its inputs.

``'local'`` (and ``'dist_sync'``) keep the stored values on ``mx.cpu()``; ``'device'`` (and
``'dist_device_sync'``) keep each on the context of the first value it was initialised with.
NB: MXNet's ``'device'`` merges on GPUs with peer-to-peer copies; minimx copies through its
context's backend.
"""
import numpy as np

from ..ndarray.io import _write_atomic
from .. import optimizer as opt
from ..base import MXNetError
from ..context import cpu
from ..engine import new_var, push as engine_push
from ..ndarray import empty
from .base import KVStoreBase, _require, _ValueError, pairs
from .compression import create_compression

__all__ = ["KVStore"]


class KVStore(KVStoreBase):
    """A key-value store that synchronises arrays over the contexts of one process.

    Make one with ``mx.kv.create('local')`` or ``mx.kv.create('device')``.
    """

    def __init__(self, name="local"):
        self._type = name
        self._store = {}          # key -> the stored NDArray
        self._updater = None
        self._key_type = None
        self._compression = None  # set_gradient_compression's compressor
        self._gc_var = new_var()  # written by every quantize op: residuals change in push order
        self.comm_stats = {"calls": 0, "bytes": 0, "seconds": 0.0}
        # minimx addition: collectives run, payload bytes handed to them, seconds spent in them

    # ---- properties --------------------------------------------------------------------------
    @property
    def type(self):
        """The kind of store: ``'local'``, ``'device'``, ``'dist_sync'``, ..."""
        return self._type

    @property
    def rank(self):
        """This worker's number in ``[0, num_workers)``: always 0 on one machine."""
        return 0

    @property
    def num_workers(self):
        """The number of worker processes: 1 on one machine."""
        return 1

    def is_capable(self, capability):
        """Whether the store supports `capability` (only ``'optimizer'`` is known: it does)."""
        if capability.lower() == KVStoreBase.OPTIMIZER:
            return True
        raise _ValueError(f"Unknown capability: {capability}")

    # ---- keys --------------------------------------------------------------------------------
    def _pairs(self, key, value):
        items = pairs(key, value)
        for k, _ in items:
            kind = type(k)
            if self._key_type is None:
                self._key_type = kind
            elif kind is not self._key_type:
                raise MXNetError(f"Mixed key types are not allowed: this store's keys are "
                                 f"{self._key_type.__name__}, got {k!r}")
        return items

    def _stored(self, key):
        if key not in self._store:
            raise MXNetError(f"key {key!r} has not been inited: call kv.init({key!r}, value) first")
        return self._store[key]

    def _home(self, value):
        """The context a key's stored value lives on."""
        return value.context if "device" in self._type else cpu()

    # ---- the API -----------------------------------------------------------------------------
    def init(self, key, value):
        """Store the initial value of each key (a key may be initialised once)."""
        for k, values in self._pairs(key, value):
            if k in self._store:
                raise MXNetError(f"duplicate init of key {k!r}. Please double check if you called "
                                 "kv.init or kv.broadcast with this key multiple times")
            self._store[k] = self._first_value(k, values[0])

    def _first_value(self, key, value):
        return value.copyto(self._home(value))

    def push(self, key, value, priority=0):
        """Sum each key's values over their contexts into the store (through the updater, if set).

        Parameters
        ----------
        key : int, str, or list of them
        value : NDArray, list of NDArray (one per context), or a list of those (one per key)
        priority : int, default 0
            Among reductions ready at once, higher goes first ('dist_*' with overlap; MXNet's
            engine priority). The local store ignores it.
        """
        for k, values in self._pairs(key, value):
            stored = self._stored(k)
            for v in values:
                if v.shape != stored.shape:
                    raise MXNetError(f"push of key {k!r}: operands shape mismatch, value shape "
                                     f"{v.shape} vs stored shape {stored.shape}")
            self._apply(k, self._reduce(k, self._merge(k, values, stored), priority), stored)

    _compress_contexts = True
    """Whether compression applies between contexts (MXNet: 'device' yes; 'dist_*' only between
    workers)."""

    def _merge(self, key, values, stored):
        if self._compression is not None and self._compress_contexts:
            values = [self._quantized(key, i, v, stored.context) for i, v in enumerate(values)]
        merged = values[0].copyto(stored.context)
        for v in values[1:]:
            merged += v.as_in_context(merged.context)
        return merged

    def _quantized(self, key, slot, value, ctx):
        """``value`` (one context's) as the receiver sees it after 2-bit compression."""
        _check_float32(key, value)
        out = empty(value.shape, ctx=ctx, dtype=value.dtype)
        comp, stats = self._compression, self.comm_stats
        src_backend, src, dst_backend, dst = value.context.backend, value._data, ctx.backend, \
            out._data

        def quantize():
            grad = np.asarray(src_backend.to_numpy(src), np.float32)
            got, nbytes = comp.roundtrip(key, slot, grad)
            stats["calls"] += 1
            stats["bytes"] += nbytes
            dst_backend.from_numpy(got, dst)

        engine_push(quantize, (value._chunk,), (self._gc_var, out._chunk), ctx,
                    "kvstore_quantize_2bit", False)
        return out

    def _reduce(self, key, merged, priority=0):
        """The merged value of every worker: this one's alone on one machine."""
        return merged

    def _apply(self, key, merged, stored):
        if self._updater is not None:
            self._updater(key, merged, stored)
        else:
            merged.copyto(stored)

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        """Copy each key's stored value into `out` (an NDArray or one per context)."""
        _require(out is not None, "pull needs out=: the arrays that receive the stored values")
        for k, outs in self._pairs(key, out):
            stored = self._stored(k)
            for o in outs:
                if o.shape != stored.shape:
                    raise MXNetError(f"pull of key {k!r}: operands shape mismatch, stored shape "
                                     f"{stored.shape} vs out shape {o.shape}")
                stored.copyto(o)

    def pushpull(self, key, value, out=None, priority=0):
        """`push` then `pull` (into `value` itself when `out` is None)."""
        self.push(key, value, priority)
        self.pull(key, value if out is None else out, priority)

    def broadcast(self, key, value, out, priority=0):
        """`init` each key with `value`, then `pull` it into `out`."""
        self.init(key, value)
        self.pull(key, out, priority)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        """NB: not supported; minimx has no row_sparse storage."""
        raise MXNetError("row_sparse_pull: minimx has no row_sparse arrays; use pull() with dense "
                         "arrays")

    def set_gradient_compression(self, compression_params):
        """Quantize pushed gradients to 2 bits with error feedback (see ``compression.py``).

        Parameters
        ----------
        compression_params : dict
            ``{'type': '2bit', 'threshold': 0.5}`` (threshold > 0, default 0.5).

        Raises
        ------
        MXNetError
            On a ``'local'`` store (as MXNet: only ``'device'`` and ``'dist_*'`` compress), for a
            type other than ``'2bit'``, or a threshold <= 0.
        """
        if not ("device" in self._type or "dist" in self._type):
            raise MXNetError(f"Gradient compression is not supported for this type of kvstore "
                             f"({self._type!r}); use mx.kv.create('device') or 'dist_sync'")
        self._compression = create_compression(compression_params)

    # ---- the optimizer -----------------------------------------------------------------------
    def set_optimizer(self, optimizer):
        """Update stored values with `optimizer` at each push (instead of replacing them)."""
        self._set_updater(opt.get_updater(optimizer))

    def _set_updater(self, updater):
        """Use ``updater(key, merged_value, stored_value)`` at each push (local stores only)."""
        self._updater = updater

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Write the updater's states (and the optimizer, with `dump_optimizer`) to `fname`."""
        _require(self._updater is not None, "Cannot save optimizer states: no optimizer was set "
                 "(kv.set_optimizer)")
        _write_atomic(fname, self._updater.get_states(dump_optimizer))   # never half a file

    def load_optimizer_states(self, fname):
        """Read states written by `save_optimizer_states`."""
        _require(self._updater is not None, "Cannot load optimizer states: no optimizer was set "
                 "(kv.set_optimizer)")
        with open(fname, "rb") as f:
            self._updater.set_states(f.read())

    def barrier(self):
        """Wait until every worker reaches this point (nothing to wait for on one machine)."""

    _barrier = barrier


def _check_float32(key, value):
    if np.dtype(value.dtype) != np.float32:
        raise MXNetError(f"gradient compression of key {key!r}: only float32 gradients are "
                         f"compressed, got {np.dtype(value.dtype)}; use float32 parameters or "
                         "drop compression_params")
