"""Indexing ops: gathers and scatters driven by index arrays, masks, and the in-place slice
assignments that ``x[key] = value`` uses.

Index inputs may have any numeric dtype; a float index is truncated toward zero, as in MXNet.
``gather_nd``/``scatter_nd`` take indices of shape ``(M, ...)``: row ``j`` holds the coordinates
along axis ``j`` (MXNet's layout, the transpose of TensorFlow's).
"""
import numpy as np

from .._kernels.reference.shape import slice_ranges
from .gradutil_shape import call, fractional
from .opdef import NO_GRAD, Domain, OpDef, Param, fail, first_dtype, same_dtype
from .params import Bool, DType, Enum, Float, Int, OptInt, Shape
from .shape_select import OptIntTuple, check_slice

__all__ = []

_DTYPES = ("float32", "float64", "float16", "int32", "int64", "int8", "uint8")
_INDEX_DTYPES = ("float32", "float64", "int32", "int64")


def _axis(axis, ndim):
    if not -ndim <= axis < ndim:
        fail(f"axis {axis} is out of range for a {ndim}-d input",
             f"use an axis in [{-ndim}, {ndim - 1}]")
    return axis % ndim


def _indices(rng, shape, n, dtype="int64"):
    return rng.integers(0, max(n, 1), size=shape).astype(dtype)


# -- take, pick, batch_take, Embedding -----------------------------------------------------------
def _take_shape(attrs, a, indices):
    axis = _axis(attrs["axis"], len(a))
    return a[:axis] + tuple(indices) + a[axis + 1:]


def _take_grad(F, attrs, inputs, outputs, out_grads):
    a, indices = inputs   # the slices' gradients add up where an index repeats; indices get none
    dim = a.shape[attrs["axis"] % len(a.shape)]
    return [call(F, "_backward_take", out_grads[0], indices, axis=attrs["axis"],
                 mode=attrs["mode"], dim=dim), None]


def _take_inputs(rng, dtype, attrs):
    a = rng.uniform(-3, 3, (4, 3, 2)).astype(dtype)
    idx = fractional(rng.integers(-5, 9, size=(2, 3))).astype("float32")
    if attrs.get("mode") == "raise":
        idx = _indices(rng, (2, 3), a.shape[attrs.get("axis", 0)], "int32")
    return [a, idx]


take = OpDef(
    "take", inputs=("a", "indices"),
    params=(Param("axis", Int, 0, "the axis to take from"),
            Param("mode", Enum("clip", "raise", "wrap"), "clip",
                  "out-of-range indices: clip to the ends, wrap around, or raise")),
    shape=_take_shape, dtype=first_dtype, grad=_take_grad,
    formula="out[i..., j..., k...] = a[i..., indices[j...], k...]",
    doc="Takes elements (slices) of an array along an axis at the given indices.",
    domain=Domain(dtypes=_DTYPES, make_inputs=_take_inputs,
                  attrs=[{}, {"axis": 1, "mode": "wrap"}, {"axis": -1, "mode": "raise"}]),
    family="indexing")


def _pick_shape(attrs, data, index):
    if attrs["axis"] is None:
        fail("axis=None is not supported by pick", "give an axis")
    axis = _axis(attrs["axis"], len(data))
    kept = data[:axis] + (1,) + data[axis + 1:]
    dropped = data[:axis] + data[axis + 1:] or (1,)
    if tuple(index) != (kept if len(index) == len(data) else dropped):
        fail(f"index has shape {index} but must have shape {dropped} (or {kept})",
             "one index per position of the other axes")
    return kept if attrs["keepdims"] else dropped


def _pick_inputs(rng, dtype, attrs):
    data = rng.uniform(-3, 3, (3, 4, 2)).astype(dtype)
    axis = attrs.get("axis", -1) % 3
    shape = tuple(d for i, d in enumerate(data.shape) if i != axis)
    return [data, fractional(rng.integers(-2, 6, size=shape)).astype("float32")]


