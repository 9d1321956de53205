"""The pool family: Pooling (max, avg, sum, lp) in 1-d, 2-d and 3-d, on both backends.

Expected values marked "MXNet 1.9.1" were printed by real MXNet (its own CPU kernels, which its
oneDNN path agrees with wherever oneDNN accepts the parameters).
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minimx as mx
from minimx._kernels import get_backend
from minimx.ops import get_op

REF = get_backend("reference").kernels
CPU = get_backend("cpu").kernels
LOWEST32 = float(np.finfo(np.float32).min)

X = np.array([[[[3, -1, 4, 1, -5], [9, 2, -6, 5, 3], [5, -8, 9, 7, -9], [3, 2, 3, -8, 4]]]],
             dtype=np.float32)
X1 = np.array([[[3, 1, 4, 1, 5, 9, 2, 6, 5]]], dtype=np.float32)


def pool(x, **kw):
    return mx.nd.Pooling(mx.nd.array(x), **kw).asnumpy()


# -- values observed in MXNet 1.9.1 --------------------------------------------------------------
@pytest.mark.parametrize("kw, expected", [
    (dict(kernel=(2, 2)), [[9, 4, 5, 5], [9, 9, 9, 7], [5, 9, 9, 7]]),
    (dict(kernel=(2, 2), stride=(2, 2), pooling_convention="full"), [[9, 5, 3], [5, 9, 4]]),
    (dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg"),
     [[1.4444444, 0.5555556, 0.4444444], [1.4444444, 0.6666667, 0.2222223]]),
    (dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg", count_include_pad=False),
     [[3.25, 0.8333333, 1.0], [2.1666667, 0.6666667, 0.3333333]]),
    (dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg", pooling_convention="full"),
     [[1.4444444, 0.5555556, 0.4444444], [1.4444444, 0.6666667, 0.2222223],
      [0.8333334, -0.5, -0.6666667]]),
    (dict(kernel=(2, 3), stride=(2, 2), pool_type="sum", pooling_convention="full"),
     [[11, 2], [14, 6]]),
    (dict(kernel=(2, 2), stride=(2, 2), pool_type="lp", p_value=1), [[13, 4], [2, 11]]),
    (dict(kernel=(2, 2), stride=(2, 2), pool_type="lp", p_value=2),
     [[9.7467947, 8.8317604], [10.0995045, 14.2478065]]),
    (dict(kernel=(2, 2), stride=(2, 2), pool_type="lp", p_value=3),
     [[9.1377974, -2.962496], [-7.0606966, 8.3729668]]),
    (dict(global_pool=True), [[9]]),
    (dict(global_pool=True, pool_type="avg", kernel=(3, 3), pad=(1, 1)), [[1.15]]),
])
def test_pooling_2d_matches_mxnet(kw, expected):
    np.testing.assert_allclose(pool(X, **kw)[0, 0], expected, rtol=1e-6, atol=1e-6)


def test_windows_of_padding_only_match_mxnet():
    out = pool(X, kernel=(2, 2), pad=(2, 2))
    assert out.shape == (1, 1, 7, 8)
    # MXNet starts max pooling at the lowest float: a window of padding only gives it.
    assert (out[0, 0, 0] == LOWEST32).all() and (out[0, 0, :, -1] == LOWEST32).all()
    np.testing.assert_array_equal(out[0, 0, 1, 1:7], [3, 3, 4, 4, 1, -5])
    avg = pool(X, kernel=(2, 2), pad=(2, 2), pool_type="avg", count_include_pad=False)
    assert (avg[0, 0, 0] == 0).all()        # nothing counted: 0, not NaN
    np.testing.assert_allclose(avg[0, 0, 2, 1:7], [6, 3.25, -0.25, 1, 1, -1])


def test_same_convention_matches_mxnet():
    np.testing.assert_array_equal(pool(X1, kernel=(3,), stride=(2,), pooling_convention="same"),
                                  [[[4, 5, 9, 6, 5]]])
    out = pool(X1, kernel=(3,), stride=(1,), pooling_convention="same", pool_type="avg")
    np.testing.assert_allclose(out, [[[8 / 3, 2, 10 / 3, 5, 16 / 3, 17 / 3, 13 / 3, 5.5, 5]]],
                               rtol=1e-6)


def test_1d_and_3d_match_mxnet():
    np.testing.assert_array_equal(pool(X1, kernel=(2,), stride=(3,), pad=(1,)),
                                  [[[3, 4, 9, 5]]])
    x3 = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(1, 2, 3, 4, 5)
    out = pool(x3, kernel=(2, 2, 2), stride=(1, 2, 2), pad=(1, 0, 1), pool_type="avg")
    assert out.shape == (1, 2, 4, 2, 3)
    np.testing.assert_allclose(out[0, 0, 0], [[0.625, 2, 3], [3.125, 7, 8]])
    np.testing.assert_allclose(out[0, 1, 3], [[25.625, 52, 53], [28.125, 57, 58]])


def test_mxnet_defaults():
    p = get_op("Pooling").parse({})
    assert (p["kernel"], p["pool_type"], p["global_pool"], p["pooling_convention"], p["stride"],
            p["pad"], p["p_value"], p["count_include_pad"], p["layout"], p["cudnn_off"]) == \
        ((), "max", False, "valid", (), (), None, None, None, False)
    # Stride defaults to 1 on every axis (not to the kernel size).
    assert pool(X, kernel=(2, 2)).shape == (1, 1, 3, 4)


# -- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape, kw, message", [
    ((1, 1, 5, 6), dict(kernel=(7, 7)), r"kernel size \(7\) exceeds input \(5 padded to 5\)"),
    ((1, 1, 5, 6), dict(), "kernel is required"),
    ((1, 1, 5, 6), dict(kernel=(2,)), "needs 3-d data"),
    ((1, 1, 5, 6), dict(kernel=(2, 2), stride=(2,)), r"stride \(2,\) has 1 values"),
    ((1, 1, 5, 6), dict(kernel=(2, 2), stride=(0, 1)), "positive"),
    ((1, 1, 5, 6), dict(kernel=(2, 2), pool_type="lp"), "needs p_value"),
    ((1, 1, 5, 6), dict(kernel=(2, 2), pool_type="lp", p_value=4), "p = 1, 2 or 3"),
    ((1, 1, 5, 6), dict(kernel=(2, 2), pooling_convention="same"), "1-d pooling only"),
    ((1, 1, 5), dict(kernel=(2,), pad=(1,), pooling_convention="same"), "does not take pad"),
    ((1, 1, 5, 6), dict(kernel=(2, 2), layout="NHWC"), "channel-first"),
    ((5, 6), dict(kernel=(2, 2)), "3-d, 4-d or 5-d"),
    ((1, 1, 5, 6), dict(kernel=(2, 2), pool_type="median"), "invalid value for parameter"),
])
def test_bad_input_raises_mxnet_error(shape, kw, message):
    with pytest.raises(mx.MXNetError, match=message):
        mx.nd.Pooling(mx.nd.ones(shape), **kw)


def test_integer_data_is_rejected():
    with pytest.raises(mx.MXNetError, match="float"):
        mx.nd.Pooling(mx.nd.ones((1, 1, 4, 4), dtype="int32"), kernel=(2, 2))


# -- shapes against MXNet's formulas, values against a direct loop (hypothesis) -------------------
@st.composite
def pool_params(draw):
    nd_ = draw(st.integers(1, 3))
    spatial = tuple(draw(st.integers(1, 7)) for _ in range(nd_))
    convention = draw(st.sampled_from(["valid", "full", "same"] if nd_ == 1 else
                                      ["valid", "full"]))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(nd_))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(nd_))
    pad = (0,) * nd_ if convention == "same" else tuple(draw(st.integers(0, 2))
                                                        for _ in range(nd_))
    params = dict(kernel=kernel, stride=stride, pad=pad, pooling_convention=convention,
                  pool_type=draw(st.sampled_from(["max", "avg", "sum", "lp"])),
                  global_pool=draw(st.booleans()) and draw(st.booleans()))
    if params["pool_type"] == "lp":
        params["p_value"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        params["count_include_pad"] = False
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) + spatial
    return shape, params


def expected_shape(shape, p):
    if p["global_pool"]:
        return shape[:2] + (1,) * (len(shape) - 2)
    out = list(shape[:2])
    for n, k, s, q in zip(shape[2:], p["kernel"], p["stride"], p["pad"]):
        size = n + 2 * q
        out.append({"valid": 1 + (size - k) // s, "full": 1 + math.ceil((size - k) / s),
                    "same": math.ceil(size / s)}[p["pooling_convention"]])
    return tuple(out)


def direct_pool(x, p):
    """Pooling by its definition, one output at a time (the oracle for the numpy reference)."""
    if p["global_pool"]:
        p = dict(p, kernel=x.shape[2:], stride=(1,) * (x.ndim - 2), pad=(0,) * (x.ndim - 2))
    out = np.zeros(expected_shape(x.shape, p))
    for index in np.ndindex(*out.shape):
        starts = [o * s - q for o, s, q in zip(index[2:], p["stride"], p["pad"])]
        ends = [min(a + k, n + q)
                for a, k, n, q in zip(starts, p["kernel"], x.shape[2:], p["pad"])]
        real = tuple(slice(max(a, 0), max(a, 0, min(e, n)))
                     for a, e, n in zip(starts, ends, x.shape[2:]))
        window = x[index[:2] + real].astype(np.float64)
        kind = p["pool_type"]
        if kind == "max":
            out[index] = window.max() if window.size else LOWEST32
        elif kind == "lp":
            total = (window ** p["p_value"]).sum()
            out[index] = {1: total, 2: np.sqrt(total), 3: np.cbrt(total)}[p["p_value"]]
        else:
            out[index] = window.sum()
            if kind == "avg":
                size = np.prod([e - a for a, e in zip(starts, ends)]) \
                    if p.get("count_include_pad", True) is not False else window.size
                out[index] = out[index] / size if size else 0.0
    return out


@given(pool_params())
def test_shape_and_values_follow_the_definition(case):
    shape, p = case
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    fits = p["global_pool"] or all(k <= n + 2 * q for k, n, q in zip(p["kernel"], shape[2:],
                                                                       p["pad"]))
    if not fits:
        with pytest.raises(mx.MXNetError, match="exceeds input"):
            mx.nd.Pooling(mx.nd.array(x), **p)
        return
    out = pool(x, **p)
    assert out.shape == expected_shape(shape, p)
    np.testing.assert_allclose(out, direct_pool(x, p), rtol=1e-5, atol=1e-5)


# -- the CPU kernel against the reference --------------------------------------------------------
@given(pool_params(), st.sampled_from(["float32", "float64", "float16"]), st.integers(0, 3))
def test_cpu_matches_reference(case, dtype, batch):
    shape, p = case
    shape = (batch,) + shape[1:]
    op = get_op("Pooling")
    attrs = op.parse(p)
    try:
        out_shape = op.shape(attrs, shape)
    except Exception:
        return
    x = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    outs = [np.full(out_shape, np.nan, dtype) for _ in range(2)]
    REF["Pooling"]((x,), (outs[0],), attrs)
    CPU["Pooling"]((x,), (outs[1],), attrs)
    tol = {"float16": 1e-2, "float32": 1e-5, "float64": 1e-12}[dtype]
    np.testing.assert_allclose(outs[1], outs[0], rtol=tol, atol=tol)


@pytest.mark.parametrize("pool_type", ["max", "avg", "sum", "lp"])
def test_cpu_matches_reference_on_threaded_sizes(pool_type):
    x = np.random.default_rng(2).standard_normal((4, 16, 33, 31)).astype(np.float32)
    attrs = get_op("Pooling").parse(dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                                         pool_type=pool_type, p_value=2))
    shape = get_op("Pooling").shape(attrs, x.shape)
    outs = [np.empty(shape, np.float32) for _ in range(2)]
    REF["Pooling"]((x,), (outs[0],), attrs)
    CPU["Pooling"]((x,), (outs[1],), attrs)
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-5)


# -- the gradient kernel (used by the autograd rule) ---------------------------------------------
@given(pool_params(), st.sampled_from(["reference", "cpu"]))
def test_pooling_gradient_matches_finite_differences(case, backend):
    shape, p = case
    op = get_op("Pooling")
    attrs = op.parse(p)
    try:
        out_shape = op.shape(attrs, shape)
    except Exception:
        return
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    if p["pool_type"] == "lp":
        x = np.abs(x) + 0.5          # away from the kinks of |x|^p and the root at 0
    g = rng.standard_normal(out_shape)

    def loss(v):
        y = np.empty(out_shape)
        REF["Pooling"]((v,), (y,), attrs)
        # Windows of padding only hold the lowest float (no gradient): keep them out of the sum.
        return (np.where(y > np.finfo(y.dtype).min, y, 0) * g).sum()
    y = np.empty(out_shape)
    REF["Pooling"]((x,), (y,), attrs)
    dx = np.full(shape, np.nan)
    get_backend(backend).kernels["_backward_Pooling"]((g, x, y), (dx,), attrs)
    eps, numeric = 1e-6, np.zeros(shape)
    for i in np.ndindex(*shape):
        step = np.zeros(shape)
        step[i] = eps
        numeric[i] = (loss(x + step) - loss(x - step)) / (2 * eps)
    np.testing.assert_allclose(dx, numeric, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("backend", ["reference", "cpu"])
def test_max_pooling_gradient_goes_to_the_first_maximum(backend):
    x = np.array([[[[1, 5, 5], [5, 2, 0]]]], dtype=np.float32)      # ties in every window
    attrs = get_op("Pooling").parse({"kernel": (2, 2)})
    y = np.empty((1, 1, 1, 2), np.float32)
    REF["Pooling"]((x,), (y,), attrs)
    dx = np.empty_like(x)
    get_backend(backend).kernels["_backward_Pooling"]((np.ones_like(y), x, y), (dx,), attrs)
    # Both windows' first maximum (in row-major order) is x[0, 1]; the other 5s get nothing.
    np.testing.assert_array_equal(dx, [[[[0, 2, 0], [0, 0, 0]]]])


def test_cpu_pooling_gradient_matches_reference_on_threaded_sizes():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((4, 16, 33, 31)).astype(np.float32)
    for kw in [dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1)),
               dict(kernel=(2, 2), stride=(2, 2), pool_type="avg", pooling_convention="full")]:
        attrs = get_op("Pooling").parse(kw)
        shape = get_op("Pooling").shape(attrs, x.shape)
        y = np.empty(shape, np.float32)
        REF["Pooling"]((x,), (y,), attrs)
        g = rng.standard_normal(shape).astype(np.float32)
        ref, cpu = np.empty_like(x), np.empty_like(x)
        REF["_backward_Pooling"]((g, x, y), (ref,), attrs)
        CPU["_backward_Pooling"]((g, x, y), (cpu,), attrs)
        np.testing.assert_allclose(cpu, ref, rtol=1e-5, atol=1e-5)
