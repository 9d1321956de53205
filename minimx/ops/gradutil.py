"""Helpers that gradient rules share. Everything here is written with ops (``F``), so it runs on any
backend and can itself be differentiated."""

import threading

__all__ = ["unbroadcast", "zeros_for", "input_wanted", "wanted"]


class _Wanted(threading.local):
    inputs = None     # set by backward around a rule: which inputs need a gradient (None: all)


wanted = _Wanted()


def input_wanted(i):
    """False when backward does not need input ``i``'s gradient: an expensive rule (a matrix
    product, a convolution) may then return None for it instead of computing it."""
    w = wanted.inputs
    return w is None or w[i]


def unbroadcast(F, g, shape):
    """Sum ``g`` down to ``shape``: the gradient of broadcasting ``shape`` up to ``g.shape``.

    Axes the input lacked (leading ones) and axes where it had size 1 were copied by
    broadcasting, so their gradient is the sum over them.
    """
    shape = tuple(shape)
    if g.shape == shape:
        return g
    lead = len(g.shape) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                      if s == 1 and g.shape[lead + i] != 1)
    if axes:
        g = F.sum(g, axis=axes, keepdims=True)
    return F.reshape(g, shape=shape)


def zeros_for(F, x):
    """A zero gradient for input ``x`` (for inputs an op's output does not depend on smoothly)."""
    return F.zeros_like(x)
