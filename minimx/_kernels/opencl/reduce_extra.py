"""More reductions: prod, nansum, nanprod, norm (ord 1 and 2), moments, cumsum, and the helpers of
mixed-precision and LARS training (all_finite, multi_all_finite, multi_sum_sq, multi_lars).

One program per (input type, output type) holds every op: ``red`` switches on an ``op`` argument
(PoCL builds each program once, and a branch costs nothing next to the loads). One work-group of
a power-of-two size (at most 256) reduces one output element: strided loads, then a tree in local
memory. As the CPU backend does, float32 accumulates in float64 (when the device has fp64), so
results agree with it to float32 rounding. The axes split into kept and reduced ones exactly as in
``reduce.py``.
"""
import numpy as np

from ..reference.reduce import reduce_axes
from .elemwise import _GROUP, _PREAMBLE, ctype, floats, launch_1d
from .reduce import _MAXD, _args, _params, _split

__all__ = ["KERNELS"]

# op -> (id, element -> accumulator, combine, initial value)
_OPS = {"prod": 0, "nansum": 1, "nanprod": 2, "norm1": 3, "norm2": 4, "sumsq": 5}

_SRC = """#pragma OPENCL FP_CONTRACT OFF
#define T {T}
#define TO {TO}
#define TA {TA}
inline TA elem(T v, int op) {{
  TA a = (TA)v;
  switch (op) {{
    case 1: return a != a ? (TA)0 : a;
    case 2: return a != a ? (TA)1 : a;
    case 3: return fabs(a);
    case 4: case 5: return a * a;
    default: return a;
  }}
}}
inline int is_prod(int op) {{ return op == 0 || op == 2; }}
__kernel void red(__global TO* out, long oo, __global const T* in, long io, long n, long nout
                  {KP}{RP}, int op, __local TA* part) {{
  long kidx = get_group_id(0); int l = get_local_id(0), G = get_local_size(0);
  {KWALK}
  TA acc = is_prod(op) ? (TA)1 : (TA)0;
  for (long ridx = l; ridx < n; ridx += G) {{
    {RWALK}
    TA e = elem(in[off], op); acc = is_prod(op) ? acc * e : acc + e;
  }}
  part[l] = acc; barrier(CLK_LOCAL_MEM_FENCE);
  for (int w = G / 2; w > 0; w >>= 1) {{
    if (l < w) part[l] = is_prod(op) ? part[l] * part[l + w] : part[l] + part[l + w];
    barrier(CLK_LOCAL_MEM_FENCE);
  }}
  if (l == 0) out[oo + kidx] = (TO)(op == 4 ? sqrt(part[0]) : part[0]);
}}
/* mean and population variance: two passes over the reduced elements of one output */
__kernel void moments(__global TO* mean, long mo, __global TO* var, long vo,
                      __global const T* in, long io, long n, long nout{KP}{RP},
                      __local TA* part) {{
  long kidx = get_group_id(0); int l = get_local_id(0), G = get_local_size(0);
  {KWALK}
  TA m = 0;
  for (int pass = 0; pass < 2; pass++) {{
    TA acc = 0;
    for (long ridx = l; ridx < n; ridx += G) {{
      {RWALK}
      TA e = (TA)in[off] - m; acc += pass ? e * e : e;
    }}
    part[l] = acc; barrier(CLK_LOCAL_MEM_FENCE);
    for (int w = G / 2; w > 0; w >>= 1) {{
      if (l < w) part[l] += part[l + w];
      barrier(CLK_LOCAL_MEM_FENCE);
    }}
    TA r = part[0] / (TA)n;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (pass == 0) m = r;
    if (l == 0) {{ if (pass) var[vo + kidx] = (TO)r; else mean[mo + kidx] = (TO)r; }}
  }}
}}
/* running sum of each (outer, inner) line, in the output's type */
__kernel void cumsum(__global TO* out, long oo, __global const T* in, long io, long lines,
                     long n, long inner) {{
  long g = get_global_id(0); if (g >= lines) return;
  long base = (g / inner) * n * inner + g % inner;
  TO acc = 0;
  for (long j = 0; j < n; j++) {{
    acc += (TO)in[io + base + j * inner]; out[oo + base + j * inner] = acc;
  }}
}}
/* all_finite: writes 0 where a value (cast to float32, as MXNet) is not finite */
__kernel void finite(__global TO* out, long oo, __global const T* in, long io, long n) {{
  long g = get_global_id(0); if (g >= n) return;
  if (!isfinite((float)in[io + g])) out[oo] = (TO)0;
}}
__kernel void lars(__global TO* out, long oo, __global const T* lrs, long lo,
                   __global const T* wsq, long wo, __global const T* gsq, long go,
                   __global const T* wds, long dof, long n, T eta, T eps, T rescale) {{
  long g = get_global_id(0); if (g >= n) return;
  T lr = lrs[lo + g], w = sqrt(wsq[wo + g]), gs = gsq[go + g];
  T lars = lr * eta * w / (sqrt(gs) * rescale + wds[dof + g] * w + eps);
  out[oo + g] = (w > 0 && gs > 0) ? lars : lr;
}}
"""


