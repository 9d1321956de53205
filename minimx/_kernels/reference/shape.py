"""numpy kernels of the shape family: data movement without arithmetic.

Every kernel writes its preallocated output ``outs[0]`` (``outs`` for split). These are the spec
the Cython kernels (``cpu/copy.pyx``) are tested against. ``slice_ranges`` is MXNet's reading of a
``slice`` op's begin/end/step; the op declarations import it so that shape rule and kernel agree.
"""
import numpy as np

__all__ = ["KERNELS", "slice_ranges", "slice_key", "diag_axes"]


def slice_ranges(shape, begin, end, step):
    """MXNet's ``slice`` semantics as ``[(start, step, length)]``, one per axis of ``shape``.

    Entries may be None (numpy's defaults for the step's sign). Unlike Python, a ``begin`` past the
    end with a positive step gives an empty axis, and an ``end`` below ``-n`` with a negative step
    runs to index 0. Raises ValueError with what is wrong.
    """
    if len(begin) != len(end):
        raise ValueError(f"begin and end must have the same length, got begin={tuple(begin)} "
                         f"and end={tuple(end)}")
    if len(begin) > len(shape):
        raise ValueError(f"begin has {len(begin)} entries but the input has only {len(shape)} axes")
    if step and len(step) != len(begin):
        raise ValueError(f"step and begin must have the same length, got step={tuple(step)}")
    ranges = []
    for i, n in enumerate(shape):
        if i >= len(begin):
            ranges.append((0, 1, n))
            continue
        s = step[i] if step and step[i] is not None else 1
        if s == 0:
            raise ValueError(f"step[{i}] cannot be 0")
        if n == 0:
            ranges.append((0, s, 0))
            continue
        b = begin[i] if begin[i] is not None else (n - 1 if s < 0 else 0)
        e = end[i] if end[i] is not None else (-1 if s < 0 else n)
        b += n if b < 0 else 0
        e += n if e < 0 and end[i] is not None else 0
        b = 0 if b < 0 and s > 0 else (n - 1 if b > n - 1 and s < 0 else b)
        e = min(max(e, -1), n)
        if b < 0 or b > n - 1:
            length = 0
        elif s > 0:
            length = (e - b - 1) // s + 1 if e > b else 0
        else:
            length = (b - e - 1) // -s + 1 if e < b else 0
        ranges.append((b if length else 0, s, length))
    return ranges


def slice_key(ranges):
    """Python slices selecting ``[(start, step, length)]`` (a negative stop becomes None)."""
    key = []
    for b, s, n in ranges:
        stop = b + s * n
        key.append(slice(b, stop if stop >= 0 else None, s) if n else slice(0, 0))
    return tuple(key)


def same_elements(ins, outs, attrs):
    """Reshape, Flatten, expand_dims, squeeze, reshape_like: the same elements in a new shape."""
    np.copyto(outs[0], ins[0].reshape(outs[0].shape))


def transpose(ins, outs, attrs):
    np.copyto(outs[0], np.transpose(ins[0], attrs["axes"] or None))


def swapaxes(ins, outs, attrs):
    np.copyto(outs[0], np.swapaxes(ins[0], attrs["dim1"], attrs["dim2"]))


def depth_to_space(ins, outs, attrs):
    x, b = ins[0], attrs["block_size"]
    n, c, h, w = x.shape
    y = x.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
    np.copyto(outs[0], y.reshape(outs[0].shape))


def space_to_depth(ins, outs, attrs):
    x, b = ins[0], attrs["block_size"]
    n, c, h, w = x.shape
    y = x.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4)
    np.copyto(outs[0], y.reshape(outs[0].shape))


def reverse(ins, outs, attrs):
    # An axis named twice is reversed twice, i.e. not at all (MXNet's behaviour).
    axes = tuple(a for a in set(attrs["axis"]) if attrs["axis"].count(a) % 2)
    np.copyto(outs[0], np.flip(ins[0], axes) if axes else ins[0])


def diag_axes(ndim, attrs):
    """(axis1, axis2) of ``diag`` made non-negative."""
    return attrs["axis1"] % ndim, attrs["axis2"] % ndim


