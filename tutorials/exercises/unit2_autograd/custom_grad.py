"""Unit 2 - autograd: a custom ``autograd.Function`` and a finite-difference gradient check.

Exercises
---------
2.1 ``StableSigmoid``: forward without overflow for any input, backward from the saved output.
2.2 ``numeric_grad(f, x, eps)``: the gradient of a scalar function by central differences.

Run this unit's tests with ``python -m minimx.exercises grade --unit 2``.
"""
import numpy as np

import minimx as mx

__all__ = ["StableSigmoid", "numeric_grad"]


class StableSigmoid(mx.autograd.Function):
    """``y = 1 / (1 + exp(-x))`` as an ``autograd.Function``.

    Use a new instance for every call, as in MXNet::

        x.attach_grad()
        with mx.autograd.record():
            y = StableSigmoid()(x)
        y.backward()

    Notes
    -----
    For very negative ``x``, ``exp(-x)`` overflows. Written with ``z = exp(-|x|)`` (always in
    (0, 1]) the sigmoid is ``1 / (1 + z)`` where x >= 0 and ``z / (1 + z)`` where x < 0;
    ``mx.nd.where(cond, a, b)`` picks between them elementwise.
    The derivative is ``y * (1 - y)``: save ``y`` in forward, and in backward multiply it by
    the incoming gradient ``dy``.
    """

    def forward(self, x):
        # BEGIN SOLUTION 2.1: z = exp(-|x|); mx.nd.where picks 1/(1+z) or z/(1+z); save y
        z = mx.nd.exp(-mx.nd.abs(x))
        y = mx.nd.where(x >= 0, 1 / (1 + z), z / (1 + z))
        self.save_for_backward(y)
        return y
        # END SOLUTION

    def backward(self, dy):
        # BEGIN SOLUTION 2.1: multiply the incoming gradient dy by y * (1 - y), with y saved in forward
        y, = self.saved_tensors
        return dy * y * (1 - y)
        # END SOLUTION


def numeric_grad(f, x, eps=1e-6):
    """The gradient of a scalar function by central differences.

    Parameters
    ----------
    f : callable
        Takes a float64 numpy array shaped like ``x``, returns a Python float.
    x : numpy.ndarray
        float64, any shape; it must be unchanged when the function returns.
    eps : float
        The step.

    Returns
    -------
    numpy.ndarray
        Shaped like ``x``: ``g[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``.
    """
    # BEGIN SOLUTION 2.2: per flat index i, f at x +- eps in entry i; restore x[i]
    g = np.zeros_like(x, dtype=np.float64)
    for i in range(x.size):
        old = x.flat[i]
        x.flat[i] = old + eps
        up = f(x)
        x.flat[i] = old - eps
        down = f(x)
        x.flat[i] = old
        g.flat[i] = (up - down) / (2 * eps)
    return g
    # END SOLUTION
