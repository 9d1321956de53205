"""Gradient rules of the norm family (BatchNorm, LayerNorm, InstanceNorm, GroupNorm,
L2Normalization, LRN), written with ops (``F``) so that ``create_graph`` differentiates them again.

All the normalisations share one formula. With ``xhat = (x - mean) * invstd`` over ``n`` values
and ``gh`` the gradient reaching ``xhat`` (the head gradient times gamma)::

    dx = invstd * (gh - mean(gh) - xhat * mean(gh * xhat))

The statistics' own outputs (``output_mean_var``) add ``g_mean / n`` and, for a standard deviation
``std = sqrt(var + eps)``, ``g_std * xhat / n`` (for BatchNorm's inverse std,
``-g_invstd * invstd^2 * xhat / n``). MXNet ignores gradients into those outputs; minimx gives
the true derivative, which is what finite differences see.
"""
import numpy as np

from ..base import MXNetError

__all__ = ["batch_norm_grad", "backward_batch_norm_grad", "layer_norm_grad",
           "instance_norm_grad", "group_norm_grad", "l2_normalization_grad", "lrn_grad"]


def _call_hidden(F, name, *inputs, **params):
    """Run op ``name``, which has no public ``mx.nd`` wrapper (``F._internal``); recorded like any op."""
    return getattr(F._internal, name)(*inputs, **params)


def _sum(F, a, axes, keepdims=False):
    """``F.sum`` over ``axes``; no axes is the identity (MXNet reads axis=() as 'all')."""
    if not axes:
        return a
    return F.sum(a, axis=axes, keepdims=keepdims)


def _as(F, a, dtype):
    return a if a.dtype == dtype else F.cast(a, dtype=dtype)


def normalized_dx(F, gh, xhat, invstd, axes, n):
    """``invstd * (gh - mean(gh) - xhat * mean(gh * xhat))``, means over ``axes`` (``n`` values)."""
    mean_g = _sum(F, gh, axes, keepdims=True) / n
    mean_gx = _sum(F, gh * xhat, axes, keepdims=True) / n
    return invstd * (gh - mean_g - xhat * mean_gx)


# -- BatchNorm -------------------------------------------------------------------------------
def _bn_layout(x, axis):
    axis %= x.ndim
    bshape = tuple(s if a == axis else 1 for a, s in enumerate(x.shape))
    red = tuple(a for a in range(x.ndim) if a != axis)
    return axis, bshape, red