def _pick_grad(F, attrs, inputs, outputs, out_grads):
    data, index = inputs
    return [call(F, "_backward_pick", out_grads[0], index, axis=attrs["axis"], mode=attrs["mode"],
                 shape=data.shape), None]


pick = OpDef(
    "pick", inputs=("data", "index"), aliases=("choose_element_0index",),
    params=(Param("axis", OptInt, -1, "the axis to pick along"),
            Param("keepdims", Bool, False, "keep the picked axis with size 1"),
            Param("mode", Enum("clip", "wrap"), "clip", "out-of-range indices: clip or wrap")),
    shape=_pick_shape, dtype=first_dtype, grad=_pick_grad,
    formula="out[i, k] = data[i, index[i, k], k] (index on axis)",
    doc="Picks one element along an axis for each position of the other axes.",
    domain=Domain(dtypes=_DTYPES, make_inputs=_pick_inputs,
                  attrs=[{}, {"axis": 0, "keepdims": True}, {"axis": 1, "mode": "wrap"}]),
    family="indexing")


def _batch_take_shape(attrs, a, indices):
    if len(a) < 2:
        fail(f"a must have at least 2 axes, got shape {a}")
    rows = 1
    for d in a[:-1]:
        rows *= d
    n = 1
    for d in indices:
        n *= d
    if n != rows:
        fail(f"indices has {n} elements but a of shape {a} has {rows} rows (all axes but the last)")
    return tuple(indices)


def _batch_take_dtype(attrs, a, indices):
    if indices != np.dtype(np.int32):
        fail(f"indices must be int32, got {indices}", "convert with indices.astype('int32')")
    return a


def _batch_take_inputs(rng, dtype, attrs):
    return [rng.uniform(-3, 3, (5, 3)).astype(dtype), rng.integers(-1, 4, size=(5,)).astype("int32")]


def _batch_take_grad(F, attrs, inputs, outputs, out_grads):
    a, indices = inputs   # batch_take is pick(a as (rows, m), indices, axis=-1) in clip mode
    rows = a.size // a.shape[-1]
    g = call(F, "_backward_pick", F.reshape(out_grads[0], shape=(-1,)),
             F.reshape(indices, shape=(-1,)), axis=-1, mode="clip", shape=(rows, a.shape[-1]))
    return [F.reshape_like(g, a), None]


batch_take = OpDef(
    "batch_take", inputs=("a", "indices"), shape=_batch_take_shape, dtype=_batch_take_dtype,
    grad=_batch_take_grad,
    formula="out[i] = a[i, clip(indices[i], 0, a.shape[-1] - 1)]",
    doc="Takes one element from each row of a (deprecated in MXNet: use pick).",
    domain=Domain(dtypes=_DTYPES, make_inputs=_batch_take_inputs), family="indexing")


def _embedding_shape(attrs, data, weight):
    want = (attrs["input_dim"], attrs["output_dim"])
    if tuple(weight) != want:
        fail(f"weight has shape {weight} but input_dim, output_dim say {want}")
    return tuple(data) + (attrs["output_dim"],)


def _embedding_inputs(rng, dtype, attrs):
    weight = rng.uniform(-3, 3, (attrs["input_dim"], attrs["output_dim"])).astype(dtype)
    data = fractional(rng.integers(-1, attrs["input_dim"] + 1, size=(2, 3)))
    return [data.astype("float32"), weight]


def _embedding_grad(F, attrs, inputs, outputs, out_grads):
    data = inputs[0]   # weight's gradient: out_grad's rows added at the (clipped) indices
    return [None, call(F, "_backward_take", out_grads[0], data, axis=0, mode="clip",
                       dim=attrs["input_dim"])]


