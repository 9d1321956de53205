"""numpy kernels of the optim family, part 1: the fused update of one weight.

Each kernel is ``kernel(ins, outs, attrs)`` (``_kernels/contract.py``) and the executable spec of
its op in ``minimx/ops/optim.py``; ``cpu/optim.pyx`` and ``cpu/optim_mp.pyx`` are tested against
these. Part 2, the updates of
several weights at once and their helpers, is ``optim_multi.py``.

Conventions, all MXNet's (``src/operator/optimizer_op-inl.h``):

- ``ins`` is ``(weight, grad, states...)``. The states are updated in place (the ops declare them
  in ``mutates``). ``outs[0]`` receives the new weight; when the caller passes ``out=weight`` it is
  the weight's own buffer, so a kernel reads the weight before it writes ``outs[0]``, except
  where MXNet does not (``nag_mom_update``).
- Hyperparameters are C floats in MXNet: they are rounded to float32, then cast to the weight's
  dtype, and the arithmetic runs in that dtype, in MXNet's order of operations (so float32 and
  float64 results match MXNet's bit for bit; float16 ones to rounding).
- ``clip_gradient`` clips when it is ``>= 0``. NB: MXNet's docs say that a value ``<= 0`` turns
  clipping off, but its kernels test ``>= 0``: ``clip_gradient=0`` zeroes the gradient.
- ``mp_*`` kernels (mixed precision) keep a float32 master copy ``weight32`` (and float32 states)
  of a float16 weight: the math runs in float32 on ``weight32``, the weight is its rounded copy.
"""
import numpy as np

__all__ = ["KERNELS", "hyper", "clip"]


def hyper(attrs, dtype, *names):
    """The parameters ``names`` as MXNet's kernels see them: float32 values cast to ``dtype``."""
    t = np.dtype(dtype).type
    return [t(np.float32(attrs[n])) for n in names]


def clip(x, bound):
    """``x`` clipped to ``[-bound, bound]`` when ``bound >= 0`` (MXNet's test), else ``x``."""
    return np.clip(x, -bound, bound) if bound >= 0 else x


def _sign(x):
    """-1, 0 or 1, as a number of ``x``'s dtype; 0 for NaN (MXNet: ``(x > 0) - (x < 0)``)."""
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


# -- SGD, momentum SGD, Nesterov momentum --------------------------------------------------------
def sgd_update(ins, outs, attrs):
    """``weight = (1 - lr * wd) * weight - lr * clip(rescale_grad * grad)``."""
    w, g = ins
    lr, wd, rescale, bound = hyper(attrs, w.dtype, "lr", "wd", "rescale_grad", "clip_gradient")
    if bound >= 0:
        outs[0][...] = (1 - lr * wd) * w - lr * clip(rescale * g, bound)
    else:
        outs[0][...] = (1 - lr * wd) * w - (lr * rescale) * g


def sgd_mom_update(ins, outs, attrs):
    """``mom = momentum * mom - lr * wd * weight - lr * clip(rescale_grad * grad)``;
    ``weight = weight + mom``."""
    w, g, mom = ins
    lr, momentum, wd, rescale, bound = hyper(attrs, w.dtype, "lr", "momentum", "wd",
                                             "rescale_grad", "clip_gradient")
    if bound >= 0:
        mom[...] = momentum * mom - lr * wd * w - lr * clip(rescale * g, bound)
    else:
        mom[...] = momentum * mom - lr * wd * w - lr * rescale * g
    outs[0][...] = w + mom


def nag_mom_update(ins, outs, attrs):
    """Nesterov momentum: ``mom = momentum * mom``; ``step = lr * (clip(rescale_grad * grad) + wd *
    weight)``; ``weight = weight - mom + (momentum + 1) * (mom - step)``; ``mom = mom - step``.

    NB: MXNet writes the new weight before it updates ``mom`` and reads the weight again for the
    second ``step``: with ``out=weight`` (how its optimizer calls it) the momentum's weight decay
    sees the *new* weight. minimx keeps that order, so it gives MXNet's results either way.
    """
    w, g, mom = ins
    lr, momentum, wd, rescale, bound = hyper(attrs, w.dtype, "lr", "momentum", "wd",
                                             "rescale_grad", "clip_gradient")
    grad = clip(rescale * g, bound)
    mom[...] = momentum * mom
    outs[0][...] = w - mom + (momentum + 1) * (mom - lr * (grad + wd * w))
    mom[...] = mom - lr * (grad + wd * w)       # w is outs[0] when out=weight


