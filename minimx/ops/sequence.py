"""Sequence ops: the last step or the reversed steps of variable-length sequences, flat <-> multi
indices, histograms, splits at given indices, and the casts of MXNet's storage and AMP machinery.

Layout: sequences are time-major ``(T, B, ...)`` (``axis=0``) unless an op takes ``axis=1``
(``(B, T, ...)``). Optional inputs follow MXNet: ``sequence_length`` is an input only with
``use_sequence_length=True`` and ``_histogram``'s ``bins`` only without ``bin_cnt``; the shape
rules get exactly the inputs given and check that they fit the parameters.

``histogram``, ``split_v2``, ``moveaxis``, ``concatenate`` and ``onehot_encode`` are Python
functions in MXNet, over ``_histogram`` and ``_split_v2`` here; they live in
``ndarray/legacy_functions.py``. SequenceMask is in the indexing family.
"""
import numpy as np

from .._kernels.reference.sequence import split_indices
from .gradutil_shape import fractional, grads_or_zeros, join_grads
from .opdef import NO_GRAD, Domain, OpDef, Param, fail, first_dtype, same_dtype
from .params import Bool, Enum, FloatTuple, Int, OptInt, OptShape, Shape

__all__ = []

_DTYPES = ("float32", "float64", "float16", "int32", "int64", "uint8")
_INDEX_DTYPES = ("float32", "float64", "int32", "int64")


def _check_axis(axis, ndim):
    if not -ndim <= axis < ndim:
        fail(f"axis {axis} is out of range for a {ndim}-d input",
             f"use an axis in [{-ndim}, {ndim - 1}]")
    return axis % ndim


# -- SequenceLast, SequenceReverse -----------------------------------------------------------------
def _sequence_inputs_fit(attrs, data, rest, axes):
    """The checks SequenceLast and SequenceReverse share; returns the batch axis."""
    if attrs["axis"] not in axes:
        fail(f"axis must be {' or '.join(map(str, axes))} (MXNet's rule), got {attrs['axis']}",
             "put the time axis first" + (" or second" if len(axes) > 1 else ""))
    if len(data) < 2:
        fail(f"data must have at least 2 axes (time and batch), got shape {data}")
    batch_axis = 1 - attrs["axis"]
    if attrs["use_sequence_length"]:
        if not rest:
            fail("use_sequence_length=True needs the sequence_length input",
                 "pass one length per batch entry, or use_sequence_length=False")
        if tuple(rest[0]) != (data[batch_axis],):
            fail(f"sequence_length has shape {rest[0]} but must be ({data[batch_axis]},), one "
                 f"length per batch entry (axis {batch_axis} of data)")
    elif rest:
        fail("sequence_length was given but use_sequence_length=False",
             "pass use_sequence_length=True to use it, or leave it out")
    return batch_axis


def _sequence_last_shape(attrs, data, *rest):
    _sequence_inputs_fit(attrs, data, rest, (0, 1))
    if data[attrs["axis"]] == 0:
        fail("the time axis has length 0: there is no last step")
    return tuple(d for i, d in enumerate(data) if i != attrs["axis"])


def _sequence_reverse_shape(attrs, data, *rest):
    _sequence_inputs_fit(attrs, data, rest, (0,))
    return tuple(data)


def _sequence_inputs(low):
    def make(rng, dtype, attrs):
        steps, batch = 4, 3
        shape = (steps, batch, 2) if attrs.get("axis", 0) == 0 else (batch, steps, 2)
        data = rng.uniform(-3, 3, shape).astype(dtype)
        if not attrs.get("use_sequence_length"):
            return [data]
        return [data, fractional(rng.integers(low, steps + 1, size=batch)).astype("float32")]
    return make


def _sequence_last_grad(F, attrs, inputs, outputs, out_grads):
    """The output gradient put back at each sequence's last step: one_hot(last step) along time
    (a constant mask) times the gradient broadcast along time."""
    data, g, axis = inputs[0], out_grads[0], attrs["axis"]
    steps, batch = data.shape[axis], data.shape[1 - axis]
    if attrs["use_sequence_length"]:
        last = inputs[1] - 1   # one_hot truncates a float toward zero, as the forward did
    else:
        last = F.full((batch,), steps - 1, ctx=g.context, dtype=g.dtype)
    mask = F.one_hot(last, depth=steps, dtype=g.dtype)             # (B, T)
    if axis == 0:
        mask = F.transpose(mask)                                     # (T, B)
    mask = F.reshape(mask, shape=mask.shape + (1,) * (len(data.shape) - 2))
    return [F.broadcast_mul(mask, F.expand_dims(g, axis=axis))] + [None] * (len(inputs) - 1)


