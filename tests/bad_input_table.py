"""The shared machinery of the bad-input tables (tests/test_bad_input_*.py).

Each row is (api, case name, call, expected exception type(s), words the message must contain);
``both(A, B)`` asks for an error that is an instance of every class (an MXNetError that is also
the ValueError MXNet raises).
"""
import pytest

import minimx as mx


class both(tuple):
    """The error must be an instance of every one of these classes."""

    def __new__(cls, *classes):
        return super().__new__(cls, classes)


def row(api, name, call, types, *words, xfail=None):
    marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
    return pytest.param(api, call, types, words, id=f"{api}:{name}", marks=marks)


def check_bad_input(call, types, words):
    """``call()`` raises ``types`` with every one of ``words`` in its message (case-insensitive)."""
    catch = tuple(types) if isinstance(types, tuple) else (types,)
    with pytest.raises(catch) as info:
        call()
        mx.nd.waitall()
    if isinstance(types, both):
        assert all(isinstance(info.value, t) for t in types), \
            f"{type(info.value).__mro__} is not all of {types}"
    msg = str(info.value).lower()
    missing = [w for w in words if w.lower() not in msg]
    assert not missing, f"message lacks {missing}: {info.value}"
