"""Elementwise ops: unary math, binary ops (same-shape and broadcasting), ops with a scalar.

Each op is one ``OpDef``; its kernel is named after the op (the same-shape binaries share the
broadcasting kernels) and implemented in every backend's ``elemwise`` module
(``_kernels/reference/elemwise.py`` is the spec, with MXNet's integer and float16 arithmetic).

MXNet's dtype rules, which the dtype rules below encode:

1. Unary and binary ops keep the input dtype. An integer array stays integer: ``sqrt`` of int32 is
   int32 (computed in floating point, then truncated), comparisons give 0/1 in the input dtype.
2. Binary ops need both inputs of one dtype (no promotion) and reject bool arrays.
3. Ops with a scalar (what ``x + 2`` calls) cast the scalar to the array's dtype first, so
   ``int32 + 2.5`` adds 2. With ``is_int=False`` an integer array gives float64 instead, and a bool
   array gives int64 (``is_int=True``, the default) or float64.

Gradient rules are in ``gradutil_elemwise.py`` (``grad=G.<name>``); the same-shape binaries reuse
their broadcasting op's rule, and comparisons are ``NO_GRAD``.
"""
import numpy as np

from . import gradutil_elemwise as G
from .opdef import NO_GRAD, Domain, OpDef, Param, fail, same_dtype, same_shape
from .params import Bool, DType, Float

__all__ = ["broadcast_shape", "FLOATS", "NUMERIC"]

FLOATS = ("float32", "float64", "float16")
NUMERIC = FLOATS + ("int32", "int64", "int8", "uint8")
_BOOL = np.dtype(np.bool_)
_INT64, _FLOAT64 = np.dtype(np.int64), np.dtype(np.float64)


# -- shape and dtype rules -------------------------------------------------------------------------
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


def _reject_bool(dtype):
    if dtype == _BOOL:
        fail("bool inputs are not supported by this operator",
             "convert first, e.g. x.astype('int32') or x.astype('float32')")


def numeric_dtype(attrs, *dtypes):
    """Dtype rule of unary and binary math: one numeric (non-bool) dtype, kept by the output."""
    dtype = dtypes[0]
    for d in dtypes:
        if d is not dtype:   # numpy's builtin dtypes are singletons: identity is the fast check
            dtype = same_dtype(attrs, *dtypes)
            break
    if dtype is _BOOL:
        _reject_bool(dtype)
    return dtype


def float_dtype(attrs, dtype):
    """Dtype rule of ops MXNet defines for floating point only (``hard_sigmoid``)."""
    if dtype.kind != "f":
        fail(f"this operator supports only floating point types, not {dtype}",
             "convert first, e.g. x.astype('float32')")
    return dtype


def scalar_dtype(attrs, dtype):
    """MXNet's ``NumpyBinaryScalarType``: the output dtype of an op with a scalar.

    ``attrs`` may lack ``is_int`` (NDArray's operators pass only the scalar); MXNet's default is
    True.
    """
    is_int = attrs.get("is_int", True)
    if dtype == _BOOL:
        return _INT64 if is_int else _FLOAT64
    if dtype.kind in "iu" and not is_int:
        return _FLOAT64
    return dtype


# -- declaration helpers ---------------------------------------------------------------------------
def _unary(name, formula, doc, aliases=(), domain=None, dtype=numeric_dtype, params=(), grad=None):
    return OpDef(name, shape=same_shape, dtype=dtype, params=params, aliases=aliases,
                 formula=formula, doc=doc, grad=grad, domain=domain or Domain(), family="elemwise")


def _binary(name, formula, doc, aliases=(), domain=None, grad=None, same=False, kernel=None):
    """A binary op: broadcasting (``broadcast_*``), or same-shape (``same=True``: elemwise_*)."""
    return OpDef(name, inputs=("lhs", "rhs"), shape=same_shape if same else broadcast_shape,
                 dtype=numeric_dtype, aliases=aliases, kernel=kernel, formula=formula, doc=doc,
                 grad=grad, domain=domain or Domain(dtypes=NUMERIC), family="elemwise")


