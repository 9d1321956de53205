"""Data movement on the device: one strided copy (and fill) behind the shape family.

``strided_copy(src, soff, shape, sst, dst, doff, dst_st)`` copies the n-d region of ``src`` that
starts at element ``soff`` and steps ``sst[k]`` along axis ``k`` into the region of ``dst``
described the same way (the OpenCL twin of ``cpu/copy.pyx``). Strides may be negative (flip) or
zero (broadcast, source only). Concat, stack, split, slice*, Crop, tile, repeat, reverse,
SwapAxis, depth/space_to_depth, diag and the slice assignments only compute
``(offset, shape, strides)``. Elements move as unsigned integers of their size, so one program per
item size (1, 2, 4, 8 bytes) serves every dtype, float16 included. Pad has its own kernel in the
same program (edge and reflect map each output coordinate back into the input).
"""
import numpy as np

from ..reference.sequence import split_indices
from ..reference.shape import diag_axes, slice_axis_ranges, slice_ranges
from ..reference.vision import crop_offsets
from .elemwise import _PREAMBLE, _coalesce, _contig_strides, copy, launch_1d

__all__ = ["KERNELS", "strided_copy", "strided_fill", "bits", "same_memory", "MAXD"]

MAXD = 8   # axes after coalescing; more goes to the host fallback
_BITS = {1: "uchar", 2: "ushort", 4: "uint", 8: "ulong"}


def _walk(nd, names):
    """C: flat index ``i`` -> offsets ``o<name>`` (bases ``<name>o``, strides ``<name>s<k>``).

    The index math runs in ``IDX`` (``uint`` unless the array has 2**32 elements or more:
    64-bit division is slow on CPUs and emulated on GPUs), and stops at the first quotient that
    is 0 (the leading axes, padded with 1s, cost nothing)."""
    code = ["IDX r = (IDX)i;"] + [f"long o{n} = {n}o;" for n in names]
    for k in reversed(range(nd)):
        code.append(f"if (r) {{ IDX c = r % (IDX)d{k}; r /= (IDX)d{k}; "
                    + " ".join(f"o{n} += (long)c * {n}s{k};" for n in names))
    return " ".join(code) + " }" * nd


def _params(nd, names):
    return ", ".join([f"long d{k}" for k in range(nd)]
                     + [f"long {n}s{k}" for n in names for k in range(nd)])


_PAD_PARAMS = ", ".join(f"long d{k}, long x{k}, long b{k}, long ss{k}" for k in range(MAXD))


def _program(item, idx="uint"):
    return _PREAMBLE + f"#define T {_BITS[item]}\n#define IDX {idx}\n" + f"""
__kernel void scopy(__global T* dst, long to, __global const T* src, long so, long n,
                    {_params(MAXD, "st")}) {{
  long i = get_global_id(0); if (i >= n) return;
  {_walk(MAXD, "st")}
  dst[ot] = src[os];
}}
__kernel void sfill(__global T* dst, long to, T v, long n, {_params(MAXD, "t")}) {{
  long i = get_global_id(0); if (i >= n) return;
  {_walk(MAXD, "t")}
  dst[ot] = v;
}}
__kernel void pad(__global T* dst, long to, __global const T* src, long so, long n, int mode,
                  T v, {_PAD_PARAMS}) {{
  long i = get_global_id(0); if (i >= n) return;
  long r = i, off = so; int outside = 0;
  for (int k = {MAXD - 1}; k >= 0; k--) {{
    long d, x, b, s;
    switch (k) {{ {" ".join(f"case {k}: d = d{k}; x = x{k}; b = b{k}; s = ss{k}; break;"
                            for k in range(MAXD))} }}
    long p = r % d - b; r /= d;
    if (p < 0 || p >= x) {{
      if (mode == 0) {{ outside = 1; p = 0; }}
      else if (mode == 1 || x == 1) p = p < 0 ? 0 : x - 1;
      else {{ long per = 2 * (x - 1); p = p < 0 ? -p : p; p %= per; if (p >= x) p = per - p; }}
    }}
    off += p * s;
  }}
  dst[to + i] = outside ? v : src[off];
}}
"""


def _kernel(dev, item, name, n):
    return dev.kernel(_program(item, "uint" if n < 1 << 32 else "ulong"), name)