# -- mixed precision: float32 master weights ----------------------------------------------------
def _mp(ins, attrs, *names):
    """The float32 gradient and hyperparameters of an mp_* kernel."""
    return [ins[1].astype(np.float32)] + hyper(attrs, np.float32, *names)


def mp_sgd_update(ins, outs, attrs):
    """``sgd_update`` on the float32 ``weight32``; the weight is its rounded copy."""
    w32 = ins[2]
    g, lr, wd, rescale, bound = _mp(ins, attrs, "lr", "wd", "rescale_grad", "clip_gradient")
    if bound >= 0:
        w32[...] = (1 - lr * wd) * w32 - lr * clip(rescale * g, bound)
    else:
        w32[...] = (1 - lr * wd) * w32 - (lr * rescale) * g
    outs[0][...] = w32


def mp_sgd_mom_update(ins, outs, attrs):
    """``sgd_mom_update`` on float32 ``weight32`` and ``mom``; the weight is the rounded copy."""
    _, _, mom, w32 = ins
    g, lr, momentum, wd, rescale, bound = _mp(ins, attrs, "lr", "momentum", "wd", "rescale_grad",
                                              "clip_gradient")
    if bound >= 0:
        mom[...] = momentum * mom - lr * wd * w32 - lr * clip(rescale * g, bound)
    else:
        mom[...] = momentum * mom - lr * wd * w32 - lr * rescale * g
    w32 += mom
    outs[0][...] = w32


def mp_nag_mom_update(ins, outs, attrs):
    """``nag_mom_update`` on float32 ``weight32`` and ``mom``.

    NB: here MXNet always uses the new weight in the momentum's weight decay (it keeps the weight
    in a local that it updates first), whatever ``out`` is.
    """
    _, _, mom, w32 = ins
    g, lr, momentum, wd, rescale, bound = _mp(ins, attrs, "lr", "momentum", "wd", "rescale_grad",
                                              "clip_gradient")
    grad = clip(rescale * g, bound)
    mom[...] = momentum * mom
    w32[...] = w32 - mom + (momentum + 1) * (mom - lr * (grad + wd * w32))
    mom[...] = mom - lr * (grad + wd * w32)
    outs[0][...] = w32


# -- adaptive methods ---------------------------------------------------------------------------
def adam_update(ins, outs, attrs):
    """``g = clip(rescale_grad * grad + wd * weight)``; ``mean = beta1 * mean + (1 - beta1) * g``;
    ``var = beta2 * var + (1 - beta2) * g^2``; ``weight -= lr * mean / (sqrt(var) + epsilon)``.

    No bias correction: MXNet's optimizer folds it into ``lr``.
    """
    w, g, mean, var = ins
    lr, beta1, beta2, eps, wd, rescale, bound = hyper(
        attrs, w.dtype, "lr", "beta1", "beta2", "epsilon", "wd", "rescale_grad", "clip_gradient")
    grad = clip(g * rescale + w * wd, bound)
    mean[...] = beta1 * mean + (1 - beta1) * grad
    var[...] = beta2 * var + (1 - beta2) * grad * grad
    with np.errstate(divide="ignore", invalid="ignore"):
        outs[0][...] = w - lr * mean / (np.sqrt(var) + eps)


def rmsprop_update(ins, outs, attrs):
    """Tieleman & Hinton: ``g = clip(rescale_grad * grad + wd * weight)``;
    ``n = (1 - gamma1) * g^2 + gamma1 * n``;
    ``weight = clip_w(weight - lr * g / sqrt(n + eps))``."""
    w, g, n = ins
    lr, gamma1, eps, wd, rescale, bound, bound_w = hyper(
        attrs, w.dtype, "lr", "gamma1", "epsilon", "wd", "rescale_grad", "clip_gradient",
        "clip_weights")
    grad = clip(rescale * g + wd * w, bound)
    n[...] = (1 - gamma1) * (grad * grad) + gamma1 * n
    with np.errstate(divide="ignore", invalid="ignore"):
        outs[0][...] = clip(w - lr * (grad / np.sqrt(n + eps)), bound_w)


