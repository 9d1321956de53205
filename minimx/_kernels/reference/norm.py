"""numpy kernels of the norm family: BatchNorm, LayerNorm, InstanceNorm, GroupNorm, L2Normalization, LRN.

Each kernel is ``kernel(ins, outs, attrs)`` (``_kernels/contract.py``) and is the executable spec of
its op in ``minimx/ops/norm.py``. Statistics are computed in float64 (biased variance, as MXNet)
and cast to the output types; ``cpu/norm.pyx`` is tested against these.
"""
import numpy as np

__all__ = ["KERNELS", "channel_view"]


def channel_view(shape, axis):
    """``(outer, C, inner)``: the shape that puts axis ``axis`` of ``shape`` in the middle."""
    outer = inner = 1
    for s in shape[:axis]:
        outer *= s
    for s in shape[axis + 1:]:
        inner *= s
    return outer, shape[axis], inner


def batch_norm_stats(x3):
    """Per-channel mean and biased variance of an ``(outer, C, inner)`` array, in float64.

    An empty batch has mean 0 and variance 0 (nothing to normalise).
    """
    if x3.shape[0] * x3.shape[2] == 0:
        return np.zeros(x3.shape[1]), np.zeros(x3.shape[1])
    x3 = x3.astype(np.float64)
    return x3.mean(axis=(0, 2)), x3.var(axis=(0, 2))


def batch_norm_update(moving_mean, moving_var, momentum, eps, mean, invstd):
    """The running statistics, in place, from the forward's saved ``mean`` and ``invstd``:
    ``moving = moving * momentum + batch * (1 - momentum)`` (``_backward_BatchNorm``'s side
    effect), with the biased batch variance recovered as ``1 / invstd^2 - eps``.

    Rounded as MXNet 1.9.1's CPU op, in the running statistics' type ``A`` (float32 for
    float16/float32 data, float64 for float64): ``momentum`` is a float32 parameter,
    ``invstd * invstd`` is rounded to ``A``, ``1 / that - eps`` is a double expression stored
    into ``A``, and the update is evaluated in ``A`` (no fused multiply-add).

    NB: MXNet's CPU op does this in the backward pass, as minimx does (a train-mode forward
    alone leaves the running statistics as they were); cuDNN's does it in the forward pass.
    """
    acc = moving_mean.dtype.type
    m = acc(np.float32(momentum))
    rest = acc(1) - m
    inv = invstd.astype(acc)
    var = (1.0 / (inv * inv).astype(np.float64) - eps).astype(acc)
    np.copyto(moving_mean, moving_mean * m + mean.astype(acc) * rest)
    np.copyto(moving_var, moving_var * m + var * rest)


def batch_norm_backward_update(ins, attrs):
    """The update of ``_backward_BatchNorm`` (inputs 5 and 6) when it has one to do, from its
    inputs 3 and 4 (the forward's mean and invstd): no pass over the data."""
    if len(ins) != 7 or attrs["use_global_stats"] or ins[1].size == 0:
        return
    batch_norm_update(ins[5], ins[6], attrs["momentum"], attrs["eps"], ins[3], ins[4])


def batch_norm_fix_gamma(ins, attrs):
    """With ``fix_gamma`` a training forward overwrites gamma with ones, as MXNet does."""
    if attrs["fix_gamma"]:
        ins[1].fill(1)


def batch_norm_is_training(attrs):
    return attrs["is_train"] and not attrs["use_global_stats"]


def batch_norm(ins, outs, attrs):
    """``out = (x - mean) / sqrt(var + eps) * gamma + beta`` per channel of axis ``axis``.

    Training: batch statistics (the running statistics are left to the backward). Inference,
    or ``use_global_stats``: the running statistics. Outputs 1 and 2 are the mean and the inverse
    standard deviation ``1 / sqrt(var + eps)`` that were used.
    """
    data, gamma, beta, moving_mean, moving_var = ins
    out, mean_out, invstd_out = outs
    x3 = data.reshape(channel_view(data.shape, attrs["axis"] % data.ndim))
    if batch_norm_is_training(attrs):
        mean, var = batch_norm_stats(x3)
        batch_norm_fix_gamma(ins, attrs)
    else:
        mean, var = moving_mean.astype(np.float64), moving_var.astype(np.float64)
    invstd = 1.0 / np.sqrt(var + attrs["eps"])
    scale = invstd if attrs["fix_gamma"] else gamma * invstd
    y = (x3 - mean[:, None]) * scale[:, None] + beta[:, None]
    np.copyto(out, y.reshape(data.shape), casting="unsafe")
    np.copyto(mean_out, mean, casting="unsafe")
    np.copyto(invstd_out, invstd, casting="unsafe")


