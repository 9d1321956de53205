"""The elemwise family: values against numpy and against what MXNet 1.9.1 printed, MXNet's dtype
rules, error messages, the Cython kernels against the numpy reference, and mx.nd.add & co.

Expected values marked "MXNet" were observed with a real MXNet 1.9.1 (CPU build).
"""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minimx as mx
from minimx._kernels import get_backend
from minimx.ndarray.gen_elemwise import _maximum, _plus_scalar, _rdiv_scalar
from minimx.ops import all_ops
from minimx.ops.opdef import same_shape

nd = mx.nd
REF = get_backend("reference").kernels
CPU = get_backend("cpu").kernels
INT32_MIN, INT64_MIN = -2 ** 31, -2 ** 63
nan, inf = float("nan"), float("inf")


def check(x, values, dtype):
    """``x`` has MXNet's dtype and values (NaN equal to NaN)."""
    assert x.dtype == np.dtype(dtype), (x.dtype, dtype)
    if np.dtype(dtype).kind == "f":
        np.testing.assert_allclose(x.asnumpy(), np.array(values, dtype=dtype), rtol=1e-6, atol=0)
    else:                                       # integers and bools compare exactly
        assert x.asnumpy().tolist() == np.array(values, dtype=dtype).tolist()


# -- integer arithmetic, as MXNet does it ----------------------------------------------------------
A = [7, -7, 0, 3]


@pytest.mark.parametrize("expr, values", [
    (lambda a: a / 2, [3, -3, 0, 1]),                       # truncating division
    (lambda a: a / 2.5, [3, -3, 0, 1]),                     # the scalar becomes int32 2 first
    (lambda a: a % 2, [1, 1, 0, 1]),                        # Python's sign rule
    (lambda a: a % -2, [-1, -1, 0, -1]),
    (lambda a: a % 0, [0, 0, 0, 0]),
    (lambda a: a + 2.5, [9, -5, 2, 5]),
    (lambda a: a * 2.5, [14, -14, 0, 6]),
    (lambda a: a ** 2, [49, 49, 0, 9]),
    (lambda a: a ** 0.5, [1, 1, 1, 1]),                     # x ** int32(0.5) = x ** 0
    (lambda a: a ** -1, [0, 0, INT32_MIN, 0]),              # float32 pow, inf -> INT_MIN
    (lambda a: 2 ** a, [128, 0, 1, 8]),
    (lambda a: 5 - a, [-2, 12, 5, 2]),
    (lambda a: 5 % a, [5, -2, 0, 2]),
    (lambda a: 5 / a, [0, 0, INT32_MIN, 1]),                # _rdiv_scalar divides in float32
    (lambda a: a / nd.array([2, 2, 2, 2], dtype="int32"), [3, -3, 0, 1]),
    (lambda a: a > 0, [1, 0, 0, 1]),
    (lambda a: a > 0.5, [1, 0, 0, 1]),                      # 0.5 -> int32 0
    (lambda a: a == a, [1, 1, 1, 1]),
    (lambda a: nd.maximum(a, 0.5), [7, 0, 0, 3]),
    (lambda a: nd.sqrt(nd.array([4, 2], dtype="int32")), [2, 1]),
    (lambda a: nd.exp(nd.array([1, 2], dtype="int32")), [2, 7]),
    (lambda a: nd.abs(a), [7, 7, 0, 3]),
    (lambda a: nd.sign(a), [1, -1, 0, 1]),
    (lambda a: nd.relu(a), [7, 0, 0, 3]),
    (lambda a: nd.sigmoid(a), [0, 0, 0, 0]),
    (lambda a: nd.square(a), [49, 49, 0, 9]),
    (lambda a: nd.reciprocal(a), [0, 0, INT32_MIN, 0]),
    (lambda a: nd.logical_not(a), [0, 0, 1, 0]),
    (lambda a: nd.degrees(a), [401, -401, 0, 171]),
    (lambda a: nd.erf(a), [1, -1, 0, 0]),
    (lambda a: nd.gamma(a), [720, INT32_MIN, INT32_MIN, 2]),
    (lambda a: nd.rsqrt(a), [0, INT32_MIN, INT32_MIN, 0]),
    (lambda a: nd.clip(a, 0.5, 3.7), [3, 0, 0, 3]),
    (lambda a: nd.broadcast_hypot(a, a * 0 + 3), [7, 7, 3, 4]),
])
def test_int32_arithmetic_matches_mxnet(expr, values):
    check(expr(nd.array(A, dtype="int32")), values, "int32")