def bits(value, dtype):
    """``value`` cast to ``dtype`` (as numpy casts), as the unsigned integer of the same bits."""
    dtype = np.dtype(dtype)
    v = np.asarray(value).astype(dtype).reshape(1)
    return v.view(np.dtype(f"u{dtype.itemsize}"))[0]


def same_memory(a, b):
    """True when two device arrays are the same window of the same buffer."""
    return a.buf.int_ptr == b.buf.int_ptr and a.offset == b.offset


def _pad_to(dims, sts):
    pad = MAXD - len(dims)
    return [1] * pad + dims, [[0] * pad + st for st in sts]


def _dims_args(dims, sts):
    return [np.int64(d) for d in dims] + [np.int64(s) for st in sts for s in st]


def strided_copy(src, soff, shape, sst, dst, doff, dst_st):
    """Enqueue the region copy; NotImplemented beyond ``MAXD`` coalesced axes or odd sizes."""
    item = src.dtype.itemsize
    if item not in _BITS or dst.dtype.itemsize != item:
        return NotImplemented
    n = int(np.prod(shape, dtype=np.int64))
    if n == 0:
        return None
    dims, sts = _coalesce(list(shape), list(sst), list(dst_st))
    if len(dims) > MAXD:
        return NotImplemented
    dims, (s, t) = _pad_to(dims, sts)
    dev = dst.dev
    launch_1d(dev, _kernel(dev, item, "scopy", n), n, dst.buf, np.int64(dst.offset + doff), src.buf,
              np.int64(src.offset + soff), np.int64(n), *_dims_args(dims, (s, t)))
    return None


def strided_fill(dst, value, doff=0, shape=None, dst_st=None):
    """Fill a region of ``dst`` (all of it by default) with ``value`` cast to its dtype."""
    item = dst.dtype.itemsize
    if item not in _BITS:
        return NotImplemented
    shape = dst.shape if shape is None else shape
    dst_st = _contig_strides(shape) if dst_st is None else dst_st
    n = int(np.prod(shape, dtype=np.int64))
    if n == 0:
        return None
    dims, sts = _coalesce(list(shape), list(dst_st))
    if len(dims) > MAXD:
        return NotImplemented
    dims, sts = _pad_to(dims, sts)
    dev = dst.dev
    launch_1d(dev, _kernel(dev, item, "sfill", n), n, dst.buf, np.int64(dst.offset + doff),
              bits(value, dst.dtype), np.int64(n), *_dims_args(dims, sts))
    return None


def _gather(x, offset, sst, out, shape=None):
    """``out`` (contiguous, viewed as ``shape``) = the strided region of ``x``."""
    shape = out.shape if shape is None else shape
    return strided_copy(x, offset, shape, sst, out, 0, _contig_strides(shape))


def _ranges_copy(x, ranges, out):
    st = _contig_strides(x.shape)
    offset = sum(b * s for (b, _, _), s in zip(ranges, st))
    return _gather(x, offset, [step * s for (_, step, _), s in zip(ranges, st)], out)


def _all(results):
    return NotImplemented if NotImplemented in results else None


# -- the op kernels ---------------------------------------------------------------------------
def swapaxes(ins, outs, attrs):
    x = ins[0]
    perm = list(range(x.ndim))
    a, b = attrs["dim1"] % x.ndim, attrs["dim2"] % x.ndim
    perm[a], perm[b] = perm[b], perm[a]
    st = _contig_strides(x.shape)
    return _gather(x, 0, [st[k] for k in perm], outs[0])


def slice_(ins, outs, attrs):
    x = ins[0]
    return _ranges_copy(x, slice_ranges(x.shape, attrs["begin"], attrs["end"], attrs["step"]),
                        outs[0])


def slice_axis(ins, outs, attrs):
    x = ins[0]
    return _ranges_copy(x, slice_axis_ranges(x.shape, attrs["axis"], attrs["begin"],
                                             attrs["end"]), outs[0])


def slice_like(ins, outs, attrs):
    return _gather(ins[0], 0, _contig_strides(ins[0].shape), outs[0])


