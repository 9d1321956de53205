"""numpy kernels of the nn family: activations, the softmax family, dropout and the loss-output ops.

Each kernel is ``kernel(ins, outs, attrs)`` (``_kernels/contract.py``) and is the executable spec of
its op in ``minimx/ops/nn.py``. Sums and transcendental functions are computed in float64 and
cast back to the output type, so this backend is the accurate oracle the Cython kernels
(``cpu/softmax.pyx``) are tested against.
"""
import numpy as np

__all__ = ["KERNELS", "erf", "prelu_gamma_shape", "softmax_along"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946


def _wide(x):
    """float16 is computed in float32 (numpy's float16 exp overflows early); others as they are."""
    return x.astype(np.float32) if x.dtype == np.float16 else x


# -- erf, for gelu: W. J. Cody's rational approximations (netlib SPECFUN, CALERF) ---------------
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
      3.20937758913846947e03, 1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
      2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
      2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
      2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
      1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
      3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
      1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
      6.05183413124413191e-2, 2.33520497626869185e-3)


def erf(x):
    """The error function in float64, within 2 ulp (numpy has none; kernels may not use scipy).

    Three rational approximations: ``x P(x^2)/Q(x^2)`` for ``|x| <= 0.46875``, and for larger
    ``|x|`` ``erfc`` as ``exp(-x^2)`` times a rational function of ``|x|`` (up to 4) or ``1/x^2``.
    """
    x = np.asarray(x, np.float64)
    y = np.abs(x)
    ysq = y * y
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        num, den = _A[4] * ysq, ysq
        for i in range(3):
            num, den = (num + _A[i]) * ysq, (den + _B[i]) * ysq
        small = x * (num + _A[3]) / (den + _B[3])
        num, den = _C[8] * y, y
        for i in range(7):
            num, den = (num + _C[i]) * y, (den + _D[i]) * y
        mid = (num + _C[7]) / (den + _D[7])
        z = 1.0 / ysq
        num, den = _P[5] * z, z
        for i in range(4):
            num, den = (num + _P[i]) * z, (den + _Q[i]) * z
        big = (0.56418958354775628695 - z * (num + _P[4]) / (den + _Q[4])) / y
        erfc = np.where(y <= 4.0, mid, big)
        # exp(-y^2) split in two factors so that y^2 is formed without rounding error.
        yr = np.trunc(y * 16.0) / 16.0
        erfc = np.exp(-yr * yr) * np.exp(-(y - yr) * (y + yr)) * erfc
        erfc = np.where(y >= 26.543, 0.0, erfc)
        return np.where(y <= 0.46875, small, np.copysign(1.0 - erfc, x))


# -- activations -----------------------------------------------------------------------------
def _sigmoid(x):
    with np.errstate(over="ignore"):      # exp(-x) = inf for very negative x gives 1/inf = 0
        return 1.0 / (1.0 + np.exp(-x))


_ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "softrelu": lambda x: np.logaddexp(0, x),          # log(1 + e^x) without overflow
    "softsign": lambda x: x / (1 + np.abs(x)),
}


def activation(ins, outs, attrs):
    np.copyto(outs[0], _ACTIVATIONS[attrs["act_type"]](_wide(ins[0])), casting="unsafe")


def prelu_gamma_shape(gamma_shape, data_shape):
    """The shape ``gamma`` broadcasts as against ``data`` in PReLU, by MXNet's rule; None if none.

    Gamma's axes are matched from the right against data's axis 1 (channels) and then axis 0
    (batch) only; each must equal that axis or be 1, and data's other axes get 1. So a ``(C,)``
    gamma is per channel, ``(1,)`` is one shared slope and ``(N, C)`` is per sample and channel.
    """
    result = [1] * len(data_shape)
    s = len(gamma_shape) - 1
    for i in range(min(len(data_shape), 2) - 1, -1, -1):
        if s >= 0 and gamma_shape[s] in (data_shape[i], 1):
            result[i] = gamma_shape[s]
            s -= 1
    return tuple(result) if s == -1 else None


