"""Unit 5 - convolution by im2col, and max pooling, as numpy kernels.

A convolution is a matrix product in disguise: copy every receptive field of the input into a
column ("im2col"), and the convolution becomes ``weight.reshape(F, -1) @ cols``. minimx's
Cython kernels (``minimx/_kernels/cpu/im2col.pyx``) do exactly that, with typed loops.

Layout is NCHW, as MXNet's: x (N, C, H, W), weight (F, C, KH, KW).

Exercises
---------
5.1 ``im2col(x, kernel, stride, pad)``: the receptive fields as columns.
5.2 ``max_pool2d(x, kernel, stride)``: max pooling without padding.

``conv2d`` (given) turns 5.1 into a convolution. Run this unit's tests with
``python -m minimx.exercises grade --unit 5``.
"""
import numpy as np

__all__ = ["im2col", "conv2d", "max_pool2d", "out_size"]


def out_size(size, k, stride, pad=0):
    """The output length of a sliding window: ``(size + 2 * pad - k) // stride + 1``."""
    return (size + 2 * pad - k) // stride + 1


def im2col(x, kernel, stride=(1, 1), pad=(0, 0)):
    """Every receptive field of ``x`` as a column.

    Parameters
    ----------
    x : numpy.ndarray
        (N, C, H, W).
    kernel, stride, pad : tuple of int
        (KH, KW), (SH, SW), (PH, PW); zero padding on both sides.

    Returns
    -------
    numpy.ndarray
        (N, C * KH * KW, OH * OW) with ``OH = out_size(H, KH, SH, PH)`` (and OW alike).
        Row ``(c * KH + i) * KW + j``, column ``oh * OW + ow`` holds
        ``xpad[n, c, oh * SH + i, ow * SW + j]``: the order of ``weight.reshape(F, -1)``.

    Notes
    -----
    The naive version is six nested loops. Loop over (i, j) only and copy a strided slice
    ``xpad[:, :, i : i + SH * OH : SH, j : j + SW * OW : SW]`` at a time: KH * KW numpy calls.
    """
    # BEGIN SOLUTION 5.1: np.pad, then per (i, j) copy one strided slice; rows in the documented order
    n, c, h, w = x.shape
    kh, kw = kernel
    sh, sw = stride
    ph, pw = pad
    oh, ow = out_size(h, kh, sh, ph), out_size(w, kw, sw, pw)
    xpad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xpad[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw]
    return cols.reshape(n, c * kh * kw, oh * ow)
    # END SOLUTION


def conv2d(x, weight, bias=None, stride=(1, 1), pad=(0, 0)):
    """Convolution as ``weight.reshape(F, -1) @ im2col(x)`` (given: it uses your ``im2col``).

    Returns (N, F, OH, OW), as ``mx.nd.Convolution``.
    """
    f, _, kh, kw = weight.shape
    cols = im2col(x, (kh, kw), stride, pad)
    out = np.matmul(weight.reshape(f, -1), cols)
    if bias is not None:
        out = out + bias.reshape(1, f, 1)
    oh = out_size(x.shape[2], kh, stride[0], pad[0])
    ow = out_size(x.shape[3], kw, stride[1], pad[1])
    return out.reshape(x.shape[0], f, oh, ow)


def max_pool2d(x, kernel, stride):
    """Max pooling, no padding (MXNet's ``pooling_convention='valid'``).

    Parameters
    ----------
    x : numpy.ndarray
        (N, C, H, W).
    kernel, stride : tuple of int

    Returns
    -------
    numpy.ndarray
        (N, C, OH, OW): ``out[n, c, oh, ow] = max over the window at (oh * SH, ow * SW)``.
    """
    # BEGIN SOLUTION 5.2: start from -inf; per (i, j) take np.maximum with one strided slice
    kh, kw = kernel
    sh, sw = stride
    oh, ow = out_size(x.shape[2], kh, sh), out_size(x.shape[3], kw, sw)
    out = np.full(x.shape[:2] + (oh, ow), -np.inf, dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            np.maximum(out, x[:, :, i:i + sh * oh:sh, j:j + sw * ow:sw], out=out)
    return out
    # END SOLUTION
