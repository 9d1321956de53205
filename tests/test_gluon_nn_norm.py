"""gluon.nn normalization layers: BatchNorm, LayerNorm, InstanceNorm, GroupNorm.

Outputs and gradients (input and parameters) are checked against numpy (forward formulas and
float64 central differences); names, reprs, defaults and BatchNorm's running statistics against
values observed in real MXNet 1.9.1.
"""
import numpy as np
import pytest

import minimx as mx
from minimx.base import MXNetError
from minimx.gluon import nn
from numeric import central_differences

RS = np.random.RandomState(0)
# MXNet 1.9.1 drew its checks below from these very arrays (numpy's RandomState is stable).
X_BN = RS.uniform(-2, 2, (4, 3, 2, 2)).astype(np.float32)
W_BN = RS.uniform(-1, 1, (4, 3, 2, 2)).astype(np.float32)


# -- numpy references ------------------------------------------------------------------------
def normalize(x, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def along(v, ndim, axis):
    """Reshape a per-channel vector to broadcast along ``axis`` of an ndim array."""
    shape = [1] * ndim
    shape[axis] = -1
    return np.asarray(v).reshape(shape)


def bn_ref(x, gamma, beta, axis=1, eps=1e-5, mean=None, var=None):
    axis %= x.ndim
    red = tuple(a for a in range(x.ndim) if a != axis)
    if mean is None:
        xhat = normalize(x, red, eps)
    else:
        xhat = (x - along(mean, x.ndim, axis)) / np.sqrt(along(var, x.ndim, axis) + eps)
    return xhat * along(gamma, x.ndim, axis) + along(beta, x.ndim, axis)


def ln_ref(x, gamma, beta, axis=-1, eps=1e-5):
    axis %= x.ndim
    return normalize(x, (axis,), eps) * along(gamma, x.ndim, axis) + along(beta, x.ndim, axis)


def in_ref(x, gamma, beta, axis=1, eps=1e-5):
    axis %= x.ndim
    red = tuple(a for a in range(1, x.ndim) if a != axis)
    return normalize(x, red, eps) * along(gamma, x.ndim, axis) + along(beta, x.ndim, axis)


def gn_ref(x, gamma, beta, num_groups, eps=1e-5):
    n, c = x.shape[:2]
    xg = x.reshape((n, num_groups, -1))
    out = normalize(xg, (2,), eps) * gamma.reshape(1, -1, 1) + beta.reshape(1, -1, 1)
    return out.reshape(x.shape)


def run_layer(layer, x, head, train=True):
    """Forward and backward of ``sum(layer(x) * head)``: (out, x.grad, {param name: grad})."""
    xa = mx.nd.array(x, dtype=x.dtype)
    xa.attach_grad()
    with mx.autograd.record(train_mode=train):
        out = layer(xa)
        loss = (out * mx.nd.array(head, dtype=x.dtype)).sum()
    loss.backward()
    grads = {k: p.grad().asnumpy() for k, p in layer.params.items() if p.grad_req != "null"}
    return out.asnumpy(), xa.grad.asnumpy(), grads


def check_grads(ref, x, head, params, got_dx, got_grads, rtol=1e-6, atol=1e-7):
    """Central differences of ``sum(ref(x, *params) * head)`` against the layer's gradients."""
    loss = lambda *args: float((ref(*args) * head).sum())  # noqa: E731
    dx = central_differences(lambda v: loss(v, *params), x)
    np.testing.assert_allclose(got_dx, dx, rtol=rtol, atol=atol)
    for i, (name, value) in enumerate(got_grads.items()):
        def f(v, i=i):
            args = list(params)
            args[i] = v
            return loss(x, *args)
        np.testing.assert_allclose(value, central_differences(f, params[i]), rtol=rtol, atol=atol,
                                   err_msg=name)


# -- BatchNorm -------------------------------------------------------------------------------
def test_batchnorm_repr_names_and_defaults_match_mxnet():
    bn = nn.BatchNorm()
    assert repr(bn).startswith("BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, "
                               "use_global_stats=False, in_channels=None)")
    assert bn.name.startswith("batchnorm")
    suffixes = [k[len(bn.prefix):] for k in bn.params.keys()]
    assert suffixes == ["gamma", "beta", "running_mean", "running_var"]
    assert [p.grad_req for p in bn.params.values()] == ["write", "write", "null", "null"]
    bn.initialize()
    bn(mx.nd.ones((2, 8, 3)))
    assert repr(bn) == ("BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, "
                        "use_global_stats=False, in_channels=8)")
    expect = {"gamma": 1.0, "beta": 0.0, "running_mean": 0.0, "running_var": 1.0}
    for suffix, value in expect.items():
        p = bn.params[bn.prefix + suffix]
        assert p.shape == (8,)
        np.testing.assert_array_equal(p.data().asnumpy(), np.full(8, value, np.float32))
    frozen = nn.BatchNorm(axis=-1, momentum=0.8, epsilon=1e-3, center=False, scale=False,
                          use_global_stats=True, in_channels=4)
    assert repr(frozen) == ("BatchNorm(axis=-1, eps=0.001, momentum=0.8, fix_gamma=True, "
                            "use_global_stats=True, in_channels=4)")
    assert [p.grad_req for p in frozen.params.values()] == ["null"] * 4


def test_batchnorm_initializers_and_given_in_channels():
    bn = nn.BatchNorm(in_channels=3, gamma_initializer="zeros", beta_initializer=mx.init.One(),
                      running_mean_initializer=mx.init.Constant(0.5),
                      running_variance_initializer=mx.init.Constant(2.0))
    bn.initialize()
    np.testing.assert_array_equal(bn.gamma.data().asnumpy(), [0, 0, 0])
    np.testing.assert_array_equal(bn.beta.data().asnumpy(), [1, 1, 1])
    np.testing.assert_array_equal(bn.running_mean.data().asnumpy(), [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(bn.running_var.data().asnumpy(), [2, 2, 2])


def test_batchnorm_training_output_and_gradients_match_numpy():
    bn = nn.BatchNorm(gamma_initializer=mx.init.Constant(1.5),
                      beta_initializer=mx.init.Constant(-0.2))
    bn.cast("float64")
    bn.initialize()
    x, head = X_BN.astype(np.float64), W_BN.astype(np.float64)
    out, dx, grads = run_layer(bn, x, head)
    gamma, beta = np.full(3, 1.5), np.full(3, -0.2)
    np.testing.assert_allclose(out, bn_ref(x, gamma, beta), rtol=1e-10, atol=1e-12)
    check_grads(bn_ref, x, head, [gamma, beta], dx, grads)


def test_batchnorm_running_stats_after_training_steps_match_mxnet():
    bn = nn.BatchNorm(momentum=0.8)
    bn.initialize()
    for step in range(2):
        x = mx.nd.array(X_BN * (step + 1) + step)
        with mx.autograd.record():
            loss = (bn(x) * mx.nd.array(W_BN)).sum()
        loss.backward()
    # Recorded from MXNet 1.9.1 (CPU) with the same data.
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), [0.306998, 0.2601457, 0.3435325],
                               rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.data().asnumpy(), [1.8989646, 1.7177219, 1.7709521],
                               rtol=1e-5)
    np.testing.assert_allclose(bn.gamma.grad().asnumpy(), [-4.2815766, -2.2418349, 4.1376419],
                               rtol=1e-5)
    np.testing.assert_allclose(bn.beta.grad().asnumpy(), [-2.8779356, -3.4937987, -2.3882427],
                               rtol=1e-5)
    # Prediction mode normalises with the running statistics.
    out = bn(mx.nd.array(X_BN)).asnumpy()
    np.testing.assert_allclose(out[0, :, 0, 0], [-0.0810895, -0.4314945, 1.1355177], rtol=1e-5)
    ref = bn_ref(X_BN.astype(np.float64), bn.gamma.data().asnumpy(), bn.beta.data().asnumpy(),
                 mean=bn.running_mean.data().asnumpy(), var=bn.running_var.data().asnumpy())
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)


