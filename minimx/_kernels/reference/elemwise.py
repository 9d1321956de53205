"""numpy kernels of the elemwise family: ``out = f(inputs)`` element by element; the spec.

Each kernel computes in the precision MXNet 1.9.1 computes in, then writes ``outs[0]`` with a C cast
(``_store``: floats to integers truncate toward zero; NaN and infinities become the most negative
integer, as on x86). MXNet's rules, from ``src/operator/mshadow_op.h`` and ``math_functions-inl.h``:

1. float32 and float64 compute in their own precision, float16 in float32.
2. Integer inputs of unary math (``sqrt``, ``exp``, ``abs``, ``floor``...) compute in float64;
   ``square``, ``reciprocal``, ``degrees`` and ``radians`` in float32. ``sqrt`` of int32 4 is 2.
3. Integer ``+ - *``, comparisons, ``max``/``min`` are exact integer arithmetic (wrapping); integer
   division truncates toward zero; ``power``, ``hypot`` and the reflected division ``scalar / x``
   compute in float32; ``mod`` computes in float64 with Python's sign rule and ``x mod 0 = 0``.
4. An op with a scalar casts the scalar to the output dtype first (``int32 + 2.5`` adds 2), after
   casting the data to the output dtype when they differ (bool data, ``is_int=False``).

NB: MXNet crashes the process on an integer division by zero; here it gives 0 (numpy's answer).
"""
import math

import numpy as np

__all__ = ["KERNELS"]

_F32, _F64 = np.dtype(np.float32), np.dtype(np.float64)


def _store(result, out):
    """Write ``result`` into ``out`` with a C cast (unsafe: wraps, truncates)."""
    np.copyto(out, result, casting="unsafe")


def _as(x, dtype):
    return x if x.dtype == dtype else x.astype(dtype)


def _compute_type(dtype, for_ints=_F64):
    """The dtype MXNet's ``math::`` functions compute in for inputs of ``dtype``."""
    if dtype.kind in "iub":
        return for_ints
    return _F32 if dtype == np.float16 else dtype


# -- binary math on two arrays of one dtype (numpy broadcasting = MXNet's) -------------------------
def _int_divide(a, b):
    """C's integer division: the quotient truncated toward zero; x / 0 is 0 (MXNet: SIGFPE)."""
    q = np.floor_divide(a, b)
    return q + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0)))


def divide(a, b):
    return _int_divide(a, b) if a.dtype.kind in "iu" else np.divide(a, b)


def rdivide(a, b):
    """``a / b`` for the reflected scalar op: MXNet computes ``float(a) / float(b)``."""
    t = _compute_type(b.dtype, _F32)
    return np.divide(_as(a, t), _as(b, t))


def mod(a, b):
    """Python's modulo (the result has the sign of ``b``), computed in float64; ``x mod 0 = 0``."""
    x, y = _as(a, _F64), _as(b, _F64)
    r = np.fmod(x, y)
    r = np.where((r != 0) & ((r < 0) != (y < 0)), r + y, r)
    return np.where(y == 0, 0.0, r)


def _float32_for_ints(ufunc):
    """A binary ufunc MXNet computes in float32 for integer inputs (``math::pow``, ``hypot``)."""
    def f(a, b):
        t = _compute_type(a.dtype, _F32)
        return ufunc(_as(a, t), _as(b, t))
    f.__name__ = ufunc.__name__
    return f


power = _float32_for_ints(np.power)
hypot = _float32_for_ints(np.hypot)


def logical_and(a, b):
    return np.logical_and(a != 0, b != 0)


def logical_or(a, b):
    return np.logical_or(a != 0, b != 0)


def logical_xor(a, b):
    return np.logical_xor(a != 0, b != 0)


def _binary(f):
    """A broadcasting binary kernel from ``f(lhs, rhs)``."""
    def kernel(ins, outs, attrs):
        with np.errstate(all="ignore"):
            _store(f(ins[0], ins[1]), outs[0])
    kernel.__name__ = f.__name__
    return kernel


def _scalar(f, reflected=False):
    """``f(data, scalar)`` (or ``f(scalar, data)``), both in the output dtype first, as in MXNet."""
    def kernel(ins, outs, attrs):
        out = outs[0]
        data = _as(ins[0], out.dtype)
        with np.errstate(all="ignore"):
            scalar = np.array(attrs["scalar"]).astype(out.dtype)
            _store(f(scalar, data) if reflected else f(data, scalar), out)
    kernel.__name__ = f.__name__
    return kernel


