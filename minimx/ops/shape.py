"""Shape ops, part 1: ops that keep every element and move it (reshape, transpose, flip ...).

The shape family is split by concept into three modules, all declaring ops of family ``shape``
(so ``mx.nd`` finds them in ``gen_shape.py``):

- this module: reshape and its codes, axis insertion/removal, transpose, depth/space moves, flip,
  diag, shape_array/size_array;
- ``shape_select.py``: ops that pick a part (slice, slice_axis, slice_like, split, where);
- ``shape_grow.py``: ops that join or replicate (concat, stack, tile, repeat, pad, broadcast_*).

NB: MXNet treats a 0 in a shape as "unknown" in legacy mode and fails on zero-size arrays in many
of these ops; minimx lets zero-size arrays through wherever numpy would.
"""
import numpy as np

from ..base import MXNetError, prod
from .gradutil_shape import diag_grad
from .opdef import NO_GRAD, Domain, OpDef, Param, fail
from .params import Bool, Int, OptAxes, OptInt, Shape

__all__ = ["infer_reshape", "ReshapeSizeError", "normalize_axis", "ALL_DTYPES", "MOVE_DOMAIN", "reshape_back"]


class ReshapeSizeError(MXNetError, ValueError):
    """A reshape that would change the number of elements.

    Also a ``ValueError``: MXNet's ``NDArray.reshape`` raises ``ValueError`` ("Cannot reshape array
    of size 6 into shape (5, -1)"), so code written for MXNet that catches it keeps working.
    """

# Data movement works for every dtype: kernels copy bytes.
ALL_DTYPES = ("float32", "float64", "float16", "int32", "int64", "int8", "uint8")
MOVE_DOMAIN = Domain(dtypes=ALL_DTYPES)


def reshape_back(F, attrs, inputs, outputs, out_grads):
    """The gradient of every op that only changes the shape (Reshape, Flatten, expand_dims,
    squeeze, cast_storage ...): the output gradient in the input's shape."""
    g, x = out_grads[0], inputs[0]
    return [g if g.shape == x.shape else F.reshape_like(g, x)] + [None] * (len(inputs) - 1)


def normalize_axis(axis, ndim, name="axis", extra=0):
    """``axis`` as a non-negative int; fail naming the valid range. ``extra=1`` allows ``ndim``."""
    n = ndim + extra
    if not -n <= axis < n:
        fail(f"{name} {axis} is out of range for a {ndim}-d input",
             f"use an {name} in [{-n}, {n - 1}]")
    return axis + n if axis < 0 else axis