def test_integer_division_by_zero_does_not_crash():
    # NB: MXNet dies of SIGFPE here; minimx gives numpy's 0.
    a = nd.array(A, dtype="int32")
    check(a / 0, [0, 0, 0, 0], "int32")
    check(nd.broadcast_div(a, nd.zeros(4, dtype="int32")), [0, 0, 0, 0], "int32")
    check(nd.broadcast_mod(a, nd.zeros(4, dtype="int32")), [0, 0, 0, 0], "int32")


@pytest.mark.parametrize("dtype, expr, values", [
    ("uint8", lambda a: -a, [255, 254]),
    ("uint8", lambda a: a - 3, [254, 255]),
    ("uint8", lambda a: a + 300, [45, 46]),
    ("uint8", lambda a: 3 - a, [2, 1]),
    ("int8", lambda a: a + 200, [-55, -54]),
    ("int8", lambda a: a * -1.7, [-1, -2]),
    ("int8", lambda a: a > 1, [0, 1]),
    ("int64", lambda a: a * 2 ** 40, [2 ** 40, 2 ** 41]),
])
def test_small_and_wide_integers_match_mxnet(dtype, expr, values):
    check(expr(nd.array([1, 2], dtype=dtype)), values, dtype)


def test_int64_precision_matches_mxnet():
    big = nd.array([2 ** 53 + 1, -(2 ** 53 + 1), 2 ** 62 + 1], dtype="int64")
    check(big / 3, [3002399751580331, -3002399751580331, 1537228672809129301], "int64")
    check(big + 1, [2 ** 53 + 2, -(2 ** 53), 2 ** 62 + 2], "int64")
    assert (big % 3).asnumpy().tolist() == [2, 1, 1]               # mod goes through float64
    assert (nd.abs(big)).asnumpy().tolist() == [2 ** 53, 2 ** 53, 2 ** 62]
    assert nd.negative(big).asnumpy().tolist() == [-(2 ** 53 + 1), 2 ** 53 + 1, -(2 ** 62 + 1)]
    assert (nd.array([3], dtype="int64") ** 39).asnumpy().tolist() == [4052555218645155840]
    assert nd.square(nd.array([2 ** 31 + 1], dtype="int64")).asnumpy().tolist() == [2 ** 62]


def test_int32_precision_of_unary_math_matches_mxnet():
    x = nd.array([16777217], dtype="int32")        # 2**24 + 1: exact in float64, not float32
    for f in (nd.floor, nd.ceil, nd.round, nd.rint, nd.fix, nd.trunc, nd.abs, nd.relu):
        assert f(x).asnumpy().tolist() == [16777217], f
    assert nd.square(nd.array([4097], dtype="int32")).asnumpy().tolist() == [16785408]
    assert nd.degrees(x).asnumpy().tolist() == [961263616]
    assert (x ** 1).asnumpy().tolist() == [16777216]
    assert _rdiv_scalar(nd.array([1, 3], dtype="int32"), scalar=16777217).asnumpy().tolist() == \
        [16777216, 5592405]


