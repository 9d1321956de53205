"""``mx.nd``: NDArray, creation functions and one explicit wrapper per op of the table."""
import sys

from ..engine import wait_all as waitall
from . import invoke as _invoke
from .creation import arange, array, empty, eye, from_numpy, full, linspace, ones, zeros
from .ndarray import NDArray

# BEGIN generated imports (tools/gen_nd_api.py)
from .gen_elemwise import (  # noqa: F401
    Cast, abs, broadcast_add, broadcast_div, broadcast_equal, broadcast_greater,
    broadcast_greater_equal, broadcast_lesser, broadcast_lesser_equal, broadcast_maximum,
    broadcast_minimum, broadcast_minus, broadcast_mod, broadcast_mul, broadcast_not_equal,
    broadcast_plus, broadcast_power, broadcast_sub, cast, exp, negative,
)
from .gen_init import (  # noqa: F401
    ones_like, zeros_like,
)
from .gen_shape import (  # noqa: F401
    Reshape, reshape, transpose,
)
# END generated imports

# Composite ops are written against this namespace (F = mx.nd).
_invoke.set_composite_namespace(sys.modules[__name__])
