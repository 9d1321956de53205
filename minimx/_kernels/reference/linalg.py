"""numpy kernels of the linalg family: every op is ``np.matmul`` on the right matrix views.

The views are the lesson: an N-d ``dot`` is a 2-d product once ``lhs`` is seen as
``(prod(lhs.shape[:-1]), lhs.shape[-1])`` and ``rhs`` as ``(rhs.shape[0], prod(rhs.shape[1:]))``;
a transpose is a ``.T`` view (BLAS reads it with its ``trans`` flag, nothing is copied), and
``outs[0]`` is written in place through a reshaped view.
"""
import numpy as np

__all__ = ["KERNELS", "dot_operands", "batch_operands", "gemm_operands", "fc_operands"]


def as_matrix(x, split):
    """``x`` viewed as a matrix: the axes before ``split`` become rows, the rest columns."""
    rows = 1
    for s in x.shape[:split]:
        rows *= s
    cols = 1
    for s in x.shape[split:]:
        cols *= s
    return x.reshape(rows, cols)


def dot_operands(ins, outs, attrs):
    """The 2-d views ``(a, b, out)`` with ``out = a @ b`` for MXNet's ``dot``."""
    lhs, rhs = ins
    a = as_matrix(lhs, 1).T if attrs["transpose_a"] else as_matrix(lhs, lhs.ndim - 1)
    b = as_matrix(rhs, rhs.ndim - 1).T if attrs["transpose_b"] else as_matrix(rhs, 1)
    return a, b, outs[0].reshape(a.shape[0], b.shape[1])


def batch_operands(ins, outs, attrs):
    """3-d views ``(a, b, out)`` (batch axes folded into one) with ``out = a @ b``."""
    lhs, rhs = ins
    batch = 1
    for s in outs[0].shape[:-2]:
        batch *= s
    # The batch size is explicit (not -1) so that empty operands reshape too.
    a = lhs.reshape((batch,) + lhs.shape[-2:])
    b = rhs.reshape((batch,) + rhs.shape[-2:])
    out = outs[0].reshape((batch,) + outs[0].shape[-2:])
    if attrs["transpose_a"]:
        a = a.swapaxes(1, 2)
    if attrs["transpose_b"]:
        b = b.swapaxes(1, 2)
    return a, b, out


def gemm_operands(ins, outs, attrs):
    """Views ``(a, b, out)`` with the matrix rows moved to axis -2, ready for ``np.matmul``."""
    a, b = ins[0], ins[1]
    axis = attrs["axis"] % a.ndim
    a = np.moveaxis(a, axis, -2)
    b = np.moveaxis(b, axis, -2)
    if attrs["transpose_a"]:
        a = a.swapaxes(-1, -2)
    if attrs["transpose_b"]:
        b = b.swapaxes(-1, -2)
    return a, b, np.moveaxis(outs[0], axis, -2)


def fc_operands(ins, outs, attrs):
    """2-d views ``(x, w.T, out)`` with ``out = x @ w.T`` for ``FullyConnected``."""
    data, weight = ins[0], ins[1]
    x = as_matrix(data, 1) if attrs["flatten"] else as_matrix(data, data.ndim - 1)
    out = outs[0].reshape(x.shape[0], weight.shape[0])
    return x, weight.T, out


def dot(ins, outs, attrs):
    a, b, out = dot_operands(ins, outs, attrs)
    np.matmul(a, b, out=out)


def batch_dot(ins, outs, attrs):
    a, b, out = batch_operands(ins, outs, attrs)
    np.matmul(a, b, out=out)


def linalg_gemm2(ins, outs, attrs):
    a, b, out = gemm_operands(ins, outs, attrs)
    np.matmul(a, b, out=out)
    if attrs["alpha"] != 1.0:
        out *= out.dtype.type(attrs["alpha"])


def linalg_gemm(ins, outs, attrs):
    linalg_gemm2(ins, outs, attrs)
    if attrs["beta"] != 0.0:
        out = outs[0]
        out += ins[2] * out.dtype.type(attrs["beta"])


def fully_connected(ins, outs, attrs):
    x, wt, out = fc_operands(ins, outs, attrs)
    np.matmul(x, wt, out=out)
    if not attrs["no_bias"]:
        out += ins[2].reshape(-1)


def linalg_potrf(ins, outs, attrs):
    # numpy raises LinAlgError for a matrix that is not positive definite (MXNet: "potrf failed").
    outs[0][...] = np.linalg.cholesky(ins[0])


def linalg_trsm(ins, outs, attrs):
    a, b = ins
    a = np.tril(a) if attrs["lower"] else np.triu(a)    # only the triangle is read
    if attrs["transpose"]:
        a = a.swapaxes(-1, -2)
    scaled = b * b.dtype.type(attrs["alpha"])
    if attrs["rightside"]:
        # X @ A = B  <=>  A.T @ X.T = B.T
        outs[0][...] = np.linalg.solve(a.swapaxes(-1, -2),
                                       scaled.swapaxes(-1, -2)).swapaxes(-1, -2)
    else:
        outs[0][...] = np.linalg.solve(a, scaled)


def linalg_syrk(ins, outs, attrs):
    a, out = ins[0], outs[0]
    at = a.swapaxes(-1, -2)
    if attrs["transpose"]:
        np.matmul(at, a, out=out)
    else:
        np.matmul(a, at, out=out)
    if attrs["alpha"] != 1.0:
        out *= out.dtype.type(attrs["alpha"])


def khatri_rao(ins, outs, attrs):
    result = ins[0]
    for m in ins[1:]:
        # Row (i, j) of the product is result[i] * m[j], column by column.
        result = (result[:, None, :] * m[None, :, :]).reshape(-1, m.shape[1])
    outs[0][...] = result


KERNELS = {
    "dot": dot,
    "batch_dot": batch_dot,
    "_linalg_gemm2": linalg_gemm2,
    "_linalg_gemm": linalg_gemm,
    "FullyConnected": fully_connected,
    "_linalg_potrf": linalg_potrf,
    "_linalg_trsm": linalg_trsm,
    "_linalg_syrk": linalg_syrk,
    "khatri_rao": khatri_rao,
}
