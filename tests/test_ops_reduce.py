"""The reduce family: values against numpy and against what MXNet 1.9.1 printed, MXNet's shape
quirks (a full reduction has shape (1,)), dtype rules, error messages, and the Cython kernels
against the numpy reference.

Expected values marked "MXNet" were observed with a real MXNet 1.9.1 (CPU build).
"""
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minimx as mx
from minimx._kernels import get_backend
from minimx._kernels.reference.reduce import reduce_axes
from minimx.ops import get_op

nd = mx.nd
REF = get_backend("reference").kernels
CPU = get_backend("cpu").kernels
nan, inf = float("nan"), float("inf")
X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def check(x, shape, dtype, values=None, rtol=1e-6):
    assert x.shape == shape, (x.shape, shape)
    assert x.dtype == np.dtype(dtype), (x.dtype, dtype)
    if values is not None:
        np.testing.assert_allclose(x.asnumpy(), np.array(values, dtype=np.float64), rtol=rtol)


# -- shapes: MXNet's axis, keepdims and exclude rules -------------------------------------------
@pytest.mark.parametrize("kwargs, shape, values", [                              # MXNet
    ({}, (1,), [276]),
    ({"keepdims": True}, (1, 1, 1), [[[276]]]),
    ({"axis": ()}, (1,), [276]),
    ({"axis": (), "keepdims": True}, (1, 1, 1), [[[276]]]),
    ({"axis": (), "exclude": True}, (1,), [276]),
    ({"exclude": True}, (1,), [276]),
    ({"exclude": True, "keepdims": True}, (1, 1, 1), [[[276]]]),
    ({"axis": 1, "exclude": True}, (3,), [60, 92, 124]),
    ({"axis": (0, 2), "exclude": True, "keepdims": True}, (2, 1, 4),
     [[[12, 15, 18, 21]], [[48, 51, 54, 57]]]),
    ({"axis": -1}, (2, 3), [[6, 22, 38], [54, 70, 86]]),
    ({"axis": (0, -1)}, (3,), [60, 92, 124]),
    ({"axis": (2, 0)}, (3,), [60, 92, 124]),
    ({"axis": (0, 1, 2)}, (1,), [276]),
    ({"axis": (0, 1, 2), "exclude": True}, (2, 3, 4), X),
    ({"axis": "(0, 2)"}, (3,), [60, 92, 124]),          # the string form symbol JSON stores
])
def test_sum_shapes_as_mxnet(kwargs, shape, values):
    check(nd.sum(nd.array(X), **kwargs), shape, "float32", values)


def test_aliases_and_fluent_methods():
    x = nd.array(X)
    check(nd.sum_axis(x, axis=1), (2, 4), "float32", [[12, 15, 18, 21], [48, 51, 54, 57]])
    check(nd.max_axis(x, axis=(0, 1)), (4,), "float32", [20, 21, 22, 23])
    check(nd.min_axis(x, axis=0), (3, 4), "float32", X[0])
    check(x.sum(axis=1, exclude=True), (3,), "float32", [60, 92, 124])
    check(x.mean(1), (2, 4), "float32", [[4, 5, 6, 7], [16, 17, 18, 19]])


@pytest.mark.parametrize("op, kwargs, values", [                                 # MXNet
    ("mean", {"axis": 1}, [[4, 5, 6, 7], [16, 17, 18, 19]]),
    ("prod", {"axis": 2}, [[0, 840, 7920], [32760, 93024, 212520]]),
    ("max", {"axis": (0, 1)}, [20, 21, 22, 23]),
    ("min", {"axis": 0}, X[0]),
])
def test_values_as_mxnet(op, kwargs, values):
    out = getattr(nd, op)(nd.array(X), **kwargs)
    np.testing.assert_allclose(out.asnumpy(), values, rtol=1e-6)