def test_batchnorm_running_stats_follow_the_momentum_formula():
    bn = nn.BatchNorm(momentum=0.7, in_channels=3)
    bn.initialize()
    x = X_BN.astype(np.float64)
    run_layer(bn, X_BN, W_BN)
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))    # biased variance, as MXNet
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), 0.3 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.data().asnumpy(), 0.7 + 0.3 * var, rtol=1e-5)


def test_batchnorm_predict_mode_uses_running_stats_and_leaves_them():
    bn = nn.BatchNorm(in_channels=3, running_mean_initializer=mx.init.Constant(0.5),
                      running_variance_initializer=mx.init.Constant(2.0))
    bn.initialize()
    out, dx, grads = run_layer(bn, X_BN, W_BN, train=False)
    ref = bn_ref(X_BN.astype(np.float64), np.ones(3), np.zeros(3), mean=np.full(3, 0.5),
                 var=np.full(3, 2.0))
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
    # The affine gradient: the statistics are constants.
    np.testing.assert_allclose(dx, W_BN / np.sqrt(2.0 + 1e-5), rtol=1e-5)
    np.testing.assert_array_equal(bn.running_mean.data().asnumpy(), [0.5] * 3)
    np.testing.assert_array_equal(bn.running_var.data().asnumpy(), [2.0] * 3)
    np.testing.assert_allclose(bn(mx.nd.array(X_BN)).asnumpy(), ref, rtol=1e-5, atol=1e-6)


