"""Gradient rules of the elemwise family (``elemwise.py`` names each next to its op:
``grad=G.exp``).

Every rule is written with differentiable ops (``F`` is ``mx.nd``; NDArray operators call the
scalar and broadcasting ops), so it runs on the engine and ``create_graph=True`` differentiates it
again. Masks come from comparison ops, which are ``NO_GRAD``: constants to autograd, as they should
be (the second derivative of ``relu`` is 0).

MXNet's choices at the kinks, checked against MXNet 1.9.1 and kept here:

- ``relu'(0) = 0`` (mask ``x > 0``), ``abs'(0) = sign(0) = 0``;
- ``clip``: gradient 1 on the closed interval ``a_min <= x <= a_max`` (float32 bounds, compared
  with x as the forward does), 0 outside, and 0 everywhere when ``a_min > a_max``;
- ``hard_sigmoid``: ``alpha`` (as float32) where ``0 < out < 1`` strictly, 0 on the flat parts;
- ``maximum``: ties send the gradient to lhs (``lhs >= rhs``); ``minimum`` too (``lhs <= rhs``);
  the scalar forms use ``x >= scalar`` and ``x <= scalar``;
- ``mod``: ``d/dlhs = 1``, ``d/drhs = -floor(lhs / rhs)``; ``rmod``: ``-floor(scalar / x)``;
- ``power``: ``d/dlhs = rhs * lhs^(rhs-1)``, ``d/drhs = out * ln(lhs)`` (NaN for lhs <= 0, as
  MXNet);
- ``floor``/``ceil``/``round``/``rint``/``fix``/``trunc``/``sign``: a zero gradient (MXNet writes 0
  into ``x.grad``; NO_GRAD would leave an earlier value there).

``digamma`` (for ``gammaln`` and ``gamma``) is not an op in MXNet 1.x; it is composed here from
``log``, ``tan`` and arithmetic, so it is differentiable too (its derivative is the trigamma).
"""
import math

import numpy as np

from .gradutil import unbroadcast, zeros_for

__all__ = ["digamma"]

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0
# MXNet's degrees/radians use float32 constants in the forward and the backward alike
_DEGREES = float(np.float32(180.0) / np.float32(math.pi))
_RADIANS = float(np.float32(math.pi) / np.float32(180.0))


def _unary(derivative):
    """A rule ``[g * derivative(F, x, out, attrs)]`` for a one-input, one-output op."""
    def rule(F, attrs, inputs, outputs, out_grads):
        return [out_grads[0] * derivative(F, inputs[0], outputs[0], attrs)]
    return rule


def _unary_g(fn):
    """A rule ``[fn(F, g, x, out, attrs)]``, for rules that are cheaper written on g directly."""
    def rule(F, attrs, inputs, outputs, out_grads):
        return [fn(F, out_grads[0], inputs[0], outputs[0], attrs)]
    return rule


def _binary(fn):
    """A broadcasting binary rule: ``fn`` gives both gradients at the output's shape."""
    def rule(F, attrs, inputs, outputs, out_grads):
        lhs, rhs = inputs
        dl, dr = fn(F, out_grads[0], lhs, rhs, outputs[0])
        return [unbroadcast(F, dl, lhs.shape), unbroadcast(F, dr, rhs.shape)]
    return rule


def zero(F, attrs, inputs, outputs, out_grads):
    """Piecewise-constant ops: the gradient is 0 wherever it exists (MXNet writes zeros)."""
    return [zeros_for(F, inputs[0])]


def digamma(F, x):
    """psi(x) = d ln Gamma(x) / dx, made of differentiable ops.

    Below 0.5 the reflection psi(x) = psi(1 - x) - pi / tan(pi x) moves x to 1 - x > 0.5; the
    recurrence psi(x) = psi(x + 6) - sum_{k<6} 1 / (x + k) then brings it above 6.5, where the
    asymptotic series (to x^-10; error below 1e-11) is used. The reflected branch is selected with
    0/1 masks, and ``tan`` sees a harmless 0.25 where the reflection is not used, so no inf reaches
    the unused branch (whose zero weight would otherwise give NaN).
    """
    m = x < 0.5                                       # 0/1 in x's dtype, a constant to autograd
    xs = x + m * (1.0 - x * 2.0)                      # 1 - x where reflected, else x
    shift = 1.0 / xs
    for k in range(1, 6):
        shift = shift + 1.0 / (xs + float(k))
    y = xs + 6.0
    r2 = 1.0 / F.square(y)
    tail = r2 * (1 / 12 - r2 * (1 / 120 - r2 * (1 / 252 - r2 * (1 / 240 - r2 * (1 / 132)))))
    psi = F.log(y) - 0.5 / y - tail - shift
    t = x * m + (1.0 - m) * 0.25                      # x where reflected, else a safe 0.25
    return psi - m * (math.pi / F.tan(t * math.pi))


