"""Linear-algebra ops: ``dot``, ``batch_dot``, the ``linalg_*`` family and ``FullyConnected``.

Every op here is a matrix product at heart. Each is one ``OpDef``; the numpy kernels in
``_kernels/reference/linalg.py`` are the spec, and the CPU backend runs them through
``_kernels/cpu/gemm.py`` (numpy's BLAS, split over minimx's thread budget).

MXNet's conventions kept here:

- ``dot`` on N-d arrays views ``lhs`` as a matrix whose columns are its *last* axis and ``rhs`` as
  one whose rows are its *first* axis: ``out[i..., j...] = sum_k lhs[i..., k] * rhs[k, j...]``.
  ``transpose_a`` instead contracts lhs's *first* axis (the output keeps ``lhs.shape[1:]`` in
  order), ``transpose_b`` rhs's *last* axis.
- ``linalg_gemm2`` / ``linalg_gemm`` take the matrix rows from ``axis`` (default -2) and the
  columns from the last axis; every other axis is a batch axis that must match.
- ``FullyConnected``'s weight is ``(num_hidden, in_units)``; with ``flatten=True`` the data is
  viewed as ``(batch, prod(rest))``, else its last axis is the input units.
"""
import numpy as np

from ..base import prod
from .gradutil import input_wanted
from .gradutil_linalg import as_shape, matmul_grads, swap_last, triangle_mask
from .opdef import Domain, OpDef, Param, fail
from .params import Bool, Enum, Float, Int

__all__ = ["float_dtype", "gemm_geometry"]

_FLOATS = ("float16", "float32", "float64")


def float_dtype(attrs, *dtypes):
    """Dtype rule of the matrix ops: one floating-point dtype for every input."""
    first = dtypes[0]
    for d in dtypes[1:]:
        if d != first:
            fail(f"inputs must have the same dtype, got {', '.join(str(d) for d in dtypes)}",
                 "convert one input with .astype(...) first")
    if first.name not in _FLOATS:
        # NB: MXNet accepts the call and fails later, inside the engine, with "dot only supports
        # float32/float64"; minimx rejects it at the call.
        fail(f"this op supports float16, float32 and float64 inputs, got {first}",
             "cast the inputs with .astype('float32')")
    return first


def _floats_domain(**kwargs):
    return Domain(low=-2.0, high=2.0, dtypes=("float32", "float64"), rtol=1e-4, atol=1e-4,
                  **kwargs)


# -- dot -----------------------------------------------------------------------------------------
def _dot_shape(attrs, lhs, rhs):
    ta, tb = attrs["transpose_a"], attrs["transpose_b"]
    if len(lhs) == 1 and len(rhs) == 1 and (ta or tb):
        fail("cannot transpose vectors: both inputs are 1-d",
             "drop transpose_a/transpose_b; a 1-d dot is the inner product")
    k_lhs, front = (lhs[0], lhs[1:]) if ta else (lhs[-1], lhs[:-1])
    k_rhs, back = (rhs[-1], rhs[:-1]) if tb else (rhs[0], rhs[1:])
    if k_lhs != k_rhs:
        fail(f"dot shape error: {tuple(lhs)} x {tuple(rhs)} contracts lhs's "
             f"{'first' if ta else 'last'} axis (size {k_lhs}) with rhs's "
             f"{'last' if tb else 'first'} axis (size {k_rhs})",
             "the contracted axes must have the same size; check transpose_a/transpose_b")
    return tuple(front) + tuple(back) or (1,)


def _dot_work(attrs, in_shapes, out_shapes):
    lhs = in_shapes[0]
    k = lhs[0] if attrs["transpose_a"] else lhs[-1]
    return prod(out_shapes[0]) * k


def _dot_inputs(rng, dtype, attrs):
    m, k, n = (int(v) for v in rng.integers(1, 6, size=3))
    lhs = (k, m) if attrs.get("transpose_a") else (m, k)
    rhs = (n, k) if attrs.get("transpose_b") else (k, n)
    return [rng.uniform(-2, 2, lhs).astype(dtype), rng.uniform(-2, 2, rhs).astype(dtype)]


