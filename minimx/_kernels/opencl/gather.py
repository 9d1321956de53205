"""Index-driven kernels: take, Embedding, batch_take, gather_nd and their scatters, one_hot,
index_copy, ravel/unravel, where, the Sequence ops and argmax_channel.

One program per (element type, index type), built once per process. Pure gathers move elements
as unsigned integers of their size (``shape.bits``), so they serve every dtype; the scatter-adds
(gradients of take/Embedding and gather_nd) need the real type: float adds are an
``atomic_cmpxchg`` loop on the bit pattern (the order of the adds, so the last bits of a repeated
index's sum, may differ from the CPU's), integer adds are atomics. Index checks that raise
(take's mode='raise', gather_nd's bounds, the sequence lengths) read the indices to the host first.
"""
import numpy as np

from ..reference.indexing import check_nd_index
from .array import CLStorage
from .elemwise import _PREAMBLE, _contig_strides, ctype, launch_1d
from .reduce import KERNELS as _REDUCE
from .shape import _BITS, bits, same_memory, strided_copy, strided_fill

__all__ = ["KERNELS"]

_ATOMIC = {
    "float": "inline void add_to(volatile __global T* p, T v) { union { uint u; float f; } a, b;"
             " do { a.f = *p; b.f = a.f + v; } while (atomic_cmpxchg((volatile __global uint*)p,"
             " a.u, b.u) != a.u); }\n",
    "double": "#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable\n"
              "inline void add_to(volatile __global T* p, T v) { union { ulong u; double f; } a, b;"
              " do { a.f = *p; b.f = a.f + v; } while (atom_cmpxchg((volatile __global ulong*)p,"
              " a.u, b.u) != a.u); }\n",
    "int": "inline void add_to(volatile __global T* p, T v) { atomic_add(p, v); }\n",
    "long": "#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable\n"
            "inline void add_to(volatile __global T* p, T v) { atom_add(p, v); }\n",
}

_BODY = """
inline long fix(TI raw, long n, int mode) {
  long k = (long)raw;
  if (mode == 1) return n ? ((k % n) + n) % n : k;      /* wrap */
  if (mode == 2) return k < 0 ? k + n : k;              /* numpy's negative indices */
  return k < 0 ? 0 : (k > n - 1 ? (n > 0 ? n - 1 : 0) : k);   /* clip */
}
/* out (outer, m, inner) = data (outer, n, inner) at idx[m]; ADD: the scatter-add back */
__kernel void take(__global T* out, long oo, __global const T* data, long dof,
                   __global const TI* idx, long iof, long total, long n, long m, long inner,
                   int mode) {
  long g = get_global_id(0); if (g >= total) return;
  uint u = (uint)g, r = u % (uint)inner, j = (u / (uint)inner) % (uint)m;   /* total < 2**32 */
  uint o = u / ((uint)inner * (uint)m);
  long src = ((long)o * n + fix(idx[iof + j], n, mode)) * inner + r;
#ifdef ADD
  add_to(out + oo + src, data[dof + g]);
#else
  out[oo + g] = data[dof + src];
#endif
}
__kernel void batch_take(__global T* out, long oo, __global const T* a, long aof,
                         __global const TI* idx, long iof, long rows, long m) {
  long g = get_global_id(0); if (g >= rows) return;
  out[oo + g] = a[aof + g * m + fix(idx[iof + g], m, 0)];
}
/* gather_nd: out (N, inner) from data (d0..d{M-1}, inner); ND_SET/ND_ADD: the scatters */
__kernel void gnd(__global T* out, long oo, __global const T* data, long dof,
                  __global const TI* idx, long iof, long total, long N, long inner, int M,
                  long d0, long d1, long d2, long d3, long d4, long d5, long d6, long d7, int op) {
  long g = get_global_id(0); if (g >= total) return;
  long d[8] = {d0, d1, d2, d3, d4, d5, d6, d7};
  long j = g / inner, r = g % inner, off = 0;
  for (int k = 0; k < M; k++) off = off * d[k] + fix(idx[iof + k * N + j], d[k], 2);
  off = off * inner + r;
#ifdef ADD
  add_to(out + oo + off, data[dof + g]);
#else
  if (op == 0) out[oo + g] = data[dof + off]; else out[oo + off] = data[dof + g];
#endif
}
__kernel void one_hot(__global T* out, long oo, __global const TI* idx, long iof, long total,
                      long depth, T on, T off) {
  long g = get_global_id(0); if (g >= total) return;
  long k = (long)idx[iof + g / depth];
  out[oo + g] = (k == g % depth) ? on : off;
}
__kernel void index_copy(__global T* out, long oo, __global const T* src, long sof,
                         __global const TI* idx, long iof, long total, long n, long inner) {
  long g = get_global_id(0); if (g >= total) return;
  long k = (long)idx[iof + g / inner];
  if (k >= 0 && k < n) out[oo + k * inner + g % inner] = src[sof + g];
}
/* where: cond (TI) read once per `inner` elements (a 1-d condition picks whole rows) */
__kernel void where(__global T* out, long oo, __global const TI* c, long cof,
                    __global const T* x, long xof, __global const T* y, long yof, long total,
                    long inner) {
  long g = get_global_id(0); if (g >= total) return;
  out[oo + g] = c[cof + g / inner] != 0 ? x[xof + g] : y[yof + g];
}
/* data (A, B, rest) with time on axis `axis` (0 or 1); lens (TI) per batch entry */
__kernel void seq(__global T* out, long oo, __global const T* data, long dof,
                  __global const TI* lens, long lof, long total, long A, long B, long rest,
                  int axis, int op, T v) {
  long g = get_global_id(0); if (g >= total) return;
  long r = g % rest, a = (g / rest) % B, o = g / (rest * B);    /* g over (A, B, rest) */
  if (op == 0) {            /* mask */
    long t = axis == 0 ? o : a, b = axis == 0 ? a : o;
    out[oo + g] = t >= (long)lens[lof + b] ? v : data[dof + g];
  } else if (op == 1) {     /* reverse (axis 0): out[t, b] = data[src, b] */
    long L = (long)lens[lof + a];
    long t = o < L ? L - 1 - o : o;
    out[oo + g] = data[dof + (t * B + a) * rest + r];
  } else {                  /* last: g over (batch, rest) */
    long b = g / rest, t = (long)lens[lof + b] - 1;
    out[oo + g] = data[dof + (axis == 0 ? (t * B + b) : (b * B + t)) * rest + g % rest];
  }
}
"""

