"""The other neural-network ops: LeakyReLU, the softmax variants and losses, the regression
outputs, smooth_l1 / hard_sigmoid / clip / erfinv, the mod family, Dropout and UpSampling.

One program per dtype (``_SRC``) holds the float kernels; ``clip`` (any exact dtype) and ``mod``
(through elemwise.py's scalar and strided families) have their own. Each computes in the
precision the CPU kernel does: double where the reference works in float64 (gelu, smooth_l1,
erfinv, mod, the softmaxes), the data type where numpy would (leaky, elu, selu, hard_sigmoid).

Dropout (and rrelu while training) draws its uniforms from Philox-4x32-10 (counter = element
index, key = two words drawn from the context's generator ``attrs['rng']``), so
``mx.random.seed`` makes it repeatable; its stream differs from the CPU's, as MXNet's GPU stream
differs from its CPU one. The regression outputs, MakeLoss and SVMOutput copy their data forward
(their gradients are other ops). Bilinear UpSampling is deconv.py's depthwise ``deconv_direct``.
"""
import numpy as np

from .array import CLStorage
from .elemwise import (KERNELS as ELEMWISE, _PREAMBLE, _family, _source, _strided_launch,
                       broadcast_strides, ctype, floats, launch_1d)
from .deconv import deconv_direct
from ..reference.nn import _SELU_ALPHA, _SELU_LAMBDA, prelu_gamma_shape
from ..reference.vision import upsampling_bilinear_geometry

__all__ = ["KERNELS"]

LS = 64

