"""numpy kernels of the indexing family: gathers and scatters driven by index arrays.

Indices may be of any numeric dtype; as in MXNet a float index is truncated toward zero (``1.7``
reads row 1, ``-0.5`` reads row 0). Out-of-range indices are clipped, wrapped or rejected as each
op's ``mode`` says; ops without a mode raise IndexError naming the axis and its size (the engine
re-raises it at the next wait).
"""
import numpy as np

from .shape import slice_key, slice_ranges

__all__ = ["KERNELS", "as_index", "check_nd_index"]


def as_index(indices):
    """Indices as int64, floats truncated toward zero (C's cast, which MXNet uses)."""
    return indices if indices.dtype == np.int64 else indices.astype(np.int64)


def _clip_or_wrap(idx, n, mode):
    if mode == "wrap":
        return np.mod(idx, n) if n else idx
    return np.clip(idx, 0, max(n - 1, 0))


def take(ins, outs, attrs):
    a, indices = ins
    axis, mode = attrs["axis"] % a.ndim, attrs["mode"]
    n = a.shape[axis]
    if mode == "raise":
        # MXNet checks the raw value: 2.9 is out of range for an axis of 3, and so is -1.
        if indices.size and (indices.min() < 0 or indices.max() > n - 1):
            raise IndexError(f"take: indices out of range for axis {axis} with size {n} "
                             f"(mode='raise' accepts 0..{n - 1})")
        idx = as_index(indices)
    else:
        idx = _clip_or_wrap(as_index(indices), n, mode)
    np.take(a, idx, axis=axis, out=outs[0])


def pick(ins, outs, attrs):
    data, index = ins
    axis = attrs["axis"] % data.ndim
    n = data.shape[axis]
    idx = _clip_or_wrap(as_index(index), n, attrs["mode"])
    keep = data.shape[:axis] + (1,) + data.shape[axis + 1:]
    picked = np.take_along_axis(data, idx.reshape(keep), axis=axis)
    np.copyto(outs[0], picked.reshape(outs[0].shape))


def check_nd_index(idx, shape):
    """Raise IndexError for the first index row ``idx[j]`` outside ``[-shape[j], shape[j])``."""
    for j in range(idx.shape[0]):
        row, n = idx[j], shape[j]
        bad = (row < -n) | (row >= n)
        if bad.any():
            raise IndexError(f"index {row[bad].flat[0]} is out of bounds for axis {j} with size {n}")


def gather_nd(ins, outs, attrs):
    data, indices = ins
    idx = as_index(indices)
    check_nd_index(idx, data.shape)
    np.copyto(outs[0], data[tuple(idx)])


def scatter_nd(ins, outs, attrs):
    data, indices = ins
    idx = as_index(indices)
    check_nd_index(idx, outs[0].shape)
    outs[0][...] = 0
    outs[0][tuple(idx)] = data   # NB: with repeated indices the last write wins (MXNet: undefined)


def _copy_unless_same(src, dst):
    """Start an in-place update: ``dst`` becomes ``src`` unless it already is the same memory."""
    if not np.may_share_memory(src, dst):
        np.copyto(dst, src)


def scatter_set_nd(ins, outs, attrs):
    lhs, rhs, indices = ins
    idx = as_index(indices)
    check_nd_index(idx, lhs.shape)
    _copy_unless_same(lhs, outs[0])
    outs[0][tuple(idx)] = rhs


def one_hot(ins, outs, attrs):
    idx = as_index(ins[0])
    out = outs[0]
    depth = attrs["depth"]
    out[...] = np.asarray(attrs["off_value"]).astype(out.dtype)
    flat = out.reshape(-1, depth) if depth else out
    rows = np.flatnonzero((idx >= 0) & (idx < depth))
    if depth:
        flat[rows, idx.reshape(-1)[rows]] = np.asarray(attrs["on_value"]).astype(out.dtype)


def embedding(ins, outs, attrs):
    data, weight = ins
    idx = np.clip(as_index(data), 0, weight.shape[0] - 1)
    np.take(weight, idx, axis=0, out=outs[0])


