"""``mx.nd.add``, ``mx.nd.maximum``, ``mx.nd.equal``...: arithmetic on arrays and scalars alike.

These are Python functions in MXNet too (``python/mxnet/ndarray/ndarray.py``), not operators. Each
looks at its two arguments and calls one op:

1. two NDArrays: the broadcasting op (``broadcast_add``);
2. an NDArray and a number: the op with a scalar (``_plus_scalar``), with the number as ``float``;
   a number on the left calls the reflected op (``_rminus_scalar`` for ``3 - x``), or the same one
   when the operation commutes (``3 + x``) or mirrors (``3 < x`` is ``x > 3``);
3. two numbers: plain Python (``add(2, 3)`` is 5; comparisons give 1 or 0);
4. anything else: TypeError.

Example::

    >>> x = mx.nd.array([1, 2, 3])
    >>> mx.nd.subtract(10, x).asnumpy()         # _rminus_scalar(x, scalar=10.0)
    array([9., 8., 7.], dtype=float32)
"""
import operator

from ..base import numeric_types
from ..ops import get_op
from .invoke import invoke
from .ndarray import NDArray

__all__ = ["add", "subtract", "multiply", "divide", "true_divide", "modulo", "power", "maximum",
           "minimum", "equal", "not_equal", "greater", "greater_equal", "lesser", "lesser_equal",
           "logical_and", "logical_or", "logical_xor"]


def _dispatch(lhs, rhs, array_op, scalar_fn, scalar_op, rscalar_op=None):
    """Call the op that fits the argument types (MXNet's ``_ufunc_helper``).

    ``rscalar_op`` is the op for a number on the left; None means ``scalar_op`` with the operands
    swapped (the operation commutes).
    """
    if isinstance(lhs, numeric_types):
        if isinstance(rhs, numeric_types):
            return scalar_fn(lhs, rhs)
        if not isinstance(rhs, NDArray):
            raise TypeError(f"type {type(rhs)} not supported")
        op = get_op(rscalar_op or scalar_op)
        return invoke(op, (rhs,), {"scalar": float(lhs), "is_int": True})
    if not isinstance(lhs, NDArray):
        raise TypeError(f"type {type(lhs)} not supported")
    if isinstance(rhs, numeric_types):
        return invoke(get_op(scalar_op), (lhs,), {"scalar": float(rhs), "is_int": True})
    if isinstance(rhs, NDArray):
        return invoke(get_op(array_op), (lhs, rhs), {})
    raise TypeError(f"type {type(rhs)} not supported")


def _flag(test):
    """A comparison of two numbers as MXNet returns it: 1 or 0."""
    def f(x, y):
        return 1 if test(x, y) else 0
    return f


def add(lhs, rhs):
    """Sum of arrays and/or scalars, with broadcasting: ``lhs + rhs``.

    Parameters
    ----------
    lhs : NDArray or scalar
        First operand.
    rhs : NDArray or scalar
        Second operand.

    Returns
    -------
    NDArray or scalar
        ``broadcast_add(lhs, rhs)`` for two arrays, ``_plus_scalar`` for an array and a number.
    """
    return _dispatch(lhs, rhs, "broadcast_add", operator.add, "_plus_scalar")


def subtract(lhs, rhs):
    """Difference ``lhs - rhs`` of arrays and/or scalars, with broadcasting.

    Parameters
    ----------
    lhs, rhs : NDArray or scalar
        The operands; a number on the left calls ``_rminus_scalar``.

    Returns
    -------
    NDArray or scalar
    """
    return _dispatch(lhs, rhs, "broadcast_sub", operator.sub, "_minus_scalar", "_rminus_scalar")


def multiply(lhs, rhs):
    """Product ``lhs * rhs`` of arrays and/or scalars, with broadcasting.

    Parameters
    ----------
    lhs, rhs : NDArray or scalar
        The operands.

    Returns
    -------
    NDArray or scalar
    """
    return _dispatch(lhs, rhs, "broadcast_mul", operator.mul, "_mul_scalar")


def divide(lhs, rhs):
    """Quotient ``lhs / rhs`` of arrays and/or scalars, with broadcasting.

    Integer arrays divide truncating toward zero and keep their dtype, as in MXNet.

    Parameters
    ----------
    lhs, rhs : NDArray or scalar
        The operands; a number on the left calls ``_rdiv_scalar``.

    Returns
    -------
    NDArray or scalar
    """
    return _dispatch(lhs, rhs, "broadcast_div", operator.truediv, "_div_scalar", "_rdiv_scalar")


def true_divide(lhs, rhs):
    """The same as ``divide`` (MXNet keeps the name for numpy users).

    Parameters
    ----------
    lhs, rhs : NDArray or scalar
        The operands.

    Returns
    -------
    NDArray or scalar
    """
    return divide(lhs, rhs)


def modulo(lhs, rhs):
    """Python's modulo ``lhs % rhs`` (the sign of ``rhs``), with broadcasting; ``x % 0`` is 0.

    Parameters
    ----------
    lhs, rhs : NDArray or scalar
        The operands; a number on the left calls ``_rmod_scalar``.

    Returns
    -------
    NDArray or scalar
    """
    return _dispatch(lhs, rhs, "broadcast_mod", operator.mod, "_mod_scalar", "_rmod_scalar")


