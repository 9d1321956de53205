"""The optim ops, part 2: multi-weight updates, mixed-precision/LARS helpers, and the Cython
kernels of the family against the numpy reference.

Expected values marked "MXNet" were observed with Apache MXNet 1.9.1 on the same inputs.
"""
import numpy as np
import pytest

import minimx as mx
from minimx._kernels import get_backend
from minimx.ops import get_op
from minimx.threads import set_kernel_threads

REF = get_backend("reference").kernels
CPU = get_backend("cpu").kernels

W = [[0.5, -1.2, 2.0], [0.0, 3.1, -0.7]]
G = [[0.3, -2.5, 1.1], [0.0, -0.4, 5.0]]
S = [[0.1, -0.2, 0.05], [0.0, 0.3, -0.1]]
# MXNet, one step with out=weights; two weights: W (lr 0.1, wd 0.01) and [1, -2] (lr 0.2, wd 0)
# with gradients G and [0.5, 3], momenta S and [0.2, -0.1]; flattened.
MX_MULTI_SGD = [[0.4845, -1.0988, 1.943, 0, 3.1169, -0.7993], [0.95, -2.2]]
MX_MULTI_SGD_MOM = [[0.5745, -1.2538, 1.988, 0, 3.3869, -1.0393], [1.13, -2.39], [0.0745, -0.0538,
    -0.012, 0, 0.2869, -0.3393], [0.13, -0.39]]
MX_MULTI_MP_SGD = [[0.4694824, -1.098633, 1.898438, 0, 3.136719, -0.7993164], [0.8999023,
    -2.199219], [0.4694951, -1.0988, 1.898, 0, 3.13689, -0.7993], [0.9, -2.2]]
MX_MULTI_MP_SGD_MOM = [[0.5595703, -1.128906, 1.932617, 0, 3.40625, -1.289062], [1.080078,
    -2.689453], [0.0594951, 0.0712, -0.0669609, 0, 0.3068902, -0.5893], [0.08, -0.69], [0.5594951,
    -1.1288, 1.933039, 0, 3.40689, -1.2893], [1.08, -2.69]]
MX_PRELOADED_SGD = [[0.4845, -1.0738, 1.943, 0, 3.1169, -0.9493], [0.95, -2.3]]
MX_SUM_SQ = [15.79, 32.71]
MX_LARS = [0.0003846, 0.2, 0.3, 0.0001905]
LRS, WDS = (0.1, 0.2), (0.01, 0.0)


def nd(values, dtype="float32"):
    return mx.nd.array(np.asarray(values, dtype=np.float64), dtype=dtype)


def close(result, expected, rtol=2e-6, atol=1e-6):
    result = result.asnumpy() if isinstance(result, mx.nd.NDArray) else result
    np.testing.assert_allclose(np.asarray(result, np.float64).reshape(-1),
                               np.asarray(expected, np.float64).reshape(-1), rtol=rtol, atol=atol)


def closes(results, expected):
    for r, e in zip(results, expected):
        close(r, e, rtol=1e-3 if r.dtype == np.float16 else 2e-6)


def groups(dtype="float32"):
    return [nd(W, dtype), nd([1.0, -2.0], dtype)], [nd(G, dtype), nd([0.5, 3.0], dtype)], \
        [nd(S), nd([0.2, -0.1])]


# -- multi updates -------------------------------------------------------------------------------
def test_multi_sgd_matches_mxnet():
    w, g, _ = groups()
    out = mx.nd.multi_sgd_update(w[0], g[0], w[1], g[1], lrs=LRS, wds=WDS, rescale_grad=0.5,
                                 clip_gradient=1.0, num_weights=2, out=w)
    assert out[0] is w[0] and out[1] is w[1]
    closes(w, MX_MULTI_SGD)


def test_multi_sgd_mom_matches_mxnet():
    w, g, m = groups()
    mx.nd.multi_sgd_mom_update(w[0], g[0], m[0], w[1], g[1], m[1], lrs=LRS, wds=WDS,
                               momentum=0.9, rescale_grad=0.5, num_weights=2, out=w)
    closes(w + m, MX_MULTI_SGD_MOM)


def _contexts():
    """The CPU, and PoCL's OpenCL CPU device where it is installed."""
    import os
    import tempfile
    os.environ.setdefault("POCL_CACHE_DIR", tempfile.mkdtemp(prefix="minimx-pocl-"))
    os.environ.setdefault("MINIMX_OPENCL_DEVICE", "cpu")
    from minimx._kernels import opencl
    return [mx.cpu()] + ([mx.gpu()] if opencl.missing_reason() is None else [])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("clip", [-1.0, 0.7])
