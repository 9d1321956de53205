"""Dense linear algebra beyond products: ``linalg_inverse``, ``det``, ``slogdet``, ``trmm``,
``potri``, ``gelqf``, ``syevd`` and the diagonal/triangle index ops.

Every op works on the matrices in the last two axes; leading axes are batch axes (MXNet's "batch
mode"). A result that is one number per matrix has the batch shape, or ``(1,)`` for a single
matrix (legacy MXNet has no 0-d arrays). The numpy kernels live in
``_kernels/reference/linalg_la.py``.

MXNet's conventions kept here:

- ``trmm``, ``potri`` and ``syevd`` read only one triangle of ``A`` (``syevd`` the lower one).
- ``gelqf`` returns ``(Q, L)`` with ``A = L @ Q`` (LAPACK's signs, as numpy's ``qr`` of ``A.T``).
- ``syevd`` returns ``(U, L)`` with the eigenvectors in the *rows* of ``U``, eigenvalues
  ascending, each row's largest-magnitude entry made positive.
- ``extracttrian``/``maketrian`` store a triangle row by row; ``lower`` matters only for
  ``offset=0`` (a positive offset means the upper triangle, a negative one the lower).
"""
import numpy as np

from .gradutil_linalg import as_shape, swap_last, triangle_mask
from .opdef import Domain, OpDef, Param, fail
from .params import Bool, Float, Int

__all__ = ["la_float_dtype", "tri_size"]


def la_float_dtype(attrs, *dtypes):
    """Dtype rule of the LAPACK ops: float32 or float64, the same for every input."""
    first = dtypes[0]
    for d in dtypes[1:]:
        if d != first:
            fail(f"inputs must have the same dtype, got {', '.join(str(d) for d in dtypes)}",
                 "convert one input with .astype(...) first")
    if first.name not in ("float32", "float64"):
        fail(f"this operator supports float32 and float64 inputs only, got {first}",
             "cast the input with .astype('float32')")
    return first


def _two_dtypes(attrs, a):
    d = la_float_dtype(attrs, a)
    return [d, d]


def _square(name, shape):
    if len(shape) < 2 or shape[-1] != shape[-2]:
        fail(f"{name} needs square matrices in the last two axes, got {tuple(shape)}",
             "pass an array of shape (..., n, n)")


def _per_matrix(shape):
    """Shape of one number per matrix: the batch shape, or (1,) for a single matrix."""
    return tuple(shape[:-2]) or (1,)


def _eye(F, like):
    n = like.shape[-1]
    return F.array(np.eye(n), ctx=like.context, dtype=like.dtype)


def _domain(make_inputs, attrs=None, **kwargs):
    return Domain(dtypes=("float32", "float64"), attrs=attrs, make_inputs=make_inputs,
                  rtol=1e-3, atol=1e-4, **kwargs)


def _batch(rng):
    """A random batch prefix: () (a single matrix) or (b,)."""
    return () if rng.integers(0, 2) else (int(rng.integers(1, 3)),)


def _general_inputs(rng, dtype, attrs):
    n = int(rng.integers(1, 4))
    m = rng.uniform(-0.5, 0.5, _batch(rng) + (n, n)) + 2.0 * np.eye(n)   # well conditioned
    return [m.astype(dtype)]


# -- inverse, det, slogdet ------------------------------------------------------------------------
def _square_shape(name):
    def rule(attrs, a):
        _square(name, a)
        return tuple(a)
    return rule


def _inverse_grad(F, attrs, inputs, outputs, out_grads):
    """``out = A^-1``: ``dA = -out^T G out^T``."""
    g, inv = out_grads[0], outputs[0]
    if g is None:
        return [None]
    return [F.linalg_gemm2(F.linalg_gemm2(inv, g, transpose_a=True), inv, transpose_b=True,
                           alpha=-1.0)]


_linalg_inverse = OpDef(
    "_linalg_inverse", inputs=("A",), aliases=("linalg_inverse",),
    shape=_square_shape("linalg_inverse"), dtype=la_float_dtype, grad=_inverse_grad,
    domain=_domain(_general_inputs),
    formula="out = A^-1",
    doc="Inverse of each square matrix (LU factorization).", family="linalg_la")


def _det_shape(attrs, a):
    _square("linalg_det", a)
    return _per_matrix(a)


def _scaled_inverse_t(F, a, scale):
    """``A^-T`` times one number per matrix (``scale`` has the per-matrix shape)."""
    s = as_shape(F, scale, tuple(a.shape[:-2]) + (1, 1))
    return F.broadcast_mul(swap_last(F, F.linalg_inverse(a)), s)


