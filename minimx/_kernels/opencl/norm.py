"""BatchNorm (and its backward), LayerNorm, InstanceNorm, GroupNorm, L2Normalization and LRN.

Every normalisation but LRN is one kernel, ``norm_fwd``: one work group of ``LS`` items per
*row* (the elements one statistic covers: a BatchNorm channel, a LayerNorm position, an
InstanceNorm (sample, channel), ...). The group sums its row in a local-memory tree (``group_sum``)
twice, for the mean and then for the variance around it (two passes, as numpy's ``var``, so no
cancellation), in double (float on a device without fp64), then each item normalises its share of
the row. Where a row's elements lie is a view of two strided axes each for the row index ``g`` and
the position ``j`` in the row::

    address(g, j) = (g / gi) * gs1 + (g % gi) * gs0 + (j / ji) * js1 + (j % ji) * js0

which covers a channel of ``(outer, C, inner)`` data (BatchNorm), an axis (LayerNorm), contiguous
rows (InstanceNorm, GroupNorm) and L2Normalization's three modes. BatchNorm's training side
effect, gamma set to 1 with ``fix_gamma``, is written by each group's first item.
Rows of at most ``SHORT`` elements (LayerNorm over a small last axis, say) run ``norm_row``
instead, the same body with one work item per row, since a work group would mostly idle there.
``bn_bwd`` is the same shape: per channel ``sum(g)`` and ``sum(g * xhat)``, then ``dx``; as on
the CPU (and in MXNet 1.9.1's CPU op), the BACKWARD updates the running statistics, from the
forward's saved mean and invstd (``var = 1 / invstd^2 - eps``): the group's first item does it
for its channel, rounded as ``reference.batch_norm_update`` says.
LRN is elementwise: each item sums its window of channels.
"""
import numpy as np

from .elemwise import _PREAMBLE, ctype, floats, launch_1d
from ..reference.norm import batch_norm_is_training, channel_view

__all__ = ["KERNELS"]

LS = 64     # items per work group (a power of two: the tree reduction halves it)
SHORT = 256     # rows of at most this many elements run one work item each (``norm_row``)

_SRC = _PREAMBLE + """#define T {T}
#define ACC {ACC}
#define LS {LS}
#define VIEW long gi, long gs0, long gs1, long ji, long js0, long js1
#define ADDR(g, j) (((g) / gi) * gs1 + ((g) % gi) * gs0 + ((j) / ji) * js1 + ((j) % ji) * js0)

ACC group_sum(__local ACC* buf, ACC v) {{
  int l = get_local_id(0);
  buf[l] = v;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int s = LS / 2; s > 0; s >>= 1) {{
    if (l < s) buf[l] += buf[l + s];
    barrier(CLK_LOCAL_MEM_FENCE);
  }}
  ACC r = buf[0];
  barrier(CLK_LOCAL_MEM_FENCE);
  return r;
}}

"""