def test_nan_handling_as_mxnet():
    y = nd.array([[1, nan, 3], [nan, nan, 2]])
    check(nd.nansum(y, axis=1), (2,), "float32", [4, 2])
    check(nd.nanprod(y, axis=1), (2,), "float32", [3, 2])
    check(nd.nansum(y, axis=0), (3,), "float32", [1, 0, 5])
    for op in ("sum", "max", "min", "mean", "prod"):
        assert np.isnan(getattr(nd, op)(y, axis=1).asnumpy()).all(), op


# -- dtypes: the output keeps the input's dtype, integers wrap and truncate -----------------------
Z = [[100, 100, 100], [1, 2, 3]]
DTYPE_TABLE = {                                   # MXNet: op(Z as dtype, axis=1)
    "int32": {"sum": [300, 6], "mean": [100, 2], "prod": [1000000, 6], "max": [100, 3],
              "min": [100, 1], "nansum": [300, 6], "nanprod": [1000000, 6], "norm": [173, 3],
              "argmax": [0, 2], "argmin": [0, 0]},
    "uint8": {"sum": [44, 6], "mean": [14, 2], "prod": [64, 6], "max": [100, 3], "min": [100, 1],
              "nansum": [44, 6], "nanprod": [64, 6], "norm": [173, 3], "argmax": [0, 2],
              "argmin": [0, 0]},
    "int8": {"sum": [44, 6], "mean": [14, 2], "prod": [64, 6], "max": [100, 3], "min": [100, 1],
             "norm": [-83, 3], "argmax": [0, 2], "argmin": [0, 0]},
    "int64": {"sum": [300, 6], "mean": [100, 2], "prod": [1000000, 6], "norm": [173, 3],
              "argmax": [0, 2]},
    "float16": {"sum": [300, 6], "mean": [100, 2], "prod": [inf, 6], "max": [100, 3],
                "argmax": [0, 2]},
    "float64": {"sum": [300, 6], "mean": [100, 2], "prod": [1e6, 6],
                "norm": [173.20508075688772, 3.741657386773941], "argmax": [0, 2]},
}


@pytest.mark.parametrize("dtype, op", [(d, op) for d, ops in DTYPE_TABLE.items() for op in ops])
def test_integer_and_float_dtypes_as_mxnet(dtype, op):
    out = getattr(nd, op)(nd.array(Z, dtype=dtype), axis=1)
    check(out, (2,), dtype, DTYPE_TABLE[dtype][op], rtol=1e-3 if dtype == "float16" else 1e-7)


def test_argmax_channel_keeps_dtype():
    check(nd.argmax_channel(nd.array(Z, dtype="int64")), (2,), "int64", [0, 2])   # MXNet


def test_integer_mean_truncates_toward_zero_and_sums_wrap():
    check(nd.mean(nd.array([-4, -3], dtype="int32")), (1,), "int32", [-3])          # MXNet
    check(nd.mean(nd.array([7, 0], dtype="int32")), (1,), "int32", [3])             # MXNet
    big = nd.array([2 ** 30] * 10, dtype="int32")
    check(nd.sum(big), (1,), "int32", [-2 ** 31])                                   # MXNet
    check(nd.mean(big), (1,), "int32", [-214748364])                                # MXNet


def test_bool_reductions_as_mxnet():
    b = nd.array([[1, 0, 0], [0, 0, 0]], dtype="bool")
    expected = {"sum": [True, False], "mean": [True, False], "prod": [False, False],  # MXNet
                "max": [True, False], "min": [False, False], "nansum": [True, False],
                "norm": [True, False]}
    for op, values in expected.items():
        out = getattr(nd, op)(b, axis=1)
        assert out.dtype == np.bool_ and out.asnumpy().tolist() == values, op
    with pytest.raises(mx.MXNetError, match="bool"):
        nd.argmax(b, axis=1)


