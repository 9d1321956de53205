"""Shape ops, part 3: ops that join or replicate (Concat, stack, tile, repeat, Pad, broadcast_to,
broadcast_axis, broadcast_like). Declared with family ``shape``; ``shape.py`` imports this module.
"""
from .gradutil import unbroadcast
from .gradutil_shape import call, pad_index
from .opdef import Domain, OpDef, Param, fail, same_dtype
from .params import Enum, Float, Int, OptInt, OptShape, Shape

__all__ = []

_DTYPES = ("float32", "float64", "float16", "int32", "int64", "int8", "uint8")
_FLOATS = ("float32", "float64", "float16")


def _axis(axis, ndim, name):
    if not -ndim <= axis < ndim:
        fail(f"{name} {axis} is out of range for a {ndim}-d result",
             f"use a {name} in [{-ndim}, {ndim - 1}]")
    return axis % ndim


def _check_count(attrs, shapes):
    if not shapes:
        fail("at least one input is needed")
    if attrs["num_args"] != len(shapes):
        fail(f"num_args={attrs['num_args']} but {len(shapes)} inputs were given")


# -- Concat and stack ------------------------------------------------------------------------------
def _concat_shape(attrs, *shapes):
    _check_count(attrs, shapes)
    first = shapes[0]
    axis = _axis(attrs["dim"], len(first), "dim")
    total = 0
    for i, s in enumerate(shapes):
        if len(s) != len(first) or any(a != b for k, (a, b) in enumerate(zip(s, first)) if k != axis):
            want = tuple("?" if k == axis else d for k, d in enumerate(first))
            fail(f"input {i} has shape {s}, but {want} is needed: every axis except the "
                 f"concatenation axis {axis} must match input 0's {first}",
                 "reshape the inputs, or concatenate along another dim")
        total += s[axis]
    return first[:axis] + (total,) + first[axis + 1:]


def _concat_inputs(rng, dtype, attrs):
    n, axis = attrs["num_args"], attrs.get("dim", 1) % 3
    sizes = rng.integers(1, 4, size=n)
    shapes = [tuple(int(k) if i == axis else d for i, d in enumerate((2, 3, 4))) for k in sizes]
    return [rng.uniform(-3, 3, s).astype(dtype) for s in shapes]


def _concat_grad(F, attrs, inputs, outputs, out_grads):
    g = out_grads[0]
    axis = attrs["dim"] % len(g.shape)
    grads, start = [], 0
    for x in inputs:
        size = x.shape[axis]
        grads.append(F.slice_axis(g, axis=axis, begin=start, end=start + size) if size
                     else F.zeros_like(x))
        start += size
    return grads


Concat = OpDef(
    "Concat", inputs=("*data",), aliases=("concat",), key_var_num_args="num_args",
    params=(Param("num_args", Int, doc="number of inputs"),
            Param("dim", Int, 1, "the axis to join along")),
    shape=_concat_shape, dtype=same_dtype, grad=_concat_grad,
    formula="out = [data[0], data[1], ...] joined along dim",
    doc="Joins arrays along an existing axis; the other axes must match.",
    domain=Domain(dtypes=_DTYPES, make_inputs=_concat_inputs,
                  attrs=[{"num_args": 3}, {"num_args": 2, "dim": -2}, {"num_args": 1, "dim": 0}]),
    family="shape")


def _stack_shape(attrs, *shapes):
    _check_count(attrs, shapes)
    first = shapes[0]
    for i, s in enumerate(shapes):
        if s != first:
            fail(f"input {i} has shape {s} but input 0 has {first}: stacked arrays must have "
                 "one shape")
    axis = _axis(attrs["axis"], len(first) + 1, "axis")
    return first[:axis] + (len(shapes),) + first[axis:]


def _stack_inputs(rng, dtype, attrs):
    return [rng.uniform(-3, 3, (2, 3)).astype(dtype) for _ in range(attrs["num_args"])]


def _stack_grad(F, attrs, inputs, outputs, out_grads):
    g = out_grads[0]
    parts = F.split(g, num_outputs=len(inputs), axis=attrs["axis"] % len(g.shape),
                    squeeze_axis=True)
    return list(parts) if isinstance(parts, (list, tuple)) else [parts]