# -- unary math ------------------------------------------------------------------------------------
def _math(f, for_ints=_F64):
    """A unary kernel computing ``f`` in MXNet's precision (see the module docstring)."""
    def kernel(ins, outs, attrs):
        x = ins[0]
        with np.errstate(all="ignore"):
            _store(f(_as(x, _compute_type(x.dtype, for_ints))), outs[0])
    kernel.__name__ = getattr(f, "__name__", "kernel")
    return kernel


def _exact(f):
    """A unary kernel computing ``f`` in the input's own dtype (integers stay exact)."""
    def kernel(ins, outs, attrs):
        with np.errstate(all="ignore"):
            _store(f(ins[0]), outs[0])
    kernel.__name__ = f.__name__
    return kernel


def sign(x):
    """-1, 0 or 1; NaN gives 0 (MXNet tests ``x < 0`` and ``x > 0``)."""
    return np.where(x > 0, 1, np.where(x < 0, -1, 0))


def relu(x):
    return np.where(np.isnan(x) | (x > 0), x, 0) if x.dtype.kind == "f" else np.maximum(x, 0)


def logical_not(x):
    return x == 0


def round_half_away(x):
    """C's ``round``: to the nearest integer, halves away from zero (numpy's round is half-even)."""
    r = np.trunc(x)
    return np.where(np.abs(x - r) >= 0.5, r + np.sign(x), r)


def rint_half_down(x):
    """MXNet's ``rint``: ``floor`` unless ``ceil`` is strictly nearer, so halves round down."""
    f, c = np.floor(x), np.ceil(x)
    return np.where((x - f) <= (c - x), f, c)


_DEGREES = np.float32(180.0) / np.float32(math.pi)    # MXNet's constant is float32: 180.0f / PI
_RADIANS = np.float32(math.pi) / np.float32(180.0)


def _ufunc_of(scalar_fn, nan_for_errors=True):
    """Vectorise a ``math`` function; a domain error gives NaN, an overflow inf (C's answers)."""
    def f(x):
        try:
            return scalar_fn(x)
        except OverflowError:
            return math.inf
        except ValueError:
            return math.nan if nan_for_errors else math.inf
    u = np.frompyfunc(f, 1, 1)

    def vectorised(x):
        return u(x.astype(np.float64)).astype(np.float64)
    vectorised.__name__ = scalar_fn.__name__
    return vectorised


def _tgamma(x):
    if x == 0:                                # C's tgamma(+-0) is +-inf, math.gamma raises
        return math.copysign(math.inf, x)
    return math.gamma(x)


erf = _ufunc_of(math.erf)
erfc = _ufunc_of(math.erfc)
gamma = _ufunc_of(_tgamma)
gammaln = _ufunc_of(math.lgamma, nan_for_errors=False)   # lgamma at the poles is +inf


def erfinv(y):
    """Inverse error function: Giles' approximation, then Newton steps on ``erfc`` (double).

    Solving ``erfc(x) = 1 - |y|`` instead of ``erf(x) = |y|`` near 1 keeps full precision there.
    """
    y = np.asarray(y, np.float64)
    a = np.abs(y)
    w = -np.log((1.0 - a) * (1.0 + a))
    small = w < 5.0
    ws, wl = w - 2.5, np.sqrt(w) - 3.0
    ps = np.polyval([2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                     0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941], ws)
    pl = np.polyval([-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                     0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682], wl)
    x = np.where(small, ps, pl) * a
    near_one = a > 0.5
    for _ in range(3):
        # Newton on erf(x) = a, or on erfc(x) = 1 - a near 1 where 1 - a keeps the precision.
        residual = np.where(near_one, (1.0 - a) - erfc(x), erf(x) - a)
        x = np.where(np.isfinite(x), x - residual / (2 / math.sqrt(math.pi) * np.exp(-x * x)), x)
    x = np.where(a == 1.0, np.inf, np.where(a > 1.0, np.nan, x))
    return np.copysign(x, y)


def hard_sigmoid(ins, outs, attrs):
    """``clip(alpha * x + beta, 0, 1)``; alpha and beta are float32, NaN stays NaN."""
    x = ins[0]
    x = _as(x, _compute_type(x.dtype))
    alpha, beta = np.float32(attrs["alpha"]), np.float32(attrs["beta"])
    with np.errstate(all="ignore"):
        r = (alpha * x + beta).astype(outs[0].dtype)     # MXNet rounds to DType, then clamps
        _store(np.where(r > 1, 1, np.where(r < 0, 0, r)), outs[0])


