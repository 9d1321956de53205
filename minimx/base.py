"""Things every layer may use: the error type, dtype tables and shape helpers.

This module imports nothing from minimx, so ``engine``, ``_kernels`` and everything above can use it.
"""
import numpy as np

__all__ = ["MXNetError", "DTYPES", "DTYPE_NAMES", "normalize_dtype", "dtype_name", "prod",
           "numeric_types", "integer_types", "string_types"]


class MXNetError(RuntimeError):
    """The error every minimx op raises for bad input or a failed async op.

    NB: in MXNet this class derives from ``RuntimeError`` too (``mxnet.base.MXNetError``), so
    ``except RuntimeError`` catches both.
    """


numeric_types = (float, int, np.generic)
integer_types = (int, np.integer)
string_types = (str,)

# The dtypes an NDArray may have, by MXNet's name. Order follows MXNet's type flags.
DTYPES = {
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
    "float16": np.dtype(np.float16),
    "uint8": np.dtype(np.uint8),
    "int32": np.dtype(np.int32),
    "int8": np.dtype(np.int8),
    "int64": np.dtype(np.int64),
    "bool": np.dtype(np.bool_),
}
DTYPE_NAMES = {dt: name for name, dt in DTYPES.items()}
_DTYPE_CACHE = {}


def normalize_dtype(dtype, default="float32"):
    """Return the ``numpy.dtype`` for a user's dtype (None, a name, a numpy type or dtype).

    Raises MXNetError for a dtype minimx does not support, listing the ones it does.
    """
    if dtype is None:
        dtype = default
    try:
        return _DTYPE_CACHE[dtype]
    except (KeyError, TypeError):
        pass
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError, SyntaxError):   # np.dtype('(1, 2') raises SyntaxError
        dt = None
    if dt not in DTYPE_NAMES:
        raise MXNetError(
            f"unsupported dtype {dtype!r}: minimx arrays may be one of {', '.join(DTYPES)}")
    try:
        _DTYPE_CACHE[dtype] = dt
    except TypeError:
        pass
    return dt


def dtype_name(dtype):
    """MXNet's name of a dtype ('float32', 'int64', ...)."""
    return DTYPE_NAMES[np.dtype(dtype)]


def prod(shape):
    """Number of elements of a shape (1 for ``()``)."""
    n = 1
    for s in shape:
        n *= s
    return n
