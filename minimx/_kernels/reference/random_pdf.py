"""Kernels of the ``random_pdf_*`` ops: densities of samples under per-row parameters, and their
gradients.

Every distribution is given as ``logpdf(x, *params)`` and ``dlogpdf(x, *params)`` (the partial
derivatives of the log density with respect to the sample and each parameter), computed in float64
on parameters broadcast against the sample and cast to the output dtype at the end. The density
itself is ``exp(logpdf)`` except where MXNet evaluates a formula whose sign survives (uniform,
normal and exponential with a negative scale or rate give negative "densities" there;
the log is NaN).
No support is checked, as in MXNet: a sample outside it just goes through the formula.
The gradient of the density is ``pdf * dlogpdf``; parameter gradients are summed over the samples of
each distribution.
"""
import math

import numpy as np

__all__ = ["KERNELS", "DISTRIBUTIONS"]

_LGAMMA = np.vectorize(math.lgamma, otypes=[np.float64])


def _lgamma(x):
    """ln|Gamma(x)|, +inf at the poles (0, -1, ...), NaN for NaN."""
    x = np.asarray(x, np.float64)
    out = np.full(x.shape, np.inf)
    finite = ~np.isnan(x) & ~((x <= 0) & (x == np.floor(x)))
    out[np.isnan(x)] = np.nan
    if finite.any():
        out[finite] = _LGAMMA(x[finite])
    return out


def _digamma(x):
    """psi(x): recurrence up to x >= 6, then the asymptotic series; reflection below 0.5."""
    x = np.asarray(x, np.float64)
    reflect = x < 0.5
    xs = np.where(reflect, 1.0 - x, x)
    shift = np.zeros_like(xs)
    for _ in range(6):
        small = xs < 6
        shift = shift - np.where(small, 1.0 / np.where(small, xs, 1.0), 0.0)
        xs = np.where(small, xs + 1.0, xs)
    r2 = 1.0 / (xs * xs)
    tail = r2 * (1 / 12 - r2 * (1 / 120 - r2 * (1 / 252 - r2 * (1 / 240 - r2 / 132))))
    psi = np.log(xs) - 0.5 / xs - tail + shift
    with np.errstate(all="ignore"):
        return np.where(reflect, psi - math.pi / np.tan(math.pi * x), psi)


# -- distributions: (logpdf, dlogpdf, pdf or None) -------------------------------------------------
def _uniform_log(x, low, high):
    return -np.log(high - low) + 0 * x


def _uniform_dlog(x, low, high):
    inv = 1.0 / (high - low) + 0 * x
    return [np.zeros_like(inv), inv, -inv]


def _uniform_pdf(x, low, high):
    return 1.0 / (high - low) + 0 * x


def _normal_log(x, mu, sigma):
    return -0.5 * math.log(2 * math.pi) - np.log(sigma) - (x - mu) ** 2 / (2 * sigma ** 2)


def _normal_dlog(x, mu, sigma):
    z = (x - mu) / sigma ** 2
    return [-z, z, -1.0 / sigma + (x - mu) ** 2 / sigma ** 3]


def _normal_pdf(x, mu, sigma):
    return np.exp(-(x - mu) ** 2 / (2 * sigma ** 2)) / (sigma * math.sqrt(2 * math.pi))


def _gamma_log(x, alpha, beta):          # beta is the rate
    return alpha * np.log(beta) - _lgamma(alpha) + (alpha - 1) * np.log(x) - beta * x


def _gamma_dlog(x, alpha, beta):
    return [(alpha - 1) / x - beta, np.log(beta) - _digamma(alpha) + np.log(x), alpha / beta - x]


def _exponential_log(x, lam):
    return np.log(lam) - lam * x


def _exponential_dlog(x, lam):
    return [-lam + 0 * x, 1.0 / lam - x]


def _exponential_pdf(x, lam):
    return lam * np.exp(-lam * x)


def _poisson_log(x, lam):
    return x * np.log(lam) - lam - _lgamma(x + 1)


def _poisson_dlog(x, lam):
    return [np.zeros_like(x), x / lam - 1]


def _nb_log(x, k, p):
    return (_lgamma(x + k) - _lgamma(x + 1) - _lgamma(k) + k * np.log(p)
            + x * np.log(1 - p))