# -- floating point values -------------------------------------------------------------------------
@pytest.mark.parametrize("f, data, values", [
    (nd.round, [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997], [1, 2, 3, -1, -2, -3, 0]),
    (nd.rint, [0.5, 1.5, 2.5, -0.5, -1.5, -2.5], [0, 1, 2, -1, -2, -3]),   # halves round down
    (nd.fix, [0.5, 1.5, 2.7, -0.5, -1.5, -2.7], [0, 1, 2, -0, -1, -2]),
    (nd.sign, [-2, 0, 3, nan], [-1, 0, 1, 0]),
    (nd.hard_sigmoid, [-3, 0, 1, 3], [0, 0.5, 0.7, 1]),
    (nd.gamma, [0.5, 1, 5, -1.5, 0], [1.7724538, 1, 24, 2.3632717, inf]),
    (nd.gammaln, [0.5, 1, 5, -1.5, 0], [0.5723649, 0, 3.1780539, 0.8600470, inf]),
    (nd.erfinv, [0.5, -1, 1, 2, 0], [0.47693628, -inf, inf, nan, 0]),
    (nd.relu, [nan, -1, 1], [nan, 0, 1]),
    (nd.rcbrt, [8, -8, 0], [0.5, -0.5, inf]),
    (nd.cbrt, [8, -8, 0], [2, -2, 0]),
    (nd.logical_not, [0, -0.0, 2, nan], [1, 1, 0, 0]),
    (nd.softsign, [-1, 0, 3], [-0.5, 0, 0.75]),
    (nd.sigmoid, [-100, 100, -1000], [0, 1, 0]),
    (nd.arccosh, [1, 2, 0.5], [0, 1.3169579, nan]),
    (nd.arctanh, [0, 0.5, 1, 2], [0, 0.5493061, inf, nan]),
    (lambda x: nd.clip(x, 0, 2), [nan, 1, 5], [nan, 1, 2]),
    (lambda x: nd.clip(x, 3, 2), [-1, 1, 5], [3, 3, 2]),        # a_max wins
    (lambda x: nd.hard_sigmoid(x, alpha=0.3, beta=0.4), [1, 5, -2], [0.7, 1, 0]),
    (lambda x: x % 3, [7, -7, 7.5, -7.5], [1, 2, 1.5, 1.5]),
    (lambda x: 7 % x, [3, -3], [1, -2]),
    (lambda x: x % 0, [7, -7], [0, 0]),
    (lambda x: x / 0, [1, -1, 0], [inf, -inf, nan]),
    (lambda x: nd.maximum(x, nd.array([1, nan])), [nan, 1], [nan, nan]),
    (lambda x: nd.maximum(x, 0.0), [nan, 1], [nan, 1]),
    (lambda x: x ** 0, [0.0], [1]),
    (lambda x: 2 ** x, [0.5, -1], [1.4142135, 0.5]),
])
def test_float32_values_match_mxnet(f, data, values):
    check(f(nd.array(data)), values, "float32")


def test_float_mod_matches_mxnet():
    lhs, rhs = nd.array([7, -7, 7, -7]), nd.array([3, 3, -3, -3])
    check(lhs % rhs, [1, 2, -2, -1], "float32")
    check(nd.array([-7, 7], dtype="int32") % nd.array([3, -3], dtype="int32"), [2, -2], "int32")
    check(nd.array([-7, 7.5], dtype="float16") % nd.array([2, -2], dtype="float16"), [1, -0.5],
          "float16")


def test_float32_constants_leak_into_float64_like_mxnet():
    one = nd.array([1], dtype="float64")
    assert nd.degrees(one).asnumpy()[0] == 57.2957763671875                    # float32 180/pi
    assert nd.hard_sigmoid(one).asnumpy()[0] == 0.7000000029802322             # float32 alpha
    assert nd.clip(nd.array([0, 1], dtype="float64"), 0.1, 0.7).asnumpy().tolist() == \
        [0.10000000149011612, 0.699999988079071]                               # float32 bounds
    assert nd.hard_sigmoid(nd.array([1], dtype="float16")).asnumpy()[0] == np.float16(0.7001953125)


def test_float16_stays_float16():
    x = nd.array([1, 2], dtype="float16")
    check(x + 1, [2, 3], "float16")
    check(nd.sqrt(x), [1, 1.4140625], "float16")
    check(x + 1e-4, [1, 2], "float16")
    check(x * 70000, [inf, inf], "float16")
    check(nd.exp(nd.array([1, 12], dtype="float16")), [2.71875, inf], "float16")