_SRC = _PREAMBLE + """#define T {T}
#define ACC {ACC}
#define LS {LS}

__kernel void lrelu(__global T* y, long yo, __global const T* x, long xo, __global const T* gam,
                    long go, long n, long inner, long A1, long s0, long s1, int act, T slope) {{
  long i = get_global_id(0); if (i >= n) return;
  T v = x[xo + i], r;
  if (act == 0) r = v > 0 ? v : v * slope;
  else if (act == 1)
    r = v > 0 ? v : v * gam[go + (i / (A1 * inner)) * s0 + ((i / inner) % A1) * s1];
  else if (act == 2) r = v > 0 ? v : slope * expm1(v);
  else if (act == 3) r = (T){LAMBDA} * (v > 0 ? v : (T){ALPHA} * expm1(v));
  else {{ ACC d = v; r = (T)((ACC)0.5 * d * ((ACC)1 + erf(d * sqrt((ACC)0.5)))); }}
  y[yo + i] = r;
}}

/* op 0 smooth_l1 (a = sigma^2), 1 hard_sigmoid (alpha, beta), 2 erfinv */
ACC erfinv_(ACC y) {{
  ACC a = fabs(y);
  if (y != y) return y;
  if (a >= 1) return a == 1 ? (y > 0 ? INFINITY : -INFINITY) : NAN;
  ACC w = -log((1 - a) * (1 + a)), p;
  if (w < 5) {{
    w -= 2.5; p = 2.81022636e-08; p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w; p = 0.00021858087 + p * w; p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w; p = 0.246640727 + p * w; p = 1.50140941 + p * w;
  }} else {{
    w = sqrt(w) - 3; p = -0.000200214257; p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w; p = -0.00367342844 + p * w; p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w; p = 0.00943887047 + p * w; p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }}
  ACC r = p * a;
  for (int it = 0; it < 3; it++)
    r -= (a > 0.5 ? (1 - a) - erfc(r) : erf(r) - a) / (1.1283791670955126 * exp(-r * r));
  return y >= 0 ? r : -r;
}}

__kernel void unary(__global T* y, long yo, __global const T* x, long xo, long n, int op, ACC a,
                    ACC b, T ta, T tb) {{
  long i = get_global_id(0); if (i >= n) return;
  T v = x[xo + i];
  if (op == 0) {{
    ACC d = v, ad = fabs(d);
    y[yo + i] = (T)(ad < 1 / a ? (ACC)0.5 * a * d * d : ad - (ACC)0.5 / a);
  }} else if (op == 1) {{
    T r = ta * v + tb;
    y[yo + i] = r > 1 ? (T)1 : (r < 0 ? (T)0 : r);
  }} else y[yo + i] = (T)erfinv_((ACC)v);
}}

/* softmax of sign * x along an axis (n elements, inner apart), divided by t, in ACC */
__kernel void smax(__global T* out, long oo, __global const T* in, long io, long rows, long n,
                   long inner, ACC sign, ACC t) {{
  long g = get_global_id(0); if (g >= rows) return;
  long base = (g / inner) * n * inner + g % inner;
  __global const T* x = in + io + base;
  ACC top = -INFINITY;
  for (long j = 0; j < n; j++) {{
    ACC v = sign * x[j * inner];
    top = (v > top || v != v) ? v : top;
  }}
  ACC total = 0;
  for (long j = 0; j < n; j++) total += exp((sign * x[j * inner] - top) / t);
  for (long j = 0; j < n; j++)
    out[oo + base + j * inner] = (T)(exp((sign * x[j * inner] - top) / t) / total);
}}

__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void sce(__global T* out, long oo, __global const T* x, long xo, __global const T* label, long lo,
         long N, long C) {{
  __local ACC buf[LS];
  int l = get_local_id(0);
  long size = N * C;
  ACC s = 0;
  for (long i = l; i < N; i += LS) {{
    long idx = (i * C + (long)trunc((ACC)label[lo + i])) % size;
    if (idx < 0) idx += size;
    __global const T* row = x + xo + (idx / C) * C;
    ACC top = -INFINITY, total = 0;
    for (long j = 0; j < C; j++) {{ ACC v = row[j]; top = (v > top || v != v) ? v : top; }}
    for (long j = 0; j < C; j++) total += exp((ACC)row[j] - top);
    s += ((ACC)row[idx % C] - top) - log(total);
  }}
  buf[l] = s;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int k = LS / 2; k > 0; k >>= 1) {{
    if (l < k) buf[l] += buf[l + k];
    barrier(CLK_LOCAL_MEM_FENCE);
  }}
  if (l == 0) out[oo] = (T)(-buf[0]);
}}

uint4 philox(uint4 c, uint2 k) {{
  for (int r = 0; r < 10; r++) {{
    uint hi0 = mul_hi(0xD2511F53u, c.x), lo0 = 0xD2511F53u * c.x;
    uint hi1 = mul_hi(0xCD9E8D57u, c.z), lo1 = 0xCD9E8D57u * c.z;
    c = (uint4)(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k.x += 0x9E3779B9u; k.y += 0xBB67AE85u;
  }}
  return c;
}}

/* mask = (u < keep ? scale : 0 * scale) from Philox uniforms; out = x * mask when x is given */
__kernel void dropout(__global T* out, long oo, __global T* mask, long mo, __global const T* x,
                      long xo, long n, uint k0, uint k1, ACC keep, ACC scale, int with_x) {{
  long i = get_global_id(0); if (i >= n) return;
  uint4 r = philox((uint4)((uint)i, (uint)(i >> 32), 0u, 0u), (uint2)(k0, k1));
  ACC u = {UNIFORM};
  T m = (T)(u < keep ? scale : (ACC)0 * scale);
  mask[mo + i] = m;
  if (with_x) out[oo + i] = x[xo + i] * m;
}}

/* rrelu while training: a slope lo + width * u per element, kept in mask for the backward */
__kernel void rrelu(__global T* y, long yo, __global T* mask, long mo, __global const T* x,
                    long xo, long n, uint k0, uint k1, ACC lo, ACC width) {{
  long i = get_global_id(0); if (i >= n) return;
  uint4 r = philox((uint4)((uint)i, (uint)(i >> 32), 0u, 0u), (uint2)(k0, k1));
  ACC slope = lo + width * ({UNIFORM});
  T v = x[xo + i];
  mask[mo + i] = (T)slope;
  y[yo + i] = v > 0 ? v : (T)((ACC)v * slope);
}}

__kernel void upsample_nn(__global T* y, long yo, __global const T* x, long xo, long total, long Ci,
                       long Ctot, long cb, long OH, long OW, long H, long W, long s, int add) {{
  long i = get_global_id(0); if (i >= total) return;
  long ow = i % OW, t = i / OW, oh = t % OH; t /= OH; long c = t % Ci, n = t / Ci;
  T v = x[xo + ((n * Ci + c) * H + oh / s) * W + ow / s];
  long o = yo + ((n * Ctot + cb + c) * OH + oh) * OW + ow;
  y[o] = add ? y[o] + v : v;
}}
"""