def _walk(var, base, nd, tag):
    """C: ``var`` = base + the input offset of flat index ``<tag>idx``, in 32-bit index math
    (64-bit division is slow on CPUs and emulated on GPUs); stops at the first zero quotient."""
    code = [f"long {var} = {base}; {{ uint r = (uint){tag}idx;"]
    for k in reversed(range(nd)):
        code.append(f"if (r) {{ uint c = r % (uint){tag}d{k}; r /= (uint){tag}d{k}; "
                    f"{var} += (long)c * {tag}s{k};")
    return " ".join(code) + " }" * nd + " }"


def _program(dev, x, out):
    T, TO = ctype(x.dtype), ctype(out.dtype)
    if T is None or TO is None or x.dtype == np.bool_ or out.dtype == np.bool_:
        return None
    if not dev.fp64 and np.dtype(np.float64) in (x.dtype, out.dtype):
        return None
    TA = "double" if dev.fp64 else "float"
    src = _PREAMBLE + _SRC.format(T=T, TO=TO, TA=TA, KP=_params(_MAXD, "k"),
                                  RP=_params(_MAXD, "r"), KWALK=_walk("base", "io", _MAXD, "k"),
                                  RWALK=_walk("off", "base", _MAXD, "r"))
    return src, (8 if TA == "double" else 4)


def _geometry(x, axes):
    """(n reduced, padded kept dims/strides, padded reduced dims/strides) or None."""
    kd, ks, rd, rs = _split(x.shape, axes)
    if len(kd) > _MAXD or len(rd) > _MAXD:
        return None
    kd, ks = [1] * (_MAXD - len(kd)) + kd, [0] * (_MAXD - len(ks)) + ks
    rd, rs = [1] * (_MAXD - len(rd)) + rd, [0] * (_MAXD - len(rs)) + rs
    n = int(np.prod(rd, dtype=np.int64))
    return n, _args(kd, ks) + _args(rd, rs)


def _group(dev, n, nout):
    if dev.is_cpu and nout >= 16:
        return 1     # PoCL: one work item per output beats a work-group with barriers
    g = min(_GROUP, dev.max_group, 1 << max(n - 1, 1).bit_length())
    return 1 << (g.bit_length() - 1)


def _launch(dev, name, prog, x, n, nout, head, geo_args, tail):
    from .device import cl
    src, acc_size = prog
    group = _group(dev, n, nout)
    dev.launch(dev.kernel(src, name), (nout * group,), (group,), *head, x.buf, np.int64(x.offset),
               np.int64(n), np.int64(nout), *geo_args, *tail, cl.LocalMemory(group * acc_size))


