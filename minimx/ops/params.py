"""Parsers for op parameters.

Every op parameter is converted by one of these, so an op accepts Python values
(``axis=(0, 1)``) and the strings MXNet's symbol JSON stores (``axis='(0, 1)'``) alike. A parser
raises ``ValueError`` with what it expected; ``OpDef.parse`` turns that into an MXNetError that names
the op and the parameter.
"""
import ast

import numpy as np

from ..base import MXNetError, normalize_dtype

__all__ = ["Int", "Float", "Bool", "Str", "Shape", "OptShape", "Axis", "OptAxes", "DType", "OptDType",
           "OptInt", "OptFloat", "Enum", "FloatTuple", "Any"]


def _literal(value):
    if isinstance(value, str):
        text = value.strip()
        if text in ("None", ""):
            return None
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            if text.lower() in ("true", "false"):
                return text.lower() == "true"
            raise ValueError(f"cannot read {value!r}") from None
    return value


def Int(value):
    """An integer (``2``, ``'2'``, ``np.int64(2)``)."""
    value = _literal(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            return int(value)
        raise ValueError(f"expected an int, got {value!r}")
    return int(value)


def OptInt(value):
    value = _literal(value)
    return None if value is None else Int(value)


def Float(value):
    value = _literal(value)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def OptFloat(value):
    value = _literal(value)
    return None if value is None else Float(value)


def Bool(value):
    value = _literal(value)
    if isinstance(value, (bool, np.bool_, int, np.integer)) and value in (0, 1):
        return bool(value)
    raise ValueError(f"expected True or False, got {value!r}")


def Str(value):
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def Any(value):
    return value


def Shape(value):
    """A tuple of ints; an int ``n`` means ``(n,)`` (MXNet's ``Shape`` parameter)."""
    value = _literal(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),)
    if isinstance(value, (tuple, list)):
        return tuple(Int(v) for v in value)
    raise ValueError(f"expected a shape (a tuple of ints), got {value!r}")


def OptShape(value):
    value = _literal(value)
    return None if value is None else Shape(value)


def Axis(value):
    """One axis (an int)."""
    return Int(value)


def OptAxes(value):
    """None (all axes), one int, or a tuple of ints; always returned as None or a tuple."""
    value = _literal(value)
    if value is None or value == ():
        return None if value is None else ()
    return Shape(value)


def FloatTuple(value):
    value = _literal(value)
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return (float(value),)
    if isinstance(value, (tuple, list)):
        return tuple(Float(v) for v in value)
    raise ValueError(f"expected a tuple of numbers, got {value!r}")


def DType(value):
    """A dtype name or numpy type, returned as a ``numpy.dtype``.

    An unknown dtype is a TypeError (``OpDef.parse`` makes it an MXNetError that is also a
    TypeError), as numpy's ``np.dtype('bad')`` raises in MXNet.
    """
    try:
        return normalize_dtype(value)
    except MXNetError as e:
        raise TypeError(str(e)) from None


def OptDType(value):
    return None if value is None or value == "None" else DType(value)


def Enum(*choices):
    """A parser that accepts one of ``choices`` (strings)."""
    def parse(value):
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(map(repr, choices))}, got {value!r}")
        return value
    parse.choices = choices
    parse.__name__ = "Enum"
    return parse