def _det_grad(F, attrs, inputs, outputs, out_grads):
    """``d det(A) / dA = det(A) A^-T``."""
    g = out_grads[0]
    if g is None:
        return [None]
    return [_scaled_inverse_t(F, inputs[0], g * outputs[0])]


_linalg_det = OpDef(
    "_linalg_det", inputs=("A",), aliases=("linalg_det",), shape=_det_shape,
    dtype=la_float_dtype, grad=_det_grad, domain=_domain(_general_inputs),
    formula="out = det(A)",
    doc="Determinant of each square matrix; a single matrix gives shape (1,).",
    family="linalg_la")


def _slogdet_shape(attrs, a):
    _square("linalg_slogdet", a)
    return [_per_matrix(a), _per_matrix(a)]


def _slogdet_grad(F, attrs, inputs, outputs, out_grads):
    """The sign is piecewise constant (no gradient); ``d log|det A| / dA = A^-T``."""
    g = out_grads[1]
    if g is None:
        return [None]
    return [_scaled_inverse_t(F, inputs[0], g)]


_linalg_slogdet = OpDef(
    "_linalg_slogdet", inputs=("A",), aliases=("linalg_slogdet",), shape=_slogdet_shape,
    dtype=_two_dtypes, grad=_slogdet_grad, domain=_domain(_general_inputs),
    formula="sign, logabsdet = sign(det(A)), log(|det(A)|)",
    doc="Sign and natural log of the absolute value of each matrix's determinant.",
    family="linalg_la")


# -- trmm -----------------------------------------------------------------------------------------
def _trmm_shape(attrs, a, b):
    _square("linalg_trmm", a)
    if len(b) != len(a) or a[:-2] != b[:-2]:
        fail(f"A {tuple(a)} and B {tuple(b)} must have the same batch axes",
             "give both inputs the same leading axes")
    k = b[-1] if attrs["rightside"] else b[-2]
    if k != a[-1]:
        side = "columns" if attrs["rightside"] else "rows"
        fail(f"incompatible matrix dimensions: B {tuple(b)} has {k} {side} but A is "
             f"{a[-1]} x {a[-1]}", "rightside=True computes alpha * B @ op(A)")
    return tuple(b)


def _tri_inputs(rng, dtype, attrs, second=True):
    n, m = (int(v) for v in rng.integers(1, 4, size=2))
    batch = _batch(rng)
    a = np.tril(rng.uniform(-1, 1, batch + (n, n))) + 2 * np.eye(n)
    if not attrs.get("lower", True):
        a = np.ascontiguousarray(np.swapaxes(a, -1, -2))
    if not second:
        return [a.astype(dtype)]
    b = rng.uniform(-1, 1, batch + ((m, n) if attrs.get("rightside") else (n, m)))
    return [a.astype(dtype), b.astype(dtype)]


def _trmm_grad(F, attrs, inputs, outputs, out_grads):
    """Left: ``out = alpha op(T) B`` gives ``dB = alpha op(T)^T G`` and ``d op(T) = alpha G B^T``;
    right: ``out = alpha B op(T)`` gives ``dB = alpha G op(T)^T``, ``d op(T) = alpha B^T G``.
    A's gradient keeps only the triangle the forward reads."""
    g = out_grads[0]
    if g is None:
        return [None, None]
    a, b = inputs
    t, right, lower, alpha = attrs["transpose"], attrs["rightside"], attrs["lower"], attrs["alpha"]
    gb = F.linalg_trmm(a, g, transpose=not t, rightside=right, lower=lower, alpha=alpha)
    if right:
        ga = F.linalg_gemm2(g, b, transpose_a=True, alpha=alpha) if t else \
            F.linalg_gemm2(b, g, transpose_a=True, alpha=alpha)
    else:
        ga = F.linalg_gemm2(b, g, transpose_b=True, alpha=alpha) if t else \
            F.linalg_gemm2(g, b, transpose_b=True, alpha=alpha)
    return [F.broadcast_mul(ga, triangle_mask(F, ga, lower=lower)), gb]