# -- Reshape ---------------------------------------------------------------------------------------
def infer_reshape(src, target, reverse=False):
    """The shape MXNet's ``reshape`` gives ``src`` for ``target`` with special codes.

    Codes are read left to right while input axes are consumed: a positive value is the new size
    (and consumes one input axis), ``0`` copies one input axis, ``-1`` is inferred at the end (and
    consumes one input axis), ``-2`` copies all remaining input axes, ``-3`` merges the next two
    input axes, ``-4 a b`` splits one input axis into ``a x b`` (one of them may be -1). With
    ``reverse=True`` both the input shape and the codes are reversed first and the result is
    reversed back, so ``(10, 5, 4)`` with ``(-1, 0)`` gives ``(50, 4)`` instead of ``(40, 5)``.

    NB: MXNet does not check that the element count is kept (``(5, -1)`` on 24 elements gives
    ``(5, 4)`` and reads past the buffer); minimx raises instead.
    """
    src = tuple(src)
    codes = tuple(int(t) for t in target)
    dims, seq = (src[::-1], codes[::-1]) if reverse else (src, codes)
    out, infer_at, i, j = [], None, 0, 0
    where = f"(input shape {src}, shape={codes}{', reverse=True' if reverse else ''})"
    while j < len(seq):
        t = seq[j]
        if t > 0:
            out.append(t)
            i += 1
        elif t == 0:
            if i >= len(dims):
                raise MXNetError(f"reshape: code 0 has no input axis left to copy {where}")
            out.append(dims[i])
            i += 1
        elif t == -1:
            if infer_at is not None:
                raise MXNetError(f"reshape: only one dimension can be inferred (-1) {where}")
            infer_at = len(out)
            out.append(1)
            i += 1
        elif t == -2:
            out.extend(dims[i:])
            i = len(dims)
        elif t == -3:
            if i + 1 >= len(dims):
                raise MXNetError(f"reshape: code -3 needs two input axes to merge {where}")
            out.append(dims[i] * dims[i + 1])
            i += 2
        elif t == -4:
            if j + 2 >= len(seq) or i >= len(dims):
                raise MXNetError(f"reshape: code -4 must be followed by two sizes and have an "
                                 f"input axis to split {where}")
            d0, d1, d2 = dims[i], seq[j + 1], seq[j + 2]
            if d1 == -1 and d2 == -1:
                raise MXNetError(f"reshape: the split sizes after -4 cannot both be -1 {where}")
            if d1 == -1:
                d1 = d0 // d2 if d2 else -1
            if d2 == -1:
                d2 = d0 // d1 if d1 else -1
            if d1 * d2 != d0:
                raise MXNetError(f"reshape: split sizes {d1}, {d2} do not divide input axis "
                                 f"{i} of size {d0} {where}")
            out.extend((d1, d2))
            i += 1
            j += 2
        else:
            raise MXNetError(f"reshape: invalid code {t}: sizes must be > 0 or one of the codes "
                             f"0, -1, -2, -3, -4 {where}")
        j += 1
    total = prod(src)
    if infer_at is not None:
        known = prod(out)
        if known == 0 or total % known:
            raise ReshapeSizeError(f"reshape: cannot infer the -1 dimension: {total} elements do not "
                             f"divide into the other sizes {tuple(out)} {where}")
        out[infer_at] = total // known
    if reverse:
        out.reverse()
    if prod(out) != total:
        raise ReshapeSizeError(f"reshape: the result {tuple(out)} has {prod(out)} elements but the "
                         f"input has {total} {where}\n  hint: the number of elements must stay the same")
    return tuple(out)


def _reshape_shape(attrs, data):
    try:
        if attrs["shape"]:
            return infer_reshape(data, attrs["shape"], attrs["reverse"])
        if attrs["target_shape"]:
            return _legacy_target_shape(data, attrs["target_shape"], attrs["keep_highest"])
    except MXNetError as e:
        fail(str(e))
    fail("shape is empty", "give the target shape, e.g. shape=(2, -1)")


def _legacy_target_shape(data, target, keep_highest):
    """MXNet's deprecated ``target_shape``: one 0 is inferred; ``keep_highest`` keeps axis 0."""
    out = list(target)
    if keep_highest:
        out[0] = data[0]
    zeros = [k for k in range(1 if keep_highest else 0, len(out)) if out[k] == 0]
    if len(zeros) == 1:
        out[zeros[0]] = 1
        out[zeros[0]] = prod(data) // max(prod(out), 1)
    if prod(out) != prod(data):
        raise MXNetError(f"reshape: target_shape {target} gives {tuple(out)}, which does not keep "
                         f"the {prod(data)} elements of {data}")
    return tuple(out)


Reshape = OpDef(
    "Reshape", aliases=("reshape",),
    params=(Param("shape", Shape, (), "the target shape; may use the codes 0, -1, -2, -3, -4"),
            Param("reverse", Bool, False, "match the codes from the right"),
            Param("target_shape", Shape, (), "deprecated: the target shape, one 0 inferred"),
            Param("keep_highest", Bool, False, "deprecated: with target_shape, keep axis 0")),
    shape=_reshape_shape, grad=reshape_back,
    formula="out = data with a new shape (row-major order kept)",
    doc="Gives the array a new shape with the same elements; special codes copy (0), infer (-1), "
        "keep the rest (-2), merge (-3) or split (-4) input axes.",
    domain=Domain(dtypes=ALL_DTYPES, attrs=[{"shape": (-1,)}, {"shape": (0, -1)},
                                            {"shape": (-2, 1)}, {"shape": (-1,), "reverse": True}]),
    family="shape")


