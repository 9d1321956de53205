"""What every KVStore shares: the registry of custom stores and the key/value argument forms.

A call names one key with its value(s), or a list of keys with one value (or list of values) each::

    kv.push(3, grad)                       # one key, one array
    kv.push(3, [grad_cpu0, grad_cpu1])     # one key, one array per context: summed
    kv.push([3, 4], [g3, [g4a, g4b]])      # several keys

Keys are all ``int`` or all ``str`` within one store, as in MXNet.
"""
from ..base import MXNetError
from ..ndarray import NDArray

__all__ = ["KVStoreBase", "pairs"]


class _AssertionError(MXNetError, AssertionError):
    """Raised where MXNet's kvstore fails an ``assert`` (so ``except AssertionError`` still works)."""


class _ValueError(MXNetError, ValueError):
    pass


def _require(condition, message):
    if not condition:
        raise _AssertionError(message)


def pairs(key, value):
    """``[(key, [NDArray, ...]), ...]`` from any of the accepted forms of ``(key, value)``."""
    if isinstance(key, (list, tuple)):
        _require(isinstance(value, (list, tuple)) and len(key) == len(value),
                 f"a list of {len(key)} keys needs a list of as many values")
        out = []
        for k, v in zip(key, value):
            out += pairs(k, v)
        _require(len({type(k) for k, _ in out}) <= 1, "inconsistent types of keys detected.")
        return out
    _require(isinstance(key, (int, str)) and not isinstance(key, bool),
             "unexpected type for keys: " + str(type(key)))
    values = [value] if isinstance(value, NDArray) else list(value)
    for v in values:
        _require(isinstance(v, NDArray), f"key {key!r}: values must be NDArrays, got {type(v)}")
    return [(key, values)]


class KVStoreBase:
    """The interface of a key-value store; `register` adds a custom one to ``mx.kv.create``."""

    OPTIMIZER = "optimizer"
    kv_registry = {}

    @staticmethod
    def register(klass):
        """Register `klass` so that ``mx.kv.create(klass.__name__.lower())`` makes one."""
        _require(isinstance(klass, type), "register expects a class")
        KVStoreBase.kv_registry[klass.__name__.lower()] = klass
        return klass

    def broadcast(self, key, value, out, priority=0):
        raise NotImplementedError

    def pushpull(self, key, value, out=None, priority=0):
        raise NotImplementedError

    def set_optimizer(self, optimizer):
        raise NotImplementedError

    def is_capable(self, capability):
        raise NotImplementedError

    def save_optimizer_states(self, fname, dump_optimizer=False):
        raise NotImplementedError

    def load_optimizer_states(self, fname):
        raise NotImplementedError

    @property
    def type(self):
        raise NotImplementedError

    @property
    def rank(self):
        raise NotImplementedError

    @property
    def num_workers(self):
        raise NotImplementedError
