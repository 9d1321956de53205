"""Unit 1 - NDArray basics: three functions every deep-learning library needs.

Write each one with ``mx.nd`` operations only (no ``.asnumpy()``): broadcasting does the work
that a Python loop would do in plain code.

Exercises
---------
1.1 ``softmax(x, axis)``: exp(x) / sum(exp(x)) along ``axis``, safe for large inputs.
1.2 ``one_hot(labels, depth)``: class indices to rows of 0s with a single 1.
1.3 ``logsumexp(x, axis)``: log(sum(exp(x))) along ``axis``, without overflow.

Run this unit's tests with ``python -m minimx.exercises grade --unit 1``.
"""
import minimx as mx

__all__ = ["softmax", "one_hot", "logsumexp"]


def softmax(x, axis=-1):
    """The softmax of ``x`` along ``axis``.

    Parameters
    ----------
    x : NDArray
        Any shape, float32.
    axis : int, default -1
        The axis that sums to 1 in the result.

    Returns
    -------
    NDArray
        Same shape as ``x``; every slice along ``axis`` is positive and sums to 1.

    Notes
    -----
    exp(1000) overflows float32. Since softmax(x) == softmax(x - c) for any constant ``c``,
    subtract the maximum along ``axis`` first (``keepdims=True`` keeps the axis so that it
    broadcasts back against ``x``).
    """
    # BEGIN SOLUTION 1.1: shift by the max along axis (keepdims=True), exp, divide by the sum
    shifted = x - x.max(axis=axis, keepdims=True)
    e = mx.nd.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)
    # END SOLUTION


def one_hot(labels, depth):
    """Class indices to one-hot rows.

    Parameters
    ----------
    labels : NDArray
        Shape (n,), integer values in ``[0, depth)`` (stored as float32, as MXNet does).
    depth : int
        The number of classes.

    Returns
    -------
    NDArray
        Shape (n, depth), float32: ``out[i, labels[i]] == 1``, every other entry 0.

    Notes
    -----
    ``mx.nd.one_hot`` exists; write this one yourself by comparing a column of labels,
    shape (n, 1), with a row ``mx.nd.arange(depth)``, shape (1, depth): broadcasting gives (n, depth).
    """
    # BEGIN SOLUTION 1.2: compare labels as (n, 1) with mx.nd.arange(depth) as (1, depth)
    column = labels.reshape((-1, 1))
    row = mx.nd.arange(depth).reshape((1, -1))
    return mx.nd.broadcast_equal(column, row)
    # END SOLUTION


def logsumexp(x, axis=-1):
    """``log(sum(exp(x), axis))``, computed without overflow.

    Parameters
    ----------
    x : NDArray
        Any shape, float32.
    axis : int, default -1
        The axis that is reduced.

    Returns
    -------
    NDArray
        ``x``'s shape without ``axis``.

    Notes
    -----
    With ``m = max(x, axis)``: log(sum(exp(x))) == m + log(sum(exp(x - m))), and every
    exp(x - m) is at most 1.
    """
    # BEGIN SOLUTION 1.3: with m = max along axis, return m + log(sum(exp(x - m))) (mind keepdims)
    m = x.max(axis=axis, keepdims=True)
    s = mx.nd.exp(x - m).sum(axis=axis, keepdims=True)
    return (m + mx.nd.log(s)).squeeze(axis=axis)
    # END SOLUTION
