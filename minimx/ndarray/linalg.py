"""``mx.nd.linalg``: MXNet's linear-algebra namespace.

``mx.nd.linalg.gemm2(A, B)`` is ``mx.nd.linalg_gemm2(A, B)``: each function here is a thin,
explicit wrapper over the ``_linalg_*`` op of the same name (declared in ``minimx/ops/linalg.py``;
its full docstring is on the ``mx.nd.linalg_*`` wrapper). The products and ``potrf``/``trsm``/
``syrk`` are declared in ``minimx/ops/linalg.py``, the others in ``minimx/ops/linalg_la.py``.
"""
from . import gen_linalg, gen_linalg_la

__all__ = ["gemm", "gemm2", "potrf", "trsm", "syrk", "trmm", "potri", "inverse", "det", "slogdet",
           "gelqf", "syevd", "sumlogdiag", "extractdiag", "makediag", "extracttrian",
           "maketrian"]


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


def trmm(A=None, B=None, transpose=False, rightside=False, lower=True, alpha=1.0, out=None,
         name=None, **kwargs):
    """``out = alpha * op(A) @ B`` for triangular ``A`` (see ``mx.nd.linalg_trmm``)."""
    return gen_linalg_la._linalg_trmm(A, B, transpose=transpose, rightside=rightside,
                                      lower=lower, alpha=alpha, out=out, name=name, **kwargs)


def potri(A=None, lower=True, out=None, name=None, **kwargs):
    """``(A @ A.T)^-1`` from a Cholesky factor ``A`` (see ``mx.nd.linalg_potri``)."""
    return gen_linalg_la._linalg_potri(A, lower=lower, out=out, name=name, **kwargs)


def inverse(A=None, out=None, name=None, **kwargs):
    """``A^-1`` (see ``mx.nd.linalg_inverse``)."""
    return gen_linalg_la._linalg_inverse(A, out=out, name=name, **kwargs)


def det(A=None, out=None, name=None, **kwargs):
    """``det(A)`` (see ``mx.nd.linalg_det``)."""
    return gen_linalg_la._linalg_det(A, out=out, name=name, **kwargs)


def slogdet(A=None, out=None, name=None, **kwargs):
    """``(sign, log|det A|)`` (see ``mx.nd.linalg_slogdet``)."""
    return gen_linalg_la._linalg_slogdet(A, out=out, name=name, **kwargs)


def gelqf(A=None, out=None, name=None, **kwargs):
    """``(Q, L)`` with ``A = L @ Q`` (see ``mx.nd.linalg_gelqf``)."""
    return gen_linalg_la._linalg_gelqf(A, out=out, name=name, **kwargs)


def syevd(A=None, out=None, name=None, **kwargs):
    """``(U, L)`` with ``U @ A = diag(L) @ U`` (see ``mx.nd.linalg_syevd``)."""
    return gen_linalg_la._linalg_syevd(A, out=out, name=name, **kwargs)


def sumlogdiag(A=None, out=None, name=None, **kwargs):
    """``sum(log(diag(A)))`` (see ``mx.nd.linalg_sumlogdiag``)."""
    return gen_linalg_la._linalg_sumlogdiag(A, out=out, name=name, **kwargs)


def extractdiag(A=None, offset=0, out=None, name=None, **kwargs):
    """One diagonal of ``A`` (see ``mx.nd.linalg_extractdiag``)."""
    return gen_linalg_la._linalg_extractdiag(A, offset=offset, out=out, name=name, **kwargs)


def makediag(A=None, offset=0, out=None, name=None, **kwargs):
    """A square matrix with ``A`` on one diagonal (see ``mx.nd.linalg_makediag``)."""
    return gen_linalg_la._linalg_makediag(A, offset=offset, out=out, name=name, **kwargs)


def extracttrian(A=None, offset=0, lower=True, out=None, name=None, **kwargs):
    """A triangle of ``A`` as a vector (see ``mx.nd.linalg_extracttrian``)."""
    return gen_linalg_la._linalg_extracttrian(A, offset=offset, lower=lower, out=out,
                                              name=name, **kwargs)


def maketrian(A=None, offset=0, lower=True, out=None, name=None, **kwargs):
    """A square matrix from a stored triangle (see ``mx.nd.linalg_maketrian``)."""
    return gen_linalg_la._linalg_maketrian(A, offset=offset, lower=lower, out=out, name=name,
                                           **kwargs)
