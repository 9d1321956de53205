"""The random ops: samplers of seven distributions, randint, multinomial and shuffle.

Each distribution comes in three ops, as in MXNet:

- ``_random_X`` (``random_X``): scalar parameters, ``shape`` samples, no inputs;
- ``_random_X_like`` (``mx.nd.random.X_like``): scalar parameters, shaped like its input;
- ``_sample_X`` (``sample_X``): parameters given as arrays, one distribution per element; the output
  has shape ``param.shape + shape``.

Every op here is declared ``random=True``: ``invoke`` gives its kernel the context's generator as
``attrs['rng']`` and makes the op write the generator's engine variable, so random ops of one context
run in push order and ``mx.random.seed(n)`` makes them repeatable on any engine.
Samplers are ``NO_GRAD``: a sample is a constant to autograd. NB: MXNet gives the ``_like`` and
``_sample_X`` ops a zero gradient (``MakeZeroGradNodes``) and ``_random_X``/``_shuffle`` none; with
``NO_GRAD`` the inputs' ``.grad`` stays zero, which is what a user sees in MXNet. The one real
gradient is ``_sample_multinomial``'s with ``get_prob=True``: through the log probabilities.
Scalar parameters are checked in the shape rules, at the call, naming the parameter (MXNet checks
the same conditions, also at the call). NB: minimx cannot reproduce MXNet's random streams (other
generators, other algorithms): a seed repeats minimx's numbers, not MXNet's.
"""
import numpy as np

from ..base import normalize_dtype
from .opdef import NO_GRAD, Domain, OpDef, Param, fail
from .params import Bool, Float, Int, OptShape, Shape

__all__ = []

_FLOATS = ("float16", "float32", "float64")


# -- parameter parsers -----------------------------------------------------------------------------
def _dtype_in(*names):
    """A parser for a dtype parameter limited to ``names`` (None: the op's default)."""
    allowed = {normalize_dtype(n) for n in names}

    def parse(value):
        if value is None or value == "None":
            return None
        dt = normalize_dtype(value)
        if dt not in allowed:
            raise ValueError(f"expected one of {', '.join(names)}, got {dt.name}")
        return dt
    parse.__name__ = "Enum"            # tools/gen_nd_api.py lists the choices in the docstring
    parse.choices = ("None",) + names
    return parse


def _context_name(value):
    """MXNet's ``ctx`` string ('cpu(1)'); ``invoke`` receives the context itself."""
    return "" if value is None else str(value)


_SHAPE = Param("shape", OptShape, None, "Shape of the output.")
_CTX = Param("ctx", _context_name, "", "Context of output, e.g. mx.cpu(1) (default: the current one).")
_FLOAT_DTYPE = Param("dtype", _dtype_in(*_FLOATS), None, "DType of the output; None: float32.")
_SAMPLES = Param("shape", Shape, (), "Shape to be sampled from each random distribution.")


# -- shape and dtype rules -------------------------------------------------------------------------
def _positive_sizes(shape, what):
    if any(s <= 0 for s in shape):
        fail(f"{what} {tuple(shape)} has a size <= 0",
             "MXNet's (legacy) shapes read 0 as unknown: every size must be >= 1")


def _given_shape(attrs):
    shape = attrs["shape"]
    if not shape:
        fail("shape is not given, so the output shape is unknown",
             "pass shape=(n, ...); mx.nd.random.uniform(...) and friends draw one sample by default")
    _positive_sizes(shape, "shape")
    return shape


def _float_dtype(attrs, *in_dtypes):
    return attrs["dtype"] or np.dtype(np.float32)


def _like_dtype(attrs, dtype):
    if dtype.kind != "f":
        fail(f"the input is {dtype}, and random values are drawn only for floating-point arrays",
             "cast the input first, e.g. x.astype('float32')")
    return dtype


def _params_shape(attrs, *shapes):
    """Shape rule of ``_sample_X``: parameter arrays of one shape ``s``; output ``s + shape``."""
    for s in shapes[1:]:
        if s != shapes[0]:
            fail(f"the parameter arrays must have one shape, got {', '.join(map(str, shapes))}",
                 "give one value per distribution in each array (no broadcasting)")
    _positive_sizes(attrs["shape"], "shape")
    return tuple(shapes[0]) + tuple(attrs["shape"])


def _params_dtype(attrs, *dtypes):
    for d in dtypes[1:]:
        if d != dtypes[0]:
            fail(f"the parameter arrays must have one dtype, got {', '.join(map(str, dtypes))}",
                 "convert one with .astype(...)")
    return attrs["dtype"] or np.dtype(np.float32)


def _at_least(value, bound, name, what, strict):
    if value < bound or (strict and value == bound):
        fail(f"{name} must be {'>' if strict else '>='} {bound} for the {what} distribution, "
             f"got {name}={value}", f"pass {name} {'>' if strict else '>='} {bound}")


