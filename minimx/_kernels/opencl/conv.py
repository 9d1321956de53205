"""2-d Convolution (NCHW, one group) and its gradients through im2col + the tiled GEMM.

- forward: ``cols[n] = im2col(data[n])`` (C*KH*KW x OH*OW), ``out[n] = weight @ cols[n]`` (+ bias);
- weight gradient: ``dW = sum_n ograd[n] @ cols[n].T`` (a batched GEMM, then a sum over n);
- data gradient: ``dcols[n] = weight.T @ ograd[n]``, then col2im gathers, for each input pixel,
  the columns that read it (no atomics).

Other cases (1-d/3-d, groups, other layouts, float16) return NotImplemented: the host fallback.
"""
import numpy as np

from .array import CLStorage
from .elemwise import _PREAMBLE, KERNELS as ELEMWISE, ctype, floats, launch_1d
from .gemm import gemm
from .reduce import KERNELS as REDUCE

__all__ = ["KERNELS"]

_SRC = _PREAMBLE + """#define T {T}
__kernel void im2col(__global T* cols, __global const T* x, long xo, long total, int C, int H,
                     int W, int KH, int KW, int OH, int OW, int sh, int sw, int ph, int pw,
                     int dh, int dw) {{
  long g = get_global_id(0); if (g >= total) return;
  long P = (long)OH * OW, CKK = (long)C * KH * KW;
  long p = g % P, r = (g / P) % CKK, n = g / (P * CKK);
  int c = r / (KH * KW), kh = (r / KW) % KH, kw = r % KW;
  int ih = (p / OW) * sh - ph + kh * dh, iw = (p % OW) * sw - pw + kw * dw;
  cols[g] = (ih >= 0 && ih < H && iw >= 0 && iw < W) ? x[xo + ((n * C + c) * H + ih) * W + iw] : (T)0;
}}
__kernel void col2im(__global T* dx, long dxo, __global const T* cols, long total, int C, int H,
                     int W, int KH, int KW, int OH, int OW, int sh, int sw, int ph, int pw,
                     int dh, int dw) {{
  long g = get_global_id(0); if (g >= total) return;
  int iw = g % W, ih = (g / W) % H; long c = (g / ((long)W * H)) % C, n = g / ((long)W * H * C);
  long P = (long)OH * OW, CKK = (long)C * KH * KW;
  T acc = 0;
  for (int kh = 0; kh < KH; kh++) {{
    int y = ih + ph - kh * dh;
    if (y < 0 || y % sh) continue;
    int oh = y / sh; if (oh >= OH) continue;
    for (int kw = 0; kw < KW; kw++) {{
      int xx = iw + pw - kw * dw;
      if (xx < 0 || xx % sw) continue;
      int ow = xx / sw; if (ow >= OW) continue;
      acc += cols[(n * CKK + (c * KH + kh) * KW + kw) * P + oh * OW + ow];
    }}
  }}
  dx[dxo + g] = acc;
}}
"""


def _geometry(attrs, data_shape, out_shape):
    kernel = tuple(attrs["kernel"])
    if len(kernel) != 2 or attrs["num_group"] != 1 or attrs.get("layout") not in (None, "NCHW"):
        return None
    stride = tuple(attrs["stride"] or (1, 1))
    dilate = tuple(attrs["dilate"] or (1, 1))
    pad = tuple(attrs["pad"] or (0, 0))
    n, c, h, w = data_shape
    oh, ow = out_shape[2:]
    return [np.int32(v) for v in (c, h, w) + kernel + (oh, ow) + stride + pad + dilate], n, c, \
        kernel, oh * ow


def _kernel(dev, dtype, name):
    return dev.kernel(_SRC.format(T=ctype(dtype)), name)


def _im2col(dev, data, geo, n, ckk, p):
    cols = CLStorage(dev).alloc((n, ckk, p), data.dtype)
    total = n * ckk * p
    launch_1d(dev, _kernel(dev, data.dtype, "im2col"), total, cols.buf, data.buf,
              np.int64(data.offset), np.int64(total), *geo)
    return cols


def convolution(ins, outs, attrs):
    data, weight = ins[0], ins[1]
    out = outs[0]
    dev = out.dev
    found = _geometry(attrs, data.shape, out.shape) if data.ndim == 4 else None
    if found is None or not floats(dev, *ins, out) or 0 in data.shape or 0 in out.shape:
        return NotImplemented
    geo, n, c, kernel, p = found
    f, ckk = weight.shape[0], c * kernel[0] * kernel[1]
    cols = _im2col(dev, data, geo, n, ckk, p)
    gemm(out, weight, (0, ckk, 1, 0), cols, (0, p, 1, ckk * p), f, p, ckk, batch=n)
    if not attrs["no_bias"]:
        bias = ins[2].reshape(1, f, 1, 1)
        ELEMWISE["broadcast_add"]((out, bias), (out,), {})
    return None


def backward_weight(ins, outs, attrs):
    ograd, data = ins
    dw = outs[0]
    dev = dw.dev
    found = _geometry(attrs, data.shape, ograd.shape) if data.ndim == 4 else None
    if found is None or not floats(dev, ograd, data, dw) or 0 in data.shape or 0 in ograd.shape:
        return NotImplemented
    geo, n, c, kernel, p = found
    f, ckk = ograd.shape[1], c * kernel[0] * kernel[1]
    cols = _im2col(dev, data, geo, n, ckk, p)
    per_sample = CLStorage(dev).alloc((n, f, ckk), dw.dtype)
    # ograd[n] (F x P) @ cols[n].T (P x CKK): B[k=p, j=ckk] = cols[n, ckk, p]
    gemm(per_sample, ograd, (0, p, 1, f * p), cols, (0, 1, p, ckk * p), f, ckk, p, batch=n)
    REDUCE["sum"]((per_sample,), (dw.reshape(f, ckk),), {"axis": (0,), "exclude": False})
    return None


def backward_data(ins, outs, attrs):
    ograd, weight = ins
    dx = outs[0]
    dev = dx.dev
    found = _geometry(attrs, dx.shape, ograd.shape) if dx.ndim == 4 else None
    if found is None or not floats(dev, ograd, weight, dx) or 0 in dx.shape or 0 in ograd.shape:
        return NotImplemented
    geo, n, c, kernel, p = found
    f, ckk = weight.shape[0], c * kernel[0] * kernel[1]
    dcols = CLStorage(dev).alloc((n, ckk, p), dx.dtype)
    # weight.T (CKK x F) @ ograd[n] (F x P)
    gemm(dcols, weight, (0, 1, ckk, 0), ograd, (0, p, 1, f * p), ckk, p, f, batch=n)
    total = dx.size
    launch_1d(dev, _kernel(dev, dx.dtype, "col2im"), total, dx.buf, np.int64(dx.offset), dcols.buf,
              np.int64(total), *geo)
    return None


KERNELS = {"Convolution": convolution, "_backward_Convolution_weight": backward_weight,
           "_backward_Convolution_data": backward_data}
