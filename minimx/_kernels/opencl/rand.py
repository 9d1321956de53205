"""Arrays generated on the device: random draws (Philox-4x32-10) and ranges (_arange, _eye,
_linspace, _contrib_arange_like).

Random streams: each call takes four 32-bit words from the context's generator ``attrs['rng']``
(a numpy Generator seeded by ``mx.random.seed`` through the storage's ``new_rng``/``reseed``): two
form the Philox key, two the high half of the counter. Work item ``g`` encrypts the counter
``(g, g >> 32, c0, c1)`` and writes elements ``2g`` and ``2g + 1``. So ``mx.random.seed(n)`` makes
``mx.gpu()`` draws repeatable, consecutive calls draw independent streams, and the numbers do not
depend on the work-group size. The numbers differ from the CPU backend's (numpy's PCG64) and
from MXNet's; only the distributions agree, as between MXNet's CPU and GPU.

``PHILOX_SOURCE`` (OpenCL C, no kernels) may be prepended to other programs; it defines::

    uint4  philox4x32_10(uint4 counter, uint2 key);   // Random123's Philox-4x32, 10 rounds
    float  philox_u01f(uint x);                       // [0, 1) from 24 bits of x
    double philox_u01d(uint hi, uint lo);             // [0, 1) from 53 bits (needs fp64)
"""
import numpy as np

from .array import CLStorage
from .elemwise import _PREAMBLE, ctype, launch_1d

__all__ = ["KERNELS", "PHILOX_SOURCE", "philox_words"]

PHILOX_SOURCE = """
inline uint4 philox4x32_10(uint4 c, uint2 k) {
  for (int r = 0; r < 10; r++) {
    uint hi0 = mul_hi(0xD2511F53u, c.x), lo0 = 0xD2511F53u * c.x;
    uint hi1 = mul_hi(0xCD9E8D57u, c.z), lo1 = 0xCD9E8D57u * c.z;
    c = (uint4)(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k += (uint2)(0x9E3779B9u, 0xBB67AE85u);
  }
  return c;
}
inline float philox_u01f(uint x) { return (float)(x >> 8) * 0x1.0p-24f; }
#ifdef cl_khr_fp64
inline double philox_u01d(uint hi, uint lo) {
  return (double)(((ulong)(hi >> 11) << 32) | (ulong)lo) * 0x1.0p-53;
}
#endif
"""

_DRAW = """#pragma OPENCL FP_CONTRACT OFF
#define T {T}
#define TF {TF}
/* dist 0: uniform a + (b - a) u; 1: normal a + b z (Box-Muller); 2: integers a + (bits % span);
   3: exponential -log(1 - u) / a.
   per > 0: a and b are read per distribution from pa[e / per], pb[e / per] (_sample_*) */
__kernel void draw(__global T* out, long oo, long n, uint k0, uint k1, uint c0, uint c1,
                   int dist, TF a, TF b, long lo, ulong span, __global const T* pa, long pao,
                   __global const T* pb, long pbo, long per) {{
  long g = get_global_id(0); if (2 * g >= n) return;
  uint4 r = philox4x32_10((uint4)((uint)g, (uint)(g >> 32), c0, c1), (uint2)(k0, k1));
  TF u[2], v[2];
#if {DBL}
  u[0] = philox_u01d(r.x, r.y); u[1] = philox_u01d(r.z, r.w);
  const TF two_pi = 2 * M_PI;
#else
  u[0] = philox_u01f(r.x); u[1] = philox_u01f(r.z);
  const TF two_pi = 2 * M_PI_F;     /* M_PI is a double: absent without fp64 */
#endif
  if (dist == 1) {{
    TF rad = sqrt((TF)-2 * log((TF)1 - u[0])), t = two_pi * u[1];
    v[0] = rad * cos(t); v[1] = rad * sin(t);
  }}
  for (int h = 0; h < 2; h++) {{
    long e = 2 * g + h; if (e >= n) return;
    TF pa_ = per ? (TF)pa[pao + e / per] : a, pb_ = per ? (TF)pb[pbo + e / per] : b;
    if (dist == 2) {{
      ulong bits = h ? (((ulong)r.z << 32) | r.w) : (((ulong)r.x << 32) | r.y);
      out[oo + e] = (T)(lo + (long)(bits % span));
    }} else if (dist == 3) out[oo + e] = (T)(-log((TF)1 - u[h]) / pa_);
    else if (dist == 1) out[oo + e] = (T)(pa_ + pb_ * v[h]);
    else out[oo + e] = (T)(pa_ + (pb_ - pa_) * u[h]);
  }}
}}
"""

