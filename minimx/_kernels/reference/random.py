"""numpy kernels of the random family: samplers, multinomial, shuffle.

Every kernel draws from ``attrs['rng']``, the context's ``numpy.random.Generator`` (PCG64). ``invoke``
orders all random ops of a context through one engine variable, so a kernel is the only user of the
generator while it runs, and a seed gives the same numbers on the threaded and the naive engine.

One drawing function per distribution (``_uniform``, ``_normal`` ...) serves its three ops:
``_random_X`` (scalar parameters from ``attrs``), ``_random_X_like`` (the same, shaped like an input)
and ``_sample_X`` (one distribution per element of the parameter arrays, ``shape`` samples each). The
parameters arrive as Python numbers or as arrays already shaped to broadcast against ``out``.

NB: MXNet draws with its own generators (mt19937 on the CPU, Philox on GPUs) and its own
algorithms, so the same seed gives other numbers in minimx than in MXNet; only the distributions
agree. numpy draws float32 or float64; float16 outputs are drawn in float32 and rounded.

The scalar ops' parameters are checked by their shape rules, at the call. A ``_sample_X`` op's
parameters are data, known only when the kernel runs: its kernel checks them, and the error is
raised at the next wait, naming the op (MXNet checks nothing there and returns garbage or hangs).
"""
import numpy as np

__all__ = ["KERNELS"]


# -- helpers ---------------------------------------------------------------------------------------
def _work(out):
    """A float buffer to draw into: ``out`` itself, or a float32 one for float16 outputs."""
    return np.empty(out.shape, np.float32) if out.dtype == np.float16 else out


def _finish(work, out):
    if work is not out:
        out[...] = work


def _per_distribution(ins, out):
    """The parameter arrays reshaped to ``s + (1,) * m``, so they broadcast over the samples.

    ``ins`` have shape ``s``; ``out`` has shape ``s + t`` with ``m = len(t)`` samples axes.
    Integer parameter arrays are read as float64.
    """
    extra = (1,) * (out.ndim - ins[0].ndim)
    return [(p if p.dtype.kind == "f" else p.astype(np.float64)).reshape(p.shape + extra)
            for p in ins]


def _require(ok, message):
    """Reject invalid distribution parameters given as arrays (``_sample_*`` ops)."""
    if not np.all(ok):
        raise ValueError(message)


# -- one drawing function per distribution ---------------------------------------------------------
def _uniform(rng, out, low, high):
    """out = low + (high - low) * u, u ~ U[0, 1)."""
    work = _work(out)
    rng.random(out=work, dtype=work.dtype)
    work *= high - low
    work += low
    _finish(work, out)


def _normal(rng, out, loc, scale):
    """out = loc + scale * z, z ~ N(0, 1)."""
    work = _work(out)
    rng.standard_normal(out=work, dtype=work.dtype)
    work *= scale
    work += loc
    _finish(work, out)


def _exponential(rng, out, lam):
    """out = e / lam, e ~ Exp(1): the rate is lam, the mean 1 / lam."""
    work = _work(out)
    rng.standard_exponential(out=work, dtype=work.dtype)
    work /= lam
    _finish(work, out)


def _gamma(rng, out, alpha, beta):
    """out = beta * g, g ~ Gamma(alpha, 1): shape alpha, scale beta, mean alpha * beta."""
    work = _work(out)
    rng.standard_gamma(alpha, out=work, dtype=work.dtype)
    work *= beta
    _finish(work, out)


def _poisson(rng, out, lam):
    """out ~ Poisson(lam), stored as floats."""
    out[...] = rng.poisson(lam, size=out.shape)


def _negative_binomial(rng, out, k, p):
    """Failures before the k-th success, success probability p: a gamma-Poisson mixture, as MXNet.

    lam ~ Gamma(k, (1 - p) / p); out ~ Poisson(lam). Mean k (1 - p) / p, variance mean / p.
    """
    lam = rng.gamma(k, (1.0 - p) / p, size=out.shape)
    out[...] = rng.poisson(lam)


def _generalized_negative_binomial(rng, out, mu, alpha):
    """Negative binomial with mean mu and dispersion alpha (variance mu + alpha mu^2).

    lam ~ Gamma(1 / alpha, alpha * mu); out ~ Poisson(lam); alpha = 0 is Poisson(mu), as in MXNet.
    """
    alpha = np.asarray(alpha, np.float64)
    mu = np.asarray(mu, np.float64)
    poisson_only = alpha == 0
    safe = np.where(poisson_only, 1.0, alpha)
    lam = np.where(poisson_only, mu, rng.gamma(1.0 / safe, safe * mu, size=out.shape))
    out[...] = rng.poisson(np.broadcast_to(lam, out.shape))


# -- _random_X (and _random_X_like): scalar parameters ---------------------------------------------
def _random_uniform(ins, outs, attrs):
    _uniform(attrs["rng"], outs[0], attrs["low"], attrs["high"])


def _random_normal(ins, outs, attrs):
    _normal(attrs["rng"], outs[0], attrs["loc"], attrs["scale"])


def _random_exponential(ins, outs, attrs):
    _exponential(attrs["rng"], outs[0], attrs["lam"])


def _random_gamma(ins, outs, attrs):
    _gamma(attrs["rng"], outs[0], attrs["alpha"], attrs["beta"])


def _random_poisson(ins, outs, attrs):
    _poisson(attrs["rng"], outs[0], attrs["lam"])


def _random_negative_binomial(ins, outs, attrs):
    _negative_binomial(attrs["rng"], outs[0], attrs["k"], attrs["p"])


