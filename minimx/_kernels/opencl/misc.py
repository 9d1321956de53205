"""Small native kernels: ElementWiseSum, div_sqrt_dim, quadratic, the identity ops, amp_multicast
(float16 through ``vload_half``/``vstore_half_rte``), fill_element_0index, index_array and
khatri_rao.

All of them live in ONE program per element type (``_SRC`` built with ``-DT=...``): PoCL spends
about a second on each build, so a family costs one build per dtype and process.

Still on the host fallback, on purpose:

- ``_rnn_layer`` and its backward, ``CTCLoss`` / ``_ctc_loss_grad``: long sequential recurrences
  (a time loop of GEMMs, a dynamic-programming lattice) whose CPU kernels are already the
  reference; a native port is a project of its own.
- ``_linalg_gelqf`` and ``_linalg_syevd``: LQ and symmetric eigen-decompositions are iterative
  LAPACK algorithms (Householder sweeps, QR iterations) with no simple data-parallel form.
- the gamma, poisson and (generalized) negative-binomial draws: rejection samplers with a
  data-dependent number of tries per value; ``rand.py``'s Philox streams would not reproduce the
  fallback's numpy draws anyway.
"""
import numpy as np

from .array import CLStorage
from .elemwise import _PREAMBLE, cast, copy, ctype, floats, launch_1d

__all__ = ["KERNELS", "program"]

_SRC = _PREAMBLE + """
#pragma OPENCL FP_CONTRACT OFF
__kernel void add2(__global T* out, long oo, __global const T* a, long ao,
                   __global const T* b, long bo, long n) {
  long i = get_global_id(0);
  if (i < n) out[oo + i] = a[ao + i] + b[bo + i];
}
__kernel void div_s(__global T* out, long oo, __global const T* x, long xo, T s, long n) {
  long i = get_global_id(0);
  if (i < n) out[oo + i] = x[xo + i] / s;
}
__kernel void quad(__global T* out, long oo, __global const T* x, long xo, T a, T b, T c, long n) {
  long i = get_global_id(0);
  if (i < n) { T v = x[xo + i]; out[oo + i] = a * v * v + b * v + c; }
}
/* one work item per row: out is a copy of lhs already */
__kernel void fill0(__global T* out, long oo, __global const T* mhs, long mo,
                    __global const T* rhs, long ro, long rows, long cols) {
  long i = get_global_id(0);
  if (i >= rows) return;
  T r = rhs[ro + i];
  if (r > (T)-1 && r < (T)cols) out[oo + i * cols + (long)r] = mhs[mo + i];
}
/* float16 <-> T through the core vload_half / vstore_half_rte (no cl_khr_fp16 needed) */
#ifdef FLOATING
__kernel void from_half(__global T* out, long oo, __global const half* x, long xo, long n) {
  long i = get_global_id(0);
  if (i < n) out[oo + i] = (T)vload_half(xo + i, x);
}
__kernel void to_half(__global half* out, long oo, __global const T* x, long xo, long n) {
  long i = get_global_id(0);
  if (i < n) vstore_half_rte(x[xo + i], oo + i, out);
}
#endif
/* out (rows_a * rows_b, c): row (i, j) is a[i] * b[j] */
__kernel void kr2(__global T* out, long oo, __global const T* a, long ao,
                  __global const T* b, long bo, long rb, long c, long n) {
  long i = get_global_id(0);
  if (i >= n) return;
  long col = i % c, row = i / c;
  out[oo + i] = a[ao + (row / rb) * c + col] * b[bo + (row % rb) * c + col];
}
/* out[p, j] = index of p along axis ax[j]; dims padded to 8 with leading 1s */
__kernel void index_array(__global long* out, long oo, long d0, long d1, long d2, long d3,
                          long d4, long d5, long d6, long d7, long ax0, long ax1, long ax2,
                          long ax3, long ax4, long ax5, long ax6, long ax7, int naxes, long n) {
  long p = get_global_id(0);
  if (p >= n) return;
  long d[8] = {d0, d1, d2, d3, d4, d5, d6, d7};
  long ax[8] = {ax0, ax1, ax2, ax3, ax4, ax5, ax6, ax7};
  long c[8], r = p;
  for (int k = 7; k >= 0; k--) { c[k] = r % d[k]; r /= d[k]; }
  for (int j = 0; j < naxes; j++) out[oo + p * naxes + j] = c[ax[j]];
}
"""


def program(dev, name, dtype):
    """Kernel ``name`` of the misc program for ``dtype`` (one build per dtype)."""
    opts = (f"-DT={ctype(dtype) or 'float'}",) + (("-DFLOATING",) if np.dtype(dtype).kind == "f" else ())
    return dev.kernel(_SRC, name, opts)


def _i(v):
    return np.int64(v)


def _add2(out, a, b):
    k = program(out.dev, "add2", out.dtype)
    launch_1d(out.dev, k, out.size, out.buf, _i(out.offset), a.buf, _i(a.offset), b.buf,
              _i(b.offset), _i(out.size))