Embedding = OpDef(
    "Embedding", inputs=("data", "weight"),
    params=(Param("input_dim", Int, doc="vocabulary size (rows of weight)"),
            Param("output_dim", Int, doc="embedding size (columns of weight)"),
            Param("dtype", DType, "float32", "weight type when it must be inferred"),
            Param("sparse_grad", Bool, False, "row-sparse gradient (dense in minimx)")),
    shape=_embedding_shape, dtype=lambda attrs, data, weight: weight, grad=_embedding_grad,
    formula="out[i..., :] = weight[clip(data[i...], 0, input_dim - 1), :]",
    doc="Maps integer indices to rows of the weight matrix (indices are clipped to the rows).",
    domain=Domain(dtypes=_DTYPES, make_inputs=_embedding_inputs,
                  attrs=[{"input_dim": 5, "output_dim": 3}]),
    family="indexing")


# -- gather_nd, scatter_nd ---------------------------------------------------------------------
def _nd_index_out(data, indices, what):
    if len(indices) < 2:
        fail(f"{what} needs indices with at least 2 axes (M, ...), got shape {indices}")
    if indices[0] > len(data):
        fail(f"indices address {indices[0]} axes but the {'input' if what == 'gather_nd' else 'output'}"
             f" has only {len(data)}")
    return tuple(indices[1:]) + tuple(data[indices[0]:])


def _gather_nd_shape(attrs, data, indices):
    return _nd_index_out(data, indices, "gather_nd")


def _gather_inputs(rng, dtype, attrs):
    data = rng.uniform(-3, 3, (3, 4, 2)).astype(dtype)
    idx = np.stack([rng.integers(-3, 3, size=(2, 5)), rng.integers(-4, 4, size=(2, 5))])
    return [data, idx.astype("int32")]


gather_nd = OpDef(
    "gather_nd", inputs=("data", "indices"), shape=_gather_nd_shape, dtype=first_dtype,
    grad=lambda F, attrs, ins, outs, ograds: [
        call(F, "_backward_gather_nd", ograds[0], ins[1], shape=ins[0].shape), None],
    formula="out[i..., k...] = data[indices[0, i...], ..., indices[M-1, i...], k...]",
    doc="Gathers slices of data at the coordinates in indices' first axis (negative "
        "coordinates count from the end).",
    domain=Domain(dtypes=_DTYPES, make_inputs=_gather_inputs), family="indexing")


def _scatter_nd_shape(attrs, data, indices):
    want = _nd_index_out(attrs["shape"], indices, "scatter_nd")
    if tuple(data) != want:
        fail(f"data has shape {data} but indices {indices} and shape={attrs['shape']} need {want}")
    return attrs["shape"]


def _scatter_inputs(rng, dtype, attrs):
    rows = rng.permutation(4)[:3]   # distinct coordinates: repeated ones are undefined in MXNet
    return [rng.uniform(-3, 3, (3, 2)).astype(dtype), rows.reshape(1, 3).astype("int64")]


scatter_nd = OpDef(
    "scatter_nd", inputs=("data", "indices"), params=(Param("shape", Shape, doc="output shape"),),
    shape=_scatter_nd_shape, dtype=first_dtype,
    grad=lambda F, attrs, ins, outs, ograds: [F.gather_nd(ograds[0], ins[1]), None],
    formula="out = 0; out[indices[0, i...], ..., k...] = data[i..., k...]",
    doc="Scatters data into a zero array of the given shape; the inverse of gather_nd.",
    domain=Domain(dtypes=_DTYPES, make_inputs=_scatter_inputs, attrs=[{"shape": (4, 2)}]),
    family="indexing")


def _scatter_set_shape(attrs, lhs, rhs, indices):
    if tuple(attrs["shape"]) != tuple(lhs):
        fail(f"shape={attrs['shape']} must be lhs's shape {lhs}")
    _scatter_nd_shape(attrs, rhs, indices)
    return lhs


def _scatter_set_inputs(rng, dtype, attrs):
    rhs, idx = _scatter_inputs(rng, dtype, attrs)
    return [rng.uniform(-3, 3, (4, 2)).astype(dtype), rhs, idx]


def _scatter_set_grad(F, attrs, inputs, outputs, out_grads):
    lhs, rhs, indices = inputs   # lhs: everywhere but the written positions; rhs: those
    g = out_grads[0]
    return [call(F, "_scatter_set_nd", g, F.zeros_like(rhs), indices, shape=lhs.shape),
            F.gather_nd(g, indices), None]