stack = OpDef(
    "stack", inputs=("*data",), key_var_num_args="num_args",
    params=(Param("axis", Int, 0, "where the new axis goes in the result"),
            Param("num_args", Int, doc="number of inputs")),
    shape=_stack_shape, dtype=same_dtype, grad=_stack_grad,
    formula="out[..., k, ...] = data[k] (k on the new axis)",
    doc="Joins arrays of one shape along a new axis.",
    domain=Domain(dtypes=_DTYPES, make_inputs=_stack_inputs,
                  attrs=[{"num_args": 3}, {"num_args": 2, "axis": -1}, {"num_args": 1, "axis": 1}]),
    family="shape")


# -- tile and repeat -------------------------------------------------------------------------------
def _tile_shape(attrs, data):
    reps = attrs["reps"]
    if any(r < 0 for r in reps):
        fail(f"reps {reps} has a negative entry", "repetitions must be >= 0")
    n = max(len(data), len(reps))
    d = (1,) * (n - len(data)) + tuple(data)
    r = (1,) * (n - len(reps)) + tuple(reps)
    return tuple(a * b for a, b in zip(d, r))


def _tile_grad(F, attrs, inputs, outputs, out_grads):
    """Sum the copies: view the output as (reps0, d0, reps1, d1, ...) and sum the reps axes."""
    x, g = inputs[0], out_grads[0]
    if not g.size or not x.size:
        return [F.zeros_like(x)]
    d, r = tuple(x.shape), tuple(attrs["reps"])
    n = max(len(d), len(r))
    d, r = (1,) * (n - len(d)) + d, (1,) * (n - len(r)) + r
    split = F.reshape(g, shape=tuple(v for pair in zip(r, d) for v in pair))
    return [F.reshape_like(F.sum(split, axis=tuple(range(0, 2 * n, 2))), x)]


tile = OpDef("tile", params=(Param("reps", Shape, doc="repetitions per axis (aligned on the right)"),),
             shape=_tile_shape, grad=_tile_grad, formula="out[i] = data[i % data.shape] (numpy.tile)",
             doc="Repeats the whole array along each axis, like numpy.tile.",
             domain=Domain(dtypes=_DTYPES, attrs=[{"reps": (2,)}, {"reps": (2, 1, 3)}, {"reps": ()}]),
             family="shape")


def _repeat_shape(attrs, data):
    r, axis = attrs["repeats"], attrs["axis"]
    if r < 0:
        fail(f"repeats cannot be negative, got {r}")
    if axis is not None and not -len(data) <= axis < len(data):
        fail(f"axis {axis} is out of range for a {len(data)}-d input")
    if r == 0:
        return (0,)   # as MXNet: zero repeats give an empty 1-d array, whatever the axis
    if axis is None:
        n = 1
        for d in data:
            n *= d
        return (n * r,)
    axis %= len(data)
    return data[:axis] + (data[axis] * r,) + data[axis + 1:]


def _repeat_grad(F, attrs, inputs, outputs, out_grads):
    """Sum the copies: view the output with a (size, repeats) pair of axes and sum the second."""
    x, g, r, axis = inputs[0], out_grads[0], attrs["repeats"], attrs["axis"]
    if not r or not x.size:
        return [F.zeros_like(x)]
    if axis is None:
        return [F.reshape_like(F.sum(F.reshape(g, shape=(x.size, r)), axis=1), x)]
    axis %= len(x.shape)
    d = tuple(x.shape)
    return [F.sum(F.reshape(g, shape=d[:axis] + (d[axis], r) + d[axis + 1:]), axis=axis + 1)]


repeat = OpDef(
    "repeat", params=(Param("repeats", Int, doc="times each element is repeated"),
                      Param("axis", OptInt, None, "the axis (None: the flattened input)")),
    shape=_repeat_shape, grad=_repeat_grad, formula="out[..., i, ...] = data[..., i // repeats, ...]",
    doc="Repeats each element, like numpy.repeat.",
    domain=Domain(dtypes=_DTYPES, attrs=[{"repeats": 2}, {"repeats": 3, "axis": -1},
                                         {"repeats": 2, "axis": 0}]),
    family="shape")