def _nb_dlog(x, k, p):
    return [np.zeros_like(x), _digamma(x + k) - _digamma(k) + np.log(p), k / p - x / (1 - p)]


def _gnb_log(x, mu, alpha):              # NB with k = 1 / alpha, p = 1 / (1 + alpha mu)
    k = 1.0 / alpha
    return _nb_log(x, k, 1.0 / (1.0 + alpha * mu))


def _gnb_dlog(x, mu, alpha):
    k, am = 1.0 / alpha, 1.0 + alpha * mu
    dmu = x / mu - (1.0 + alpha * x) / am
    dalpha = (-(_digamma(x + k) - _digamma(k)) * k * k + k * k * np.log(am) - k * mu / am
              + x / alpha - x * mu / am)
    return [np.zeros_like(x), dmu, dalpha]


def _dirichlet_log(x, alpha):            # x (..., m, k), alpha (..., 1, k)
    return (np.sum((alpha - 1) * np.log(x), axis=-1) + _lgamma(np.sum(alpha, axis=-1))
            - np.sum(_lgamma(alpha), axis=-1))


def _dirichlet_dlog(x, alpha):
    return [(alpha - 1) / x, np.log(x) + _digamma(np.sum(alpha, axis=-1, keepdims=True))
            - _digamma(alpha)]


DISTRIBUTIONS = {
    "uniform": (_uniform_log, _uniform_dlog, _uniform_pdf),
    "normal": (_normal_log, _normal_dlog, _normal_pdf),
    "gamma": (_gamma_log, _gamma_dlog, None),
    "exponential": (_exponential_log, _exponential_dlog, _exponential_pdf),
    "poisson": (_poisson_log, _poisson_dlog, None),
    "negative_binomial": (_nb_log, _nb_dlog, None),
    "generalized_negative_binomial": (_gnb_log, _gnb_dlog, None),
    "dirichlet": (_dirichlet_log, _dirichlet_dlog, None),
}


# -- kernels ---------------------------------------------------------------------------------------
def _broadcast(name, sample, params):
    """float64 sample, and the parameters reshaped to broadcast against it (one per row)."""
    x = np.asarray(sample, np.float64)
    rows = params[0].ndim - (name == "dirichlet")
    extra = x.ndim - rows - (name == "dirichlet")
    shaped = []
    for p in params:
        p = np.asarray(p, np.float64)
        if name == "dirichlet":
            shaped.append(p.reshape(p.shape[:-1] + (1,) * extra + p.shape[-1:]))
        else:
            shaped.append(p.reshape(p.shape + (1,) * extra))
    return x, shaped


def _density(name, x, params, is_log):
    logpdf, _, pdf = DISTRIBUTIONS[name]
    with np.errstate(all="ignore"):
        if is_log:
            return logpdf(x, *params)
        return pdf(x, *params) if pdf is not None else np.exp(logpdf(x, *params))


def _forward(name):
    def kernel(ins, outs, attrs):
        x, params = _broadcast(name, ins[0], ins[1:])
        outs[0][...] = _density(name, x, params, attrs["is_log"])
    kernel.__name__ = f"_random_pdf_{name}"
    return kernel


def _backward(name):
    """Inputs: head gradient, sample, parameters; outputs: gradients of sample and parameters."""
    def kernel(ins, outs, attrs):
        g = np.asarray(ins[0], np.float64)
        x, params = _broadcast(name, ins[1], ins[2:])
        with np.errstate(all="ignore"):        # NaN/inf where MXNet's formulas give them
            dlog = DISTRIBUTIONS[name][1](x, *params)
            scale = g if attrs["is_log"] else g * _density(name, x, params, False)
            if name == "dirichlet":
                scale = scale[..., None]
            outs[0][...] = scale * dlog[0]
            rows = ins[2].ndim - (name == "dirichlet")
            axes = tuple(range(rows, x.ndim - (name == "dirichlet")))
            for out, d in zip(outs[1:], dlog[1:]):
                full = np.broadcast_to(scale * d, x.shape)
                out[...] = np.sum(full, axis=axes) if axes else full
    kernel.__name__ = f"_backward_pdf_{name}"
    return kernel


KERNELS = {}
for _name in DISTRIBUTIONS:
    KERNELS[f"_random_pdf_{_name}"] = _forward(_name)
    KERNELS[f"_backward_pdf_{_name}"] = _backward(_name)