def test_batchnorm_use_global_stats_in_training():
    bn = nn.BatchNorm(use_global_stats=True, running_mean_initializer=mx.init.Constant(-0.3))
    bn.initialize()
    out, _, grads = run_layer(bn, X_BN, W_BN, train=True)
    ref = bn_ref(X_BN.astype(np.float64), np.ones(3), np.zeros(3), mean=np.full(3, -0.3),
                 var=np.ones(3))
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(bn.running_mean.data().asnumpy(), np.float32([-0.3] * 3))
    np.testing.assert_array_equal(bn.running_var.data().asnumpy(), [1.0] * 3)
    np.testing.assert_allclose(grads[bn.prefix + "beta"], W_BN.sum(axis=(0, 2, 3)), rtol=1e-5)


def test_batchnorm_channels_last_without_scale_or_center_matches_mxnet():
    x = np.array([[1.3460517, -0.9195698, 2.3157601, -0.9812181],
                  [1.7112662, 0.0800319, 1.9407761, 2.8487542],
                  [-0.0049874, 1.3046293, 1.3681678, 1.2890077],
                  [-0.1076735, 2.8109961, 0.7885015, 2.3856347],
                  [1.7979171, 0.1897478, 2.2551913, 0.586023]], np.float32)
    bn = nn.BatchNorm(axis=-1, scale=False, center=False)
    bn.initialize()
    out, dx, grads = run_layer(bn, x, np.ones_like(x))
    assert grads == {}
    np.testing.assert_allclose(out, bn_ref(x.astype(np.float64), np.ones(4), np.zeros(4), axis=-1),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dx, 0, atol=1e-5)      # sum of a normalised column is constant
    np.testing.assert_array_equal(bn.gamma.data().asnumpy(), [1, 1, 1, 1])
    # MXNet 1.9.1:
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(),
                               [0.0948515, 0.0693167, 0.173368, 0.122564], rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.data().asnumpy(),
                               [0.9697202, 1.0617875, 0.9336128, 1.0852687], rtol=1e-5)


def test_batchnorm_training_forward_alone_keeps_running_stats_as_mxnet_cpu():
    # MXNet 1.9.1's CPU op updates the running statistics in backward (cuDNN's in forward).
    bn = nn.BatchNorm()
    bn.initialize()
    with mx.autograd.record():
        out = bn(mx.nd.array(X_BN))
    out.wait_to_read()
    np.testing.assert_array_equal(bn.running_mean.data().asnumpy(), [0, 0, 0])
    np.testing.assert_array_equal(bn.running_var.data().asnumpy(), [1, 1, 1])
    out.backward()
    # MXNet 1.9.1: 0.9 * 0 + 0.1 * batch mean, 0.9 * 1 + 0.1 * biased batch var
    x = X_BN.astype(np.float64)
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), 0.1 * x.mean(axis=(0, 2, 3)),
                               rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.data().asnumpy(), 0.9 + 0.1 * x.var(axis=(0, 2, 3)),
                               rtol=1e-6)


