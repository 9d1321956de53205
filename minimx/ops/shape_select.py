"""Shape ops, part 2: ops that select a part of their input (slice, slice_axis, slice_like, split,
where). Declared with family ``shape``; ``shape.py`` imports this module.
"""
import ast

import numpy as np

from .._kernels.reference.shape import slice_axis_ranges, slice_ranges
from .gradutil_shape import call, grads_or_zeros, join_grads
from .opdef import Domain, OpDef, Param, fail, same_dtype
from .params import Bool, Int, OptInt, Shape

__all__ = ["OptIntTuple", "check_slice"]

_DTYPES = ("float32", "float64", "float16", "int32", "int64", "int8", "uint8")


def OptIntTuple(value):
    """A tuple whose entries are ints or None (``slice``'s begin/end/step): ``(None, 2)``."""
    if isinstance(value, str):
        text = value.strip()
        value = () if text in ("", "()", "[]") else ast.literal_eval(text)
    if value is None or isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (tuple, list)):
        raise ValueError(f"expected a tuple of ints or None, got {value!r}")
    out = []
    for v in value:
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))):
            raise ValueError(f"expected ints or None, got {v!r}")
        out.append(None if v is None else int(v))
    return tuple(out)


OptIntTuple.__name__ = "OptIntTuple"


def check_slice(shape, begin, end, step):
    """``slice_ranges`` that reports bad begin/end/step through ``fail``."""
    try:
        return slice_ranges(shape, begin, end, step)
    except ValueError as e:
        fail(str(e), "give begin, end (and step) one entry per sliced axis, counted from axis 0")


def _slice_shape(attrs, data):
    if not data:
        fail("slice needs an input with at least one axis")
    return tuple(n for _, _, n in check_slice(data, attrs["begin"], attrs["end"], attrs["step"]))


def _into_zeros(F, x, g, begin, end, step=()):
    """The gradient of taking a regular slice of ``x``: ``g`` written into zeros of x's shape."""
    return call(F, "_slice_assign", F.zeros_like(x), g, begin=begin, end=end, step=step)


def _slice_grad(F, attrs, inputs, outputs, out_grads):
    return [_into_zeros(F, inputs[0], out_grads[0], attrs["begin"], attrs["end"], attrs["step"])]


def _slice_inputs(rng, dtype, attrs):
    return [rng.uniform(-3, 3, (4, 5, 3)).astype(dtype)]


_BEGIN = Param("begin", OptIntTuple, doc="start index per axis (None: from the start)")
_END = Param("end", OptIntTuple, doc="end index per axis, excluded (None: to the end)")
_STEP = Param("step", OptIntTuple, (), "step per axis (None or (): 1); may be negative")

slice = OpDef(  # noqa: A001 - MXNet's name
    "slice", aliases=("crop",), params=(_BEGIN, _END, _STEP), shape=_slice_shape,
    grad=_slice_grad,
    formula="out[i, j, ...] = data[begin[0] + i*step[0], begin[1] + j*step[1], ...]",
    doc="Takes a regular slice (start, stop, step per axis) of the input; axes not named are kept.",
    domain=Domain(dtypes=_DTYPES, make_inputs=_slice_inputs,
                  attrs=[{"begin": (1,), "end": (3,)},
                         {"begin": (None, 4), "end": (None, 0), "step": (None, -2)},
                         {"begin": (-1, 0, 1), "end": (None, 5, 3), "step": (-1, 2, 1)}]),
    family="shape")


def _slice_axis_shape(attrs, data):
    if not data:
        fail("slice_axis needs an input with at least one axis")
    axis, begin, end = attrs["axis"], attrs["begin"], attrs["end"]
    if not -len(data) <= axis < len(data):
        fail(f"axis {axis} is out of range for a {len(data)}-d input",
             f"use an axis in [{-len(data)}, {len(data) - 1}]")
    n = data[axis]
    if n > 0:
        b = begin + n if begin < 0 else begin
        e = n if end is None else (end + n if end < 0 else end)
        if e > n:
            fail(f"end={end} is past the end of axis {axis} (size {n})")
        if not 0 <= b < e:
            fail(f"begin={begin}, end={end} is not a non-empty range of axis {axis} (size {n})",
                 "slice_axis needs begin < end after counting negatives from the end")
    return tuple(length for _, _, length in slice_axis_ranges(data, axis, begin, end))


def _slice_axis_grad(F, attrs, inputs, outputs, out_grads):
    x = inputs[0]
    axis = attrs["axis"] % len(x.shape)
    lead = (None,) * axis
    return [_into_zeros(F, x, out_grads[0], lead + (attrs["begin"],), lead + (attrs["end"],))]


slice_axis = OpDef(
    "slice_axis",
    params=(Param("axis", Int, doc="the sliced axis (negative counts from the end)"),
            Param("begin", Int, doc="first index (negative counts from the end)"),
            Param("end", OptInt, doc="end index, excluded (None: the axis size)")),
    shape=_slice_axis_shape, grad=_slice_axis_grad, formula="out = data[..., begin:end, ...] along axis",
    doc="Slices one axis from begin to end (step 1).",
    domain=Domain(dtypes=_DTYPES, make_inputs=_slice_inputs,
                  attrs=[{"axis": 1, "begin": 1, "end": 4}, {"axis": -1, "begin": -2, "end": None}]),
    family="shape")


