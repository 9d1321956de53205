"""Unit 4 - an op end to end: ``hard_sigmoid`` from numpy kernels to a differentiable op.

minimx's ops are declared once (``minimx/ops/elemwise.py``), with a numpy kernel as their
executable specification and a gradient rule next to them. Here you write the same three
pieces for ``hard_sigmoid`` by hand; the tests check them against the library's own
``mx.nd.hard_sigmoid`` with hypothesis.

``out = min(1, max(0, alpha * x + beta))``; its derivative is ``alpha`` where ``0 < out < 1``
(strictly) and 0 on the two flat parts, MXNet's choice at the kinks.

Exercises
---------
4.1 ``hard_sigmoid_forward(x, alpha, beta)``: the forward kernel.
4.2 ``hard_sigmoid_backward(out, out_grad, alpha)``: the gradient kernel.
4.3 ``HardSigmoid``: an ``autograd.Function`` that calls the two kernels.

Run this unit's tests with ``python -m minimx.exercises grade --unit 4``.
"""
import numpy as np

import minimx as mx

__all__ = ["hard_sigmoid_forward", "hard_sigmoid_backward", "HardSigmoid"]


def hard_sigmoid_forward(x, alpha=0.2, beta=0.5):
    """The forward kernel.

    Parameters
    ----------
    x : numpy.ndarray
        float32, any shape.
    alpha, beta : float
        Used as float32, as MXNet does: ``np.float32(alpha)``.

    Returns
    -------
    numpy.ndarray
        float32, shaped like ``x``: ``min(1, max(0, alpha * x + beta))``. ``x`` is not modified.

    Notes
    -----
    The naive loop is ``for i in range(x.size): out.flat[i] = min(1, max(0, a * x.flat[i] + b))``;
    numpy's ``np.clip`` does the same in one vectorised call. Keep all arithmetic in float32 so
    that the result is bit-for-bit MXNet's.
    """
    # BEGIN SOLUTION 4.1: clip alpha * x + beta to [0, 1], all in float32
    return np.clip(np.float32(alpha) * x + np.float32(beta), 0, 1).astype(np.float32, copy=False)
    # END SOLUTION


def hard_sigmoid_backward(out, out_grad, alpha=0.2):
    """The gradient kernel: the input's gradient from the output and the output's gradient.

    Parameters
    ----------
    out : numpy.ndarray
        float32, the forward's result.
    out_grad : numpy.ndarray
        float32, the gradient arriving at ``out``, same shape.
    alpha : float
        The slope (as float32).

    Returns
    -------
    numpy.ndarray
        float32: ``out_grad * alpha`` where ``0 < out < 1``, 0 elsewhere.
    """
    # BEGIN SOLUTION 4.2: out_grad * float32 alpha where 0 < out < 1 (strictly), else 0
    inside = (out > 0) & (out < 1)
    return np.where(inside, out_grad * np.float32(alpha), np.float32(0)).astype(np.float32)
    # END SOLUTION


class HardSigmoid(mx.autograd.Function):
    """``hard_sigmoid`` as a differentiable op built on the two kernels.

    Parameters
    ----------
    alpha, beta : float

    Notes
    -----
    ``forward`` receives an NDArray: call the kernel on ``x.asnumpy()``, wrap the result with
    ``mx.nd.array(..., dtype='float32')``, and save it for ``backward``, which does the same
    with the gradient kernel.
    """

    def __init__(self, alpha=0.2, beta=0.5):
        super().__init__()
        self.alpha, self.beta = alpha, beta

    def forward(self, x):
        # BEGIN SOLUTION 4.3: the forward kernel on x.asnumpy(), as a float32 NDArray; save it
        out = mx.nd.array(hard_sigmoid_forward(x.asnumpy(), self.alpha, self.beta), dtype="float32")
        self.save_for_backward(out)
        return out
        # END SOLUTION

    def backward(self, out_grad):
        # BEGIN SOLUTION 4.3: the gradient kernel on the saved output and out_grad, as NDArray
        out, = self.saved_tensors
        grad = hard_sigmoid_backward(out.asnumpy(), out_grad.asnumpy(), self.alpha)
        return mx.nd.array(grad, dtype="float32")
        # END SOLUTION