def test_batchnorm_cast_float16_keeps_float32_parameters():
    bn = nn.BatchNorm()
    bn.cast("float16")
    bn.initialize()
    out = bn(mx.nd.array(X_BN, dtype="float16"))
    assert out.dtype == np.float16
    assert all(p.dtype in (np.float32, "float32") for p in bn.params.values())


@pytest.mark.parametrize("axis, shape", [(1, (4,)), (2, (4, 3)), (-3, (4, 3))])
def test_batchnorm_wrong_rank_raises_a_clear_error(axis, shape):
    bn = nn.BatchNorm(axis=axis)
    bn.initialize()
    with pytest.raises(MXNetError, match=r"BatchNorm 'batchnorm\d+'.*out of range.*\(4"):
        bn(mx.nd.ones(shape))


def test_batchnorm_wrong_channel_count_raises():
    bn = nn.BatchNorm(in_channels=3)
    bn.initialize()
    with pytest.raises(MXNetError, match="gamma has shape"):
        bn(mx.nd.ones((4, 5)))


# -- LayerNorm -------------------------------------------------------------------------------
# The input MXNet 1.9.1 normalised for the values below.
XG = np.array([[[1.5244128, 0.3250915, 1.5269414], [0.7701263, 0.9010171, 0.0052975],
                [1.8243345, 0.5759608, -0.3045798], [0.4255728, -1.9232272, -0.7937008]],
               [[0.6406941, -0.8396896, 0.4720617], [-0.2849252, -1.4581038, -0.8068707],
                [0.2798596, 0.3634911, 0.297301], [0.6128033, 0.6084131, -0.2743263]]])
HG = RS.uniform(-1, 1, (2, 4, 3))
# Output sample 0 of LayerNorm()/InstanceNorm() on XG in MXNet 1.9.1 (the two agree here).
MXNET_LN_OUT0 = [[0.7048604, -1.4141891, 0.7093283], [0.5349165, 0.8662533, -1.40117],
                 [1.2888765, -0.1403764, -1.1485001], [1.2400355, -1.2088451, -0.0311904]]
MXNET_GN2_OUT0 = [[1.2089835, -0.9162313, 1.2134644], [-0.127623, 0.1043174, -1.4829108],
                  [1.5830048, 0.5187914, -0.2318517], [0.3905887, -1.6117159, -0.6488174]]


def affine_params(layer, size):
    gamma, beta = RS.uniform(0.5, 2, size), RS.uniform(-1, 1, size)
    layer.gamma.set_data(mx.nd.array(gamma, dtype="float64"))
    layer.beta.set_data(mx.nd.array(beta, dtype="float64"))
    return gamma, beta


def test_layernorm_repr_names_defaults_and_mxnet_values():
    ln = nn.LayerNorm()
    assert repr(ln) == "LayerNorm(eps=1e-05, axis=-1, center=True, scale=True, in_channels=0)"
    assert [k[len(ln.prefix):] for k in ln.params.keys()] == ["gamma", "beta"]
    ln.initialize()
    out = ln(mx.nd.array(XG.astype(np.float32))).asnumpy()
    assert repr(ln) == "LayerNorm(eps=1e-05, axis=-1, center=True, scale=True, in_channels=3)"
    np.testing.assert_array_equal(ln.gamma.data().asnumpy(), [1, 1, 1])
    np.testing.assert_array_equal(ln.beta.data().asnumpy(), [0, 0, 0])
    np.testing.assert_allclose(out[0], MXNET_LN_OUT0, rtol=1e-5, atol=1e-6)
    assert [p.grad_req for p in nn.LayerNorm(center=False, scale=False).params.values()] == \
        ["null", "null"]


@pytest.mark.parametrize("axis", [-1, 1, 0])
def test_layernorm_output_and_gradients_match_numpy(axis):
    ln = nn.LayerNorm(axis=axis)
    ln.cast("float64")
    ln.initialize()
    ln(mx.nd.array(XG, dtype="float64"))                  # deferred init
    gamma, beta = affine_params(ln, XG.shape[axis])
    out, dx, grads = run_layer(ln, XG, HG)
    ref = lambda x, g, b: ln_ref(x, g, b, axis=axis)  # noqa: E731
    np.testing.assert_allclose(out, ref(XG, gamma, beta), rtol=1e-10, atol=1e-12)
    check_grads(ref, XG, HG, [gamma, beta], dx, grads)


