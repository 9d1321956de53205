"""``mx.sym.random``: random draws in a graph (numbers: ``_random_X``; symbols: ``_sample_X``)."""
from ..ops import get_op
from .symbol import Symbol, make_symbol

__all__ = ["uniform", "normal", "randn", "poisson", "exponential", "gamma", "negative_binomial",
           "generalized_negative_binomial", "multinomial", "randint", "shuffle"]


def _draw(kind, params, shape, dtype, name, **kwargs):
    """``_random_<kind>`` when every parameter is a number, ``_sample_<kind>`` for symbols."""
    symbols = [v for v in params.values() if isinstance(v, Symbol)]
    attrs = dict(kwargs)
    if shape is not None:
        attrs["shape"] = shape
    if dtype is not None:
        attrs["dtype"] = dtype
    if symbols:
        return make_symbol(get_op("_sample_" + kind), list(params.values()), attrs, name)
    attrs.update(params)
    return make_symbol(get_op("_random_" + kind), [], attrs, name)


def uniform(low=0, high=1, shape=None, dtype=None, name=None, **kwargs):
    return _draw("uniform", {"low": low, "high": high}, shape, dtype, name, **kwargs)


def normal(loc=0, scale=1, shape=None, dtype=None, name=None, **kwargs):
    return _draw("normal", {"loc": loc, "scale": scale}, shape, dtype, name, **kwargs)


def randn(*shape, loc=0, scale=1, dtype=None, name=None, **kwargs):
    return normal(loc, scale, shape, dtype, name, **kwargs)


def poisson(lam=1, shape=None, dtype=None, name=None, **kwargs):
    return _draw("poisson", {"lam": lam}, shape, dtype, name, **kwargs)


def exponential(scale=1, shape=None, dtype=None, name=None, **kwargs):
    return _draw("exponential", {"lam": 1.0 / scale} if not isinstance(scale, Symbol)
                 else {"lam": 1.0 / scale}, shape, dtype, name, **kwargs)


def gamma(alpha=1, beta=1, shape=None, dtype=None, name=None, **kwargs):
    return _draw("gamma", {"alpha": alpha, "beta": beta}, shape, dtype, name, **kwargs)


def negative_binomial(k=1, p=1, shape=None, dtype=None, name=None, **kwargs):
    return _draw("negative_binomial", {"k": k, "p": p}, shape, dtype, name, **kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=None, dtype=None, name=None, **kwargs):
    return _draw("generalized_negative_binomial", {"mu": mu, "alpha": alpha}, shape, dtype, name,
                 **kwargs)


def multinomial(data, shape=None, get_prob=False, dtype="int32", name=None, **kwargs):
    attrs = dict(kwargs, get_prob=get_prob, dtype=dtype)
    if shape is not None:
        attrs["shape"] = shape
    return make_symbol(get_op("_sample_multinomial"), [data], attrs, name)


def randint(low, high, shape=None, dtype=None, name=None, **kwargs):
    return _draw("randint", {"low": low, "high": high}, shape, dtype, name, **kwargs)


def shuffle(data, name=None, **kwargs):
    return make_symbol(get_op("_shuffle"), [data], kwargs, name)
