"""The ``random_pdf_*`` ops: the density of samples under many distributions at once.

``_random_pdf_X(sample, *params, is_log=False)`` (alias ``random_pdf_X``, as in MXNet) reads the
parameter arrays (one shape ``S``, one distribution per element) and a sample of shape ``S + T``:
``T`` samples of each distribution. The output has the sample's shape and holds the density (the
probability mass for the discrete ones), or its log with ``is_log=True``. Dirichlet: alpha is
``S + (k,)``, the sample ``S + T + (k,)``, the output ``S + T``. Everything stays in the inputs'
dtype (float16, float32 or float64; all alike).

Gradients, as MXNet 1.9.1 gives them: with respect to every parameter (summed over each row's
samples), and with respect to the sample for the continuous distributions (uniform's is zero); the
discrete ones (poisson, negative_binomial, generalized_negative_binomial) pass zero to the sample.
They run in the hidden ``_backward_pdf_X`` ops (MXNet's names), one kernel for all gradients.

NB (MXNet's behaviour, kept): no support or parameter check. A sample outside the support goes
through the formula (uniform gives 1 / (high - low) everywhere), a negative scale gives a negative
"density" and a NaN log, generalized_negative_binomial with alpha = 0 gives NaN (not Poisson), and
poisson and the negative binomials accept non-integer samples (through lgamma).
NB: minimx computes in float64 and rounds once; MXNet computes in the inputs' dtype with a
cruder digamma, so float64 parameter gradients through digamma (gamma's alpha, the negative
binomials', dirichlet's) differ from MXNet's by up to ~1e-6 relative, and float16 results by a few
float16 ulps (more where MXNet's float16 sums cancel).
NB: ``mx.nd.random.pdf_X`` does not exist in MXNet 1.9.1 (only ``mx.nd.random_pdf_X``); nor here.
"""
import numpy as np

from .opdef import NO_GRAD, Domain, OpDef, Param, fail
from .params import Bool

__all__ = []

_FLOATS = ("float16", "float32", "float64")
_IS_LOG = Param("is_log", Bool, False, "If set, compute the density of the log-probability "
                                        "instead of the probability.")


def _dirichlet(name):
    return name == "dirichlet"


def _pdf_shape(name):
    def rule(attrs, sample, *params):
        for p in params[1:]:
            if p != params[0]:
                fail(f"the parameter arrays must have one shape, got {', '.join(map(str, params))}",
                     "give one value per distribution in each array (no broadcasting)")
        rows = tuple(params[0])
        if _dirichlet(name):
            rows, k = rows[:-1], rows[-1:] if rows else ()
            if not k or len(sample) < len(rows) + 1 or tuple(sample[-1:]) != k:
                fail(f"sample {tuple(sample)} does not end with alpha's last axis "
                     f"{tuple(params[0])[-1:]}",
                     "alpha is S + (k,), the sample S + (m, ..., k)")
        if tuple(sample[:len(rows)]) != rows:
            fail(f"sample {tuple(sample)} does not start with the parameters' shape {rows}",
                 "the sample must be the parameters' shape plus sample axes, e.g. (n,) and (n, m)")
        return tuple(sample[:-1]) if _dirichlet(name) else tuple(sample)
    return rule


def _pdf_dtype(attrs, *dtypes):
    for d in dtypes[1:]:
        if d != dtypes[0]:
            fail(f"sample and parameters must have one dtype, got {', '.join(map(str, dtypes))}",
                 "convert one with .astype(...)")
    if dtypes[0].kind != "f":
        fail(f"sample and parameters are {dtypes[0]}, densities need floating point",
             "cast them first, e.g. x.astype('float32')")
    return dtypes[0]


def _bwd_shape(attrs, ograd, sample, *params):
    return [tuple(sample)] + [tuple(p) for p in params]


def _bwd_dtype(attrs, *dtypes):
    return [dtypes[1]] * (len(dtypes) - 1)


def _grad(name):
    def rule(F, attrs, inputs, outputs, out_grads):
        grads = getattr(F._internal, f"_backward_pdf_{name}")(out_grads[0], *inputs,
                                                              is_log=attrs["is_log"])
        return list(grads)
    return rule


def _maker(name, params_fn, sample_fn):
    """``make_inputs`` of the forward op (``grad=True``: the backward op's, head gradient first)."""
    def make(rng, dtype, attrs, backward=False):
        rows = tuple(int(s) for s in rng.integers(1, 4, size=int(rng.integers(1, 3))))
        params = params_fn(rng, rows)
        m = (int(rng.integers(1, 4)),)
        if _dirichlet(name):
            k = params[0].shape[-1]
            x = rng.uniform(0.2, 1.0, rows + m + (k,))
            sample = x / x.sum(axis=-1, keepdims=True)
            out = rows + m
        else:
            sample = sample_fn(rng, params, rows + m)
            out = rows + m
        arrays = [sample] + list(params)
        if backward:
            arrays = [rng.standard_normal(out)] + arrays
        return [np.asarray(a, dtype) for a in arrays]
    return make


