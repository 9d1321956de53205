"""Fluent methods on symbols, as on arrays: ``x.reshape((0, -1))`` is ``mx.sym.reshape(x, ...)``.

A method is the ``mx.sym`` function of that name with the symbol as its first input; the few
whose names differ (``astype`` is ``Cast``) are listed here.
"""
__all__ = ["method"]

_RENAMED = {"astype": ("Cast", "dtype")}
# Functions whose first input is not the data (creators, random draws): not methods.
_NOT_METHODS = {"zeros", "ones", "full", "arange", "linspace", "eye", "Variable", "var", "Group",
                "load", "fromjson", "load_json"}


def method(name):
    """The function behind ``sym.<name>(...)``, or None."""
    from .. import symbol
    if name in _RENAMED:
        target, first_kw = _RENAMED[name]
        fn = getattr(symbol, target)

        def renamed(self, *args, **kwargs):
            if args:
                kwargs[first_kw] = args[0]
            return fn(self, **kwargs)
        return renamed
    if name in _NOT_METHODS:
        return None
    fn = getattr(symbol, name, None)
    return fn if callable(fn) and not isinstance(fn, type) else None