_U53 = "(ACC)((ulong)(r.x >> 5) * 67108864UL + (r.y >> 6)) / (ACC)9007199254740992.0"
_U24 = "(ACC)(r.x >> 8) / (ACC)16777216.0f"


def _kernel(dev, dtype, name):
    key = ("nn_extra", dtype, name)     # skip formatting the source on every call
    k = dev.families.get(key)
    if k is None:
        src = _SRC.format(T=ctype(dtype), ACC="double" if dev.fp64 else "float", LS=LS,
                          LAMBDA=repr(_SELU_LAMBDA), ALPHA=repr(_SELU_ALPHA),
                          UNIFORM=_U53 if dev.fp64 else _U24)
        k = dev.families[key] = dev.kernel(src, name)
    return k


def _acc(dev):
    return np.float64 if dev.fp64 else np.float32


def _arg(a):
    return (a.buf, np.int64(a.offset))


_ACTS = {"leaky": 0, "rrelu": 0, "prelu": 1, "elu": 2, "selu": 3, "gelu": 4}


def leaky_relu(ins, outs, attrs):
    x, y = ins[0], outs[0]
    dev = y.dev
    act = attrs["act_type"]
    if not floats(dev, x, y):
        return NotImplemented
    if act == "rrelu" and attrs["is_train"]:
        key = _philox_key(attrs)
        if key is None or not floats(dev, x, outs[1]):
            return NotImplemented
        lo, hi = attrs["lower_bound"], attrs["upper_bound"]
        acc = _acc(dev)
        launch_1d(dev, _kernel(dev, x.dtype, "rrelu"), y.size, *_arg(y), *_arg(outs[1]),
                  *_arg(x), np.int64(y.size), *key, acc(lo), acc(hi - lo))
        return None
    slope = attrs["slope"]
    gam, s0, s1 = y, 0, 0
    a1 = x.shape[1] if x.ndim > 1 else 1
    if act == "prelu":
        gam = ins[1]
        shape = prelu_gamma_shape(gam.shape, x.shape)
        if shape is None or gam.dtype != x.dtype:
            return NotImplemented
        r0, r1 = shape[0], (shape[1] if x.ndim > 1 else 1)
        s0, s1 = (r1 if r0 > 1 else 0), (1 if r1 > 1 else 0)
    elif act == "rrelu":
        slope = (attrs["lower_bound"] + attrs["upper_bound"]) / 2
        ELEMWISE["_zeros"]((), (outs[1],), {})     # MXNet's mask is zeros outside training
    if y.size:
        inner = x.size // (x.shape[0] * a1) if x.size else 1
        launch_1d(dev, _kernel(dev, x.dtype, "lrelu"), y.size, *_arg(y), *_arg(x), *_arg(gam),
                  np.int64(y.size), np.int64(inner), np.int64(a1), np.int64(s0), np.int64(s1),
                  np.int32(_ACTS[act]), x.dtype.type(slope))
    return None


def _unary(op):
    def kernel(ins, outs, attrs):
        x, y = ins[0], outs[0]
        dev = y.dev
        if not floats(dev, x, y) or (op == 2 and not dev.fp64):
            return NotImplemented
        t, acc = x.dtype.type, _acc(dev)
        a = b = 0.0
        if op == 0:
            a = np.float64(attrs["scalar"]) ** 2
        elif op == 1:
            a, b = np.float32(attrs["alpha"]), np.float32(attrs["beta"])
        launch_1d(dev, _kernel(dev, x.dtype, "unary"), y.size, *_arg(y), *_arg(x),
                  np.int64(y.size), np.int32(op), acc(a), acc(b), t(a), t(b))
        return None
    return kernel


