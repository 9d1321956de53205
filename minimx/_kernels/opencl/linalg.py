"""The linalg ops on the device: products through ``gemm.py``'s tiled GEMM, the rest small kernels.

- ``gemm``/``gemm2``/``syrk``/``trmm``: one batched ``gemm`` launch (transposes are strides), then
  ``scale_add`` for ``alpha``/``beta`` in the CPU kernel's order (``out *= alpha; out += beta*C``).
  ``trmm`` first copies the triangle of A (``tri_copy``) so the other one reads as zeros.
- ``trsm``: one work item per (matrix, right-hand side) runs the substitution of its column.
- diagonal / triangle moves: one work item per matrix element, the packed triangle position
  counted in the kernel (row-major, as ``np.tril_indices``/``np.triu_indices``).
- ``potrf``, ``inverse``, ``det``/``slogdet`` (LU with partial pivoting): one work item per matrix,
  sequential in global memory; small batched matrices are what these ops see. ``potri`` is a
  triangular inverse (``trsm`` on the identity) and a ``gemm``.

Every kernel but ``gemm`` lives in ONE program per dtype (``_SRC``, built once per process).
With the matrix rows on another ``axis`` than -2, the product goes through a (pre, post, m, n)
buffer and one transposing copy.
"""
import numpy as np

from .array import CLStorage
from .elemwise import _PREAMBLE, copy, ctype, floats, launch_1d
from .gemm import gemm

__all__ = ["KERNELS"]