def _dot_grad(F, attrs, inputs, outputs, out_grads):
    """Each input's gradient is a dot of the head gradient with the other input, all viewed as
    the matrices the forward multiplied (lhs ``(M, K)`` or ``(K, M)``, rhs ``(K, N)`` or
    ``(N, K)``, out ``(M, N)``)."""
    g = out_grads[0]
    if g is None:
        return [None, None]
    a, b = inputs
    ta, tb = attrs["transpose_a"], attrs["transpose_b"]
    am = (a.shape[0], prod(a.shape[1:])) if ta else (prod(a.shape[:-1]), a.shape[-1])
    bm = (prod(b.shape[:-1]), b.shape[-1]) if tb else (b.shape[0], prod(b.shape[1:]))
    gm = (am[1] if ta else am[0], bm[0] if tb else bm[1])

    def mm(x, y, tx, ty):
        return F.dot(x, y, transpose_a=tx, transpose_b=ty)
    ga, gb = matmul_grads(mm, as_shape(F, g, gm), as_shape(F, a, am), as_shape(F, b, bm), ta, tb)
    return [as_shape(F, ga, a.shape), as_shape(F, gb, b.shape)]


_TRANSPOSES = [{}, {"transpose_a": True}, {"transpose_b": True},
               {"transpose_a": True, "transpose_b": True}]
_STYPE = Enum(None, "csr", "default", "row_sparse")

dot = OpDef(
    "dot", inputs=("lhs", "rhs"),
    params=(Param("transpose_a", Bool, False, "contract lhs's first axis instead of its last"),
            Param("transpose_b", Bool, False, "contract rhs's last axis instead of its first"),
            Param("forward_stype", _STYPE, None, "output storage type (ignored: dense only)")),
    shape=_dot_shape, dtype=float_dtype, work=_dot_work, grad=_dot_grad,
    domain=_floats_domain(attrs=_TRANSPOSES, make_inputs=_dot_inputs),
    formula="out[i..., j...] = sum_k lhs[i..., k] * rhs[k, j...]",
    doc="Dot product of two arrays: the matrix product for 2-d inputs, the inner product for 1-d "
        "ones; N-d inputs contract lhs's last axis with rhs's first.",
    family="linalg")


# -- batch_dot -----------------------------------------------------------------------------------
def _batch_dot_shape(attrs, lhs, rhs):
    if len(lhs) < 3 or len(rhs) < 3 or len(lhs) != len(rhs):
        fail(f"batch_dot needs two N-d inputs with the same N >= 3, got {tuple(lhs)} and "
             f"{tuple(rhs)}", "use dot for 2-d inputs; add a batch axis with expand_dims")
    if lhs[:-2] != rhs[:-2]:
        fail(f"the leading batch axes must be equal: {tuple(lhs[:-2])} vs {tuple(rhs[:-2])}",
             "give both inputs the same batch shape")
    m, k = (lhs[-1], lhs[-2]) if attrs["transpose_a"] else (lhs[-2], lhs[-1])
    k2, n = (rhs[-1], rhs[-2]) if attrs["transpose_b"] else (rhs[-2], rhs[-1])
    if k != k2:
        fail(f"batch_dot shape mismatch: {tuple(lhs)} x {tuple(rhs)} contracts sizes {k} and {k2}",
             "the contracted axes must match; check transpose_a/transpose_b")
    return tuple(lhs[:-2]) + (m, n)


def _batch_work(attrs, in_shapes, out_shapes):
    lhs = in_shapes[0]
    k = lhs[-2] if attrs.get("transpose_a") else lhs[-1]
    return prod(out_shapes[0]) * k


def _batch_dot_inputs(rng, dtype, attrs):
    b, m, k, n = (int(v) for v in rng.integers(1, 5, size=4))
    lhs = (b, k, m) if attrs.get("transpose_a") else (b, m, k)
    rhs = (b, n, k) if attrs.get("transpose_b") else (b, k, n)
    return [rng.uniform(-2, 2, lhs).astype(dtype), rng.uniform(-2, 2, rhs).astype(dtype)]