def clip(ins, outs, attrs):
    """``a_max`` where x > a_max, else ``a_min`` where x < a_min, else x (float32 bounds)."""
    x, out = ins[0], outs[0]
    lo, hi = np.float64(np.float32(attrs["a_min"])), np.float64(np.float32(attrs["a_max"]))
    with np.errstate(all="ignore"):
        np.copyto(out, x)                  # integers stay exact: only clipped entries change
        np.copyto(out, np.array(lo).astype(out.dtype), where=x < lo)
        np.copyto(out, np.array(hi).astype(out.dtype), where=x > hi)   # a_max wins


def copy(ins, outs, attrs):
    np.copyto(outs[0], ins[0])


def cast(ins, outs, attrs):
    with np.errstate(all="ignore"):
        np.copyto(outs[0], ins[0], casting="unsafe")


_BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": divide, "mod": mod,
    "power": power, "maximum": np.maximum, "minimum": np.minimum, "hypot": hypot,
    "equal": np.equal, "not_equal": np.not_equal, "greater": np.greater,
    "greater_equal": np.greater_equal, "lesser": np.less, "lesser_equal": np.less_equal,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
}

KERNELS = {f"broadcast_{name}": _binary(f) for name, f in _BINARY.items()}
KERNELS.update({
    "_plus_scalar": _scalar(np.add),
    "_minus_scalar": _scalar(np.subtract),
    "_rminus_scalar": _scalar(np.subtract, reflected=True),
    "_mul_scalar": _scalar(np.multiply),
    "_div_scalar": _scalar(divide),
    "_rdiv_scalar": _scalar(rdivide, reflected=True),
    "_mod_scalar": _scalar(mod),
    "_rmod_scalar": _scalar(mod, reflected=True),
    "_power_scalar": _scalar(power),
    "_rpower_scalar": _scalar(power, reflected=True),
    "_maximum_scalar": _scalar(np.maximum),
    "_minimum_scalar": _scalar(np.minimum),
    "_hypot_scalar": _scalar(hypot),
    "_equal_scalar": _scalar(np.equal),
    "_not_equal_scalar": _scalar(np.not_equal),
    "_greater_scalar": _scalar(np.greater),
    "_greater_equal_scalar": _scalar(np.greater_equal),
    "_lesser_scalar": _scalar(np.less),
    "_lesser_equal_scalar": _scalar(np.less_equal),
    "_logical_and_scalar": _scalar(logical_and),
    "_logical_or_scalar": _scalar(logical_or),
    "_logical_xor_scalar": _scalar(logical_xor),
    # unary ops computed in the input's dtype
    "negative": _exact(np.negative),
    "sign": _exact(sign),
    "relu": _exact(relu),
    "logical_not": _exact(logical_not),
    # unary math in MXNet's precision
    "abs": _math(np.abs),
    "exp": _math(np.exp), "expm1": _math(np.expm1),
    "log": _math(np.log), "log2": _math(np.log2), "log10": _math(np.log10),
    "log1p": _math(np.log1p),
    "sqrt": _math(np.sqrt), "rsqrt": _math(lambda x: 1 / np.sqrt(x)),
    "cbrt": _math(np.cbrt), "rcbrt": _math(lambda x: 1 / np.cbrt(x)),
    "square": _math(np.square, for_ints=_F32),
    "reciprocal": _math(lambda x: 1 / x, for_ints=_F32),
    "sin": _math(np.sin), "cos": _math(np.cos), "tan": _math(np.tan),
    "arcsin": _math(np.arcsin), "arccos": _math(np.arccos), "arctan": _math(np.arctan),
    "sinh": _math(np.sinh), "cosh": _math(np.cosh), "tanh": _math(np.tanh),
    "arcsinh": _math(np.arcsinh), "arccosh": _math(np.arccosh), "arctanh": _math(np.arctanh),
    "degrees": _math(lambda x: _DEGREES * x, for_ints=_F32),
    "radians": _math(lambda x: _RADIANS * x, for_ints=_F32),
    "floor": _math(np.floor), "ceil": _math(np.ceil), "round": _math(round_half_away),
    "rint": _math(rint_half_down), "fix": _math(np.trunc), "trunc": _math(np.trunc),
    "sigmoid": _math(lambda x: 1 / (1 + np.exp(-x))),
    "softsign": _math(lambda x: x / (1 + np.abs(x))),
    "erf": _math(erf), "erfinv": _math(erfinv), "gamma": _math(gamma), "gammaln": _math(gammaln),
    "hard_sigmoid": hard_sigmoid,
    "clip": clip,
    "_copy": copy,
    "Cast": cast,
})
