"""gluon.nn convolution and pooling layers: Conv1D/2D/3D, Conv*DTranspose, Max/AvgPool*D,
Global*Pool*D, ReflectionPad2D.

Forward values and gradients are checked against the numpy references below (gradients by float64
central differences of the reference); reprs, names, shapes and a few values (ceil_mode,
count_include_pad, output_padding) were recorded from real MXNet 1.9.1.
"""
import itertools

import numpy as np
import pytest
from numeric import central_differences

import minimx as mx
from minimx.gluon import nn

RNG = np.random.RandomState(0)
FLT_MAX = float(np.finfo(np.float32).max)


@pytest.fixture(autouse=True)
def fresh_names():
    with mx.name.NameManager():
        yield


# ---- numpy references ---------------------------------------------------------------------------
def np_conv(x, w, b, stride, pad, dilate, groups):
    """Cross-correlation in groups: one einsum per kernel tap."""
    n = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pad])
    k = w.shape[2:]
    out_sz = [(xp.shape[2 + i] - dilate[i] * (k[i] - 1) - 1) // stride[i] + 1 for i in range(n)]
    out = np.zeros((x.shape[0], w.shape[0]) + tuple(out_sz))
    cg, fg = x.shape[1] // groups, w.shape[0] // groups
    for g, off in itertools.product(range(groups), np.ndindex(*k)):
        window = tuple(slice(off[i] * dilate[i], off[i] * dilate[i] + stride[i] * (out_sz[i] - 1)
                             + 1, stride[i]) for i in range(n))
        patch = xp[(slice(None), slice(g * cg, (g + 1) * cg)) + window]
        tap = w[(slice(g * fg, (g + 1) * fg), slice(None)) + off]
        out[:, g * fg:(g + 1) * fg] += np.einsum("nc...,fc->nf...", patch, tap)
    return out if b is None else out + b.reshape((1, -1) + (1,) * n)


def np_deconv(x, w, b, stride, pad, dilate, groups, adj):
    """Transposed convolution: each input value scatters ``value * kernel`` into the output."""
    n = x.ndim - 2
    k, sp = w.shape[2:], x.shape[2:]
    full = [(sp[i] - 1) * stride[i] + dilate[i] * (k[i] - 1) + 1 + adj[i] for i in range(n)]
    cg, fg = x.shape[1] // groups, w.shape[1]
    buf = np.zeros((x.shape[0], fg * groups) + tuple(full))
    for g, off in itertools.product(range(groups), np.ndindex(*k)):
        window = tuple(slice(off[i] * dilate[i], off[i] * dilate[i] + stride[i] * (sp[i] - 1) + 1,
                             stride[i]) for i in range(n))
        tap = w[(slice(g * cg, (g + 1) * cg), slice(None)) + off]
        buf[(slice(None), slice(g * fg, (g + 1) * fg)) + window] += np.einsum(
            "nc...,cf->nf...", x[:, g * cg:(g + 1) * cg], tap)
    out = buf[(slice(None), slice(None)) + tuple(
        slice(pad[i], full[i] - pad[i]) for i in range(n))]
    return out if b is None else out + b.reshape((1, -1) + (1,) * n)


def np_pool(x, kernel, stride, pad, pool_type, ceil_mode=False, count_include_pad=True):
    """MXNet's pooling: max ignores padding; avg divides by the window clipped to the padded
    input (or to the real input with count_include_pad=False); a window with no real element
    gives -FLT_MAX (max) or 0 (avg)."""
    n, sp = len(kernel), x.shape[2:]
    rnd = np.ceil if ceil_mode else np.floor
    out_sz = [int(rnd((sp[i] + 2 * pad[i] - kernel[i]) / stride[i])) + 1 for i in range(n)]
    out = np.empty(x.shape[:2] + tuple(out_sz))
    for o in np.ndindex(*out_sz):
        start = [o[i] * stride[i] - pad[i] for i in range(n)]
        end = [min(start[i] + kernel[i], sp[i] + pad[i]) for i in range(n)]
        lo = [max(s, 0) for s in start]
        hi = [min(e, sp[i]) for i, e in enumerate(end)]
        win = x[(Ellipsis,) + tuple(slice(a, b) for a, b in zip(lo, hi))]
        axes = tuple(range(2, 2 + n))
        if pool_type == "max":
            val = win.max(axis=axes) if win.size else -FLT_MAX
        else:
            count = np.prod([e - s for s, e in zip(start, end)]) if count_include_pad else \
                np.prod([b - a for a, b in zip(lo, hi)])
            val = win.sum(axis=axes) / count if win.size else 0.0  # MXNet's: 0, not 0/0
        out[(Ellipsis,) + o] = val
    return out


def run_with_grads(layer, x_np, head):
    """Forward and backward of ``layer`` on ``x_np``: (out, dx, {param name: grad})."""
    x = mx.nd.array(x_np)
    x.attach_grad()
    with mx.autograd.record():
        y = layer(x)
    y.backward(mx.nd.array(head))
    grads = {k: v.grad().asnumpy() for k, v in layer._reg_params.items()}
    return y.asnumpy(), x.grad.asnumpy(), grads


def check_grads(f, x_np, dx, **params):
    """``dx`` (and each named gradient) against central differences of ``f(x, **params)``."""
    np.testing.assert_allclose(dx, central_differences(lambda v: f(v, **params), x_np),
                               rtol=1e-3, atol=1e-3)


# ---- reprs and names (recorded from MXNet 1.9.1) ------------------------------------------------
REPRS = [
    (lambda: nn.Conv2D(6, 5, padding=2, in_channels=3, activation="relu"),
     "Conv2D(3 -> 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2), Activation(relu))"),
    (lambda: nn.Conv2D(6, (3, 3)), "Conv2D(None -> 6, kernel_size=(3, 3), stride=(1, 1))"),
    (lambda: nn.Conv1D(4, 3, strides=2, dilation=2, groups=2, use_bias=False),
     "Conv1D(None -> 4, kernel_size=(3,), stride=(2,), dilation=(2,), groups=2, bias=False)"),
    (lambda: nn.Conv3D(8, 3, in_channels=2),
     "Conv3D(2 -> 8, kernel_size=(3, 3, 3), stride=(1, 1, 1))"),
    (lambda: nn.Conv2D(3, [3, 3], padding=[1, 1], strides=[2, 2], dilation=[1, 1]),
     "Conv2D(None -> 3, kernel_size=[3, 3], stride=[2, 2], padding=[1, 1], dilation=[1, 1])"),
    # MXNet prints weight.shape[1] -> weight.shape[0], i.e. reversed for transposed layers, and
    # never prints output_padding.
    (lambda: nn.Conv1DTranspose(4, 3, output_padding=1, strides=2),
     "Conv1DTranspose(4 -> 0, kernel_size=(3,), stride=(2,))"),
    (lambda: nn.Conv2DTranspose(4, 3, strides=2, output_padding=1, in_channels=2),
     "Conv2DTranspose(4 -> 2, kernel_size=(3, 3), stride=(2, 2))"),
    (lambda: nn.Conv3DTranspose(4, 3, groups=2, in_channels=4, padding=1, activation="tanh"),
     "Conv3DTranspose(2 -> 4, kernel_size=(3, 3, 3), stride=(1, 1, 1), padding=(1, 1, 1), "
     "groups=2, Activation(tanh))"),
    (lambda: nn.MaxPool1D(), "MaxPool1D(size=(2,), stride=(2,), padding=(0,), ceil_mode=False, "
                             "global_pool=False, pool_type=max, layout=NCW)"),
    (lambda: nn.MaxPool3D(3, 2, 1, ceil_mode=True),
     "MaxPool3D(size=(3, 3, 3), stride=(2, 2, 2), padding=(1, 1, 1), ceil_mode=True, "
     "global_pool=False, pool_type=max, layout=NCDHW)"),
    (lambda: nn.MaxPool2D([3, 3], [2, 2], [1, 1]),
     "MaxPool2D(size=[3, 3], stride=[2, 2], padding=[1, 1], ceil_mode=False, global_pool=False, "
     "pool_type=max, layout=NCHW)"),
    (lambda: nn.AvgPool2D(count_include_pad=False),
     "AvgPool2D(size=(2, 2), stride=(2, 2), padding=(0, 0), ceil_mode=False, global_pool=False, "
     "pool_type=avg, layout=NCHW)"),
    (lambda: nn.GlobalAvgPool2D(),
     "GlobalAvgPool2D(size=(1, 1), stride=(1, 1), padding=(0, 0), ceil_mode=True, "
     "global_pool=True, pool_type=avg, layout=NCHW)"),
    (lambda: nn.GlobalMaxPool1D(),
     "GlobalMaxPool1D(size=(1,), stride=(1,), padding=(0,), ceil_mode=True, global_pool=True, "
     "pool_type=max, layout=NCW)"),
    (lambda: nn.ReflectionPad2D(2), "ReflectionPad2D(\n\n)"),
]


@pytest.mark.parametrize("make,expected", REPRS)
def test_repr_is_mxnets(make, expected):
    assert repr(make()) == expected


def test_names_and_parameter_shapes_follow_mxnet():
    layers = [nn.Conv2D(6, 5, in_channels=3, activation="relu"), nn.Conv1D(4, 3, groups=2),
              nn.Conv1DTranspose(4, 3), nn.Conv3DTranspose(4, 3, groups=2, in_channels=4),
              nn.MaxPool2D(), nn.GlobalAvgPool3D(), nn.ReflectionPad2D(1)]
    got = [(b.name, [(p.name, p.shape, p.init) for p in b.collect_params().values()])
           for b in layers]
    assert got == [
        ("conv0", [("conv0_weight", (6, 3, 5, 5), None), ("conv0_bias", (6,), "zeros")]),
        ("conv1", [("conv1_weight", (4, 0, 3), None), ("conv1_bias", (4,), "zeros")]),
        ("conv2", [("conv2_weight", (0, 4, 3), None), ("conv2_bias", (4,), "zeros")]),
        ("conv3", [("conv3_weight", (4, 2, 3, 3, 3), None), ("conv3_bias", (4,), "zeros")]),
        ("pool0", []), ("pool1", []), ("reflectionpad2d0", [])]
    assert layers[0].act.prefix == "conv0_relu_"
    assert layers[1]._kwargs == {"kernel": (3,), "stride": (1,), "dilate": (1,), "pad": (0,),
                                 "num_filter": 4, "num_group": 2, "no_bias": False,
                                 "layout": "NCW"}
    assert nn.AvgPool1D()._kwargs["count_include_pad"] is True
    assert "count_include_pad" not in nn.MaxPool1D()._kwargs
    assert nn.Conv2DTranspose(3, 3, output_padding=1).outpad == (1, 1)


def test_initializers_are_used():
    c = nn.Conv2D(2, 3, in_channels=1, weight_initializer="ones",
                  bias_initializer=mx.init.Constant(0.5))
    c.initialize()
    np.testing.assert_array_equal(c.weight.data().asnumpy(), np.ones((2, 1, 3, 3)))
    np.testing.assert_array_equal(c.bias.data().asnumpy(), [0.5, 0.5])


# ---- convolution values and gradients ----------------------------------------------------------
CONV_CASES = [  # (layer class, input shape, channels, kernel, keyword arguments)
    (nn.Conv1D, (2, 4, 9), 6, 3, dict(strides=2, padding=1, dilation=2, groups=2)),
    (nn.Conv2D, (2, 3, 6, 5), 4, (3, 2), dict(strides=(2, 1), padding=(1, 0))),
    (nn.Conv2D, (1, 4, 5, 5), 2, 3, dict(dilation=2, groups=2, use_bias=False)),
    (nn.Conv3D, (1, 2, 4, 3, 4), 2, 2, dict(padding=(1, 0, 1), strides=(1, 2, 1))),
]


def _tuple(v, n):
    return (v,) * n if isinstance(v, int) else tuple(v)


@pytest.mark.parametrize("cls,shape,channels,kernel,kw", CONV_CASES)
def test_conv_forward_and_gradients_match_numpy(cls, shape, channels, kernel, kw):
    n = len(shape) - 2
    layer = cls(channels, kernel, weight_initializer=mx.init.Normal(0.5),
                bias_initializer=mx.init.Normal(0.5), **kw)
    layer.initialize()
    x = RNG.randn(*shape)
    stride, pad = _tuple(kw.get("strides", 1), n), _tuple(kw.get("padding", 0), n)
    dilate, groups = _tuple(kw.get("dilation", 1), n), kw.get("groups", 1)
    y0 = layer(mx.nd.array(x))  # deferred in_channels: the weight's shape comes from x
    assert layer.weight.shape == (channels, shape[1] // groups) + _tuple(kernel, n)
    w = layer.weight.data().asnumpy().astype(np.float64)
    b = layer.bias.data().asnumpy().astype(np.float64) if layer.bias is not None else None

    def f(x_, w_=w, b_=b):
        return (np_conv(x_, w_, b_, stride, pad, dilate, groups) * head).sum()

    expected = np_conv(x.astype(np.float32), w, b, stride, pad, dilate, groups)
    assert y0.shape == expected.shape
    head = RNG.randn(*expected.shape)
    y, dx, grads = run_with_grads(layer, x, head)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)
    check_grads(f, x, dx)
    np.testing.assert_allclose(grads["weight"], central_differences(lambda v: f(x, w_=v), w),
                               rtol=1e-3, atol=1e-3)
    if b is not None:
        np.testing.assert_allclose(grads["bias"], central_differences(lambda v: f(x, b_=v), b),
                                   rtol=1e-3, atol=1e-3)


def test_conv_activation_is_applied():
    layer = nn.Conv2D(3, 3, padding=1, activation="relu")
    layer.initialize(mx.init.Normal(1.0))
    x = RNG.randn(2, 2, 4, 4)
    y = layer(mx.nd.array(x)).asnumpy()
    w = layer.weight.data().asnumpy()
    ref = np.maximum(np_conv(x, w, np.zeros(3), (1, 1), (1, 1), (1, 1), 1), 0)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)
    assert (y == 0).any() and (y > 0).any()


