"""Reductions along axes: sum, mean, max, min (work-group tree reductions) and argmax/argmin.

The input's axes split into kept axes (one output element per combination) and reduced axes;
each list is coalesced, padded to ``_MAXD`` axes and passed as dims/strides, so any set of axes works on any shape. When the
reduced part is long, one work-group of ``_GROUP`` items reduces one output element (strided
loads, then a tree in local memory); otherwise one work item loops over it.
float32 accumulates in float32 (the CPU backend uses float64: sums agree to float32 rounding).
"""
import numpy as np

from .elemwise import _GROUP, _PREAMBLE, _coalesce, _contig_strides, ctype, floats

__all__ = ["KERNELS"]

_MAXD = 4   # kept and reduced axes each, after coalescing
_OPS = {   # name -> (init, combine(a, b), final(acc, n))
    "sum": ("0", "a + b", "acc"),
    "mean": ("0", "a + b", "acc / (T)n"),
    "max": ("-INFINITY", "(a != a || a > b) ? a : b", "acc"),
    "min": ("INFINITY", "(a != a || a < b) ? a : b", "acc"),
}


def _walk(var, base, nd, tag):
    """C code: offset ``var`` = base + the input offset of flat index ``<tag>idx`` over dims."""
    code = [f"long {var} = {base}; {{ long r = {tag}idx;"]
    for k in reversed(range(nd)):
        code.append(f"long c{k} = r % {tag}d{k}; r /= {tag}d{k}; {var} += c{k} * {tag}s{k};")
    code.append("}")
    return " ".join(code)


def _params(nd, tag):
    return "".join(f", long {tag}d{k}, long {tag}s{k}" for k in range(nd))


def _source(op, T, nk, nr, group):
    init, combine, final = _OPS[op]
    head = (f"{_PREAMBLE}#define T {T}\ninline T comb(T a, T b) {{ return {combine}; }}\n"
            f"__kernel void red(__global T* out, long oo, __global const T* in, long io, long n, "
            f"long nout{_params(nk, 'k')}{_params(nr, 'r')}) {{\n")
    if group:
        body = (f"  long kidx = get_group_id(0); int l = get_local_id(0);\n"
                f"  {_walk('base', 'io', nk, 'k')}\n"
                f"  T acc = {init};\n"
                f"  for (long ridx = l; ridx < n; ridx += {group}) {{ {_walk('off', 'base', nr, 'r')} "
                f"acc = comb(acc, in[off]); }}\n"
                f"  __local T part[{group}]; part[l] = acc; barrier(CLK_LOCAL_MEM_FENCE);\n"
                f"  for (int w = {group // 2}; w > 0; w >>= 1) {{ if (l < w) part[l] = comb(part[l], "
                f"part[l + w]); barrier(CLK_LOCAL_MEM_FENCE); }}\n"
                f"  if (l == 0) {{ acc = part[0]; out[oo + kidx] = {final}; }}\n}}\n")
    else:
        body = (f"  long kidx = get_global_id(0); if (kidx >= nout) return;\n"
                f"  {_walk('base', 'io', nk, 'k')}\n  T acc = {init};\n"
                f"  for (long ridx = 0; ridx < n; ridx++) {{ {_walk('off', 'base', nr, 'r')} "
                f"acc = comb(acc, in[off]); }}\n  out[oo + kidx] = {final};\n}}\n")
    return head + body


def _split(shape, axes):
    st = _contig_strides(shape)
    kept = [a for a in range(len(shape)) if a not in axes]
    kd, (ks,) = _coalesce([shape[a] for a in kept], [st[a] for a in kept])
    rd, (rs,) = _coalesce([shape[a] for a in axes], [st[a] for a in axes])
    return kd, ks, rd, rs


def _args(dims, strides):
    out = []
    for d, s in zip(dims, strides):
        out += [np.int64(d), np.int64(s)]
    return out


def _reduce(op):
    def kernel(ins, outs, attrs):
        x, out = ins[0], outs[0]
        dev = out.dev
        if not floats(dev, x, out) or x.size == 0:
            return NotImplemented
        axis = attrs.get("axis")
        if not axis:
            axes = tuple(range(x.ndim))
        else:
            axes = {a % x.ndim for a in axis}
            if attrs.get("exclude", False):
                axes = set(range(x.ndim)) - axes
            axes = tuple(sorted(axes))
        kd, ks, rd, rs = _split(x.shape, axes)
        if len(kd) > _MAXD or len(rd) > _MAXD:
            return NotImplemented
        # padded to a fixed number of axes: one kernel per op and dtype (fewer PoCL builds)
        kd, ks = [1] * (_MAXD - len(kd)) + kd, [0] * (_MAXD - len(ks)) + ks
        rd, rs = [1] * (_MAXD - len(rd)) + rd, [0] * (_MAXD - len(rs)) + rs
        n = 1
        for d in rd:
            n *= d
        nout = out.size
        group = min(_GROUP, dev.max_group) if n >= 128 else 0
        group = 1 << (group.bit_length() - 1) if group else 0    # a power of two for the tree
        k = dev.kernel(_source(op, ctype(x.dtype), _MAXD, _MAXD, group), "red")
        args = [out.buf, np.int64(out.offset), x.buf, np.int64(x.offset), np.int64(n),
                np.int64(nout)] + _args(kd, ks) + _args(rd, rs)
        if group:
            dev.launch(k, (nout * group,), (group,), *args)
        else:
            g = -(-nout // _GROUP) * _GROUP
            dev.launch(k, (g,), (_GROUP,), *args)
        return None
    return kernel


_ARG_SRC = _PREAMBLE + """#define T {T}
__kernel void arg(__global T* out, long oo, __global const T* in, long io, long outer, long n,
                  long inner) {{
  long g = get_global_id(0); if (g >= outer * inner) return;
  long o = g / inner, i = g % inner;
  __global const T* p = in + io + o * n * inner + i;
  T best = p[0]; long at = 0;
  for (long j = 1; j < n; j++) {{
    T v = p[j * inner];
    if (best == best && (v != v || v {cmp} best)) {{ best = v; at = j; }}
  }}
  out[oo + g] = (T)at;
}}
"""


def _arg(cmp):
    def kernel(ins, outs, attrs):
        """The first index of the extreme value along ``axis`` (NaN counts as the extreme)."""
        x, out = ins[0], outs[0]
        dev = out.dev
        if not floats(dev, x, out) or x.size == 0:
            return NotImplemented
        axis = attrs["axis"]
        if axis is None:
            outer, n, inner = 1, x.size, 1
        else:
            axis %= x.ndim
            outer = int(np.prod(x.shape[:axis], dtype=np.int64))
            n, inner = x.shape[axis], int(np.prod(x.shape[axis + 1:], dtype=np.int64))
        k = dev.kernel(_ARG_SRC.format(T=ctype(x.dtype), cmp=cmp), "arg")
        m = outer * inner
        dev.launch(k, (-(-m // _GROUP) * _GROUP,), (_GROUP,), out.buf, np.int64(out.offset), x.buf,
                   np.int64(x.offset), np.int64(outer), np.int64(n), np.int64(inner))
        return None
    return kernel


KERNELS = {"sum": _reduce("sum"), "mean": _reduce("mean"), "max": _reduce("max"),
           "min": _reduce("min"), "argmax": _arg(">"), "argmin": _arg("<")}
