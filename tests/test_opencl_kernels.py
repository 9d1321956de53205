"""The OpenCL backend's native kernels against the CPU backend, on hypothesis-drawn shapes.

Runs on any OpenCL device; without a GPU it picks PoCL's CPU device (``MINIMX_OPENCL_DEVICE=cpu``),
which is how CI runs it (the ``pocl`` extra). PoCL's kernel cache goes to a temp dir of this
session. Skipped, with the reason, when pyopencl or a device is missing.
"""
import os
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

os.environ.setdefault("POCL_CACHE_DIR", tempfile.mkdtemp(prefix="minimx-pocl-"))
os.environ.setdefault("MINIMX_OPENCL_DEVICE", "cpu")

import minimx as mx  # noqa: E402
from minimx._kernels import opencl  # noqa: E402

_REASON = opencl.missing_reason()
pytestmark = pytest.mark.skipif(_REASON is not None, reason=f"OpenCL backend unavailable: {_REASON}")
GPU, CPU = mx.gpu(0), mx.cpu()
RTOL = 2e-5
few = settings(max_examples=8)

dims = st.integers(1, 9)
shapes = st.lists(dims, min_size=1, max_size=4).map(tuple)


def both(values, dtype=np.float32):
    values = np.asarray(values, dtype)
    return mx.nd.array(values, ctx=CPU, dtype=dtype), mx.nd.array(values, ctx=GPU, dtype=dtype)


def same(cpu_result, gpu_result, rtol=RTOL, atol=1e-6):
    assert gpu_result.context == GPU
    np.testing.assert_allclose(gpu_result.asnumpy(), cpu_result.asnumpy(), rtol=rtol, atol=atol)


def rand(shape, lo=-2.0, hi=2.0, seed=0):
    return np.random.RandomState(seed).uniform(lo, hi, size=shape).astype(np.float32)


