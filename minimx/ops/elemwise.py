"""Elementwise ops: unary math, binary ops with broadcasting, ops with a scalar, comparisons.

Each op is one ``OpDef``: its kernel is named after the op and implemented in every backend's
``elemwise`` module (``_kernels/reference/elemwise.py`` is the spec).
"""
from .opdef import Domain, OpDef, Param, fail, same_shape
from .params import DType, Float

__all__ = ["broadcast_shape"]


def broadcast_shape(attrs, lhs, rhs):
    """MXNet's broadcasting: align shapes on the right; each axis equal, or 1 in one of them."""
    if lhs == rhs:
        return lhs
    ndim = max(len(lhs), len(rhs))
    a = (1,) * (ndim - len(lhs)) + tuple(lhs)
    b = (1,) * (ndim - len(rhs)) + tuple(rhs)
    out = []
    for x, y in zip(a, b):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            fail(f"shapes {tuple(lhs)} and {tuple(rhs)} cannot be broadcast together",
                 "each axis, counted from the right, must be equal or 1 in one of the operands")
    return tuple(out)


# -- binary ops with broadcasting ----------------------------------------------------------------
def _binary(name, formula, aliases=(), domain=None):
    return OpDef(name, inputs=("lhs", "rhs"), shape=broadcast_shape, aliases=aliases,
                 formula=formula, domain=domain or Domain(), family="elemwise")


broadcast_add = _binary("broadcast_add", "out = lhs + rhs", aliases=("broadcast_plus",))
broadcast_sub = _binary("broadcast_sub", "out = lhs - rhs", aliases=("broadcast_minus",))
broadcast_mul = _binary("broadcast_mul", "out = lhs * rhs")
broadcast_div = _binary("broadcast_div", "out = lhs / rhs", domain=Domain(away_from=(0.0,)))
broadcast_mod = _binary("broadcast_mod", "out = lhs mod rhs", domain=Domain(away_from=(0.0,)))
broadcast_power = _binary("broadcast_power", "out = lhs ^ rhs", domain=Domain(low=0.5, high=2.0))
broadcast_maximum = _binary("broadcast_maximum", "out = max(lhs, rhs)")
broadcast_minimum = _binary("broadcast_minimum", "out = min(lhs, rhs)")
broadcast_equal = _binary("broadcast_equal", "out = (lhs == rhs)")
broadcast_not_equal = _binary("broadcast_not_equal", "out = (lhs != rhs)")
broadcast_greater = _binary("broadcast_greater", "out = (lhs > rhs)")
broadcast_greater_equal = _binary("broadcast_greater_equal", "out = (lhs >= rhs)")
broadcast_lesser = _binary("broadcast_lesser", "out = (lhs < rhs)")
broadcast_lesser_equal = _binary("broadcast_lesser_equal", "out = (lhs <= rhs)")


# -- ops with a scalar (what x + 2 calls) ------------------------------------------------------
def _scalar(name, formula, domain=None):
    return OpDef(name, params=(Param("scalar", Float, 1.0, "the scalar operand"),),
                 shape=same_shape, formula=formula, domain=domain or Domain(), family="elemwise")


_plus_scalar = _scalar("_plus_scalar", "out = data + scalar")
_minus_scalar = _scalar("_minus_scalar", "out = data - scalar")
_rminus_scalar = _scalar("_rminus_scalar", "out = scalar - data")
_mul_scalar = _scalar("_mul_scalar", "out = data * scalar")
_div_scalar = _scalar("_div_scalar", "out = data / scalar")
_rdiv_scalar = _scalar("_rdiv_scalar", "out = scalar / data", domain=Domain(away_from=(0.0,)))
_mod_scalar = _scalar("_mod_scalar", "out = data mod scalar")
_rmod_scalar = _scalar("_rmod_scalar", "out = scalar mod data", domain=Domain(away_from=(0.0,)))
_power_scalar = _scalar("_power_scalar", "out = data ^ scalar", domain=Domain(low=0.5, high=2.0))
_rpower_scalar = _scalar("_rpower_scalar", "out = scalar ^ data")
_equal_scalar = _scalar("_equal_scalar", "out = (data == scalar)")
_not_equal_scalar = _scalar("_not_equal_scalar", "out = (data != scalar)")
_greater_scalar = _scalar("_greater_scalar", "out = (data > scalar)")
_greater_equal_scalar = _scalar("_greater_equal_scalar", "out = (data >= scalar)")
_lesser_scalar = _scalar("_lesser_scalar", "out = (data < scalar)")
_lesser_equal_scalar = _scalar("_lesser_equal_scalar", "out = (data <= scalar)")


# -- unary ops -----------------------------------------------------------------------------------
def _unary(name, formula, aliases=(), domain=None):
    return OpDef(name, shape=same_shape, aliases=aliases, formula=formula,
                 domain=domain or Domain(), family="elemwise")


negative = _unary("negative", "out = -data")
abs = _unary("abs", "out = |data|", domain=Domain(away_from=(0.0,)))
exp = _unary("exp", "out = e^data")
_copy = _unary("_copy", "out = data", aliases=("identity",))


def _cast_dtype(attrs, dtype):
    return attrs["dtype"]


Cast = OpDef("Cast", params=(Param("dtype", DType, doc="the output type"),), shape=same_shape,
             dtype=_cast_dtype, aliases=("cast",), formula="out = (dtype) data", family="elemwise")