def test_float32_sums_are_accurate():
    """A float32 sum accumulates in float64: ten million values sum to the float32 nearest."""
    x = np.random.default_rng(0).random(10_000_000, dtype=np.float32) * 0.2
    exact = x.astype(np.float64).sum()
    got = nd.sum(nd.array(x)).asnumpy()[0]
    assert got == np.float32(exact)
    cols = x.reshape(10000, 1000)
    got = nd.sum(nd.array(cols), axis=0).asnumpy()
    np.testing.assert_array_equal(got, cols.astype(np.float64).sum(0).astype(np.float32))
    # MXNet prints 1000000.0 for ten million float32 0.1s
    assert nd.sum(nd.array(np.full(10 ** 7, 0.1, np.float32))).asnumpy()[0] == 1000000.0


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, match", [
    (lambda x: nd.sum(x, axis=3), "axis 3 is out of range for a 3-d input"),
    (lambda x: nd.sum(x, axis=-4), "axis -4 is out of range for a 3-d input"),
    (lambda x: nd.mean(x, axis=3, exclude=True), "axis 3 is out of range"),
    (lambda x: nd.sum(x, axis=(0, 0)), "axis 0 appears twice"),
    (lambda x: nd.prod(x, axis=(0, -3)), "axis 0 appears twice"),
    (lambda x: nd.argmax(x, axis=3), "axis 3 is out of range for a 3-d input"),
    (lambda x: nd.argmax(x, axis=-4), "axis -4 is out of range"),
    (lambda x: nd.argmax(x, axis=(0, 1)), "expected an int"),
    (lambda x: nd.norm(x, ord=3), "ord=3 is not supported"),
    (lambda x: nd.norm(x, ord=0), "ord=0 is not supported"),
    (lambda x: nd.norm(x, axis=(0, 0)), "appears twice"),
    (lambda x: nd.norm(x, out_dtype="uint8"), "out_dtype"),
    (lambda x: nd.argmax_channel(nd.array([3, 1, 5])), "argmax_channel reduces axis 1"),
    (lambda x: nd.moments(x), "empty axes is not supported"),
    (lambda x: nd.moments(x, axes=3), "axis 3 is out of range"),
    (lambda x: nd.cumsum(x, axis=3), "axis 3 is out of range"),
    (lambda x: nd.cumsum(x, dtype="uint8"), "dtype"),
    (lambda x: nd.sum(x, foo=1), "unexpected parameter"),
])
def test_errors_name_the_problem(call, match):
    with pytest.raises(mx.MXNetError, match=match):
        call(nd.array(X))


def test_error_message_has_a_hint():
    with pytest.raises(mx.MXNetError) as err:
        nd.sum(nd.array(X), axis=5)
    assert "use an axis in -3..2" in str(err.value) and "(2, 3, 4)" in str(err.value)


# -- empty arrays --------------------------------------------------------------------------------
def test_empty_arrays():
    e = nd.array(np.zeros((0, 3), np.float32))
    check(nd.sum(e, axis=0), (3,), "float32", [0, 0, 0])                            # MXNet
    check(nd.sum(e), (1,), "float32", [0])                                          # MXNet
    check(nd.mean(e, axis=0), (3,), "float32", [nan, nan, nan])                     # MXNet
    check(nd.prod(e, axis=0), (3,), "float32", [1, 1, 1])                           # MXNet
    check(nd.nansum(e, axis=0), (3,), "float32", [0, 0, 0])                         # MXNet
    check(nd.nanprod(e, axis=0), (3,), "float32", [1, 1, 1])                        # MXNet
    # NB: MXNet's legacy shapes cannot hold a 0 in an output; minimx's can.
    check(nd.sum(e, axis=1), (0,), "float32")
    for op in ("max", "min"):
        with pytest.raises(mx.MXNetError, match="size 0"):
            getattr(nd, op)(e, axis=0)
    with pytest.raises(mx.MXNetError, match="empty"):
        nd.argmax(e, axis=0)


