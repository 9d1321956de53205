"""The ``mx.sym`` functions that are Python in MXNet too: creators and scalar-aware arithmetic.

``mx.sym.zeros((2, 3))`` is the ``_zeros`` op with no inputs; ``mx.sym.maximum(a, 2)`` picks
``_maximum_scalar`` for a number and ``_maximum`` for two symbols, as MXNet's helpers do.
"""
from ..base import numeric_types
from ..ops import get_op
from .symbol import Symbol, make_symbol

__all__ = ["zeros", "ones", "full", "arange", "linspace", "eye", "maximum", "minimum", "pow",
           "power", "hypot", "histogram", "split_v2"]


def _creator(op_name, name, attrs):
    attrs = {k: v for k, v in attrs.items() if v is not None}
    return make_symbol(get_op(op_name), [], attrs, name)


def zeros(shape, dtype=None, name=None, **kwargs):
    """A symbol of zeros of ``shape``."""
    return _creator("_zeros", name, dict(kwargs, shape=shape, dtype=dtype))


def ones(shape, dtype=None, name=None, **kwargs):
    """A symbol of ones of ``shape``."""
    return _creator("_ones", name, dict(kwargs, shape=shape, dtype=dtype))


def full(shape, val, dtype=None, name=None, **kwargs):
    """A symbol of ``shape`` filled with ``val``."""
    return _creator("_full", name, dict(kwargs, shape=shape, dtype=dtype, value=val))


def arange(start, stop=None, step=1.0, repeat=1, infer_range=False, name=None, dtype=None,
           **kwargs):
    """``start, start + step, ...`` up to ``stop`` (each repeated ``repeat`` times)."""
    return _creator("_arange", name, dict(kwargs, start=start, stop=stop, step=step, repeat=repeat,
                                          infer_range=infer_range, dtype=dtype))


def linspace(start, stop, num, endpoint=True, name=None, dtype=None, **kwargs):
    """``num`` evenly spaced values from ``start`` to ``stop``."""
    return _creator("_linspace", name, dict(kwargs, start=start, stop=stop, num=num,
                                            endpoint=endpoint, dtype=dtype))


def eye(N, M=0, k=0, dtype=None, name=None, **kwargs):
    """An ``N x M`` matrix with ones on diagonal ``k``."""
    return _creator("_eye", name, dict(kwargs, N=N, M=M, k=k, dtype=dtype))


def _binary(lhs, rhs, sym_op, scalar_op, rscalar_op, py_fn):
    if isinstance(lhs, Symbol) and isinstance(rhs, Symbol):
        return make_symbol(get_op(sym_op), [lhs, rhs], {})
    if isinstance(lhs, Symbol) and isinstance(rhs, numeric_types):
        return make_symbol(get_op(scalar_op), [lhs], {"scalar": rhs})
    if isinstance(rhs, Symbol) and isinstance(lhs, numeric_types):
        return make_symbol(get_op(rscalar_op), [rhs], {"scalar": lhs})
    if isinstance(lhs, numeric_types) and isinstance(rhs, numeric_types):
        return py_fn(lhs, rhs)
    raise TypeError("types (%s, %s) not supported" % (type(lhs), type(rhs)))


def maximum(left, right):
    """Elementwise maximum of symbols and/or numbers."""
    return _binary(left, right, "_maximum", "_maximum_scalar", "_maximum_scalar", max)


def minimum(left, right):
    """Elementwise minimum of symbols and/or numbers."""
    return _binary(left, right, "_minimum", "_minimum_scalar", "_minimum_scalar", min)


def power(base, exp):
    """``base ** exp`` for symbols and/or numbers."""
    return _binary(base, exp, "_power", "_power_scalar", "_rpower_scalar", pow_)


def pow_(a, b):
    return a ** b


pow = power   # MXNet's name shadows the builtin inside mx.sym, as here


def hypot(left, right):
    """``sqrt(left**2 + right**2)`` for symbols and/or numbers."""
    return _binary(left, right, "_hypot", "_hypot_scalar", "_hypot_scalar",
                   lambda a, b: (a * a + b * b) ** 0.5)


def histogram(a, bins=10, range=None, **kwargs):
    """Counts of ``a`` in ``bins`` (a number of equal bins over ``range``, or a symbol of edges)."""
    if isinstance(bins, Symbol):
        return make_symbol(get_op("_histogram"), [a, bins], kwargs)
    if range is None:
        raise ValueError("null range is not supported in symbol mode")
    return make_symbol(get_op("_histogram"), [a], dict(kwargs, bin_cnt=bins, range=range))


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """Split along ``axis`` into equal sections (an int) or at the given indices (a tuple)."""
    attrs = {"axis": axis, "squeeze_axis": squeeze_axis}
    if isinstance(indices_or_sections, int):
        attrs["sections"] = indices_or_sections
        attrs["indices"] = ()
    else:
        attrs["indices"] = (0,) + tuple(indices_or_sections)
    return make_symbol(get_op("_split_v2"), [ary], attrs)