def _sequence_reverse_grad(F, attrs, inputs, outputs, out_grads):
    # Reversing the first L steps is its own inverse: the gradient is reversed the same way.
    g = F.SequenceReverse(out_grads[0], *inputs[1:], use_sequence_length=attrs["use_sequence_length"],
                          axis=attrs["axis"])
    return [g] + [None] * (len(inputs) - 1)


_SEQUENCE_PARAMS = (
    Param("use_sequence_length", Bool, False, "take the sequence_length input (else every "
          "sequence has all the steps)"),
    Param("axis", Int, 0, "the time axis: 0 for (T, B, ...), 1 for (B, T, ...)"))

SequenceLast = OpDef(
    "SequenceLast", inputs=("data", "sequence_length"), optional=("sequence_length",),
    params=_SEQUENCE_PARAMS,
    shape=_sequence_last_shape, dtype=first_dtype, grad=_sequence_last_grad,
    formula="out[b, ...] = data[sequence_length[b] - 1, b, ...] (time on axis)",
    doc="Takes the last valid step of every sequence; lengths must be in [1, T].",
    domain=Domain(dtypes=_DTYPES, make_inputs=_sequence_inputs(1),
                  attrs=[{}, {"use_sequence_length": True},
                         {"use_sequence_length": True, "axis": 1}]),
    family="sequence")

SequenceReverse = OpDef(
    "SequenceReverse", inputs=("data", "sequence_length"), optional=("sequence_length",),
    params=_SEQUENCE_PARAMS,
    shape=_sequence_reverse_shape, dtype=first_dtype, grad=_sequence_reverse_grad,
    formula="out[t, b, ...] = data[sequence_length[b] - 1 - t, b, ...] if t < sequence_length[b] "
            "else data[t, b, ...]",
    doc="Reverses the first sequence_length[b] steps of every sequence (all T steps without "
        "lengths); lengths must be in [0, T] and the time axis must be 0.",
    domain=Domain(dtypes=_DTYPES, make_inputs=_sequence_inputs(0),
                  attrs=[{}, {"use_sequence_length": True}]),
    family="sequence")


# -- ravel_multi_index, unravel_index -------------------------------------------------------------
def _index_shape_param(attrs, what):
    shape = attrs["shape"]
    if not shape:
        fail(f"{what} needs the shape parameter (the shape the indices address)",
             "pass shape=(rows, cols, ...)")
    return shape


def _ravel_shape(attrs, data):
    shape = _index_shape_param(attrs, "ravel_multi_index")
    if len(data) != 2:
        fail(f"data must be 2-d (one row per axis of shape, one column per index), got {data}")
    if data[0] != len(shape):
        fail(f"data has {data[0]} rows but shape={shape} has {len(shape)} axes",
             "give one row of coordinates per axis")
    return (data[1],)


def _unravel_shape(attrs, data):
    shape = _index_shape_param(attrs, "unravel_index")
    if any(n <= 0 for n in shape[1:]):
        fail(f"shape={shape} has an axis of size <= 0 after the first; unravelling divides by it")
    return (len(shape),) + tuple(data)


def _ravel_inputs(rng, dtype, attrs):
    shape = attrs["shape"]
    return [np.stack([rng.integers(0, n, size=5) for n in shape]).astype(dtype)]


def _unravel_inputs(rng, dtype, attrs):
    size = int(np.prod(attrs["shape"]))
    return [rng.integers(-3, size + 3, size=(2, 3)).astype(dtype)]


_ravel_multi_index = OpDef(
    "_ravel_multi_index", aliases=("ravel_multi_index",),
    params=(Param("shape", OptShape, None, "shape of the array the multi-indices address"),),
    shape=_ravel_shape, dtype=first_dtype, grad=NO_GRAD,
    formula="out[i] = sum_j data[j, i] * prod(shape[j+1:])",
    doc="Converts columns of multi-indices into flat indices (no bounds check, as in MXNet).",
    domain=Domain(dtypes=_INDEX_DTYPES + ("float16",), make_inputs=_ravel_inputs, grad=False,
                  attrs=[{"shape": (3, 4)}, {"shape": (2, 3, 5)}]),
    family="sequence")