# -- unary math ------------------------------------------------------------------------------------
negative = _unary_g(lambda F, g, x, y, a: -g)
abs = _unary(lambda F, x, y, a: F.sign(x))            # abs'(0) = sign(0) = 0, as MXNet
sign = floor = ceil = round = rint = fix = trunc = zero
exp = _unary(lambda F, x, y, a: y)
expm1 = _unary(lambda F, x, y, a: y + 1.0)
log = _unary_g(lambda F, g, x, y, a: g / x)
log2 = _unary_g(lambda F, g, x, y, a: g / (x * _LN2))
log10 = _unary_g(lambda F, g, x, y, a: g / (x * _LN10))
log1p = _unary_g(lambda F, g, x, y, a: g / (x + 1.0))
sqrt = _unary_g(lambda F, g, x, y, a: g / (y * 2.0))
rsqrt = _unary(lambda F, x, y, a: y * F.square(y) * -0.5)
cbrt = _unary_g(lambda F, g, x, y, a: g / (F.square(y) * 3.0))
rcbrt = _unary(lambda F, x, y, a: F.square(F.square(y)) * (-1.0 / 3.0))
square = _unary(lambda F, x, y, a: x * 2.0)
reciprocal = _unary(lambda F, x, y, a: -F.square(y))
sin = _unary(lambda F, x, y, a: F.cos(x))
cos = _unary(lambda F, x, y, a: -F.sin(x))
tan = _unary(lambda F, x, y, a: F.square(y) + 1.0)
arcsin = _unary_g(lambda F, g, x, y, a: g / F.sqrt(1.0 - F.square(x)))
arccos = _unary_g(lambda F, g, x, y, a: -g / F.sqrt(1.0 - F.square(x)))
arctan = _unary_g(lambda F, g, x, y, a: g / (F.square(x) + 1.0))
sinh = _unary(lambda F, x, y, a: F.cosh(x))
cosh = _unary(lambda F, x, y, a: F.sinh(x))
tanh = _unary(lambda F, x, y, a: 1.0 - F.square(y))
arcsinh = _unary_g(lambda F, g, x, y, a: g / F.sqrt(F.square(x) + 1.0))
arccosh = _unary_g(lambda F, g, x, y, a: g / F.sqrt(F.square(x) - 1.0))
arctanh = _unary_g(lambda F, g, x, y, a: g / (1.0 - F.square(x)))
degrees = _unary_g(lambda F, g, x, y, a: g * _DEGREES)
radians = _unary_g(lambda F, g, x, y, a: g * _RADIANS)
relu = _unary(lambda F, x, y, a: x > 0.0)             # relu'(0) = 0, as MXNet
sigmoid = _unary(lambda F, x, y, a: y * (1.0 - y))
softsign = _unary_g(lambda F, g, x, y, a: g / F.square(F.abs(x) + 1.0))
erf = _unary(lambda F, x, y, a: F.exp(-F.square(x)) * _TWO_OVER_SQRT_PI)
erfinv = _unary(lambda F, x, y, a: F.exp(F.square(y)) * _SQRT_PI_OVER_TWO)
gamma = _unary(lambda F, x, y, a: y * digamma(F, x))
gammaln = _unary(lambda F, x, y, a: digamma(F, x))


def hard_sigmoid(F, attrs, inputs, outputs, out_grads):
    """alpha (float32, as the forward) where 0 < out < 1 strictly; 0 on the flat parts."""
    y = outputs[0]
    return [out_grads[0] * ((y > 0.0) * (y < 1.0)) * float(np.float32(attrs["alpha"]))]


def clip(F, attrs, inputs, outputs, out_grads):
    """1 on the closed interval [a_min, a_max] (float32 bounds), else 0: MXNet's rule."""
    x = inputs[0]
    lo, hi = float(np.float32(attrs["a_min"])), float(np.float32(attrs["a_max"]))
    return [out_grads[0] * ((x >= lo) * (x <= hi))]


def copy(F, attrs, inputs, outputs, out_grads):
    return [out_grads[0]]


def cast(F, attrs, inputs, outputs, out_grads):
    """The head gradient cast back to the input's dtype."""
    return [F.Cast(out_grads[0], dtype=inputs[0].dtype)]


# -- binary ops (broadcasting and same-shape share these) -----------------------------------------
add = _binary(lambda F, g, l, r, y: (g, g))
sub = _binary(lambda F, g, l, r, y: (g, -g))
mul = _binary(lambda F, g, l, r, y: (g * r, g * l))
div = _binary(lambda F, g, l, r, y: (g / r, -(g * l) / F.square(r)))
mod = _binary(lambda F, g, l, r, y: (g, -(g * F.floor(l / r))))
power = _binary(lambda F, g, l, r, y: (g * r * F.broadcast_power(l, r - 1.0), g * y * F.log(l)))
maximum = _binary(lambda F, g, l, r, y: (g * (l >= r), g * (l < r)))     # a tie goes to lhs
minimum = _binary(lambda F, g, l, r, y: (g * (l <= r), g * (l > r)))     # a tie goes to lhs
hypot = _binary(lambda F, g, l, r, y: (g * l / y, g * r / y))


# -- ops with a scalar -----------------------------------------------------------------------------
def _scalar(fn):
    """A rule ``[fn(F, g, x, out, scalar)]`` for an op with a scalar."""
    def rule(F, attrs, inputs, outputs, out_grads):
        return [fn(F, out_grads[0], inputs[0], outputs[0], attrs["scalar"])]
    return rule


def _log(s):
    with np.errstate(all="ignore"):
        return float(np.log(np.float64(s)))          # NaN or -inf for s <= 0, as MXNet's log


plus_scalar = minus_scalar = mod_scalar = _scalar(lambda F, g, x, y, s: g)
rminus_scalar = _scalar(lambda F, g, x, y, s: -g)
mul_scalar = _scalar(lambda F, g, x, y, s: g * s)
div_scalar = _scalar(lambda F, g, x, y, s: g / s)
rdiv_scalar = _scalar(lambda F, g, x, y, s: g * -s / F.square(x))
rmod_scalar = _scalar(lambda F, g, x, y, s: -(g * F.floor(s / x)))
power_scalar = _scalar(lambda F, g, x, y, s: g * s * x ** (s - 1.0))
rpower_scalar = _scalar(lambda F, g, x, y, s: g * y * _log(s))
maximum_scalar = _scalar(lambda F, g, x, y, s: g * (x >= s))
minimum_scalar = _scalar(lambda F, g, x, y, s: g * (x <= s))
hypot_scalar = _scalar(lambda F, g, x, y, s: g * x / y)
