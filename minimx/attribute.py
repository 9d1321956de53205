"""``mx.AttrScope``: attributes every symbol made inside a ``with`` block receives.

>>> with mx.AttrScope(ctx_group='dev1'):
...     w = mx.sym.var('w')
>>> w.attr('__ctx_group__')
'dev1'

MXNet's special attributes (``ctx_group``, ``lr_mult``, ``wd_mult``, ...) are stored with double
underscores; other names are passed to the ops made inside, which must accept them.
"""
import threading

__all__ = ["AttrScope", "current"]

_SPECIAL = ("ctx_group", "lr_mult", "wd_mult", "force_mirroring", "mirror_stage")


class AttrScope:
    """Attach ``kwargs`` (string values) to the symbols made inside the ``with`` block."""

    _current = threading.local()

    def __init__(self, **kwargs):
        for value in kwargs.values():
            if not isinstance(value, str):
                raise ValueError("Attributes need to be string")
        self._attr = {("__%s__" % k if k in _SPECIAL else k): v for k, v in kwargs.items()}
        self._old_scope = None

    def get(self, attr):
        """The scope's attributes updated with ``attr`` (those given explicitly win)."""
        if not self._attr:
            return dict(attr) if attr else {}
        ret = dict(self._attr)
        ret.update(attr or {})
        return ret

    def __enter__(self):
        self._old_scope = current()
        attr = dict(self._old_scope._attr)
        attr.update(self._attr)
        self._attr = attr
        AttrScope._current.value = self
        return self

    def __exit__(self, *exc):
        AttrScope._current.value = self._old_scope


def current():
    """The scope in force on this thread (an empty one by default)."""
    scope = getattr(AttrScope._current, "value", None)
    if scope is None:
        scope = AttrScope._current.value = AttrScope()
    return scope
