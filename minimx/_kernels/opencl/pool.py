"""Pooling (max, avg, sum, lp; 1-d, 2-d and 3-d, NC + spatial layout) and ``_backward_Pooling``.

Both are the CPU kernel's loops (``cpu/pool.pyx``) turned inside out, one work item per element:

- forward: one item per output; its window is cut to the input, max starts at the lowest finite
  value, sums run in double (float on a device without fp64), avg divides by the window counted
  to the padded edge (``count_include_pad``) or by its real elements, lp takes the root.
- backward, without atomics: ``pool_argmax`` finds each output's first input equal to it (max
  pooling gives that one all the gradient, as MXNet); then ``pool_bwd`` runs one item per input,
  which gathers from the outputs whose windows hold it, in the order the CPU kernel scatters
  (so float32 sums round the same way).

1-d and 2-d pooling are 3-d pooling with unit leading axes. One program per dtype.
"""
import numpy as np

from .array import CLStorage
from .elemwise import _PREAMBLE, ctype, floats, launch_1d
from ..reference.pool import geometry

__all__ = ["KERNELS"]

_TYPES = {"max": 0, "avg": 1, "sum": 2, "lp": 3}

_SRC = _PREAMBLE + """#define T {T}
#define ACC {ACC}
#define LOWEST {LOWEST}
#define GEOM long D, long H, long W, long OD, long OH, long OW, long kd, long kh, long kw, \\
             long sd, long sh, long sw, long pd, long ph, long pw

/* the window of output (od, oh, ow): [a0, a1) cut to the input, e the end at the padded edge */
#define WINDOW(o, s, p, k, N, a0, a1, e) long a0 = (o) * (s) - (p); \\
  long e = min(a0 + (k), (N) + (p)); \\
  long a1 = min(e, (N));

__kernel void pool_fwd(__global T* y, long yo, __global const T* x, long xo, long total, GEOM,
                       int ptype, int p, int incl) {{
  long g = get_global_id(0); if (g >= total) return;
  long ow = g % OW, t = g / OW, oh = t % OH; t /= OH; long od = t % OD, plane = t / OD;
  __global const T* xp = x + xo + plane * D * H * W;
  WINDOW(od, sd, pd, kd, D, d0, d1, de) WINDOW(oh, sh, ph, kh, H, h0, h1, he)
  WINDOW(ow, sw, pw, kw, W, w0, w1, we)
  if (ptype == 0) {{
    T m = LOWEST;
    for (long d = max(d0, 0L); d < d1; d++) for (long h = max(h0, 0L); h < h1; h++)
      for (long w = max(w0, 0L); w < w1; w++) {{ T v = xp[(d * H + h) * W + w]; if (v > m) m = v; }}
    y[yo + g] = m;
    return;
  }}
  ACC acc = 0;
  for (long d = max(d0, 0L); d < d1; d++) for (long h = max(h0, 0L); h < h1; h++)
    for (long w = max(w0, 0L); w < w1; w++) {{
      ACC v = xp[(d * H + h) * W + w];
      acc += (ptype == 3 && p == 2) ? v * v : (ptype == 3 && p == 3) ? v * v * v : v;
    }}
  if (ptype == 1) {{
    ACC size = incl ? (ACC)((de - d0) * (he - h0) * (we - w0))
        : (ACC)((d1 - max(d0, 0L)) * (h1 - max(h0, 0L)) * (w1 - max(w0, 0L)));
    acc = size > 0 ? acc / size : (ACC)0;
  }} else if (ptype == 3 && p == 2) acc = sqrt(acc);
  else if (ptype == 3 && p == 3) acc = cbrt(acc);
  y[yo + g] = (T)acc;
}}

/* each output's first input (flat in its plane) equal to it, or -1 */
__kernel void pool_argmax(__global long* arg, __global const T* x, long xo, __global const T* y,
                          long yo, long total, GEOM) {{
  long g = get_global_id(0); if (g >= total) return;
  long ow = g % OW, t = g / OW, oh = t % OH; t /= OH; long od = t % OD, plane = t / OD;
  __global const T* xp = x + xo + plane * D * H * W;
  WINDOW(od, sd, pd, kd, D, d0, d1, de) WINDOW(oh, sh, ph, kh, H, h0, h1, he)
  WINDOW(ow, sw, pw, kw, W, w0, w1, we)
  T out = y[yo + g];
  for (long d = max(d0, 0L); d < d1; d++) for (long h = max(h0, 0L); h < h1; h++)
    for (long w = max(w0, 0L); w < w1; w++) {{
      long i = (d * H + h) * W + w;
      if (xp[i] == out) {{ arg[g] = i; return; }}
    }}
  arg[g] = -1;
}}

/* the outputs along one axis whose windows hold input position i */
#define RANGE(i, s, p, k, O, lo, hi) long lo = (i) + (p) - (k) + 1; \\
  lo = lo <= 0 ? 0 : (lo + (s) - 1) / (s); \\
  long hi = min(((i) + (p)) / (s), (O) - 1);

__kernel void pool_bwd(__global T* dx, long dxo, __global const T* og, long ogo,
                       __global const T* x, long xo, __global const T* y, long yo,
                       __global const long* arg, long total, GEOM, int ptype, int p, int incl) {{
  long g = get_global_id(0); if (g >= total) return;
  long w = g % W, t = g / W, h = t % H; t /= H; long d = t % D, plane = t / D;
  long me = (d * H + h) * W + w, ob = plane * OD * OH * OW;
  ACC xv = x[xo + g];
  RANGE(d, sd, pd, kd, OD, od0, od1) RANGE(h, sh, ph, kh, OH, oh0, oh1)
  RANGE(w, sw, pw, kw, OW, ow0, ow1)
  T acc = 0;
  for (long od = od0; od <= od1; od++) for (long oh = oh0; oh <= oh1; oh++)
    for (long ow = ow0; ow <= ow1; ow++) {{
      long o = ob + (od * OH + oh) * OW + ow;
      ACC grad = og[ogo + o];
      if (ptype == 0) {{ if (arg[o] == me) acc += (T)grad; continue; }}
      if (ptype == 1) {{
        WINDOW(od, sd, pd, kd, D, d0, d1, de) WINDOW(oh, sh, ph, kh, H, h0, h1, he)
        WINDOW(ow, sw, pw, kw, W, w0, w1, we)
        ACC size = incl ? (ACC)((de - d0) * (he - h0) * (we - w0))
            : (ACC)((d1 - max(d0, 0L)) * (h1 - max(h0, 0L)) * (w1 - max(w0, 0L)));
        grad = size > 0 ? grad / size : (ACC)0;
        acc += (T)grad;
      }} else if (ptype == 3 && p == 2) {{
        acc += (T)(grad * xv / (ACC)y[yo + o]);
      }} else if (ptype == 3 && p == 3) {{
        ACC out = y[yo + o];
        acc += (T)(grad * xv * xv / (out * out));
      }} else acc += (T)grad;
    }}
  dx[dxo + g] = acc;
}}
"""