def _scalar(name, formula, doc, alias, domain=None, grad=None):
    params = (Param("scalar", Float, 1.0, "the scalar operand (cast to the array's dtype)"),
              Param("is_int", Bool, True, "whether the scalar is an integer; False makes an "
                                          "integer array give float64"))
    return OpDef(name, params=params, shape=same_shape, dtype=scalar_dtype, aliases=(alias,),
                 formula=formula, doc=doc, grad=grad, family="elemwise",
                 domain=domain or Domain(dtypes=NUMERIC, attrs=[{"scalar": 2.0}, {"scalar": -0.5}]))


_CMP = Domain(dtypes=NUMERIC, integer=True, low=-2, high=2, grad=False)
_DIV = Domain(dtypes=NUMERIC, away_from=(0.0,))


def _mod_inputs(rng, dtype, attrs):
    """lhs in [0.1, 0.9], rhs in [1, 2]: far from mod's jumps, so finite differences hold."""
    return [rng.uniform(0.1, 0.9, (2, 3)).astype(dtype), rng.uniform(1, 2, (1, 3)).astype(dtype)]


# -- binary ops with broadcasting ------------------------------------------------------------------
broadcast_add = _binary("broadcast_add", "out = lhs + rhs", "Sum, with broadcasting.", grad=G.add,
                        aliases=("broadcast_plus",))
broadcast_sub = _binary("broadcast_sub", "out = lhs - rhs", "Difference, with broadcasting.",
                        grad=G.sub, aliases=("broadcast_minus",))
broadcast_mul = _binary("broadcast_mul", "out = lhs * rhs", "Product, with broadcasting.",
                        grad=G.mul)
broadcast_div = _binary("broadcast_div", "out = lhs / rhs",
                        "Quotient, with broadcasting; integers divide truncating toward zero "
                        "(NB: MXNet crashes on an integer division by zero, minimx gives 0).",
                        domain=_DIV, grad=G.div)
broadcast_mod = _binary("broadcast_mod", "out = lhs - floor(lhs / rhs) * rhs",
                        "Python's modulo (the sign of rhs), with broadcasting; x mod 0 is 0.",
                        domain=Domain(dtypes=NUMERIC, make_inputs=_mod_inputs), grad=G.mod)
broadcast_power = _binary("broadcast_power", "out = lhs ^ rhs",
                          "Power, with broadcasting; integers are computed in float32.",
                          domain=Domain(low=0.5, high=2.0), grad=G.power)
broadcast_maximum = _binary("broadcast_maximum", "out = max(lhs, rhs)",
                            "Elementwise maximum, with broadcasting; NaN wins.", grad=G.maximum)
broadcast_minimum = _binary("broadcast_minimum", "out = min(lhs, rhs)",
                            "Elementwise minimum, with broadcasting; NaN wins.", grad=G.minimum)
broadcast_hypot = _binary("broadcast_hypot", "out = sqrt(lhs^2 + rhs^2)",
                          "Hypotenuse of the legs lhs and rhs, with broadcasting.", grad=G.hypot)
broadcast_equal = _binary("broadcast_equal", "out = (lhs == rhs)",
                          "1 where equal, else 0, in the inputs' dtype; with broadcasting.",
                          grad=NO_GRAD, domain=_CMP)
broadcast_not_equal = _binary("broadcast_not_equal", "out = (lhs != rhs)",
                              "1 where not equal, else 0; with broadcasting.", grad=NO_GRAD,
                              domain=_CMP)
broadcast_greater = _binary("broadcast_greater", "out = (lhs > rhs)",
                            "1 where lhs > rhs, else 0; with broadcasting.", grad=NO_GRAD,
                            domain=_CMP)
broadcast_greater_equal = _binary("broadcast_greater_equal", "out = (lhs >= rhs)",
                                  "1 where lhs >= rhs, else 0; with broadcasting.", grad=NO_GRAD,
                                  domain=_CMP)
broadcast_lesser = _binary("broadcast_lesser", "out = (lhs < rhs)",
                           "1 where lhs < rhs, else 0; with broadcasting.", grad=NO_GRAD,
                           domain=_CMP)
broadcast_lesser_equal = _binary("broadcast_lesser_equal", "out = (lhs <= rhs)",
                                 "1 where lhs <= rhs, else 0; with broadcasting.", grad=NO_GRAD,
                                 domain=_CMP)