def _declare(name, inputs, params_fn, sample_fn, formula, doc, sample_grad=True):
    make = _maker(name, params_fn, sample_fn)
    forward = OpDef(
        f"_random_pdf_{name}", inputs=("sample",) + inputs, params=(_IS_LOG,),
        shape=_pdf_shape(name), dtype=_pdf_dtype, grad=_grad(name),
        aliases=(f"random_pdf_{name}",), formula=formula, doc=doc,
        # discrete sample: MXNet's gradient is 0 while the formula's finite difference is not,
        # so those are checked in tests/test_random_pdf.py (parameters only)
        domain=Domain(dtypes=_FLOATS, grad=sample_grad, make_inputs=make, rtol=1e-4, atol=1e-5,
                      attrs=[{}, {"is_log": True}]),
        family="random_pdf")
    backward = OpDef(
        f"_backward_pdf_{name}", inputs=("ograd", "sample") + inputs, params=(_IS_LOG,),
        shape=_bwd_shape, dtype=_bwd_dtype, grad=NO_GRAD,
        formula=f"gradients of random_pdf_{name} with respect to sample and {', '.join(inputs)}",
        doc=f"The gradients of random_pdf_{name}, given the head gradient.",
        domain=Domain(dtypes=_FLOATS, grad=False, attrs=[{}, {"is_log": True}],
                      make_inputs=lambda rng, dtype, attrs: make(rng, dtype, attrs, True)),
        family="random_pdf")
    return forward, backward


_random_pdf_uniform, _backward_pdf_uniform = _declare(
    "uniform", ("low", "high"),
    lambda rng, r: (rng.uniform(-2, 0, r), rng.uniform(0.5, 2, r)),
    lambda rng, p, s: rng.uniform(0, 0.5, s),
    "out[i, j] = 1 / (high[i] - low[i])",
    "Density of uniform distributions on [low, high) (the support is not checked).")

_random_pdf_normal, _backward_pdf_normal = _declare(
    "normal", ("mu", "sigma"),
    lambda rng, r: (rng.uniform(-1, 1, r), rng.uniform(0.5, 2, r)),
    lambda rng, p, s: rng.uniform(-2, 2, s),
    "out[i, j] = exp(-(x[i, j] - mu[i])^2 / (2 sigma[i]^2)) / (sigma[i] sqrt(2 pi))",
    "Density of normal distributions with means mu and standard deviations sigma.")

_random_pdf_gamma, _backward_pdf_gamma = _declare(
    "gamma", ("alpha", "beta"),
    lambda rng, r: (rng.uniform(0.5, 4, r), rng.uniform(0.5, 2, r)),
    lambda rng, p, s: rng.uniform(0.3, 3, s),
    "out[i, j] = beta^alpha x^(alpha - 1) e^(-beta x) / Gamma(alpha)",
    "Density of gamma distributions with shapes alpha and rates beta (mean alpha / beta).")

_random_pdf_exponential, _backward_pdf_exponential = _declare(
    "exponential", ("lam",),
    lambda rng, r: (rng.uniform(0.5, 3, r),),
    lambda rng, p, s: rng.uniform(0, 3, s),
    "out[i, j] = lam[i] e^(-lam[i] x[i, j])",
    "Density of exponential distributions with rates lam.")

_random_pdf_poisson, _backward_pdf_poisson = _declare(
    "poisson", ("lam",),
    lambda rng, r: (rng.uniform(0.5, 5, r),),
    lambda rng, p, s: rng.integers(0, 6, s).astype(float),
    "out[i, j] = lam^x e^(-lam) / Gamma(x + 1)",
    "Probability of x events under Poisson distributions with rates lam.", sample_grad=False)

_random_pdf_negative_binomial, _backward_pdf_negative_binomial = _declare(
    "negative_binomial", ("k", "p"),
    lambda rng, r: (rng.uniform(1, 5, r), rng.uniform(0.2, 0.8, r)),
    lambda rng, p, s: rng.integers(0, 6, s).astype(float),
    "out[i, j] = Gamma(x + k) / (Gamma(k) x!) p^k (1 - p)^x",
    "Probability of x failures before the k-th success, success probability p.",
    sample_grad=False)

_random_pdf_generalized_negative_binomial, _backward_pdf_generalized_negative_binomial = _declare(
    "generalized_negative_binomial", ("mu", "alpha"),
    lambda rng, r: (rng.uniform(0.5, 4, r), rng.uniform(0.2, 1.5, r)),
    lambda rng, p, s: rng.integers(0, 6, s).astype(float),
    "out = NB(x; k = 1 / alpha, p = 1 / (1 + alpha mu))",
    "Probability of x under negative binomial distributions with means mu and dispersions "
    "alpha (variance mu + alpha mu^2; alpha = 0 gives NaN, as in MXNet).", sample_grad=False)

_random_pdf_dirichlet, _backward_pdf_dirichlet = _declare(
    "dirichlet", ("alpha",),
    lambda rng, r: (rng.uniform(0.5, 3, r + (int(rng.integers(2, 4)),)),),
    None,
    "out[i, j] = Gamma(sum alpha[i]) / prod Gamma(alpha[i]) prod_c x[i, j, c]^(alpha[i, c] - 1)",
    "Density of Dirichlet distributions with concentrations alpha (last axis) at the samples "
    "x (last axis: the k components).")