def power(base, exp):
    """``base`` raised to ``exp``, element-wise, with broadcasting.

    Parameters
    ----------
    base : NDArray or scalar
        The base; a number calls ``_rpower_scalar``.
    exp : NDArray or scalar
        The exponent.

    Returns
    -------
    NDArray or scalar
    """
    return _dispatch(base, exp, "broadcast_power", operator.pow, "_power_scalar", "_rpower_scalar")


def maximum(lhs, rhs):
    """Element-wise maximum of arrays and/or scalars, with broadcasting.

    Parameters
    ----------
    lhs, rhs : NDArray or scalar
        The operands.

    Returns
    -------
    NDArray or scalar
    """
    return _dispatch(lhs, rhs, "broadcast_maximum", lambda x, y: x if x > y else y,
                     "_maximum_scalar")


def minimum(lhs, rhs):
    """Element-wise minimum of arrays and/or scalars, with broadcasting.

    Parameters
    ----------
    lhs, rhs : NDArray or scalar
        The operands.

    Returns
    -------
    NDArray or scalar
    """
    return _dispatch(lhs, rhs, "broadcast_minimum", lambda x, y: x if x < y else y,
                     "_minimum_scalar")


def equal(lhs, rhs):
    """1 where ``lhs == rhs``, else 0, in the array's dtype; with broadcasting.

    Parameters
    ----------
    lhs, rhs : NDArray or scalar
        The operands.

    Returns
    -------
    NDArray or int
    """
    return _dispatch(lhs, rhs, "broadcast_equal", _flag(operator.eq), "_equal_scalar")


def not_equal(lhs, rhs):
    """1 where ``lhs != rhs``, else 0, in the array's dtype; with broadcasting.

    Parameters
    ----------
    lhs, rhs : NDArray or scalar
        The operands.

    Returns
    -------
    NDArray or int
    """
    return _dispatch(lhs, rhs, "broadcast_not_equal", _flag(operator.ne), "_not_equal_scalar")


def greater(lhs, rhs):
    """1 where ``lhs > rhs``, else 0; a number on the left is ``rhs < lhs``.

    Parameters
    ----------
    lhs, rhs : NDArray or scalar
        The operands.

    Returns
    -------
    NDArray or int
    """
    return _dispatch(lhs, rhs, "broadcast_greater", _flag(operator.gt), "_greater_scalar",
                     "_lesser_scalar")


def greater_equal(lhs, rhs):
    """1 where ``lhs >= rhs``, else 0; a number on the left is ``rhs <= lhs``.

    Parameters
    ----------
    lhs, rhs : NDArray or scalar
        The operands.

    Returns
    -------
    NDArray or int
    """
    return _dispatch(lhs, rhs, "broadcast_greater_equal", _flag(operator.ge),
                     "_greater_equal_scalar", "_lesser_equal_scalar")


def lesser(lhs, rhs):
    """1 where ``lhs < rhs``, else 0; a number on the left is ``rhs > lhs``.

    Parameters
    ----------
    lhs, rhs : NDArray or scalar
        The operands.

    Returns
    -------
    NDArray or int
    """
    return _dispatch(lhs, rhs, "broadcast_lesser", _flag(operator.lt), "_lesser_scalar",
                     "_greater_scalar")


def lesser_equal(lhs, rhs):
    """1 where ``lhs <= rhs``, else 0; a number on the left is ``rhs >= lhs``.

    Parameters
    ----------
    lhs, rhs : NDArray or scalar
        The operands.

    Returns
    -------
    NDArray or int
    """
    return _dispatch(lhs, rhs, "broadcast_lesser_equal", _flag(operator.le),
                     "_lesser_equal_scalar", "_greater_equal_scalar")


def logical_and(lhs, rhs):
    """1 where both operands are nonzero, else 0; with broadcasting.

    Parameters
    ----------
    lhs, rhs : NDArray or scalar
        The operands.

    Returns
    -------
    NDArray or int
    """
    return _dispatch(lhs, rhs, "broadcast_logical_and", _flag(lambda x, y: x and y),
                     "_logical_and_scalar")


def logical_or(lhs, rhs):
    """1 where either operand is nonzero, else 0; with broadcasting.

    Parameters
    ----------
    lhs, rhs : NDArray or scalar
        The operands.

    Returns
    -------
    NDArray or int
    """
    return _dispatch(lhs, rhs, "broadcast_logical_or", _flag(lambda x, y: x or y),
                     "_logical_or_scalar")


def logical_xor(lhs, rhs):
    """1 where exactly one operand is nonzero, else 0; with broadcasting.

    Parameters
    ----------
    lhs, rhs : NDArray or scalar
        The operands.

    Returns
    -------
    NDArray or int
    """
    return _dispatch(lhs, rhs, "broadcast_logical_xor", _flag(lambda x, y: bool(x) ^ bool(y)),
                     "_logical_xor_scalar")