def test_multi_sgd_mom_is_one_op_equal_to_sgd_mom_per_weight(dtype, clip):
    # MXNet 1.9.1: multi_sgd_mom_update equals sgd_mom_update per weight bit for bit (checked with
    # random weights, both clip settings); the fused minimx kernels must too, on every backend.
    rng = np.random.default_rng(3)
    shapes = [(300,), (7, 9), (1,), (0,)]
    arrays = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(3)]
    hyper = dict(momentum=0.9, rescale_grad=0.37, clip_gradient=clip)
    lrs, wds = (0.1, 0.03, 0.5, 0.2), (0.01, 0.2, 0.0, 0.1)
    for ctx in _contexts():
        w, g, m = ([mx.nd.array(a, ctx=ctx, dtype=dtype) for a in group] for group in arrays)
        w1, m1 = ([mx.nd.array(a, ctx=ctx, dtype=dtype) for a in group] for group in
                  (arrays[0], arrays[2]))
        flat = [x for i in range(len(shapes)) for x in (w[i], g[i], m[i])]
        mx.nd.multi_sgd_mom_update(*flat, out=w, lrs=lrs, wds=wds, num_weights=len(shapes),
                                   **hyper)
        for i in range(len(shapes)):
            mx.nd.sgd_mom_update(w1[i], g[i], m1[i], out=w1[i], lr=lrs[i], wd=wds[i], **hyper)
        for a, b in zip(w + m, w1 + m1):
            assert np.array_equal(a.asnumpy(), b.asnumpy()), ctx
        assert not np.array_equal(w[0].asnumpy(), arrays[0][0])     # it did update
    ref = [[x.copy() for x in group] for group in arrays]
    outs = [x.copy() for x in ref[0]]
    REF["multi_sgd_mom_update"]([x for i in range(len(shapes)) for x in
                                 (ref[0][i], ref[1][i], ref[2][i])], outs,
                                dict(hyper, lrs=lrs, wds=wds, num_weights=len(shapes)))
    for a, b in zip(outs, w1):
        tol = 1e-6 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(a, b.asnumpy(), rtol=tol, atol=tol)


def test_multi_mp_sgd_matches_mxnet():
    w, g, _ = groups("float16")
    w32 = [nd(W), nd([1.0, -2.0])]
    mx.nd.multi_mp_sgd_update(w[0], g[0], w32[0], w[1], g[1], w32[1], lrs=LRS, wds=WDS,
                              clip_gradient=1.0, num_weights=2, out=w)
    closes(w + w32, MX_MULTI_MP_SGD)
    w, g, m = groups("float16")
    w32 = [nd(W), nd([1.0, -2.0])]
    mx.nd.multi_mp_sgd_mom_update(w[0], g[0], m[0], w32[0], w[1], g[1], m[1], w32[1], lrs=LRS,
                                  wds=WDS, momentum=0.9, num_weights=2, out=w)
    closes(w + m + w32, MX_MULTI_MP_SGD_MOM)


def test_preloaded_multi_sgd_matches_mxnet():
    w, g, _ = groups()
    mx.nd.preloaded_multi_sgd_update(w[0], g[0], w[1], g[1], nd(LRS), nd(WDS), rescale_grad=0.5,
                                     num_weights=2, out=w)
    closes(w, MX_PRELOADED_SGD)


def test_multi_update_without_out_returns_new_weights():
    # NB: MXNet 1.9.1 fails here ("shape must have a valid ndim"); minimx returns new arrays.
    w, g, m = groups()
    new = mx.nd.multi_sgd_mom_update(w[0], g[0], m[0], w[1], g[1], m[1], lrs=LRS, wds=WDS,
                                     momentum=0.9, rescale_grad=0.5, num_weights=2)
    closes(new + m, MX_MULTI_SGD_MOM)
    close(w[0], W)