_SRC = _PREAMBLE + """
#pragma OPENCL FP_CONTRACT OFF
__kernel void scale_add(__global T* out, long oo, __global const T* c, long co, T alpha, T beta,
                        int scale, int has_c, long n) {
  long i = get_global_id(0);
  if (i >= n) return;
  T v = out[oo + i];
  if (scale) v = v * alpha;
  if (has_c) v = v + c[co + i] * beta;
  out[oo + i] = v;
}
/* dst = lower ? tril(src) : triu(src) (mode 2: the identity), n x n matrices */
__kernel void tri_copy(__global T* dst, __global const T* src, long so, long n, int mode,
                       long total) {
  long i = get_global_id(0);
  if (i >= total) return;
  long c = i % n, r = (i / n) % n;
  if (mode == 2) dst[i] = (T)(c == r);
  else dst[i] = (mode ? c <= r : c >= r) ? src[so + i] : (T)0;
}
/* solve E x = alpha b for each rhs j; E[i,k] = a[i*sr + k*sc] (only its lower/upper part) */
__kernel void trsv(__global T* x, long xo, __global const T* a, long ao, __global const T* b,
                   long bo, long n, long nrhs, long sr, long sc, long si, long sj, int lowerE,
                   T alpha, long mat_a, long mat_b) {
  long g = get_global_id(0);
  if (g >= nrhs) return;
  long bt = get_global_id(1);
  a += ao + bt * mat_a; x += xo + bt * mat_b + g * sj; b += bo + bt * mat_b + g * sj;
  for (long t = 0; t < n; t++) {
    long i = lowerE ? t : n - 1 - t;
    T s = b[i * si] * alpha;
    if (lowerE) for (long k = 0; k < i; k++) s -= a[i * sr + k * sc] * x[k * si];
    else for (long k = i + 1; k < n; k++) s -= a[i * sr + k * sc] * x[k * si];
    x[i * si] = s / a[i * sr + i * sc];
  }
}
/* number of triangle entries in rows before r (upper: c >= r + k, lower: c <= r + k) */
long tri_before(long r, long n, long k, int upper) {
  long s = 0;
  for (long q = 0; q < r; q++) {
    long m = upper ? n - max(0L, q + k) : min(n, q + k + 1);
    s += max(0L, m);
  }
  return s;
}
/* mode 0: extracttrian (full -> packed), 1: maketrian (packed -> full, 0 elsewhere) */
__kernel void trian(__global T* out, long oo, __global const T* in, long io, long n, long k,
                    int upper, long packed, int mode, long total) {
  long i = get_global_id(0);
  if (i >= total) return;
  long c = i % n, r = (i / n) % n, b = i / (n * n);
  int in_tri = upper ? c >= r + k : c <= r + k;
  long p = in_tri ? tri_before(r, n, k, upper) + c - (upper ? max(0L, r + k) : 0) : 0;
  if (mode == 0) { if (in_tri) out[oo + b * packed + p] = in[io + i]; }
  else out[oo + i] = in_tri ? in[io + b * packed + p] : (T)0;
}
/* mode 0: extractdiag (out (b, m) from in (b, R, C)); 1: makediag (out (b, R, C) from in (b, m)) */
__kernel void diag(__global T* out, long oo, __global const T* in, long io, long R, long C,
                   long m, long k, int mode, long total) {
  long i = get_global_id(0);
  if (i >= total) return;
  if (mode == 0) {
    long b = i / m, d = i % m, r = k >= 0 ? d : d - k, c = k >= 0 ? d + k : d;
    out[oo + i] = in[io + b * R * C + r * C + c];
  } else {
    long c = i % C, r = (i / C) % R, b = i / (R * C);
    out[oo + i] = (c - r == k) ? in[io + b * m + (k >= 0 ? r : c)] : (T)0;
  }
}
__kernel void sumlogdiag(__global T* out, long oo, __global const T* a, long ao, long n, long nb) {
  long b = get_global_id(0);
  if (b >= nb) return;
  T s = 0;
  for (long i = 0; i < n; i++) s += log(a[ao + b * n * n + i * n + i]);
  out[oo + b] = s;
}
/* lower Cholesky factor of each matrix (reads its lower triangle) */
__kernel void potrf(__global T* L, long lo, __global const T* a, long ao, long n, long nb) {
  long b = get_global_id(0);
  if (b >= nb) return;
  L += lo + b * n * n; a += ao + b * n * n;
  for (long j = 0; j < n; j++) {
    for (long i = 0; i < j; i++) L[i * n + j] = 0;
    T d = a[j * n + j];
    for (long k = 0; k < j; k++) d -= L[j * n + k] * L[j * n + k];
    d = sqrt(d);
    L[j * n + j] = d;
    for (long i = j + 1; i < n; i++) {
      T s = a[i * n + j];
      for (long k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = s / d;
    }
  }
}
/* LU with partial pivoting in w (a copy of the matrices); mode 0: out = inverse (Gauss-Jordan on
   [w | I]), 1: det, 2: slogdet (sign in out, log|det| in out2) */
__kernel void lu(__global T* w, __global T* out, long oo, __global T* out2, long o2, long n,
                 long nb, int mode) {
  long b = get_global_id(0);
  if (b >= nb) return;
  w += b * n * n;
  __global T* inv = out + oo + b * n * n;
  if (mode == 0) for (long i = 0; i < n * n; i++) inv[i] = (i / n == i % n) ? (T)1 : (T)0;
  T sign = 1, logabs = 0, det = 1, parity = 1;
  int zero = 0;
  for (long j = 0; j < n; j++) {
    long p = j;
    for (long i = j + 1; i < n; i++) if (fabs(w[i * n + j]) > fabs(w[p * n + j])) p = i;
    if (p != j) {
      sign = -sign;
      parity = -parity;
      for (long c = 0; c < n; c++) {
        T t = w[j * n + c]; w[j * n + c] = w[p * n + c]; w[p * n + c] = t;
        if (mode == 0) { t = inv[j * n + c]; inv[j * n + c] = inv[p * n + c]; inv[p * n + c] = t; }
      }
    }
    T d = w[j * n + j];
    det *= d;
    if (d < 0) sign = -sign;
    logabs += log(fabs(d));
    if (d == 0) zero = 1;
    if (d == 0 && mode != 0) continue;
    for (long i = (mode == 0 ? 0 : j + 1); i < n; i++) {
      if (i == j) continue;
      T f = w[i * n + j] / d;
      for (long c = j; c < n; c++) w[i * n + c] -= f * w[j * n + c];
      if (mode == 0) for (long c = 0; c < n; c++) inv[i * n + c] -= f * inv[j * n + c];
    }
  }
  if (mode == 0) {
    for (long i = 0; i < n; i++) {
      T d = w[i * n + i];
      for (long c = 0; c < n; c++) inv[i * n + c] /= d;
    }
  } else if (mode == 1) out[oo + b] = parity * det;
  else {
    if (zero) { sign = 0; logabs = -INFINITY; }
    out[oo + b] = sign; out2[o2 + b] = logabs;
  }
}
"""


def _k(dev, name, dtype):
    return dev.kernel(_SRC, name, (f"-DT={ctype(dtype)}",))


def _i(v):
    return np.int64(v)


def _batch(shape, core=2):
    b = 1
    for s in shape[:-core] if core else shape:
        b *= s
    return b


def _scale_add(out, alpha, c=None, beta=0.0):
    t = out.dtype.type
    scale, has_c = t(alpha) != 1, c is not None and t(beta) != 0
    if not (scale or has_c):
        return
    cb, co = (c.buf, c.offset) if has_c else (out.buf, 0)
    launch_1d(out.dev, _k(out.dev, "scale_add", out.dtype), out.size, out.buf, _i(out.offset), cb,
              _i(co), t(alpha), t(beta), np.int32(scale), np.int32(has_c), _i(out.size))


