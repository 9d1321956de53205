"""numpy kernels of the sequence family: per-sequence steps, flat/multi indices, histograms, splits
and the casts that keep storage or precision bookkeeping.

Index-like inputs (sequence lengths, multi-indices, columns) may have any numeric dtype; as in
MXNet a float is truncated toward zero (C's cast: ``1.7`` reads 1, ``-0.5`` reads 0).
"""
import numpy as np

__all__ = ["KERNELS", "split_indices", "c_cast"]


def _trunc(x):
    """``x`` as int64, floats truncated toward zero (C's cast, which MXNet uses)."""
    return x if x.dtype == np.int64 else x.astype(np.int64)


def c_cast(x, dtype):
    """``x`` converted the way C's ``static_cast`` does: floats to integers truncate and wrap.

    numpy's float -> uint8 cast of a negative value is undefined behaviour in C; MXNet's plain
    CPU kernels (and this function) give the wrapped value: -2.7 -> -2 -> 254.
    """
    dtype = np.dtype(dtype)
    if x.dtype.kind == "f" and dtype.kind in "iu":
        with np.errstate(invalid="ignore"):
            return np.trunc(x).astype(np.int64).astype(dtype)
    return x.astype(dtype)


# -- SequenceLast, SequenceReverse -----------------------------------------------------------------
def _lengths(ins, attrs, steps, low, name):
    """One length per batch entry (``steps`` when no lengths are used), checked to be in range."""
    if not attrs["use_sequence_length"]:
        return None
    lengths = _trunc(ins[1])
    bad = (lengths < low) | (lengths > steps)
    if bad.any():
        # MXNet reads outside the array for such lengths; minimx refuses them.
        raise IndexError(f"{name}: sequence_length {ins[1][bad][0].item()} is out of range: "
                         f"lengths must be in [{low}, {steps}] for {steps} time steps")
    return lengths


def sequence_last(ins, outs, attrs):
    """``out[b, ...] = data[sequence_length[b] - 1, b, ...]`` (time on ``axis`` 0 or 1)."""
    data, axis = ins[0], attrs["axis"]
    steps, batch = data.shape[axis], data.shape[1 - axis]
    lengths = _lengths(ins, attrs, steps, 1, "SequenceLast")
    last = np.full(batch, steps - 1) if lengths is None else lengths - 1
    rows = np.arange(batch)
    outs[0][...] = data[last, rows] if axis == 0 else data[rows, last]


def sequence_reverse(ins, outs, attrs):
    """Reverses the first ``sequence_length[b]`` steps of every sequence; later steps stay put."""
    data = ins[0]
    steps, batch = data.shape[0], data.shape[1]
    lengths = _lengths(ins, attrs, steps, 0, "SequenceReverse")
    if lengths is None:
        outs[0][...] = data[::-1]
        return
    t = np.arange(steps)[:, None]
    source = np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)   # (T, B): step to read
    outs[0][...] = data[source, np.arange(batch)[None, :]]


# -- ravel_multi_index, unravel_index --------------------------------------------------------------
def ravel_multi_index(ins, outs, attrs):
    """``out[i] = sum_j data[j, i] * prod(shape[j+1:])``; no bounds check (MXNet's rule)."""
    idx = _trunc(ins[0])
    flat = np.zeros(idx.shape[1:], dtype=np.int64)
    for j, n in enumerate(attrs["shape"]):
        flat = flat * n + idx[j]
    outs[0][...] = flat.astype(outs[0].dtype)


def unravel_index(ins, outs, attrs):
    """The inverse: C's ``%`` and ``/`` from the last axis; axis 0 keeps the rest (no wrap)."""
    rest = _trunc(ins[0])
    shape = attrs["shape"]
    out = outs[0]
    for j in range(len(shape) - 1, 0, -1):
        remainder = np.fmod(rest, shape[j])              # C's %: the sign of the dividend
        out[j] = remainder.astype(out.dtype)
        rest = (rest - remainder) // shape[j]            # exact, so this is C's truncating /
    if len(shape):
        out[0] = rest.astype(out.dtype)


# -- fill_element_0index ---------------------------------------------------------------------------
def fill_element_0index(ins, outs, attrs):
    """``out = lhs; out[i, rhs[i]] = mhs[i]`` for rows whose column is in range."""
    lhs, mhs, rhs = ins
    out = outs[0]
    out[...] = lhs
    cols = _trunc(rhs)
    rows = np.flatnonzero((cols >= 0) & (cols < lhs.shape[1]))
    out[rows, cols[rows]] = mhs[rows]