# -- argmax, argmin, argmax_channel ------------------------------------------------------------
def test_argmax_shapes_as_mxnet():
    x = nd.array(X)
    check(nd.argmax(x), (1,), "float32", [23])
    check(nd.argmax(x, keepdims=True), (1, 1, 1), "float32", [[[23]]])
    check(nd.argmin(x), (1,), "float32", [0])
    check(nd.argmax(x, axis=1), (2, 4), "float32", np.full((2, 4), 2))
    check(nd.argmax(x, axis=-1, keepdims=True), (2, 3, 1), "float32", np.full((2, 3, 1), 3))
    check(nd.argmax(nd.array([3, 1, 5, 5]), axis=0), (1,), "float32", [2])
    check(nd.argmax(nd.array([3, 1, 5, 5]), axis=0, keepdims=True), (1,), "float32", [2])
    check(nd.argmax_channel(x), (2, 4), "float32", np.full((2, 4), 2))
    check(nd.argmax(nd.array(Z, dtype="float64"), axis=1), (2,), "float64", [0, 2])


def test_argmax_ties_and_nan_as_mxnet():
    ties = nd.array([[1, 3, 3, 0], [2, 2, 2, 2], [5, 1, 5, 1]])
    check(nd.argmax(ties, axis=1), (3,), "float32", [1, 0, 0])
    check(nd.argmin(ties, axis=1), (3,), "float32", [3, 0, 1])
    check(nd.argmax(ties), (1,), "float32", [8])
    check(nd.argmax_channel(ties), (3,), "float32", [1, 0, 0])
    with_nan = nd.array([[1, nan, 3], [nan, 5, nan], [1, 2, nan]])
    check(nd.argmax(with_nan, axis=1), (3,), "float32", [1, 0, 2])
    check(nd.argmin(with_nan, axis=1), (3,), "float32", [1, 0, 2])
    check(nd.argmax_channel(with_nan), (3,), "float32", [1, 0, 2])


# -- norm ----------------------------------------------------------------------------------------
XN = X - 10


@pytest.mark.parametrize("kwargs, shape, values", [                              # MXNet
    ({}, (1,), [34.69870376586914]),
    ({"keepdims": True}, (1, 1, 1), [[[34.69870376586914]]]),
    ({"ord": 1}, (1,), [146]),
    ({"ord": 1, "axis": 1}, (2, 4), [[18, 15, 12, 11], [18, 21, 24, 27]]),
    ({"axis": -1}, (2, 3), [[17.14642906188965, 9.273618698120117, 2.4494898319244385],
                            [7.3484697341918945, 15.165750503540039, 23.108440399169922]]),
    ({"axis": (0, 2)}, (3,), [18.65475845336914, 17.77638816833496, 23.237899780273438]),
    ({"axis": (2, 0)}, (3,), [18.65475845336914, 17.77638816833496, 23.237899780273438]),
    ({"axis": (0, 2), "ord": 1}, (3,), [48, 48, 50]),
    ({"axis": (0, 1, 2)}, (1,), [34.69870376586914]),
    ({"axis": ()}, (1,), [34.69870376586914]),
    ({"ord": 1, "axis": 1, "out_dtype": "float32"}, (2, 4), [[18, 15, 12, 11], [18, 21, 24, 27]]),
])
def test_norm_as_mxnet(kwargs, shape, values):
    check(nd.norm(nd.array(XN), **kwargs), shape, "float32", values)


def test_norm_special_values_as_mxnet():
    check(nd.norm(nd.array([3, 4])), (1,), "float32", [5])
    check(nd.norm(nd.array([3e30, 4e30])), (1,), "float32", [5e30])      # no overflow
    check(nd.norm(nd.array([3e-30, 4e-30])), (1,), "float32", [5e-30])   # no underflow
    check(nd.norm(nd.array([3e300, 4e300], dtype="float64")), (1,), "float64", [5e300])
    check(nd.norm(nd.array([3, nan])), (1,), "float32", [nan])
    check(nd.norm(nd.array([3, inf])), (1,), "float32", [inf])
    m = nd.array([[1, 2], [3, 4]])
    check(nd.norm(m, axis=(0, 1)), (1,), "float32", [5.4772257804870605])   # Frobenius
    check(nd.norm(m, axis=(0, 1), ord=1, keepdims=True), (1, 1), "float32", [[10]])  # entrywise
    check(nd.norm(nd.array(XN, dtype="int32"), ord=1, axis=1), (2, 4), "int32",
          [[18, 15, 12, 11], [18, 21, 24, 27]])


