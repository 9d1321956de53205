"""norm ops: BatchNorm, LayerNorm, InstanceNorm, GroupNorm, L2Normalization and LRN.

Kernels are named after the ops (``_kernels/reference/norm.py`` is the spec; ``cpu/norm.pyx``
speeds up BatchNorm and LayerNorm). Statistics are biased (divided by n, not n - 1), as in MXNet.
"""
import numpy as np

from .gradutil_norm import (batch_norm_grad, backward_batch_norm_grad, group_norm_grad,
                            instance_norm_grad, l2_normalization_grad, layer_norm_grad, lrn_grad)
from .nn import check_axis, float_dtype
from .opdef import Domain, OpDef, Param, fail
from .params import Bool, Enum, Float, Int, OptFloat

__all__ = []

_FLOAT_DTYPES = ("float32", "float64")


def _check_param_shapes(names, shapes, size, what):
    """Each of the inputs ``names`` must have shape ``(size,)``: one value per ``what``."""
    if len(shapes) != len(names):
        fail(f"needs data and {', '.join(names)}; {len(shapes)} of those were given",
             "pass every input (None is not allowed here)")
    for name, shape in zip(names, shapes):
        if shape != (size,):
            fail(f"{name} has shape {shape} but must have shape ({size},): one value per {what}",
                 f"give {name} {size} values")


def _param_dtype(data):
    """float16 data keeps its per-channel arrays (and statistics) in float32, as in MXNet."""
    return np.dtype(np.float32) if data == np.float16 else data


def _check_param_dtypes(names, data, dtypes, expected):
    if data.kind != "f":
        fail(f"supports floating point data only, not {data}", "cast with .astype('float32')")
    for name, d in zip(names, dtypes):
        if d != expected:
            fail(f"{name} has dtype {d} but {data} data needs {expected} {names[0]}/{names[-1]}",
                 f"cast {name} with .astype('{expected}')")


# -- BatchNorm -------------------------------------------------------------------------------
_BN_PARAMS = ("gamma", "beta", "moving_mean", "moving_var")


def _batch_norm_shape(attrs, data, *params):
    axis = check_axis(attrs["axis"], len(data), "channel axis")
    channels = data[axis]
    _check_param_shapes(_BN_PARAMS, params, channels, f"channel (axis {axis} of data {data})")
    return [data, (channels,), (channels,)]


def _batch_norm_dtype(attrs, data, *params):
    expected = _param_dtype(data)
    _check_param_dtypes(_BN_PARAMS, data, params, expected)
    return [data, expected, expected]


def _bn_inputs(rng, dtype, attrs):
    axis = attrs.get("axis", 1)
    shape = [2, 3, 4, 2]
    channels = shape[axis]
    return [rng.uniform(-2, 2, size=shape).astype(dtype),
            rng.uniform(0.5, 2, size=channels).astype(dtype),
            rng.uniform(-1, 1, size=channels).astype(dtype),
            rng.uniform(-1, 1, size=channels).astype(dtype),
            rng.uniform(0.5, 2, size=channels).astype(dtype)]