def diag(ins, outs, attrs):
    x = ins[0]
    if x.ndim == 1:
        np.copyto(outs[0], np.diag(x, attrs["k"]))
    else:
        np.copyto(outs[0], np.diagonal(x, attrs["k"], *diag_axes(x.ndim, attrs)))


def shape_array(ins, outs, attrs):
    outs[0][...] = ins[0].shape


def size_array(ins, outs, attrs):
    outs[0][...] = ins[0].size


def slice_(ins, outs, attrs):
    x = ins[0]
    np.copyto(outs[0], x[slice_key(slice_ranges(x.shape, attrs["begin"], attrs["end"], attrs["step"]))])


def slice_axis_ranges(shape, axis, begin, end):
    """``[(start, step, length)]`` of ``slice_axis`` (its shape rule has checked the range)."""
    axis %= len(shape)
    n = shape[axis]
    b = begin + n if begin < 0 else begin
    e = n if end is None else (end + n if end < 0 else end)
    return [(b, 1, e - b) if i == axis else (0, 1, d) for i, d in enumerate(shape)]


def slice_axis(ins, outs, attrs):
    x = ins[0]
    key = slice_key(slice_axis_ranges(x.shape, attrs["axis"], attrs["begin"], attrs["end"]))
    np.copyto(outs[0], x[key])


def slice_like(ins, outs, attrs):
    # The output's shape (from the shape rule) says how much of each axis to keep, from index 0.
    np.copyto(outs[0], ins[0][tuple(slice(0, n) for n in outs[0].shape)])


def split(ins, outs, attrs):
    x, axis = ins[0], attrs["axis"] % ins[0].ndim
    for part, out in zip(np.split(x, attrs["num_outputs"], axis), outs):
        np.copyto(out, part.reshape(out.shape))


def where(ins, outs, attrs):
    cond, x, y = ins
    if cond.shape != x.shape:   # a 1-d condition picks whole rows (MXNet's special case)
        cond = cond.reshape(cond.shape + (1,) * (x.ndim - 1))
    np.copyto(outs[0], np.where(cond != 0, x, y))


def concat(ins, outs, attrs):
    np.concatenate(ins, axis=attrs["dim"], out=outs[0])


def stack(ins, outs, attrs):
    np.copyto(outs[0], np.stack(ins, axis=attrs["axis"]))


def tile(ins, outs, attrs):
    np.copyto(outs[0], np.tile(ins[0], attrs["reps"]).reshape(outs[0].shape))


def repeat(ins, outs, attrs):
    if outs[0].size:
        np.copyto(outs[0], np.repeat(ins[0], attrs["repeats"], attrs["axis"]))


def pad(ins, outs, attrs):
    x, w = ins[0], attrs["pad_width"]
    widths = [(w[2 * i], w[2 * i + 1]) for i in range(x.ndim)]
    mode = attrs["mode"]
    if mode == "constant":
        y = np.pad(x, widths, "constant", constant_values=attrs["constant_value"])
    else:
        y = np.pad(x, widths, mode)   # numpy's "edge" and "reflect" are MXNet's
    np.copyto(outs[0], y, casting="unsafe")


def broadcast(ins, outs, attrs):
    """broadcast_to, broadcast_axis, broadcast_like: the output shape says everything."""
    np.copyto(outs[0], np.broadcast_to(ins[0], outs[0].shape))


KERNELS = {
    "Reshape": same_elements, "reshape_like": same_elements, "Flatten": same_elements,
    "expand_dims": same_elements, "squeeze": same_elements,
    "transpose": transpose, "SwapAxis": swapaxes,
    "depth_to_space": depth_to_space, "space_to_depth": space_to_depth,
    "reverse": reverse, "diag": diag, "shape_array": shape_array, "size_array": size_array,
    "slice": slice_, "slice_axis": slice_axis, "slice_like": slice_like, "SliceChannel": split,
    "where": where, "Concat": concat, "stack": stack, "tile": tile, "repeat": repeat, "Pad": pad,
    "broadcast_to": broadcast, "broadcast_axis": broadcast, "broadcast_like": broadcast,
}