def _slice_like_shape(attrs, data, like):
    axes = attrs["axes"]
    if not axes:
        if len(data) != len(like):
            fail(f"without axes every axis is sliced, but the inputs have {len(data)} and "
                 f"{len(like)} axes", "give axes=(...) to slice only some axes")
        axes = range(len(data))
    out = list(data)
    for a in axes:
        k = a + len(data) if a < 0 else a
        if not 0 <= k < len(data) or k >= len(like):
            fail(f"axis {a} is out of range for inputs with {len(data)} and {len(like)} axes")
        if like[k] > data[k]:
            fail(f"axis {k} of shape_like has size {like[k]}, more than the input's {data[k]}")
        out[k] = like[k]
    return tuple(out)


def _slice_like_inputs(rng, dtype, attrs):
    return [rng.uniform(-3, 3, (4, 5, 3)).astype(dtype), np.zeros((2, 5, 1), dtype)]


def _slice_like_grad(F, attrs, inputs, outputs, out_grads):
    x, like = inputs
    g = out_grads[0]
    # The slice starts at 0 on every axis; its end on each axis is the output's size.
    return [_into_zeros(F, x, g, (0,) * len(g.shape), g.shape), None]


slice_like = OpDef(
    "slice_like", inputs=("data", "shape_like"),
    params=(Param("axes", Shape, (), "the axes to slice (() : all)"),),
    shape=_slice_like_shape, dtype=lambda attrs, data, like: data, grad=_slice_like_grad,
    formula="out = data[:like.shape[0], :like.shape[1], ...] on the chosen axes",
    doc="Slices the input to the shape of shape_like, from index 0 of each chosen axis.",
    domain=Domain(dtypes=_DTYPES, make_inputs=_slice_like_inputs, attrs=[{}, {"axes": (0, -1)}]),
    family="shape")


def _split_shape(attrs, data):
    n, squeeze = attrs["num_outputs"], attrs["squeeze_axis"]
    if n < 1:
        fail(f"num_outputs must be >= 1, got {n}")
    if not -len(data) <= attrs["axis"] < len(data):
        fail(f"axis {attrs['axis']} is out of range for a {len(data)}-d input")
    axis = attrs["axis"] % len(data)
    if data[axis] % n:
        fail(f"axis {axis} of size {data[axis]} cannot be split into {n} equal parts",
             "num_outputs must divide the axis size")
    if squeeze and data[axis] != n:
        fail(f"with squeeze_axis=True the split axis must have size num_outputs={n}, "
             f"but axis {axis} has size {data[axis]}")
    part = data[:axis] + (data[axis] // n,) + data[axis + 1:]
    if squeeze:
        part = data[:axis] + data[axis + 1:]   # NB: as MXNet, a 1-d input gives 0-d parts
    return [part] * n


def _split_inputs(rng, dtype, attrs):
    return [rng.uniform(-3, 3, (2, 6, 3)).astype(dtype)]


def _split_grad(F, attrs, inputs, outputs, out_grads):
    axis = attrs["axis"] % len(inputs[0].shape)
    return [join_grads(F, grads_or_zeros(F, outputs, out_grads), axis, attrs["squeeze_axis"])]


SliceChannel = OpDef(
    "SliceChannel", aliases=("split",),
    params=(Param("num_outputs", Int, doc="number of equal parts"),
            Param("axis", Int, 1, "the axis to split"),
            Param("squeeze_axis", Bool, False, "drop the split axis (its size must be num_outputs)")),
    shape=_split_shape, num_visible=lambda attrs: attrs["num_outputs"], grad=_split_grad,
    formula="out[k] = data[..., k*m:(k+1)*m, ...] along axis, m = size / num_outputs",
    doc="Splits the input into num_outputs equal parts along an axis (one output is returned as "
        "an array, several as a list).",
    domain=Domain(dtypes=_DTYPES, make_inputs=_split_inputs,
                  attrs=[{"num_outputs": 3}, {"num_outputs": 2, "axis": 0, "squeeze_axis": True},
                         {"num_outputs": 1, "axis": -1}]),
    family="shape")


def _where_shape(attrs, cond, x, y):
    if x != y:
        fail(f"x and y must have the same shape, got {x} and {y}")
    if cond != x and not (len(cond) == 1 and x and cond[0] == x[0]):
        fail(f"condition of shape {cond} fits neither x's shape {x} nor its first axis",
             "give a condition of x's shape, or a 1-d one selecting whole rows")
    return x


def _where_dtype(attrs, cond, x, y):
    return same_dtype(attrs, x, y)


def _where_grad(F, attrs, inputs, outputs, out_grads):
    cond, g = inputs[0], out_grads[0]
    zeros = F.zeros_like(g)
    return [None, F.where(cond, g, zeros), F.where(cond, zeros, g)]   # no gradient to condition


def _where_inputs(rng, dtype, attrs):
    shape = (3, 4)
    cshape = shape if rng.uniform() < 0.5 else (3,)   # a full or a row-selecting condition
    # float64 (what gradient checks use) gets an int condition: a finite-difference step on a
    # float 0 would make it true. MXNet accepts a condition of another dtype than x and y.
    cond = (rng.uniform(0, 1, cshape) > 0.5).astype("int32" if dtype == "float64" else dtype)
    return [cond, rng.uniform(-3, 3, shape).astype(dtype), rng.uniform(-3, 3, shape).astype(dtype)]


where = OpDef(
    "where", inputs=("condition", "x", "y"), shape=_where_shape, dtype=_where_dtype,
    grad=_where_grad,
    formula="out = x where condition != 0 else y",
    doc="Takes elements from x where the condition is non-zero, from y elsewhere; a 1-d condition "
        "of x.shape[0] elements picks whole rows.",
    domain=Domain(dtypes=_DTYPES, make_inputs=_where_inputs, attrs=[{}]), family="shape")
