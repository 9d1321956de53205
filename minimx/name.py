"""Automatic names (MXNet's ``mx.name``): ``dense0``, ``dense1``, ``conv0`` ...

One counter per hint, per thread, shared by Gluon blocks and symbols, as in MXNet 1.x: the first
``Dense`` made outside any ``name_scope`` is ``dense0``, the next ``dense1``. ``Prefix`` puts a
prefix in front of every automatic name made inside it (a block's ``name_scope`` uses it so that the
symbols a hybrid block traces are named after the block).

>>> with mx.name.NameManager():      # fresh counters
...     mx.gluon.nn.Dense(2).name
'dense0'
"""
import threading

__all__ = ["NameManager", "Prefix", "current"]


class NameManager:
    """Hands out names ``hint + count``; a ``with`` block makes it the current manager."""

    _current = threading.local()

    def __init__(self):
        self._counter = {}
        self._old_manager = None

    def get(self, name, hint):
        """``name`` itself when given, otherwise the hint and its next count (``dense3``)."""
        if name:
            return name
        count = self._counter.get(hint, 0)
        self._counter[hint] = count + 1
        return "%s%d" % (hint, count)

    def __enter__(self):
        self._old_manager = current()
        NameManager._current.value = self
        return self

    def __exit__(self, *exc):
        NameManager._current.value = self._old_manager


class Prefix(NameManager):
    """A name manager that prefixes every name it makes, given or automatic."""

    def __init__(self, prefix):
        super().__init__()
        self._prefix = prefix

    def get(self, name, hint):
        return self._prefix + super().get(name, hint)


def current():
    """The name manager in force on this thread (one per thread, made on first use)."""
    manager = getattr(NameManager._current, "value", None)
    if manager is None:
        manager = NameManager._current.value = NameManager()
    return manager