_RAVEL = """
__kernel void ravel(__global T* out, long oo, __global const TI* idx, long iof, long N, int M,
                    long d0, long d1, long d2, long d3, long d4, long d5, long d6, long d7,
                    int inverse) {
  long g = get_global_id(0); if (g >= N) return;
  long d[8] = {d0, d1, d2, d3, d4, d5, d6, d7};
  if (!inverse) {
    long flat = 0;
    for (int k = 0; k < M; k++) flat = flat * d[k] + (long)idx[iof + k * N + g];
    out[oo + g] = (T)flat;
    return;
  }
  long rest = (long)idx[iof + g];
  for (int k = M - 1; k > 0; k--) {
    long rem = rest % d[k];        /* C's %: the sign of the dividend, as MXNet */
    out[oo + k * N + g] = (T)rem;
    rest = (rest - rem) / d[k];
  }
  if (M) out[oo + g] = (T)rest;
}
"""


def _index_type(index):
    return None if index.dtype == np.float16 else ctype(index.dtype)


def _prog(dev, T, TI, name, add=False, ravel=False):
    head = f"{_PREAMBLE}#define T {T}\n#define TI {TI}\n"
    if add:
        head += "#define ADD\n" + _ATOMIC[T]
    return dev.kernel(head + (_RAVEL if ravel else _BODY), name)


def _bits_type(arr):
    return _BITS.get(arr.dtype.itemsize)


def _add_type(dev, arr):
    T = ctype(arr.dtype)
    if T not in _ATOMIC or (T == "double" and not dev.fp64):
        return None
    if T in ("double", "long") and "cl_khr_int64_base_atomics" not in dev.device.extensions:
        return None
    return T


def _ptr(a):
    return [a.buf, np.int64(a.offset)]


def _take_geometry(shape, axis, nidx):
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
    return outer * nidx * inner, shape[axis], inner


def _take(a, indices, out, axis, mode):
    dev = out.dev
    T, TI = _bits_type(a), _index_type(indices)
    if T is None or TI is None or out.dtype != a.dtype:
        return NotImplemented
    total, n, inner = _take_geometry(a.shape, axis, indices.size)
    if total == 0:
        return None
    if total >= 1 << 32:
        return NotImplemented     # the kernel's index math is 32-bit
    if n == 0:
        return NotImplemented    # the CPU kernel raises the error
    if mode == "raise":
        host = CLStorage.to_numpy(indices)
        if host.size and (host.min() < 0 or host.max() > n - 1):
            raise IndexError(f"take: indices out of range for axis {axis} with size {n} "
                             f"(mode='raise' accepts 0..{n - 1})")
    launch_1d(dev, _prog(dev, T, TI, "take"), total, *_ptr(out), *_ptr(a), *_ptr(indices),
              np.int64(total), np.int64(n), np.int64(indices.size), np.int64(inner),
              np.int32(mode == "wrap"))
    return None


def take(ins, outs, attrs):
    return _take(ins[0], ins[1], outs[0], attrs["axis"] % ins[0].ndim, attrs["mode"])