def _batch_dot_grad(F, attrs, inputs, outputs, out_grads):
    g = out_grads[0]
    if g is None:
        return [None, None]

    def mm(x, y, tx, ty):
        return F.batch_dot(x, y, transpose_a=tx, transpose_b=ty)
    return list(matmul_grads(mm, g, inputs[0], inputs[1], attrs["transpose_a"],
                             attrs["transpose_b"]))


batch_dot = OpDef(
    "batch_dot", inputs=("lhs", "rhs"),
    params=(Param("transpose_a", Bool, False, "transpose each lhs matrix"),
            Param("transpose_b", Bool, False, "transpose each rhs matrix"),
            Param("forward_stype", _STYPE, None, "output storage type (ignored: dense only)")),
    shape=_batch_dot_shape, dtype=float_dtype, work=_batch_work, grad=_batch_dot_grad,
    domain=_floats_domain(attrs=_TRANSPOSES, make_inputs=_batch_dot_inputs),
    formula="out[b..., i, j] = sum_k lhs[b..., i, k] * rhs[b..., k, j]",
    doc="Batched matrix product over the last two axes; the leading axes are batch axes.",
    family="linalg")


# -- linalg_gemm2 / linalg_gemm -------------------------------------------------------------------
def gemm_geometry(attrs, a, b):
    """Check two ``linalg_gemm*`` operands; return the output shape.

    The matrix rows lie on ``axis``, the columns on the last axis; the other axes are batch axes.
    """
    nd = len(a)
    if nd < 2 or len(b) != nd:
        fail(f"both inputs must have the same number of axes (at least 2), got {tuple(a)} and "
             f"{tuple(b)}", "use dot for a vector; add axes with expand_dims")
    axis = attrs["axis"]
    row = axis + nd if axis < 0 else axis
    if not 0 <= row < nd - 1:
        fail(f"axis {axis} is not a valid row axis for {nd}-d inputs",
             f"the row axis must come before the last (column) axis: use {-nd}..{nd - 2}")
    for i in range(nd - 1):
        if i != row and a[i] != b[i]:
            fail(f"the batch axes must match: {tuple(a)} and {tuple(b)} differ on axis {i}",
                 "shapes may differ only on the row axis and the last axis")
    ta, tb = attrs["transpose_a"], attrs["transpose_b"]
    k_a = a[row] if ta else a[-1]
    k_b = b[-1] if tb else b[row]
    if k_a != k_b:
        fail(f"incompatible matrix dimensions for multiplication: {tuple(a)} x {tuple(b)} "
             f"contracts {k_a} with {k_b} (row axis {axis}, transpose_a={ta}, transpose_b={tb})",
             "the columns of op(A) must equal the rows of op(B)")
    out = list(a)
    out[row] = a[-1] if ta else a[row]
    out[-1] = b[row] if tb else b[-1]
    return tuple(out)


def _gemm2_shape(attrs, a, b):
    return gemm_geometry(attrs, a, b)


def _gemm_shape(attrs, a, b, *rest):
    if len(rest) != 1:
        fail(f"expects three inputs (A, B, C), got {2 + len(rest)}",
             "pass C, or use linalg_gemm2 for alpha * op(A) @ op(B) alone")
    c = rest[0]
    out = gemm_geometry(attrs, a, b)
    if tuple(c) != out:
        fail(f"C has shape {tuple(c)} but op(A) x op(B) has shape {out}",
             "C must have exactly the product's shape (no broadcasting)")
    return out


def _gemm_work(attrs, in_shapes, out_shapes):
    a = in_shapes[0]
    nd = len(a)
    row = attrs["axis"] % nd if nd else 0
    k = a[row] if attrs["transpose_a"] else a[-1]
    return prod(out_shapes[0]) * k