def batch_take(ins, outs, attrs):
    a, indices = ins
    m = a.shape[-1]
    rows = a.reshape(-1, m)
    idx = np.clip(as_index(indices).reshape(-1), 0, m - 1)
    np.copyto(outs[0], rows[np.arange(rows.shape[0]), idx].reshape(outs[0].shape))


def sequence_mask(ins, outs, attrs):
    data = ins[0]
    np.copyto(outs[0], data)
    if not attrs["use_sequence_length"]:
        return
    lengths = as_index(ins[1])
    axis = attrs["axis"]
    steps = np.arange(data.shape[axis])
    masked = steps[:, None] >= lengths[None, :]          # (T, B)
    if axis == 1:
        masked = masked.T                                 # (B, T)
    masked = masked.reshape(masked.shape + (1,) * (data.ndim - 2))
    np.copyto(outs[0], np.asarray(attrs["value"]).astype(data.dtype), where=masked)


def slice_assign(ins, outs, attrs):
    lhs, rhs = ins
    _copy_unless_same(lhs, outs[0])
    key = slice_key(slice_ranges(lhs.shape, attrs["begin"], attrs["end"], attrs["step"]))
    outs[0][key] = rhs


def slice_assign_scalar(ins, outs, attrs):
    data = ins[0]
    _copy_unless_same(data, outs[0])
    key = slice_key(slice_ranges(data.shape, attrs["begin"], attrs["end"], attrs["step"]))
    outs[0][key] = np.asarray(attrs["scalar"]).astype(data.dtype)


# -- backward scatters (the gradients of take, pick and gather_nd) ----------------------------------
def backward_take(ins, outs, attrs):
    """``out = 0; out[..., idx[j...], ...] += ograd[..., j..., ...]`` along ``axis`` (repeats add up).

    The indices are clipped or wrapped as the forward ``take`` did (``raise`` mode indices were
    checked by the forward, so they are only clipped here).
    """
    ograd, indices = ins
    out = outs[0]
    axis = attrs["axis"] % out.ndim
    n = out.shape[axis]
    idx = _clip_or_wrap(as_index(indices), n, "wrap" if attrs["mode"] == "wrap" else "clip")
    out[...] = 0
    if not ograd.size or not n:
        return
    pre, post = out.shape[:axis], out.shape[axis + 1:]
    g = np.moveaxis(ograd.reshape(pre + (idx.size,) + post), axis, 0)
    np.add.at(np.moveaxis(out, axis, 0), idx.reshape(-1), g)


def backward_pick(ins, outs, attrs):
    """``out = 0; out[i, idx[i, k], k] = ograd[i, k]`` (one position per row: no collisions)."""
    ograd, index = ins
    out = outs[0]
    axis = attrs["axis"] % out.ndim
    keep = out.shape[:axis] + (1,) + out.shape[axis + 1:]
    idx = _clip_or_wrap(as_index(index), out.shape[axis], attrs["mode"]).reshape(keep)
    out[...] = 0
    if out.size:
        np.put_along_axis(out, idx, ograd.reshape(keep), axis=axis)


def backward_gather_nd(ins, outs, attrs):
    """``out = 0; out[indices[0, i...], ..., k...] += data[i..., k...]`` (repeats add up)."""
    data, indices = ins
    idx = as_index(indices)
    check_nd_index(idx, outs[0].shape)
    outs[0][...] = 0
    np.add.at(outs[0], tuple(idx), data)


KERNELS = {
    "_backward_take": backward_take, "_backward_pick": backward_pick,
    "_backward_gather_nd": backward_gather_nd,
    "take": take, "pick": pick, "gather_nd": gather_nd, "scatter_nd": scatter_nd,
    "_scatter_set_nd": scatter_set_nd, "one_hot": one_hot, "Embedding": embedding,
    "batch_take": batch_take, "SequenceMask": sequence_mask,
    "_slice_assign": slice_assign, "_slice_assign_scalar": slice_assign_scalar,
}