def rmspropalex_update(ins, outs, attrs):
    """Graves' centred RMSProp: ``n = (1 - gamma1) * g^2 + gamma1 * n``;
    ``gm = (1 - gamma1) * g + gamma1 * gm``; ``delta = gamma2 * delta - lr * g / sqrt(n - gm^2 +
    eps)``; ``weight = clip_w(weight + delta)``, with ``g`` as in ``rmsprop_update``."""
    w, g, n, gm, delta = ins
    lr, gamma1, gamma2, eps, wd, rescale, bound, bound_w = hyper(
        attrs, w.dtype, "lr", "gamma1", "gamma2", "epsilon", "wd", "rescale_grad",
        "clip_gradient", "clip_weights")
    grad = clip(rescale * g + wd * w, bound)
    n[...] = (1 - gamma1) * grad * grad + gamma1 * n
    gm[...] = (1 - gamma1) * grad + gamma1 * gm
    with np.errstate(divide="ignore", invalid="ignore"):
        delta[...] = gamma2 * delta - lr * grad / np.sqrt(n - gm * gm + eps)
    outs[0][...] = clip(w + delta, bound_w)


def ftrl_update(ins, outs, attrs):
    """FTRL-proximal: ``z += g - (sqrt(n + g^2) - sqrt(n)) * weight / lr``; ``n += g^2``;
    ``weight = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd) * (|z| > lamda1)``,
    with ``g = clip(rescale_grad * grad)`` (wd is not part of g)."""
    w, g, z, n = ins
    lr, lamda1, beta, wd, rescale, bound = hyper(attrs, w.dtype, "lr", "lamda1", "beta", "wd",
                                                 "rescale_grad", "clip_gradient")
    grad = clip(g * rescale, bound)
    with np.errstate(divide="ignore", invalid="ignore"):
        z += grad - (np.sqrt(n + grad * grad) - np.sqrt(n)) * w / lr
        n += grad * grad
        outs[0][...] = ((_sign(z) * lamda1 - z) / ((beta + np.sqrt(n)) / lr + wd)
                        * (np.abs(z) > lamda1).astype(w.dtype))


def ftml_update(ins, outs, attrs):
    """FTML (Zheng & Kwok 2017): with ``g = clip(rescale_grad * grad + wd * weight)``,
    ``v = beta2 * v + (1 - beta2) * g^2``; ``d_t = (1 - beta1^t) / lr * (sqrt(v / (1 - beta2^t)) +
    epsilon)``; ``z = beta1 * z + (1 - beta1) * g - (d_t - beta1 * d) * weight``; ``d = d_t``;
    ``weight = -z / d_t``. NB: the clip parameter is called ``clip_grad`` here (MXNet's name)."""
    w, g, d, v, z = ins
    t = w.dtype.type
    lr, beta1, beta2, wd, rescale, bound = hyper(attrs, w.dtype, "lr", "beta1", "beta2", "wd",
                                                 "rescale_grad", "clip_grad")
    eps, step = t(attrs["epsilon"]), t(attrs["t"])    # a double and an int in MXNet
    grad = clip(rescale * g + wd * w, bound)
    v[...] = beta2 * v + (1 - beta2) * (grad * grad)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        d_t = (1 - np.power(beta1, step)) / lr * (np.sqrt(v / (1 - np.power(beta2, step))) + eps)
        z[...] = beta1 * z + (1 - beta1) * grad - (d_t - beta1 * d) * w
        d[...] = d_t
        outs[0][...] = -z / d_t


# -- sign methods -------------------------------------------------------------------------------
def signsgd_update(ins, outs, attrs):
    """``weight = (1 - lr * wd) * weight - lr * sign(grad)``; rescale_grad and clip_gradient do
    not change a sign, and MXNet ignores them."""
    w, g = ins
    lr, wd = hyper(attrs, w.dtype, "lr", "wd")
    outs[0][...] = (1 - lr * wd) * w - lr * _sign(g)


def signum_update(ins, outs, attrs):
    """``mom = momentum * mom - (1 - momentum) * (wd * weight + clip(rescale_grad * grad))``;
    ``weight = (1 - lr * wd_lh) * weight + lr * sign(mom)``."""
    w, g, mom = ins
    lr, momentum, wd, rescale, bound, wd_lh = hyper(attrs, w.dtype, "lr", "momentum", "wd",
                                                    "rescale_grad", "clip_gradient", "wd_lh")
    if bound >= 0:
        mom[...] = (momentum * mom - (1 - momentum) * wd * w
                    - (1 - momentum) * clip(rescale * g, bound))
    else:
        mom[...] = momentum * mom - (1 - momentum) * wd * w - (1 - momentum) * rescale * g
    outs[0][...] = (1 - lr * wd_lh) * w + lr * _sign(mom)


