"""The conv family: Convolution and Deconvolution in 1-d, 2-d and 3-d, on both backends.

Expected values marked "MXNet 1.9.1" were printed by real MXNet for the same inputs.
"""
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minimx as mx
from minimx._kernels import get_backend
from minimx._kernels.cpu import im2col as cpu_im2col
from minimx.ops import get_op

REF = get_backend("reference").kernels
CPU = get_backend("cpu").kernels


def nd(x, dtype="float32"):
    return mx.nd.array(np.asarray(x), dtype=dtype)


def arange(*shape):
    return np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)


def naive_conv(x, w, b, stride, pad, dilate, groups):
    """The definition, one output element at a time (the oracle for the numpy reference)."""
    n, c = x.shape[:2]
    f, nd_ = w.shape[0], x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    out_sp = [(xp.shape[2 + i] - dilate[i] * (w.shape[2 + i] - 1) - 1) // stride[i] + 1
              for i in range(nd_)]
    out = np.zeros((n, f) + tuple(out_sp))
    cg, fg = c // groups, f // groups
    for i, o in itertools.product(range(n), range(f)):
        g = o // fg
        for y in itertools.product(*(range(s) for s in out_sp)):
            acc = 0.0 if b is None else b[o]
            for ch in range(cg):
                for k in itertools.product(*(range(s) for s in w.shape[2:])):
                    pos = tuple(y[a] * stride[a] + k[a] * dilate[a] for a in range(nd_))
                    acc += w[(o, ch) + k] * xp[(i, g * cg + ch) + pos]
            out[(i, o) + y] = acc
    return out


# -- values observed in MXNet 1.9.1 --------------------------------------------------------------
X = arange(2, 2, 4, 4) / 10
W = arange(3, 2, 3, 3) / 20 - 0.4
B = np.array([0.5, -1, 2])


def test_convolution_2d_matches_mxnet():
    out = mx.nd.Convolution(nd(X), nd(W), nd(B), kernel=(3, 3), num_filter=3).asnumpy()
    np.testing.assert_allclose(out[0, :, 0, 0], [5.105, 24.665, 48.725], rtol=1e-5)
    np.testing.assert_allclose(out[1, 2], [[153.845, 157.13], [166.985, 170.27]], rtol=1e-5)
    out = mx.nd.Convolution(nd(X), nd(W), nd(B), kernel=(3, 3), num_filter=3, stride=(2, 2),
                            pad=(1, 1)).asnumpy()
    np.testing.assert_allclose(out[0, 1], [[9.18, 15.78], [20.465, 32.99]], rtol=1e-5)
    np.testing.assert_allclose(out[1, 0], [[6.32, 8.16], [6.065, 6.77]], rtol=1e-5)


def test_grouped_dilated_convolution_matches_mxnet():
    w = arange(4, 1, 2, 2) / 10 - 0.5
    out = mx.nd.Convolution(nd(X), nd(w), kernel=(2, 2), num_filter=4, num_group=2,
                            dilate=(2, 2), no_bias=True).asnumpy()
    np.testing.assert_allclose(out[0, 0], [[-0.52, -0.66], [-1.08, -1.22]], rtol=1e-5)
    np.testing.assert_allclose(out[1, 3], [[18.2, 18.54], [19.56, 19.9]], rtol=1e-5)


def test_convolution_1d_and_3d_match_mxnet():
    out = mx.nd.Convolution(nd([[[1, 2, 3, 4, 5], [0, -1, 0, 1, 0]]]),
                            nd([[[1, 0, -1], [2, 1, 0]]]),
                            kernel=(3,), num_filter=1, pad=(1,), no_bias=True)
    np.testing.assert_allclose(out.asnumpy(), [[[-2, -3, -4, -1, 6]]])
    out = mx.nd.Convolution(nd(arange(1, 1, 3, 3, 3)), mx.nd.ones((1, 1, 2, 2, 2)),
                            kernel=(2, 2, 2), num_filter=1, no_bias=True)
    np.testing.assert_allclose(out.asnumpy(), [[[[[52, 60], [76, 84]], [[124, 132], [148, 156]]]]])