TRANSPOSE_CASES = [  # (class, input shape, channels, kernel, keyword arguments)
    (nn.Conv1DTranspose, (2, 4, 5), 4, 3, dict(strides=2, padding=1, output_padding=1,
                                               groups=2)),
    (nn.Conv2DTranspose, (1, 3, 3, 4), 2, (3, 2), dict(strides=(2, 3), output_padding=(1, 2),
                                                       dilation=(1, 2))),
    (nn.Conv3DTranspose, (1, 2, 2, 3, 2), 2, 2, dict(strides=2, padding=(0, 1, 0),
                                                     use_bias=False)),
]


@pytest.mark.parametrize("cls,shape,channels,kernel,kw", TRANSPOSE_CASES)
def test_conv_transpose_forward_and_gradients_match_numpy(cls, shape, channels, kernel, kw):
    n = len(shape) - 2
    layer = cls(channels, kernel, weight_initializer=mx.init.Normal(0.5),
                bias_initializer=mx.init.Normal(0.5), **kw)
    layer.initialize()
    x = RNG.randn(*shape)
    stride, pad = _tuple(kw.get("strides", 1), n), _tuple(kw.get("padding", 0), n)
    dilate, groups = _tuple(kw.get("dilation", 1), n), kw.get("groups", 1)
    adj = _tuple(kw.get("output_padding", 0), n)
    layer(mx.nd.array(x))
    assert layer.weight.shape == (shape[1], channels // groups) + _tuple(kernel, n)
    w = layer.weight.data().asnumpy().astype(np.float64)
    b = layer.bias.data().asnumpy().astype(np.float64) if layer.bias is not None else None
    expected = np_deconv(x, w, b, stride, pad, dilate, groups, adj)
    head = RNG.randn(*expected.shape)

    def f(x_, w_=w):
        return (np_deconv(x_, w_, b, stride, pad, dilate, groups, adj) * head).sum()

    y, dx, grads = run_with_grads(layer, x, head)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)
    check_grads(f, x, dx)
    np.testing.assert_allclose(grads["weight"], central_differences(lambda v: f(x, w_=v), w),
                               rtol=1e-3, atol=1e-3)


