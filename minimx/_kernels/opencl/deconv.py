"""Deconvolution (NCHW / NCW, one group): Convolution's data gradient, through conv.py.

A Deconvolution of ``data`` (N, C, H, W) with ``weight`` (C, F, KH, KW) is exactly the data
gradient of a Convolution whose weight is ``weight`` and whose output gradient is ``data``:
``cols[n] = weight.T @ data[n]`` (a GEMM), then col2im gathers each output pixel's columns. The
pad is MXNet's ``InferPad`` (from ``target_shape`` or ``pad``/``adj``); ``adj``'s extra rows are
the pixels no column reaches (zero, plus the bias). 1-d runs as 2-d with a unit height.

Groups and 3-d run ``deconv_direct`` instead: one work item per output element, which gathers
``data * weight`` over its group's channels and the kernel offsets that reach it (the transpose
of a direct convolution; bilinear UpSampling, a depthwise Deconvolution, uses it too).

Its gradients are Convolution ops (``ops/conv.py``'s ``_deconv_grad``): native in conv.py for
one group in 2-d, the host fallback otherwise.
"""
import numpy as np

from .conv import backward_data
from .elemwise import _PREAMBLE, KERNELS as ELEMWISE, ctype, floats, launch_1d
from ..reference.conv import deconv_pad, geometry

__all__ = ["KERNELS", "deconv_direct"]

_SRC = _PREAMBLE + """#define T {T}
#define ACC {ACC}
__kernel void deconv_direct(__global T* out, long oo, __global const T* x, long xo,
                            __global const T* w, long wo, __global const T* bias, long bo,
                            int has_bias, long total, long C, long F, long G, long D, long H,
                            long W, long OD, long OH, long OW, long kd, long kh, long kw, long sd,
                            long sh, long sw, long pd, long ph, long pw, long dd, long dh,
                            long dw) {{
  long i = get_global_id(0); if (i >= total) return;
  long ow = i % OW, t = i / OW, oh = t % OH; t /= OH; long od = t % OD; t /= OD;
  long f = t % F, n = t / F, Fg = F / G, Cg = C / G, g = f / Fg, fi = f % Fg;
  ACC acc = 0;
  for (long a = 0; a < kd; a++) {{
    long y = od + pd - a * dd; if (y < 0 || y % sd) continue;
    long id = y / sd; if (id >= D) continue;
    for (long b = 0; b < kh; b++) {{
      long u = oh + ph - b * dh; if (u < 0 || u % sh) continue;
      long ih = u / sh; if (ih >= H) continue;
      for (long c = 0; c < kw; c++) {{
        long v = ow + pw - c * dw; if (v < 0 || v % sw) continue;
        long iw = v / sw; if (iw >= W) continue;
        for (long ci = g * Cg; ci < (g + 1) * Cg; ci++)
          acc += (ACC)x[xo + ((n * C + ci) * D + id) * H * W + ih * W + iw]
                 * (ACC)w[wo + (((ci * Fg + fi) * kd + a) * kh + b) * kw + c];
      }}
    }}
  }}
  out[oo + i] = (T)(has_bias ? (T)acc + bias[bo + f] : (T)acc);
}}
"""


def _as3d(values, fill):
    return (fill,) * (3 - len(values)) + tuple(values)


def deconv_direct(data, weight, bias, out, kernel, stride, dilate, pad, groups):
    """``out = Deconvolution(data, weight) (+ bias)`` for 1/2/3-d data, any groups."""
    dev = out.dev
    k = dev.families.get(("deconv", out.dtype))
    if k is None:
        src = _SRC.format(T=ctype(out.dtype), ACC="double" if dev.fp64 else "float")
        k = dev.families[("deconv", out.dtype)] = dev.kernel(src, "deconv_direct")
    geo = (_as3d(data.shape[2:], 1) + _as3d(out.shape[2:], 1) + _as3d(kernel, 1)
           + _as3d(stride, 1) + _as3d(pad, 0) + _as3d(dilate, 1))
    b = bias if bias is not None else out
    launch_1d(dev, k, out.size, out.buf, np.int64(out.offset),
              data.buf, np.int64(data.offset), weight.buf, np.int64(weight.offset), b.buf,
              np.int64(b.offset), np.int32(bias is not None), np.int64(out.size),
              np.int64(data.shape[1]), np.int64(out.shape[1]), np.int64(groups),
              *[np.int64(v) for v in geo])


def deconvolution(ins, outs, attrs):
    data, weight = ins[0], ins[1]
    out = outs[0]
    if (data.ndim not in (3, 4, 5) or not floats(out.dev, *ins, out)
            or attrs.get("layout") not in (None, "NCW", "NCHW", "NCDHW")):
        return NotImplemented
    if out.size == 0:
        return None
    kernel, stride, dilate, _ = geometry(attrs)
    pad, _ = deconv_pad(attrs, data.shape[2:], out.shape[2:])
    if attrs["num_group"] != 1 or data.ndim == 5 or data.size == 0:
        deconv_direct(data, weight, None if attrs["no_bias"] else ins[2], out, kernel, stride,
                      dilate, pad, attrs["num_group"])
        return None
    if data.ndim == 3:     # 1-d as 2-d with a unit height
        kernel, stride, dilate, pad = ((1,) + kernel, (1,) + stride, (1,) + dilate,
                                       (0,) + tuple(pad))
        data = data.reshape(data.shape[:2] + (1,) + data.shape[2:])
        weight = weight.reshape(weight.shape[:2] + (1,) + weight.shape[2:])
        out = out.reshape(out.shape[:2] + (1,) + out.shape[2:])
    conv_attrs = dict(attrs, kernel=kernel, stride=stride, dilate=dilate, pad=tuple(pad),
                      layout=None)
    if backward_data((data, weight), (out,), conv_attrs) is NotImplemented:
        return NotImplemented
    if not attrs["no_bias"]:
        bias = ins[2].reshape(1, out.shape[1], 1, 1)
        ELEMWISE["broadcast_add"]((out, bias), (out,), {})
    return None


KERNELS = {"Deconvolution": deconvolution}