def test_layernorm_wrong_input_raises():
    ln = nn.LayerNorm(axis=2)
    ln.initialize()
    with pytest.raises(MXNetError, match=r"LayerNorm 'layernorm\d+'.*axis 2 is out of range"):
        ln(mx.nd.ones((4, 5)))
    ln = nn.LayerNorm(in_channels=3)
    ln.initialize()
    with pytest.raises(MXNetError, match="gamma has shape"):
        ln(mx.nd.ones((4, 5)))


# -- InstanceNorm ----------------------------------------------------------------------------
def test_instancenorm_repr_defaults_and_mxnet_values():
    inorm = nn.InstanceNorm()
    assert repr(inorm) == ("InstanceNorm(eps=1e-05, axis=1, center=True, scale=False, "
                           "in_channels=0)")
    assert [p.grad_req for p in inorm.params.values()] == ["null", "write"]   # gamma, beta
    inorm.initialize()
    out = inorm(mx.nd.array(XG.astype(np.float32))).asnumpy()
    assert repr(inorm).endswith("in_channels=4)")
    np.testing.assert_allclose(out[0], MXNET_LN_OUT0, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis", [1, 2, -1])
def test_instancenorm_output_and_gradients_match_numpy(axis):
    x = RS.uniform(-2, 2, (2, 3, 2, 2))
    head = RS.uniform(-1, 1, x.shape)
    inorm = nn.InstanceNorm(axis=axis, scale=True)
    inorm.cast("float64")
    inorm.initialize()
    inorm(mx.nd.array(x, dtype="float64"))
    gamma, beta = affine_params(inorm, x.shape[axis])
    out, dx, grads = run_layer(inorm, x, head)
    ref = lambda v, g, b: in_ref(v, g, b, axis=axis)  # noqa: E731
    np.testing.assert_allclose(out, ref(x, gamma, beta), rtol=1e-9, atol=1e-11)
    check_grads(ref, x, head, [gamma, beta], dx, grads)


def test_instancenorm_needs_three_axes():
    inorm = nn.InstanceNorm()
    inorm.initialize()
    with pytest.raises(MXNetError,
                       match=r"InstanceNorm 'instancenorm\d+'.*at least 3 axes.*\(4, 3\)"):
        inorm(mx.nd.ones((4, 3)))


# -- GroupNorm -------------------------------------------------------------------------------
def test_groupnorm_repr_defaults_and_mxnet_values():
    gn = nn.GroupNorm(num_groups=2)
    assert repr(gn) == "GroupNorm(eps=1e-05, num_groups=2, center=True, scale=True)"
    assert gn.gamma.shape == (2,) and gn.beta.shape == (2,)
    gn.initialize()
    out = gn(mx.nd.array(XG.astype(np.float32))).asnumpy()
    np.testing.assert_allclose(out[0], MXNET_GN2_OUT0, rtol=1e-5, atol=1e-6)


def test_groupnorm_output_and_gradients_match_numpy():
    gn = nn.GroupNorm(num_groups=2)
    gn.cast("float64")
    gn.initialize()
    gamma, beta = affine_params(gn, 2)
    out, dx, grads = run_layer(gn, XG, HG)
    ref = lambda x, g, b: gn_ref(x, g, b, 2)  # noqa: E731
    np.testing.assert_allclose(out, ref(XG, gamma, beta), rtol=1e-10, atol=1e-12)
    check_grads(ref, XG, HG, [gamma, beta], dx, grads)


@pytest.mark.parametrize("shape, match", [((4, 4), "at least 3 axes"),
                                          ((4, 3, 2), "do not split into num_groups=2")])
def test_groupnorm_bad_input_raises(shape, match):
    gn = nn.GroupNorm(num_groups=2)
    gn.initialize()
    with pytest.raises(MXNetError, match=match):
        gn(mx.nd.ones(shape))
