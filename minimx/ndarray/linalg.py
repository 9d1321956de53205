"""``mx.nd.linalg``: MXNet's linear-algebra namespace.

``mx.nd.linalg.gemm2(A, B)`` is ``mx.nd.linalg_gemm2(A, B)``: each function here is a thin,
explicit wrapper over the ``_linalg_*`` op of the same name (declared in ``minimx/ops/linalg.py``;
its full docstring is on the ``mx.nd.linalg_*`` wrapper). NB: MXNet's namespace has more
functions (det, inverse, gelqf, syevd, ...); minimx has these five.
"""
from . import gen_linalg

__all__ = ["gemm", "gemm2", "potrf", "trsm", "syrk"]


def gemm(A=None, B=None, C=None, transpose_a=False, transpose_b=False, alpha=1.0, beta=1.0,
         axis=-2, out=None, name=None, **kwargs):
    """``out = alpha * op(A) @ op(B) + beta * C`` (see ``mx.nd.linalg_gemm``)."""
    return gen_linalg._linalg_gemm(A, B, C, transpose_a=transpose_a, transpose_b=transpose_b,
                                   alpha=alpha, beta=beta, axis=axis, out=out, name=name,
                                   **kwargs)


def gemm2(A=None, B=None, transpose_a=False, transpose_b=False, alpha=1.0, axis=-2, out=None,
          name=None, **kwargs):
    """``out = alpha * op(A) @ op(B)`` (see ``mx.nd.linalg_gemm2``)."""
    return gen_linalg._linalg_gemm2(A, B, transpose_a=transpose_a, transpose_b=transpose_b,
                                    alpha=alpha, axis=axis, out=out, name=name, **kwargs)


def potrf(A=None, out=None, name=None, **kwargs):
    """The Cholesky factor ``L`` of ``A = L @ L.T`` (see ``mx.nd.linalg_potrf``)."""
    return gen_linalg._linalg_potrf(A, out=out, name=name, **kwargs)


def trsm(A=None, B=None, transpose=False, rightside=False, lower=True, alpha=1.0, out=None,
         name=None, **kwargs):
    """Solve ``op(A) @ X = alpha * B`` for triangular ``A`` (see ``mx.nd.linalg_trsm``)."""
    return gen_linalg._linalg_trsm(A, B, transpose=transpose, rightside=rightside, lower=lower,
                                   alpha=alpha, out=out, name=name, **kwargs)


def syrk(A=None, transpose=False, alpha=1.0, out=None, name=None, **kwargs):
    """``out = alpha * A @ A.T`` (or ``A.T @ A``) (see ``mx.nd.linalg_syrk``)."""
    return gen_linalg._linalg_syrk(A, transpose=transpose, alpha=alpha, out=out, name=name,
                                   **kwargs)