def test_conv2d_transpose_output_padding_value_from_mxnet():
    c = nn.Conv2DTranspose(2, 3, strides=2, padding=1, output_padding=1, in_channels=1,
                           weight_initializer="ones", bias_initializer=mx.init.Constant(0.5))
    c.initialize()
    y = c(mx.nd.array(np.arange(4).reshape(1, 1, 2, 2) + 1.0))
    assert y.shape == (1, 2, 4, 4)
    np.testing.assert_allclose(y.asnumpy()[0, 0], [[1.5, 3.5, 2.5, 2.5], [4.5, 10.5, 6.5, 6.5],
                                                   [3.5, 7.5, 4.5, 4.5], [3.5, 7.5, 4.5, 4.5]])


# ---- pooling ------------------------------------------------------------------------------------
POOL_CASES = [  # (layer, kernel, stride, pad, pool type, ceil_mode, count_include_pad, input)
    (nn.MaxPool1D(3, 2, 1), (3,), (2,), (1,), "max", False, True, (2, 3, 8)),
    (nn.MaxPool2D(), (2, 2), (2, 2), (0, 0), "max", False, True, (2, 2, 5, 4)),
    (nn.MaxPool2D(3, 2, 1, ceil_mode=True), (3, 3), (2, 2), (1, 1), "max", True, True,
     (1, 2, 6, 6)),
    (nn.MaxPool3D(2, 1), (2, 2, 2), (1, 1, 1), (0, 0, 0), "max", False, True, (1, 2, 3, 3, 4)),
    (nn.AvgPool1D(3, 2, 1, ceil_mode=True), (3,), (2,), (1,), "avg", True, True, (2, 2, 8)),
    (nn.AvgPool2D(3, 2, 1, count_include_pad=False), (3, 3), (2, 2), (1, 1), "avg", False,
     False, (2, 2, 5, 6)),
    (nn.AvgPool2D((2, 3), (1, 2)), (2, 3), (1, 2), (0, 0), "avg", False, True, (1, 3, 4, 7)),
    (nn.AvgPool3D(2, 2, 1, ceil_mode=True, count_include_pad=False), (2, 2, 2), (2, 2, 2),
     (1, 1, 1), "avg", True, False, (1, 2, 3, 4, 3)),
]