def test_norm_out_dtype():
    # NB: MXNet 1.9.1's CPU kernel fails whenever out_dtype differs from the input's dtype;
    # minimx gives what the parameter describes.
    x = nd.array(XN)
    check(nd.norm(x, out_dtype="float64"), (1,), "float64", [34.698703145794944])
    check(nd.norm(x, axis=1, out_dtype="int32"), (2, 4), "int32",
          np.trunc(np.sqrt((XN.astype(np.float64) ** 2).sum(1))))
    check(nd.norm(nd.array(XN, dtype="int32"), axis=1, out_dtype=np.float32), (2, 4), "float32",
          np.sqrt((XN.astype(np.float64) ** 2).sum(1)))


# -- moments and cumsum --------------------------------------------------------------------------
def test_moments_as_mxnet():
    mean, var = nd.moments(nd.array(X), axes=(0, 2))
    check(mean, (3,), "float32", [7.5, 11.5, 15.5])
    check(var, (3,), "float32", [37.25, 37.25, 37.25])
    kept = nd.moments(nd.array(X), axes=(0, 2), keepdims=True)
    assert [a.shape for a in kept] == [(1, 3, 1)] * 2
    assert nd.moments(nd.array(X), axes=(0, 1, 2))[0].shape == (1,)
    assert nd.moments(nd.array(X), axes=(-1, 0))[0].shape == (3,)
    mean, var = nd.moments(nd.array(X, dtype="int32"), axes=1)
    check(mean, (2, 4), "int32", [[4, 5, 6, 7], [16, 17, 18, 19]])
    check(var, (2, 4), "int32", np.full((2, 4), 10))


def test_cumsum_as_mxnet():
    x = nd.array(X)
    check(nd.cumsum(x), (24,), "float32", np.cumsum(X))
    check(nd.cumsum(x, axis=1), (2, 3, 4), "float32", np.cumsum(X, axis=1))
    # NB: MXNet 1.9.1 fails on a negative axis in legacy mode; minimx accepts it.
    check(nd.cumsum(x, axis=-1), (2, 3, 4), "float32", np.cumsum(X, axis=-1))
    check(nd.cumsum(nd.array([1.5, 2.7]), dtype="int32"), (2,), "int32", [1, 3])
    check(nd.cumsum(nd.array([100, 100], dtype="int8")), (2,), "int8", [100, -56])
    for dtype, out in [("int32", "int32"), ("int8", "int8"), ("uint8", "uint8"),
                       ("float16", "float16"), ("bool", "int64")]:
        assert nd.cumsum(nd.array(X, dtype=dtype)).dtype == np.dtype(out), dtype
    assert nd.cumsum(x, dtype="float64").dtype == np.float64
    assert nd.cumsum(nd.array(X, dtype="int32"), dtype="float32").dtype == np.float32


def test_defaults_are_mxnets():
    def defaults(name):
        return {p.name: p.default for p in get_op(name).params}
    for name in ("sum", "mean", "prod", "max", "min", "nansum", "nanprod", "sum_axis", "max_axis",
                 "min_axis"):
        assert defaults(name) == {"axis": None, "keepdims": False, "exclude": False}, name
    assert defaults("norm") == {"ord": 2, "axis": None, "out_dtype": None, "keepdims": False}
    assert defaults("argmax") == defaults("argmin") == {"axis": None, "keepdims": False}
    assert defaults("argmax_channel") == {}
    assert defaults("moments") == {"axes": None, "keepdims": False}
    assert defaults("cumsum") == {"axis": None, "dtype": None}
    assert get_op("cumsum").inputs == ("a",) and get_op("_np_cumsum") is get_op("cumsum")