BatchNorm = OpDef(
    "BatchNorm", inputs=("data", "gamma", "beta", "moving_mean", "moving_var"),
    params=(Param("eps", Float, 1e-3, "added to the variance"),
            Param("momentum", Float, 0.9, "decay of the running statistics"),
            Param("fix_gamma", Bool, True, "treat gamma as 1 (and set it to 1 while training)"),
            Param("use_global_stats", Bool, False, "normalise with the running statistics always"),
            Param("output_mean_var", Bool, False, "also return the mean and inverse std"),
            Param("axis", Int, 1, "the channel axis"),
            Param("cudnn_off", Bool, False, "unused on the CPU"),
            Param("min_calib_range", OptFloat, None, "quantisation only"),
            Param("max_calib_range", OptFloat, None, "quantisation only")),
    shape=_batch_norm_shape, dtype=_batch_norm_dtype, train_aware=True, grad=batch_norm_grad,
    # In training gamma is set to 1 here with fix_gamma. moving_mean and moving_var are only
    # read: as in MXNet 1.9.1's CPU op, the backward (_backward_BatchNorm) updates them, so a
    # training-mode forward without a backward leaves them as they were.
    mutates=(1,),
    num_visible=lambda attrs: 3 if attrs["output_mean_var"] else 1,
    formula="out = (x - mean) / sqrt(var + eps) * gamma + beta per channel; training: batch "
            "statistics, and backward sets moving = moving * momentum + batch * (1 - momentum)",
    doc="Normalises each channel with the batch statistics while training and the running "
        "statistics otherwise. The extra outputs are the mean and 1 / sqrt(var + eps). As in "
        "MXNet 1.9.1 on the CPU, the running statistics are updated by the backward pass of a "
        "training-mode forward (under autograd.record()), once per recorded call.",
    # The generated gradient check records in training mode but evaluates its finite differences
    # in prediction mode, so its parameter sets use the running statistics (use_global_stats);
    # tests/test_grads_norm.py checks the training-mode gradient.
    domain=Domain(dtypes=_FLOAT_DTYPES, make_inputs=_bn_inputs,
                  attrs=[{"use_global_stats": True}, {"use_global_stats": True, "fix_gamma": False},
                         {"axis": -1, "fix_gamma": False, "use_global_stats": True},
                         {"use_global_stats": True, "output_mean_var": True}]),
    family="norm")


_BN_BWD_PARAMS = ("gamma", "mean", "invstd", "moving_mean", "moving_var")


def _bn_bwd_names(params):
    """gamma, mean, invstd, and the running statistics when they are given (both or neither)."""
    if len(params) not in (3, 5):
        fail("takes moving_mean and moving_var together or not at all",
             "pass both running statistics (to update them) or neither")
    return _BN_BWD_PARAMS[:len(params)]


def _backward_batch_norm_shape(attrs, out_grad, data, *params):
    axis = check_axis(attrs["axis"], len(data), "channel axis")
    if out_grad != data:
        fail(f"out_grad has shape {out_grad} but must have data's shape {data}",
             "pass the gradient of BatchNorm's output")
    channels = data[axis]
    _check_param_shapes(_bn_bwd_names(params), params, channels,
                        f"channel (axis {axis} of data {data})")
    return [data, (channels,), (channels,)]


def _backward_batch_norm_dtype(attrs, out_grad, data, *params):
    if out_grad != data:
        fail(f"out_grad has dtype {out_grad} but data has {data}", "cast one to the other's dtype")
    expected = _param_dtype(data)
    _check_param_dtypes(_bn_bwd_names(params), data, params, expected)
    return [data, expected, expected]


def _backward_batch_norm_mutates(attrs, n_inputs):
    """The running statistics (inputs 5 and 6), when given and the batch statistics were used."""
    return (5, 6) if n_inputs == 7 and not attrs["use_global_stats"] else ()


def _bn_backward_inputs(rng, dtype, attrs):
    data, gamma, _, mean, var = _bn_inputs(rng, dtype, attrs)
    return [rng.standard_normal(data.shape).astype(dtype), data, gamma, mean,
            (1 / np.sqrt(var)).astype(dtype)]