# -- the three ops of one distribution -------------------------------------------------------------
def _distribution(name, params, check, sample_inputs, formula, doc, sample_inputs_fn, attrs,
                  extra_aliases=()):
    """Declare ``_random_<name>``, ``_random_<name>_like`` and ``_sample_<name>``.

    ``params`` are the scalar parameters (MXNet's names and defaults), ``check(attrs)`` rejects
    invalid values, ``sample_inputs`` names the parameter arrays of ``_sample_<name>`` (MXNet names
    them differently: ``mu, sigma`` for ``loc, scale``) and ``sample_inputs_fn`` makes valid ones
    for tests.
    """
    def random_shape(attrs_):
        check(attrs_)
        return _given_shape(attrs_)

    def like_shape(attrs_, data):
        check(attrs_)
        return data

    random_op = OpDef(
        f"_random_{name}", inputs=(), params=tuple(params) + (_SHAPE, _CTX, _FLOAT_DTYPE),
        shape=random_shape, dtype=_float_dtype, random=True, grad=NO_GRAD,
        aliases=(f"random_{name}",) + tuple(extra_aliases), formula=formula, doc=doc,
        domain=Domain(dtypes=_FLOATS, grad=False,
                      attrs=[dict(a, shape=s, dtype=d) for a in attrs
                             for s, d in (((3,), "float32"), ((2, 4), "float64"), ((5,), "float16"))]),
        family="random")
    like_op = OpDef(
        f"_random_{name}_like", inputs=("data",), params=tuple(params), shape=like_shape,
        dtype=_like_dtype, kernel=f"_random_{name}", random=True, grad=NO_GRAD,
        formula=formula + ", shaped like data", doc=doc + " The output has data's shape and dtype.",
        domain=Domain(dtypes=_FLOATS, grad=False, attrs=list(attrs)), family="random")
    sample_op = OpDef(
        f"_sample_{name}", inputs=sample_inputs, params=(_SAMPLES, _FLOAT_DTYPE),
        shape=_params_shape, dtype=_params_dtype, random=True, grad=NO_GRAD,
        aliases=(f"sample_{name}",),
        formula=f"out[i, ...] ~ {name}({', '.join(n + '[i]' for n in sample_inputs)})",
        doc=f"Samples from many {name} distributions at once, one per element of the parameter "
            "arrays, `shape` samples each (output shape: param.shape + shape).",
        domain=Domain(dtypes=_FLOATS, grad=False, make_inputs=sample_inputs_fn,
                      attrs=[{}, {"shape": (3,)}, {"shape": (2, 2), "dtype": "float64"}]),
        family="random")
    return random_op, like_op, sample_op


def _param_arrays(make):
    """``make_inputs`` of a ``_sample_X`` op from ``make(rng, shape)`` -> valid parameter arrays."""
    def make_inputs(rng, dtype, attrs):
        shape = tuple(int(s) for s in rng.integers(1, 4, size=int(rng.integers(1, 3))))
        return [np.asarray(a, dtype) for a in make(rng, shape)]
    return make_inputs


# uniform
def _check_uniform(attrs):
    if attrs["low"] > attrs["high"]:
        fail(f"low must be <= high for the uniform distribution, got low={attrs['low']} > "
             f"high={attrs['high']}", "swap low and high")


_random_uniform, _random_uniform_like, _sample_uniform = _distribution(
    "uniform", (Param("low", Float, 0.0, "Lower bound of the distribution."),
                Param("high", Float, 1.0, "Upper bound of the distribution.")),
    _check_uniform, ("low", "high"), "out ~ U[low, high)",
    "Draws samples from a uniform distribution on [low, high).",
    _param_arrays(lambda rng, s: (rng.uniform(-3, 1, s), rng.uniform(1.5, 4, s))),
    [{}, {"low": -2.0, "high": 5.0}], extra_aliases=("uniform",))


# normal
def _check_normal(attrs):
    _at_least(attrs["scale"], 0, "scale", "normal", strict=True)


_random_normal, _random_normal_like, _sample_normal = _distribution(
    "normal", (Param("loc", Float, 0.0, "Mean of the distribution."),
               Param("scale", Float, 1.0, "Standard deviation of the distribution.")),
    _check_normal, ("mu", "sigma"), "out ~ N(loc, scale^2)",
    "Draws samples from a normal (Gaussian) distribution with mean loc and standard deviation scale.",
    _param_arrays(lambda rng, s: (rng.uniform(-3, 3, s), rng.uniform(0.5, 2, s))),
    [{}, {"loc": 3.0, "scale": 0.5}], extra_aliases=("normal",))


# gamma
def _check_gamma(attrs):
    _at_least(attrs["alpha"], 0, "alpha", "gamma", strict=True)
    _at_least(attrs["beta"], 0, "beta", "gamma", strict=True)