_linalg_trmm = OpDef(
    "_linalg_trmm", inputs=("A", "B"), aliases=("linalg_trmm",),
    params=(Param("transpose", Bool, False, "use the transpose of the triangular matrix"),
            Param("rightside", Bool, False, "multiply the triangular matrix from the right"),
            Param("lower", Bool, True, "A is lower (else upper) triangular"),
            Param("alpha", Float, 1.0, "scalar factor of the result")),
    shape=_trmm_shape, dtype=la_float_dtype, grad=_trmm_grad,
    domain=_domain(_tri_inputs, attrs=[{}, {"transpose": True, "alpha": 2.0},
                                       {"rightside": True}, {"lower": False, "rightside": True,
                                                             "transpose": True}]),
    formula="out = alpha * op(tri(A)) @ B (or alpha * B @ op(tri(A)) with rightside)",
    doc="Multiplies by a triangular matrix (BLAS trmm); only A's triangle is read.",
    family="linalg_la")


# -- potri ----------------------------------------------------------------------------------------
def _potri_grad(F, attrs, inputs, outputs, out_grads):
    """``out = B^-1`` with ``B = L L^T`` (lower) or ``U^T U`` (upper): ``dB = -out G out``,
    then ``dL = (dB + dB^T) L`` or ``dU = U (dB + dB^T)``, masked to the triangle read."""
    g = out_grads[0]
    if g is None:
        return [None]
    lower = attrs["lower"]
    mask = triangle_mask(F, inputs[0], lower=lower)
    tri, inv = F.broadcast_mul(inputs[0], mask), outputs[0]
    db = F.linalg_gemm2(F.linalg_gemm2(inv, g), inv, alpha=-1.0)
    db = db + swap_last(F, db)
    ga = F.linalg_gemm2(db, tri) if lower else F.linalg_gemm2(tri, db)
    return [F.broadcast_mul(ga, mask)]


_linalg_potri = OpDef(
    "_linalg_potri", inputs=("A",), aliases=("linalg_potri",),
    params=(Param("lower", Bool, True, "A is lower (else upper) triangular"),),
    shape=_square_shape("linalg_potri"), dtype=la_float_dtype, grad=_potri_grad,
    domain=_domain(lambda rng, dtype, attrs: _tri_inputs(rng, dtype, attrs, second=False),
                   attrs=[{}, {"lower": False}]),
    formula="out = A^-T @ A^-1 (lower) or A^-1 @ A^-T (upper)",
    doc="Inverse of B from its Cholesky factor A (B = A @ A.T); only A's triangle is read.",
    family="linalg_la")


# -- gelqf ----------------------------------------------------------------------------------------
def _gelqf_shape(attrs, a):
    if len(a) < 2 or a[-2] > a[-1]:
        fail(f"linalg_gelqf needs matrices (..., x, y) with x <= y, got {tuple(a)}",
             "pass the transpose: the LQ factorization needs at least as many columns as rows")
    return [tuple(a), tuple(a[:-1]) + (a[-2],)]


def _gelqf_inputs(rng, dtype, attrs):
    x = int(rng.integers(1, 4))
    y = x + int(rng.integers(0, 2))
    a = rng.uniform(-0.5, 0.5, _batch(rng) + (x, y))
    a[..., :x] += 2.0 * np.eye(x)                    # full rank, well away from rank loss
    return [a.astype(dtype)]


def _gelqf_grad(F, attrs, inputs, outputs, out_grads):
    """MXNet's rule: with ``M = L^T dL - dQ Q^T``, ``dA = L^-T (dQ + copyltu(M) Q)``, where
    ``copyltu(M)`` is the symmetric matrix with M's lower triangle."""
    gq, gl = out_grads
    if gq is None and gl is None:
        return [None]
    q, low = outputs
    gq = F.zeros_like(q) if gq is None else gq
    gl = F.zeros_like(low) if gl is None else gl
    m = F.linalg_gemm2(low, gl, transpose_a=True) - F.linalg_gemm2(gq, q, transpose_b=True)
    strict = F.broadcast_mul(m, triangle_mask(F, m, diagonal=0.0))
    sym = F.broadcast_mul(m, triangle_mask(F, m)) + swap_last(F, strict)
    rhs = gq + F.linalg_gemm2(sym, q)
    return [F.linalg_trsm(low, rhs, transpose=True)]


_linalg_gelqf = OpDef(
    "_linalg_gelqf", inputs=("A",), aliases=("linalg_gelqf",), shape=_gelqf_shape,
    dtype=_two_dtypes, grad=_gelqf_grad, domain=_domain(_gelqf_inputs),
    formula="A = L @ Q, L lower triangular, Q @ Q.T = I; returns (Q, L)",
    doc="LQ factorization of full-rank matrices with at least as many columns as rows.",
    family="linalg_la")


# -- syevd ----------------------------------------------------------------------------------------
def _syevd_shape(attrs, a):
    _square("linalg_syevd", a)
    return [tuple(a), tuple(a[:-1])]


