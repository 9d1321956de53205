"""Cython kernels of the shape family, all built on one strided copy.

``strided_copy(src, src_offset, shape, src_strides, dst, dst_offset, dst_strides)`` copies the
n-d region of ``src`` that starts at element ``src_offset`` and steps ``src_strides[k]`` elements
along axis ``k`` into the region of ``dst`` described the same way. Strides may be negative
(flip) or zero (broadcast from the source; never on the destination). The naive loop::

    for i in ndindex(shape):
        dst[dst_offset + sum(i * dst_strides)] = src[src_offset + sum(i * src_strides)]

transpose, SwapAxis, slice with steps, slice_axis, slice_like, flip, broadcast_*, tile, repeat,
depth_to_space, space_to_depth, diag, Concat, stack, split and the slice assignments behind
``x[a:b:s] = v`` only compute ``(offset, shape, strides)`` and call it. Optimisations, in order:

1. Simplify the region. Axes of size 1 go; the axes are ordered by the destination's stride so
   that writes are sequential; neighbouring axes that are contiguous in both arrays merge, so a
   plain slice of rows is one long row.
2. Copy whole rows with ``memcpy`` when the innermost axis is contiguous on both sides.
3. Tile when it is not (a transpose): the axis the source reads contiguously becomes the row axis
   of the 2-d core, and ``TILE x TILE`` blocks go through a small buffer, read along the source's
   contiguous axis and written along the destination's, so the cache lines of both arrays are used
   fully before they are evicted (a naive transpose uses one element per cache line). On a
   2048 x 2048 float32 array this is about 4x faster than ``np.ascontiguousarray(a.T)``.
4. Elements are moved as unsigned integers of their size (1, 2, 4 or 8 bytes), so one loop serves
   every dtype; a fused type gives one C loop per size.
5. Above ``PARALLEL_MIN`` elements, ``prange`` over work items (tiles or blocks of rows) with
   ``kernel_threads()`` threads.

Kernels not written here (Reshape and friends are one ``memcpy`` in numpy; Pad and where) use the
numpy reference, which is also the spec these kernels are tested against.
"""
cimport numpy as cnp
from cython.parallel cimport prange
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy

import numpy as np

from minimx._kernels.reference.shape import diag_axes, slice_axis_ranges, slice_ranges
from minimx.threads import kernel_threads

cnp.import_array()

__all__ = ["KERNELS", "strided_copy", "PARALLEL_MIN"]

ctypedef fused elem:
    uint8_t
    uint16_t
    uint32_t
    uint64_t

cdef enum:
    MAX_NDIM = 32
    TILE = 64             # tiles of 64 x 64 elements: a 16-32 KiB buffer, in L1 or close to it
    ROW_WORK = 16384      # elements per work item when whole rows are copied

PARALLEL_MIN = 65536      # elements; smaller copies never start OpenMP threads


cdef struct Plan:
    int nouter                      # outer axes, walked by decomposing an item's index
    Py_ssize_t shape[MAX_NDIM]
    Py_ssize_t sstr[MAX_NDIM]
    Py_ssize_t dstr[MAX_NDIM]
    Py_ssize_t nrows, ncols         # the 2-d core: rows x cols, cols innermost
    Py_ssize_t srow, scol, drow, dcol
    Py_ssize_t rows_per_item, row_blocks, items
    bint tiled