broadcast_logical_and = _binary("broadcast_logical_and", "out = (lhs != 0) and (rhs != 0)",
                                "Logical and, as 0/1 in the inputs' dtype; with broadcasting.",
                                grad=NO_GRAD, domain=_CMP)
broadcast_logical_or = _binary("broadcast_logical_or", "out = (lhs != 0) or (rhs != 0)",
                               "Logical or, as 0/1 in the inputs' dtype; with broadcasting.",
                               grad=NO_GRAD, domain=_CMP)
broadcast_logical_xor = _binary("broadcast_logical_xor", "out = (lhs != 0) xor (rhs != 0)",
                                "Logical xor, as 0/1 in the inputs' dtype; with broadcasting.",
                                grad=NO_GRAD, domain=_CMP)


# -- binary ops on equal shapes (the broadcasting kernels run them) --------------------------------
def _same(name, kernel, aliases, doc, domain=None, grad=None):
    # the broadcasting op's rule serves (unbroadcast does nothing on equal shapes)
    return _binary(name, _BROADCAST[kernel].formula, doc + " Both inputs must have the same shape.",
                   aliases=aliases, same=True, kernel=kernel, grad=grad or _BROADCAST[kernel].grad,
                   domain=domain or _equal_shapes(_BROADCAST[kernel].domain))


def _equal_shapes(d):
    """The broadcasting op's domain, with both inputs drawn at one shape (the rule demands it)."""
    def make_inputs(rng, dtype, attrs):
        shape = tuple(rng.integers(1, 5, rng.integers(d.ndim[0], d.ndim[1] + 1)))
        out = []
        for _ in range(2):
            x = rng.integers(d.low, d.high + 1, shape) if d.integer else rng.uniform(d.low, d.high,
                                                                                      shape)
            for p in d.away_from:                    # push values off the points to avoid
                x = np.where(np.abs(x - p) < 0.1, p + np.where(x < p, -0.1, 0.1), x)
            out.append(x.astype(dtype))
        return out
    return Domain(low=d.low, high=d.high, dtypes=d.dtypes, away_from=d.away_from,
                  integer=d.integer, make_inputs=make_inputs, ndim=d.ndim, grad=d.grad)


_BROADCAST = {op.name: op for op in (
    broadcast_add, broadcast_sub, broadcast_mul, broadcast_div, broadcast_mod, broadcast_power,
    broadcast_maximum, broadcast_minimum, broadcast_hypot, broadcast_equal, broadcast_not_equal,
    broadcast_greater, broadcast_greater_equal, broadcast_lesser, broadcast_lesser_equal,
    broadcast_logical_and, broadcast_logical_or, broadcast_logical_xor)}


def _same_mod_inputs(rng, dtype, attrs):
    return [rng.uniform(0.1, 0.9, (2, 3)).astype(dtype), rng.uniform(1, 2, (2, 3)).astype(dtype)]


elemwise_add = _same("elemwise_add", "broadcast_add", ("_plus", "_add", "_Plus"), "Sum.")
elemwise_sub = _same("elemwise_sub", "broadcast_sub", ("_minus", "_sub", "_Minus"), "Difference.")
elemwise_mul = _same("elemwise_mul", "broadcast_mul", ("_mul", "_Mul"), "Product.")
elemwise_div = _same("elemwise_div", "broadcast_div", ("_div", "_Div"),
                     "Quotient; integers divide truncating toward zero.")
_mod = _same("_mod", "broadcast_mod", ("_Mod",), "Python's modulo; x mod 0 is 0.",
             domain=Domain(dtypes=NUMERIC, make_inputs=_same_mod_inputs))
_power = _same("_power", "broadcast_power", ("_Power",), "Power.")
_maximum = _same("_maximum", "broadcast_maximum", ("_Maximum",), "Elementwise maximum.")
_minimum = _same("_minimum", "broadcast_minimum", ("_Minimum",), "Elementwise minimum.")
_hypot = _same("_hypot", "broadcast_hypot", ("_Hypot",), "Hypotenuse.")
_equal = _same("_equal", "broadcast_equal", ("_Equal",), "1 where equal, else 0.", grad=NO_GRAD)
_not_equal = _same("_not_equal", "broadcast_not_equal", ("_Not_Equal",),
                   "1 where not equal, else 0.", grad=NO_GRAD)