# norm_fwd (a work group per row) and norm_row (one item per row, for short rows) share a body.
_NORM = """
/* flags: 1 scale by gamma, 2 write mean, 4 write std, 8 write 1/std, 32 set gamma to 1.
   mode: 0 batch statistics, 1 running ones, 2 L2 (no mean). */
@HEAD@(__global T* y, long yo, __global const T* x, long xo, __global T* gamma, long gmo,
              __global const T* beta, long bo, __global T* mean_out, long mo, __global T* sd_out,
              long so, __global const T* mmean, long mmo, __global const T* mvar, long mvo,
              long M, VIEW, long pmod, int pon_j, int mode, int flags, ACC eps) {{
@START@
  ACC mean = 0, var;
  if (mode == 1) {{
    mean = mmean[mmo + g];
    var = mvar[mvo + g];
  }} else {{
    ACC s = 0;
    if (mode == 0) {{
      for (long j = J0; j < M; j += JS) s += x[xo + ADDR(g, j)];
      mean = RED(s) / (ACC)M;
      s = 0;
    }}
    for (long j = J0; j < M; j += JS) {{ ACC d = (ACC)x[xo + ADDR(g, j)] - mean; s += d * d; }}
    var = RED(s);
    if (mode == 0) var /= (ACC)M;
  }}
  ACC sd = sqrt(var + eps), inv = (ACC)1 / sd;
  for (long j = J0; j < M; j += JS) {{
    long a = ADDR(g, j);
    ACC v = x[xo + a];
    if (mode == 2) {{ y[yo + a] = (T)(v / sd); continue; }}
    long pi = pon_j ? j % pmod : g % pmod;
    ACC scale = (flags & 1) ? (ACC)gamma[gmo + pi] * inv : inv;
    y[yo + a] = (T)((v - mean) * scale + (ACC)beta[bo + pi]);
  }}
  if (J0 == 0) {{
    if (flags & 2) mean_out[mo + g] = (T)mean;
    if (flags & 4) sd_out[so + g] = (T)sd;
    if (flags & 8) sd_out[so + g] = (T)inv;
    if (flags & 32) gamma[gmo + g] = (T)1;
  }}
}}

"""
_SRC += ("#define RED(v) group_sum(buf, v)\n#define J0 l\n#define JS LS\n"
         + _NORM.replace("@HEAD@", "__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))\n"
                         "void norm_fwd")
         .replace("@START@", "  __local ACC buf[LS];\n  long g = get_group_id(0);\n"
                  "  int l = get_local_id(0);")
         + "#undef RED\n#undef J0\n#undef JS\n#define RED(v) (v)\n#define J0 0\n#define JS 1\n"
         + _NORM.replace("@HEAD@", "__kernel void norm_row").replace(
             "@START@", "  long g = get_global_id(0);")
         + "#undef RED\n#undef J0\n#undef JS\n")
_SRC += """__kernel __attribute__((reqd_work_group_size(LS, 1, 1)))
void bn_bwd(__global T* dx, long dxo, __global T* dgamma, long dgo, __global T* dbeta, long dbo,
            __global const T* og, long ogo, __global const T* x, long xo,
            __global const T* gamma, long gmo, __global const T* meanp, long mo,
            __global const T* invp, long io, __global T* mmean, long mmo, __global T* mvar,
            long mvo, long M, VIEW, int fix_gamma, int global_stats, int update, T momentum,
            ACC eps) {{
  __local ACC buf[LS];
  long g = get_group_id(0);
  int l = get_local_id(0);
  ACC mean = meanp[mo + g], inv = invp[io + g], s1 = 0, s2 = 0;
  for (long j = l; j < M; j += LS) {{
    long a = ADDR(g, j);
    ACC gr = og[ogo + a];
    s1 += gr;
    s2 += gr * ((ACC)x[xo + a] - mean);
  }}
  ACC sg = group_sum(buf, s1), sgx = group_sum(buf, s2) * inv;
  ACC scale = fix_gamma ? inv : (ACC)gamma[gmo + g] * inv;
  ACC n = M > 0 ? (ACC)M : (ACC)1;
  ACC ca = global_stats ? 0 : sg / n, cb = global_stats ? 0 : sgx / n;
  for (long j = l; j < M; j += LS) {{
    long a = ADDR(g, j);
    dx[dxo + a] = (T)(scale * ((ACC)og[ogo + a] - ca - ((ACC)x[xo + a] - mean) * inv * cb));
  }}
  if (l == 0) {{
    dbeta[dbo + g] = (T)sg;
    dgamma[dgo + g] = fix_gamma ? (T)0 : (T)sgx;
  }}
  if (l == 0 && update) {{
    /* MXNet's rounding (reference.batch_norm_update): T arithmetic, one rounding per operation
       (no fused multiply-add), var = 1 / (invstd * invstd) - eps in ACC. */
    #pragma OPENCL FP_CONTRACT OFF
    T iv = invp[io + g];
    T sq = iv * iv;
    T var = (T)((ACC)1 / (ACC)sq - eps);
    T rest = (T)1 - momentum;
    T a = mmean[mmo + g] * momentum;
    T b = meanp[mo + g] * rest;
    mmean[mmo + g] = a + b;
    a = mvar[mvo + g] * momentum;
    b = var * rest;
    mvar[mvo + g] = a + b;
  }}
}}

__kernel void lrn(__global T* y, long yo, __global const T* x, long xo, long total, long C,
                  long inner, long hw, ACC knorm, ACC alpha_n, ACC beta) {{
  long i = get_global_id(0); if (i >= total) return;
  long c = (i / inner) % C, base = i - c * inner;
  ACC s = 0;
  for (long k = max(c - hw, 0L); k < min(c + hw + 1, C); k++) {{
    ACC v = x[xo + base + k * inner]; s += v * v;
  }}
  y[yo + i] = (T)((ACC)x[xo + i] / pow(knorm + alpha_n * s, beta));
}}
"""