# -- the typed loops ---------------------------------------------------------------------------------
cdef void _rows(const elem* s, elem* d, const Plan* p, Py_ssize_t r0, Py_ssize_t r1) noexcept nogil:
    """Rows ``r0..r1`` of the 2-d core (at most ``TILE`` of them when tiled)."""
    cdef Py_ssize_t r, c, c0, c1
    cdef Py_ssize_t ncols = p.ncols, srow = p.srow, scol = p.scol, drow = p.drow, dcol = p.dcol
    cdef elem buf[TILE * TILE]
    cdef const elem* src
    cdef elem* dst
    if p.tiled:
        # Through a small buffer: read TILE source runs along the rows (contiguous in the source),
        # then write TILE destination runs along the columns. Going straight from one array to
        # the other strides through TILE cache lines of one of them per element, and with
        # power-of-two sizes (2048 x 2048) those lines fall in one cache set and evict each other.
        c0 = 0
        while c0 < ncols:
            c1 = min(c0 + TILE, ncols)
            for c in range(c0, c1):
                src = s + c * scol + r0 * srow
                dst = buf + (c - c0) * TILE
                for r in range(r1 - r0):
                    dst[r] = src[r * srow]
            for r in range(r0, r1):
                dst = d + r * drow
                for c in range(c0, c1):
                    dst[c * dcol] = buf[(c - c0) * TILE + r - r0]
            c0 = c1
    elif scol == 1 and dcol == 1:
        for r in range(r0, r1):
            memcpy(d + r * drow, s + r * srow, ncols * sizeof(elem))
    elif scol == 0 and dcol == 1:
        for r in range(r0, r1):
            dst = d + r * drow
            for c in range(ncols):
                dst[c] = s[r * srow]
    else:
        for r in range(r0, r1):
            for c in range(ncols):
                d[r * drow + c * dcol] = s[r * srow + c * scol]


cdef void _item(const elem* s, elem* d, const Plan* p, Py_ssize_t item) noexcept nogil:
    """One work item: a block of rows of the 2-d core under one index of the outer axes."""
    cdef Py_ssize_t outer = item // p.row_blocks, block = item % p.row_blocks
    cdef Py_ssize_t so = 0, do = 0, k, i
    for k in range(p.nouter - 1, -1, -1):
        i = outer % p.shape[k]
        outer = outer // p.shape[k]
        so += i * p.sstr[k]
        do += i * p.dstr[k]
    _rows(s + so, d + do, p, block * p.rows_per_item,
          min((block + 1) * p.rows_per_item, p.nrows))


cdef void _run(const elem* s, elem* d, const Plan* p, int nthreads) noexcept nogil:
    cdef Py_ssize_t item
    if nthreads <= 1:
        for item in range(p.items):
            _item(s, d, p, item)
    else:
        for item in prange(p.items, schedule="static", num_threads=nthreads):
            _item(s, d, p, item)


# -- planning (with the GIL: a few dozen integers) ---------------------------------------------------
def _span(offset, shape, strides):
    """The lowest and highest element a region touches."""
    lo = hi = offset
    for n, st in zip(shape, strides):
        if st > 0:
            hi += (n - 1) * st
        else:
            lo += (n - 1) * st
    return lo, hi


def _simplify(shape, sstr, dstr):
    """Drop size-1 axes, order by destination stride (largest first), merge contiguous axes."""
    axes = sorted((i for i in range(len(shape)) if shape[i] != 1),
                  key=lambda i: (abs(dstr[i]), abs(sstr[i])), reverse=True)
    n, s, d = [], [], []
    for i in axes:
        k = len(n) - 1   # (no negative indexing: wraparound is off in this module)
        if n and s[k] == sstr[i] * shape[i] and d[k] == dstr[i] * shape[i]:
            n[k] *= shape[i]
            s[k], d[k] = sstr[i], dstr[i]
        else:
            n.append(shape[i])
            s.append(sstr[i])
            d.append(dstr[i])
    return n, s, d


def _layout(n, s, d):
    """Split simplified axes into (outer axes, the row axis of the 2-d core, tiled?).

    The innermost axis is the core's column axis. When the source is read across it (a transpose),
    the axis the source reads most contiguously becomes the row axis and the core is tiled.
    """
    last = len(n) - 1
    rows, tiled = last - 1, False
    if last >= 1 and abs(s[last]) > 1 and n[last] >= 4:
        moving = [k for k in range(last) if s[k] != 0 and n[k] >= 4]
        if moving:
            best = min(moving, key=lambda k: abs(s[k]))
            if abs(s[best]) < abs(s[last]):
                rows, tiled = best, True
    return [k for k in range(last) if k != rows], rows, tiled