def crop(ins, outs, attrs):
    x, out = ins[0], outs[0]
    y0, x0 = crop_offsets(attrs, x.shape[2:], out.shape[2:])
    st = _contig_strides(x.shape)
    return _gather(x, y0 * st[2] + x0 * st[3], st, out)


def reverse(ins, outs, attrs):
    x = ins[0]
    st = _contig_strides(x.shape)
    offset = 0
    for a in set(attrs["axis"]):
        if attrs["axis"].count(a) % 2:   # an axis named twice is reversed twice
            a %= x.ndim
            offset += (x.shape[a] - 1) * st[a]
            st[a] = -st[a]
    return _gather(x, offset, st, outs[0])


def tile(ins, outs, attrs):
    x, reps = ins[0], attrs["reps"] or (1,)
    n = max(x.ndim, len(reps))
    dims = (1,) * (n - x.ndim) + x.shape
    reps = (1,) * (n - len(reps)) + tuple(reps)
    shape, src = [], []
    for d, r, s in zip(dims, reps, _contig_strides(dims)):   # out viewed as (r0, d0, r1, d1, ...)
        shape += [r, d]
        src += [0, s]
    return _gather(x, 0, src, outs[0], shape)


def repeat(ins, outs, attrs):
    x, r, axis = ins[0], attrs["repeats"], attrs["axis"]
    if outs[0].size == 0:
        return None
    if axis is None:
        shape, src = [x.size, r], [1, 0]
    else:
        axis %= x.ndim
        st = _contig_strides(x.shape)
        shape = list(x.shape[:axis + 1]) + [r] + list(x.shape[axis + 1:])
        src = st[:axis + 1] + [0] + st[axis + 1:]
    return _gather(x, 0, src, outs[0], shape)