def embedding(ins, outs, attrs):
    return _take(ins[1], ins[0], outs[0], 0, "clip")


def backward_take(ins, outs, attrs):
    ograd, indices = ins
    out = outs[0]
    dev = out.dev
    T, TI = _add_type(dev, out), _index_type(indices)
    if T is None or TI is None or ograd.dtype != out.dtype:
        return NotImplemented
    strided_fill(out, 0)
    axis = attrs["axis"] % out.ndim
    total, n, inner = _take_geometry(out.shape, axis, indices.size)
    if total == 0 or n == 0:
        return None
    if total >= 1 << 32:
        return NotImplemented
    launch_1d(dev, _prog(dev, T, TI, "take", add=True), total, *_ptr(out), *_ptr(ograd),
              *_ptr(indices), np.int64(total), np.int64(n), np.int64(indices.size),
              np.int64(inner), np.int32(attrs["mode"] == "wrap"))
    return None


def batch_take(ins, outs, attrs):
    a, indices = ins
    out = outs[0]
    dev = out.dev
    T, TI = _bits_type(a), _index_type(indices)
    if T is None or TI is None or out.dtype != a.dtype:
        return NotImplemented
    m = a.shape[-1]
    launch_1d(dev, _prog(dev, T, TI, "batch_take"), out.size, *_ptr(out), *_ptr(a),
              *_ptr(indices), np.int64(out.size), np.int64(m))
    return None


def _nd(data_like, indices, out, src, shape, op, T):
    """gather_nd (op 0: out from data at the indices) and the scatters (op 1: out at them)."""
    dev = out.dev
    TI = _index_type(indices)
    if T is None or TI is None or len(shape) < indices.shape[0] or indices.shape[0] > 8:
        return NotImplemented
    check_nd_index(CLStorage.to_numpy(indices).astype(np.int64), shape)
    M = indices.shape[0]
    N = indices.size // M if M else 0
    inner = int(np.prod(shape[M:], dtype=np.int64))
    total = N * inner
    if total == 0:
        return None
    dims = list(shape[:M]) + [1] * (8 - M)
    launch_1d(dev, _prog(dev, T, TI, "gnd", add=op == 2), total, *_ptr(out), *_ptr(src),
              *_ptr(indices), np.int64(total), np.int64(N), np.int64(inner), np.int32(M),
              *[np.int64(d) for d in dims], np.int32(min(op, 1)))
    return None


def gather_nd(ins, outs, attrs):
    data, indices = ins
    if outs[0].dtype != data.dtype:
        return NotImplemented
    return _nd(data, indices, outs[0], data, data.shape, 0, _bits_type(data))


def scatter_nd(ins, outs, attrs):
    data, indices = ins
    out = outs[0]
    if out.dtype != data.dtype or strided_fill(out, 0) is NotImplemented:
        return NotImplemented
    return _nd(out, indices, out, data, out.shape, 1, _bits_type(data))


def backward_gather_nd(ins, outs, attrs):
    data, indices = ins
    out = outs[0]
    T = _add_type(out.dev, out)
    if T is None or out.dtype != data.dtype:
        return NotImplemented
    strided_fill(out, 0)
    return _nd(out, indices, out, data, out.shape, 2, T)


def scatter_set_nd(ins, outs, attrs):
    lhs, rhs, indices = ins
    out = outs[0]
    T = _bits_type(lhs)
    if T is None or _index_type(indices) is None or out.dtype != lhs.dtype:
        return NotImplemented
    if not same_memory(lhs, out):
        st = _contig_strides(lhs.shape)
        strided_copy(lhs, 0, lhs.shape, st, out, 0, st)
    return _nd(out, indices, out, rhs, out.shape, 1, T)


def one_hot(ins, outs, attrs):
    indices, out = ins[0], outs[0]
    dev = out.dev
    T, TI = _bits_type(out), _index_type(indices)
    depth = attrs["depth"]
    if T is None or TI is None:
        return NotImplemented
    if not depth or not out.size:
        return None
    launch_1d(dev, _prog(dev, T, TI, "one_hot"), out.size, *_ptr(out), *_ptr(indices),
              np.int64(out.size), np.int64(depth), bits(attrs["on_value"], out.dtype),
              bits(attrs["off_value"], out.dtype))
    return None


def index_copy(ins, outs, attrs):
    old, index, new = ins
    out = outs[0]
    dev = out.dev
    T, TI = _bits_type(old), _index_type(index)
    if T is None or TI is None or out.dtype != old.dtype or new.dtype != old.dtype:
        return NotImplemented
    if not same_memory(old, out):
        st = _contig_strides(old.shape)
        strided_copy(old, 0, old.shape, st, out, 0, st)
    if new.size:
        inner = new.size // max(index.size, 1)
        launch_1d(dev, _prog(dev, T, TI, "index_copy"), new.size, *_ptr(out), *_ptr(new),
                  *_ptr(index), np.int64(new.size), np.int64(old.shape[0]), np.int64(inner))
    return None