_backward_BatchNorm = OpDef(
    "_backward_BatchNorm",
    inputs=("out_grad", "data", "gamma", "mean", "invstd", "moving_mean", "moving_var"),
    optional=("moving_mean", "moving_var"),
    params=(Param("axis", Int, 1, "the channel axis"),
            Param("fix_gamma", Bool, True, "gamma is 1 (and gets a zero gradient)"),
            Param("use_global_stats", Bool, False,
                  "mean and invstd are constants (the running statistics): the affine gradient"),
            Param("momentum", Float, 0.9, "decay of the running statistics"),
            Param("eps", Float, 1e-3, "the forward's eps: the update's var = 1 / invstd^2 - eps")),
    shape=_backward_batch_norm_shape, dtype=_backward_batch_norm_dtype,
    grad=backward_batch_norm_grad, mutates=_backward_batch_norm_mutates,
    formula="xhat = (x - mean) * invstd; dgamma = sum(g * xhat); dbeta = sum(g); dx = gamma * "
            "invstd * (g - mean(g) - xhat * mean(g * xhat)) (batch statistics) or g * gamma * "
            "invstd; moving = moving * momentum + batch * (1 - momentum) (batch statistics)",
    doc="The fused gradient of BatchNorm (data, gamma, beta) from the output gradient and the "
        "forward's mean and inverse std; BatchNorm's gradient rule calls it. Given moving_mean "
        "and moving_var (and use_global_stats=False) it also updates them in place with the "
        "batch statistics: mean, and var = 1 / invstd^2 - eps (as MXNet 1.9.1's CPU op).",
    domain=Domain(dtypes=_FLOAT_DTYPES, make_inputs=_bn_backward_inputs, grad=False,
                  attrs=[{}, {"fix_gamma": False}, {"axis": -1, "fix_gamma": False},
                         {"use_global_stats": True, "fix_gamma": False}]),
    family="norm")


# -- LayerNorm, InstanceNorm, GroupNorm ------------------------------------------------------
def _layer_norm_shape(attrs, data, *params):
    axis = check_axis(attrs["axis"], len(data))
    _check_param_shapes(("gamma", "beta"), params, data[axis],
                        f"entry of axis {axis} of data {data}")
    stats = data[:axis] + (1,) + data[axis + 1:]
    return [data, stats, stats]


def _same_float_dtype(attrs, data, *params):
    _check_param_dtypes(("gamma", "beta"), data, params, data)
    return data


def _affine_inputs(param_size):
    def make_inputs(rng, dtype, attrs):
        shape = (2, 4, 3)
        size = param_size(shape, attrs)
        return [rng.uniform(-2, 2, size=shape).astype(dtype),
                rng.uniform(0.5, 2, size=size).astype(dtype),
                rng.uniform(-1, 1, size=size).astype(dtype)]
    return make_inputs


LayerNorm = OpDef(
    "LayerNorm", inputs=("data", "gamma", "beta"),
    params=(Param("axis", Int, -1, "the axis normalised over"),
            Param("eps", Float, 1e-5, "added to the variance"),
            Param("output_mean_var", Bool, False, "also return the mean and std")),
    shape=_layer_norm_shape, dtype=lambda attrs, *d: [_same_float_dtype(attrs, *d)] * 3,
    grad=layer_norm_grad,
    num_visible=lambda attrs: 3 if attrs["output_mean_var"] else 1,
    formula="out = (x - mean(x, axis)) / sqrt(var(x, axis) + eps) * gamma + beta",
    doc="Normalises data along one axis, then scales and shifts it; the extra outputs are the "
        "mean and the standard deviation sqrt(var + eps), with that axis kept as 1.",
    domain=Domain(dtypes=_FLOAT_DTYPES, make_inputs=_affine_inputs(lambda s, a: s[a.get("axis", -1)]),
                  attrs=[{}, {"axis": 1}, {"axis": 0, "output_mean_var": True}]),
    family="norm")


def _channels_first(data, at_least=3):
    if len(data) < at_least:
        fail(f"data must have at least {at_least} axes (batch, channel, ...), got shape {data}",
             "add the missing axes with reshape or expand_dims")


def _instance_norm_shape(attrs, data, *params):
    _channels_first(data)
    _check_param_shapes(("gamma", "beta"), params, data[1],
                        f"channel (axis 1 of data {data})")
    return data


InstanceNorm = OpDef(
    "InstanceNorm", inputs=("data", "gamma", "beta"),
    params=(Param("eps", Float, 1e-3, "added to the variance"),),
    shape=_instance_norm_shape, dtype=_same_float_dtype, grad=instance_norm_grad,
    formula="out[n, c] = (x[n, c] - mean(x[n, c])) / sqrt(var(x[n, c]) + eps) * gamma[c] + beta[c]",
    doc="Normalises each channel of each sample over its spatial axes. NB: MXNet 1.9.1 accepts "
        "float32 only; minimx also takes float16 and float64.",
    domain=Domain(dtypes=_FLOAT_DTYPES, make_inputs=_affine_inputs(lambda s, a: s[1])),
    family="norm")