def _syevd_inputs(rng, dtype, attrs):
    n = int(rng.integers(1, 4))
    m = rng.uniform(-0.3, 0.3, _batch(rng) + (n, n))
    m = m + np.swapaxes(m, -1, -2) + np.diag(2.0 * np.arange(n))   # distinct eigenvalues
    return [m.astype(dtype)]


def _syevd_grad(F, attrs, inputs, outputs, out_grads):
    """With eigenvectors in U's rows: ``dA = U^T (diag(dL) + E o (U dU^T)) U``,
    ``E[i, j] = 1 / (L[j] - L[i])`` off the diagonal, then symmetrized as MXNet does (A is
    symmetric). NB: the forward reads only A's lower triangle, so this is the gradient for
    symmetric perturbations, not an element-wise finite difference (see the tests)."""
    gu, gl = out_grads
    if gu is None and gl is None:
        return [None]
    u, lam = outputs
    eye = _eye(F, u)
    inner = F.zeros_like(u)
    if gl is not None:
        inner = inner + F.broadcast_mul(F.expand_dims(gl, axis=-1), eye)
    if gu is not None:
        gap = F.broadcast_sub(F.expand_dims(lam, axis=-2), F.expand_dims(lam, axis=-1))
        e = F.broadcast_mul(1.0 / F.broadcast_add(gap, eye), 1.0 - eye)
        inner = inner + e * F.linalg_gemm2(u, gu, transpose_b=True)
    da = F.linalg_gemm2(F.linalg_gemm2(u, inner, transpose_a=True), u)
    return [(da + swap_last(F, da)) * 0.5]


_linalg_syevd = OpDef(
    "_linalg_syevd", inputs=("A",), aliases=("linalg_syevd",), shape=_syevd_shape,
    dtype=_two_dtypes, grad=_syevd_grad,
    domain=_domain(_syevd_inputs, grad=False),        # see _syevd_grad
    formula="U @ A = diag(L) @ U, U @ U.T = I, L ascending; returns (U, L)",
    doc="Eigendecomposition of symmetric matrices (the lower triangle is read).",
    family="linalg_la")


# -- sumlogdiag, extractdiag, makediag ------------------------------------------------------------
def _sumlogdiag_shape(attrs, a):
    _square("linalg_sumlogdiag", a)
    return _per_matrix(a)


def _positive_diag_inputs(rng, dtype, attrs):
    n = int(rng.integers(1, 4))
    m = rng.uniform(-1, 1, _batch(rng) + (n, n)) + 2.0 * np.eye(n)   # diagonal in [1, 3]
    return [m.astype(dtype)]


def _sumlogdiag_grad(F, attrs, inputs, outputs, out_grads):
    """``dA = diag(G / diag(A))``."""
    g = out_grads[0]
    if g is None:
        return [None]
    a = inputs[0]
    g = g if len(a.shape) == 2 else F.expand_dims(g, axis=-1)
    return [F.linalg_makediag(F.broadcast_div(g, F.linalg_extractdiag(a)))]


_linalg_sumlogdiag = OpDef(
    "_linalg_sumlogdiag", inputs=("A",), aliases=("linalg_sumlogdiag",),
    shape=_sumlogdiag_shape, dtype=la_float_dtype, grad=_sumlogdiag_grad,
    domain=_domain(_positive_diag_inputs),
    formula="out = sum_i log(A[..., i, i])",
    doc="Sum of the logarithms of each matrix's diagonal (log det of a Cholesky factor).",
    family="linalg_la")


def _check_offset(name, n, offset):
    if abs(offset) >= max(n, 1):
        fail(f"{name}: offset {offset} is out of range for {n} x {n} matrices",
             f"use an offset in {-(n - 1)}..{n - 1}")


def _extractdiag_shape(attrs, a):
    _square("linalg_extractdiag", a)
    _check_offset("linalg_extractdiag", a[-1], attrs["offset"])
    return tuple(a[:-2]) + (a[-1] - abs(attrs["offset"]),)


def _extractdiag_grad(F, attrs, inputs, outputs, out_grads):
    g = out_grads[0]
    return [None if g is None else F.linalg_makediag(g, offset=attrs["offset"])]


_OFFSET = Param("offset", Int, 0, "diagonal offset: 0 the main diagonal, > 0 above, < 0 below")
_LOWER = Param("lower", Bool, True, "the lower (else upper) triangle; only used with offset=0")