UNARY_NUMPY = {
    "abs": np.abs, "exp": np.exp, "expm1": np.expm1, "log": np.log, "log2": np.log2,
    "log10": np.log10, "log1p": np.log1p, "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x),
    "cbrt": np.cbrt, "rcbrt": lambda x: 1 / np.cbrt(x), "square": np.square,
    "reciprocal": lambda x: 1 / x, "negative": np.negative, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "arcsinh": np.arcsinh,
    "arccosh": np.arccosh, "arctanh": np.arctanh,
    # MXNet multiplies by float32 constants, in float64 too (see test_float32_constants_leak...)
    "degrees": lambda x: x * float(np.float32(180) / np.float32(np.pi)),
    "radians": lambda x: x * float(np.float32(np.pi) / np.float32(180)),
    "floor": np.floor, "ceil": np.ceil,
    "trunc": np.trunc, "fix": np.fix, "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "softsign": lambda x: x / (1 + np.abs(x)),
    "erf": np.vectorize(math.erf), "gamma": np.vectorize(math.gamma),
    "gammaln": np.vectorize(math.lgamma), "logical_not": lambda x: (x == 0) * 1.0,
    "identity": lambda x: x,
}


POSITIVE = {"log", "log2", "log10", "sqrt", "rsqrt", "gamma", "gammaln"}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(UNARY_NUMPY))
def test_unary_against_numpy(name, dtype):
    rng = np.random.default_rng(0)
    x = rng.uniform(0.05, 0.95, (3, 5)) * rng.choice([-1, 1], (3, 5))
    if name in POSITIVE:
        x = np.abs(x)
    if name == "arccosh":
        x = 1 + np.abs(x)
    x = x.astype(dtype)
    y = getattr(nd, name)(nd.array(x, dtype=dtype))
    assert y.dtype == np.dtype(dtype) and y.shape == x.shape
    expected = UNARY_NUMPY[name](x.astype(np.float64))
    np.testing.assert_allclose(y.asnumpy(), expected, rtol=2e-6 if dtype == "float32" else 1e-12)


def test_erfinv_inverts_erf():
    y = np.linspace(-0.999999, 0.999999, 201)
    x = nd.erfinv(nd.array(y, dtype="float64")).asnumpy()
    np.testing.assert_allclose(np.vectorize(math.erf)(x), y, rtol=1e-13)


# -- dtype rules -----------------------------------------------------------------------------------
def test_scalar_ops_dtype_rule():
    b = nd.array([1, 0, 1], dtype="bool")
    check(b + 2.5, [3, 2, 3], "int64")                          # MXNet: bool + scalar -> int64
    check(b / 2, [0, 0, 0], "int64")
    check(b > 0, [1, 0, 1], "int64")
    check(2 / b, [2, INT64_MIN, 2], "int64")
    check(_plus_scalar(b, scalar=2.5, is_int=False), [3.5, 2.5, 3.5], "float64")
    i = nd.array([1, 2], dtype="int32")
    check(_plus_scalar(i, scalar=2.5, is_int=False), [3.5, 4.5], "float64")
    check(_plus_scalar(i, scalar=2.5), [3, 4], "int32")
    check(_plus_scalar(i, scalar="2.5", is_int="False"), [3.5, 4.5], "float64")   # JSON strings
    check(_plus_scalar(nd.array([7, -7], dtype="float16"), scalar=2.5, is_int=False), [9.5, -4.5],
          "float16")


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "uint8", "int32",
                                   "int64"])
def test_outputs_keep_the_input_dtype(dtype):
    x = nd.array([1, 2, 3], dtype=dtype)
    for y in (x + x, x - x, x * x, x / x, x % x, x ** x, x == x, x < x, nd.maximum(x, x),
              nd.broadcast_hypot(x, x), nd.broadcast_logical_xor(x, x), nd.sqrt(x), nd.exp(x),
              nd.floor(x), nd.sign(x), nd.clip(x, 0, 2), x + 1, 1 - x, 2 / x, x > 1,
              nd.elemwise_add(x, x), nd.identity(x)):
        assert y.dtype == np.dtype(dtype)