def _range(ndim, begin, end, side):
    b = 0 if begin is None else begin + (ndim if begin < 0 else 0)
    e = ndim if end is None else end + (ndim if end < 0 else 0)
    if not 0 <= b < e <= ndim:
        fail(f"{side}_begin={begin}, {side}_end={end} is not a non-empty range of the {ndim} "
             f"axes of {side}", f"choose {side}_begin < {side}_end within [-{ndim}, {ndim}]")
    return b, e


def _reshape_like_shape(attrs, lhs, rhs):
    lb, le = _range(len(lhs), attrs["lhs_begin"], attrs["lhs_end"], "lhs")
    rb, re = _range(len(rhs), attrs["rhs_begin"], attrs["rhs_end"], "rhs")
    out = lhs[:lb] + rhs[rb:re] + lhs[le:]
    if prod(out) != prod(lhs):
        fail(f"cannot reshape lhs of shape {lhs} to {out}: the sizes differ",
             "rhs's selected axes must hold as many elements as lhs's")
    return out


def _reshape_like_inputs(rng, dtype, attrs):
    lhs = rng.uniform(-3, 3, (2, 3, 4)).astype(dtype)
    return [lhs, rng.uniform(-3, 3, (12, 2)).astype(dtype)]


reshape_like = OpDef(
    "reshape_like", inputs=("lhs", "rhs"),
    params=(Param("lhs_begin", OptInt, None, "first axis of lhs to replace (None: 0)"),
            Param("lhs_end", OptInt, None, "end of lhs's replaced axes (None: ndim)"),
            Param("rhs_begin", OptInt, None, "first axis of rhs to copy (None: 0)"),
            Param("rhs_end", OptInt, None, "end of rhs's copied axes (None: ndim)")),
    shape=_reshape_like_shape, dtype=lambda attrs, lhs, rhs: lhs, grad=reshape_back,
    formula="out.shape = lhs.shape[:lb] + rhs.shape[rb:re] + lhs.shape[le:]",
    doc="Reshapes lhs to rhs's shape (or replaces a range of lhs's axes by a range of rhs's).",
    domain=Domain(dtypes=ALL_DTYPES, make_inputs=_reshape_like_inputs,
                  attrs=[{}, {"lhs_begin": 1, "rhs_begin": 0, "rhs_end": 1}]),
    family="shape")


def _flatten_shape(attrs, data):
    if not data:
        fail("Flatten needs an input with at least one axis")
    return (data[0], prod(data[1:]))


Flatten = OpDef("Flatten", aliases=("flatten",), shape=_flatten_shape, grad=reshape_back,
                formula="out.shape = (data.shape[0], prod(data.shape[1:]))",
                doc="Collapses all axes but the first into one.", domain=MOVE_DOMAIN, family="shape")


def _expand_dims_shape(attrs, data):
    axis = normalize_axis(attrs["axis"], len(data), extra=1)
    return data[:axis] + (1,) + data[axis:]


expand_dims = OpDef("expand_dims", params=(Param("axis", Int, doc="where the new axis goes"),),
                    shape=_expand_dims_shape, grad=reshape_back,
                    formula="out.shape = data.shape with 1 inserted at axis",
                    doc="Inserts an axis of size 1.",
                    domain=Domain(dtypes=ALL_DTYPES, attrs=[{"axis": 0}, {"axis": -1}]),
                    family="shape")


def _squeeze_shape(attrs, data):
    axes = attrs["axis"]
    if axes is None:
        out = tuple(d for d in data if d != 1)
    else:
        drop = set()
        for a in axes:
            k = normalize_axis(a, len(data))
            if data[k] != 1:
                fail(f"cannot squeeze axis {a}: its size is {data[k]}, not 1",
                     "squeeze only axes of size 1")
            if k in drop:
                fail(f"axis {a} is given twice")
            drop.add(k)
        out = tuple(d for k, d in enumerate(data) if k not in drop)
    return out or (1,)   # as MXNet: squeezing every axis leaves shape (1,)


squeeze = OpDef("squeeze", params=(Param("axis", OptAxes, None, "axes to drop (None: all of size 1)"),),
                shape=_squeeze_shape, grad=reshape_back,
                formula="out.shape = data.shape without the size-1 axes",
                doc="Removes axes of size 1.", domain=MOVE_DOMAIN, family="shape")