_unravel_index = OpDef(
    "_unravel_index", aliases=("unravel_index",),
    params=(Param("shape", OptShape, None, "shape of the array the flat indices address"),),
    shape=_unravel_shape, dtype=first_dtype, grad=NO_GRAD,
    formula="out[j, i...] = (data[i...] // prod(shape[j+1:])) % shape[j]; axis 0 is not wrapped",
    doc="Converts flat indices into multi-indices, one row per axis of shape.",
    domain=Domain(dtypes=_INDEX_DTYPES, make_inputs=_unravel_inputs, grad=False,
                  attrs=[{"shape": (3, 4)}, {"shape": (2, 3, 5)}]),
    family="sequence")


# -- fill_element_0index ---------------------------------------------------------------------------
def _fill_shape(attrs, lhs, mhs, rhs):
    if len(lhs) != 2 or len(mhs) != 1 or len(rhs) != 1:
        fail(f"needs a 2-d lhs and 1-d mhs and rhs, got {lhs}, {mhs}, {rhs}")
    if not lhs[0] == mhs[0] == rhs[0]:
        fail(f"lhs has {lhs[0]} rows but mhs has {mhs[0]} values and rhs {rhs[0]} columns",
             "give one value and one column per row")
    return tuple(lhs)


def _fill_inputs(rng, dtype, attrs):
    return [rng.uniform(-3, 3, (4, 5)).astype(dtype), rng.uniform(-3, 3, 4).astype(dtype),
            fractional(rng.integers(-1, 7, size=4)).astype(dtype)]


def _fill_grad(F, attrs, inputs, outputs, out_grads):
    """lhs: everywhere but the written entries; mhs: the gradient at its entry, 0 for a row whose
    column is out of range (nothing was written). NB: MXNet declares no gradient (an error)."""
    lhs, mhs, rhs = inputs
    g = out_grads[0]
    written = (rhs > -1) * (rhs < lhs.shape[1])   # int(rhs) in [0, width): C truncation
    return [F.fill_element_0index(g, F.zeros_like(mhs), rhs),
            F.pick(g, rhs, axis=1) * written, None]


fill_element_0index = OpDef(
    "fill_element_0index", inputs=("lhs", "mhs", "rhs"), shape=_fill_shape, dtype=same_dtype,
    grad=_fill_grad,
    formula="out = lhs; out[i, int(rhs[i])] = mhs[i] where 0 <= rhs[i] < lhs.shape[1]",
    doc="Writes one value into each row of a matrix, at the column rhs names (out-of-range "
        "columns leave the row as it is).",
    domain=Domain(dtypes=("float32", "float64", "int32"), make_inputs=_fill_inputs),
    family="sequence")


# -- _histogram ------------------------------------------------------------------------------------
def _opt_range(value):
    return None if value is None or value == "None" else FloatTuple(value)


def _histogram_shape(attrs, data, *bins):
    count, value_range = attrs["bin_cnt"], attrs["range"]
    if (count is None) != (value_range is None):
        fail("bin_cnt and range must be given together", "give both, or neither and a bins input")
    if count is not None:
        if bins:
            fail("with bin_cnt the bins input must be left out", "give bin_cnt or bins, not both")
        if count < 0:
            fail(f"bin_cnt must be >= 0, got {count}")
        if len(value_range) != 2 or value_range[0] > value_range[1]:
            fail(f"range must be (low, high) with low <= high, got {value_range}")
        return [(count,), (count + 1,)]
    if not bins:
        fail("without bin_cnt the bins input (the bin edges) is needed")
    if len(bins[0]) != 1 or bins[0][0] < 2:
        fail(f"bins must be a 1-d vector of at least 2 edges, got shape {bins[0]}")
    return [(bins[0][0] - 1,), tuple(bins[0])]


def _histogram_dtype(attrs, data, *bins):
    if data.kind == "b":
        fail("histogram does not count bool arrays", "convert with .astype('int32')")
    if bins and bins[0] != data:
        fail(f"bins has dtype {bins[0]} but data has {data}; they must match",
             f"convert bins with .astype('{data}')")
    return [np.dtype(np.int64), data]


