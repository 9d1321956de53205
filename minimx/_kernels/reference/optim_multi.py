"""numpy kernels of the optim family, part 2: updates of several weights in one op, and the
helpers of mixed-precision and LARS training (finiteness checks, sums of squares, LARS rates).

``multi_sgd_update`` takes ``(weight_0, grad_0, weight_1, grad_1, ...)`` and writes the new
weights to ``outs``; ``preloaded_multi_sgd_update`` takes the learning rates and weight decays as
two float32 arrays at the end instead of as parameters. Their formula is MXNet's
``MultiSGDKernel`` (``src/operator/optimizer_op-inl.h``), which differs from ``sgd_update``'s in
its order of operations only: ``weight + (-lr * wd * weight - lr * clip(rescale_grad * grad))``.
"""
import numpy as np

from .optim import clip, hyper, mp_sgd_mom_update, sgd_mom_update

__all__ = ["KERNELS", "multi_sgd_weight"]


def multi_sgd_weight(w, g, lr, wd, rescale, bound):
    """One weight of MXNet's MultiSGDKernel without momentum; all scalars of ``w``'s dtype."""
    if bound >= 0:
        return w + (0 - lr * wd * w - lr * clip(rescale * g, bound))
    return w + (0 - lr * wd * w - lr * rescale * g)


def _shared(attrs, dtype):
    return hyper(attrs, dtype, "rescale_grad", "clip_gradient")


def multi_sgd_update(ins, outs, attrs):
    """``weight_i = weight_i - lrs[i] * (clip(rescale_grad * grad_i) + wds[i] * weight_i)``."""
    t = ins[0].dtype.type
    rescale, bound = _shared(attrs, ins[0].dtype)
    for i, out in enumerate(outs):
        lr, wd = t(np.float32(attrs["lrs"][i])), t(np.float32(attrs["wds"][i]))
        out[...] = multi_sgd_weight(ins[2 * i], ins[2 * i + 1], lr, wd, rescale, bound)


def multi_sgd_mom_update(ins, outs, attrs):
    """``sgd_mom_update`` of each (weight_i, grad_i, mom_i) with ``lrs[i]`` and ``wds[i]``: MXNet
    1.9.1's MultiSGDMomKernel gives the one-weight op's values bit for bit."""
    for i, out in enumerate(outs):
        one = dict(attrs, lr=attrs["lrs"][i], wd=attrs["wds"][i])
        sgd_mom_update(ins[3 * i:3 * i + 3], (out,), one)


def preloaded_multi_sgd_update(ins, outs, attrs):
    """``multi_sgd_update`` with ``lrs`` and ``wds`` read from the last two (float32) inputs."""
    t = ins[0].dtype.type
    rescale, bound = _shared(attrs, ins[0].dtype)
    lrs, wds = ins[-2].reshape(-1), ins[-1].reshape(-1)
    for i, out in enumerate(outs):
        out[...] = multi_sgd_weight(ins[2 * i], ins[2 * i + 1], t(lrs[i]), t(wds[i]), rescale,
                                    bound)


def _preloaded(one_weight, stride):
    """A preloaded multi update made of a one-weight kernel: ``lr`` and ``wd`` of group ``i``
    are ``lrs[i]`` and ``wds[i]`` (float32 values, as the one-weight op's parameters)."""
    def kernel(ins, outs, attrs):
        lrs, wds = ins[-2].reshape(-1), ins[-1].reshape(-1)
        for i, out in enumerate(outs):
            one = dict(attrs, lr=float(lrs[i]), wd=float(wds[i]))
            one_weight(ins[stride * i:stride * (i + 1)], (out,), one)
    kernel.__name__ = f"preloaded_{one_weight.__name__}"
    return kernel


def preloaded_multi_mp_sgd_update(ins, outs, attrs):
    """MultiSGDKernel's formula on the float32 ``weight32`` of each group (it rounds differently
    from ``mp_sgd_update``'s ``(1 - lr * wd) * w32 - ...`` by one ulp at times, as in MXNet)."""
    rescale, bound = _shared(attrs, np.float32)
    lrs, wds = ins[-2].reshape(-1), ins[-1].reshape(-1)
    for i, out in enumerate(outs):
        w32, g = ins[3 * i + 2], ins[3 * i + 1].astype(np.float32)
        w32[...] = multi_sgd_weight(w32, g, lrs[i], wds[i], rescale, bound)
        out[...] = w32


# -- helpers of mixed-precision and LARS training ----------------------------------------------
def all_finite(ins, outs, attrs):
    """``out = [1.0]`` when every element of data is finite, else ``[0.0]``.

    With ``init_output=False`` the output is only ever set to 0 (to chain checks over several
    arrays into one flag): a finite input leaves it as it was.
    """
    _finite_flag(ins, outs[0], attrs["init_output"])


def multi_all_finite(ins, outs, attrs):
    """``all_finite`` over every input array."""
    _finite_flag(ins, outs[0], attrs["init_output"])


def _finite_flag(arrays, out, init):
    if init:
        out[...] = 1
    # MXNet tests each value after a cast to float32: a float64 1e300 counts as infinite.
    with np.errstate(over="ignore"):
        finite = all(np.isfinite(a.astype(np.float32, copy=False)).all() for a in arrays)
    if not finite:
        out[...] = 0


def multi_sum_sq(ins, outs, attrs):
    """``out[i] = sum(data_i ** 2)`` as float32 (inf when it overflows float32, as in MXNet).

    NB: MXNet's CPU kernel adds the squares one by one into a float32; minimx adds them in
    float64 and rounds once, which is more accurate on large arrays.
    """
    for i, a in enumerate(ins):
        x = a.reshape(-1).astype(np.float64)
        with np.errstate(over="ignore"):
            outs[0][i] = np.dot(x, x)


def multi_lars(ins, outs, attrs):
    """LARS learning rates: ``lrs * eta * |w| / (|g| * rescale_grad + wds * |w| + eps)`` where
    ``|w| = sqrt(weights_sum_sq)``, ``|g| = sqrt(grads_sum_sq)``; ``lrs`` itself where a norm
    is 0."""
    lrs, w_sq, g_sq, wds = ins
    eta, eps, rescale = hyper(attrs, np.float32, "eta", "eps", "rescale_grad")
    w_norm = np.sqrt(w_sq)
    valid = (w_norm > 0) & (g_sq > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lars = lrs * eta * w_norm / (np.sqrt(g_sq) * rescale + wds * w_norm + eps)
    outs[0][...] = np.where(valid, lars, lrs)


KERNELS = {
    "multi_sgd_update": multi_sgd_update,
    "multi_sgd_mom_update": multi_sgd_mom_update,
    "preloaded_multi_sgd_update": preloaded_multi_sgd_update,
    "preloaded_multi_sgd_mom_update": _preloaded(sgd_mom_update, 3),
    "preloaded_multi_mp_sgd_update": preloaded_multi_mp_sgd_update,
    "preloaded_multi_mp_sgd_mom_update": _preloaded(mp_sgd_mom_update, 4),
    "all_finite": all_finite,
    "multi_all_finite": multi_all_finite,
    "multi_sum_sq": multi_sum_sq,
    "multi_lars": multi_lars,
}