def _gemm_inputs(rng, dtype, attrs, with_c=False):
    m, k, n, batch = (int(v) for v in rng.integers(1, 5, size=4))
    a = (k, m) if attrs.get("transpose_a") else (m, k)
    b = (n, k) if attrs.get("transpose_b") else (k, n)
    shapes = [(batch,) + a, (batch,) + b]
    if attrs.get("axis", -2) == 0:       # rows on axis 0: the batch axis sits in the middle
        shapes = [(s[1], batch, s[2]) for s in shapes]
    arrays = [rng.uniform(-2, 2, s).astype(dtype) for s in shapes]
    if with_c:
        out = (batch, m, n) if attrs.get("axis", -2) != 0 else (m, batch, n)
        arrays.append(rng.uniform(-2, 2, out).astype(dtype))
    return arrays


def _gemm_grad(F, attrs, inputs, outputs, out_grads):
    """``out = alpha op(A) op(B) (+ beta C)``: the products' gradients (gemm2 with the same row
    axis and alpha), and ``beta G`` for C."""
    g = out_grads[0]
    if g is None:
        return [None] * len(inputs)

    def mm(x, y, tx, ty):
        return F.linalg_gemm2(x, y, transpose_a=tx, transpose_b=ty, alpha=attrs["alpha"],
                              axis=attrs["axis"])
    grads = list(matmul_grads(mm, g, inputs[0], inputs[1], attrs["transpose_a"],
                              attrs["transpose_b"]))
    if len(inputs) == 3:
        grads.append(g if attrs["beta"] == 1.0 else g * attrs["beta"])
    return grads


_GEMM_ATTRS = [{}, {"transpose_a": True, "alpha": 0.5}, {"transpose_b": True},
               {"axis": 0, "transpose_a": True, "transpose_b": True}]

_linalg_gemm2 = OpDef(
    "_linalg_gemm2", inputs=("A", "B"), aliases=("linalg_gemm2",),
    params=(Param("transpose_a", Bool, False, "use the transpose of A"),
            Param("transpose_b", Bool, False, "use the transpose of B"),
            Param("alpha", Float, 1.0, "scalar factor of the product"),
            Param("axis", Int, -2, "axis of the matrix rows (the columns are the last axis)")),
    shape=_gemm2_shape, dtype=float_dtype, work=_gemm_work, grad=_gemm_grad,
    domain=_floats_domain(attrs=_GEMM_ATTRS, make_inputs=_gemm_inputs),
    formula="out = alpha * op(A) @ op(B)",
    doc="Matrix product of the matrices in the last two axes (rows on `axis`), scaled by alpha.",
    family="linalg")

_linalg_gemm = OpDef(
    "_linalg_gemm", inputs=("A", "B", "C"), aliases=("linalg_gemm",),
    params=(Param("transpose_a", Bool, False, "use the transpose of A"),
            Param("transpose_b", Bool, False, "use the transpose of B"),
            Param("alpha", Float, 1.0, "scalar factor of the product"),
            Param("beta", Float, 1.0, "scalar factor of C"),
            Param("axis", Int, -2, "axis of the matrix rows (the columns are the last axis)")),
    shape=_gemm_shape, dtype=float_dtype, work=_gemm_work, grad=_gemm_grad,
    domain=_floats_domain(attrs=[dict(a, beta=0.5) for a in _GEMM_ATTRS],
                          make_inputs=lambda rng, dtype, attrs: _gemm_inputs(rng, dtype, attrs,
                                                                             True)),
    formula="out = alpha * op(A) @ op(B) + beta * C",
    doc="General matrix multiply-add (BLAS gemm) over the matrices in the last two axes.",
    family="linalg")