def element_wise_sum(ins, outs, attrs):
    out = outs[0]
    if any(x.dtype != out.dtype for x in ins) or out.dtype.kind not in "fi" \
            or (out.dtype == np.float64 and not out.dev.fp64) or ctype(out.dtype) is None:
        return NotImplemented
    if len(ins) == 1:
        return copy(ins, outs, attrs)
    _add2(out, ins[0], ins[1])
    for x in ins[2:]:
        _add2(out, out, x)
    return None


def div_sqrt_dim(ins, outs, attrs):
    x, out = ins[0], outs[0]
    if not floats(out.dev, x, out):
        return NotImplemented
    s = np.sqrt(np.float64(x.shape[-1]) if x.ndim else 1.0).astype(x.dtype)
    launch_1d(out.dev, program(out.dev, "div_s", x.dtype), out.size, out.buf, _i(out.offset),
              x.buf, _i(x.offset), s, _i(out.size))
    return None


def quadratic(ins, outs, attrs):
    x, out = ins[0], outs[0]
    if not floats(out.dev, x, out):
        return NotImplemented
    t = x.dtype.type
    launch_1d(out.dev, program(out.dev, "quad", x.dtype), out.size, out.buf, _i(out.offset),
              x.buf, _i(x.offset), t(attrs["a"]), t(attrs["b"]), t(attrs["c"]), _i(out.size))
    return None


def _half_cast(x, o):
    """float16 <-> float32/float64; False for any other pair."""
    h = np.dtype(np.float16)
    other = o.dtype if x.dtype == h else x.dtype
    wide_ok = other == np.float32 or (other == np.float64 and o.dev.fp64)
    if h not in (x.dtype, o.dtype) or not wide_ok:
        return False
    name = "from_half" if x.dtype == h else "to_half"
    launch_1d(o.dev, program(o.dev, name, other), o.size, o.buf, _i(o.offset), x.buf,
              _i(x.offset), _i(o.size))
    return True


def amp_multicast(ins, outs, attrs):
    # float -> integer casts wrap on the CPU (c_cast); OpenCL leaves them undefined.
    if any(x.dtype.kind == "f" and o.dtype.kind != "f" for x, o in zip(ins, outs)):
        return NotImplemented
    for x, o in zip(ins, outs):
        if x.dtype == o.dtype:
            copy([x], [o], attrs)
        elif not _half_cast(x, o) and cast([x], [o], attrs) is NotImplemented:
            return NotImplemented   # the fallback then redoes every output
    return None


def fill_element_0index(ins, outs, attrs):
    lhs, mhs, rhs = ins
    out = outs[0]
    exact = out.dtype in (np.int32, np.int64) and lhs.dtype == mhs.dtype == rhs.dtype == out.dtype
    if not (exact or floats(out.dev, lhs, mhs, rhs, out)):
        return NotImplemented
    copy([lhs], [out], attrs)
    rows, cols = lhs.shape
    launch_1d(out.dev, program(out.dev, "fill0", out.dtype), rows, out.buf, _i(out.offset),
              mhs.buf, _i(mhs.offset), rhs.buf, _i(rhs.offset), _i(rows), _i(cols))
    return None


def index_array(ins, outs, attrs):
    shape, out = ins[0].shape, outs[0]
    if not 1 <= len(shape) <= 8:
        return NotImplemented
    axes = attrs["axes"]
    axes = list(range(len(shape))) if axes is None else [a % len(shape) for a in axes]
    pad = 8 - len(shape)
    dims = [1] * pad + list(shape)
    ax = [a + pad for a in axes] + [0] * (8 - len(axes))
    n = out.size // max(len(axes), 1)
    launch_1d(out.dev, program(out.dev, "index_array", out.dtype), n, out.buf, _i(out.offset),
              *[_i(d) for d in dims], *[_i(a) for a in ax], np.int32(len(axes)), _i(n))
    return None


def khatri_rao(ins, outs, attrs):
    out = outs[0]
    if not floats(out.dev, *ins, out):
        return NotImplemented
    if len(ins) == 1:
        return copy(ins, outs, attrs)
    dev, c = out.dev, out.shape[1]
    k = program(dev, "kr2", out.dtype)
    acc = ins[0]
    for j, m in enumerate(ins[1:]):
        last = j == len(ins) - 2
        dst = out if last else CLStorage(dev).alloc((acc.shape[0] * m.shape[0], c), out.dtype)
        launch_1d(dev, k, dst.size, dst.buf, _i(dst.offset), acc.buf, _i(acc.offset), m.buf,
                  _i(m.offset), _i(m.shape[0]), _i(c), _i(dst.size))
        acc = dst
    return None


def _identity(ins, outs, attrs):
    if ins[0].dtype != outs[0].dtype:
        return NotImplemented
    return copy(ins, outs, attrs)


KERNELS = {
    "ElementWiseSum": element_wise_sum, "_contrib_div_sqrt_dim": div_sqrt_dim,
    "_contrib_quadratic": quadratic, "IdentityAttachKLSparseReg": _identity,
    "amp_multicast": amp_multicast, "fill_element_0index": fill_element_0index,
    "_contrib_index_array": index_array, "khatri_rao": khatri_rao,
}