# -- Pad ---------------------------------------------------------------------------------------------
def _pad_shape(attrs, data):
    w, mode = attrs["pad_width"], attrs["mode"]
    if len(data) not in (4, 5):
        fail(f"Pad supports only 4-d or 5-d inputs (MXNet's rule), got {len(data)}-d",
             "add axes of size 1 first, e.g. x.reshape((1, 1) + x.shape)")
    if len(w) != 2 * len(data):
        fail(f"pad_width has {len(w)} entries but a {len(data)}-d input needs {2 * len(data)} "
             "(before, after) for each axis")
    if any(w[:4]):
        fail(f"pad_width {w} pads the first two axes, which MXNet does not support",
             "the first four entries must be 0")
    if any(v < 0 for v in w):
        fail(f"pad_width {w} has a negative entry")
    if mode == "reflect" and any(max(w[2 * i], w[2 * i + 1]) >= data[i] for i in range(2, len(data))):
        fail(f"reflect padding {w} must be smaller than the padded axes {data[2:]}")
    return tuple(d + w[2 * i] + w[2 * i + 1] for i, d in enumerate(data))


def _pad_dtype(attrs, dtype):
    if dtype.kind != "f":
        fail(f"Pad supports only floating point types, not {dtype}")
    return dtype


def _pad_inputs(rng, dtype, attrs):
    return [rng.uniform(-3, 3, (2, 3, 4, 5)).astype(dtype)]


def _pad_grad(F, attrs, inputs, outputs, out_grads):
    """constant: the inner slice. edge/reflect: each padded axis is a take of the input at the
    positions it copies (``pad_index``), so its gradient adds those slices back (``_backward_take``)."""
    x, g, w = inputs[0], out_grads[0], attrs["pad_width"]
    if attrs["mode"] == "constant":
        begin = tuple(w[0::2])
        return [F.slice(g, begin=begin, end=tuple(b + d for b, d in zip(begin, x.shape)))]
    for axis in range(2, len(x.shape)):
        before, after, size = w[2 * axis], w[2 * axis + 1], x.shape[axis]
        if before or after:
            index = F.array(pad_index(attrs["mode"], before, size, after), ctx=g.context,
                            dtype="int64")
            g = call(F, "_backward_take", g, index, axis=axis, mode="clip", dim=size)
    return [g]


Pad = OpDef(
    "Pad", aliases=("pad",),
    params=(Param("mode", Enum("constant", "edge", "reflect"), doc="how the border is filled"),
            Param("pad_width", Shape, doc="(before, after) per axis, 0 for the first two axes"),
            Param("constant_value", Float, 0.0, "the fill value of mode='constant'")),
    shape=_pad_shape, dtype=_pad_dtype, grad=_pad_grad,
    formula="out = data with pad_width[2i] values before and pad_width[2i+1] after axis i",
    doc="Pads the spatial axes of a 4-d or 5-d array with a constant, the edge values, or a "
        "reflection.",
    domain=Domain(dtypes=_FLOATS, make_inputs=_pad_inputs,
                  attrs=[{"mode": "constant", "pad_width": (0, 0, 0, 0, 1, 2, 2, 1),
                          "constant_value": 1.5},
                         {"mode": "edge", "pad_width": (0, 0, 0, 0, 3, 0, 1, 6)},
                         {"mode": "reflect", "pad_width": (0, 0, 0, 0, 2, 3, 1, 4)}]),
    family="shape")


# -- broadcast_* ---------------------------------------------------------------------------------
def _sum_back(F, attrs, inputs, outputs, out_grads):
    """The gradient of broadcast_to/axis/like: summed over the copies (rhs gets none)."""
    return [unbroadcast(F, out_grads[0], inputs[0].shape)] + [None] * (len(inputs) - 1)


def _broadcast_to_shape(attrs, data):
    target = attrs["shape"]
    if len(target) != len(data):
        fail(f"cannot broadcast shape {data} to {target}: the number of axes differs",
             "reshape first so both have the same number of axes")
    out = []
    for d, t in zip(data, target):
        if t == 0:
            t = d   # 0 keeps the input's size
        elif d != t and d != 1:
            fail(f"cannot broadcast shape {data} to {target}: each axis must be equal or 1 in "
                 "the input")
        out.append(t)
    return tuple(out)


def _broadcast_inputs(rng, dtype, attrs):
    return [rng.uniform(-3, 3, (1, 3, 1)).astype(dtype)]