def clip(ins, outs, attrs):
    x, y = ins[0], outs[0]
    dev = y.dev
    T = ctype(x.dtype)
    if T is None or x.dtype != y.dtype or x.dtype == np.bool_ or not dev.fp64:
        return NotImplemented
    lo, hi = np.float64(np.float32(attrs["a_min"])), np.float64(np.float32(attrs["a_max"]))
    with np.errstate(all="ignore"):
        tlo, thi = np.array(lo).astype(x.dtype)[()], np.array(hi).astype(x.dtype)[()]
    src = _source("clip", T, "__global const T* in, long io, double lo, double hi, T tlo, T thi",
                  "T v = in[io + i];"
                  " out[oo + i] = (double)v > hi ? thi : ((double)v < lo ? tlo : v);")
    launch_1d(dev, dev.kernel(src, "clip"), y.size, *_arg(y), *_arg(x), lo, hi, tlo, thi,
              np.int64(y.size))
    return None


# Python's modulo in double (the sign of b; x mod 0 = 0), as the CPU kernel computes it.
_FM = "fmod((double)a, (double)b)"
_MOD = {"mod": f"b == 0 ? (T)0 : (T)({_FM} + (({_FM} != 0 && (({_FM} < 0) != ((double)b < 0)))"
               " ? (double)b : 0.0))"}


def _mod_ok(dev, *arrays):
    d = arrays[0].dtype
    return dev.fp64 and ctype(d) is not None and d != np.bool_ and all(a.dtype == d for a in arrays)


def broadcast_mod(ins, outs, attrs):
    a, b = ins
    out = outs[0]
    if not _mod_ok(out.dev, a, b, out):
        return NotImplemented
    return _strided_launch(out.dev, _MOD, "mod", ctype(out.dtype), out, (a, b),
                           (broadcast_strides(a.shape, out.shape),
                            broadcast_strides(b.shape, out.shape)))


def _mod_scalar(reflected):
    load = "T b = in[io + i]; T a = s;" if reflected else "T a = in[io + i]; T b = s;"

    def kernel(ins, outs, attrs):
        x, out = ins[0], outs[0]
        dev = out.dev
        if not _mod_ok(dev, x, out):
            return NotImplemented
        T = ctype(x.dtype)
        s = np.array(attrs["scalar"]).astype(x.dtype)[()]     # cast to the dtype first (MXNet)
        k, extra = _family(dev, "rmodscalar" if reflected else "modscalar", _MOD, "mod", T,
                           "__global const T* in, long io, T s", load)
        launch_1d(dev, k, out.size, *_arg(out), *_arg(x), s, *extra, np.int64(out.size))
        return None
    return kernel


def _softmax_rows(x, out, axis, sign=1.0, temperature=None):
    dev = out.dev
    axis %= x.ndim
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    rows, acc = outer * inner, _acc(dev)
    launch_1d(dev, _kernel(dev, x.dtype, "smax"), rows, *_arg(out), *_arg(x), np.int64(rows),
              np.int64(x.shape[axis]), np.int64(inner), acc(sign),
              acc(1.0 if temperature is None else temperature))


def softmin(ins, outs, attrs):
    x, out = ins[0], outs[0]
    if len(ins) > 1 or not floats(out.dev, x, out):
        return NotImplemented
    if out.size:
        _softmax_rows(x, out, attrs["axis"], -1.0, attrs["temperature"])
    return None


def softmax_activation(ins, outs, attrs):
    x, out = ins[0], outs[0]
    if not floats(out.dev, x, out):
        return NotImplemented
    if out.size:
        _softmax_rows(x, out, 1 if attrs["mode"] == "channel" else -1)
    return None


def softmax_output(ins, outs, attrs):
    x, out = ins[0], outs[0]
    if not floats(out.dev, x, out):
        return NotImplemented
    if out.size:
        if attrs["multi_output"]:
            _softmax_rows(x, out, 1)
        elif attrs["preserve_shape"]:
            _softmax_rows(x, out, -1)
        else:
            n = x.shape[0]
            _softmax_rows(x.reshape(n, -1), out.reshape(n, -1), 1)
    return None


def softmax_cross_entropy(ins, outs, attrs):
    data, label = ins
    out = outs[0]
    dev = out.dev
    if data.ndim != 2 or label.ndim != 1 or not floats(dev, data, label, out):
        return NotImplemented
    if data.size == 0:
        return ELEMWISE["_zeros"]((), (out,), {})
    dev.launch(_kernel(dev, data.dtype, "sce"), (LS,), (LS,), *_arg(out), *_arg(data),
               *_arg(label), np.int64(data.shape[0]), np.int64(data.shape[1]))
    return None