def test_bool_arrays_where_mxnet_allows_them():
    b = nd.array([1, 0, 1], dtype="bool")
    assert nd.identity(b).asnumpy().tolist() == [True, False, True]
    check(nd.Cast(b, dtype="float32"), [1, 0, 1], "float32")
    check(nd.Cast(nd.array([-1.7, 0, 0.2]), dtype="bool"), [True, False, True], "bool")
    for f in (lambda: b + b, lambda: nd.sqrt(b), lambda: nd.broadcast_logical_and(b, b),
              lambda: nd.elemwise_add(b, b), lambda: nd.clip(b, 0, 1), lambda: b == b):
        with pytest.raises(mx.MXNetError, match="bool"):
            f()


def test_cast_truncates_and_wraps_like_mxnet():
    check(nd.Cast(nd.array([-1.7, 2.5, 3.9, 300]), dtype="uint8"), [255, 2, 3, 44], "uint8")
    check(nd.cast(nd.array([-1.7, 2.5, 3.9, 200]), dtype="int8"), [-1, 2, 3, -56], "int8")
    check(nd.Cast(nd.array([nan, inf]), dtype="int32"), [INT32_MIN, INT32_MIN], "int32")
    check(nd.Cast(nd.array([1e5, 0.1]), dtype="float16"), [inf, 0.0999755859375], "float16")


# -- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, words", [
    (lambda: nd.array([1, 2]) + nd.array([1, 2], dtype="float64"), ["same dtype", "float64"]),
    (lambda: nd.elemwise_add(nd.array([1, 2]), nd.array([1, 2, 3])), ["same shape", "broadcast_"]),
    (lambda: nd.broadcast_add(nd.ones((2, 3)), nd.ones((4, 3))),
     ["(2, 3) and (4, 3) cannot be broadcast", "equal or 1"]),
    (lambda: _maximum(nd.ones(2), nd.ones(1)), ["same shape"]),
    (lambda: nd.hard_sigmoid(nd.ones(2, dtype="int32")), ["floating point", "int32"]),
    (lambda: nd.clip(nd.ones(2), 0.5), ["a_max", "missing"]),
    (lambda: nd.clip(nd.ones(2), a_min="x", a_max=1), ["a_min"]),
    (lambda: nd.Cast(nd.ones(2), dtype="bfloat16"), ["dtype"]),
])
def test_bad_input_raises_a_useful_error(call, words):
    with pytest.raises(mx.MXNetError) as err:
        call()
    for w in words:
        assert w in str(err.value)


def test_defaults_are_mxnets():
    from minimx.ops import get_op
    assert get_op("hard_sigmoid").parse({}) == {"alpha": 0.2, "beta": 0.5}
    assert get_op("_plus_scalar").parse({}) == {"scalar": 1.0, "is_int": True}
    for alias, name in [("_PlusScalar", "_plus_scalar"), ("_plus", "elemwise_add"),
                        ("_Plus", "elemwise_add"), ("broadcast_plus", "broadcast_add"),
                        ("broadcast_minus", "broadcast_sub"), ("identity", "_copy"),
                        ("cast", "Cast"), ("_Maximum", "_maximum"),
                        ("_RDivScalar", "_rdiv_scalar")]:
        assert get_op(alias).name == name


# -- mx.nd.add & co: the Python dispatch functions -----------------------------------------------
def test_arith_dispatch():
    x, y = nd.array([1, 2, 3]), nd.array([[1], [2]])
    check(nd.add(x, y), [[2, 3, 4], [3, 4, 5]], "float32")       # broadcast_add
    check(nd.add(x, 1), [2, 3, 4], "float32")
    check(nd.add(1, x), [2, 3, 4], "float32")
    check(nd.subtract(10, x), [9, 8, 7], "float32")               # _rminus_scalar
    check(nd.divide(6, x), [6, 3, 2], "float32")                  # _rdiv_scalar
    check(nd.true_divide(x, 2), [0.5, 1, 1.5], "float32")
    check(nd.modulo(7, x), [0, 1, 1], "float32")
    check(nd.power(2, x), [2, 4, 8], "float32")
    check(nd.power(x, 2), [1, 4, 9], "float32")
    check(nd.multiply(x, x), [1, 4, 9], "float32")
    check(nd.maximum(2, x), [2, 2, 3], "float32")
    check(nd.minimum(x, 2), [1, 2, 2], "float32")
    check(nd.greater(2, x), [1, 0, 0], "float32")                 # 2 > x is x < 2
    check(nd.greater_equal(2, x), [1, 1, 0], "float32")
    check(nd.lesser(2, x), [0, 0, 1], "float32")
    check(nd.lesser_equal(x, 2), [1, 1, 0], "float32")
    check(nd.equal(x, 2), [0, 1, 0], "float32")
    check(nd.not_equal(2, x), [1, 0, 1], "float32")
    check(nd.logical_and(x - 1, 1), [0, 1, 1], "float32")
    check(nd.logical_or(0, x - 1), [0, 1, 1], "float32")
    check(nd.logical_xor(x - 2, x - 1), [1, 1, 0], "float32")
    assert nd.add(2, 3) == 5 and nd.subtract(2, 3) == -1 and nd.power(2, 3) == 8
    assert nd.equal(2, 2) == 1 and nd.greater(2, 3) == 0 and nd.maximum(2, 3) == 3
    assert nd.logical_xor(2, 0) == 1 and nd.modulo(-7, 3) == 2