# -- axis permutations -------------------------------------------------------------------------
def _transpose_shape(attrs, data):
    axes = attrs["axes"]
    if not axes:
        return tuple(reversed(data))
    if len(axes) != len(data) or sorted(axes) != list(range(len(data))):
        fail(f"axes {axes} is not a permutation of the {len(data)} axes of the input",
             f"give each of 0..{len(data) - 1} once (MXNet does not accept negative axes here)")
    return tuple(data[a] for a in axes)


def _transpose_grad(F, attrs, inputs, outputs, out_grads):
    axes = attrs["axes"]
    if not axes:   # reversing the axes is its own inverse
        return [F.transpose(out_grads[0])]
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a] = i
    return [F.transpose(out_grads[0], axes=tuple(inverse))]


transpose = OpDef("transpose", params=(Param("axes", OptAxes, (), "the permutation; () reverses"),),
                  shape=_transpose_shape, grad=_transpose_grad,
                  formula="out[i[axes[0]], i[axes[1]], ...] = data[i]",
                  doc="Permutes the axes.", domain=MOVE_DOMAIN, family="shape")


def _swapaxes_shape(attrs, data):
    a = normalize_axis(attrs["dim1"], len(data), "dim1")
    b = normalize_axis(attrs["dim2"], len(data), "dim2")
    out = list(data)
    out[a], out[b] = out[b], out[a]
    return tuple(out)


SwapAxis = OpDef("SwapAxis", aliases=("swapaxes",),
                 grad=lambda F, attrs, ins, outs, ograds: [
                     F.SwapAxis(ograds[0], dim1=attrs["dim1"], dim2=attrs["dim2"])],
                 params=(Param("dim1", Int, 0, "the first axis"), Param("dim2", Int, 0, "the second axis")),
                 shape=_swapaxes_shape, formula="out = data with axes dim1 and dim2 exchanged",
                 doc="Interchanges two axes.",
                 domain=Domain(dtypes=ALL_DTYPES, attrs=[{"dim1": 0, "dim2": -1}]), family="shape")