def backward_batch_norm(ins, outs, attrs):
    """BatchNorm's gradient for (data, gamma, beta), in float64.

    ``xhat = (x - mean) * invstd`` per channel; ``dbeta = sum(g)``, ``dgamma = sum(g * xhat)``
    (zero with ``fix_gamma``, where gamma is 1) and, with ``scale = gamma * invstd``::

        dx = scale * (g - mean(g) - xhat * mean(g * xhat))    # batch statistics
        dx = scale * g                                        # use_global_stats

    Given the running statistics (inputs 5 and 6) with batch statistics, it updates them.
    """
    out_grad, data, gamma, mean, invstd = ins[:5]
    batch_norm_backward_update(ins, attrs)
    dx, dgamma, dbeta = outs
    shape3 = channel_view(data.shape, attrs["axis"] % data.ndim)
    g = out_grad.reshape(shape3).astype(np.float64)
    inv = invstd.astype(np.float64)[:, None]
    xhat = (data.reshape(shape3) - mean.astype(np.float64)[:, None]) * inv
    sum_g, sum_gx = g.sum(axis=(0, 2)), (g * xhat).sum(axis=(0, 2))
    np.copyto(dbeta, sum_g, casting="unsafe")
    if attrs["fix_gamma"]:
        dgamma.fill(0)
        scale = inv
    else:
        np.copyto(dgamma, sum_gx, casting="unsafe")
        scale = gamma.astype(np.float64)[:, None] * inv
    if attrs["use_global_stats"]:
        d = g * scale
    else:
        n = max(shape3[0] * shape3[2], 1)
        d = scale * (g - sum_g[:, None] / n - xhat * (sum_gx[:, None] / n))
    np.copyto(dx, d.reshape(data.shape), casting="unsafe")


def layer_norm(ins, outs, attrs):
    """``out = (x - mean) / sqrt(var + eps) * gamma + beta`` along axis ``axis``; outputs mean, std."""
    data, gamma, beta = ins
    axis = attrs["axis"] % data.ndim
    x3 = data.reshape(channel_view(data.shape, axis)).astype(np.float64)
    if x3.size == 0:
        return
    mean = x3.mean(axis=1, keepdims=True)
    std = np.sqrt(x3.var(axis=1, keepdims=True) + attrs["eps"])
    y = (x3 - mean) / std * gamma[:, None] + beta[:, None]
    np.copyto(outs[0], y.reshape(data.shape), casting="unsafe")
    np.copyto(outs[1], mean.reshape(outs[1].shape), casting="unsafe")
    np.copyto(outs[2], std.reshape(outs[2].shape), casting="unsafe")


def _normalize_rows(x, eps):
    """Rows of a 3-d float64 array ``(a, b, n)`` normalised over ``n``; returns (y, mean, std)."""
    mean = x.mean(axis=2, keepdims=True)
    std = np.sqrt(x.var(axis=2, keepdims=True) + eps)
    return (x - mean) / std, mean, std


def instance_norm(ins, outs, attrs):
    """Each (sample, channel) normalised over its spatial axes, then ``* gamma[c] + beta[c]``."""
    data, gamma, beta = ins
    if data.size == 0:
        return
    x = data.reshape(data.shape[0], data.shape[1], -1).astype(np.float64)
    y, _, _ = _normalize_rows(x, attrs["eps"])
    y = y * gamma[:, None] + beta[:, None]
    np.copyto(outs[0], y.reshape(data.shape), casting="unsafe")


def group_norm(ins, outs, attrs):
    """Channels split into ``num_groups`` groups; each (sample, group) normalised as one row.

    NB: in MXNet 1.9.1 gamma and beta hold one value per group (not per channel).
    """
    data, gamma, beta = ins
    if data.size == 0:
        return
    groups = attrs["num_groups"]
    x = data.reshape(data.shape[0], groups, -1).astype(np.float64)
    y, mean, std = _normalize_rows(x, attrs["eps"])
    y = y * gamma[:, None] + beta[:, None]
    np.copyto(outs[0], y.reshape(data.shape), casting="unsafe")
    np.copyto(outs[1], mean[:, :, 0], casting="unsafe")
    np.copyto(outs[2], std[:, :, 0], casting="unsafe")


def l2_normalization(ins, outs, attrs):
    """``x / sqrt(sum(x^2) + eps)``, the sum over all but axis 0 (instance), axis 1 (channel)
    or the axes after 1 (spatial)."""
    data = ins[0]
    if data.size == 0:
        return
    x = data.astype(np.float64)
    mode = attrs["mode"]
    if mode == "instance":
        x = x.reshape(x.shape[0], -1)
        axes = (1,)
    elif mode == "channel":
        axes = (1,)
    else:
        x = x.reshape(x.shape[0], x.shape[1], -1)
        axes = (2,)
    norm = np.sqrt(np.sum(x * x, axis=axes, keepdims=True) + attrs["eps"])
    np.copyto(outs[0], (x / norm).reshape(data.shape), casting="unsafe")


def lrn(ins, outs, attrs):
    """``x / (knorm + alpha / nsize * sum of x^2 over nearby channels) ^ beta``.

    The window is channels ``c - h .. c + h`` with ``h = (nsize - 1) // 2`` (NB: so an even
    ``nsize`` sums ``nsize - 1`` channels in MXNet), clipped at the edges.
    """
    data = ins[0]
    if data.size == 0:
        return
    x = data.astype(np.float64)
    channels, half = x.shape[1], (attrs["nsize"] - 1) // 2
    # A running sum over channels, padded so that each window is a difference of two entries.
    sq = np.cumsum(np.pad(x * x, ((0, 0), (1, 0), (0, 0), (0, 0))), axis=1)
    hi = np.minimum(np.arange(channels) + half + 1, channels)
    lo = np.maximum(np.arange(channels) - half, 0)
    window = sq[:, hi] - sq[:, lo]
    y = x / (attrs["knorm"] + attrs["alpha"] / attrs["nsize"] * window) ** attrs["beta"]
    np.copyto(outs[0], y, casting="unsafe")


KERNELS = {
    "BatchNorm": batch_norm,
    "_backward_BatchNorm": backward_batch_norm,
    "LayerNorm": layer_norm,
    "InstanceNorm": instance_norm,
    "GroupNorm": group_norm,
    "L2Normalization": l2_normalization,
    "LRN": lrn,
}