def _kernel(dev, dtype, name):
    key = ("norm", dtype, name)     # skip formatting the source on every call
    k = dev.families.get(key)
    if k is None:
        src = _SRC.format(T=ctype(dtype), ACC="double" if dev.fp64 else "float", LS=LS)
        k = dev.families[key] = dev.kernel(src, name)
    return k


def _acc(dev):
    return np.float64 if dev.fp64 else np.float32


def _arg(a):
    return (a.buf, np.int64(a.offset))


def _norm(x, y, rows, M, view, *, gamma=None, beta=None, pmod=1, pon_j=False, mode=0, flags=0,
          eps=0.0, mean_out=None, sd_out=None, moving=None):
    """Launch ``norm_fwd`` over ``rows`` rows of ``M`` elements laid out as ``view``."""
    dev = y.dev
    acc = _acc(dev)
    dummy = _arg(y)     # never read: the flags say which buffers are used
    mm, mv = moving if moving is not None else (None, None)
    args = [*_arg(y), *_arg(x)]
    for a in (gamma, beta, mean_out, sd_out, mm, mv):
        args += _arg(a) if a is not None else dummy
    args += [np.int64(M)] + [np.int64(v) for v in view]
    args += [np.int64(pmod), np.int32(pon_j), np.int32(mode), np.int32(flags), acc(eps)]
    if M <= SHORT:     # a work group would idle on a short row: one item per row instead
        dev.launch(_kernel(dev, x.dtype, "norm_row"), (rows,), None, *args)
    else:
        dev.launch(_kernel(dev, x.dtype, "norm_fwd"), (rows * LS,), (LS,), *args)


def _bn_view(shape, axis):
    outer, c, inner = channel_view(shape, axis % len(shape))
    return c, outer * inner, (max(c, 1), inner, 0, inner, 1, c * inner)


def batch_norm(ins, outs, attrs):
    data, gamma, beta, moving_mean, moving_var = ins
    out, mean_out, invstd_out = outs
    if not floats(data.dev, *ins, *outs) or data.size == 0:
        return NotImplemented
    channels, M, view = _bn_view(data.shape, attrs["axis"])
    train = batch_norm_is_training(attrs)
    flags = (0 if attrs["fix_gamma"] else 1) | 2 | 8
    if train and attrs["fix_gamma"]:
        flags |= 32
    _norm(data, out, channels, M, view, gamma=gamma, beta=beta, pmod=max(channels, 1),
          mode=0 if train else 1, flags=flags, eps=attrs["eps"], mean_out=mean_out,
          sd_out=invstd_out, moving=(moving_mean, moving_var))
    return None