broadcast_to = OpDef(
    "broadcast_to", params=(Param("shape", Shape, (), "the target shape; 0 keeps an axis"),),
    shape=_broadcast_to_shape, grad=_sum_back, formula="out[i] = data[i with 0 on the axes of size 1]",
    doc="Repeats the size-1 axes of the input to reach the target shape.",
    domain=Domain(dtypes=_DTYPES, make_inputs=_broadcast_inputs,
                  attrs=[{"shape": (2, 3, 4)}, {"shape": (0, 0, 5)}]),
    family="shape")


def _broadcast_axis_shape(attrs, data):
    axes, sizes = attrs["axis"], attrs["size"]
    if len(axes) != len(sizes):
        fail(f"axis {axes} and size {sizes} must have the same length")
    out = list(data)
    for a, s in zip(axes, sizes):
        if not 0 <= a < len(data):
            fail(f"axis {a} is out of range for a {len(data)}-d input",
                 f"use axes in [0, {len(data) - 1}] (MXNet does not accept negative axes here)")
        if out[a] != 1:
            fail(f"axis {a} has size {out[a]}; only axes of size 1 can be broadcast")
        out[a] = s
    return tuple(out)


broadcast_axis = OpDef(
    "broadcast_axis", aliases=("broadcast_axes",),
    params=(Param("axis", Shape, (), "the axes to broadcast"),
            Param("size", Shape, (), "their new sizes")),
    shape=_broadcast_axis_shape, grad=_sum_back, formula="out[i] = data[i with 0 on the broadcast axes]",
    doc="Repeats size-1 axes to the given sizes.",
    domain=Domain(dtypes=_DTYPES, make_inputs=_broadcast_inputs,
                  attrs=[{"axis": (0, 2), "size": (2, 4)}, {"axis": (2,), "size": (3,)}]),
    family="shape")


def _broadcast_like_shape(attrs, lhs, rhs):
    la, ra = attrs["lhs_axes"], attrs["rhs_axes"]
    if la is None or ra is None:
        if len(lhs) != len(rhs):
            fail(f"cannot broadcast shape {lhs} to {rhs}: the number of axes differs")
        for a, b in zip(lhs, rhs):
            if a != b and a != 1:
                fail(f"cannot broadcast shape {lhs} to {rhs}: each axis must be equal or 1 in lhs")
        return tuple(rhs)
    if len(la) != len(ra):
        fail(f"lhs_axes {la} and rhs_axes {ra} must have the same length")
    if not la:
        fail("lhs_axes and rhs_axes cannot be empty")
    out = list(lhs)
    for a, b in zip(la, ra):
        src = a + len(lhs) if a < 0 else a
        dst = b + len(rhs) if b < 0 else b
        if not 0 <= src < len(lhs):
            fail(f"lhs_axes entry {a} is out of range for a {len(lhs)}-d lhs")
        if not 0 <= dst < len(rhs):
            fail(f"rhs_axes entry {b} is out of range for a {len(rhs)}-d rhs")
        if lhs[src] != 1:
            fail(f"lhs axis {a} has size {lhs[src]}; only axes of size 1 can be broadcast")
        out[src] = rhs[dst]
    return tuple(out)


def _broadcast_like_inputs(rng, dtype, attrs):
    rhs = (2, 3, 4) if attrs.get("lhs_axes") is None else (5, 6)
    return [rng.uniform(-3, 3, (1, 3, 1)).astype(dtype), rng.uniform(-3, 3, rhs).astype(dtype)]


broadcast_like = OpDef(
    "broadcast_like", inputs=("lhs", "rhs"),
    params=(Param("lhs_axes", OptShape, None, "lhs axes to broadcast (None: all)"),
            Param("rhs_axes", OptShape, None, "rhs axes giving their sizes (None: all)")),
    shape=_broadcast_like_shape, dtype=lambda attrs, lhs, rhs: lhs, grad=_sum_back,
    formula="out = lhs broadcast to rhs's shape (or to rhs's sizes on the chosen axes)",
    doc="Broadcasts lhs to the shape of rhs.",
    domain=Domain(dtypes=_DTYPES, make_inputs=_broadcast_like_inputs,
                  attrs=[{}, {"lhs_axes": (0, 2), "rhs_axes": (1, 0)}]),
    family="shape")