# -- FullyConnected ------------------------------------------------------------------------------
def _fc_shape(attrs, data, weight, *rest):
    nh, no_bias = attrs["num_hidden"], attrs["no_bias"]
    if nh < 1:
        fail(f"num_hidden must be at least 1, got {nh}")
    if no_bias and rest:
        fail("no_bias=True takes two inputs (data, weight), got a bias too",
             "drop the bias or set no_bias=False")
    if not no_bias and not rest:
        fail("expects three inputs (data, weight, bias), got two",
             "pass a bias of shape (num_hidden,) or set no_bias=True")
    if attrs["flatten"]:
        in_units, out = prod(data[1:]), (data[0], nh)
    else:
        in_units, out = data[-1], tuple(data[:-1]) + (nh,)
    if tuple(weight) != (nh, in_units):
        how = "the product of the data's axes after the first" if attrs["flatten"] else \
            "the data's last axis"
        fail(f"weight has shape {tuple(weight)} but num_hidden={nh} and the data {tuple(data)} "
             f"has {in_units} input units, so it must be ({nh}, {in_units})",
             f"weight is (num_hidden, in_units), in_units being {how}")
    if rest and tuple(rest[0]) not in ((nh,), (nh, 1)):
        fail(f"bias has shape {tuple(rest[0])} but must be ({nh},) for num_hidden={nh}")
    return out


def _fc_work(attrs, in_shapes, out_shapes):
    return prod(out_shapes[0]) * in_shapes[1][1]


def _fc_inputs(rng, dtype, attrs):
    batch, a, b = (int(v) for v in rng.integers(1, 5, size=3))
    nh = attrs["num_hidden"]
    data = (batch, a, b)
    units = a * b if attrs.get("flatten", True) else b
    arrays = [rng.uniform(-2, 2, data), rng.uniform(-2, 2, (nh, units))]
    if not attrs.get("no_bias", False):
        arrays.append(rng.uniform(-2, 2, (nh,)))
    return [x.astype(dtype) for x in arrays]


def _fc_grad(F, attrs, inputs, outputs, out_grads):
    """With the data as a matrix ``X`` ``(rows, in_units)`` and ``G`` ``(rows, num_hidden)``:
    ``dX = G W``, ``dW = G^T X``, ``db = sum_rows G``."""
    g = out_grads[0]
    if g is None:
        return [None] * len(inputs)
    x, w = inputs[0], inputs[1]
    units, nh = w.shape[1], w.shape[0]
    rows = prod(x.shape) // units if units else 0
    x2, g2 = as_shape(F, x, (rows, units)), as_shape(F, g, (rows, nh))
    grads = [as_shape(F, F.dot(g2, w), x.shape) if input_wanted(0) else None,
             F.dot(g2, x2, transpose_a=True) if input_wanted(1) else None]
    if len(inputs) == 3:
        grads.append(as_shape(F, F.sum(g2, axis=0), inputs[2].shape))
    return grads


FullyConnected = OpDef(
    "FullyConnected", inputs=("data", "weight", "bias"), optional=("bias",),
    params=(Param("num_hidden", Int, doc="number of hidden units (outputs)"),
            Param("no_bias", Bool, False, "leave out the bias term"),
            Param("flatten", Bool, True, "flatten the data to 2-d (batch, in_units) first")),
    shape=_fc_shape, dtype=float_dtype, work=_fc_work, grad=_fc_grad,
    domain=_floats_domain(attrs=[{"num_hidden": 3}, {"num_hidden": 2, "no_bias": True},
                                 {"num_hidden": 4, "flatten": False}],
                          make_inputs=_fc_inputs),
    formula="out = data @ weight.T + bias",
    doc="A fully connected (dense) layer: a matrix product with the weight plus a bias.",
    family="linalg")


# -- potrf, trsm, syrk, khatri_rao -------------------------------------------------------------
def _square(name, shape):
    if len(shape) < 2 or shape[-1] != shape[-2]:
        fail(f"{name} needs square matrices in the last two axes, got {tuple(shape)}",
             "pass an array of shape (..., n, n)")


def _potrf_shape(attrs, a):
    _square("linalg_potrf", a)
    return tuple(a)


def _spd_inputs(rng, dtype, attrs):
    n, batch = (int(v) for v in rng.integers(1, 5, size=2))
    m = rng.uniform(-1, 1, (batch, n, n))
    return [(m @ m.transpose(0, 2, 1) + n * np.eye(n)).astype(dtype)]