_scatter_set_nd = OpDef(
    "_scatter_set_nd", inputs=("lhs", "rhs", "indices"),
    params=(Param("shape", Shape, doc="lhs's shape"),), shape=_scatter_set_shape,
    grad=_scatter_set_grad,
    dtype=lambda attrs, lhs, rhs, indices: same_dtype(attrs, lhs, rhs),
    formula="out = lhs; out[indices[0, i...], ..., k...] = rhs[i..., k...]",
    doc="Writes rhs into lhs at the coordinates in indices (what x[advanced_key] = v runs).",
    domain=Domain(dtypes=_DTYPES, make_inputs=_scatter_set_inputs, attrs=[{"shape": (4, 2)}]),
    family="indexing")


# -- one_hot -------------------------------------------------------------------------------------
def _one_hot_shape(attrs, indices):
    if attrs["depth"] < 0:
        fail(f"depth must be >= 0, got {attrs['depth']}")
    return tuple(indices) + (attrs["depth"],)


def _one_hot_dtype(attrs, indices):
    if attrs["dtype"] == np.dtype(np.bool_):
        fail("one_hot cannot produce bool", "use dtype='uint8' or 'int32'")
    return attrs["dtype"]


def _one_hot_inputs(rng, dtype, attrs):
    return [rng.integers(-1, attrs["depth"] + 2, size=(2, 3)).astype(dtype)]


one_hot = OpDef(
    "one_hot", inputs=("indices",),
    params=(Param("depth", Int, doc="length of the one-hot axis"),
            Param("on_value", Float, 1.0, "value at the index"),
            Param("off_value", Float, 0.0, "value elsewhere"),
            Param("dtype", DType, "float32", "output type")),
    shape=_one_hot_shape, dtype=_one_hot_dtype, grad=NO_GRAD,
    formula="out[i..., j] = on_value if j == int(indices[i...]) else off_value",
    doc="One-hot encoding; an index outside [0, depth) gives a row of off_value.",
    domain=Domain(dtypes=_INDEX_DTYPES, make_inputs=_one_hot_inputs, grad=False,
                  attrs=[{"depth": 4}, {"depth": 3, "on_value": 5.0, "off_value": -1.0,
                                        "dtype": "int32"}]),
    family="indexing")


# -- SequenceMask ------------------------------------------------------------------------------------
def _sequence_mask_shape(attrs, data, *rest):
    if attrs["axis"] not in (0, 1):
        fail(f"axis must be 0 or 1 (MXNet's rule), got {attrs['axis']}")
    if len(data) < 2:
        fail(f"data must have at least 2 axes (time and batch), got shape {data}")
    if attrs["use_sequence_length"]:
        if not rest:
            fail("use_sequence_length=True needs the sequence_length input")
        batch = data[1 - attrs["axis"]]
        if tuple(rest[0]) != (batch,):
            fail(f"sequence_length has shape {rest[0]} but must be ({batch},), one length per "
                 f"batch entry (axis {1 - attrs['axis']} of data)")
    return data


def _sequence_mask_inputs(rng, dtype, attrs):
    data = rng.uniform(-3, 3, (4, 3, 2)).astype(dtype)
    batch = data.shape[1 - attrs.get("axis", 0)]
    return [data, fractional(rng.integers(0, 6, size=(batch,))).astype(dtype)]


def _sequence_mask_grad(F, attrs, inputs, outputs, out_grads):
    g = out_grads[0]   # masked steps are constants: their gradient is masked to 0
    if not attrs["use_sequence_length"]:
        return [g] + [None] * (len(inputs) - 1)
    return [F.SequenceMask(g, inputs[1], use_sequence_length=True, value=0.0, axis=attrs["axis"]),
            None]


