"""``mx.nd.random``: draw random arrays (``mx.random`` re-exports these and adds ``seed``).

Each function takes a distribution's parameters as numbers or as NDArrays, as in MXNet:

- numbers: one distribution; the ``_random_X`` op draws ``shape`` samples (default: one) on ``ctx``;
- NDArrays: one distribution per element; the ``_sample_X`` op draws ``shape`` samples of each, so
  the result has shape ``param.shape + shape`` and lives on the parameters' context.

With ``out=`` and no ``shape``/``dtype``, the result takes ``out``'s shape and dtype (MXNet infers
them from ``out``). Random ops of one context run in push order, so ``mx.random.seed(n)`` repeats
every later draw. NB: the numbers differ from MXNet's for the same seed; only the distributions
agree (see ``minimx/_kernels/reference/random.py``).
"""
from ..base import MXNetError, numeric_types
from ..context import Context, current_context
from ..ops import get_op
from .gen_random import (
    _random_exponential_like, _random_gamma_like, _random_generalized_negative_binomial_like,
    _random_negative_binomial_like, _random_normal_like, _random_poisson_like, _random_uniform_like,
)
from .invoke import invoke
from .ndarray import NDArray

__all__ = ["uniform", "normal", "randn", "poisson", "exponential", "gamma", "multinomial",
           "negative_binomial", "generalized_negative_binomial", "shuffle", "randint",
           "uniform_like", "normal_like", "exponential_like", "gamma_like", "poisson_like",
           "negative_binomial_like", "generalized_negative_binomial_like", "NDArray",
           "current_context"]


class _NullType:
    """MXNet's marker for "not given" (``mxnet.base._Null``): lets ``None`` stay a real value."""

    def __repr__(self):
        return "_Null"


_Null = _NullType()

# ``mx.nd.random.uniform_like(data, low=0, high=1)`` and friends: the ``_random_X_like`` ops.
uniform_like = _random_uniform_like
normal_like = _random_normal_like
exponential_like = _random_exponential_like
gamma_like = _random_gamma_like
poisson_like = _random_poisson_like
negative_binomial_like = _random_negative_binomial_like
generalized_negative_binomial_like = _random_generalized_negative_binomial_like


def _random_helper(name, params, shape, dtype, ctx, out, kwargs):
    """Draw from distribution ``name`` with ``params`` (a dict in the op's parameter order).

    1. NDArray parameters (all of them): the ``_sample_<name>`` op, inputs = the arrays.
    2. Numbers: the ``_random_<name>`` op on ``ctx`` (default: the current context), one sample
       unless ``shape`` or ``out`` says otherwise.
    """
    values = list(params.values())
    kwargs.pop("name", None)   # MXNet's symbol name: nothing to name in imperative calls
    if isinstance(values[0], NDArray):
        for v in values[1:]:
            if not isinstance(v, NDArray):
                raise ValueError("Distribution parameters must all have the same type, but got "
                                 f"both {type(values[0]).__name__} and {type(v).__name__}.")
        op = get_op(f"_sample_{name}")
        attrs = dict(kwargs)
        if shape is not _Null:
            attrs["shape"] = shape
        if dtype is not _Null:
            attrs["dtype"] = dtype
        elif out is not None:
            attrs["dtype"] = out.dtype
        return invoke(op, tuple(values), op.parse(attrs), out)
    if isinstance(values[0], numeric_types):
        for v in values[1:]:
            if not isinstance(v, numeric_types):
                raise ValueError("Distribution parameters must all have the same type, but got "
                                 f"both {type(values[0]).__name__} and {type(v).__name__}.")
        if shape is _Null:
            shape = 1 if out is None else out.shape
        if dtype is _Null:
            dtype = None if out is None else out.dtype
        if ctx is None:
            ctx = out.context if out is not None else current_context()
        ctx = Context(ctx)
        op = get_op(f"_random_{name}")
        return invoke(op, (), op.parse(dict(kwargs, **params, shape=shape, dtype=dtype, ctx=ctx)),
                      out, ctx)
    raise ValueError("Distribution parameters must be either NDArray or numbers, "
                     f"but got {type(values[0]).__name__}.")