def _ravel(inverse):
    def kernel(ins, outs, attrs):
        x, out = ins[0], outs[0]
        dev = out.dev
        T, TI = ctype(out.dtype), _index_type(x)
        shape = tuple(attrs["shape"])
        if T is None or TI is None or len(shape) > 8 or (
                not dev.fp64 and np.dtype(np.float64) in (x.dtype, out.dtype)):
            return NotImplemented
        N = x.size if inverse else (x.size // x.shape[0] if x.shape[0] else 0)
        if N == 0:
            return None
        launch_1d(dev, _prog(dev, T, TI, "ravel", ravel=True), N, *_ptr(out), *_ptr(x),
                  np.int64(N), np.int32(len(shape)),
                  *[np.int64(d) for d in list(shape) + [1] * (8 - len(shape))],
                  np.int32(inverse))
        return None
    return kernel


def where(ins, outs, attrs):
    cond, x, y = ins
    out = outs[0]
    dev = out.dev
    T, TI = _bits_type(x), _index_type(cond)
    if T is None or TI is None or not (x.dtype == y.dtype == out.dtype) or x.shape != y.shape:
        return NotImplemented
    if out.size:
        launch_1d(dev, _prog(dev, T, TI, "where"), out.size, *_ptr(out), *_ptr(cond), *_ptr(x),
                  *_ptr(y), np.int64(out.size), np.int64(out.size // max(cond.size, 1)))
    return None


def _check_lengths(lengths, low, steps, name):
    host = CLStorage.to_numpy(lengths).astype(np.int64)
    bad = (host < low) | (host > steps)
    if bad.any():
        raise IndexError(f"{name}: sequence_length {host[bad][0]} is out of range: lengths must "
                         f"be in [{low}, {steps}] for {steps} time steps")


def _seq(data, lengths, out, op, axis, value=0):
    dev = out.dev
    T, TI = _bits_type(data), _index_type(lengths)
    if T is None or TI is None or out.dtype != data.dtype:
        return NotImplemented
    A, B = data.shape[0], data.shape[1]
    rest = data.size // max(A * B, 1)
    if out.size:
        launch_1d(dev, _prog(dev, T, TI, "seq"), out.size, *_ptr(out), *_ptr(data),
                  *_ptr(lengths), np.int64(out.size), np.int64(A), np.int64(B), np.int64(rest),
                  np.int32(axis), np.int32(op), bits(value, data.dtype))
    return None


def _copy_all(x, out):
    st = _contig_strides(x.shape)
    return strided_copy(x, 0, x.shape, st, out, 0, st)


def sequence_mask(ins, outs, attrs):
    if not attrs["use_sequence_length"]:
        return _copy_all(ins[0], outs[0])
    return _seq(ins[0], ins[1], outs[0], 0, attrs["axis"], attrs["value"])


def sequence_reverse(ins, outs, attrs):
    data, out = ins[0], outs[0]
    if not attrs["use_sequence_length"]:
        st = _contig_strides(data.shape)
        return strided_copy(data, (data.shape[0] - 1) * st[0], data.shape, [-st[0]] + st[1:],
                            out, 0, st)
    _check_lengths(ins[1], 0, data.shape[0], "SequenceReverse")
    return _seq(data, ins[1], out, 1, 0)


def sequence_last(ins, outs, attrs):
    data, out, axis = ins[0], outs[0], attrs["axis"]
    steps = data.shape[axis]
    if not attrs["use_sequence_length"]:
        st = _contig_strides(data.shape)
        return strided_copy(data, (steps - 1) * st[axis], out.shape,
                            st[:axis] + st[axis + 1:], out, 0, _contig_strides(out.shape))
    _check_lengths(ins[1], 1, steps, "SequenceLast")
    return _seq(data, ins[1], out, 2, axis)


def argmax_channel(ins, outs, attrs):
    return _REDUCE["argmax"](ins, outs, {"axis": 1})


KERNELS = {
    "take": take, "Embedding": embedding, "_backward_take": backward_take,
    "batch_take": batch_take, "gather_nd": gather_nd, "scatter_nd": scatter_nd,
    "_backward_gather_nd": backward_gather_nd, "_scatter_set_nd": scatter_set_nd,
    "one_hot": one_hot, "_contrib_index_copy": index_copy,
    "_ravel_multi_index": _ravel(False), "_unravel_index": _ravel(True), "where": where,
    "SequenceMask": sequence_mask, "SequenceReverse": sequence_reverse,
    "SequenceLast": sequence_last, "argmax_channel": argmax_channel,
}