_MULTINOMIAL = """#define T {T}
#define TO {TO}
#define ACC {ACC}
/* inverse CDF, as MXNet: the count of cdf[c] < u (cdf accumulated in ACC, compared in float) */
__kernel void multinomial(__global TO* out, long oo, __global T* logp, long lpo, int get_prob,
                          __global const T* p, long po, long total, long m, long K, uint k0,
                          uint k1, uint c0, uint c1) {{
  long g = get_global_id(0); if (g >= total) return;
  __global const T* row = p + po + (g / m) * K;
  uint4 r = philox4x32_10((uint4)((uint)g, (uint)(g >> 32), c0, c1), (uint2)(k0, k1));
  float u = philox_u01f(r.x);
  ACC acc = 0; long idx = 0;
  for (long c = 0; c < K; c++) {{ acc += (ACC)row[c]; idx += (float)acc < u; }}
  out[oo + g] = (TO)idx;
  if (get_prob) logp[lpo + g] = idx < K ? log(row[idx]) : -INFINITY;
}}
"""

_RANGES = """#pragma OPENCL FP_CONTRACT OFF
#define T {T}
__kernel void arange(__global T* out, long oo, long n, T start, T step, long repeat) {{
  long i = get_global_id(0); if (i >= n) return;
  out[oo + i] = start + (T)(i / repeat) * step;
}}
__kernel void eye(__global T* out, long oo, long n, long m, long k) {{
  long i = get_global_id(0); if (i >= n) return;
  out[oo + i] = (T)(i % m - i / m == k);
}}
#ifdef cl_khr_fp64
/* numpy's linspace in float64: i * step + start (i / div * delta when step is 0), last = stop */
__kernel void linspace(__global T* out, long oo, long n, double start, double stop, double delta,
                       double div, int endpoint) {{
  long i = get_global_id(0); if (i >= n) return;
  double step = div > 0 ? delta / div : 0, y;
  if (div > 0) y = step == 0 ? (double)i / div * delta : (double)i * step;
  else y = (double)i * delta;
  y += start;
  if (endpoint && n > 1 && i == n - 1) y = stop;
  out[oo + i] = (T)y;
}}
__kernel void arange_like(__global T* out, long oo, long n, double start, double step,
                          long repeat) {{
  long i = get_global_id(0); if (i >= n) return;
  out[oo + i] = (T)(start + step * (double)(i / repeat));
}}
#endif
"""


def philox_words(attrs):
    """Four uint32 words (key0, key1, counter2, counter3) from ``attrs['rng']``, or None."""
    rng = attrs.get("rng")
    if not hasattr(rng, "integers"):
        return None
    return [np.uint32(v) for v in rng.integers(0, 1 << 32, size=4, dtype=np.uint64)]


def _draw_kernel(dev, dtype):
    T = ctype(dtype)
    dbl = dtype == np.float64
    TF = "double" if dbl or (dtype == np.int64 and dev.fp64) else "float"
    src = _PREAMBLE + PHILOX_SOURCE + _DRAW.format(T=T, TF=TF, DBL=int(TF == "double"))
    return dev.kernel(src, "draw"), np.float64 if TF == "double" else np.float32