# -- histogram -------------------------------------------------------------------------------------
def _uniform_bins(data, counts, edges, bin_cnt, low, high):
    """MXNet's uniform case: a first guess from the value, then one step fixes float rounding."""
    if low == high:                      # MXNet widens an empty range by 0.5 on each side
        low, high = low - 0.5, high + 0.5
    i = np.arange(bin_cnt + 1, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        edges[...] = ((high * i + (bin_cnt - i) * low) / bin_cnt).astype(edges.dtype)
    if bin_cnt == 0:
        return np.empty(0, dtype=np.int64)
    x = data.astype(np.float64)
    inside = np.flatnonzero((x >= low) & (x <= high))
    value = data[inside]
    target = np.minimum(((x[inside] - low) * bin_cnt / (high - low)).astype(np.int64), bin_cnt - 1)
    # The edges are stored in data's dtype (int edges are truncated): compare against them.
    target -= value < edges[target]
    target += (value >= edges[target + 1]) & (target != bin_cnt - 1)
    return target[target >= 0]


def _given_bins(data, bins):
    """MXNet's scan: the first edge above the value, minus one, capped at the last bin."""
    nbins = bins.size - 1
    x = data.astype(np.float64)
    inside = np.flatnonzero((x >= bins[0]) & (x <= bins[-1]))
    stops = ~(x[inside, None] - bins[None, :].astype(np.float64) >= 0)     # (n, nbins + 1)
    first = np.where(stops.any(axis=1), stops.argmax(axis=1), nbins + 1)
    return np.minimum(first - 1, nbins - 1)


def histogram(ins, outs, attrs):
    """Counts of the flattened data per bin: uniform bins on ``range``, or the given edges.

    Bins are half-open ``[e_k, e_k+1)`` except the last, which includes its right edge; values
    outside the edges (and NaN) are not counted.
    """
    data = ins[0].reshape(-1)
    counts, edges = outs
    if attrs["bin_cnt"] is not None:
        low, high = attrs["range"]
        targets = _uniform_bins(data, counts, edges, attrs["bin_cnt"], low, high)
    else:
        edges[...] = ins[1]
        targets = _given_bins(data, ins[1])
    counts[...] = np.bincount(targets, minlength=counts.size)[:counts.size]


# -- split_v2 --------------------------------------------------------------------------------------
def split_indices(size, indices, sections):
    """The start of every part: ``indices``, or ``sections`` near-equal parts (larger ones first).

    MXNet's ``GetSplitIndices``: with ``sections`` the first ``size % sections`` parts get one
    element more (numpy's ``array_split``).
    """
    if sections <= 0:
        return tuple(indices)
    small, extra = divmod(size, sections)
    starts, at = [], 0
    for i in range(sections):
        starts.append(at)
        at += small + (1 if i < extra else 0)
    return tuple(starts)


def split_v2(ins, outs, attrs):
    data = ins[0]
    axis = attrs["axis"] % data.ndim
    size = data.shape[axis]
    starts = split_indices(size, attrs["indices"], attrs["sections"])
    for i, out in enumerate(outs):
        begin = starts[i]
        if size == 0:                      # MXNet: every part of an empty axis is empty
            end = begin
        else:
            end = starts[i + 1] if i + 1 < len(outs) else size
        part = np.take(data, np.arange(begin, end), axis=axis)
        out[...] = part.reshape(out.shape)


# -- cast_storage, amp_cast, amp_multicast ---------------------------------------------------------
def copy(ins, outs, attrs):
    """Dense storage only: casting to 'default' storage is a copy."""
    outs[0][...] = ins[0]


def amp_cast(ins, outs, attrs):
    outs[0][...] = c_cast(ins[0], outs[0].dtype)


def amp_multicast(ins, outs, attrs):
    for x, out in zip(ins, outs):
        out[...] = c_cast(x, out.dtype)


KERNELS = {
    "SequenceLast": sequence_last, "SequenceReverse": sequence_reverse,
    "_ravel_multi_index": ravel_multi_index, "_unravel_index": unravel_index,
    "fill_element_0index": fill_element_0index, "_histogram": histogram, "_split_v2": split_v2,
    "cast_storage": copy, "amp_cast": amp_cast, "amp_multicast": amp_multicast,
}