@pytest.mark.parametrize("call,message", [
    (lambda w, g: mx.nd.multi_sgd_update(w[0], g[0], w[1], g[1], lrs=LRS, wds=WDS),
     "num_weights=1 needs 2 inputs"),
    (lambda w, g: mx.nd.multi_sgd_update(w[0], g[0], w[1], g[1], lrs=(0.1,), wds=WDS,
                                         num_weights=2), "lrs has 1 values but num_weights is 2"),
    (lambda w, g: mx.nd.multi_sgd_update(w[0], g[0], w[1], g[0], lrs=LRS, wds=WDS, num_weights=2),
     "grad_1 has shape (2, 3) but weight_1 has shape (2,)"),
    (lambda w, g: mx.nd.multi_sgd_mom_update(w[0], g[0], g[0], w[1], g[1], g[0], lrs=LRS,
                                             wds=WDS, num_weights=2),
     "mom_1 has shape (2, 3) but weight_1 has shape (2,)"),
    (lambda w, g: mx.nd.multi_mp_sgd_update(w[0], g[0], w[0].astype("float16"), w[1], g[1], w[1],
                                            lrs=LRS, wds=WDS, num_weights=2),
     "weight32_0 has dtype float16 but must be float32"),
    (lambda w, g: mx.nd.preloaded_multi_sgd_update(w[0], g[0], nd([0.1], "float64"), nd([0.0]),
                                                   num_weights=1), "lrs has dtype float64"),
    (lambda w, g: mx.nd.multi_lars(*[nd([1.0], "float64")] * 4, eta=1.0, eps=0.0),
     "float32 only"),
    (lambda w, g: mx.nd.reset_arrays(w[0], mx.nd.ones(2, dtype="int32")),
     "array_1 has dtype int32"),
])
def test_errors_name_the_input(call, message):
    w, g, _ = groups()
    with pytest.raises(mx.MXNetError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(w, g)


def test_defaults():
    assert {p.name: p.default for p in get_op("multi_sgd_mom_update").params if p.name not in
            ("lrs", "wds")} == {"momentum": 0.0, "rescale_grad": 1.0, "clip_gradient": -1.0,
                                "num_weights": 1}
    assert get_op("all_finite").params[0].default is True


# -- helpers -------------------------------------------------------------------------------------
def test_multi_sum_sq_and_lars_match_mxnet():
    out = mx.nd.multi_sum_sq(nd(W), nd(G), num_arrays=2)
    assert out.dtype == np.float32 and out.shape == (2,)
    close(out, MX_SUM_SQ)
    assert mx.nd.multi_sum_sq(nd(W, "float16")).dtype == np.float32    # num_arrays is filled in
    close(mx.nd.multi_sum_sq(nd([1e20, 1e20])), [np.inf])                # MXNet: float32 result
    lars = mx.nd.multi_lars(nd([0.1, 0.2, 0.3, 0.4]), nd([4.0, 0.0, 9.0, 1.0]),
                            nd([1.0, 1.0, 0.0, 16.0]), nd([0.01, 0.0, 0.0, 0.1]), eta=0.001,
                            eps=1e-8, rescale_grad=0.5)
    close(lars, MX_LARS, rtol=2e-4)       # lrs stays where a norm is 0


def test_all_finite():
    assert mx.nd.all_finite(nd([1.0, np.inf])).asnumpy().tolist() == [0.0]          # MXNet
    assert mx.nd.all_finite(nd([1.0, 2.0])).asnumpy().tolist() == [1.0]
    assert mx.nd.all_finite(nd([1e300], "float64")).asnumpy().tolist() == [0.0]     # MXNet
    assert mx.nd.multi_all_finite(nd([1.0]), nd([np.nan])).asnumpy().tolist() == [0.0]
    out = nd([0.5])            # init_output=False: only ever set to 0 (MXNet)
    mx.nd.all_finite(nd([1.0, 2.0]), init_output=False, out=out)
    assert out.asnumpy().tolist() == [0.5]
    mx.nd.all_finite(nd([1.0, np.nan]), init_output=False, out=out)
    assert out.asnumpy().tolist() == [0.0]


def test_reset_arrays():
    a, b = nd([1.0, 2.0, 3.0]), nd([[4.0, 5.0]], "float64")
    assert mx.nd.reset_arrays(a, b, num_arrays=2) == []                            # MXNet
    assert a.asnumpy().tolist() == [0, 0, 0] and b.asnumpy().tolist() == [[0, 0]]


# -- Cython kernels against the numpy reference --------------------------------------------------
_FUSED = {"sgd_update": "", "sgd_mom_update": "s", "nag_mom_update": "s", "adam_update": "sp",
          "rmsprop_update": "p", "mp_sgd_update": "", "mp_sgd_mom_update": "s",
          "mp_nag_mom_update": "s"}
_PARAMS = [dict(lr=0.1), dict(lr=0.05, wd=0.1, rescale_grad=0.5, clip_gradient=0.8, momentum=0.9,
                              clip_weights=1.5, beta1=0.8), dict(lr=0.05, clip_gradient=0.0)]


def _inputs(name, n, dtype, rng):
    mp = name.startswith("mp_")
    w = rng.uniform(-2, 2, n).astype(dtype)
    arrays = [w, rng.uniform(-3, 3, n).astype(dtype)]
    for kind in _FUSED[name]:
        low = 0.5 if kind == "p" else -0.5
        arrays.append(rng.uniform(low, low + 1, n).astype(np.float32 if mp else dtype))
    return arrays + ([w.astype(np.float32)] if mp else [])


@pytest.mark.parametrize("name", sorted(_FUSED))
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("n", [0, 1, 7, 33, 100003])
def test_cpu_kernel_matches_reference(name, dtype, n):
    """Every element, state and alias case; float16 is the mp_ ops' (or the reference's) type."""
    rng = np.random.default_rng(n)
    for params in _PARAMS:
        attrs = get_op(name).parse({k: v for k, v in params.items()
                                    if k in get_op(name).param_names})
        for alias in (False, True):        # alias: out is the weight (out=weight)
            inputs = _inputs(name, n, dtype, rng)
            results = []
            for kernels in (REF, CPU):
                ins = [x.copy() for x in inputs]
                out = ins[0] if alias else np.zeros_like(ins[0])
                kernels[name](tuple(ins), (out,), attrs)
                results.append([out] + ins[2:])
            for r, c in zip(*results):
                tol = {"float16": 1e-3, "float32": 1e-6}.get(str(c.dtype), 1e-14)
                np.testing.assert_allclose(c, r, rtol=tol, atol=tol, err_msg=f"{name} {params}")


def test_cpu_kernels_in_several_threads():
    previous = set_kernel_threads(4)
    try:
        test_cpu_kernel_matches_reference("adam_update", "float32", 1_000_003)
        test_cpu_kernel_matches_reference("mp_sgd_mom_update", "float16", 1_000_003)
    finally:
        set_kernel_threads(previous)


@pytest.mark.parametrize("name", ["multi_sgd_update", "preloaded_multi_sgd_update"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_cpu_multi_kernel_matches_reference(name, dtype):
    op = get_op(name)
    for attrs in op.domain.attrs:
        attrs = op.parse(attrs)
        inputs = op.domain.make_inputs(np.random.default_rng(0), dtype, attrs)
        results = []
        for kernels in (REF, CPU):
            outs = tuple(np.zeros_like(inputs[2 * i]) for i in range(attrs["num_weights"]))
            kernels[name](tuple(x.copy() for x in inputs), outs, attrs)
            results.append(outs)
        for r, c in zip(*results):
            np.testing.assert_allclose(c, r, rtol=1e-6 if dtype != "float16" else 1e-3)


def test_float16_conversions_are_exact():
    """The Cython mp_ kernels convert float16 bits by hand; check every float16 and many floats."""
    attrs = get_op("mp_sgd_update").parse(dict(lr=1.0))
    g = np.arange(65536, dtype=np.uint16).view(np.float16)     # every float16 bit pattern
    w32, out = np.zeros(g.size, np.float32), np.zeros(g.size, np.float16)
    CPU["mp_sgd_update"]((out, g, w32), (out,), attrs)          # w32 = 0 - 1 * float(g)
    with np.errstate(invalid="ignore"):
        expected = np.float32(0) - g.astype(np.float32)
    np.testing.assert_array_equal(w32.view(np.uint32), expected.view(np.uint32))
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2**32, 1_000_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    x = np.concatenate([x, np.float32([65504, 65519.99, 65520, 2.0**-24, 2.0**-25, 3 * 2.0**-26,
                                       2.0**-14, -0.0, np.inf, -np.inf])])
    attrs = get_op("mp_sgd_update").parse(dict(lr=0.0))
    w32, out = x.copy(), np.zeros(x.size, np.float16)
    CPU["mp_sgd_update"]((out, np.zeros(x.size, np.float16), w32), (out,), attrs)
    finite = ~np.isnan(x)                                        # w32 = 1 * x - 0 * 0 = x
    with np.errstate(over="ignore"):
        expected = x[finite].astype(np.float16)
    np.testing.assert_array_equal(out[finite].view(np.uint16), expected.view(np.uint16))
    assert np.isnan(out[~finite]).all()