_linalg_extractdiag = OpDef(
    "_linalg_extractdiag", inputs=("A",), aliases=("linalg_extractdiag",), params=(_OFFSET,),
    shape=_extractdiag_shape, dtype=la_float_dtype, grad=_extractdiag_grad,
    domain=Domain(dtypes=("float32", "float64"), ndim=(2, 4), attrs=[{}],
                  make_inputs=lambda rng, dtype, attrs: [
                      rng.uniform(-2, 2, _batch(rng) + (3, 3)).astype(dtype)]),
    formula="out[..., i] = A[..., i, i + offset]",
    doc="Extracts one diagonal of each square matrix.", family="linalg_la")


def _makediag_shape(attrs, a):
    if len(a) < 1:
        fail("linalg_makediag needs at least a 1-d input")
    n = a[-1] + abs(attrs["offset"])
    return tuple(a[:-1]) + (n, n)


def _makediag_grad(F, attrs, inputs, outputs, out_grads):
    g = out_grads[0]
    return [None if g is None else F.linalg_extractdiag(g, offset=attrs["offset"])]


_linalg_makediag = OpDef(
    "_linalg_makediag", inputs=("A",), aliases=("linalg_makediag",), params=(_OFFSET,),
    shape=_makediag_shape, dtype=la_float_dtype, grad=_makediag_grad,
    domain=Domain(dtypes=("float32", "float64"), ndim=(1, 3),
                  attrs=[{}, {"offset": 1}, {"offset": -2}]),
    formula="out[..., i, i + offset] = A[..., i], zeros elsewhere",
    doc="Square matrices with the input on one diagonal.", family="linalg_la")


# -- extracttrian, maketrian ----------------------------------------------------------------------
def tri_size(n, offset):
    """Number of entries of the triangle that ``extracttrian`` takes from an n x n matrix."""
    k = n - abs(offset)
    return k * (k + 1) // 2


def _extracttrian_shape(attrs, a):
    _square("linalg_extracttrian", a)
    _check_offset("linalg_extracttrian", a[-1], attrs["offset"])
    return tuple(a[:-2]) + (tri_size(a[-1], attrs["offset"]),)


def _extracttrian_grad(F, attrs, inputs, outputs, out_grads):
    g = out_grads[0]
    return [None if g is None else F.linalg_maketrian(g, offset=attrs["offset"],
                                                       lower=attrs["lower"])]


_TRIAN_ATTRS = [{}, {"lower": False}, {"offset": 1}, {"offset": -1}]

_linalg_extracttrian = OpDef(
    "_linalg_extracttrian", inputs=("A",), aliases=("linalg_extracttrian",),
    params=(_OFFSET, _LOWER), shape=_extracttrian_shape, dtype=la_float_dtype,
    grad=_extracttrian_grad,
    domain=Domain(dtypes=("float32", "float64"), attrs=_TRIAN_ATTRS,
                  make_inputs=lambda rng, dtype, attrs: [
                      rng.uniform(-2, 2, _batch(rng) + (3, 3)).astype(dtype)]),
    formula="out[..., :] = A's triangle, row by row",
    doc="Extracts a triangle of each square matrix as a vector, row by row.",
    family="linalg_la")


def _maketrian_shape(attrs, a):
    if len(a) < 1:
        fail("linalg_maketrian needs at least a 1-d input")
    m = a[-1]
    k = int(round((np.sqrt(8 * m + 1) - 1) / 2))
    if k * (k + 1) // 2 != m:
        fail(f"linalg_maketrian: the last axis has {m} entries, which is not a triangular "
             f"number k * (k + 1) / 2", "pass 1, 3, 6, 10, ... entries per matrix")
    n = k + abs(attrs["offset"])
    return tuple(a[:-1]) + (n, n)


def _maketrian_grad(F, attrs, inputs, outputs, out_grads):
    g = out_grads[0]
    return [None if g is None else F.linalg_extracttrian(g, offset=attrs["offset"],
                                                         lower=attrs["lower"])]


_linalg_maketrian = OpDef(
    "_linalg_maketrian", inputs=("A",), aliases=("linalg_maketrian",),
    params=(_OFFSET, _LOWER), shape=_maketrian_shape, dtype=la_float_dtype,
    grad=_maketrian_grad,
    domain=Domain(dtypes=("float32", "float64"), attrs=_TRIAN_ATTRS,
                  make_inputs=lambda rng, dtype, attrs: [
                      rng.uniform(-2, 2, _batch(rng) + (6,)).astype(dtype)]),
    formula="out = the square matrix whose triangle is A (row by row), zeros elsewhere",
    doc="Builds square matrices from triangles stored as vectors (inverse of extracttrian).",
    family="linalg_la")