def test_deconvolution_matches_mxnet():
    x, w = nd([[[[1, 2], [3, 4]]]]), nd([[[[1, 10], [100, 1000]]]])
    np.testing.assert_allclose(mx.nd.Deconvolution(x, w, kernel=(2, 2), num_filter=1).asnumpy(),
                               [[[[1, 12, 20], [103, 1234, 2040], [300, 3400, 4000]]]])
    out = mx.nd.Deconvolution(x, w, kernel=(2, 2), stride=(2, 2), num_filter=1)
    np.testing.assert_allclose(out.asnumpy()[0, 0, 1:3], [[100, 1000, 200, 2000], [3, 30, 4, 40]])
    out = mx.nd.Deconvolution(x, w, kernel=(2, 2), stride=(2, 2), pad=(1, 1), adj=(1, 1),
                              num_filter=1)
    np.testing.assert_allclose(out.asnumpy(), [[[[1000, 200, 2000], [30, 4, 40],
                                                 [3000, 400, 4000]]]])


def test_deconvolution_stride_and_dilation_matches_mxnet_default_path():
    # NB: MXNet's own im2col path (float64, or MKLDNN off) gets this case wrong
    # ([1, 0, 100, 10, 1000, 1000, 100000]); its default float32 (oneDNN) path agrees with minimx.
    out = mx.nd.Deconvolution(nd([[[1, 10, 1000]]]), nd([[[1, 100]]]), kernel=(2,), stride=(2,),
                              dilate=(2,), num_filter=1)
    np.testing.assert_allclose(out.asnumpy(), [[[1, 0, 110, 0, 2000, 0, 100000]]])


def test_grouped_deconvolution_with_bias_matches_mxnet():
    out = mx.nd.Deconvolution(nd(arange(1, 2, 2, 2)), nd(arange(2, 2, 2, 2) / 10),
                              nd([1, 2, 3, 4]), kernel=(2, 2), num_filter=4, num_group=2,
                              no_bias=False).asnumpy()
    np.testing.assert_allclose(out[0, 0], [[1, 1, 1.1], [1, 1.4, 1.6], [1.4, 2.2, 1.9]], rtol=1e-6)
    np.testing.assert_allclose(out[0, 3], [[8.8, 15.2, 10.5], [16.8, 33.2, 20.6],
                                           [12.4, 22.8, 14.5]], rtol=1e-6)


def test_deconvolution_target_shape_sets_pad_and_adj_like_mxnet():
    out = mx.nd.Deconvolution(nd(arange(1, 1, 3, 3)), mx.nd.ones((1, 1, 3, 3)), kernel=(3, 3),
                              stride=(2, 2), target_shape=(6, 6), num_filter=1).asnumpy()
    np.testing.assert_allclose(out[0, 0, :2], [[0, 1, 1, 3, 2, 2], [3, 8, 5, 12, 7, 7]])
    np.testing.assert_allclose(out[0, 0, 5], [6, 13, 7, 15, 8, 8])
    shape = mx.nd.Deconvolution(mx.nd.ones((1, 1, 3, 3)), mx.nd.ones((1, 1, 3, 3)), kernel=(3, 3),
                                stride=(2, 2), target_shape=(6, 5), num_filter=1).shape
    assert shape == (1, 1, 6, 5)


def test_mxnet_defaults():
    c = get_op("Convolution").parse({"kernel": (3, 3), "num_filter": 2})
    assert (c["stride"], c["dilate"], c["pad"], c["num_group"], c["workspace"], c["no_bias"],
            c["layout"], c["cudnn_tune"], c["cudnn_off"]) == ((), (), (), 1, 1024, False, None,
                                                              None, False)
    d = get_op("Deconvolution").parse({"kernel": (3, 3), "num_filter": 2})
    assert (d["adj"], d["target_shape"], d["workspace"], d["no_bias"]) == ((), (), 512, True)
    # cuDNN/workspace parameters are accepted and ignored.
    out = mx.nd.Convolution(mx.nd.ones((1, 1, 3, 3)), mx.nd.ones((1, 1, 3, 3)), kernel=(3, 3),
                            num_filter=1, no_bias=True, cudnn_tune="fastest", cudnn_off=True,
                            workspace=16, layout="NCHW")
    assert out.asnumpy().item() == 9.0


