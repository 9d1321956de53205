"""pick and its backward (what SoftmaxCrossEntropyLoss uses), one work item per picked element.

The data is viewed as ``(outer, n, inner)`` around ``axis``; the index array (any numeric dtype,
truncated toward zero as C casts) has ``outer * inner`` elements; ``mode`` is clip or wrap.
"""
import numpy as np

from .elemwise import _PREAMBLE, ctype, fill, floats, launch_1d

__all__ = ["KERNELS"]

_SRC = _PREAMBLE + """#define T {T}
#define TI {TI}
inline long fix_index(TI raw, long n, int wrap) {{
  long k = (long)raw;
  if (wrap) return n ? ((k % n) + n) % n : k;
  return k < 0 ? 0 : (k > n - 1 ? (n > 0 ? n - 1 : 0) : k);
}}
__kernel void pick(__global T* out, long oo, __global const T* data, long dof,
                   __global const TI* index, long iof, long m, long n, long inner, int wrap) {{
  long g = get_global_id(0); if (g >= m) return;
  long k = fix_index(index[iof + g], n, wrap);
  out[oo + g] = data[dof + (g / inner) * n * inner + k * inner + g % inner];
}}
__kernel void pick_bwd(__global T* out, long oo, __global const T* ograd, long gof,
                       __global const TI* index, long iof, long m, long n, long inner, int wrap) {{
  long g = get_global_id(0); if (g >= m) return;
  long k = fix_index(index[iof + g], n, wrap);
  out[oo + (g / inner) * n * inner + k * inner + g % inner] = ograd[gof + g];
}}
"""


def _geometry(shape, axis):
    axis %= len(shape)
    inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
    return shape[axis], inner


def pick(ins, outs, attrs):
    data, index = ins
    out = outs[0]
    dev = out.dev
    if not floats(dev, data, out) or ctype(index.dtype) is None or index.dtype == np.bool_:
        return NotImplemented
    n, inner = _geometry(data.shape, attrs["axis"])
    k = dev.kernel(_SRC.format(T=ctype(data.dtype), TI=ctype(index.dtype)), "pick")
    launch_1d(dev, k, out.size, out.buf, np.int64(out.offset), data.buf, np.int64(data.offset),
              index.buf, np.int64(index.offset), np.int64(out.size), np.int64(n),
              np.int64(inner), np.int32(attrs["mode"] == "wrap"))
    return None


def backward_pick(ins, outs, attrs):
    ograd, index = ins
    out = outs[0]
    dev = out.dev
    if not floats(dev, ograd, out) or ctype(index.dtype) is None or index.dtype == np.bool_:
        return NotImplemented
    fill(out, 0)
    n, inner = _geometry(out.shape, attrs["axis"])
    k = dev.kernel(_SRC.format(T=ctype(out.dtype), TI=ctype(index.dtype)), "pick_bwd")
    launch_1d(dev, k, ograd.size, out.buf, np.int64(out.offset), ograd.buf, np.int64(ograd.offset),
              index.buf, np.int64(index.offset), np.int64(ograd.size), np.int64(n),
              np.int64(inner), np.int32(attrs["mode"] == "wrap"))
    return None


KERNELS = {"pick": pick, "_backward_pick": backward_pick}