def backward_batch_norm(ins, outs, attrs):
    out_grad, data, gamma, mean, invstd = ins[:5]
    dx, dgamma, dbeta = outs
    dev = dx.dev
    if not floats(dev, *ins, *outs) or data.size == 0:
        return NotImplemented
    channels, M, view = _bn_view(data.shape, attrs["axis"])
    # The running statistics (inputs 5, 6), updated per channel from the saved mean and invstd.
    update = len(ins) == 7 and not attrs["use_global_stats"]
    moving = ins[5:7] if update else (dx, dx)     # dx: never touched without the update
    args = []
    for a in (dx, dgamma, dbeta, out_grad, data, gamma, mean, invstd, *moving):
        args += _arg(a)
    # momentum is a float32 parameter in MXNet, also for float64 data
    dev.launch(_kernel(dev, data.dtype, "bn_bwd"), (channels * LS,), (LS,), *args, np.int64(M),
               *[np.int64(v) for v in view], np.int32(attrs["fix_gamma"]),
               np.int32(attrs["use_global_stats"]), np.int32(update),
               data.dtype.type(np.float32(attrs["momentum"])), _acc(dev)(attrs["eps"]))
    return None


def layer_norm(ins, outs, attrs):
    data, gamma, beta = ins
    if not floats(data.dev, *ins, *outs) or data.size == 0:
        return NotImplemented
    outer, n, inner = channel_view(data.shape, attrs["axis"] % data.ndim)
    rows = outer * inner
    _norm(data, outs[0], rows, n, (inner, 1, n * inner, n, inner, 0), gamma=gamma, beta=beta,
          pmod=n, pon_j=True, flags=1 | 2 | 4, eps=attrs["eps"], mean_out=outs[1],
          sd_out=outs[2])
    return None


def _rows_norm(groups_of):
    """InstanceNorm / GroupNorm: contiguous rows of ``(N, groups, -1)``, gamma per group."""
    def kernel(ins, outs, attrs):
        data, gamma, beta = ins
        if not floats(data.dev, *ins, *outs) or data.size == 0:
            return NotImplemented
        groups = groups_of(data, attrs)
        rows = data.shape[0] * groups
        M = data.size // rows
        stats = len(outs) == 3
        _norm(data, outs[0], rows, M, (rows, M, 0, M, 1, 0), gamma=gamma, beta=beta,
              pmod=groups, flags=1 | (6 if stats else 0), eps=attrs["eps"],
              mean_out=outs[1] if stats else None, sd_out=outs[2] if stats else None)
        return None
    return kernel


def l2_normalization(ins, outs, attrs):
    data = ins[0]
    out = outs[0]
    if not floats(data.dev, data, out) or data.size == 0:
        return NotImplemented
    n = data.shape[0]
    mode = attrs["mode"]
    if mode == "instance":
        M = data.size // n
        rows, view = n, (n, M, 0, M, 1, 0)
    else:
        c = data.shape[1] if data.ndim > 1 else 1
        rest = data.size // (n * c)
        if mode == "channel":
            rows, M, view = n * rest, c, (rest, 1, c * rest, c, rest, 0)
        else:
            rows, M, view = n * c, rest, (n * c, rest, 0, rest, 1, 0)
    _norm(data, out, rows, M, view, mode=2, eps=attrs["eps"])
    return None


def lrn(ins, outs, attrs):
    x, y = ins[0], outs[0]
    dev = y.dev
    if not floats(dev, x, y) or x.size == 0 or x.ndim < 2:
        return NotImplemented
    acc = _acc(dev)
    c = x.shape[1]
    inner = x.size // (x.shape[0] * c)
    launch_1d(dev, _kernel(dev, x.dtype, "lrn"), y.size, *_arg(y), *_arg(x), np.int64(y.size),
              np.int64(c), np.int64(inner), np.int64((attrs["nsize"] - 1) // 2),
              acc(attrs["knorm"]), acc(attrs["alpha"] / attrs["nsize"]), acc(attrs["beta"]))
    return None


KERNELS = {
    "BatchNorm": batch_norm,
    "_backward_BatchNorm": backward_batch_norm,
    "LayerNorm": layer_norm,
    "InstanceNorm": _rows_norm(lambda data, attrs: data.shape[1]),
    "GroupNorm": _rows_norm(lambda data, attrs: attrs["num_groups"]),
    "L2Normalization": l2_normalization,
    "LRN": lrn,
}