def _histogram_inputs(rng, dtype, attrs):
    data = rng.uniform(-3, 3, (3, 5)).astype(dtype)
    if "bin_cnt" in attrs:
        return [data]
    return [data, np.sort(rng.uniform(-3, 3, 4)).astype(dtype)]


_histogram = OpDef(
    "_histogram", inputs=("data", "bins"),
    params=(Param("bin_cnt", OptInt, None, "number of equal bins on range"),
            Param("range", _opt_range, None, "(low, high) of the equal bins; given with bin_cnt")),
    shape=_histogram_shape, dtype=_histogram_dtype, grad=NO_GRAD,
    formula="counts[k] = #{x : edges[k] <= x < edges[k+1]} (the last bin includes its right edge)",
    doc="Counts the flattened data in bins (int64 counts) and returns the bin edges too.",
    domain=Domain(dtypes=("float32", "float64", "int32"), make_inputs=_histogram_inputs,
                  grad=False, attrs=[{"bin_cnt": 5, "range": (-2.0, 2.0)},
                                     {"bin_cnt": 3, "range": (1.0, 1.0)}, {}]),
    family="sequence")


# -- _split_v2 -------------------------------------------------------------------------------------
def _split_v2_shape(attrs, data):
    axis = _check_axis(attrs["axis"], len(data))
    size, sections = data[axis], attrs["sections"]
    indices = attrs["indices"]
    if sections < 0:
        fail(f"sections must be >= 0, got {sections}")
    if not sections:
        if not indices:
            fail("indices is empty: no part to return", "give indices=(0, ...) or sections=n")
        if indices[0] != 0:
            fail(f"indices must start at 0 (the start of the first part), got {indices}",
                 "split_v2 adds the 0 for you; call _split_v2 with indices=(0, i1, i2, ...)")
    starts = split_indices(size, indices, sections)
    shapes = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else size
        if size == 0:
            end = start
        elif not 0 <= start <= end <= size:
            fail(f"part {i} would be [{start}, {end}) of an axis of size {size}",
                 "indices must be increasing and within the axis")
        if attrs["squeeze_axis"]:
            if end - start != 1:
                fail(f"squeeze_axis=True needs parts of size 1, but part {i} has size "
                     f"{end - start}")
            shapes.append(data[:axis] + data[axis + 1:])
        else:
            shapes.append(data[:axis] + (end - start,) + data[axis + 1:])
    return shapes


def _split_v2_grad(F, attrs, inputs, outputs, out_grads):
    axis = attrs["axis"] % len(inputs[0].shape)
    return [join_grads(F, grads_or_zeros(F, outputs, out_grads), axis, attrs["squeeze_axis"])]


def _split_v2_parts(attrs):
    return attrs["sections"] or len(attrs["indices"])


_split_v2 = OpDef(
    "_split_v2",
    params=(Param("indices", Shape, doc="the start of every part along axis (first 0)"),
            Param("axis", Int, 1, "the axis to split"),
            Param("squeeze_axis", Bool, False, "drop the split axis (parts of size 1 only)"),
            Param("sections", Int, 0, "split into this many near-equal parts instead (0: use "
                  "indices)")),
    shape=_split_v2_shape, num_visible=_split_v2_parts, grad=_split_v2_grad,
    formula="out[i] = data[indices[i]:indices[i+1]] along axis (the last part runs to the end)",
    doc="Splits an array into parts at the given indices, or into near-equal sections.",
    domain=Domain(dtypes=_DTYPES, make_inputs=lambda rng, dtype, attrs: [
                      rng.uniform(-3, 3, (3, 5, 4)).astype(dtype)],
                  attrs=[{"indices": (0, 2, 3)}, {"indices": (), "sections": 3, "axis": -1},
                         {"indices": (0, 1, 2), "axis": 0, "squeeze_axis": True}]),
    family="sequence")


# -- cast_storage, amp_cast, amp_multicast ---------------------------------------------------------
def _cast_storage_shape(attrs, data):
    if attrs["stype"] != "default":
        fail(f"stype='{attrs['stype']}' is not available: minimx has dense storage only",
             "use stype='default' (a copy); csr and row_sparse storage are not implemented")
    return tuple(data)