def batch_norm_composite(F, g, x, gamma, mean, invstd, axis, fix_gamma, training):
    """BatchNorm's gradient for (data, gamma, beta) from ops: what ``_backward_BatchNorm`` fuses.

    float16 data is computed in float32 (its gamma and statistics are float32).
    """
    dtype = x.dtype
    if dtype == np.float16:
        g, x = F.cast(g, dtype="float32"), F.cast(x, dtype="float32")
    axis, bshape, red = _bn_layout(x, axis)
    inv = F.reshape(_as(F, invstd, x.dtype), shape=bshape)
    xhat = (x - F.reshape(_as(F, mean, x.dtype), shape=bshape)) * inv
    dbeta = F.reshape(_sum(F, g, red), shape=gamma.shape)
    if fix_gamma:
        dgamma = F.zeros_like(gamma)
        scale = inv
    else:
        dgamma = F.reshape(_sum(F, g * xhat, red), shape=gamma.shape)
        scale = inv * F.reshape(_as(F, gamma, x.dtype), shape=bshape)
    if training:
        dx = normalized_dx(F, g, xhat, scale, red, x.size // max(x.shape[axis], 1))
    else:
        dx = g * scale
    return [_as(F, dx, dtype), _as(F, dgamma, gamma.dtype), _as(F, dbeta, gamma.dtype)]


def batch_norm_grad(F, attrs, inputs, outputs, out_grads):
    """Training: the batch statistics' full gradient; prediction or ``use_global_stats``: the
    affine one, ``g * gamma * invstd``. gamma's gradient is zero with ``fix_gamma``; the running
    statistics get none.

    In training the running statistics are updated HERE, by ``_backward_BatchNorm`` (it takes
    them as inputs and mutates them), not by the forward: MXNet 1.9.1's CPU op does the same, so
    a forward without backward leaves them alone, and each backward through a recorded call
    updates them once, in backward order (two calls of one layer: the later call's first).
    Under a hybridized block this rule is traced (``F = mx.sym``) and the running statistics
    are the graph's own variables, so the cached backward graph updates the Parameters' arrays.

    NB: MXNet's CPU backward uses the batch-statistics formula whenever *backward* runs in
    training mode, even after a prediction-mode forward (it then mixes the running statistics
    into that formula); minimx follows the forward's mode.

    First-order backward runs the fused ``_backward_BatchNorm``; under ``create_graph`` the same
    formula is built from ops, so it can be differentiated again.
    """
    x, gamma = inputs[0], inputs[1]
    g, g_mean, g_inv = out_grads
    training = bool(attrs.get("is_train")) and not attrs["use_global_stats"]
    if g is None:
        g = F.zeros_like(x)
    mean, invstd = outputs[1], outputs[2]
    # The running statistics, for _backward_BatchNorm to update (training only).
    running = (inputs[3], inputs[4]) if training else ()
    params = dict(axis=attrs["axis"], fix_gamma=attrs["fix_gamma"],
                  use_global_stats=not training, momentum=attrs["momentum"],
                  eps=attrs["eps"])
    if F._internal.is_recording():
        dx, dgamma, dbeta = batch_norm_composite(F, g, x, gamma, mean, invstd, attrs["axis"],
                                                 attrs["fix_gamma"], training)
        if running:
            # create_graph: the gradients above are differentiable ops; the update still runs
            # once, through the fused op (its outputs unused: the rare path pays a second pass).
            _call_hidden(F, "_backward_BatchNorm", g, x, gamma, mean, invstd, *running, **params)
    else:
        dx, dgamma, dbeta = _call_hidden(F, "_backward_BatchNorm", g, x, gamma, mean, invstd,
                                         *running, **params)
    if training and (g_mean is not None or g_inv is not None):
        axis, bshape, red = _bn_layout(x, attrs["axis"])
        n = x.size // max(x.shape[axis], 1)
        if g_mean is not None:
            dx = dx + F.reshape(_as(F, g_mean, x.dtype), shape=bshape) / n
        if g_inv is not None:
            inv = F.reshape(_as(F, invstd, x.dtype), shape=bshape)
            xhat = (x - F.reshape(_as(F, mean, x.dtype), shape=bshape)) * inv
            dx = dx - F.reshape(_as(F, g_inv, x.dtype), shape=bshape) * inv * inv * xhat / n
    return [dx, dgamma, dbeta, None, None]


def backward_batch_norm_grad(F, attrs, inputs, outputs, out_grads):
    raise MXNetError(
        "_backward_BatchNorm: its own gradient is not implemented; BatchNorm's gradient rule "
        "builds the same formula from ops under create_graph=True, so differentiate BatchNorm "
        "instead of calling _backward_BatchNorm")


# -- LayerNorm, InstanceNorm, GroupNorm ------------------------------------------------------
def _affine_norm_grad(F, g, x3, gamma3, mean, std, axes, n, g_mean=None, g_std=None):
    """Gradients of ``(x3 - mean) / std * gamma3 + beta`` over ``axes``; returns dx3, g*xhat."""
    inv = 1 / std
    xhat = (x3 - mean) * inv
    dx = normalized_dx(F, g * gamma3, xhat, inv, axes, n)
    if g_mean is not None:
        dx = dx + g_mean / n
    if g_std is not None:
        dx = dx + g_std * xhat / n
    return dx, g * xhat


def layer_norm_grad(F, attrs, inputs, outputs, out_grads):
    x, gamma = inputs[0], inputs[1]
    g, g_mean, g_std = out_grads
    if g is None:
        g = F.zeros_like(x)
    axis = attrs["axis"] % x.ndim
    bshape = tuple(s if a == axis else 1 for a, s in enumerate(x.shape))
    red = tuple(a for a in range(x.ndim) if a != axis)
    dx, gx = _affine_norm_grad(F, g, x, F.reshape(gamma, shape=bshape), outputs[1], outputs[2],
                               (axis,), x.shape[axis], g_mean, g_std)
    return [dx, F.reshape(_sum(F, gx, red), shape=gamma.shape),
            F.reshape(_sum(F, g, red), shape=gamma.shape)]


def instance_norm_grad(F, attrs, inputs, outputs, out_grads):
    x, gamma = inputs[0], inputs[1]
    n, c = x.shape[0], x.shape[1]
    x3 = F.reshape(x, shape=(n, c, -1))
    g3 = F.reshape(out_grads[0], shape=(n, c, -1))
    mean = F.mean(x3, axis=2, keepdims=True)
    std = F.sqrt(F.mean(F.square(x3 - mean), axis=2, keepdims=True) + attrs["eps"])
    dx, gx = _affine_norm_grad(F, g3, x3, F.reshape(gamma, shape=(1, c, 1)), mean, std, (2,),
                               x.size // max(n * c, 1))
    return [F.reshape(dx, shape=x.shape), F.sum(gx, axis=(0, 2)), F.sum(g3, axis=(0, 2))]


def group_norm_grad(F, attrs, inputs, outputs, out_grads):
    x, gamma = inputs[0], inputs[1]
    g, g_mean, g_std = out_grads
    if g is None:
        g = F.zeros_like(x)
    n, groups = x.shape[0], attrs["num_groups"]
    shape3 = (n, groups, 1)
    x3 = F.reshape(x, shape=(n, groups, -1))
    g3 = F.reshape(g, shape=(n, groups, -1))
    dx, gx = _affine_norm_grad(
        F, g3, x3, F.reshape(gamma, shape=(1, groups, 1)), F.reshape(outputs[1], shape=shape3),
        F.reshape(outputs[2], shape=shape3), (2,), x.size // max(n * groups, 1),
        None if g_mean is None else F.reshape(g_mean, shape=shape3),
        None if g_std is None else F.reshape(g_std, shape=shape3))
    return [F.reshape(dx, shape=x.shape), F.sum(gx, axis=(0, 2)), F.sum(g3, axis=(0, 2))]


# -- L2Normalization and LRN -----------------------------------------------------------------
def l2_normalization_grad(F, attrs, inputs, outputs, out_grads):
    """``(g - y * sum(g * y)) / norm`` over the normalised axes."""
    x, g = inputs[0], out_grads[0]
    mode = attrs["mode"]
    if mode == "instance":
        view, axis = (x.shape[0], -1), 1
    elif mode == "channel":
        view, axis = x.shape, 1
    else:
        view, axis = (x.shape[0], x.shape[1], -1), 2
    x2, g2 = F.reshape(x, shape=view), F.reshape(g, shape=view)
    norm = F.sqrt(F.sum(F.square(x2), axis=axis, keepdims=True) + attrs["eps"])
    y2 = x2 / norm
    dx = (g2 - y2 * F.sum(g2 * y2, axis=axis, keepdims=True)) / norm
    return [F.reshape(dx, shape=x.shape)]


def _channel_window_sum(F, a, half):
    """``sum(a[:, c - half .. c + half])`` for every channel c, zero beyond the edges."""
    if half == 0:
        return a
    n, c, h, w = a.shape
    pad = F.zeros((n, half, h, w), dtype=a.dtype, ctx=a.context)
    padded = F.concat(pad, a, pad, dim=1)
    total = F.slice_axis(padded, axis=1, begin=0, end=c)
    for d in range(1, 2 * half + 1):
        total = total + F.slice_axis(padded, axis=1, begin=d, end=d + c)
    return total


def lrn_grad(F, attrs, inputs, outputs, out_grads):
    """With ``s = k + alpha / nsize * window(x^2)`` and ``y = x * s^-beta`` (the window is
    symmetric, so it is its own transpose)::

        dx = g * s^-beta - 2 * alpha * beta / nsize * x * window(g * y / s)
    """
    x, g, y = inputs[0], out_grads[0], outputs[0]
    half = (attrs["nsize"] - 1) // 2
    alpha, beta = attrs["alpha"], attrs["beta"]
    s = _channel_window_sum(F, F.square(x), half) * (alpha / attrs["nsize"]) + attrs["knorm"]
    back = _channel_window_sum(F, g * y / s, half)
    return [g * s ** -beta - x * back * (2 * alpha * beta / attrs["nsize"])]