# -- against numpy, random shapes and axis sets --------------------------------------------------
NUMPY = {"sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
         "nansum": np.nansum, "nanprod": np.nanprod}


@st.composite
def array_and_axes(draw, max_ndim=4):
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=max_ndim)))
    ndim = len(shape)
    axes = draw(st.lists(st.integers(-ndim, ndim - 1), unique_by=lambda a: a % ndim,
                         max_size=ndim))
    data = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1))).uniform(0.5, 1.5, shape)
    return data, tuple(axes), draw(st.booleans()), draw(st.booleans())


@given(array_and_axes(), st.sampled_from(sorted(NUMPY)), st.sampled_from(["float32", "float64"]))
def test_against_numpy(case, op, dtype):
    data, axis, keepdims, exclude = case
    data = data.astype(dtype)
    out = getattr(nd, op)(nd.array(data, dtype=dtype), axis=axis, keepdims=keepdims,
                          exclude=exclude)
    axes = reduce_axes(data.ndim, axis, exclude)
    want = NUMPY[op](data.astype(np.float64), axis=axes, keepdims=keepdims)
    if not keepdims and want.ndim == 0:
        want = want.reshape(1)
    assert out.shape == want.shape and out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5 if dtype == "float32" else 1e-12)


# -- the Cython kernels against the numpy reference ----------------------------------------------
def run_both(name, x, attrs, out_shape, out_dtype=None):
    outs = [np.empty(out_shape, out_dtype or x.dtype) for _ in range(2)]
    with np.errstate(all="ignore"):
        REF[name]((x,), (outs[0],), attrs)
        CPU[name]((x,), (outs[1],), attrs)
    return outs


def assert_same(ref, cpu, dtype):
    np.testing.assert_allclose(cpu, ref, rtol=2e-6 if dtype == np.float32 else 1e-10, atol=0,
                               equal_nan=True)


