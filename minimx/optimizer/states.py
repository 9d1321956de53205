"""Updater states in the pickle format of MXNet 1.9.1 (``Updater.get_states``, ``Trainer.save_states``).

MXNet pickles a dict ``{index: state}`` (or ``(states, optimizer)`` with ``dump_optimizer``), where
each NDArray is pickled as ``NDArray(None)`` rebuilt with the state ``{'handle': raw}``; ``raw`` is
one array record of MXNet's ``.nd`` format (``MXNDArraySaveRawBytes``). Its optimizer and scheduler
objects are pickled by class (``mxnet.optimizer.optimizer.Adam``, ``mxnet.lr_scheduler...``) with
their ``__dict__``, whose attribute names minimx shares.

``dumps`` writes exactly that, naming minimx's classes by their MXNet paths, so real MXNet can load
a states file minimx saved; ``loads`` reads every ``mxnet.*`` class as its minimx namesake, so a file
MXNet saved loads into minimx (and so does one minimx saved, or a plain pickle).
"""
import importlib
import io
import pickle

from ..base import MXNetError
from ..ndarray import NDArray, array
from ..ndarray import io as nd_io

_PROTOCOL = 4     # what MXNet 1.9.1 under Python 3.8+ writes (pickle.DEFAULT_PROTOCOL)

__all__ = ["dumps", "loads"]


class _PickledMXNetArray:
    """What ``mxnet.ndarray.ndarray.NDArray`` unpickles to here: the array record, decoded."""

    def __init__(self, handle=None):
        self.value = None

    def __setstate__(self, state):
        raw = state.get('handle') if isinstance(state, dict) else None
        if raw is None:
            return      # MXNet pickles an NDArray without a handle as {'handle': None}
        reader = nd_io._Reader(bytes(raw), "<pickled mxnet NDArray>")
        decoded = nd_io._read_array(reader, 0)
        self.value = array(decoded, dtype=decoded.dtype)


def _minimx_class(module, name):
    """The minimx class mirroring MXNet's ``module.name``: the same module path, or a package above it."""
    parts = ['minimx'] + module.split('.')[1:]
    while len(parts) >= 1:
        try:
            found = getattr(importlib.import_module('.'.join(parts)), name, None)
        except ImportError:
            found = None
        if found is not None:
            return found
        parts.pop()
    raise MXNetError(f"cannot load MXNet's pickled {module}.{name}: minimx has no class {name}; "
                     "load the states into an optimizer minimx implements")


# What a states file may name besides optimizers and schedulers: plain data, nothing that runs code.
_SAFE_GLOBALS = {
    ("builtins", "bytearray"), ("builtins", "set"), ("builtins", "frozenset"),
    ("builtins", "complex"), ("builtins", "object"), ("copyreg", "_reconstructor"),
    ("collections", "OrderedDict"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
}


def _allowed_class(found, module, name):
    from ..lr_scheduler import LRScheduler
    from .optimizer import Optimizer
    if isinstance(found, type) and issubclass(found, (Optimizer, LRScheduler)):
        return found
    raise pickle.UnpicklingError(
        f"states file names {module}.{name}, which is not an optimizer or a learning-rate "
        "scheduler: refusing to load it (a states file may only hold arrays, numbers, optimizers "
        "and schedulers)")


class _Unpickler(pickle.Unpickler):
    """A restricted unpickler: states files come from elsewhere, and pickle can run any callable it
    is told to. Only MXNet arrays, plain data, optimizers and schedulers may be named."""

    def find_class(self, module, name):
        if module == 'mxnet.ndarray.ndarray' and name == 'NDArray':
            return _PickledMXNetArray
        if module == 'mxnet' or module.startswith('mxnet.'):
            return _allowed_class(_minimx_class(module, name), module, name)
        if module == 'minimx' or module.startswith('minimx.'):
            try:
                found = getattr(importlib.import_module(module), name, None)
            except ImportError:
                found = None
            return _allowed_class(found, module, name)
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"states file names {module}.{name}: refusing to load it "
                                     "(only arrays, numbers, optimizers and schedulers may appear)")


def _unwrap(obj, seen):
    """Replace each decoded MXNet array by its minimx NDArray, in place wherever the container allows.

    Dicts, lists and the objects minimx classes unpickled (an optimizer, its scheduler) are updated in
    place, which keeps shared references shared (``_index_update_count`` is one of
    ``_all_index_update_counts``); tuples are rebuilt. `seen` guards against cycles.
    """
    if isinstance(obj, _PickledMXNetArray):
        return obj.value
    if id(obj) in seen:
        return seen[id(obj)]
    seen[id(obj)] = obj
    if isinstance(obj, tuple):
        seen[id(obj)] = tuple(_unwrap(o, seen) for o in obj)
    elif isinstance(obj, list):
        obj[:] = [_unwrap(o, seen) for o in obj]
    elif isinstance(obj, dict):
        for key, value in obj.items():
            obj[key] = _unwrap(value, seen)
    elif type(obj).__module__.startswith('minimx.') and hasattr(obj, '__dict__'):
        _unwrap(vars(obj), seen)
    return seen[id(obj)]


def loads(blob):
    """Unpickle updater states written by MXNet 1.9.1 or by minimx (restricted: see _Unpickler)."""
    return _unwrap(_Unpickler(io.BytesIO(blob)).load(), {})


# -- writing ------------------------------------------------------------------------------------
def _mxnet_path(cls):
    """``(module, name)`` MXNet 1.9.1 pickles `cls` under, or None for a class of neither package."""
    if cls is _PickledMXNetArray:
        return 'mxnet.ndarray.ndarray', 'NDArray'
    module = getattr(cls, '__module__', '') or ''
    if module == 'minimx.optimizer.contrib':
        return 'mxnet.optimizer.contrib', cls.__qualname__
    if module.startswith('minimx.optimizer'):
        return 'mxnet.optimizer.optimizer', cls.__qualname__    # one module in MXNet, several in minimx
    if module == 'minimx' or module.startswith('minimx.'):
        return 'mxnet' + module[len('minimx'):], cls.__qualname__
    return None


class _Pickler(pickle._Pickler):    # pylint: disable=protected-access
    """The pure-Python pickler (the C one cannot name a class by a module that is not importable)."""

    def reducer_override(self, obj):
        if isinstance(obj, NDArray):
            raw = nd_io._encode_array(obj.asnumpy(), nd_io.V2_MAGIC)
            return _PickledMXNetArray, (None,), {'handle': bytearray(raw)}
        return NotImplemented

    def save_global(self, obj, name=None):
        path = _mxnet_path(obj) if isinstance(obj, type) else None
        if path is None:
            super().save_global(obj, name)
            return
        # What pickle writes for a global at protocol 4: module and name, then STACK_GLOBAL.
        self.save(path[0])
        self.save(path[1])
        self.write(pickle.STACK_GLOBAL)
        self.memoize(obj)


def dumps(obj):
    """Pickle updater states (and optimizer) as MXNet 1.9.1 does."""
    out = io.BytesIO()
    _Pickler(out, protocol=_PROTOCOL).dump(obj)
    return out.getvalue()