def _mat_strides(rows, cols, transpose):
    """GEMM strides (offset, s_row, s_col, s_batch) of a (rows, cols) matrix (or its transpose)."""
    return (0, 1, cols, rows * cols) if transpose else (0, cols, 1, rows * cols)


def _gemm_common(ins, outs, attrs, c, beta):
    a, b = ins[0], ins[1]
    out = outs[0]
    axis = attrs["axis"] % a.ndim
    if not floats(out.dev, *ins, out) or axis == a.ndim - 1:
        return NotImplemented
    (p, q), (u, v) = (a.shape[axis], a.shape[-1]), (b.shape[axis], b.shape[-1])
    ta, tb = attrs["transpose_a"], attrs["transpose_b"]
    m, k = (q, p) if ta else (p, q)
    n = u if tb else v
    if axis == a.ndim - 2:
        gemm(out, a, _mat_strides(p, q, ta), b, _mat_strides(u, v, tb), m, n, k, _batch(out.shape))
    else:
        _gemm_axis(out, a, b, axis, (p, q, ta), (u, v, tb), m, n, k)
    _scale_add(out, attrs["alpha"], c, beta)
    return None


def _gemm_axis(out, a, b, axis, ga, gb, m, n, k):
    """Rows on ``axis`` < ndim - 2: the axes between are a batch of stride ``cols`` (one ``gemm``
    per index of the axes before), into a (pre, post, m, n) buffer, then one transposing copy."""
    from .elemwise import transpose
    pre, post = _batch(a.shape[:axis], 0), _batch(a.shape[axis + 1:-1], 0)
    tmp = CLStorage(out.dev).alloc((pre, post, m, n), out.dtype)

    def strides(rows, cols, t, j):
        step = rows * post * cols
        return (j * step, 1, post * cols, cols) if t else (j * step, post * cols, 1, cols)
    for j in range(pre):
        view = CLStorage.view(tmp, j * post * m * n, (post, m, n))
        gemm(view, a, strides(*ga, j), b, strides(*gb, j), m, n, k, post)
    return transpose([tmp], [out.reshape(pre, m, post, n)], {"axes": (0, 2, 1, 3)})


def linalg_gemm2(ins, outs, attrs):
    return _gemm_common(ins, outs, attrs, None, 0.0)


def linalg_gemm(ins, outs, attrs):
    return _gemm_common(ins, outs, attrs, ins[2], attrs["beta"])


def linalg_syrk(ins, outs, attrs):
    a, out = ins[0], outs[0]
    if not floats(out.dev, a, out):
        return NotImplemented
    r, c = a.shape[-2:]
    t = attrs["transpose"]
    m, k = (c, r) if t else (r, c)
    gemm(out, a, _mat_strides(r, c, t), a, _mat_strides(r, c, not t), m, m, k, _batch(a.shape))
    _scale_add(out, attrs["alpha"])
    return None


def _tri(a, mode):
    """A contiguous copy of ``a``'s lower (mode 1) or upper (0) triangles, zeros elsewhere; mode 2:
    identity matrices of ``a``'s shape."""
    dev = a.dev
    t = CLStorage(dev).alloc(a.shape, a.dtype)
    launch_1d(dev, _k(dev, "tri_copy", a.dtype), a.size, t.buf, a.buf, _i(a.offset),
              _i(a.shape[-1]), np.int32(mode), _i(a.size))
    return t


def linalg_trmm(ins, outs, attrs):
    a, b = ins
    out = outs[0]
    if not floats(out.dev, a, b, out):
        return NotImplemented
    tri, tr = _tri(a, int(attrs["lower"])), attrs["transpose"]
    (m, n), s = b.shape[-2:], a.shape[-1]
    if attrs["rightside"]:
        gemm(out, b, _mat_strides(m, n, False), tri, _mat_strides(s, s, tr), m, n, n, _batch(b.shape))
    else:
        gemm(out, tri, _mat_strides(s, s, tr), b, _mat_strides(m, n, False), m, n, m, _batch(b.shape))
    _scale_add(out, attrs["alpha"])
    return None


def _trsm(out, a, b, lower, transpose, rightside, alpha):
    dev = out.dev
    s, (m, n) = a.shape[-1], b.shape[-2:]
    nb = _batch(b.shape)
    if rightside:     # X op(A) = B  <=>  op(A)^T X^T = B^T: systems along X's rows
        sr, sc = (s, 1) if transpose else (1, s)
        lower_e = lower == transpose
        size, nrhs, si, sj = n, m, 1, n
    else:
        sr, sc = (1, s) if transpose else (s, 1)
        lower_e = lower != transpose
        size, nrhs, si, sj = m, n, n, 1
    if nb == 0 or nrhs == 0:
        return
    dev.launch(_k(dev, "trsv", out.dtype), (nrhs, nb), None, out.buf, _i(out.offset), a.buf,
               _i(a.offset), b.buf, _i(b.offset), _i(size), _i(nrhs), _i(sr), _i(sc), _i(si),
               _i(sj), np.int32(lower_e), out.dtype.type(alpha), _i(s * s), _i(m * n))