def _kernel(dev, dtype, name):
    key = ("pool", dtype, name)     # skip formatting the source on every call
    k = dev.families.get(key)
    if k is None:
        src = _SRC.format(T=ctype(dtype), ACC="double" if dev.fp64 else "float",
                          LOWEST="-FLT_MAX" if dtype == np.float32 else "-DBL_MAX")
        k = dev.families[key] = dev.kernel(src, name)
    return k


def _as3d(values, fill):
    return (fill,) * (3 - len(values)) + tuple(values)


def _geom(attrs, data_shape, out_shape):
    """The 15 geometry arguments (as 3-d) and the common flags, or None when not covered."""
    if len(data_shape) not in (3, 4, 5):
        return None
    kernel, stride, pad = geometry(attrs, data_shape)
    g = (_as3d(data_shape[2:], 1) + _as3d(out_shape[2:], 1) + _as3d(kernel, 1)
         + _as3d(stride, 1) + _as3d(pad, 0))
    flags = (np.int32(_TYPES[attrs["pool_type"]]), np.int32(attrs["p_value"] or 1),
             np.int32(attrs["count_include_pad"] in (None, True)))
    if attrs["pool_type"] == "lp" and (attrs["p_value"] or 1) not in (1, 2, 3):
        return None
    return [np.int64(v) for v in g], flags


def pooling(ins, outs, attrs):
    data, out = ins[0], outs[0]
    dev = out.dev
    if not floats(dev, data, out):
        return NotImplemented
    if out.size == 0:
        return None
    found = _geom(attrs, data.shape, out.shape)
    if found is None or data.size == 0:
        return NotImplemented
    geo, flags = found
    launch_1d(dev, _kernel(dev, data.dtype, "pool_fwd"), out.size, out.buf, np.int64(out.offset),
              data.buf, np.int64(data.offset), np.int64(out.size), *geo, *flags)
    return None


def backward_pooling(ins, outs, attrs):
    """``ins = (ograd, data, out)``, ``outs = (data_grad,)``; attrs are Pooling's."""
    ograd, data, out = ins
    dx = outs[0]
    dev = dx.dev
    if not floats(dev, ograd, data, out, dx):
        return NotImplemented
    if dx.size == 0:
        return None
    found = _geom(attrs, data.shape, ograd.shape)
    if found is None:
        return NotImplemented
    geo, flags = found
    arg = CLStorage(dev).alloc((max(ograd.size, 1),), np.int64)
    if attrs["pool_type"] == "max" and ograd.size:
        launch_1d(dev, _kernel(dev, data.dtype, "pool_argmax"), ograd.size, arg.buf, data.buf,
                  np.int64(data.offset), out.buf, np.int64(out.offset), np.int64(ograd.size),
                  *geo)
    launch_1d(dev, _kernel(dev, data.dtype, "pool_bwd"), dx.size, dx.buf, np.int64(dx.offset),
              ograd.buf, np.int64(ograd.offset), data.buf, np.int64(data.offset), out.buf,
              np.int64(out.offset), arg.buf, np.int64(dx.size), *geo, *flags)
    return None


KERNELS = {"Pooling": pooling, "_backward_Pooling": backward_pooling}