@st.composite
def kernel_case(draw):
    shape = tuple(draw(st.lists(st.integers(1, 9), min_size=1, max_size=4)))
    ndim = len(shape)
    axis = draw(st.none() | st.lists(st.integers(0, ndim - 1), unique=True).map(tuple))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    x = rng.standard_normal(shape).astype(dtype)
    special = draw(st.sampled_from([None, nan, inf, -inf]))
    if special is not None:
        x.reshape(-1)[rng.integers(0, x.size, 1 + x.size // 10)] = special
    return x, axis, draw(st.booleans())


@given(kernel_case(), st.sampled_from(["sum", "mean", "prod", "max", "min", "nansum", "nanprod"]))
def test_cpu_reductions_match_reference(case, name):
    x, axis, exclude = case
    attrs = {"axis": axis, "keepdims": False, "exclude": exclude}
    axes = reduce_axes(x.ndim, axis, exclude)
    shape = tuple(s for i, s in enumerate(x.shape) if i not in axes) or (1,)
    assert_same(*run_both(name, x, attrs, shape), x.dtype)


@given(kernel_case(), st.sampled_from([1, 2]))
def test_cpu_norm_matches_reference(case, ord):
    x, axis, _ = case
    attrs = {"ord": ord, "axis": axis, "keepdims": False, "out_dtype": None}
    axes = reduce_axes(x.ndim, axis)
    shape = tuple(s for i, s in enumerate(x.shape) if i not in axes) or (1,)
    assert_same(*run_both("norm", x, attrs, shape), x.dtype)


@given(kernel_case(), st.sampled_from(["argmax", "argmin"]))
def test_cpu_argmax_matches_reference(case, name):
    x, axis, _ = case
    axis = None if not axis else axis[0]
    attrs = {"axis": axis, "keepdims": False}
    shape = (1,) if axis is None else tuple(s for i, s in enumerate(x.shape) if i != axis) or (1,)
    ref, cpu = run_both(name, x, attrs, shape)
    np.testing.assert_array_equal(cpu, ref)


# Shapes that reach every path of the Cython kernels: long rows split into chunks for threads,
# rows shorter than the vector lanes, reduced axes that are not one block (a transposed copy),
# column blocks wider than one tile, and size-1 axes between reduced ones.
BIG = [((1, 300001), None), ((3, 70001), (1,)), ((70001, 3), (0,)), ((5, 4099, 3), (0, 2)),
       ((2, 9000), (0,)), ((4099, 2, 3), (0,)), ((7, 1, 5), (0, 2)), ((3, 5, 7), (0, 2)),
       ((3, 5, 700), (1,)), ((6,), (0,)), ((2, 3), (1,))]


@pytest.mark.parametrize("shape, axis", BIG)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cpu_kernels_on_every_path(shape, axis, dtype):
    rng = np.random.default_rng(1)
    x = rng.uniform(0.9, 1.1, shape).astype(dtype)
    axes = reduce_axes(x.ndim, axis)
    out_shape = tuple(s for i, s in enumerate(shape) if i not in axes) or (1,)
    for name in ("sum", "mean", "prod", "max", "min", "nansum"):
        assert_same(*run_both(name, x, {"axis": axis, "keepdims": False, "exclude": False},
                              out_shape), dtype)
    x.reshape(-1)[rng.integers(0, x.size, 3)] = nan
    for name in ("max", "min", "nansum", "sum"):
        assert_same(*run_both(name, x, {"axis": axis, "keepdims": False, "exclude": False},
                              out_shape), dtype)
    if len(axes) == 1:
        for name in ("argmax", "argmin"):
            ref, cpu = run_both(name, x, {"axis": axes[0], "keepdims": False}, out_shape)
            np.testing.assert_array_equal(cpu, ref)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "float16", "bool"])
def test_cpu_kernels_fall_back_for_other_dtypes(dtype):
    x = (np.arange(24).reshape(2, 3, 4) % 5).astype(dtype)
    for name in ("sum", "mean", "max", "prod"):
        ref, cpu = run_both(name, x, {"axis": (1,), "keepdims": False, "exclude": False}, (2, 4))
        np.testing.assert_array_equal(cpu, ref)


def test_cpu_kernels_on_empty_arrays():
    x = np.zeros((0, 3), np.float32)
    for name, shape, attrs in [("sum", (3,), {"axis": (0,), "keepdims": False, "exclude": False}),
                               ("mean", (0,), {"axis": (1,), "keepdims": False, "exclude": False}),
                               ("norm", (3,), {"ord": 2, "axis": (0,), "keepdims": False,
                                               "out_dtype": None})]:
        ref, cpu = run_both(name, x, attrs, shape)
        np.testing.assert_array_equal(cpu, ref)


def test_cpu_extremes_tell_infinity_from_nan():
    for dtype in (np.float32, np.float64):
        for n in (5, 200, 100001):
            x = np.ones(n, dtype)
            x[n // 2] = inf
            x[n // 3] = -inf
            attrs = {"axis": None, "keepdims": False, "exclude": False}
            assert run_both("max", x, attrs, (1,))[1][0] == inf
            assert run_both("min", x, attrs, (1,))[1][0] == -inf
            x[n - 1] = nan
            assert np.isnan(run_both("max", x, attrs, (1,))[1][0])
            ref, cpu = run_both("argmin", x, {"axis": None, "keepdims": False}, (1,))
            assert ref[0] == cpu[0] == n - 1


def test_reduce_axes_covers_all_subsets():
    for ndim in range(1, 5):
        for k in range(ndim + 1):
            for axes in itertools.combinations(range(ndim), k):
                got = reduce_axes(ndim, axes, True)
                assert got == tuple(a for a in range(ndim) if a not in axes) or not axes