@pytest.mark.parametrize("layer,kernel,stride,pad,ptype,ceil,cip,shape", POOL_CASES)
def test_pool_forward_and_gradient_match_numpy(layer, kernel, stride, pad, ptype, ceil, cip,
                                               shape):
    x = RNG.randn(*shape)
    expected = np_pool(x, kernel, stride, pad, ptype, ceil, cip)
    head = RNG.randn(*expected.shape)
    y, dx, grads = run_with_grads(layer, x, head)
    assert grads == {}
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    check_grads(lambda v: (np_pool(v, kernel, stride, pad, ptype, ceil, cip) * head).sum(), x, dx)


def test_ceil_mode_and_count_include_pad_values_from_mxnet():
    x = mx.nd.array(np.arange(36).reshape(1, 1, 6, 6) % 7 - 3.0)
    got = nn.AvgPool2D(3, 2, 1, ceil_mode=True)(x).asnumpy()[0, 0]
    np.testing.assert_allclose(got[:, 3], [0.5, 0.0, -1.0, -0.75], atol=1e-6)
    np.testing.assert_allclose(got[3], [-0.166667, 0.5, 0.333333, -0.75], atol=1e-6)
    got = nn.AvgPool2D(3, 2, 1, ceil_mode=True, count_include_pad=False)(x).asnumpy()[0, 0]
    np.testing.assert_allclose(got[0], [-1.25, -1.5, 0.5, 1.5], atol=1e-6)
    np.testing.assert_allclose(got[3], [-0.5, 1.0, 0.666667, -3.0], atol=1e-6)
    got = nn.MaxPool2D(3, 2, 1, ceil_mode=True)(x).asnumpy()[0, 0]
    np.testing.assert_array_equal(got[3], [0.0, 2.0, 3.0, -3.0])
    # A ceil_mode window lying wholly in the padding: avg gives 0, max gives -FLT_MAX (MXNet's).
    x1 = mx.nd.array(np.arange(7).reshape(1, 1, 7) * 1.0)
    np.testing.assert_array_equal(nn.AvgPool1D(2, 3, 1, ceil_mode=True)(x1).asnumpy()[0, 0],
                                  [0.0, 2.5, 5.5, 0.0])
    np.testing.assert_array_equal(nn.MaxPool1D(2, 3, 1, ceil_mode=True)(x1).asnumpy()[0, 0],
                                  [0.0, 3.0, 6.0, -FLT_MAX])
    x1 = mx.nd.array([[[1.0, 2.0, 3.0]]])
    np.testing.assert_array_equal(
        nn.AvgPool1D(2, 2, 1, ceil_mode=True, count_include_pad=False)(x1).asnumpy()[0, 0],
        [1.0, 2.5, 0.0])