_greater = _same("_greater", "broadcast_greater", ("_Greater",), "1 where lhs > rhs, else 0.",
                 grad=NO_GRAD)
_greater_equal = _same("_greater_equal", "broadcast_greater_equal", ("_Greater_Equal",),
                       "1 where lhs >= rhs, else 0.", grad=NO_GRAD)
_lesser = _same("_lesser", "broadcast_lesser", ("_Lesser",), "1 where lhs < rhs, else 0.",
                grad=NO_GRAD)
_lesser_equal = _same("_lesser_equal", "broadcast_lesser_equal", ("_Lesser_Equal",),
                      "1 where lhs <= rhs, else 0.", grad=NO_GRAD)
_logical_and = _same("_logical_and", "broadcast_logical_and", ("_Logical_And",),
                     "Logical and, as 0/1.", grad=NO_GRAD)
_logical_or = _same("_logical_or", "broadcast_logical_or", ("_Logical_Or",), "Logical or, as 0/1.",
                    grad=NO_GRAD)
_logical_xor = _same("_logical_xor", "broadcast_logical_xor", ("_Logical_Xor",),
                     "Logical xor, as 0/1.", grad=NO_GRAD)


# -- ops with a scalar (what x + 2 calls) ----------------------------------------------------------
_SCALAR_CMP = Domain(dtypes=NUMERIC, integer=True, low=-2, high=2, grad=False,
                     attrs=[{"scalar": 1.0}, {"scalar": 0.5}])
_plus_scalar = _scalar("_plus_scalar", "out = data + scalar", "Adds a scalar.", "_PlusScalar",
                       grad=G.plus_scalar)
_minus_scalar = _scalar("_minus_scalar", "out = data - scalar", "Subtracts a scalar.",
                        "_MinusScalar", grad=G.minus_scalar)
_rminus_scalar = _scalar("_rminus_scalar", "out = scalar - data",
                         "Subtracts from a scalar.", "_RMinusScalar", grad=G.rminus_scalar)
_mul_scalar = _scalar("_mul_scalar", "out = data * scalar", "Multiplies by a scalar.",
                      "_MulScalar", grad=G.mul_scalar)
_div_scalar = _scalar("_div_scalar", "out = data / scalar",
                      "Divides by a scalar; integers divide truncating toward zero.", "_DivScalar",
                      grad=G.div_scalar)
_rdiv_scalar = _scalar("_rdiv_scalar", "out = scalar / data",
                       "Divides a scalar; integers are computed in float32, then truncated.",
                       "_RDivScalar", domain=Domain(dtypes=NUMERIC, away_from=(0.0,),
                                                    attrs=[{"scalar": 2.0}]), grad=G.rdiv_scalar)
_mod_scalar = _scalar("_mod_scalar", "out = data mod scalar",
                      "Python's modulo by a scalar (the sign of the scalar); x mod 0 is 0.",
                      "_ModScalar", domain=Domain(low=0.1, high=1.4, attrs=[{"scalar": 1.5}]),
                      grad=G.mod_scalar)
_rmod_scalar = _scalar("_rmod_scalar", "out = scalar mod data",
                       "Python's modulo of a scalar (the sign of data).", "_RModScalar",
                       domain=Domain(low=1.7, high=2.4, attrs=[{"scalar": 5.0}]),
                       grad=G.rmod_scalar)
_power_scalar = _scalar("_power_scalar", "out = data ^ scalar", "Raises to a scalar power.",
                        "_PowerScalar", domain=Domain(low=0.5, high=2.0,
                                                      attrs=[{"scalar": 2.0}, {"scalar": 0.5}]),
                        grad=G.power_scalar)
_rpower_scalar = _scalar("_rpower_scalar", "out = scalar ^ data", "Raises a scalar to a power.",
                         "_RPowerScalar", domain=Domain(attrs=[{"scalar": 2.0}]),
                         grad=G.rpower_scalar)
_maximum_scalar = _scalar("_maximum_scalar", "out = max(data, scalar)",
                          "Elementwise maximum with a scalar.", "_MaximumScalar",
                          domain=Domain(away_from=(0.5,), attrs=[{"scalar": 0.5}]),
                          grad=G.maximum_scalar)