# -- errors --------------------------------------------------------------------------------------
def conv(data, weight, bias=None, **kw):
    args = [mx.nd.ones(data), mx.nd.ones(weight)] + ([mx.nd.ones(bias)] if bias else [])
    kw.setdefault("no_bias", bias is None)
    return mx.nd.Convolution(*args, **kw)


@pytest.mark.parametrize("call, message", [
    (lambda: conv((2, 4, 7, 7), (6, 3, 3, 3), kernel=(3, 3), num_filter=6),
     r"channel mismatch: the data \(2, 4, 7, 7\) has 4 channels but the weight \(6, 3, 3, 3\)"),
    (lambda: conv((2, 4, 7, 7), (6, 4, 9, 9), kernel=(9, 9), num_filter=6),
     "kernel size exceeds input"),
    (lambda: conv((2, 4, 7, 7), (6, 4, 4, 4), kernel=(4, 4), num_filter=6, dilate=(3, 3)),
     "dilated kernel spans 10"),
    (lambda: conv((2, 4, 7, 7), (6, 4, 3, 3), kernel=(3, 3), num_filter=5), "must be"),
    (lambda: conv((2, 4, 7, 7), (6, 4, 3, 3), kernel=(3, 3), num_filter=6, stride=(2,)),
     r"stride \(2,\) has 1 values"),
    (lambda: conv((2, 4, 7, 7), (6, 4, 3, 3), kernel=(3, 3), num_filter=6, stride=(0, 1)),
     "positive"),
    (lambda: conv((2, 4, 7, 7), (6, 2, 3, 3), kernel=(3, 3), num_filter=6, num_group=3),
     "do not divide into num_group=3"),
    (lambda: conv((2, 4, 7, 7), (6, 4, 3), kernel=(3,), num_filter=6), "needs 3-d data"),
    (lambda: conv((2, 4, 7, 7), (6, 4, 3, 3), kernel=(3, 3), num_filter=6, layout="NHWC"),
     "channel-first"),
    (lambda: conv((2, 4, 7, 7), (6, 4, 3, 3), (5,), kernel=(3, 3), num_filter=6), "bias"),
    (lambda: conv((2, 4, 7, 7), (6, 4, 3, 3), kernel=(3, 3), num_filter=6, no_bias=False),
     "expects three inputs"),
    (lambda: conv((1, 2, 5, 5, 5), (2, 2, 2, 2, 2), kernel=(2, 2, 2), num_filter=2,
                  dilate=(2, 1, 1)), "3-d convolution"),
    (lambda: conv((2, 4, 7, 7), (6, 4, 3, 3, 3, 3), kernel=(3, 3, 3, 3), num_filter=6),
     "supports 1-d, 2-d and 3-d"),
    (lambda: mx.nd.Deconvolution(mx.nd.ones((1, 1, 3, 3)), mx.nd.ones((1, 1, 3, 3)),
                                 kernel=(3, 3), stride=(2, 2), target_shape=(8, 8), num_filter=1),
     "too big target shape"),
    (lambda: mx.nd.Deconvolution(mx.nd.ones((1, 1, 3, 3)), mx.nd.ones((1, 1, 3, 3)),
                                 kernel=(3, 3), stride=(2, 2), adj=(2, 2), num_filter=1),
     "adj .* must be smaller than stride"),
    (lambda: mx.nd.Deconvolution(mx.nd.ones((1, 2, 3, 3)), mx.nd.ones((3, 1, 3, 3)),
                                 kernel=(3, 3), num_filter=1), "channel mismatch"),
    (lambda: mx.nd.Deconvolution(mx.nd.ones((1, 1, 3, 3)), mx.nd.ones((1, 1, 3, 3)),
                                 kernel=(3, 3), pad=(3, 3), num_filter=1), "pad .* too large"),
    (lambda: conv((2, 4, 7, 7), (6, 4, 3, 3), kernel=(3, 3), num_filter=6, no_bias=True,
                  num_group=0), "num_group must be at least 1"),
])
def test_bad_input_raises_mxnet_error(call, message):
    with pytest.raises(mx.MXNetError, match=message):
        call()