@pytest.mark.parametrize("cls,shape", [
    (nn.GlobalMaxPool1D, (2, 3, 5)), (nn.GlobalMaxPool2D, (2, 3, 4, 5)),
    (nn.GlobalMaxPool3D, (1, 2, 3, 4, 2)), (nn.GlobalAvgPool1D, (2, 3, 5)),
    (nn.GlobalAvgPool2D, (2, 3, 4, 5)), (nn.GlobalAvgPool3D, (1, 2, 3, 4, 2))])
def test_global_pools_reduce_every_spatial_axis(cls, shape):
    x = RNG.randn(*shape)
    axes = tuple(range(2, len(shape)))
    reduce = np.max if "Max" in cls.__name__ else np.mean
    expected = reduce(x, axis=axes, keepdims=True)
    head = RNG.randn(*expected.shape)
    y, dx, _ = run_with_grads(cls(), x, head)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    check_grads(lambda v: (reduce(v, axis=axes, keepdims=True) * head).sum(), x, dx)


def test_global_pool_takes_any_spatial_rank_as_mxnet_does():
    assert nn.GlobalAvgPool2D()(mx.nd.ones((2, 3, 4))).shape == (2, 3, 1)
    assert nn.GlobalAvgPool2D()(mx.nd.ones((2, 3, 4, 4, 4))).shape == (2, 3, 1, 1, 1)
    assert nn.GlobalMaxPool1D()(mx.nd.ones((2, 3, 4, 5))).shape == (2, 3, 1, 1)
    with pytest.raises(mx.MXNetError, match=r"GlobalAvgPool2D 'pool\d+' expects 3-d to 5-d"):
        nn.GlobalAvgPool2D()(mx.nd.ones((2, 3)))