@pytest.mark.parametrize("f", [nd.add, nd.subtract, nd.multiply, nd.divide, nd.modulo, nd.power,
                               nd.maximum, nd.equal, nd.greater, nd.logical_and])
def test_arith_rejects_other_types(f):
    x = nd.array([1, 2])
    for lhs, rhs in [(x, "a"), ("a", x), (x, [1, 2]), ([1, 2], x), (None, x)]:
        with pytest.raises(TypeError, match="not supported"):
            f(lhs, rhs)


# -- Cython kernels against the reference ----------------------------------------------------------
BINARY = ["broadcast_add", "broadcast_sub", "broadcast_mul", "broadcast_div", "broadcast_maximum",
          "broadcast_minimum", "broadcast_power", "broadcast_hypot", "broadcast_equal",
          "broadcast_not_equal", "broadcast_greater", "broadcast_greater_equal", "broadcast_lesser",
          "broadcast_lesser_equal", "broadcast_logical_and", "broadcast_logical_or",
          "broadcast_logical_xor", "broadcast_mod"]
SCALAR = ["_plus_scalar", "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar",
          "_rdiv_scalar", "_power_scalar", "_rpower_scalar", "_maximum_scalar", "_minimum_scalar",
          "_greater_scalar", "_lesser_scalar", "_mod_scalar", "_equal_scalar"]
UNARY = ["negative", "abs", "relu", "sigmoid", "tanh", "exp", "log", "sqrt", "square", "erf",
         "erfinv", "gamma", "gammaln"]
EXACT = {"broadcast_add", "broadcast_sub", "broadcast_mul", "broadcast_div", "broadcast_maximum",
         "broadcast_minimum", "negative", "abs", "relu", "square"}


def _same(name, got, want):
    if name in EXACT:
        np.testing.assert_array_equal(got, want)
    else:
        # float16: the two backends may round a float32 / float64 intermediate differently
        rtol, atol = {np.dtype(np.float16): (2e-3, 1e-3), np.dtype(np.float32): (1e-5, 1e-6)}.get(
            got.dtype, (1e-12, 1e-12))
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def _data(rng, shape, dtype):
    x = rng.uniform(-3, 3, shape)
    x[rng.random(shape) < 0.1] = 0                  # equal values and zeros for comparisons
    return x.astype(dtype)


@st.composite
def broadcast_shapes(draw):
    """Two shapes that broadcast: a random shape, some axes set to 1 or dropped in each operand."""
    out = draw(st.lists(st.integers(0, 5), min_size=0, max_size=5))
    shapes = []
    for _ in range(2):
        s = [1 if draw(st.booleans()) else d for d in out]
        shapes.append(tuple(s[draw(st.integers(0, len(s))):]))
    return shapes


@settings(max_examples=60)
@given(shapes=broadcast_shapes(), name=st.sampled_from(BINARY),
       dtype=st.sampled_from(["float32", "float64", "int32", "float16"]), seed=st.integers(0, 99))