def _group_norm_shape(attrs, data, *params):
    _channels_first(data)
    groups = attrs["num_groups"]
    if groups < 1 or data[1] % groups:
        fail(f"the {data[1]} channels of data {data} do not split into num_groups={groups} "
             "equal groups", "choose num_groups that divides the number of channels")
    _check_param_shapes(("gamma", "beta"), params, groups,
                        f"group (num_groups={groups}; NB: MXNet 1.9.1 scales groups, not channels)")
    return [data, (data[0], groups), (data[0], groups)]


GroupNorm = OpDef(
    "GroupNorm", inputs=("data", "gamma", "beta"),
    params=(Param("num_groups", Int, 1, "number of channel groups"),
            Param("eps", Float, 1e-5, "added to the variance"),
            Param("output_mean_var", Bool, False, "also return the mean and std")),
    shape=_group_norm_shape, dtype=lambda attrs, *d: [_same_float_dtype(attrs, *d)] * 3,
    grad=group_norm_grad,
    num_visible=lambda attrs: 3 if attrs["output_mean_var"] else 1,
    formula="out[n, g] = (x[n, g] - mean(x[n, g])) / sqrt(var(x[n, g]) + eps) * gamma[g] + beta[g]",
    doc="Splits the channels into groups and normalises each group of each sample. NB: in MXNet "
        "1.9.1 gamma and beta have one value per group; the extra outputs are (batch, groups).",
    domain=Domain(dtypes=_FLOAT_DTYPES, make_inputs=_affine_inputs(lambda s, a: a.get("num_groups", 1)),
                  attrs=[{}, {"num_groups": 2, "output_mean_var": True}]),
    family="norm")


# -- L2Normalization and LRN -----------------------------------------------------------------
def _l2_shape(attrs, data):
    if attrs["mode"] != "instance":
        _channels_first(data)
    return data


L2Normalization = OpDef(
    "L2Normalization",
    params=(Param("eps", Float, 1e-10, "added to the sum of squares"),
            Param("mode", Enum("channel", "instance", "spatial"), "instance",
                  "sum over all but axis 0 (instance), over axis 1 (channel), or over axes 2+ (spatial)")),
    shape=_l2_shape, dtype=float_dtype, formula="out = x / sqrt(sum(x^2) + eps)",
    grad=l2_normalization_grad,
    doc="Scales data to unit L2 norm per instance, per position across channels, or per channel.",
    domain=Domain(dtypes=_FLOAT_DTYPES, ndim=(3, 4),
                  attrs=[{}, {"mode": "channel"}, {"mode": "spatial"}]),
    family="norm")


def _lrn_shape(attrs, data):
    if len(data) != 4:
        fail(f"data must be 4-d (batch, channel, height, width), got shape {data}",
             "reshape data to 4 axes")
    if attrs["nsize"] < 1:
        fail(f"nsize must be at least 1, got {attrs['nsize']}", "nsize is the window width in channels")
    return data


LRN = OpDef(
    "LRN",
    params=(Param("alpha", Float, 1e-4, "variance scaling"),
            Param("beta", Float, 0.75, "power"),
            Param("knorm", Float, 2.0, "the constant k"),
            Param("nsize", Int, doc="window width in channels")),
    shape=_lrn_shape, dtype=float_dtype, grad=lrn_grad,
    formula="out = x / (knorm + alpha / nsize * sum(x^2 over channels c-h..c+h)) ^ beta, "
            "h = (nsize - 1) // 2",
    doc="Local response normalisation across nearby channels (AlexNet).",
    domain=Domain(dtypes=_FLOAT_DTYPES, ndim=(4, 4), attrs=[{"nsize": 3}, {"nsize": 5, "alpha": 0.1}]),
    family="norm")