def leaky_relu(ins, outs, attrs):
    x = _wide(ins[0])
    act, slope = attrs["act_type"], attrs["slope"]
    with np.errstate(over="ignore", invalid="ignore"):
        if act == "leaky":
            y = np.where(x > 0, x, x * slope)
        elif act == "prelu":
            gamma = ins[1].reshape(prelu_gamma_shape(ins[1].shape, x.shape))
            y = np.where(x > 0, x, x * gamma)
        elif act == "elu":
            y = np.where(x > 0, x, slope * np.expm1(np.minimum(x, 0)))
        elif act == "selu":
            y = _SELU_LAMBDA * np.where(x > 0, x, _SELU_ALPHA * np.expm1(np.minimum(x, 0)))
        elif act == "gelu":
            y = 0.5 * x * (1.0 + erf(x * np.sqrt(0.5)))
        else:   # rrelu: a random slope per element while training, their mean otherwise
            lo, hi = attrs["lower_bound"], attrs["upper_bound"]
            if attrs["is_train"]:
                slopes = lo + (hi - lo) * attrs["rng"].random(x.shape)
                np.copyto(outs[1], slopes, casting="unsafe")
            else:
                slopes = (lo + hi) / 2
                outs[1].fill(0)           # NB: MXNet's mask output is all zeros outside training
            y = np.where(x > 0, x, x * slopes)
    np.copyto(outs[0], y, casting="unsafe")


# -- the softmax family --------------------------------------------------------------------------
def softmax_along(x, axis, temperature=None, log=False, length=None):
    """``exp((x - max) / T) / sum(...)`` along ``axis`` in float64 (or its log).

    ``length`` (data's shape without ``axis``) masks each row to its first ``length`` entries;
    masked entries come out as 0 (a row of length 0 is all zeros).

    A row whose exp-sum is NaN (it holds a NaN, a +inf, or only -inf) gets MXNet 1.9.1's answer
    (of its default float32 kernel, oneDNN's, whose exp turns NaN into the largest float): the
    max ignores NaN; entries whose ``x - max`` is NaN are NaN; the others are 0 (log_softmax:
    ``x - max`` minus the log of the dtype's largest value). So softmax([inf, 1]) is [nan, 0]
    and log_softmax([nan, 1]) is [nan, -88.72284] in float32. NB: MXNet's float64 and
    other-axis kernels give NaN for the whole row instead.
    """
    x = np.asarray(x)
    big = np.log(np.finfo(x.dtype if x.dtype.kind == "f" else np.float32).max)
    x = x.astype(np.float64, copy=False)
    axis %= x.ndim
    if length is not None:
        position = np.arange(x.shape[axis]).reshape([-1 if a == axis else 1 for a in range(x.ndim)])
        valid = position < np.expand_dims(length, axis)
        x = np.where(valid, x, -np.inf)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        top = np.fmax.reduce(x, axis=axis, keepdims=True)      # NaN ignored
        if length is not None:
            top = np.where(np.isfinite(top), top, 0.0)       # rows with nothing valid
        # MXNet's order of operations: subtract the max first, then divide by the temperature.
        z = x - top if temperature is None else (x - top) / temperature
        e = np.exp(z)
        total = np.sum(e, axis=axis, keepdims=True)
        if log:
            y = z - np.log(total)
        elif length is None:
            y = e / total
        else:
            y = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
        bad = np.isnan(total)
        if bad.any():
            y = np.where(bad, np.where(np.isnan(z), z, z - big if log else 0.0), y)
        return y


def _softmax_kernel(negate=False, log=False):
    def kernel(ins, outs, attrs):
        if outs[0].size == 0:
            return
        x = -ins[0].astype(np.float64) if negate else ins[0]
        length = ins[1] if len(ins) > 1 else None
        y = softmax_along(x, attrs["axis"], attrs["temperature"], log, length)
        np.copyto(outs[0], y, casting="unsafe")
    kernel.__name__ = "softmin" if negate else "log_softmax" if log else "softmax"
    return kernel


def _backward_softmax_kernel(log=False):
    def kernel(ins, outs, attrs):
        """softmax: ``y * (g - sum(g * y)) / T``; log_softmax: ``(g - e^y * sum(g)) / T``."""
        if outs[0].size == 0:
            return
        g, y = ins[0].astype(np.float64), ins[1].astype(np.float64)
        axis = attrs["axis"] % y.ndim
        with np.errstate(over="ignore", invalid="ignore"):
            if log:
                dx = g - np.exp(y) * g.sum(axis=axis, keepdims=True)
            else:
                dx = y * (g - (g * y).sum(axis=axis, keepdims=True))
            if attrs["temperature"] is not None:
                dx = dx / attrs["temperature"]
        np.copyto(outs[0], dx, casting="unsafe")
    kernel.__name__ = "backward_log_softmax" if log else "backward_softmax"
    return kernel


def softmax_activation(ins, outs, attrs):
    if outs[0].size:
        # NB: MXNet 1.9.1's instance mode is a softmax over the last axis, not over all of C*H*W.
        axis = 1 if attrs["mode"] == "channel" else -1
        np.copyto(outs[0], softmax_along(ins[0], axis), casting="unsafe")