_random_gamma, _random_gamma_like, _sample_gamma = _distribution(
    "gamma", (Param("alpha", Float, 1.0, "Alpha parameter (shape) of the gamma distribution."),
              Param("beta", Float, 1.0, "Beta parameter (scale) of the gamma distribution.")),
    _check_gamma, ("alpha", "beta"), "out ~ Gamma(shape=alpha, scale=beta)",
    "Draws samples from a gamma distribution with shape alpha and scale beta (mean alpha * beta).",
    _param_arrays(lambda rng, s: (rng.uniform(0.5, 5, s), rng.uniform(0.5, 2, s))),
    [{}, {"alpha": 9.0, "beta": 0.5}])


# exponential
def _check_exponential(attrs):
    _at_least(attrs["lam"], 0, "lam", "exponential", strict=True)


_random_exponential, _random_exponential_like, _sample_exponential = _distribution(
    "exponential",
    (Param("lam", Float, 1.0, "Lambda parameter (rate) of the exponential distribution."),),
    _check_exponential, ("lam",), "out ~ Exp(rate=lam)",
    "Draws samples from an exponential distribution with rate lam (mean 1 / lam).",
    _param_arrays(lambda rng, s: (rng.uniform(0.5, 4, s),)),
    [{}, {"lam": 4.0}])


# poisson
def _check_poisson(attrs):
    _at_least(attrs["lam"], 0, "lam", "Poisson", strict=False)


_random_poisson, _random_poisson_like, _sample_poisson = _distribution(
    "poisson", (Param("lam", Float, 1.0, "Lambda parameter (rate) of the Poisson distribution."),),
    _check_poisson, ("lam",), "out ~ Poisson(lam)",
    "Draws samples from a Poisson distribution with rate lam; the samples are stored as floats.",
    _param_arrays(lambda rng, s: (rng.uniform(0, 10, s),)),
    [{}, {"lam": 4.0}])


# negative binomial
def _check_negative_binomial(attrs):
    _at_least(attrs["k"], 0, "k", "negative binomial", strict=False)
    if not 0 < attrs["p"] <= 1:
        # NB: MXNet checks only k; p = 0 gives -2^31 there, p > 1 gives zeros.
        fail(f"p must be in (0, 1] for the negative binomial distribution, got p={attrs['p']}",
             "p is the success probability of each experiment")


_random_negative_binomial, _random_negative_binomial_like, _sample_negative_binomial = _distribution(
    "negative_binomial", (Param("k", Int, 1, "Limit of unsuccessful experiments."),
                          Param("p", Float, 1.0, "Failure probability in each experiment.")),
    _check_negative_binomial, ("k", "p"), "out ~ NB(k, p): failures before the k-th success",
    "Draws samples from a negative binomial distribution (mean k (1 - p) / p); stored as floats.",
    _param_arrays(lambda rng, s: (rng.integers(1, 6, s), rng.uniform(0.2, 1, s))),
    [{"p": 0.5}, {"k": 3, "p": 0.4}])


# generalized negative binomial
def _check_generalized_negative_binomial(attrs):
    _at_least(attrs["mu"], 0, "mu", "generalized negative binomial", strict=False)
    _at_least(attrs["alpha"], 0, "alpha", "generalized negative binomial", strict=False)


(_random_generalized_negative_binomial, _random_generalized_negative_binomial_like,
 _sample_generalized_negative_binomial) = _distribution(
    "generalized_negative_binomial",
    (Param("mu", Float, 1.0, "Mean of the negative binomial distribution."),
     Param("alpha", Float, 1.0,
           "Alpha (dispersion) parameter of the negative binomial distribution.")),
    _check_generalized_negative_binomial, ("mu", "alpha"),
    "out ~ NB(mean=mu, variance=mu + alpha mu^2)",
    "Draws samples from a negative binomial distribution with mean mu and dispersion alpha "
    "(alpha = 0: Poisson(mu)); stored as floats.",
    _param_arrays(lambda rng, s: (rng.uniform(0, 5, s), rng.uniform(0, 1, s))),
    [{}, {"mu": 2.0, "alpha": 0.3}, {"alpha": 0.0}])


# -- randint ---------------------------------------------------------------------------------------
def _randint_shape(attrs):
    low, high = attrs["low"], attrs["high"]
    if low >= high:
        # NB: MXNet accepts low == high and then dies of a division by zero (SIGFPE).
        fail(f"low must be < high for randint, got low={low}, high={high}",
             "the values drawn are low, low + 1, ..., high - 1")
    dtype = attrs["dtype"] or np.dtype(np.int32)
    info = np.iinfo(dtype)
    if low < info.min or high - 1 > info.max:
        # NB: MXNet wraps such values around silently.
        fail(f"low={low} and high={high} do not fit in {dtype}", "pass dtype='int64'")
    return _given_shape(attrs)


