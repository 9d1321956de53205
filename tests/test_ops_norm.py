"""The norm ops: BatchNorm, LayerNorm, InstanceNorm, GroupNorm, L2Normalization and LRN.

Expected values marked "MXNet" were observed with Apache MXNet 1.9.1 on the same inputs.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minimx as mx
from minimx.ndarray.invoke import call_op
from minimx._kernels import get_backend
from minimx.ops import get_op

REF = get_backend("reference").kernels
CPU = get_backend("cpu").kernels

# The (2, 3, 4) input of every MXNet observation below: arange(24) ** 1.5 / 10.
X = np.arange(24, dtype=np.float32).reshape(2, 3, 4) ** 1.5 / 10


def nd(values, dtype="float32"):
    return mx.nd.array(np.asarray(values), dtype=dtype)


def close(result, expected, rtol=1e-5, atol=1e-5):
    result = result.asnumpy() if isinstance(result, mx.nd.NDArray) else result
    np.testing.assert_allclose(result, np.asarray(expected), rtol=rtol, atol=atol)


# Train mode for Dropout, rrelu and BatchNorm.
training = mx.autograd.train_mode


def bn_params(dtype="float32"):
    """gamma, beta, moving_mean, moving_var of the MXNet observations (fresh arrays)."""
    return [nd([1.0, 2.0, 0.5], dtype), nd([0.1, -0.2, 0.3], dtype), nd([0.5, -0.5, 1.0], dtype),
            nd([2.0, 1.0, 0.5], dtype)]


# -- BatchNorm -------------------------------------------------------------------------------
def test_batch_norm_defaults():
    op = get_op("BatchNorm")
    assert {p.name: p.parsed_default for p in op.params} == {
        "eps": 1e-3, "momentum": 0.9, "fix_gamma": True, "use_global_stats": False,
        "output_mean_var": False, "axis": 1, "cudnn_off": False, "min_calib_range": None,
        "max_calib_range": None}
    # Only gamma (set to 1 with fix_gamma): the running statistics are updated by the backward.
    assert op.train_aware and op.mutates == (1,)
    bwd = get_op("_backward_BatchNorm")
    assert bwd.mutates({"use_global_stats": False}, 7) == (5, 6)
    assert bwd.mutates({"use_global_stats": True}, 7) == ()
    assert bwd.mutates({"use_global_stats": False}, 5) == ()


MX_BN_PRED = [   # MXNet, fix_gamma=False, prediction: the running statistics
    [[-0.253465, -0.182772, -0.053515, 0.113867], [2.398701, 3.034451, 3.73742, 4.501702],
     [1.192002, 1.500881, 1.827435, 2.170752]],
    [[2.685188, 3.06007, 3.449661, 3.853428], [13.593106, 14.811056, 16.065374, 17.35504],
     [5.91184, 6.391583, 6.882888, 7.385491]]]


def test_batch_norm_prediction():
    params = bn_params()
    y = mx.nd.BatchNorm(nd(X), *params, fix_gamma=False)
    assert isinstance(y, mx.nd.NDArray)
    close(y, MX_BN_PRED)
    y, mean, invstd = mx.nd.BatchNorm(nd(X), *params, fix_gamma=False, output_mean_var=True)
    close(mean, [0.5, -0.5, 1.0])                     # MXNet: the running mean ...
    close(invstd, [0.70693, 0.9995, 1.412802])         # ... and 1 / sqrt(running var + eps)
    close(params[2], [0.5, -0.5, 1.0])                 # nothing is updated in prediction
    close(params[3], [2.0, 1.0, 0.5])


def test_batch_norm_fix_gamma_treats_gamma_as_one():   # MXNet
    params = bn_params()
    y = mx.nd.BatchNorm(nd(X), *params)
    close(y.asnumpy()[0, 1], [1.09935, 1.417226, 1.76871, 2.150851])
    close(params[0], [1.0, 2.0, 0.5])                  # in prediction gamma is left alone


def recorded_bn(x, params, **kw):
    """BatchNorm under ``autograd.record()`` (x gets a gradient); returns (outputs, x)."""
    x = nd(x)
    x.attach_grad()
    with mx.autograd.record():
        out = mx.nd.BatchNorm(x, *params, **kw)
    return out, x


def test_batch_norm_training_and_running_statistics():   # MXNet
    params = bn_params()
    (y, mean, invstd), _ = recorded_bn(X, params, fix_gamma=False, output_mean_var=True)
    # MXNet 1.9.1 (CPU): the forward alone leaves the running statistics ...
    close(params[2], [0.5, -0.5, 1.0])
    close(params[3], [2.0, 1.0, 0.5])
    y.backward()
    close(y, [[[-0.97517, -0.933806, -0.858175, -0.760237], [-2.49801, -2.29044, -2.060924, -1.811389],
               [-0.286473, -0.225395, -0.160822, -0.092933]],
              [[0.744293, 0.963643, 1.191601, 1.427852], [1.156916, 1.554572, 1.964102, 2.385172],
               [0.646835, 0.7417, 0.838851, 0.938237]]])
    close(mean, [2.599299, 4.320962, 6.461289])         # the batch mean
    close(invstd, [0.413638, 0.326333, 0.279369])       # 1 / sqrt(biased batch var + eps)
    # ... and backward updates them: moving = moving * 0.9 + batch * 0.1, biased variance
    close(params[2], [0.70993, -0.017904, 1.546129])
    close(params[3], [2.384365, 1.838929, 1.731174])
    close(params[0], [1.0, 2.0, 0.5])


def test_batch_norm_training_with_fix_gamma_sets_gamma_to_one():   # MXNet
    params = bn_params()
    y, _ = recorded_bn(X, params, momentum=0.5, eps=0.1)
    close(y.asnumpy()[0], [[-0.966178, -0.92516, -0.850162, -0.753043],
                           [-1.342996, -1.239753, -1.125595, -1.001481],
                           [-0.868441, -0.746753, -0.618103, -0.482848]])
    close(params[0], [1.0, 1.0, 1.0])              # MXNet: by the forward already
    close(params[2], [0.5, -0.5, 1.0])
    y.backward()
    close(params[0], [1.0, 1.0, 1.0])
    close(params[2], [1.549649, 1.910481, 3.730645])
    close(params[3], [3.921823, 5.194644, 6.65587])


def test_batch_norm_updates_are_ordered_by_the_engine(engine_kind):
    # Each backward reads the running statistics the previous one wrote (_backward_BatchNorm
    # declares them mutated); the threaded engine must give the naive engine's answer.
    params = bn_params()
    mean, var = np.array([0.5, -0.5, 1.0]), np.array([2.0, 1.0, 0.5])
    for scale in (1.0, 2.0, 3.0):
        y, _ = recorded_bn(X * scale, params, momentum=0.8)
        y.backward()
        mean = 0.8 * mean + 0.2 * (X * scale).mean(axis=(0, 2))
        var = 0.8 * var + 0.2 * (X * scale).var(axis=(0, 2))
    close(params[2], mean)
    close(params[3], var)
    # MXNet 1.9.1, the same three steps
    close(params[2], [2.980065, 4.272368, 7.283431])
    close(params[3], [16.03048, 24.623695, 33.156548])


def test_batch_norm_training_forward_alone_leaves_running_statistics():   # MXNet (CPU)
    params = bn_params()
    with training():     # training mode, not recording: no backward will come
        y = mx.nd.BatchNorm(nd(X), *params, fix_gamma=False)
    y.wait_to_read()
    close(params[2], [0.5, -0.5, 1.0])
    close(params[3], [2.0, 1.0, 0.5])


def test_batch_norm_prediction_mode_backward_leaves_running_statistics():   # MXNet
    params = bn_params()
    x = nd(X)
    x.attach_grad()
    with mx.autograd.record(train_mode=False):
        y = mx.nd.BatchNorm(x, *params, fix_gamma=False)
    y.backward()
    close(params[2], [0.5, -0.5, 1.0])
    close(params[3], [2.0, 1.0, 0.5])


def test_batch_norm_use_global_stats_in_training():
    params = bn_params()
    with training():
        y = mx.nd.BatchNorm(nd(X), *params, fix_gamma=False, use_global_stats=True)
    close(y, MX_BN_PRED)
    y, _ = recorded_bn(X, params, fix_gamma=False, use_global_stats=True)
    y.backward()
    close(y, MX_BN_PRED)
    close(params[2], [0.5, -0.5, 1.0])       # MXNet: not even after backward
    close(params[3], [2.0, 1.0, 0.5])


def test_batch_norm_other_axes():
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    for axis in (-1, 2, 0):
        channels = x.shape[axis]
        with training():
            y, mean, invstd = mx.nd.BatchNorm(
                nd(x), mx.nd.ones(channels), mx.nd.zeros(channels), mx.nd.zeros(channels),
                mx.nd.ones(channels), axis=axis, output_mean_var=True)
        others = tuple(a for a in range(3) if a != axis % 3)
        close(mean, x.mean(axis=others))
        close(invstd, 1 / np.sqrt(x.var(axis=others) + 1e-3), rtol=1e-4)
        assert abs(y.asnumpy().mean(axis=others)).max() < 1e-5


def test_batch_norm_2d_and_one_sample_per_channel():
    with training():
        y, mean, invstd = mx.nd.BatchNorm(nd([[1.0, 2.0]]), mx.nd.ones(2), mx.nd.zeros(2),
                                          mx.nd.zeros(2), mx.nd.ones(2), output_mean_var=True)
    close(y, [[0.0, 0.0]])                                 # MXNet
    close(mean, [1.0, 2.0])
    close(invstd, [31.622778, 31.622778])


def test_batch_norm_errors():
    x = mx.nd.ones((2, 3, 4))
    ones, zeros = mx.nd.ones(3), mx.nd.zeros(3)
    with pytest.raises(mx.MXNetError, match=r"gamma has shape \(4,\) but must have shape \(3,\): "
                                            r"one value per channel \(axis 1 of data \(2, 3, 4\)\)"):
        mx.nd.BatchNorm(x, mx.nd.ones(4), zeros, zeros, ones)
    with pytest.raises(mx.MXNetError, match=r"moving_var has shape \(2,\)"):
        mx.nd.BatchNorm(x, ones, zeros, zeros, mx.nd.ones(2))
    with pytest.raises(mx.MXNetError, match="channel axis 3 is out of range for a 3-d input"):
        mx.nd.BatchNorm(x, ones, zeros, zeros, ones, axis=3)
    with pytest.raises(mx.MXNetError, match="gamma has dtype float32 but float64 data needs float64"):
        mx.nd.BatchNorm(x.astype("float64"), ones, zeros, zeros, ones)
    with pytest.raises(mx.MXNetError, match="floating point"):
        mx.nd.BatchNorm(x.astype("int32"), ones, zeros, zeros, ones)


def test_missing_inputs_are_named():
    with pytest.raises(mx.MXNetError, match="BatchNorm: input 'gamma' is missing"):
        mx.nd.BatchNorm(mx.nd.ones((2, 3)))
    with pytest.raises(mx.MXNetError, match="LayerNorm: input 'beta' is missing"):
        mx.nd.LayerNorm(mx.nd.ones((2, 3)), mx.nd.ones(3))
    with pytest.raises(mx.MXNetError, match="needs data and gamma, beta; 1 of those"):
        call_op("LayerNorm", (mx.nd.ones((2, 3)), mx.nd.ones(3)), (), {})


def test_batch_norm_float16_keeps_float32_statistics():
    params = bn_params()
    y, mean, invstd = mx.nd.BatchNorm(nd(X, "float16"), *params, fix_gamma=False,
                                      output_mean_var=True)
    assert (y.dtype, mean.dtype, invstd.dtype) == (np.float16, np.float32, np.float32)
    # NB: MXNet 1.9.1's CPU float16 BatchNorm returns inf here; minimx computes the values.
    close(y, MX_BN_PRED, rtol=2e-3, atol=2e-3)


# -- LayerNorm, InstanceNorm, GroupNorm ------------------------------------------------------
def test_layer_norm():   # MXNet
    gamma, beta = nd([1, 2, 0.5, -1]), nd([0.1, 0.2, 0.3, 0.4])
    assert isinstance(mx.nd.LayerNorm(nd(X), gamma, beta), mx.nd.NDArray)
    y, mean, std = mx.nd.LayerNorm(nd(X), gamma, beta, output_mean_var=True)
    close(y.asnumpy()[0], [[-1.040863, -1.070388, 0.444693, -1.086672],
                           [-1.199143, -0.777809, 0.5035, -0.981047],
                           [-1.217523, -0.742096, 0.51193, -0.964712]])
    close(mean, [[[0.225614], [1.309938], [2.943326]], [[4.972983], [7.331985], [9.979252]]])
    close(std, [[[0.197758], [0.392519], [0.516564]], [[0.615991], [0.701429], [0.777521]]])


def test_layer_norm_axis_1():   # MXNet
    y = mx.nd.LayerNorm(nd(X), nd([1, 2, 0.5]), nd([0.1, -0.2, 0.3]), axis=1, eps=0.01)
    close(y.asnumpy()[1], [[-1.096707, -1.098417, -1.09993, -1.101277],
                           [-0.302537, -0.296447, -0.291043, -0.286214],
                           [0.923988, 0.92332, 0.922725, 0.922192]])


def test_layer_norm_errors():
    with pytest.raises(mx.MXNetError, match=r"gamma has shape \(3,\) but must have shape \(4,\)"):
        mx.nd.LayerNorm(nd(X), mx.nd.ones(3), mx.nd.zeros(4))
    with pytest.raises(mx.MXNetError, match="axis 3 is out of range"):
        mx.nd.LayerNorm(nd(X), mx.nd.ones(4), mx.nd.zeros(4), axis=3)
    with pytest.raises(mx.MXNetError, match="gamma has dtype float32 but float64"):
        mx.nd.LayerNorm(nd(X, "float64"), mx.nd.ones(4), mx.nd.zeros(4))


def test_instance_norm():   # MXNet
    y = mx.nd.InstanceNorm(nd(X), nd([1, 2, 0.5]), nd([0.1, -0.2, 0.3]))
    close(y.asnumpy()[0], [[-1.026692, -0.527304, 0.385791, 1.568205],
                           [-2.789978, -1.174683, 0.611398, 2.553263],
                           [-0.357543, 0.064912, 0.511538, 0.981094]])
    with pytest.raises(mx.MXNetError, match="at least 3 axes"):
        mx.nd.InstanceNorm(nd([[1, 2], [3, 4]]), mx.nd.ones(2), mx.nd.zeros(2))
    with pytest.raises(mx.MXNetError, match=r"gamma has shape \(4,\) .* channel \(axis 1"):
        mx.nd.InstanceNorm(nd(X), mx.nd.ones(4), mx.nd.zeros(3))


def test_group_norm():   # MXNet: gamma and beta have one value per group
    x = nd(np.arange(24, dtype=np.float32).reshape(2, 4, 3) ** 1.5 / 10)
    y, mean, std = mx.nd.GroupNorm(x, nd([1, 2]), nd([0, 1]), num_groups=2, output_mean_var=True)
    close(y.asnumpy()[0], [[-1.197752, -0.942956, -0.477079], [0.126209, 0.840619, 1.650958],
                           [-1.80706, -0.78117, 0.320881], [1.494153, 2.734557, 4.03864]])
    close(mean, [[0.470082, 2.515838], [5.550202, 9.305945]])
    close(std, [[0.39247, 0.745366], [0.974815, 1.159483]])
    assert isinstance(mx.nd.GroupNorm(x, nd([1]), nd([0])), mx.nd.NDArray)


def test_group_norm_errors():
    x = mx.nd.ones((2, 6, 4))
    with pytest.raises(mx.MXNetError, match="6 channels .* do not split into num_groups=4"):
        mx.nd.GroupNorm(x, mx.nd.ones(4), mx.nd.zeros(4), num_groups=4)
    with pytest.raises(mx.MXNetError, match=r"gamma has shape \(6,\) but must have shape \(2,\)"):
        mx.nd.GroupNorm(x, mx.nd.ones(6), mx.nd.zeros(6), num_groups=2)
    with pytest.raises(mx.MXNetError, match="at least 3 axes"):
        mx.nd.GroupNorm(mx.nd.ones((2, 6)), mx.nd.ones(1), mx.nd.zeros(1))


# -- L2Normalization and LRN -----------------------------------------------------------------
MX_L2 = {   # MXNet, sample 0 of arange(24).reshape(2, 3, 4) - 10
    "instance": [[-0.508987, -0.458088, -0.407189, -0.356291], [-0.305392, -0.254493, -0.203595, -0.152696],
                 [-0.101797, -0.050899, 0.0, 0.050899]],
    "channel": [[-0.845154, -0.870063, -0.894427, -0.911322], [-0.507093, -0.483368, -0.447214, -0.390567],
                [-0.169031, -0.096674, 0.0, 0.130189]],
    "spatial": [[-0.583212, -0.524891, -0.466569, -0.408248], [-0.646997, -0.539164, -0.431331, -0.323498],
                [-0.816497, -0.408248, 0.0, 0.408248]],
}


@pytest.mark.parametrize("mode", sorted(MX_L2))
def test_l2_normalization(mode):
    x = nd(np.arange(24).reshape(2, 3, 4) - 10)
    close(mx.nd.L2Normalization(x, mode=mode).asnumpy()[0], MX_L2[mode])


def test_l2_normalization_small_inputs():   # MXNet
    close(mx.nd.L2Normalization(nd([[3, 4], [0, 0]])), [[0.6, 0.8], [0, 0]])
    close(mx.nd.L2Normalization(nd([[3, 4]]), eps=11.0), [[0.5, 0.666667]])
    close(mx.nd.L2Normalization(nd([3, -4])), [1, -1])            # 1-d: each element an instance
    with pytest.raises(mx.MXNetError, match="at least 3 axes"):
        mx.nd.L2Normalization(nd([[3, 4]]), mode="spatial")


MX_LRN = {   # MXNet, alpha=0.5, beta=0.5, knorm=1, sample 0 channels 0-1 of arange(40) * 0.3
    1: [[[0.0, 0.29347], [0.552345, 0.759284]], [[0.914991, 1.028992], [1.112044, 1.17302]]],
    3: [[[0.0, 0.254457], [0.474342, 0.658145]], [[0.80904, 0.929367], [1.022331, 1.093958]]],
    4: [[[0.0, 0.26388], [0.498273, 0.700119]], [[0.870572, 1.010439], [1.121719, 1.209667]]],
}


@pytest.mark.parametrize("nsize", sorted(MX_LRN))
def test_lrn(nsize):
    x = nd(np.arange(40).reshape(2, 5, 2, 2) * 0.3)
    y = mx.nd.LRN(x, nsize=nsize, alpha=0.5, beta=0.5, knorm=1.0)
    close(y.asnumpy()[0, :2], MX_LRN[nsize])


def test_lrn_defaults_and_errors():
    x = nd(np.arange(40).reshape(2, 5, 2, 2) * 0.3)
    close(mx.nd.LRN(x, nsize=3).asnumpy()[1, 0], [[3.563709, 3.741517], [3.91927, 4.096968]])
    with pytest.raises(mx.MXNetError, match="nsize"):
        mx.nd.LRN(x)
    with pytest.raises(mx.MXNetError, match="4-d"):
        mx.nd.LRN(mx.nd.ones((2, 3, 4)), nsize=3)


# -- Cython kernels against the numpy reference --------------------------------------------------
def _run_both(name, make_ins, out_specs, params):
    params = dict(params)
    is_train = params.pop("is_train", False)
    attrs = dict(get_op(name).parse(params), is_train=is_train)
    results = []
    for kernels in (REF, CPU):
        ins = make_ins()
        outs = tuple(np.full(s, np.nan, d) for s, d in out_specs)
        kernels[name](ins, outs, attrs)
        results.append((ins, outs))
    return results


def _tol(dtype):
    return dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-11, atol=1e-11)


@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=4), data=st.data(),
       dtype=st.sampled_from([np.float32, np.float64]), train=st.booleans(),
       fix_gamma=st.booleans(), offset=st.sampled_from([0.0, 100.0]))
def test_batch_norm_kernel_matches_reference(shape, data, dtype, train, fix_gamma, offset):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    channels = shape[axis]
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) + offset).astype(dtype)
    params = [rng.uniform(0.5, 2, channels), rng.uniform(-1, 1, channels),
              rng.uniform(-1, 1, channels), rng.uniform(0.5, 2, channels)]
    (ref_ins, ref_outs), (cpu_ins, cpu_outs) = _run_both(
        "BatchNorm", lambda: (x,) + tuple(p.astype(dtype) for p in params),
        [(shape, dtype), ((channels,), dtype), ((channels,), dtype)],
        {"axis": axis, "fix_gamma": fix_gamma, "is_train": train})
    for a, b in zip(ref_outs + ref_ins[1:], cpu_outs + cpu_ins[1:]):
        np.testing.assert_allclose(b, a, **_tol(dtype))


def test_batch_norm_kernel_large_and_empty():
    rng = np.random.default_rng(5)
    for shape, axis in (((16, 300, 7, 5), 1), ((700, 300), 1), ((0, 3, 4), 1)):
        x = (rng.standard_normal(shape) * 3 + 7).astype(np.float32)
        channels = shape[axis]
        (ref_ins, ref_outs), (cpu_ins, cpu_outs) = _run_both(
            "BatchNorm", lambda: (x, np.ones(channels, np.float32), np.zeros(channels, np.float32),
                                  np.zeros(channels, np.float32), np.ones(channels, np.float32)),
            [(shape, np.float32), ((channels,), np.float32), ((channels,), np.float32)],
            {"axis": axis, "is_train": True})
        for a, b in zip(ref_outs + ref_ins[3:], cpu_outs + cpu_ins[3:]):
            np.testing.assert_allclose(b, a, rtol=2e-5, atol=2e-5)


@given(shape=st.lists(st.integers(1, 9), min_size=1, max_size=3),
       dtype=st.sampled_from([np.float32, np.float64]), axis=st.sampled_from([-1, 0]))
def test_layer_norm_kernel_matches_reference(shape, dtype, axis):
    rng = np.random.default_rng(len(shape))
    x = (rng.standard_normal(shape) * 2 + 3).astype(dtype)
    n = shape[axis]
    stats = list(shape)
    stats[axis] = 1
    gamma, beta = rng.uniform(0.5, 2, n).astype(dtype), np.linspace(-1, 1, n).astype(dtype)
    (_, ref_outs), (_, cpu_outs) = _run_both(
        "LayerNorm", lambda: (x, gamma, beta),
        [(shape, dtype), (tuple(stats), dtype), (tuple(stats), dtype)], {"axis": axis})
    for a, b in zip(ref_outs, cpu_outs):
        np.testing.assert_allclose(b, a, **_tol(dtype))


def test_layer_norm_kernel_float16_falls_back():
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float16)
    g, b = np.ones(5, np.float16), np.zeros(5, np.float16)
    (_, ref_outs), (_, cpu_outs) = _run_both(
        "LayerNorm", lambda: (x, g, b), [((3, 5), np.float16), ((3, 1), np.float16),
                                         ((3, 1), np.float16)], {})
    for a, c in zip(ref_outs, cpu_outs):
        np.testing.assert_array_equal(c, a)