# -- LAMB, in two phases (the optimizer takes the norms in between) ------------------------------
def _lamb_direction(w, g, mean, var, attrs, dtype):
    """Phase 1 of (mp_)lamb: update ``mean`` and ``var`` in place, return the direction ``g``."""
    beta1, beta2, eps, wd, rescale, bound = hyper(attrs, dtype, "beta1", "beta2", "epsilon", "wd",
                                                  "rescale_grad", "clip_gradient")
    grad = clip(g * rescale, bound)
    mean[...] = beta1 * mean + (1 - beta1) * grad
    var[...] = beta2 * var + (1 - beta2) * grad * grad
    if not attrs["bias_correction"]:
        return mean / (np.sqrt(var) + eps) + wd * w
    # MXNet: beta^t in double (std::pow of a float and an int), then cast; the division by
    # (1. - beta1^t) is in double too (a double literal), that by (1 - beta2^t) in dtype.
    beta1_t, beta2_t = (dtype.type(np.float64(np.float32(attrs[b])) ** attrs["t"])
                        for b in ("beta1", "beta2"))
    mean_hat = (mean / (1.0 - np.float64(beta1_t))).astype(dtype)
    var_hat = var / (1 - beta2_t)
    return mean_hat / (np.sqrt(var_hat) + eps) + wd * w


def lamb_update_phase1(ins, outs, attrs):
    """``mean``/``var`` as Adam's (wd not in g); ``g = mean_hat / (sqrt(var_hat) + epsilon) + wd *
    weight``, with the bias-corrected ``mean_hat = mean / (1 - beta1^t)`` when bias_correction."""
    w, g, mean, var = ins
    with np.errstate(divide="ignore", invalid="ignore"):
        outs[0][...] = _lamb_direction(w, g, mean, var, attrs, w.dtype)


def mp_lamb_update_phase1(ins, outs, attrs):
    """``lamb_update_phase1`` in float32, with ``wd * weight32``; returns a float32 ``g``."""
    _, g, mean, var, w32 = ins
    with np.errstate(divide="ignore", invalid="ignore"):
        outs[0][...] = _lamb_direction(w32, g.astype(np.float32), mean, var, attrs,
                                       np.dtype(np.float32))


def _trust_lr(r1, r2, attrs, dtype):
    """``lr * r1 / r2``, ``r1`` bounded by lower_bound/upper_bound (each if ``>= 0``); plain
    ``lr`` when ``r1`` or ``r2`` is 0."""
    lr, lower, upper = hyper(attrs, dtype, "lr", "lower_bound", "upper_bound")
    r1, r2 = r1.reshape(-1)[0], r2.reshape(-1)[0]
    if lower >= 0:
        r1 = r1 if r1 > lower else lower
    if upper >= 0:
        r1 = r1 if r1 < upper else upper
    if r1 == 0 or r2 == 0:
        return lr
    return lr * r1 / r2


def lamb_update_phase2(ins, outs, attrs):
    """``weight = weight - lr * r1 / r2 * g`` (the layer-wise trust ratio r1 = |w|, r2 = |g|)."""
    w, g, r1, r2 = ins
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        outs[0][...] = w - _trust_lr(r1, r2, attrs, w.dtype) * g


def mp_lamb_update_phase2(ins, outs, attrs):
    """``weight = weight32 - lr * r1 / r2 * g``, in float32.

    NB: MXNet 1.9.1 declares ``weight32`` as updated but never writes it, so its master copy
    stays as it was; minimx does the same (the caller must copy the weight back if it wants to).
    """
    _, g, r1, r2, w32 = ins
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        outs[0][...] = w32 - _trust_lr(r1, r2, attrs, np.dtype(np.float32)) * g


KERNELS = {
    "sgd_update": sgd_update,
    "sgd_mom_update": sgd_mom_update,
    "nag_mom_update": nag_mom_update,
    "mp_sgd_update": mp_sgd_update,
    "mp_sgd_mom_update": mp_sgd_mom_update,
    "mp_nag_mom_update": mp_nag_mom_update,
    "adam_update": adam_update,
    "rmsprop_update": rmsprop_update,
    "rmspropalex_update": rmspropalex_update,
    "ftrl_update": ftrl_update,
    "ftml_update": ftml_update,
    "signsgd_update": signsgd_update,
    "signum_update": signum_update,
    "lamb_update_phase1": lamb_update_phase1,
    "lamb_update_phase2": lamb_update_phase2,
    "mp_lamb_update_phase1": mp_lamb_update_phase1,
    "mp_lamb_update_phase2": mp_lamb_update_phase2,
}
