"""The scalar ops as binary ops with one constant operand, for the backends that build kernels
from a table of binary ops (OpenCL's generated kernels, the CPU's fused interpreter).

``SCALAR_AS_BINARY[name] = (binary op, reflected)``: ``name(x, scalar=s)`` is ``binary(x, s)``,
or ``binary(s, x)`` when reflected (``_rminus_scalar`` is ``s - x``).
"""
__all__ = ["SCALAR_AS_BINARY"]

SCALAR_AS_BINARY = {
    "_plus_scalar": ("add", False), "_minus_scalar": ("sub", False),
    "_rminus_scalar": ("sub", True), "_mul_scalar": ("mul", False), "_div_scalar": ("div", False),
    "_rdiv_scalar": ("div", True), "_power_scalar": ("power", False),
    "_rpower_scalar": ("power", True), "_maximum_scalar": ("maximum", False),
    "_minimum_scalar": ("minimum", False), "_hypot_scalar": ("hypot", False),
    "_equal_scalar": ("equal", False), "_not_equal_scalar": ("not_equal", False),
    "_greater_scalar": ("greater", False), "_greater_equal_scalar": ("greater_equal", False),
    "_lesser_scalar": ("lesser", False), "_lesser_equal_scalar": ("lesser_equal", False),
    "_logical_and_scalar": ("logical_and", False), "_logical_or_scalar": ("logical_or", False),
    "_logical_xor_scalar": ("logical_xor", False),
}