def _reduce_into(x, out, axes, op):
    """``out`` (``nout`` elements from its offset) = the reduction of ``x`` over ``axes``."""
    dev = out.dev
    prog = _program(dev, x, out)
    if prog is None or not floats(dev, x) or x.size == 0 or x.size >= 1 << 32:
        return NotImplemented
    geo = _geometry(x, axes)
    if geo is None:
        return NotImplemented
    n, geo_args = geo
    nout = x.size // n
    _launch(dev, "red", prog, x, n, nout, [out.buf, np.int64(out.offset)], geo_args,
            [np.int32(_OPS[op])])
    return None


def _simple(op):
    def kernel(ins, outs, attrs):
        x = ins[0]
        return _reduce_into(x, outs[0], reduce_axes(x.ndim, attrs["axis"], attrs["exclude"]), op)
    return kernel


def norm(ins, outs, attrs):
    x, out = ins[0], outs[0]
    if out.dtype.kind != "f":
        return NotImplemented     # integer outputs truncate: the CPU kernel does that
    return _reduce_into(x, out, reduce_axes(x.ndim, attrs["axis"]),
                        "norm1" if attrs["ord"] == 1 else "norm2")


def moments(ins, outs, attrs):
    x, (mean, var) = ins[0], outs
    dev = mean.dev
    prog = _program(dev, x, mean)
    if prog is None or not floats(dev, x, mean, var) or x.size == 0 or x.size >= 1 << 32:
        return NotImplemented
    geo = _geometry(x, reduce_axes(x.ndim, attrs["axes"]))
    if geo is None:
        return NotImplemented
    n, geo_args = geo
    _launch(dev, "moments", prog, x, n, x.size // n,
            [mean.buf, np.int64(mean.offset), var.buf, np.int64(var.offset)], geo_args, [])
    return None


def cumsum(ins, outs, attrs):
    x, out = ins[0], outs[0]
    dev = out.dev
    prog = _program(dev, x, out)
    if prog is None:
        return NotImplemented
    axis = attrs["axis"]
    if axis is None:
        outer, n, inner = 1, x.size, 1
    else:
        axis %= x.ndim
        outer = int(np.prod(x.shape[:axis], dtype=np.int64))
        n, inner = x.shape[axis], int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    lines = outer * inner
    if lines and n:
        launch_1d(dev, dev.kernel(prog[0], "cumsum"), lines, out.buf, np.int64(out.offset), x.buf,
                  np.int64(x.offset), np.int64(lines), np.int64(n), np.int64(inner))
    return None


def _finite(ins, outs, attrs):
    out = outs[0]
    dev = out.dev
    progs = [_program(dev, x, out) for x in ins]
    if any(p is None for p in progs):
        return NotImplemented
    if attrs["init_output"]:
        from .shape import strided_fill
        strided_fill(out, 1)
    for x, prog in zip(ins, progs):
        if x.size:
            launch_1d(dev, dev.kernel(prog[0], "finite"), x.size, out.buf, np.int64(out.offset),
                      x.buf, np.int64(x.offset), np.int64(x.size))
    return None


def multi_sum_sq(ins, outs, attrs):
    from .array import CLArray
    out = outs[0]
    for i, x in enumerate(ins):
        one = CLArray(out.dev, out.buf, out.offset + i, (1,), out.dtype)
        if x.size == 0:
            from .shape import strided_fill
            res = strided_fill(one, 0)
        else:
            res = _reduce_into(x, one, tuple(range(x.ndim)), "sumsq")
        if res is NotImplemented:
            return NotImplemented
    return None


def multi_lars(ins, outs, attrs):
    out = outs[0]
    dev = out.dev
    if not floats(dev, *ins, out) or out.dtype != np.float32:
        return NotImplemented
    prog = _program(dev, ins[0], out)
    args = []
    for x in ins:
        args += [x.buf, np.int64(x.offset)]
    f = np.float32
    launch_1d(dev, dev.kernel(prog[0], "lars"), out.size, out.buf, np.int64(out.offset), *args,
              np.int64(out.size), f(attrs["eta"]), f(attrs["eps"]), f(attrs["rescale_grad"]))
    return None