def uniform(low=0, high=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Draw samples from a uniform distribution on the half-open interval [low, high).

    Parameters
    ----------
    low, high : float or NDArray, optional
        Bounds of the interval (``low <= high``). NDArrays of one shape give one interval per
        element.
    shape : int or tuple of ints, optional
        Samples to draw (of each interval when low/high are NDArrays). Default: one sample.
    dtype : {'float16', 'float32', 'float64'}, optional
        Default: float32 (or out's dtype).
    ctx : Context, optional
        Where the result lives (default: the current context); NDArray parameters' context wins.
    out : NDArray, optional
        The array to write into.

    Returns
    -------
    NDArray
        Shape ``shape``, or ``low.shape + shape`` for NDArray parameters.

    Examples
    --------
    >>> mx.nd.random.uniform(-1, 1, shape=(2,)).shape
    (2,)
    >>> mx.nd.random.uniform(mx.nd.array([1, 2, 3]), mx.nd.array([2, 3, 4]), shape=2).shape
    (3, 2)
    """
    return _random_helper("uniform", {"low": low, "high": high}, shape, dtype, ctx, out, kwargs)


def normal(loc=0, scale=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Draw samples from a normal (Gaussian) distribution with mean ``loc`` and std ``scale``.

    Parameters are as in :func:`uniform`; ``scale`` must be > 0. With NDArrays, the op is
    ``_sample_normal(mu=loc, sigma=scale)``.
    """
    return _random_helper("normal", {"loc": loc, "scale": scale}, shape, dtype, ctx, out, kwargs)


def randn(*shape, **kwargs):
    """Draw normal samples of shape ``shape``: ``randn(2, 3, loc=0, scale=1, dtype=..., ctx=...)``.

    NB: as in MXNet, ``randn()`` without a shape is an error (the op gets the empty shape).
    """
    loc = kwargs.pop("loc", 0)
    scale = kwargs.pop("scale", 1)
    dtype = kwargs.pop("dtype", _Null)
    ctx = kwargs.pop("ctx", None)
    out = kwargs.pop("out", None)
    if not isinstance(loc, (int, float, NDArray)) or not isinstance(scale, (int, float, NDArray)):
        raise ValueError(f"randn: loc and scale must be numbers or NDArrays, got {loc!r}, {scale!r}")
    return _random_helper("normal", {"loc": loc, "scale": scale}, shape, dtype, ctx, out, kwargs)


def poisson(lam=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Draw samples from a Poisson distribution with rate ``lam`` (>= 0), stored as floats.

    Parameters are as in :func:`uniform`.
    """
    return _random_helper("poisson", {"lam": lam}, shape, dtype, ctx, out, kwargs)


def exponential(scale=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    r"""Draw samples from an exponential distribution with scale ``scale`` (mean; rate = 1 / scale).

    :math:`f(x) = \frac{1}{\beta} e^{-x / \beta}` for :math:`x > 0`. The ops take the rate:
    this calls ``_random_exponential(lam=1/scale)`` or ``_sample_exponential(lam=1/scale)``.
    Parameters are as in :func:`uniform`.
    """
    if isinstance(scale, numeric_types) and not scale > 0:
        # NB: MXNet raises ZeroDivisionError for 0, and names lam = 1/scale for negative scales.
        raise MXNetError(f"exponential: scale must be > 0, got scale={scale}")
    return _random_helper("exponential", {"lam": 1.0 / scale}, shape, dtype, ctx, out, kwargs)


def gamma(alpha=1, beta=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Draw samples from a gamma distribution with shape ``alpha`` and scale ``beta`` (both > 0).

    Parameters are as in :func:`uniform`.
    """
    return _random_helper("gamma", {"alpha": alpha, "beta": beta}, shape, dtype, ctx, out, kwargs)


def negative_binomial(k=1, p=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Draw the number of failures before the ``k``-th success, each trial succeeding with ``p``.

    Mean ``k (1 - p) / p``; stored as floats. ``k`` is an int >= 0 (an NDArray of floats for the
    ``_sample_`` op), ``p`` in (0, 1]. Parameters are as in :func:`uniform`.
    """
    return _random_helper("negative_binomial", {"k": k, "p": p}, shape, dtype, ctx, out, kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=_Null, dtype=_Null, ctx=None, out=None,
                                  **kwargs):
    """Draw negative binomial samples with mean ``mu`` and dispersion ``alpha`` (both >= 0).

    The variance is ``mu + alpha mu^2``; ``alpha = 0`` is Poisson(mu). Stored as floats.
    Parameters are as in :func:`uniform`.
    """
    return _random_helper("generalized_negative_binomial", {"mu": mu, "alpha": alpha}, shape, dtype,
                          ctx, out, kwargs)


def randint(low, high, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Draw integers uniformly from [low, high) (``low < high``).

    Parameters
    ----------
    low, high : int
        Bounds; ``high`` is excluded. NB: only numbers, as in MXNet (no ``_sample_randint``).
    shape : int or tuple of ints, optional
        Default: one sample.
    dtype : {'int32', 'int64'}, optional
        Default: int32 (or out's dtype).
    ctx, out :
        As in :func:`uniform`.
    """
    if isinstance(low, NDArray) or isinstance(high, NDArray):
        raise ValueError("randint: low and high must be integers; NDArray bounds are not supported "
                         "(MXNet has no _sample_randint)")
    return _random_helper("randint", {"low": low, "high": high}, shape, dtype, ctx, out, kwargs)


def multinomial(data, shape=_Null, get_prob=False, out=None, dtype="int32", **kwargs):
    """Draw outcome indices from categorical distributions, one per row of data's last axis.

    Parameters
    ----------
    data : NDArray
        Shape ``(d1, ..., dn-1, k)``: probabilities of ``k`` outcomes, summing to 1 on the last axis.
    shape : int or tuple of ints, optional
        Samples to draw from each distribution (default: one).
    get_prob : bool, optional
        Also return the log probability of each sample (for REINFORCE-style gradients).
    out : NDArray, optional
    dtype : {'int32', 'uint8', 'float16', 'float32', 'float64'}, optional
        The samples' dtype; the log probabilities have data's dtype.

    Returns
    -------
    NDArray, or [samples, log_probabilities] with ``get_prob``
        Shape ``(d1, ..., dn-1) + shape``; for 1-d data, ``shape`` (default ``(1,)``).
    """
    op = get_op("_sample_multinomial")
    attrs = dict(kwargs, get_prob=get_prob, dtype=dtype)
    if shape is not _Null:
        attrs["shape"] = shape
    return invoke(op, (data,), op.parse(attrs), out)


def shuffle(data, **kwargs):
    """A copy of ``data`` with its first axis randomly permuted (each row unchanged).

    ``out=`` may be given (even ``data`` itself).
    """
    op = get_op("_shuffle")
    out = kwargs.pop("out", None)
    return invoke(op, (data,), op.parse(kwargs), out)