def depth_to_space(ins, outs, attrs):
    x, b = ins[0], attrs["block_size"]
    n, c, h, w = x.shape
    st = _contig_strides((n, b, b, c // (b * b), h, w))
    return _gather(x, 0, [st[k] for k in (0, 3, 4, 1, 5, 2)], outs[0],
                   (n, c // (b * b), h, b, w, b))


def space_to_depth(ins, outs, attrs):
    x, b = ins[0], attrs["block_size"]
    n, c, h, w = x.shape
    st = _contig_strides((n, c, h // b, b, w // b, b))
    return _gather(x, 0, [st[k] for k in (0, 3, 5, 1, 2, 4)], outs[0],
                   (n, b, b, c, h // b, w // b))


def diag(ins, outs, attrs):
    x, out, k = ins[0], outs[0], attrs["k"]
    if x.ndim == 1:
        if strided_fill(out, 0) is NotImplemented:
            return NotImplemented
        m = out.shape[0]
        return strided_copy(x, 0, x.shape, (1,), out, k if k >= 0 else -k * m, (m + 1,))
    a1, a2 = diag_axes(x.ndim, attrs)
    st = _contig_strides(x.shape)
    offset = k * st[a2] if k >= 0 else -k * st[a1]
    src = [s for i, s in enumerate(st) if i not in (a1, a2)] + [st[a1] + st[a2]]
    return _gather(x, offset, src, out)


def concat(ins, outs, attrs):
    out = outs[0]
    axis = attrs["dim"] % out.ndim
    ost = _contig_strides(out.shape)
    pos, res = 0, []
    for x in ins:
        res.append(strided_copy(x, 0, x.shape, _contig_strides(x.shape), out, pos * ost[axis], ost))
        pos += x.shape[axis]
    return _all(res)


def stack(ins, outs, attrs):
    out = outs[0]
    axis = attrs["axis"] % out.ndim
    ost = _contig_strides(out.shape)
    dst = ost[:axis] + ost[axis + 1:]
    return _all([strided_copy(x, 0, x.shape, _contig_strides(x.shape), out, k * ost[axis], dst)
                 for k, x in enumerate(ins)])


def split(ins, outs, attrs):
    x = ins[0]
    axis = attrs["axis"] % x.ndim
    m = x.shape[axis] // attrs["num_outputs"]
    st = _contig_strides(x.shape)
    part = x.shape[:axis] + (m,) + x.shape[axis + 1:]
    return _all([_gather(x, k * m * st[axis], st, out, part) for k, out in enumerate(outs)])


def split_v2(ins, outs, attrs):
    x = ins[0]
    axis = attrs["axis"] % x.ndim
    size = x.shape[axis]
    starts = split_indices(size, attrs["indices"], attrs["sections"])
    st = _contig_strides(x.shape)
    res = []
    for i, out in enumerate(outs):
        begin = starts[i]
        end = begin if size == 0 else (starts[i + 1] if i + 1 < len(outs) else size)
        part = x.shape[:axis] + (max(end - begin, 0),) + x.shape[axis + 1:]
        res.append(_gather(x, begin * st[axis], st, out, part))
    return _all(res)


def _start_from(src, out):
    """An in-place update starts from ``src``: copy it unless ``out`` already is it."""
    if same_memory(src, out):
        return None
    st = _contig_strides(src.shape)
    return strided_copy(src, 0, src.shape, st, out, 0, st)


def _assign_region(shape, attrs):
    ranges = slice_ranges(shape, attrs["begin"], attrs["end"], attrs["step"])
    st = _contig_strides(shape)
    offset = sum(b * s for (b, _, _), s in zip(ranges, st))
    return offset, [n for _, _, n in ranges], [step * s for (_, step, _), s in zip(ranges, st)]


def slice_assign(ins, outs, attrs):
    lhs, rhs = ins
    out = outs[0]
    if rhs.buf.int_ptr == out.buf.int_ptr:   # x[::2] = x[1] reads the array it writes
        from .array import CLStorage
        tmp = CLStorage(out.dev).alloc(rhs.shape, rhs.dtype)
        if _start_from(rhs, tmp) is NotImplemented:
            return NotImplemented
        rhs = tmp
    if _start_from(lhs, out) is NotImplemented:
        return NotImplemented
    offset, shape, dst = _assign_region(lhs.shape, attrs)
    return strided_copy(rhs, 0, shape, _contig_strides(shape), out, offset, dst)


def slice_assign_scalar(ins, outs, attrs):
    data, out = ins[0], outs[0]
    if _start_from(data, out) is NotImplemented:
        return NotImplemented
    offset, shape, dst = _assign_region(data.shape, attrs)
    return strided_fill(out, attrs["scalar"], offset, shape, dst)


_PAD_MODES = {"constant": 0, "edge": 1, "reflect": 2}


def pad(ins, outs, attrs):
    x, out = ins[0], outs[0]
    item = x.dtype.itemsize
    if item not in _BITS or x.ndim > MAXD or out.dtype != x.dtype or out.size == 0:
        return NotImplemented if out.size else None
    w = attrs["pad_width"]
    lead = MAXD - x.ndim
    args = []
    for k, (d, s) in enumerate(zip([1] * lead + list(out.shape),
                                   [0] * lead + _contig_strides(x.shape))):
        xd = 1 if k < lead else x.shape[k - lead]
        before = 0 if k < lead else w[2 * (k - lead)]
        args += [np.int64(d), np.int64(xd), np.int64(before), np.int64(s)]
    dev = out.dev
    value = attrs["constant_value"] if attrs["mode"] == "constant" else 0
    launch_1d(dev, _kernel(dev, item, "pad", out.size), out.size, out.buf, np.int64(out.offset), x.buf,
              np.int64(x.offset), np.int64(out.size), np.int32(_PAD_MODES[attrs["mode"]]),
              bits(value, x.dtype), *args)
    return None


def _host_values(values):
    def kernel(ins, outs, attrs):
        from .array import CLStorage
        CLStorage.from_numpy(np.asarray(values(ins[0]), dtype=outs[0].dtype), outs[0])
    return kernel


KERNELS = {
    "SwapAxis": swapaxes, "slice": slice_, "slice_axis": slice_axis, "slice_like": slice_like,
    "Crop": crop, "reverse": reverse, "tile": tile, "repeat": repeat,
    "depth_to_space": depth_to_space, "space_to_depth": space_to_depth, "diag": diag,
    "Concat": concat, "stack": stack, "SliceChannel": split, "_split_v2": split_v2,
    "_slice_assign": slice_assign, "_slice_assign_scalar": slice_assign_scalar, "Pad": pad,
    "cast_storage": copy,     # dense storage only: a copy
    "shape_array": _host_values(lambda x: x.shape), "size_array": _host_values(lambda x: x.size),
}