_random_randint = OpDef(
    "_random_randint", inputs=(),
    params=(Param("low", Int, doc="Lower bound of the distribution."),
            Param("high", Int, doc="Upper bound of the distribution (excluded)."),
            _SHAPE, _CTX, Param("dtype", _dtype_in("int32", "int64"), None,
                                "DType of the output; None: int32.")),
    shape=_randint_shape, dtype=lambda attrs: attrs["dtype"] or np.dtype(np.int32),
    random=True, grad=NO_GRAD, aliases=("random_randint",), formula="out ~ U{low, ..., high - 1}",
    doc="Draws integers uniformly from [low, high).",
    domain=Domain(dtypes=("int32", "int64"), grad=False,
                  attrs=[{"low": 0, "high": 5, "shape": (3,)},
                         {"low": -10, "high": 10, "shape": (2, 3), "dtype": "int64"}]),
    family="random")


# -- multinomial -----------------------------------------------------------------------------------
def _multinomial_shape(attrs, data):
    if data[-1] < 1:
        fail(f"data has {data[-1]} outcomes along its last axis", "give at least one probability")
    _positive_sizes(attrs["shape"], "shape")
    if len(data) == 1:
        out = tuple(attrs["shape"]) or (1,)
    else:
        out = tuple(data[:-1]) + tuple(attrs["shape"])
    return [out, out] if attrs["get_prob"] else out


def _multinomial_dtype(attrs, dtype):
    if dtype.kind != "f":
        fail(f"data is {dtype}, but probabilities must be floating point",
             "cast them first, e.g. data.astype('float32')")
    return [attrs["dtype"], dtype] if attrs["get_prob"] else attrs["dtype"]


def _probabilities(rng, dtype, attrs):
    shape = tuple(int(s) for s in rng.integers(1, 4, size=int(rng.integers(1, 3)))) + (
        int(rng.integers(2, 6)),)
    p = rng.uniform(0.1, 1, shape)
    return [(p / p.sum(axis=-1, keepdims=True)).astype(dtype)]


def _multinomial_grad(F, attrs, inputs, outputs, out_grads):
    """Gradient through the log probabilities (REINFORCE), MXNet's ``_backward_sample_multinomial``:
    ``d log p[s] / d p[k] = [s == k] / p[k]``, summed over the samples drawn from each row. The
    samples themselves are integers and pass no gradient."""
    if not attrs["get_prob"] or out_grads[1] is None:
        return [None]
    data, (samples, _) = inputs[0], outputs
    k = data.shape[-1]
    hits = F.one_hot(samples, depth=k, dtype=data.dtype)          # (rows..., samples..., k)
    weighted = F.broadcast_mul(hits, F.expand_dims(out_grads[1], axis=-1))
    rows = 0 if len(data.shape) == 1 else len(data.shape) - 1      # leading axes of one row each
    axes = tuple(range(rows, len(weighted.shape) - 1))
    if axes:                                    # NB: axis=() would reduce every axis in MXNet
        weighted = F.sum(weighted, axis=axes)
    per_outcome = F.reshape(weighted, shape=data.shape)
    return [per_outcome / data]


_sample_multinomial = OpDef(
    "_sample_multinomial", inputs=("data",),
    params=(_SAMPLES, Param("get_prob", Bool, False, "Also return the log probability of each "
                            "sample (for REINFORCE-style gradients)."),
            Param("dtype", _dtype_in("float16", "float32", "float64", "int32", "uint8"), "int32",
                  "DType of the samples.")),
    shape=_multinomial_shape, dtype=_multinomial_dtype, random=True, grad=_multinomial_grad,
    aliases=("sample_multinomial",),
    formula="out[i, ...] = the first c with cumsum(data[i])[c] >= u, u ~ U[0, 1)",
    doc="Draws outcome indices from many categorical distributions, one per row of data's last "
        "axis (which must sum to 1); with get_prob also their log probabilities.",
    domain=Domain(dtypes=_FLOATS, grad=False, make_inputs=_probabilities,
                  attrs=[{}, {"shape": (3,)}, {"get_prob": True},
                         {"shape": (2, 2), "dtype": "float32"}]),
    family="random")


# -- shuffle ---------------------------------------------------------------------------------------
_shuffle = OpDef(
    "_shuffle", shape=lambda attrs, data: data, random=True, grad=NO_GRAD, aliases=("shuffle",),
    formula="out = data[perm], perm a random permutation of range(data.shape[0])",
    doc="Shuffles the array along its first axis: rows change places, each row stays as it was.",
    domain=Domain(dtypes=("float32", "float64", "float16", "int32", "int64", "uint8"), grad=False),
    family="random")