def test_integer_data_is_rejected():
    with pytest.raises(mx.MXNetError, match="float"):
        mx.nd.Convolution(mx.nd.ones((1, 1, 3, 3), dtype="int32"),
                          mx.nd.ones((1, 1, 3, 3), dtype="int32"), kernel=(3, 3), num_filter=1,
                          no_bias=True)


# -- shapes against MXNet's formulas (hypothesis) -------------------------------------------------
@st.composite
def conv_params(draw, transposed=False):
    nd_ = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    ax = lambda lo, hi: tuple(draw(st.integers(lo, hi)) for _ in range(nd_))  # noqa: E731
    params = {"kernel": ax(1, 3), "stride": ax(1, 3), "pad": ax(0, 2),
              "dilate": ax(1, 2) if nd_ < 3 else (1,) * nd_,
              "num_group": groups, "num_filter": groups * draw(st.integers(1, 2))}
    if transposed:
        params["adj"] = tuple(draw(st.integers(0, s - 1)) for s in params["stride"])
    data = (draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))) + ax(1, 7)
    return data, params


@given(conv_params())
def test_convolution_shape_follows_mxnet_formula(case):
    data, p = case
    k = p["kernel"]
    weight = (p["num_filter"], data[1] // p["num_group"]) + k
    spans = [d * (kk - 1) + 1 for kk, d in zip(k, p["dilate"])]
    fits = all(s <= n + 2 * q for s, n, q in zip(spans, data[2:], p["pad"]))
    x, w = np.random.rand(*data), np.random.rand(*weight)
    if not fits:
        with pytest.raises(mx.MXNetError, match="kernel size exceeds input"):
            mx.nd.Convolution(nd(x), nd(w), no_bias=True, **p)
        return
    out = mx.nd.Convolution(nd(x, "float64"), nd(w, "float64"), no_bias=True, **p)
    expected = (data[0], p["num_filter"]) + tuple(
        (n + 2 * q - s) // st_ + 1 for n, q, s, st_ in zip(data[2:], p["pad"], spans, p["stride"]))
    assert out.shape == expected


@given(conv_params(transposed=True))
def test_deconvolution_shape_follows_mxnet_formula(case):
    data, p = case
    weight = (data[1], p["num_filter"] // p["num_group"]) + p["kernel"]
    expected = (data[0], p["num_filter"]) + tuple(
        s * (n - 1) + d * (k - 1) + 1 - 2 * q + a for n, k, s, q, d, a in
        zip(data[2:], p["kernel"], p["stride"], p["pad"], p["dilate"], p["adj"]))
    x, w = np.random.rand(*data), np.random.rand(*weight)
    if min(expected[2:]) < 1:
        with pytest.raises(mx.MXNetError, match="too large"):
            mx.nd.Deconvolution(nd(x), nd(w), **p)
        return
    out = mx.nd.Deconvolution(nd(x, "float64"), nd(w, "float64"), **p)
    assert out.shape == expected


@given(conv_params(transposed=True))
def test_deconvolution_is_the_transpose_of_convolution(case):
    """<Deconv(x), z> == <x, Conv(z)>: the same weight array, read as a Convolution weight
    (num_filter = the deconvolution's input channels), maps the output space back."""
    data, p = case
    x = np.random.rand(*data)
    w = np.random.rand(data[1], p["num_filter"] // p["num_group"], *p["kernel"])
    try:
        up = mx.nd.Deconvolution(nd(x, "float64"), nd(w, "float64"), **p).asnumpy()
    except mx.MXNetError:
        return                     # output size below 1: checked above
    z = np.random.rand(*up.shape)
    conv_p = {k: v for k, v in p.items() if k != "adj"}
    down = mx.nd.Convolution(nd(z, "float64"), nd(w, "float64"), no_bias=True,
                             **dict(conv_p, num_filter=data[1])).asnumpy()
    assert down.shape == x.shape
    np.testing.assert_allclose((up * z).sum(), (down * x).sum(), rtol=1e-9)


# -- the reference against the definition, the CPU kernels against the reference ---------------
@pytest.mark.parametrize("groups, stride, pad, dilate", [(1, (1, 1), (0, 0), (1, 1)),
                                                         (2, (2, 1), (1, 2), (1, 2)),
                                                         (1, (3, 2), (2, 0), (2, 1))])
def test_reference_convolution_is_the_definition(groups, stride, pad, dilate):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 2 * groups, 6, 5))
    w = rng.standard_normal((2 * groups, 2, 2, 3))
    b = rng.standard_normal(2 * groups)
    out = mx.nd.Convolution(nd(x, "float64"), nd(w, "float64"), nd(b, "float64"), kernel=(2, 3),
                            stride=stride, pad=pad, dilate=dilate, num_filter=2 * groups,
                            num_group=groups)
    np.testing.assert_allclose(out.asnumpy(), naive_conv(x, w, b, stride, pad, dilate, groups),
                               rtol=1e-12)


def _run_both(op_name, ins, attrs):
    op = get_op(op_name)
    attrs = op.parse(attrs)
    shape = op.shape(attrs, *[a.shape for a in ins])
    outs = [np.full(shape, np.nan, ins[0].dtype) for _ in range(2)]
    REF[op_name](tuple(ins), (outs[0],), attrs)
    CPU[op_name](tuple(ins), (outs[1],), attrs)
    return outs


@given(conv_params(), st.sampled_from(["float32", "float64"]), st.integers(0, 3),
       st.booleans())
def test_cpu_convolution_matches_reference(case, dtype, batch, with_bias):
    data, p = case
    data = (batch,) + data[1:]
    rng = np.random.default_rng(1)
    ins = [rng.standard_normal(data).astype(dtype),
           rng.standard_normal((p["num_filter"], data[1] // p["num_group"]) + p["kernel"])
           .astype(dtype)]
    if with_bias:
        ins.append(rng.standard_normal(p["num_filter"]).astype(dtype))
    try:
        ref, cpu = _run_both("Convolution", ins, dict(p, no_bias=not with_bias))
    except Exception:          # the shape rule rejected the case (kernel larger than input)
        return
    tol = 1e-4 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(cpu, ref, rtol=tol, atol=tol)


@given(conv_params(transposed=True), st.sampled_from(["float32", "float64"]), st.integers(0, 3))
def test_cpu_deconvolution_matches_reference(case, dtype, batch):
    data, p = case
    data = (batch,) + data[1:]
    rng = np.random.default_rng(2)
    ins = [rng.standard_normal(data).astype(dtype),
           rng.standard_normal((data[1], p["num_filter"] // p["num_group"]) + p["kernel"])
           .astype(dtype), rng.standard_normal(p["num_filter"]).astype(dtype)]
    try:
        ref, cpu = _run_both("Deconvolution", ins, dict(p, no_bias=False))
    except Exception:
        return
    tol = 1e-4 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(cpu, ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("batch", [1, 6])
def test_cpu_convolution_large_paths(batch):
    """Sizes that take the threaded paths: whole samples per thread, or split GEMMs for batch 1."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((batch, 16, 24, 24)).astype("float32")
    for w, attrs in [(rng.standard_normal((32, 16, 3, 3)), {"kernel": (3, 3), "pad": (1, 1)}),
                     (rng.standard_normal((32, 16, 1, 1)), {"kernel": (1, 1)}),
                     (rng.standard_normal((32, 8, 3, 3)), {"kernel": (3, 3), "num_group": 2})]:
        ref, cpu = _run_both("Convolution", [x, w.astype("float32")],
                             dict(attrs, num_filter=32, no_bias=True))
        np.testing.assert_allclose(cpu, ref, rtol=1e-4, atol=1e-3)
    w = rng.standard_normal((16, 8, 4, 4)).astype("float32")
    ref, cpu = _run_both("Deconvolution", [x, w], {"kernel": (4, 4), "stride": (2, 2),
                                                   "pad": (1, 1), "num_filter": 8})
    np.testing.assert_allclose(cpu, ref, rtol=1e-4, atol=1e-3)


def test_float16_falls_back_to_the_reference():
    x = np.random.rand(1, 2, 5, 5).astype("float16")
    w = np.random.rand(3, 2, 3, 3).astype("float16")
    ref, cpu = _run_both("Convolution", [x, w], {"kernel": (3, 3), "num_filter": 3,
                                                 "no_bias": True})
    np.testing.assert_array_equal(cpu, ref)


def test_im2col_and_col2im_are_transposes():
    rng = np.random.default_rng(4)
    img = rng.standard_normal((3, 5, 6))
    args = ((2, 3), (2, 1), (1, 2), (1, 2))            # kernel, stride, pad, dilate
    cols = np.empty(cpu_im2col.col_shape(img.shape, *args))
    cpu_im2col.im2col(img, cols, *args)
    other = rng.standard_normal(cols.shape)
    back = np.empty_like(img)
    cpu_im2col.col2im(other, back, *args)
    np.testing.assert_allclose((cols * other).sum(), (img * back).sum(), rtol=1e-12)
    with pytest.raises(ValueError, match="col has shape"):
        cpu_im2col.im2col(img, np.empty((2, 2)), *args)


# -- gradient kernels (used by the autograd rules) -----------------------------------------------
@given(conv_params(), st.sampled_from(["reference", "cpu"]), st.integers(1, 3))
def test_convolution_gradient_kernels_are_adjoints(case, backend, batch):
    """Conv is linear in data and in weight: <Conv(x, w), g> = <x, dx(g)> = <w, dw(g, x)>."""
    data, p = case
    data = (batch,) + data[1:]
    op = get_op("Convolution")
    attrs = op.parse(dict(p, no_bias=True))
    rng = np.random.default_rng(5)
    x = rng.standard_normal(data)
    w = rng.standard_normal((p["num_filter"], data[1] // p["num_group"]) + p["kernel"])
    try:
        shape = op.shape(attrs, x.shape, w.shape)
    except Exception:
        return
    y = np.empty(shape)
    REF["Convolution"]((x, w), (y,), attrs)
    g = rng.standard_normal(shape)
    kernels = get_backend(backend).kernels
    dx, dw = np.full(x.shape, np.nan), np.full(w.shape, np.nan)
    kernels["_backward_Convolution_data"]((g, w), (dx,), attrs)
    kernels["_backward_Convolution_weight"]((g, x), (dw,), attrs)
    total = (y * g).sum()
    np.testing.assert_allclose((x * dx).sum(), total, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose((w * dw).sum(), total, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("batch", [1, 5])
def test_cpu_convolution_gradients_match_reference_float32(batch):
    rng = np.random.default_rng(6)
    attrs = get_op("Convolution").parse({"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1),
                                         "num_filter": 8, "num_group": 2, "no_bias": True})
    x = rng.standard_normal((batch, 6, 17, 16)).astype("float32")
    w = rng.standard_normal((8, 3, 3, 3)).astype("float32")
    g = rng.standard_normal((batch, 8, 9, 8)).astype("float32")
    for name, ins, shape in [("_backward_Convolution_data", (g, w), x.shape),
                             ("_backward_Convolution_weight", (g, x), w.shape)]:
        ref, cpu = np.empty(shape, "float32"), np.empty(shape, "float32")
        REF[name](ins, (ref,), attrs)
        CPU[name](ins, (cpu,), attrs)
        np.testing.assert_allclose(cpu, ref, rtol=1e-4, atol=1e-4)


@given(conv_params(transposed=True))
def test_deconvolution_weight_gradient_is_the_convolution_kernel_with_roles_swapped(case):
    """Deconvolution's weight gradient = _backward_Convolution_weight((data, ograd)) under the
    Convolution attrs with num_filter = the deconvolution's input channels."""
    data, p = case
    x = np.random.rand(*data)
    w = np.random.rand(data[1], p["num_filter"] // p["num_group"], *p["kernel"])
    try:
        y = mx.nd.Deconvolution(nd(x, "float64"), nd(w, "float64"), **p).asnumpy()
    except mx.MXNetError:
        return
    g = np.random.rand(*y.shape)
    attrs = get_op("Convolution").parse(dict({k: v for k, v in p.items() if k != "adj"},
                                             num_filter=data[1], no_bias=True))
    for kernels in (REF, CPU):
        dw = np.full(w.shape, np.nan)
        kernels["_backward_Convolution_weight"]((x, g), (dw,), attrs)
        np.testing.assert_allclose((w * dw).sum(), (y * g).sum(), rtol=1e-9)