def test_reflection_pad2d_values_and_gradient():
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    y = nn.ReflectionPad2D(2)(mx.nd.array(x)).asnumpy()
    assert y[0, 0, 0].tolist() == [10.0, 9.0, 8.0, 9.0, 10.0, 11.0, 10.0, 9.0]  # MXNet's
    pad = (0, 0, 0, 0, 1, 2, 2, 1)
    x = RNG.randn(2, 2, 4, 5)
    ref = np.pad(x, [(0, 0), (0, 0), (1, 2), (2, 1)], mode="reflect")
    head = RNG.randn(*ref.shape)
    y, dx, _ = run_with_grads(nn.ReflectionPad2D(pad), x, head)
    np.testing.assert_allclose(y, ref, rtol=1e-6)
    check_grads(lambda v: (np.pad(v, [(0, 0), (0, 0), (1, 2), (2, 1)], mode="reflect")
                           * head).sum(), x, dx)


# ---- deferred initialization in a network -----------------------------------------------------
def test_deferred_in_channels_through_a_network():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(6, 5, padding=2, activation="relu"), nn.MaxPool2D(),
                nn.Conv2D(4, 3, groups=2), nn.Conv2DTranspose(3, 2, strides=2),
                nn.GlobalAvgPool2D(), nn.Dense(5))
    net.initialize()
    assert repr(net[2]) == "Conv2D(None -> 4, kernel_size=(3, 3), stride=(1, 1), groups=2)"
    out = net(mx.nd.ones((2, 3, 12, 12)))
    assert out.shape == (2, 5)
    shapes = {k: v.shape for k, v in net.collect_params().items()}
    assert shapes["hybridsequential0_conv0_weight"] == (6, 3, 5, 5)
    assert shapes["hybridsequential0_conv1_weight"] == (4, 3, 3, 3)
    assert shapes["hybridsequential0_conv2_weight"] == (4, 3, 2, 2)
    assert repr(net[3]) == "Conv2DTranspose(3 -> 4, kernel_size=(2, 2), stride=(2, 2))"
    net.hybridize()
    np.testing.assert_allclose(net(mx.nd.ones((2, 3, 12, 12))).asnumpy(), out.asnumpy(),
                               rtol=1e-5)