def _potrf_grad(F, attrs, inputs, outputs, out_grads):
    """MXNet's rule (Murray 2016), symmetric since A is: with ``P = L^T G``,
    ``dA = L^-T (sym. of P's lower triangle, halved) L^-1``. NB: the forward reads only A's lower
    triangle, so this differs from an element-wise finite difference (see the tests)."""
    g = out_grads[0]
    if g is None:
        return [None]
    low = outputs[0]
    p = F.linalg_gemm2(low, g, transpose_a=True)
    strict = F.broadcast_mul(p, triangle_mask(F, p, diagonal=0.0))
    lower = F.broadcast_mul(p, triangle_mask(F, p))
    sym = (lower + swap_last(F, strict)) * 0.5          # 0.5 * (tril(P) + tril(P, -1)^T)
    return [F.linalg_trsm(low, F.linalg_trsm(low, sym, transpose=True), rightside=True)]


_linalg_potrf = OpDef(
    "_linalg_potrf", inputs=("A",), aliases=("linalg_potrf",), shape=_potrf_shape,
    grad=_potrf_grad, dtype=float_dtype,
    domain=_floats_domain(make_inputs=_spd_inputs, grad=False),   # see _potrf_grad
    formula="A = out @ out.T, out lower triangular",
    doc="Cholesky factor of symmetric positive-definite matrices (the upper triangle is zero).",
    family="linalg")


def _trsm_shape(attrs, a, b):
    _square("linalg_trsm", a)
    if len(b) != len(a) or a[:-2] != b[:-2]:
        fail(f"A {tuple(a)} and B {tuple(b)} must have the same batch axes")
    k = b[-1] if attrs["rightside"] else b[-2]
    if k != a[-1]:
        side = "columns" if attrs["rightside"] else "rows"
        fail(f"incompatible matrix dimensions: B {tuple(b)} has {k} {side} but A is "
             f"{a[-1]} x {a[-1]}", "rightside=True solves X @ op(A) = alpha * B")
    return tuple(b)


def _trsm_inputs(rng, dtype, attrs):
    n, m = (int(v) for v in rng.integers(1, 5, size=2))
    a = np.tril(rng.uniform(-1, 1, (n, n))) + 2 * np.eye(n)
    if not attrs.get("lower", True):
        a = a.T
    b = rng.uniform(-1, 1, (m, n) if attrs.get("rightside") else (n, m))
    return [np.ascontiguousarray(a, dtype), b.astype(dtype)]   # C order: tests perturb a view


def _trsm_grad(F, attrs, inputs, outputs, out_grads):
    """Left side, ``op(A) X = alpha B``: with ``Y = op(A)^-T G``, ``dB = alpha Y`` and
    ``d op(A) = -Y X^T``; right side, ``X op(A) = alpha B``: ``Y = G op(A)^-T``,
    ``d op(A) = -X^T Y``. A's gradient keeps only the triangle the forward reads."""
    g = out_grads[0]
    if g is None:
        return [None, None]
    a, x = inputs[0], outputs[0]
    t, right, lower, alpha = attrs["transpose"], attrs["rightside"], attrs["lower"], attrs["alpha"]
    y = F.linalg_trsm(a, g, transpose=not t, rightside=right, lower=lower)
    if right:
        ga = F.linalg_gemm2(y, x, transpose_a=True, alpha=-1.0) if t else \
            F.linalg_gemm2(x, y, transpose_a=True, alpha=-1.0)
    else:
        ga = F.linalg_gemm2(x, y, transpose_b=True, alpha=-1.0) if t else \
            F.linalg_gemm2(y, x, transpose_b=True, alpha=-1.0)
    ga = F.broadcast_mul(ga, triangle_mask(F, ga, lower=lower))
    return [ga, y if alpha == 1.0 else y * alpha]