def _philox_key(attrs):
    """Two 32-bit key words drawn from the context's generator (None without one)."""
    rng = attrs.get("rng")
    if not hasattr(rng, "integers"):
        return None
    return tuple(np.uint32(v) for v in rng.integers(0, 1 << 32, size=2, dtype=np.uint64))


def dropout(ins, outs, attrs):
    data = ins[0]
    out, mask = outs
    dev = out.dev
    if not floats(dev, data, out, mask):
        return NotImplemented
    if not (attrs["is_train"] or attrs["mode"] == "always"):
        ELEMWISE["_copy"]((data,), (out,), {})
        return ELEMWISE["_ones"]((), (mask,), {})
    key = _philox_key(attrs)
    if key is None:
        return NotImplemented
    k0, k1 = key
    acc = _acc(dev)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.float64(1.0) / np.float64(1.0 - attrs["p"])    # p = 1: NaN everywhere (MXNet)
    keep = acc(1.0 - attrs["p"])
    axes = [a % data.ndim for a in attrs["axes"]] if data.ndim else []
    k = _kernel(dev, data.dtype, "dropout")
    if not axes:
        launch_1d(dev, k, out.size, *_arg(out), *_arg(mask), *_arg(data), np.int64(out.size),
                  k0, k1, keep, acc(scale), np.int32(1))
        return None
    # Variational dropout: one draw per position of the other axes, broadcast along ``axes``.
    draw = tuple(1 if i in axes else s for i, s in enumerate(data.shape))
    small = CLStorage(dev).alloc(draw, data.dtype)
    launch_1d(dev, k, small.size, *_arg(small), *_arg(small), *_arg(small),
              np.int64(small.size), k0, k1, keep, acc(scale), np.int32(0))
    ELEMWISE["broadcast_to"]((small,), (mask,), {})
    return ELEMWISE["broadcast_mul"]((data, mask), (out,), {})


def upsampling(ins, outs, attrs):
    out = outs[0]
    dev = out.dev
    if not floats(dev, *ins, out) or out.ndim != 4:
        return NotImplemented
    if attrs["sample_type"] == "bilinear":     # a depthwise Deconvolution with the given weight
        scale = attrs["scale"]
        kernel, pad = upsampling_bilinear_geometry(scale)
        deconv_direct(ins[0], ins[1], None, out, (kernel, kernel), (scale, scale), (1, 1),
                      (pad, pad), ins[0].shape[1])
        return None
    k = _kernel(dev, out.dtype, "upsample_nn")
    begin, total_c = 0, out.shape[1]
    for i, x in enumerate(ins):
        s = out.shape[2] // x.shape[2] if x.shape[2] else 1
        n = x.shape[0] * x.shape[1] * out.shape[2] * out.shape[3]
        summed = attrs["multi_input_mode"] == "sum"
        launch_1d(dev, k, n, *_arg(out), *_arg(x), np.int64(n), np.int64(x.shape[1]),
                  np.int64(total_c), np.int64(0 if summed else begin), np.int64(out.shape[2]),
                  np.int64(out.shape[3]), np.int64(x.shape[2]), np.int64(x.shape[3]),
                  np.int64(s), np.int32(summed and i > 0))
        begin += x.shape[1]
    return None


def _forward_copy(ins, outs, attrs):
    return ELEMWISE["_copy"](ins[:1], outs[:1], {})


def _logistic(ins, outs, attrs):
    return ELEMWISE["sigmoid"](ins[:1], outs[:1], {})


KERNELS = {
    "LeakyReLU": leaky_relu,
    "smooth_l1": _unary(0), "hard_sigmoid": _unary(1), "erfinv": _unary(2),
    "clip": clip,
    "broadcast_mod": broadcast_mod, "_mod_scalar": _mod_scalar(False),
    "_rmod_scalar": _mod_scalar(True),
    "softmin": softmin, "SoftmaxActivation": softmax_activation,
    "SoftmaxOutput": softmax_output, "softmax_cross_entropy": softmax_cross_entropy,
    "Dropout": dropout, "UpSampling": upsampling,
    "LinearRegressionOutput": _forward_copy, "MAERegressionOutput": _forward_copy,
    "MakeLoss": _forward_copy, "SVMOutput": _forward_copy,
    "LogisticRegressionOutput": _logistic,
}