def _random_generalized_negative_binomial(ins, outs, attrs):
    _generalized_negative_binomial(attrs["rng"], outs[0], attrs["mu"], attrs["alpha"])


def _random_randint(ins, outs, attrs):
    """out ~ uniform over the integers low, low + 1, ..., high - 1."""
    out = outs[0]
    out[...] = attrs["rng"].integers(attrs["low"], attrs["high"], size=out.shape, dtype=out.dtype)


# -- _sample_X: one distribution per element of the parameter arrays -------------------------------
def _sample_uniform(ins, outs, attrs):
    low, high = _per_distribution(ins, outs[0])
    _require(low <= high, "low must be <= high in every distribution")
    _uniform(attrs["rng"], outs[0], low, high)


def _sample_normal(ins, outs, attrs):
    mu, sigma = _per_distribution(ins, outs[0])
    _require(sigma > 0, "sigma must be > 0 in every distribution")
    _normal(attrs["rng"], outs[0], mu, sigma)


def _sample_exponential(ins, outs, attrs):
    (lam,) = _per_distribution(ins, outs[0])
    _require(lam > 0, "lam must be > 0 in every distribution")
    _exponential(attrs["rng"], outs[0], lam)


def _sample_gamma(ins, outs, attrs):
    alpha, beta = _per_distribution(ins, outs[0])
    _require(alpha > 0, "alpha must be > 0 in every distribution")
    _require(beta > 0, "beta must be > 0 in every distribution")
    _gamma(attrs["rng"], outs[0], alpha, beta)


def _sample_poisson(ins, outs, attrs):
    (lam,) = _per_distribution(ins, outs[0])
    _require(lam >= 0, "lam must be >= 0 in every distribution")
    _poisson(attrs["rng"], outs[0], lam)


def _sample_negative_binomial(ins, outs, attrs):
    k, p = _per_distribution(ins, outs[0])
    _require(k >= 0, "k must be >= 0 in every distribution")
    _require((p > 0) & (p <= 1), "p must be in (0, 1] in every distribution")
    _negative_binomial(attrs["rng"], outs[0], k, p)


def _sample_generalized_negative_binomial(ins, outs, attrs):
    mu, alpha = _per_distribution(ins, outs[0])
    _require(mu >= 0, "mu must be >= 0 in every distribution")
    _require(alpha >= 0, "alpha must be >= 0 in every distribution")
    _generalized_negative_binomial(attrs["rng"], outs[0], mu, alpha)


# -- multinomial and shuffle -----------------------------------------------------------------------
_BLOCK = 1 << 22   # elements of the (rows, samples, outcomes) comparison made at once


def _sample_multinomial(ins, outs, attrs):
    """Inverse-CDF sampling, as MXNet: ``out = the first c with cumsum(p)[c] >= u``, u ~ U[0, 1).

    Naive loop::

        for each distribution i (a row of data, K outcomes):
            cdf = cumsum(data[i])               # accumulated in float64, stored as float32
            for each sample j:
                u = uniform(0, 1)
                out[i, j] = first c with cdf[c] >= u     # K if none: data did not sum to 1
                logp[i, j] = log(data[i, out[i, j]])     # with get_prob

    Vectorised: the index is the count of cdf values below u, for a block of rows at a time.
    NB: a row that sums to less than u gives index K, one past the last outcome, as in MXNet;
    its log probability is -inf here (MXNet reads past the row).
    """
    data, out = ins[0], outs[0]
    k = data.shape[-1]
    p = data.reshape(-1, k)
    n = p.shape[0]
    m = out.size // n if n else 0
    cdf = np.cumsum(p, axis=1, dtype=np.float64).astype(np.float32)
    u = attrs["rng"].random((n, m), dtype=np.float32)
    index = np.empty((n, m), np.int64)
    rows = max(1, _BLOCK // max(1, m * k))
    for start in range(0, n, rows):
        block = slice(start, start + rows)
        index[block] = (cdf[block, None, :] < u[block, :, None]).sum(axis=2)
    out[...] = index.reshape(out.shape)
    if len(outs) > 1:
        padded = np.concatenate([p, np.zeros((n, 1), p.dtype)], axis=1)   # index K -> prob 0
        with np.errstate(divide="ignore"):
            outs[1][...] = np.log(np.take_along_axis(padded, index, axis=1)).reshape(out.shape)


def _shuffle(ins, outs, attrs):
    """out = data[perm], perm a random permutation of range(len(data)): rows move, rows stay whole."""
    data = ins[0]
    perm = attrs["rng"].permutation(data.shape[0])
    outs[0][...] = data[perm]   # data[perm] is a copy, so out may be data itself


KERNELS = {
    "_random_uniform": _random_uniform,
    "_random_normal": _random_normal,
    "_random_exponential": _random_exponential,
    "_random_gamma": _random_gamma,
    "_random_poisson": _random_poisson,
    "_random_negative_binomial": _random_negative_binomial,
    "_random_generalized_negative_binomial": _random_generalized_negative_binomial,
    "_random_randint": _random_randint,
    "_sample_uniform": _sample_uniform,
    "_sample_normal": _sample_normal,
    "_sample_exponential": _sample_exponential,
    "_sample_gamma": _sample_gamma,
    "_sample_poisson": _sample_poisson,
    "_sample_negative_binomial": _sample_negative_binomial,
    "_sample_generalized_negative_binomial": _sample_generalized_negative_binomial,
    "_sample_multinomial": _sample_multinomial,
    "_shuffle": _shuffle,
}