def test_cpu_binary_kernels_match_reference(shapes, name, dtype, seed):
    rng = np.random.default_rng(seed)
    a, b = (_data(rng, s, dtype) for s in shapes)
    out_shape = np.broadcast_shapes(a.shape, b.shape)
    got, want = np.empty(out_shape, dtype), np.empty(out_shape, dtype)
    with np.errstate(all="ignore"):
        CPU[name]((a, b), (got,), {})
        REF[name]((a, b), (want,), {})
    _same(name, got, want)


@settings(max_examples=40)
@given(n=st.integers(0, 3000), name=st.sampled_from(SCALAR + UNARY),
       dtype=st.sampled_from(["float32", "float64", "int32", "float16"]),
       scalar=st.sampled_from([2.0, -0.5, 0.0, 3.0]), seed=st.integers(0, 99))
def test_cpu_unary_and_scalar_kernels_match_reference(n, name, dtype, scalar, seed):
    x = _data(np.random.default_rng(seed), (n,), dtype)
    got, want = np.empty_like(x), np.empty_like(x)
    CPU[name]((x,), (got,), {"scalar": scalar})
    REF[name]((x,), (want,), {"scalar": scalar})
    _same(name, got, want)


@pytest.mark.parametrize("a_shape, b_shape", [
    ((300000,), (300000,)), ((300000,), (1,)), ((1,), (300000,)),    # one long row, split
    ((1000, 300), (1000, 1)), ((3, 1, 40000), (1, 4, 1)),           # many rows, bands of rows
    ((2, 100000), (2, 1)), ((7, 9, 11, 13, 3), (9, 1, 1, 3))])
@pytest.mark.parametrize("name", ["broadcast_add", "broadcast_sub", "broadcast_maximum",
                                  "broadcast_greater", "broadcast_power"])
def test_cpu_parallel_paths_match_reference(a_shape, b_shape, name):
    rng = np.random.default_rng(1)
    a, b = _data(rng, a_shape, "float32"), _data(rng, b_shape, "float32")
    out_shape = np.broadcast_shapes(a_shape, b_shape)
    got, want = np.empty(out_shape, np.float32), np.empty(out_shape, np.float32)
    CPU[name]((a, b), (got,), {})
    REF[name]((a, b), (want,), {})
    _same(name, got, want)


@pytest.mark.parametrize("name", UNARY + ["_rdiv_scalar", "_minus_scalar"])
def test_cpu_large_unary_matches_reference(name):
    x = np.random.default_rng(2).uniform(-3, 3, 200001).astype(np.float32)
    got, want = np.empty_like(x), np.empty_like(x)
    CPU[name]((x,), (got,), {"scalar": 1.5})
    REF[name]((x,), (want,), {"scalar": 1.5})
    _same(name, got, want)


def test_cpu_kernels_in_place_and_overlapping():
    x = np.arange(10, dtype=np.float32)
    CPU["broadcast_add"]((x, x), (x,), {})                       # out is lhs: x += x
    assert x.tolist() == [2 * i for i in range(10)]
    buf = np.arange(10, dtype=np.float32)
    CPU["broadcast_mul"]((buf[:9], np.full(1, 2, np.float32)), (buf[1:],), {})   # shifted overlap
    assert buf.tolist() == [0] + [2 * i for i in range(9)]
    y = np.arange(6, dtype=np.float64)
    CPU["exp"]((y,), (y,), {})
    np.testing.assert_allclose(y, np.exp(np.arange(6)))
    z = np.ones((3, 4), np.float32)[:, ::2]                      # not contiguous: numpy handles it
    out = np.empty((3, 2), np.float32)
    CPU["broadcast_mul"]((z, z), (out,), {})
    assert out.tolist() == [[1, 1]] * 3


# -- NDArray views and the full path ---------------------------------------------------------------
@settings(max_examples=30)
@given(shapes=broadcast_shapes(), start=st.integers(0, 3), seed=st.integers(0, 99),
       name=st.sampled_from(["broadcast_add", "broadcast_mul", "broadcast_div",
                             "broadcast_minimum", "broadcast_lesser"]))