SequenceMask = OpDef(
    "SequenceMask", inputs=("data", "sequence_length"), optional=("sequence_length",),
    params=(Param("use_sequence_length", Bool, False, "use sequence_length (else out = data)"),
            Param("value", Float, 0.0, "the value of masked steps"),
            Param("axis", Int, 0, "the time axis: 0 for (T, B, ...), 1 for (B, T, ...)")),
    shape=_sequence_mask_shape, dtype=first_dtype, grad=_sequence_mask_grad,
    formula="out[t, b, ...] = data[t, b, ...] if t < sequence_length[b] else value",
    doc="Sets the steps of each sequence past its length to a value.",
    domain=Domain(dtypes=("float32", "float64", "float16"), make_inputs=_sequence_mask_inputs,
                  attrs=[{"use_sequence_length": True}, {"use_sequence_length": True, "axis": 1,
                                                         "value": -1.0}]),
    family="indexing")


# -- slice assignment (x[key] = value on a non-contiguous region) ----------------------------------
def _slice_assign_shape(attrs, lhs, rhs):
    region = tuple(n for _, _, n in check_slice(lhs, attrs["begin"], attrs["end"], attrs["step"]))
    if tuple(rhs) != region:
        fail(f"rhs has shape {rhs} but the slice of lhs has shape {region}")
    return lhs


def _assign_inputs(with_rhs):
    def make(rng, dtype, attrs):
        lhs = rng.uniform(-3, 3, (4, 5)).astype(dtype)
        if not with_rhs:
            return [lhs]
        region = tuple(n for _, _, n in slice_ranges(lhs.shape, attrs["begin"], attrs["end"],
                                                     attrs["step"]))
        return [lhs, rng.uniform(-3, 3, region).astype(dtype)]
    return make


_BEGIN = Param("begin", OptIntTuple, doc="start index per axis")
_END = Param("end", OptIntTuple, doc="end index per axis, excluded")
_STEP = Param("step", OptIntTuple, (), "step per axis")
_ASSIGN_ATTRS = [{"begin": (1, None), "end": (3, None), "step": (1, -2)},
                 {"begin": (None,), "end": (None,), "step": (-2,)}]

def _region(attrs):
    return {"begin": attrs["begin"], "end": attrs["end"], "step": attrs["step"]}


def _slice_assign_grad(F, attrs, inputs, outputs, out_grads):
    g = out_grads[0]   # lhs: outside the written region; rhs: inside it
    return [call(F, "_slice_assign_scalar", g, scalar=0.0, **_region(attrs)),
            F.slice(g, **_region(attrs))]


_slice_assign = OpDef(
    "_slice_assign", inputs=("lhs", "rhs"), aliases=("_crop_assign",),
    params=(_BEGIN, _END, _STEP), shape=_slice_assign_shape, dtype=same_dtype,
    grad=_slice_assign_grad,
    formula="out = lhs; out[begin:end:step] = rhs",
    doc="Writes rhs into a regular slice of lhs (what x[a:b:s, ...] = array runs).",
    domain=Domain(dtypes=_DTYPES, make_inputs=_assign_inputs(True), attrs=_ASSIGN_ATTRS),
    family="indexing")

_slice_assign_scalar = OpDef(
    "_slice_assign_scalar", aliases=("_crop_assign_scalar",),
    params=(Param("scalar", Float, 0.0, "the value written"), _BEGIN, _END, _STEP),
    shape=lambda attrs, data: _slice_assign_shape(attrs, data, tuple(
        n for _, _, n in check_slice(data, attrs["begin"], attrs["end"], attrs["step"]))),
    grad=lambda F, attrs, ins, outs, ograds: [
        call(F, "_slice_assign_scalar", ograds[0], scalar=0.0, **_region(attrs))],
    formula="out = data; out[begin:end:step] = scalar",
    doc="Writes a scalar into a regular slice of the input (what x[a:b:s, ...] = 2.0 runs).",
    domain=Domain(dtypes=_DTYPES, make_inputs=_assign_inputs(False),
                  attrs=[dict(a, scalar=2.5) for a in _ASSIGN_ATTRS]),
    family="indexing")

# The backward scatters (the gradients of take, pick, Embedding, gather_nd) are ops of this family.
from . import indexing_scatter  # noqa: E402,F401