_linalg_trsm = OpDef(
    "_linalg_trsm", inputs=("A", "B"), aliases=("linalg_trsm",),
    params=(Param("transpose", Bool, False, "use the transpose of A"),
            Param("rightside", Bool, False, "solve X @ op(A) = alpha * B instead"),
            Param("lower", Bool, True, "A is lower (else upper) triangular"),
            Param("alpha", Float, 1.0, "scalar factor of B")),
    shape=_trsm_shape, dtype=float_dtype, grad=_trsm_grad,
    domain=_floats_domain(attrs=[{}, {"transpose": True, "alpha": 2.0}, {"rightside": True},
                                 {"lower": False}], make_inputs=_trsm_inputs),
    formula="out = alpha * op(A)^-1 @ B (or alpha * B @ op(A)^-1 with rightside)",
    doc="Solves a triangular system with many right-hand sides; only A's triangle is read.",
    family="linalg")


def _syrk_shape(attrs, a):
    if len(a) < 2:
        fail(f"linalg_syrk needs matrices in the last two axes, got {tuple(a)}")
    n = a[-1] if attrs["transpose"] else a[-2]
    return tuple(a[:-2]) + (n, n)


def _syrk_grad(F, attrs, inputs, outputs, out_grads):
    """``out = alpha A A^T``: ``dA = alpha (G + G^T) A``; transposed: ``alpha A (G + G^T)``."""
    g = out_grads[0]
    if g is None:
        return [None]
    a, alpha = inputs[0], attrs["alpha"]
    if attrs["transpose"]:
        return [F.linalg_gemm2(a, g, alpha=alpha) + F.linalg_gemm2(a, g, transpose_b=True,
                                                                   alpha=alpha)]
    return [F.linalg_gemm2(g, a, alpha=alpha)
            + F.linalg_gemm2(g, a, transpose_a=True, alpha=alpha)]


_linalg_syrk = OpDef(
    "_linalg_syrk", inputs=("A",), aliases=("linalg_syrk",),
    params=(Param("transpose", Bool, False, "compute A.T @ A instead"),
            Param("alpha", Float, 1.0, "scalar factor")),
    shape=_syrk_shape, dtype=float_dtype, grad=_syrk_grad,
    domain=_floats_domain(attrs=[{}, {"transpose": True, "alpha": 0.5}], ndim=(2, 3)),
    formula="out = alpha * A @ A.T (or alpha * A.T @ A)",
    doc="Symmetric rank-k update: the product of each matrix with its own transpose.",
    family="linalg")


def _khatri_rao_shape(attrs, *shapes):
    if not shapes:
        fail("khatri_rao needs at least one input")
    for s in shapes:
        if len(s) != 2 or s[1] != shapes[0][1]:
            fail(f"every input must be a matrix with the same number of columns, got "
                 f"{', '.join(str(tuple(x)) for x in shapes)}", "inputs are (rows_i, R)")
    return (prod(s[0] for s in shapes), shapes[0][1])


def _khatri_rao_grad(F, attrs, inputs, outputs, out_grads):
    """View G as ``(rows_1, ..., rows_n, R)``; input j's gradient is G times every other input
    (each broadcast along its own axis), summed over the other row axes."""
    g = out_grads[0]
    if g is None:
        return [None] * len(inputs)
    n = len(inputs)
    rows = tuple(x.shape[0] for x in inputs)
    g = as_shape(F, g, rows + (g.shape[1],))
    grads = []
    for j in range(n):
        acc = g
        for i, x in enumerate(inputs):
            if i != j:
                acc = F.broadcast_mul(acc, as_shape(F, x, tuple(
                    rows[i] if k == i else 1 for k in range(n)) + (x.shape[1],)))
        others = tuple(i for i in range(n) if i != j)
        grads.append(F.sum(acc, axis=others) if others else acc)
    return grads


khatri_rao = OpDef(
    "khatri_rao", inputs=("*args",), shape=_khatri_rao_shape, dtype=float_dtype,
    grad=_khatri_rao_grad,
    domain=_floats_domain(make_inputs=lambda rng, dtype, attrs: [
        rng.uniform(-2, 2, (int(rng.integers(1, 4)), 3)).astype(dtype) for _ in range(3)]),
    formula="out[(i_1, ..., i_n), r] = args[0][i_1, r] * ... * args[n-1][i_n, r]",
    doc="Column-wise Kronecker product of matrices with the same number of columns.",
    family="linalg")