_minimum_scalar = _scalar("_minimum_scalar", "out = min(data, scalar)",
                          "Elementwise minimum with a scalar.", "_MinimumScalar",
                          domain=Domain(away_from=(0.5,), attrs=[{"scalar": 0.5}]),
                          grad=G.minimum_scalar)
_hypot_scalar = _scalar("_hypot_scalar", "out = sqrt(data^2 + scalar^2)",
                        "Hypotenuse with a scalar leg.", "_HypotScalar", grad=G.hypot_scalar)
_equal_scalar = _scalar("_equal_scalar", "out = (data == scalar)", "1 where equal, else 0.",
                        "_EqualScalar", grad=NO_GRAD, domain=_SCALAR_CMP)
_not_equal_scalar = _scalar("_not_equal_scalar", "out = (data != scalar)",
                            "1 where not equal, else 0.", "_NotEqualScalar", grad=NO_GRAD,
                            domain=_SCALAR_CMP)
_greater_scalar = _scalar("_greater_scalar", "out = (data > scalar)", "1 where greater, else 0.",
                          "_GreaterScalar", grad=NO_GRAD, domain=_SCALAR_CMP)
_greater_equal_scalar = _scalar("_greater_equal_scalar", "out = (data >= scalar)",
                                "1 where greater or equal, else 0.", "_GreaterEqualScalar",
                                grad=NO_GRAD, domain=_SCALAR_CMP)
_lesser_scalar = _scalar("_lesser_scalar", "out = (data < scalar)", "1 where less, else 0.",
                         "_LesserScalar", grad=NO_GRAD, domain=_SCALAR_CMP)
_lesser_equal_scalar = _scalar("_lesser_equal_scalar", "out = (data <= scalar)",
                               "1 where less or equal, else 0.", "_LesserEqualScalar",
                               grad=NO_GRAD, domain=_SCALAR_CMP)
_logical_and_scalar = _scalar("_logical_and_scalar", "out = (data != 0) and (scalar != 0)",
                              "Logical and with a scalar, as 0/1.", "_LogicalAndScalar",
                              grad=NO_GRAD, domain=_SCALAR_CMP)
_logical_or_scalar = _scalar("_logical_or_scalar", "out = (data != 0) or (scalar != 0)",
                             "Logical or with a scalar, as 0/1.", "_LogicalOrScalar",
                             grad=NO_GRAD, domain=_SCALAR_CMP)
_logical_xor_scalar = _scalar("_logical_xor_scalar", "out = (data != 0) xor (scalar != 0)",
                              "Logical xor with a scalar, as 0/1.", "_LogicalXorScalar",
                              grad=NO_GRAD, domain=_SCALAR_CMP)


# -- unary ops -------------------------------------------------------------------------------------
_POS = Domain(low=0.1, high=3.0, dtypes=FLOATS)
_UNIT = Domain(low=-0.9, high=0.9, dtypes=FLOATS)
_STEP = Domain(dtypes=NUMERIC, grad=False)   # piecewise constant: no useful finite differences
_MATH = Domain(dtypes=FLOATS)

negative = _unary("negative", "out = -data", "Numerical negative, element-wise.",
                  domain=Domain(dtypes=NUMERIC), grad=G.negative)
abs = _unary("abs", "out = |data|", "Absolute value, element-wise.",
             domain=Domain(dtypes=NUMERIC, away_from=(0.0,)), grad=G.abs)
sign = _unary("sign", "out = -1, 0 or 1 as data < 0, == 0 (or NaN), > 0",
              "Sign of each element.", domain=Domain(dtypes=NUMERIC, grad=False,
                                                     away_from=(0.0,)), grad=G.sign)
exp = _unary("exp", "out = e^data", "Exponential, element-wise.", domain=_MATH, grad=G.exp)
expm1 = _unary("expm1", "out = e^data - 1", "exp(x) - 1, accurate for small x.", domain=_MATH,
               grad=G.expm1)
log = _unary("log", "out = ln(data)", "Natural logarithm, element-wise.", domain=_POS, grad=G.log)
log2 = _unary("log2", "out = log2(data)", "Base-2 logarithm, element-wise.", domain=_POS,
              grad=G.log2)