def test_ndarray_views_broadcast_like_numpy(shapes, start, seed, name):
    """Inputs are windows of bigger arrays (slices at an offset, then reshaped)."""
    rng = np.random.default_rng(seed)
    views, arrays = [], []
    for s in shapes:
        n = int(np.prod(s))
        base = _data(rng, (start + n + 2,), "float32")
        if not s or n == 0:                     # no window to take: a plain array
            arrays.append(base[:1] if not s else np.zeros(s, np.float32))
            views.append(nd.array(arrays[-1]))
        else:
            arrays.append(base[start:start + n].reshape(s))
            views.append(nd.array(base)[start:start + n].reshape(s))
    ufunc = {"broadcast_add": np.add, "broadcast_mul": np.multiply, "broadcast_div": np.divide,
             "broadcast_minimum": np.minimum, "broadcast_lesser": np.less}[name]
    with np.errstate(all="ignore"):
        want = ufunc(*arrays).astype(np.float32)
    got = getattr(nd, name)(*views)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.asnumpy(), want)


def test_out_and_in_place_operators():
    x = nd.array([1, 2, 3])
    x += 1
    x *= nd.array([2])
    x -= 1
    x /= 2
    np.testing.assert_allclose(x.asnumpy(), [1.5, 2.5, 3.5])
    out = nd.zeros((3,))
    nd.broadcast_add(x, x, out=out)
    np.testing.assert_allclose(out.asnumpy(), [3, 5, 7])
    y = nd.arange(10)
    nd.relu(y[2:5], out=y[5:8])                                 # a view of the same chunk
    assert y.asnumpy().tolist() == [0, 1, 2, 3, 4, 2, 3, 4, 8, 9]


def test_zero_size_arrays():
    z = nd.broadcast_add(nd.zeros((0, 3)), nd.ones((1, 3)))
    assert z.shape == (0, 3) and z.asnumpy().size == 0
    assert nd.exp(nd.zeros((0,))).shape == (0,)
    assert (nd.zeros((2, 0)) * 2).shape == (2, 0)


# -- every op of the family on its declared Domain, on both backends -----------------------------
def _domain_inputs(op, dtype, rng):
    d = op.domain
    if d.make_inputs is not None:
        return d.make_inputs(rng, dtype, {})
    shape = (2, 3)
    shapes = [shape, (1, 3)] if len(op.inputs) == 2 and op.shape is not same_shape else \
        [shape] * len(op.inputs)
    xs = []
    for s in shapes:
        x = rng.integers(d.low, d.high + 1, s) if d.integer else rng.uniform(d.low, d.high, s)
        for p in d.away_from:
            x = np.where(np.abs(x - p) < 0.1, p + 0.1, x)
        xs.append(x.astype(dtype))
    return xs


ELEMWISE_OPS = [op for op in all_ops() if op.family == "elemwise"]


@pytest.mark.parametrize("op", ELEMWISE_OPS, ids=lambda op: op.name)
def test_every_op_runs_its_domain_on_both_backends(op):
    rng = np.random.default_rng(3)
    for dtype in op.domain.dtypes:
        for attrs in op.domain.attrs:
            parsed = op.parse(dict(attrs))
            xs = _domain_inputs(op, dtype, rng)
            shape = op.shape(parsed, *[x.shape for x in xs])
            out_dtype = op.dtype(parsed, *[x.dtype for x in xs])
            got, want = np.empty(shape, out_dtype), np.empty(shape, out_dtype)
            with np.errstate(all="ignore"):
                CPU[op.kernel](tuple(xs), (got,), parsed)
                REF[op.kernel](tuple(xs), (want,), parsed)
            assert np.isfinite(want.astype(np.float64)).all(), (op.name, dtype, attrs)
            _same(op.kernel, got, want)


def test_family_is_complete():
    names = {n for op in ELEMWISE_OPS for n in (op.name,) + op.aliases}
    assert len(ELEMWISE_OPS) == 105
    for name in ["abs", "sign", "rcbrt", "erfinv", "gammaln", "logical_not", "hard_sigmoid",
                 "identity", "Cast", "clip", "elemwise_add", "elemwise_div", "broadcast_hypot",
                 "broadcast_logical_xor", "_hypot_scalar", "_logical_xor_scalar", "_rpower_scalar",
                 "_maximum", "_Greater_Equal", "_RModScalar"]:
        assert name in names, name