def linalg_trsm(ins, outs, attrs):
    a, b = ins
    out = outs[0]
    if not floats(out.dev, a, b, out):
        return NotImplemented
    _trsm(out, a, b, attrs["lower"], attrs["transpose"], attrs["rightside"], attrs["alpha"])
    return None


def _upper(offset, lower):
    return int(offset > 0 or (offset == 0 and not lower))


def _trian(ins, outs, attrs, mode):
    x, out = ins[0], outs[0]
    if not floats(out.dev, x, out):
        return NotImplemented
    full = x if mode == 0 else out
    n, k = full.shape[-1], attrs["offset"]
    packed = (x if mode == 1 else out).shape[-1]
    launch_1d(out.dev, _k(out.dev, "trian", out.dtype), full.size, out.buf, _i(out.offset), x.buf,
              _i(x.offset), _i(n), _i(k), np.int32(_upper(k, attrs["lower"])),
              _i(packed), np.int32(mode), _i(full.size))
    return None


def _diag(ins, outs, attrs, mode):
    x, out = ins[0], outs[0]
    if not floats(out.dev, x, out):
        return NotImplemented
    full, vec = (x, out) if mode == 0 else (out, x)
    r, c = full.shape[-2:]
    launch_1d(out.dev, _k(out.dev, "diag", out.dtype), out.size, out.buf, _i(out.offset), x.buf,
              _i(x.offset), _i(r), _i(c), _i(vec.shape[-1]), _i(attrs["offset"]),
              np.int32(mode), _i(out.size))
    return None


def _per_matrix(name):
    """A kernel that runs one work item per matrix of the batch (``sumlogdiag``, ``potrf``)."""
    def kernel(ins, outs, attrs):
        a, out = ins[0], outs[0]
        if not floats(out.dev, a, out):
            return NotImplemented
        nb = _batch(a.shape)
        launch_1d(out.dev, _k(out.dev, name, a.dtype), nb, out.buf, _i(out.offset), a.buf,
                  _i(a.offset), _i(a.shape[-1]), _i(nb))
        return None
    kernel.__name__ = f"linalg_{name}"
    return kernel


linalg_sumlogdiag = _per_matrix("sumlogdiag")
linalg_potrf = _per_matrix("potrf")


def linalg_potri(ins, outs, attrs):
    a, out = ins[0], outs[0]
    if not floats(out.dev, a, out):
        return NotImplemented
    n, lower = a.shape[-1], attrs["lower"]
    inv = _tri(a, 2)
    _trsm(inv, a, inv, lower, False, False, 1.0)      # inv = tri(A)^-1 (in place: column-wise)
    # lower: (L L^T)^-1 = L^-T L^-1; upper: (U^T U)^-1 = U^-1 U^-T
    gemm(out, inv, _mat_strides(n, n, lower), inv, _mat_strides(n, n, not lower), n, n, n,
         _batch(a.shape))
    return None


def _lu(ins, outs, mode):
    a, out = ins[0], outs[0]
    if not floats(out.dev, a, *outs):
        return NotImplemented
    dev, n, nb = out.dev, a.shape[-1], _batch(a.shape)
    w = CLStorage(dev).alloc(a.shape, a.dtype)
    copy([a], [w], {})
    out2 = outs[1] if len(outs) > 1 else out
    launch_1d(dev, _k(dev, "lu", a.dtype), nb, w.buf, out.buf, _i(out.offset), out2.buf,
              _i(out2.offset), _i(n), _i(nb), np.int32(mode))
    return None


KERNELS = {
    "_linalg_gemm": linalg_gemm, "_linalg_gemm2": linalg_gemm2, "_linalg_syrk": linalg_syrk,
    "_linalg_trmm": linalg_trmm, "_linalg_trsm": linalg_trsm,
    "_linalg_extracttrian": lambda i, o, a: _trian(i, o, a, 0),
    "_linalg_maketrian": lambda i, o, a: _trian(i, o, a, 1),
    "_linalg_extractdiag": lambda i, o, a: _diag(i, o, a, 0),
    "_linalg_makediag": lambda i, o, a: _diag(i, o, a, 1),
    "_linalg_sumlogdiag": linalg_sumlogdiag, "_linalg_potrf": linalg_potrf,
    "_linalg_potri": linalg_potri,
    "_linalg_inverse": lambda i, o, a: _lu(i, o, 0),
    "_linalg_det": lambda i, o, a: _lu(i, o, 1),
    "_linalg_slogdet": lambda i, o, a: _lu(i, o, 2),
}