cdef int _plan(Plan* p, list n, list s, list d) except -1:
    cdef int k
    if not n:                                   # a single element
        n, s, d = [1], [0], [0]
    if len(n) > MAX_NDIM + 2:
        raise ValueError(f"strided_copy supports at most {MAX_NDIM + 2} axes")
    outer, rows, tiled = _layout(n, s, d)
    last = len(n) - 1
    p.tiled = tiled
    p.nouter = len(outer)
    for k in range(p.nouter):
        p.shape[k], p.sstr[k], p.dstr[k] = n[outer[k]], s[outer[k]], d[outer[k]]
    p.ncols, p.scol, p.dcol = n[last], s[last], d[last]
    if rows >= 0:
        p.nrows, p.srow, p.drow = n[rows], s[rows], d[rows]
    else:
        p.nrows, p.srow, p.drow = 1, 0, 0
    p.rows_per_item = TILE if tiled else max(1, min(p.nrows, ROW_WORK // max(p.ncols, 1)))
    p.row_blocks = (p.nrows + p.rows_per_item - 1) // p.rows_per_item
    p.items = p.row_blocks
    for k in range(p.nouter):
        p.items *= p.shape[k]
    return 0


def strided_copy(cnp.ndarray src, Py_ssize_t src_offset, shape, src_strides,
                 cnp.ndarray dst, Py_ssize_t dst_offset, dst_strides):
    """Copy a strided region of ``src`` into a strided region of ``dst`` (see the module doc).

    Both arrays must be C-contiguous with the same item size; offsets and strides count elements
    of the flattened arrays. Raises ValueError if a region leaves its array.
    """
    cdef Plan plan
    cdef char* s
    cdef char* d
    cdef int nthreads = 1
    cdef Py_ssize_t item
    shape = [int(v) for v in shape]
    sstr = [int(v) for v in src_strides]
    dstr = [int(v) for v in dst_strides]
    if not (len(shape) == len(sstr) == len(dstr)):
        raise ValueError(f"shape {shape}, src_strides {sstr} and dst_strides {dstr} differ in length")
    if not (src.flags.c_contiguous and dst.flags.c_contiguous):
        raise ValueError("strided_copy needs C-contiguous arrays (strides are given explicitly)")
    if src.itemsize != dst.itemsize:
        raise ValueError(f"item sizes differ: {src.dtype} vs {dst.dtype}")
    if any(v < 0 for v in shape):
        raise ValueError(f"negative size in shape {shape}")
    size = 1
    for v in shape:
        size *= v
    if size == 0:
        return
    for name, arr, off, st in (("source", src, src_offset, sstr), ("destination", dst, dst_offset, dstr)):
        lo, hi = _span(off, shape, st)
        if lo < 0 or hi >= arr.size:
            raise ValueError(f"the {name} region (elements {lo}..{hi}) leaves its array of "
                             f"{arr.size} elements")
    n, s_, d_ = _simplify(shape, sstr, dstr)
    _plan(&plan, n, s_, d_)
    if size >= PARALLEL_MIN:
        nthreads = kernel_threads()
    item = src.itemsize
    s = <char*> cnp.PyArray_DATA(src) + src_offset * item
    d = <char*> cnp.PyArray_DATA(dst) + dst_offset * item
    with nogil:
        if item == 1:
            _run(<uint8_t*> s, <uint8_t*> d, &plan, nthreads)
        elif item == 2:
            _run(<uint16_t*> s, <uint16_t*> d, &plan, nthreads)
        elif item == 4:
            _run(<uint32_t*> s, <uint32_t*> d, &plan, nthreads)
        elif item == 8:
            _run(<uint64_t*> s, <uint64_t*> d, &plan, nthreads)
        else:
            with gil:
                raise ValueError(f"item size {item} is not supported")


# -- the op kernels: (offset, shape, strides) of each op, then one strided_copy ---------------------
def _cstrides(shape):
    """Element strides of a C-contiguous array of ``shape``."""
    out, step = [], 1
    for n in reversed(shape):
        out.append(step)
        step *= n
    return out[::-1]


def _gather(x, offset, src_strides, out, shape=None):
    """``out`` (contiguous, viewed as ``shape``) = the strided region of ``x``."""
    shape = out.shape if shape is None else shape
    strided_copy(x, offset, shape, src_strides, out, 0, _cstrides(shape))


def transpose(ins, outs, attrs):
    x = ins[0]
    axes = attrs["axes"] or tuple(range(x.ndim - 1, -1, -1))
    st = _cstrides(x.shape)
    _gather(x, 0, [st[a] for a in axes], outs[0])


def swapaxes(ins, outs, attrs):
    x = ins[0]
    perm = list(range(x.ndim))
    a, b = attrs["dim1"] % x.ndim, attrs["dim2"] % x.ndim
    perm[a], perm[b] = perm[b], perm[a]
    st = _cstrides(x.shape)
    _gather(x, 0, [st[k] for k in perm], outs[0])


def _ranges_copy(x, ranges, out):
    st = _cstrides(x.shape)
    offset = sum(b * s for (b, _, _), s in zip(ranges, st))
    _gather(x, offset, [step * s for (_, step, _), s in zip(ranges, st)], out)


def slice_(ins, outs, attrs):
    x = ins[0]
    _ranges_copy(x, slice_ranges(x.shape, attrs["begin"], attrs["end"], attrs["step"]), outs[0])


def slice_axis(ins, outs, attrs):
    x = ins[0]
    _ranges_copy(x, slice_axis_ranges(x.shape, attrs["axis"], attrs["begin"], attrs["end"]), outs[0])


def slice_like(ins, outs, attrs):
    _gather(ins[0], 0, _cstrides(ins[0].shape), outs[0])


def reverse(ins, outs, attrs):
    x = ins[0]
    st = _cstrides(x.shape)
    offset = 0
    for a in set(attrs["axis"]):
        if attrs["axis"].count(a) % 2:   # an axis named twice is reversed twice
            offset += (x.shape[a] - 1) * st[a]
            st[a] = -st[a]
    _gather(x, offset, st, outs[0])


def broadcast(ins, outs, attrs):
    x, out = ins[0], outs[0]
    if np.may_share_memory(x, out):   # x[1:] = x[0] writes a view of x from part of x
        x = x.copy()
    st = [0 if n == 1 else s for n, s in zip(x.shape, _cstrides(x.shape))]
    _gather(x, 0, st, out)


def tile(ins, outs, attrs):
    x, reps = ins[0], attrs["reps"] or (1,)
    n = max(x.ndim, len(reps))
    dims = (1,) * (n - x.ndim) + x.shape
    reps = (1,) * (n - len(reps)) + tuple(reps)
    st = _cstrides(dims)
    shape, src = [], []
    for d, r, s in zip(dims, reps, st):   # out viewed as (r0, d0, r1, d1, ...)
        shape += [r, d]
        src += [0, s]
    _gather(x, 0, src, outs[0], shape)


def repeat(ins, outs, attrs):
    x, r, axis = ins[0], attrs["repeats"], attrs["axis"]
    if outs[0].size == 0:
        return
    if axis is None:
        shape, src = [x.size, r], [1, 0]
    else:
        axis %= x.ndim
        st = _cstrides(x.shape)
        shape = list(x.shape[:axis + 1]) + [r] + list(x.shape[axis + 1:])
        src = st[:axis + 1] + [0] + st[axis + 1:]
    _gather(x, 0, src, outs[0], shape)


def depth_to_space(ins, outs, attrs):
    x, b = ins[0], attrs["block_size"]
    n, c, h, w = x.shape
    st = _cstrides((n, b, b, c // (b * b), h, w))
    perm = (0, 3, 4, 1, 5, 2)
    _gather(x, 0, [st[k] for k in perm], outs[0], (n, c // (b * b), h, b, w, b))


def space_to_depth(ins, outs, attrs):
    x, b = ins[0], attrs["block_size"]
    n, c, h, w = x.shape
    st = _cstrides((n, c, h // b, b, w // b, b))
    perm = (0, 3, 5, 1, 2, 4)
    _gather(x, 0, [st[k] for k in perm], outs[0], (n, b, b, c, h // b, w // b))


def diag(ins, outs, attrs):
    x, out, k = ins[0], outs[0], attrs["k"]
    if x.ndim == 1:
        out[...] = 0
        m = out.shape[0]
        offset = k if k >= 0 else -k * m
        strided_copy(x, 0, x.shape, (1,), out, offset, (m + 1,))
        return
    a1, a2 = diag_axes(x.ndim, attrs)
    st = _cstrides(x.shape)
    offset = k * st[a2] if k >= 0 else -k * st[a1]
    src = [s for i, s in enumerate(st) if i not in (a1, a2)] + [st[a1] + st[a2]]
    _gather(x, offset, src, out)


def concat(ins, outs, attrs):
    out = outs[0]
    axis = attrs["dim"] % out.ndim
    ost = _cstrides(out.shape)
    pos = 0
    for x in ins:
        strided_copy(x, 0, x.shape, _cstrides(x.shape), out, pos * ost[axis], ost)
        pos += x.shape[axis]


def stack(ins, outs, attrs):
    out = outs[0]
    axis = attrs["axis"] % out.ndim
    ost = _cstrides(out.shape)
    dst = ost[:axis] + ost[axis + 1:]
    for k, x in enumerate(ins):
        strided_copy(x, 0, x.shape, _cstrides(x.shape), out, k * ost[axis], dst)


def split(ins, outs, attrs):
    x = ins[0]
    axis = attrs["axis"] % x.ndim
    m = x.shape[axis] // attrs["num_outputs"]
    st = _cstrides(x.shape)
    part = x.shape[:axis] + (m,) + x.shape[axis + 1:]
    for k, out in enumerate(outs):
        _gather(x, k * m * st[axis], st, out, part)


def _assign_region(shape, attrs):
    ranges = slice_ranges(shape, attrs["begin"], attrs["end"], attrs["step"])
    st = _cstrides(shape)
    offset = sum(b * s for (b, _, _), s in zip(ranges, st))
    return offset, [n for _, _, n in ranges], [step * s for (_, step, _), s in zip(ranges, st)]


def _start_from(src, out):
    """An in-place update starts from ``src``: copy it unless ``out`` already is it."""
    if not np.may_share_memory(src, out):
        np.copyto(out, src)


def slice_assign(ins, outs, attrs):
    lhs, rhs = ins
    out = outs[0]
    if np.may_share_memory(rhs, out):   # x[::2] = x[1] reads the array it writes
        rhs = rhs.copy()
    _start_from(lhs, out)
    offset, shape, dst = _assign_region(lhs.shape, attrs)
    strided_copy(rhs, 0, shape, _cstrides(shape), out, offset, dst)


def slice_assign_scalar(ins, outs, attrs):
    data, out = ins[0], outs[0]
    _start_from(data, out)
    offset, shape, dst = _assign_region(data.shape, attrs)
    value = np.full(1, attrs["scalar"]).astype(data.dtype)   # cast as MXNet: int arrays truncate
    strided_copy(value, 0, shape, [0] * len(shape), out, offset, dst)


KERNELS = {
    "transpose": transpose, "SwapAxis": swapaxes, "slice": slice_, "slice_axis": slice_axis,
    "slice_like": slice_like, "reverse": reverse, "broadcast_to": broadcast,
    "broadcast_axis": broadcast, "broadcast_like": broadcast, "tile": tile, "repeat": repeat,
    "depth_to_space": depth_to_space, "space_to_depth": space_to_depth, "diag": diag,
    "Concat": concat, "stack": stack, "SliceChannel": split,
    "_slice_assign": slice_assign, "_slice_assign_scalar": slice_assign_scalar,
}