log10 = _unary("log10", "out = log10(data)", "Base-10 logarithm, element-wise.", domain=_POS,
               grad=G.log10)
log1p = _unary("log1p", "out = ln(1 + data)", "log(1 + x), accurate for small x.",
               domain=Domain(low=-0.5, high=3.0, dtypes=FLOATS), grad=G.log1p)
sqrt = _unary("sqrt", "out = data^(1/2)", "Square root, element-wise.", domain=_POS, grad=G.sqrt)
rsqrt = _unary("rsqrt", "out = 1 / data^(1/2)", "Reciprocal square root, element-wise.",
               domain=_POS, grad=G.rsqrt)
cbrt = _unary("cbrt", "out = data^(1/3)", "Cube root, element-wise.",
              domain=Domain(dtypes=FLOATS, away_from=(0.0,)), grad=G.cbrt)
rcbrt = _unary("rcbrt", "out = 1 / data^(1/3)", "Reciprocal cube root, element-wise.",
               domain=Domain(dtypes=FLOATS, away_from=(0.0,)), grad=G.rcbrt)
square = _unary("square", "out = data^2", "Square, element-wise.", domain=Domain(dtypes=NUMERIC),
                grad=G.square)
reciprocal = _unary("reciprocal", "out = 1 / data", "Reciprocal, element-wise.",
                    domain=Domain(dtypes=FLOATS, away_from=(0.0,)), grad=G.reciprocal)
sin = _unary("sin", "out = sin(data)", "Sine (radians), element-wise.", domain=_MATH, grad=G.sin)
cos = _unary("cos", "out = cos(data)", "Cosine (radians), element-wise.", domain=_MATH, grad=G.cos)
tan = _unary("tan", "out = tan(data)", "Tangent (radians), element-wise.",
             domain=Domain(low=-1.2, high=1.2, dtypes=FLOATS), grad=G.tan)
arcsin = _unary("arcsin", "out = asin(data)", "Inverse sine, in [-pi/2, pi/2].", domain=_UNIT,
                grad=G.arcsin)
arccos = _unary("arccos", "out = acos(data)", "Inverse cosine, in [0, pi].", domain=_UNIT,
                grad=G.arccos)
arctan = _unary("arctan", "out = atan(data)", "Inverse tangent, in (-pi/2, pi/2).", domain=_MATH,
                grad=G.arctan)
sinh = _unary("sinh", "out = sinh(data)", "Hyperbolic sine, element-wise.", domain=_MATH,
              grad=G.sinh)
cosh = _unary("cosh", "out = cosh(data)", "Hyperbolic cosine, element-wise.", domain=_MATH,
              grad=G.cosh)
tanh = _unary("tanh", "out = tanh(data)", "Hyperbolic tangent, element-wise.", domain=_MATH,
              grad=G.tanh)
arcsinh = _unary("arcsinh", "out = asinh(data)", "Inverse hyperbolic sine.", domain=_MATH,
                 grad=G.arcsinh)
arccosh = _unary("arccosh", "out = acosh(data)", "Inverse hyperbolic cosine.",
                 domain=Domain(low=1.1, high=3.0, dtypes=FLOATS), grad=G.arccosh)
arctanh = _unary("arctanh", "out = atanh(data)", "Inverse hyperbolic tangent.", domain=_UNIT,
                 grad=G.arctanh)
degrees = _unary("degrees", "out = data * 180 / pi", "Radians to degrees (pi as float32).",
                 domain=_MATH, grad=G.degrees)
radians = _unary("radians", "out = data * pi / 180", "Degrees to radians (pi as float32).",
                 domain=_MATH, grad=G.radians)
floor = _unary("floor", "out = floor(data)", "The largest integer <= x.", domain=_STEP,
               grad=G.floor)
ceil = _unary("ceil", "out = ceil(data)", "The smallest integer >= x.", domain=_STEP, grad=G.ceil)
round = _unary("round", "out = round(data), halves away from 0",
               "Round to the nearest integer; halves round away from zero (2.5 -> 3).",
               domain=_STEP, grad=G.round)