_HIST = """#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable
#define T {T}
/* MXNet's uniform bins: a first guess from the value, then one step fixes float rounding */
__kernel void hist_uniform(__global long* counts, long co, __global const T* x, long xo,
                           __global const T* edges, long eo, long n, long bins, double low,
                           double high) {{
  long g = get_global_id(0); if (g >= n) return;
  T value = x[xo + g]; double v = (double)value;
  if (!(v >= low && v <= high)) return;
  long t = (long)((v - low) * (double)bins / (high - low)); if (t > bins - 1) t = bins - 1;
  t -= value < edges[eo + t];
  t += (value >= edges[eo + t + 1]) && t != bins - 1;
  if (t >= 0) atom_inc(counts + co + t);
}}
/* given edges: the first edge above the value, minus one, capped at the last bin */
__kernel void hist_edges(__global long* counts, long co, __global const T* x, long xo,
                         __global const T* b, long bo, long n, long nb) {{
  long g = get_global_id(0); if (g >= n) return;
  double v = (double)x[xo + g];
  if (!(v >= (double)b[bo] && v <= (double)b[bo + nb - 1])) return;
  long first = nb;
  for (long k = 0; k < nb; k++) if (!(v - (double)b[bo + k] >= 0)) {{ first = k; break; }}
  atom_inc(counts + co + min(first - 1, nb - 2));
}}
"""


def histogram(ins, outs, attrs):
    """Counts per bin of the flattened data (``reference/sequence.py``'s rules), by atomics."""
    from .array import CLStorage
    from .shape import strided_copy, strided_fill
    x, (counts, edges) = ins[0], outs
    dev = x.dev
    T = ctype(x.dtype)
    if (T is None or x.dtype == np.bool_ or not dev.fp64 or counts.dtype != np.int64
            or edges.dtype != x.dtype or "cl_khr_int64_base_atomics" not in dev.device.extensions
            or (attrs["bin_cnt"] is None and (len(ins) < 2 or ins[1].dtype != x.dtype))):
        return NotImplemented
    strided_fill(counts, 0)
    src = _HIST.format(T=T)
    if attrs["bin_cnt"] is not None:
        bins = attrs["bin_cnt"]
        low, high = attrs["range"]
        if bins == 0:
            return NotImplemented
        if low == high:                  # MXNet widens an empty range by 0.5 on each side
            low, high = low - 0.5, high + 0.5
        i = np.arange(bins + 1, dtype=np.float64)
        CLStorage.from_numpy(((high * i + (bins - i) * low) / bins).astype(edges.dtype), edges)
        launch_1d(dev, dev.kernel(src, "hist_uniform"), x.size, counts.buf,
                  np.int64(counts.offset), x.buf, np.int64(x.offset), edges.buf,
                  np.int64(edges.offset), np.int64(x.size), np.int64(bins), np.float64(low),
                  np.float64(high))
        return None
    b = ins[1]
    strided_copy(b, 0, (b.size,), (1,), edges, 0, (1,))
    if b.size >= 2:
        launch_1d(dev, dev.kernel(src, "hist_edges"), x.size, counts.buf, np.int64(counts.offset),
                  x.buf, np.int64(x.offset), b.buf, np.int64(b.offset), np.int64(x.size),
                  np.int64(b.size))
    return None


KERNELS = {"_histogram": histogram, "prod": _simple("prod"), "nansum": _simple("nansum"), "nanprod": _simple("nanprod"),
           "norm": norm, "moments": moments, "cumsum": cumsum, "all_finite": _finite,
           "multi_all_finite": _finite, "multi_sum_sq": multi_sum_sq, "multi_lars": multi_lars}