def softmax_output(ins, outs, attrs):
    """Forward of SoftmaxOutput: a softmax over axis 1, the last axis, or all but axis 0."""
    data = ins[0]
    if data.size == 0:
        return
    if attrs["multi_output"]:
        y = softmax_along(data, 1)
    elif attrs["preserve_shape"]:
        y = softmax_along(data, -1)
    else:
        y = softmax_along(data.reshape(data.shape[0], -1), 1).reshape(data.shape)
    np.copyto(outs[0], y, casting="unsafe")


_LOG_P_MIN = np.log(np.float64(np.float32(1e-8)))     # MXNet's clip of the probability


def softmax_cross_entropy(ins, outs, attrs):
    """``sum_i -log softmax(data[i])[label[i]]``, one number for the whole batch.

    Labels are truncated to integers. NB: MXNet reads ``log_p.flat[i * C + label[i]]`` without a
    range check; minimx does the same and wraps around the batch, so an out-of-range label gives
    MXNet's answer wherever MXNet's stays inside the array.

    NB: as MXNet 1.9.1, each probability is clipped below at 1e-8 (float32) before the log, so a
    row's loss is at most 18.420681 (logits [1e4, 0] with label 1 give that, not 1e4); the
    gradient ``softmax - onehot`` is not clipped. Gluon's SoftmaxCrossEntropyLoss uses
    log_softmax and has no clip.
    """
    data, label = ins
    log_p = softmax_along(data, 1, log=True).reshape(-1)
    if log_p.size == 0:
        outs[0].fill(0)
        return
    rows = np.arange(data.shape[0]) * data.shape[1]
    picked = log_p[(rows + np.trunc(label).astype(np.int64)) % log_p.size]
    picked = np.maximum(picked, _LOG_P_MIN)
    outs[0][...] = -np.sum(picked)


# -- dropout ---------------------------------------------------------------------------------
def dropout(ins, outs, attrs):
    """Zero each element with probability p, scale the rest by 1/(1-p); identity in prediction.

    ``axes`` share one draw along those axes (variational dropout). The second output is the
    mask the backward pass multiplies by (0 or 1/(1-p); all ones when nothing was dropped).
    """
    data = ins[0]
    out, mask = outs
    if not (attrs["is_train"] or attrs["mode"] == "always"):
        np.copyto(out, data)
        mask.fill(1)
        return
    draw_shape = list(data.shape)
    for a in attrs["axes"]:
        draw_shape[a] = 1
    keep = attrs["rng"].random(draw_shape) < 1.0 - attrs["p"]
    with np.errstate(divide="ignore", invalid="ignore"):
        # NB: p = 1 gives 0 * inf = nan everywhere, as in MXNet.
        scale = np.float64(1.0) / np.float64(1.0 - attrs["p"])
        np.copyto(mask, np.broadcast_to(keep * scale, data.shape), casting="unsafe")
    np.multiply(data, mask, out=out)


# -- identity-forward ops, sums and the regression outputs -------------------------------------
def copy(ins, outs, attrs):
    np.copyto(outs[0], ins[0])


def element_wise_sum(ins, outs, attrs):
    out = outs[0]
    np.copyto(out, ins[0])
    for x in ins[1:]:
        np.add(out, x, out=out, casting="unsafe")


def logistic(ins, outs, attrs):
    np.copyto(outs[0], _sigmoid(_wide(ins[0])), casting="unsafe")


def smooth_l1(ins, outs, attrs):
    """``0.5 (sigma x)^2`` where ``|x| < 1/sigma^2``, else ``|x| - 0.5/sigma^2``."""
    x = ins[0].astype(np.float64)
    s2 = np.float64(attrs["scalar"]) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        ax = np.abs(x)
        y = np.where(ax < 1.0 / s2, 0.5 * s2 * x * x, ax - 0.5 / s2)
    np.copyto(outs[0], y, casting="unsafe")


KERNELS = {
    "Activation": activation,
    "LeakyReLU": leaky_relu,
    "softmax": _softmax_kernel(),
    "log_softmax": _softmax_kernel(log=True),
    "softmin": _softmax_kernel(negate=True),
    "_backward_softmax": _backward_softmax_kernel(),
    "_backward_log_softmax": _backward_softmax_kernel(log=True),
    "SoftmaxActivation": softmax_activation,
    "SoftmaxOutput": softmax_output,
    "softmax_cross_entropy": softmax_cross_entropy,
    "Dropout": dropout,
    "BlockGrad": copy,
    "MakeLoss": copy,
    "ElementWiseSum": element_wise_sum,
    "LinearRegressionOutput": copy,
    "MAERegressionOutput": copy,
    "LogisticRegressionOutput": logistic,
    "smooth_l1": smooth_l1,
}