cast_storage = OpDef(
    "cast_storage",
    params=(Param("stype", Enum("csr", "default", "row_sparse"), doc="output storage type"),),
    shape=_cast_storage_shape, grad=lambda F, attrs, ins, outs, ograds: [ograds[0]],
    formula="out = data (dense storage)",
    doc="Casts an array to another storage type; minimx stores every array densely, so only "
        "'default' is accepted.",
    domain=Domain(dtypes=_DTYPES, attrs=[{"stype": "default"}]),
    family="sequence")


_AMP_NAMES = ("bfloat16", "float16", "float32", "float64", "int32", "int64", "int8", "uint8")
_AMP_FLOATS = (np.dtype(np.float16), np.dtype(np.float32))   # MXNet's list adds bfloat16


def _amp_dtype_param(value):
    name = value if isinstance(value, str) else np.dtype(value).name
    if name not in _AMP_NAMES:
        raise ValueError(f"expected one of {', '.join(map(repr, _AMP_NAMES))}, got {value!r}")
    if name == "bfloat16":
        raise ValueError("bfloat16 is not supported by minimx")
    return np.dtype(name)


def _amp_cast_dtype(attrs, data):
    # MXNet casts only the AMP float types; any other input passes through with its own dtype.
    return attrs["dtype"] if data in _AMP_FLOATS else data


def _cast_back(F, g, x):
    """``g`` in the dtype of ``x`` (the gradient of a cast is the cast back)."""
    return g if g is None or g.dtype == x.dtype else F.cast(g, dtype=np.dtype(x.dtype).name)


amp_cast = OpDef(
    "amp_cast",
    params=(Param("dtype", _amp_dtype_param, doc="output type (for float16/32 input)"),),
    shape=lambda attrs, data: tuple(data), dtype=_amp_cast_dtype,
    grad=lambda F, attrs, ins, outs, ograds: [_cast_back(F, ograds[0], ins[0])],
    formula="out = dtype(data) if data is float16/float32 else data",
    doc="The cast AMP inserts: float16/float32 input becomes dtype, other types pass unchanged.",
    domain=Domain(dtypes=("float32", "float16", "int32", "float64"),
                  attrs=[{"dtype": "float16"}, {"dtype": "int32"}, {"dtype": "float64"}]),
    family="sequence")


def _multicast_shape(attrs, *shapes):
    if attrs["num_outputs"] != len(shapes):
        fail(f"num_outputs={attrs['num_outputs']} but {len(shapes)} arrays were given",
             "num_outputs must count the inputs")
    return [tuple(s) for s in shapes]


def _multicast_dtype(attrs, *dtypes):
    """MXNet's rule, quirks kept: the target starts as input 0's dtype (float32 with cast_narrow),
    becomes float32 if any input is float32 (float16 if any is, with cast_narrow), and applies to
    the float16/float32 inputs only."""
    narrow = attrs["cast_narrow"]
    target = np.dtype(np.float32) if narrow else dtypes[0]
    want = np.dtype(np.float16) if narrow else np.dtype(np.float32)
    if want in dtypes:
        target = want
    return [target if d in _AMP_FLOATS else d for d in dtypes]


def _multicast_inputs(rng, dtype, attrs):
    kinds = (dtype, "float16", "float32")
    return [rng.uniform(-3, 3, (2, 3)).astype(k) for k in kinds[:attrs["num_outputs"]]]


amp_multicast = OpDef(
    "amp_multicast", inputs=("*data",),
    params=(Param("num_outputs", Int, doc="number of arrays (inputs and outputs)"),
            Param("cast_narrow", Bool, False, "cast to the narrowest float type instead")),
    shape=_multicast_shape, dtype=_multicast_dtype, num_visible=lambda attrs: attrs["num_outputs"],
    grad=lambda F, attrs, ins, outs, ograds: [_cast_back(F, g, x) for g, x in zip(ograds, ins)],
    formula="out[i] = widest_float(data)(data[i]) for float16/float32 inputs; others unchanged",
    doc="Casts the float16/float32 arrays among its inputs to one common type (the widest, or "
        "with cast_narrow the narrowest).",
    # grad=False: the float16 input cannot take a finite-difference step (tests/test_grads_shape.py)
    domain=Domain(dtypes=("float32", "float64", "int32"), make_inputs=_multicast_inputs, grad=False,
                  attrs=[{"num_outputs": 2}, {"num_outputs": 3, "cast_narrow": True}]),
    family="sequence")