rint = _unary("rint", "out = floor(x) if x - floor(x) <= ceil(x) - x else ceil(x)",
              "Round to the nearest integer; halves round down (NB: MXNet's rule, so 1.5 -> 1 "
              "and -1.5 -> -2, unlike numpy's rint).", domain=_STEP, grad=G.rint)
fix = _unary("fix", "out = trunc(data)", "Round toward zero.", domain=_STEP, grad=G.fix)
trunc = _unary("trunc", "out = trunc(data)", "Drop the fractional part (round toward zero).",
               domain=_STEP, grad=G.trunc)
relu = _unary("relu", "out = max(data, 0)", "Rectified linear unit; NaN stays NaN.",
              domain=Domain(dtypes=NUMERIC, away_from=(0.0,)), grad=G.relu)
sigmoid = _unary("sigmoid", "out = 1 / (1 + e^-data)", "Logistic sigmoid, element-wise.",
                 domain=_MATH, grad=G.sigmoid)
softsign = _unary("softsign", "out = data / (1 + |data|)", "Softsign, element-wise.",
                  domain=_MATH, grad=G.softsign)
erf = _unary("erf", "out = 2/sqrt(pi) * integral_0^data e^(-t^2) dt", "Gauss error function.",
             domain=_MATH, grad=G.erf)
erfinv = _unary("erfinv", "out = erf^-1(data)", "Inverse error function; +-1 give +-inf.",
                domain=_UNIT, grad=G.erfinv)
gamma = _unary("gamma", "out = Gamma(data)", "The gamma function (NaN at negative integers).",
               domain=Domain(low=0.5, high=3.0, dtypes=FLOATS), grad=G.gamma)
gammaln = _unary("gammaln", "out = ln |Gamma(data)|", "Log of the absolute gamma function.",
                 domain=Domain(low=0.5, high=3.0, dtypes=FLOATS), grad=G.gammaln)
logical_not = _unary("logical_not", "out = (data == 0)", "Logical not, as 0/1 in the input dtype.",
                     grad=NO_GRAD, domain=Domain(dtypes=NUMERIC, integer=True, low=-1, high=1,
                                                 grad=False))
hard_sigmoid = _unary(
    "hard_sigmoid", "out = min(1, max(0, alpha * data + beta))",
    "Piecewise linear sigmoid; alpha and beta are float32 (as in MXNet).", dtype=float_dtype,
    params=(Param("alpha", Float, 0.2, "slope of the hard sigmoid"),
            Param("beta", Float, 0.5, "bias of the hard sigmoid")),
    domain=Domain(dtypes=FLOATS, away_from=(-2.5, 2.5, -2.0, 2.0),
                  attrs=[{}, {"alpha": 0.25, "beta": 0.5}]), grad=G.hard_sigmoid)
clip = _unary("clip", "out = a_max if data > a_max else (a_min if data < a_min else data)",
              "Clip values to [a_min, a_max] (float32 bounds; a_max wins when a_min > a_max).",
              params=(Param("a_min", Float, doc="minimum value"),
                      Param("a_max", Float, doc="maximum value")),
              domain=Domain(dtypes=NUMERIC, away_from=(-1.0, 1.0),
                            attrs=[{"a_min": -1.0, "a_max": 1.0}]), grad=G.clip)
_copy = OpDef("_copy", shape=same_shape, aliases=("identity",), formula="out = data",
              doc="A copy of the input (any dtype, bool included).",
              domain=Domain(dtypes=NUMERIC + ("bool",)), family="elemwise", grad=G.copy)


def _cast_dtype(attrs, dtype):
    return attrs["dtype"]


Cast = OpDef("Cast", params=(Param("dtype", DType, doc="the output type"),), shape=same_shape,
             dtype=_cast_dtype, aliases=("cast",), formula="out = (dtype) data",
             doc="Convert to another dtype; floats to integers truncate toward zero.",
             # grad=False: finite differences of a cast to int32 are 0, but MXNet's (and this) rule
             # passes the head gradient back; tests/test_grads_elemwise.py checks Cast by hand
             domain=Domain(dtypes=NUMERIC + ("bool",), grad=False,
                           attrs=[{"dtype": "float64"}, {"dtype": "int32"}]), family="elemwise",
             grad=G.cast, in_place=False)     # its output has another dtype