# ---- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("make,shape,message", [
    (lambda: nn.Conv2D(6, 3), (2, 3, 5),
     r"Conv2D 'conv0' expects 4-d input \(batch, channels, height, width\) for layout NCHW, "
     r"got 3-d input of shape \(2, 3, 5\)"),
    (lambda: nn.Conv1D(2, 3, in_channels=2), (2, 2, 5, 5), r"Conv1D 'conv0' expects 3-d input"),
    (lambda: nn.Conv3DTranspose(2, 3), (2, 2, 5, 5), r"Conv3DTranspose 'conv0' expects 5-d"),
    (lambda: nn.MaxPool2D(), (2, 3, 4), r"MaxPool2D 'pool0' expects 4-d input"),
    (lambda: nn.AvgPool1D(), (2, 3, 4, 4), r"AvgPool1D 'pool0' expects 3-d input"),
    (lambda: nn.ReflectionPad2D(1), (2, 3, 4, 4, 4), r"ReflectionPad2D '\w+' expects 4-d input"),
    (lambda: nn.Conv2D(6, 3, in_channels=3), (2, 4, 5, 5),
     r"Conv2D 'conv0' expects 3 input channels"),
    (lambda: nn.Conv2D(6, 3, groups=2), (2, 3, 5, 5), r"3 channels .* cannot be split into 2"),
])
def test_bad_input_raises_naming_the_layer(make, shape, message):
    layer = make()
    layer.initialize()
    with pytest.raises(mx.MXNetError, match=message):
        layer(mx.nd.ones(shape))


@pytest.mark.parametrize("make,message", [
    (lambda: nn.Conv1D(3, 3, layout="NWC"), r"Conv1D: layout 'NWC' is not valid; use one of "
                                            r"'NCW'"),
    (lambda: nn.Conv2D(3, 3, layout="NHWC"),
     r"not supported by minimx .* x.transpose\(\(0, 3, 1, 2"),
    (lambda: nn.MaxPool3D(layout="NDHWC"), r"MaxPool3D: layout 'NDHWC' is not supported"),
    (lambda: nn.GlobalAvgPool1D(layout="NCHW"), r"GlobalAvgPool1D: layout 'NCHW' is not valid"),
    (lambda: nn.Conv2D(3, (3, 3, 3)), r"kernel_size must be a number or a list of 2 ints"),
    (lambda: nn.Conv2D(3, 3, strides=(1, 1, 1)), r"strides must be a number or a list of 2"),
    (lambda: nn.Conv2DTranspose(3, 3, output_padding=(1, 1, 1)), r"output_padding must be"),
    (lambda: nn.Conv2D(3, 3, groups=2), r"channels \(3\) .* divisible by groups \(2\)"),
    (lambda: nn.ReflectionPad2D((1, 1)), r"padding must be an int or 8 ints"),
])
def test_bad_arguments_raise_at_construction(make, message):
    with pytest.raises(mx.MXNetError, match=message):
        make()