def _depth_to_space_shape(attrs, data):
    b = _check_block(attrs, data)
    if data[1] % (b * b):
        fail(f"the depth (axis 1) {data[1]} is not a multiple of block_size^2 = {b * b}")
    return (data[0], data[1] // (b * b), data[2] * b, data[3] * b)


def _space_to_depth_shape(attrs, data):
    b = _check_block(attrs, data)
    if data[2] % b or data[3] % b:
        fail(f"the spatial sizes {data[2:]} are not multiples of block_size {b}")
    return (data[0], data[1] * b * b, data[2] // b, data[3] // b)


def _check_block(attrs, data):
    if len(data) != 4:
        fail(f"the input must be 4-d (N, C, H, W), got {len(data)}-d")
    if attrs["block_size"] <= 0:
        fail(f"block_size must be a positive integer, got {attrs['block_size']}")
    return attrs["block_size"]


def _space_inputs(to_depth):
    def make(rng, dtype, attrs):
        b = attrs["block_size"]
        shape = (2, 3, 2 * b, b) if to_depth else (2, 2 * b * b, 2, 3)
        return [rng.uniform(-3, 3, shape).astype(dtype)]
    return make


_BLOCK = Param("block_size", Int, doc="the side of the moved blocks")
depth_to_space = OpDef(
    "depth_to_space", params=(_BLOCK,), shape=_depth_to_space_shape,
    grad=lambda F, attrs, ins, outs, ograds: [   # the inverse permutation
        F.space_to_depth(ograds[0], block_size=attrs["block_size"])],
    formula="out[n, c, h*b + i, w*b + j] = data[n, (i*b + j)*C_out + c, h, w]",
    doc="Moves blocks of depth (channel) values into spatial blocks.",
    domain=Domain(dtypes=ALL_DTYPES, attrs=[{"block_size": 2}], make_inputs=_space_inputs(False)),
    family="shape")
space_to_depth = OpDef(
    "space_to_depth", params=(_BLOCK,), shape=_space_to_depth_shape,
    grad=lambda F, attrs, ins, outs, ograds: [
        F.depth_to_space(ograds[0], block_size=attrs["block_size"])],
    formula="out[n, (i*b + j)*C + c, h, w] = data[n, c, h*b + i, w*b + j]",
    doc="Moves spatial blocks into the depth (channel) axis; the inverse of depth_to_space.",
    domain=Domain(dtypes=ALL_DTYPES, attrs=[{"block_size": 2}], make_inputs=_space_inputs(True)),
    family="shape")


def _reverse_shape(attrs, data):
    for a in attrs["axis"]:
        if not 0 <= a < len(data):
            fail(f"axis {a} is out of range for a {len(data)}-d input",
                 f"use axes in [0, {len(data) - 1}] (MXNet does not accept negative axes here)")
    return data


reverse = OpDef("reverse", aliases=("flip",),   # a reversal is its own inverse
                grad=lambda F, attrs, ins, outs, ograds: [F.reverse(ograds[0], axis=attrs["axis"])],
                params=(Param("axis", Shape, doc="the axes to reverse"),),
                shape=_reverse_shape, formula="out[..., i, ...] = data[..., n - 1 - i, ...] on each axis",
                doc="Reverses the order of elements along the given axes (an axis given twice is "
                    "reversed twice, as in MXNet).",
                domain=Domain(dtypes=ALL_DTYPES, attrs=[{"axis": (0,)}]), family="shape")


def _diag_shape(attrs, data):
    k = attrs["k"]
    if len(data) == 1:
        n = data[0] + abs(k)
        return (n, n)
    if not data:
        fail("diag needs an input with at least one axis")
    a1 = normalize_axis(attrs["axis1"], len(data), "axis1")
    a2 = normalize_axis(attrs["axis2"], len(data), "axis2")
    if a1 == a2:
        fail(f"axis1 and axis2 refer to the same axis {a1}")
    h, w = data[a1] + min(k, 0), data[a2] - max(k, 0)
    if min(h, w) < 0:
        fail(f"diagonal k={k} does not exist in a {data[a1]} x {data[a2]} matrix")
    rest = tuple(d for i, d in enumerate(data) if i not in (a1, a2))
    return rest + (min(h, w),)


def _diag_grad(F, attrs, inputs, outputs, out_grads):
    g, shape, k = out_grads[0], inputs[0].shape, attrs["k"]
    if len(shape) == 1:   # built a matrix from a vector: read its k-th diagonal back
        return [F.diag(g, k=k)]
    return [diag_grad(F, g, shape, k, attrs["axis1"], attrs["axis2"])]


diag = OpDef("diag", params=(Param("k", Int, 0, "the diagonal: 0 main, > 0 above, < 0 below"),
                             Param("axis1", Int, 0, "first axis of the 2-d planes (N-d input)"),
                             Param("axis2", Int, 1, "second axis of the 2-d planes (N-d input)")),
             shape=_diag_shape, grad=_diag_grad,
             formula="1-d: out[i, i + k] = data[i]; N-d: out[..., i] = data[..., i, i + k]",
             doc="Builds a diagonal matrix from a vector, or extracts the k-th diagonal (moved to "
                 "the last axis, like numpy.diagonal) from an array of 2 or more axes.",
             domain=Domain(dtypes=ALL_DTYPES, attrs=[{}, {"k": 1}, {"k": -1}]), family="shape")


# -- shapes as arrays ------------------------------------------------------------------------------
_INT64 = np.dtype(np.int64)


def _int64(attrs, dtype):
    return _INT64


shape_array = OpDef("shape_array", shape=lambda attrs, data: (len(data),), dtype=_int64,
                    grad=NO_GRAD, formula="out = data.shape (int64)",
                    doc="The input's shape as a 1-d int64 array.",
                    domain=Domain(dtypes=ALL_DTYPES, grad=False), family="shape")
size_array = OpDef("size_array", shape=lambda attrs, data: (1,), dtype=_int64, grad=NO_GRAD,
                   formula="out = [data.size] (int64)",
                   doc="The input's number of elements as a 1-element int64 array.",
                   domain=Domain(dtypes=ALL_DTYPES, grad=False), family="shape")

# The rest of the family: imported here so that importing ``ops.shape`` declares every shape op.
from . import shape_grow, shape_select  # noqa: E402,F401