def _draw(out, attrs, dist, a=0.0, b=0.0, lo=0, span=1, params=None):
    dev = out.dev
    words = philox_words(attrs)
    ok = ctype(out.dtype) is not None and out.dtype != np.bool_
    if words is None or not ok or (out.dtype == np.float64 and not dev.fp64):
        return NotImplemented
    if out.size == 0:
        return None
    k, tf = _draw_kernel(dev, out.dtype)
    pa, pb, per = (out, out, 0) if params is None else params
    launch_1d(dev, k, -(-out.size // 2), out.buf, np.int64(out.offset), np.int64(out.size),
              *words, np.int32(dist), tf(a), tf(b), np.int64(lo), np.uint64(span), pa.buf,
              np.int64(pa.offset), pb.buf, np.int64(pb.offset), np.int64(per))
    return None


def _floats_out(out):
    return out.dtype in (np.float32, np.float64)


def random_uniform(ins, outs, attrs):
    if not _floats_out(outs[0]):
        return NotImplemented
    return _draw(outs[0], attrs, 0, attrs["low"], attrs["high"])


def random_normal(ins, outs, attrs):
    if not _floats_out(outs[0]):
        return NotImplemented
    return _draw(outs[0], attrs, 1, attrs["loc"], attrs["scale"])


def random_randint(ins, outs, attrs):
    out = outs[0]
    if out.dtype not in (np.int32, np.int64):
        return NotImplemented
    low, high = int(attrs["low"]), int(attrs["high"])
    if high <= low:
        return NotImplemented     # the CPU kernel raises numpy's error
    return _draw(out, attrs, 2, lo=low, span=high - low)


def _sample(dist, check, message):
    def kernel(ins, outs, attrs):
        out = outs[0]
        a, b = ins
        if not _floats_out(out) or not (a.dtype == b.dtype == out.dtype) or a.shape != b.shape:
            return NotImplemented
        if not check(CLStorage.to_numpy(a), CLStorage.to_numpy(b)):
            raise ValueError(message)
        return _draw(out, attrs, dist, params=(a, b, out.size // max(a.size, 1)))
    return kernel


def random_exponential(ins, outs, attrs):
    if not _floats_out(outs[0]):
        return NotImplemented
    return _draw(outs[0], attrs, 3, attrs["lam"])


def sample_exponential(ins, outs, attrs):
    out, lam = outs[0], ins[0]
    if not _floats_out(out) or lam.dtype != out.dtype:
        return NotImplemented
    if not np.all(CLStorage.to_numpy(lam) > 0):
        raise ValueError("lam must be > 0 in every distribution")
    return _draw(out, attrs, 3, params=(lam, lam, out.size // max(lam.size, 1)))


def sample_multinomial(ins, outs, attrs):
    data, out = ins[0], outs[0]
    dev = out.dev
    TO = ctype(out.dtype)
    words = philox_words(attrs) if _floats_out(data) and TO is not None else None
    if words is None or (np.dtype(np.float64) in (data.dtype, out.dtype) and not dev.fp64):
        return NotImplemented
    K = data.shape[-1]
    rows = data.size // K if K else 0
    if out.size == 0 or rows == 0:
        return None if out.size == 0 else NotImplemented
    logp = outs[1] if len(outs) > 1 else out
    if logp.dtype != data.dtype:
        return NotImplemented
    src = _PREAMBLE + PHILOX_SOURCE + _MULTINOMIAL.format(
        T=ctype(data.dtype), TO=TO, ACC="double" if dev.fp64 else "float")
    launch_1d(dev, dev.kernel(src, "multinomial"), out.size, out.buf, np.int64(out.offset),
              logp.buf, np.int64(logp.offset), np.int32(len(outs) > 1), data.buf,
              np.int64(data.offset), np.int64(out.size), np.int64(out.size // rows),
              np.int64(K), *words)
    return None


def shuffle(ins, outs, attrs):
    """The CPU kernel's permutation (the same generator draws it), applied on the device."""
    from .gather import _take
    from .shape import same_memory
    data, out = ins[0], outs[0]
    rng = attrs.get("rng")
    if not hasattr(rng, "permutation") or data.ndim == 0 or same_memory(data, out):
        return NotImplemented
    perm = rng.permutation(data.shape[0]).astype(np.int64)
    idx = CLStorage(out.dev).alloc(perm.shape, np.int64)
    CLStorage.from_numpy(perm, idx)
    return _take(data, idx, out, 0, "clip")


def _ranges(dev, out):
    T = ctype(out.dtype)
    if T is None or out.dtype == np.bool_ or (out.dtype == np.float64 and not dev.fp64):
        return None
    return _PREAMBLE + _RANGES.format(T=T)


def arange(ins, outs, attrs):
    out = outs[0]
    dev = out.dev
    src = _ranges(dev, out)
    if src is None:
        return NotImplemented
    start = 0.0 if attrs["stop"] is None else attrs["start"]
    rep = max(attrs["repeat"], 1)
    cast = (lambda v: np.asarray(v).astype(out.dtype)[()])
    with np.errstate(over="ignore", invalid="ignore"):
        s, st = cast(start), cast(attrs["step"])
    if out.dtype == np.bool_:
        return NotImplemented
    launch_1d(dev, dev.kernel(src, "arange"), out.size, out.buf, np.int64(out.offset),
              np.int64(out.size), s, st, np.int64(rep))
    return None


def eye(ins, outs, attrs):
    out = outs[0]
    src = _ranges(out.dev, out)
    if src is None:
        return NotImplemented
    launch_1d(out.dev, out.dev.kernel(src, "eye"), out.size, out.buf, np.int64(out.offset),
              np.int64(out.size), np.int64(max(out.shape[1], 1)), np.int64(attrs["k"]))
    return None


def linspace(ins, outs, attrs):
    out = outs[0]
    dev = out.dev
    src = _ranges(dev, out)
    if src is None or not dev.fp64:
        return NotImplemented
    num = attrs["num"]
    div = (num - 1) if attrs["endpoint"] else num
    start, stop = float(attrs["start"]), float(attrs["stop"])
    launch_1d(dev, dev.kernel(src, "linspace"), out.size, out.buf, np.int64(out.offset),
              np.int64(out.size), np.float64(start), np.float64(stop), np.float64(stop - start),
              np.float64(div), np.int32(bool(attrs["endpoint"])))
    return None


def arange_like(ins, outs, attrs):
    out = outs[0]
    dev = out.dev
    src = _ranges(dev, out)
    if src is None or not dev.fp64:
        return NotImplemented
    launch_1d(dev, dev.kernel(src, "arange_like"), out.size, out.buf, np.int64(out.offset),
              np.int64(out.size), np.float64(attrs["start"]), np.float64(attrs["step"]),
              np.int64(attrs["repeat"]))
    return None


KERNELS = {
    "_random_uniform": random_uniform, "_random_normal": random_normal,
    "_random_randint": random_randint,
    "_sample_uniform": _sample(0, lambda lo, hi: np.all(lo <= hi),
                               "low must be <= high in every distribution"),
    "_sample_normal": _sample(1, lambda mu, sigma: np.all(sigma > 0),
                              "sigma must be > 0 in every distribution"),
    "_random_exponential": random_exponential, "_sample_exponential": sample_exponential,
    "_sample_multinomial": sample_multinomial, "_shuffle": shuffle,
    "_arange": arange, "_eye": eye, "_linspace": linspace, "_contrib_arange_like": arange_like,
}
