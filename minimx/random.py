"""``mx.random``: seed the generators, and the samplers of ``mx.nd.random``.

Every context has its own generator (a numpy ``Generator``, PCG64), created on first use. Random ops
of one context run in push order (they all write the generator's engine variable), so after
``seed(n)`` the same program draws the same numbers, on the threaded engine as on the naive one.

NB: in MXNet all CPU contexts share one generator; minimx gives each context its own, so drawing
on ``mx.cpu(1)`` does not move ``mx.cpu(0)``'s stream. A fresh process is seeded with 0, as MXNet
is, but the numbers themselves are not MXNet's.
"""
from .base import integer_types
from .context import Context
from .ndarray.invoke import seed_rngs
from .ndarray.random import (
    exponential, exponential_like, gamma, gamma_like, generalized_negative_binomial,
    generalized_negative_binomial_like, multinomial, negative_binomial, negative_binomial_like, normal,
    normal_like, poisson, poisson_like, randint, randn, shuffle, uniform, uniform_like,
)

__all__ = ["seed", "uniform", "normal", "randn", "poisson", "exponential", "gamma", "multinomial",
           "negative_binomial", "generalized_negative_binomial", "shuffle", "randint",
           "uniform_like", "normal_like", "exponential_like", "gamma_like", "poisson_like",
           "negative_binomial_like", "generalized_negative_binomial_like"]


def seed(seed_state, ctx="all"):
    """Seed the random number generators: every context's (``ctx='all'``), or one context's.

    Parameters
    ----------
    seed_state : int
        The seed. Read as a C int, as in MXNet (``2**32 + 5`` seeds as 5).
    ctx : Context or 'all', optional
        ``'all'`` seeds every context, including those that have not drawn yet; each context
        mixes its device id into the seed, so ``mx.cpu(0)`` and ``mx.cpu(1)`` draw different
        streams. A given context is seeded with ``seed_state`` alone: two contexts seeded this way
        draw the same numbers.

    Notes
    -----
    The seed takes effect in push order: random ops pushed before ``seed`` use the old stream,
    ops pushed after it the new one, whichever engine runs them.

    Examples
    --------
    >>> mx.random.seed(128)
    >>> a = mx.nd.random.normal(shape=(2, 2)).asnumpy()
    >>> mx.random.seed(128)
    >>> b = mx.nd.random.normal(shape=(2, 2)).asnumpy()
    >>> bool((a == b).all())
    True
    """
    if not isinstance(seed_state, integer_types):
        raise ValueError("seed_state must be int")
    seed_rngs(int(seed_state), None if ctx == "all" else Context(ctx))