# -- contexts, storage, copies ---------------------------------------------------------------------
def test_context_and_copies():
    assert mx.num_gpus() >= 1
    x = rand((3, 5))
    g = mx.nd.array(x, ctx=mx.gpu())
    assert g.context == mx.gpu(0) and str(g.context) == "gpu(0)"
    np.testing.assert_array_equal(g.asnumpy(), x)
    np.testing.assert_array_equal(g.as_in_context(CPU).asnumpy(), x)
    c = mx.nd.zeros((3, 5))
    g.copyto(c)                                   # gpu -> existing cpu array
    np.testing.assert_array_equal(c.asnumpy(), x)
    back = mx.nd.ones((3, 5), ctx=GPU)
    (c * 2).copyto(back)                          # cpu -> existing gpu array
    np.testing.assert_array_equal(back.asnumpy(), 2 * x)
    assert g.as_in_context(GPU) is g
    np.testing.assert_array_equal(g.copy().asnumpy(), x)
    np.testing.assert_array_equal(mx.nd.zeros((2, 3), ctx=GPU).asnumpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(mx.nd.ones((4,), ctx=GPU, dtype="int32").asnumpy(), np.ones(4))
    np.testing.assert_array_equal(mx.nd.full((2, 2), 7.5, ctx=GPU).asnumpy(), np.full((2, 2), 7.5))
    np.testing.assert_array_equal(g[1:3].asnumpy(), x[1:3])      # a view into the same buffer
    np.testing.assert_array_equal(g[2].asnumpy(), x[2])
    g[1] = 0
    x[1] = 0
    np.testing.assert_array_equal(g.asnumpy(), x)
    with mx.gpu():
        assert mx.nd.ones((2,)).context == GPU
    assert mx.current_context() == CPU


def test_engine_order_across_devices():
    """A chain cpu -> gpu -> cpu -> gpu, pushed without waits, sees every earlier write."""
    a = mx.nd.ones((64, 64))
    for _ in range(5):
        g = a.as_in_context(GPU) * 2
        a = g.as_in_context(CPU) + 1
    mx.nd.waitall()
    assert float(a.asnumpy()[0, 0]) == 63.0


def test_device_selectors():
    from minimx._kernels.opencl import device
    everything = device._all_devices()
    first = everything[0][3]
    assert device._select("0", everything) == first
    assert device._select("0:0", everything) == first
    assert device._select(everything[0][2].name[:4].upper(), everything) == first
    with pytest.raises(mx.MXNetError, match="no OpenCL device matches 'no-such-device'"):
        device._select("no-such-device", everything)


def test_memory_info_and_empty_cache():
    free, total = mx.context.gpu_memory_info(0)
    assert 0 < free <= total
    x = mx.nd.ones((1000,), ctx=GPU)
    del x
    mx.gpu().empty_cache()


def test_missing_device_is_a_clear_error():
    with pytest.raises(mx.MXNetError, match="only .* OpenCL device"):
        mx.nd.zeros((2,), ctx=mx.gpu(57))


def test_missing_pyopencl_names_the_extra(monkeypatch):
    from minimx._kernels.opencl import device
    monkeypatch.setattr(device, "cl", None)
    with pytest.raises(mx.MXNetError, match=r"minimx\[opencl\]"):
        device.get_device(58)


# -- elementwise -------------------------------------------------------------------------------
_DOMAINS = {"log": (0.1, 3), "log2": (0.1, 3), "log10": (0.1, 3), "log1p": (-0.5, 3),
            "sqrt": (0.1, 3), "rsqrt": (0.1, 3), "arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9),
            "arccosh": (1.1, 3), "arctanh": (-0.9, 0.9), "gamma": (0.2, 4), "gammaln": (0.2, 4),
            "reciprocal": (0.5, 2), "rcbrt": (0.5, 2)}
UNARY = ["abs", "exp", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "cbrt", "rcbrt",
         "square", "reciprocal", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh",
         "tanh", "arcsinh", "arccosh", "arctanh", "degrees", "radians", "floor", "ceil", "round",
         "rint", "fix", "trunc", "sigmoid", "softsign", "erf", "gamma", "gammaln", "negative",
         "sign", "relu", "logical_not"]


@pytest.mark.parametrize("name", UNARY)
def test_unary(name):
    assert name in opencl.native_kernels()
    lo, hi = _DOMAINS.get(name, (-2.5, 2.5))
    x = rand((7, 13), lo, hi)
    x[0, :4] = [0.5, -0.5, 1.5, 0.0] if lo < 0 else x[0, :4]      # rounding ties
    c, g = both(x)
    fn = getattr(mx.nd, name)
    same(fn(c), fn(g), rtol=1e-4 if name in ("gamma", "gammaln", "tan") else RTOL)


BINARY = ["add", "sub", "mul", "div", "power", "maximum", "minimum", "hypot", "equal", "not_equal",
          "greater", "greater_equal", "lesser", "lesser_equal", "logical_and", "logical_or",
          "logical_xor"]


@st.composite
def broadcast_pair(draw):
    shape = draw(shapes)
    mask_a = draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
    mask_b = draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
    a = tuple(1 if m else s for s, m in zip(shape, mask_a))
    b = tuple(1 if m else s for s, m in zip(shape, mask_b))
    return a, b[draw(st.integers(0, len(b) - 1)):]     # b may have fewer axes


@few
@given(pair=broadcast_pair())
def test_broadcast_binary(pair):
    sa, sb = pair
    a, b = rand(sa, 0.2, 2, seed=1), rand(sb, 0.2, 2, seed=2)
    a.flat[0] = b.flat[0]        # some equal elements for the comparisons
    ca, ga = both(a)
    cb, gb = both(b)
    for name in BINARY:
        fn = getattr(mx.nd, f"broadcast_{name}")
        same(fn(ca, cb), fn(ga, gb), rtol=1e-5)


@pytest.mark.parametrize("dtype", ["int32", "int64", "float64"])
def test_binary_other_dtypes(dtype):
    a, b = np.arange(-6, 6).reshape(3, 4), np.arange(4) - 1
    ca, ga = both(a, dtype)
    cb, gb = both(b, dtype)
    for name in ("add", "sub", "mul", "maximum", "minimum", "greater"):
        fn = getattr(mx.nd, f"broadcast_{name}")
        out = fn(ga, gb)
        assert out.dtype == np.dtype(dtype)
        same(fn(ca, cb), out)


SCALAR = ["__add__", "__sub__", "__rsub__", "__mul__", "__truediv__", "__rtruediv__", "__pow__",
          "__rpow__", "__gt__", "__ge__", "__lt__", "__le__", "__eq__", "__ne__"]


@pytest.mark.parametrize("method", SCALAR)
def test_scalar_ops(method):
    c, g = both(rand((5, 7), 0.5, 2))
    same(getattr(c, method)(1.5), getattr(g, method)(1.5))
    same(mx.nd.maximum(c, 1.0), mx.nd.maximum(g, 1.0))


def test_inplace_and_int_scalar():
    c, g = both(np.arange(10), "int32")
    c += 3
    g += 3
    same(c, g)
    same(c * 2.7, g * 2.7)           # the scalar is cast to int32 first, as in MXNet


@few
@given(shape=shapes, data=st.data())
def test_transpose_broadcast_to_cast(shape, data):
    x = rand(shape)
    c, g = both(x)
    axes = tuple(data.draw(st.permutations(range(len(shape)))))
    same(mx.nd.transpose(c, axes=axes), mx.nd.transpose(g, axes=axes))
    target = tuple(s * data.draw(st.integers(1, 3)) if s == 1 else s for s in shape)
    same(mx.nd.broadcast_to(c[:1] if shape[0] > 1 else c, shape=(1,) + target[1:]),
         mx.nd.broadcast_to(g[:1] if shape[0] > 1 else g, shape=(1,) + target[1:]))
    for dtype in ("int32", "float64", "uint8"):
        same(c.astype(dtype), g.astype(dtype))


# -- reductions --------------------------------------------------------------------------------
@few
@given(shape=st.lists(st.integers(1, 7), min_size=1, max_size=4).map(tuple), data=st.data())
def test_reductions(shape, data):
    x = rand(shape)
    c, g = both(x)
    axis = tuple(sorted(set(data.draw(st.lists(st.integers(0, len(shape) - 1), max_size=3)))))
    keepdims = data.draw(st.booleans())
    exclude = data.draw(st.booleans()) and bool(axis)
    for name in ("sum", "mean", "max", "min"):
        fn = getattr(mx.nd, name)
        same(fn(c, axis=axis, keepdims=keepdims, exclude=exclude),
             fn(g, axis=axis, keepdims=keepdims, exclude=exclude), rtol=1e-5, atol=1e-5)
    ax = data.draw(st.integers(0, len(shape) - 1))
    same(mx.nd.argmax(c, axis=ax), mx.nd.argmax(g, axis=ax))
    same(mx.nd.argmin(c, axis=ax, keepdims=True), mx.nd.argmin(g, axis=ax, keepdims=True))


def test_long_reductions_use_work_groups():
    x = rand((3, 1001, 5))
    c, g = both(x)
    for axis in ((1,), (0, 1), (), (0, 2)):
        same(mx.nd.sum(c, axis=axis), mx.nd.sum(g, axis=axis), rtol=1e-5, atol=1e-4)
        same(mx.nd.max(c, axis=axis), mx.nd.max(g, axis=axis))
    same(mx.nd.argmax(c, axis=None), mx.nd.argmax(g, axis=None))
    same(mx.nd.mean(c), mx.nd.mean(g), atol=1e-6)


# -- GEMM ----------------------------------------------------------------------------------------
mnk = st.integers(1, 70)      # crosses the 64-wide tile: edges are zero-padded


@few
@given(m=mnk, n=mnk, k=mnk, ta=st.booleans(), tb=st.booleans())
def test_dot(m, n, k, ta, tb):
    a = rand((k, m) if ta else (m, k), seed=3)
    b = rand((n, k) if tb else (k, n), seed=4)
    (ca, ga), (cb, gb) = both(a), both(b)
    same(mx.nd.dot(ca, cb, transpose_a=ta, transpose_b=tb),
         mx.nd.dot(ga, gb, transpose_a=ta, transpose_b=tb), rtol=1e-4, atol=1e-4)


def test_dot_nd_operands():
    (ca, ga), (cb, gb) = both(rand((2, 3, 4))), both(rand((4, 5, 2)))
    same(mx.nd.dot(ca, cb), mx.nd.dot(ga, gb), rtol=1e-5, atol=1e-5)


@few
@given(batch=st.integers(1, 4), m=mnk, n=mnk, k=mnk, ta=st.booleans(), tb=st.booleans())
def test_batch_dot(batch, m, n, k, ta, tb):
    a = rand((batch, k, m) if ta else (batch, m, k), seed=5)
    b = rand((batch, n, k) if tb else (batch, k, n), seed=6)
    (ca, ga), (cb, gb) = both(a), both(b)
    same(mx.nd.batch_dot(ca, cb, transpose_a=ta, transpose_b=tb),
         mx.nd.batch_dot(ga, gb, transpose_a=ta, transpose_b=tb), rtol=1e-4, atol=1e-4)


@few
@given(batch=st.integers(1, 9), hidden=mnk, feat=st.integers(1, 4), flatten=st.booleans(),
       no_bias=st.booleans())
def test_fully_connected(batch, hidden, feat, flatten, no_bias):
    x = rand((batch, 3, feat))
    in_units = 3 * feat if flatten else feat
    w, b = rand((hidden, in_units), seed=7), rand((hidden,), seed=8)
    args_c = [both(v)[0] for v in (x, w, b)]
    args_g = [both(v)[1] for v in (x, w, b)]
    kw = dict(num_hidden=hidden, flatten=flatten, no_bias=no_bias)
    if no_bias:
        args_c, args_g = args_c[:2], args_g[:2]
    same(mx.nd.FullyConnected(*args_c, **kw), mx.nd.FullyConnected(*args_g, **kw), rtol=1e-4,
         atol=1e-5)


# -- softmax, Activation, optimizer updates ------------------------------------------------------
@few
@given(shape=shapes, data=st.data())
def test_softmax_forward_backward(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    temperature = data.draw(st.sampled_from([None, 0.5, 2.0]))
    x = rand(shape, -4, 4)
    for name in ("softmax", "log_softmax"):
        fn = getattr(mx.nd, name)
        grads, outs = [], []
        for ctx in (CPU, GPU):
            v = mx.nd.array(x, ctx=ctx)
            v.attach_grad()
            with mx.autograd.record():
                y = fn(v, axis=axis, temperature=temperature)
                loss = (y * mx.nd.array(np.arange(y.size).reshape(y.shape) % 3, ctx=ctx)).sum()
            loss.backward()
            outs.append(y)
            grads.append(v.grad)
        same(outs[0], outs[1], rtol=1e-5, atol=1e-6)
        same(grads[0], grads[1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("act", ["relu", "sigmoid", "tanh", "softrelu", "softsign"])
def test_activation(act):
    x = rand((6, 11), -30, 30)
    c, g = both(x)
    same(mx.nd.Activation(c, act_type=act), mx.nd.Activation(g, act_type=act), rtol=1e-5)


@pytest.mark.parametrize("clip", [-1.0, 0.1])
def test_fused_updates(clip):
    shape = (5, 9)
    w, grad, s1, s2 = (rand(shape, seed=i) for i in range(4))
    s2 = np.abs(s2)
    hyper = dict(lr=0.1, wd=0.01, rescale_grad=0.5, clip_gradient=clip)
    results = []
    for ctx in (CPU, GPU):
        W, G, M, V = (mx.nd.array(v, ctx=ctx) for v in (w, grad, s1, s2))
        a = mx.nd.sgd_update(W, G, **hyper)
        mx.nd.sgd_mom_update(W, G, M, out=W, momentum=0.9, **hyper)
        b = W.copy()
        mx.nd.adam_update(W, G, M, V, out=W, beta1=0.9, beta2=0.99, epsilon=1e-8, **hyper)
        c = mx.nd.multi_sgd_update(W, G, b, G, lrs=(0.1, 0.2), wds=(0.0, 0.1), num_weights=2,
                                   rescale_grad=0.5, clip_gradient=clip)
        results.append([a, b, W, M, V] + list(c))
    for r_cpu, r_gpu in zip(*results):
        same(r_cpu, r_gpu, rtol=1e-5, atol=1e-6)


# -- the host fallback ---------------------------------------------------------------------------
def test_fallback_is_counted_and_can_be_forbidden(monkeypatch):
    x = rand((4, 6))
    c, g = both(x, np.float16)     # float16 topk has no OpenCL kernel: the host fallback runs it
    before = opencl.fallback_report().get("topk", 0)
    same(mx.nd.topk(c, k=2), mx.nd.topk(g, k=2))
    assert opencl.fallback_report()["topk"] == before + 1
    monkeypatch.setenv("MINIMX_OPENCL_FALLBACK", "error")
    with pytest.raises(mx.MXNetError, match="topk: no OpenCL kernel"):
        mx.nd.topk(g, k=2).asnumpy()


def test_fallback_writes_back_mutated_inputs():
    """float16 rmsprop_update (no OpenCL kernel) mutates its state input on the host copy."""
    results = []
    for ctx in (CPU, GPU):
        W, G, N = (mx.nd.array(rand((3, 4), 0.1, 1, seed=i), ctx=ctx, dtype="float16")
                   for i in range(3))
        mx.nd.rmsprop_update(W, G, N, out=W, lr=0.1)
        results.append((W, N))
    for a, b in zip(*results):
        same(a, b)


@few
@given(shape=shapes, data=st.data())
def test_pick_forward_backward(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    mode = data.draw(st.sampled_from(["clip", "wrap"]))
    keep = tuple(s for a, s in enumerate(shape) if a != axis % len(shape))
    x = rand(shape)
    idx = np.random.RandomState(1).randint(-3, shape[axis] + 3, size=keep).astype(np.float32)
    res = []
    for ctx in (CPU, GPU):
        v, i = mx.nd.array(x, ctx=ctx), mx.nd.array(idx, ctx=ctx)
        v.attach_grad()
        with mx.autograd.record():
            y = mx.nd.pick(v, i, axis=axis, mode=mode)
            (y * 3).sum().backward()
        res.append((y, v.grad))
    same(res[0][0], res[1][0])
    same(res[0][1], res[1][1])


@few
@given(n=st.integers(1, 3), c=st.integers(1, 3), f=st.integers(1, 4), h=st.integers(3, 9),
       w=st.integers(3, 9), k=st.integers(1, 3), stride=st.integers(1, 2), pad=st.integers(0, 1),
       dilate=st.integers(1, 2), no_bias=st.booleans())
def test_convolution_forward_backward(n, c, f, h, w, k, stride, pad, dilate, no_bias):
    if (k - 1) * dilate + 1 > min(h, w) + 2 * pad:
        return
    x, wt, b = rand((n, c, h, w), seed=1), rand((f, c, k, k), seed=2), rand((f,), seed=3)
    kw = dict(kernel=(k, k), stride=(stride, stride), pad=(pad, pad), dilate=(dilate, dilate),
              num_filter=f, no_bias=no_bias)
    res = []
    for ctx in (CPU, GPU):
        args = [mx.nd.array(v, ctx=ctx) for v in ((x, wt) if no_bias else (x, wt, b))]
        for a in args:
            a.attach_grad()
        with mx.autograd.record():
            y = mx.nd.Convolution(*args, **kw)
            (y * y).sum().backward()
        res.append([y] + [a.grad for a in args])
    for a, b_ in zip(*res):
        same(a, b_, rtol=1e-4, atol=1e-4)
