"""Backward scatters of the indexing family: the gradients of ``take``, ``pick``/``batch_take``,
``Embedding`` and ``gather_nd`` add rows of the output gradient into zeros at the gathered indices.

They are ops (not code inside the gradient rules) so rules stay made of ops: they run on the
engine, on every backend, and ``create_graph=True`` differentiates them again. Each one's own
gradient is the gather it undoes. Declared with family ``indexing``; ``indexing.py`` imports this
module. MXNet has internal ops of the same names (``_backward_take`` ...) that take the forward's
parameters; these take what they need explicitly (the size or shape of the gathered-from array).
"""
import numpy as np

from .opdef import Domain, OpDef, Param, fail, first_dtype
from .params import Enum, Int, Shape

__all__ = []

_DTYPES = ("float32", "float64", "float16", "int32", "int64")


def _backward_take_shape(attrs, ograd, indices):
    nd = len(ograd) - len(indices) + 1
    if nd < 1:
        fail(f"ograd of shape {ograd} cannot hold indices of shape {indices}")
    if not -nd <= attrs["axis"] < nd:
        fail(f"axis {attrs['axis']} is out of range for a {nd}-d result")
    axis = attrs["axis"] % nd
    if tuple(ograd[axis:axis + len(indices)]) != tuple(indices):
        fail(f"ograd of shape {ograd} does not have the indices' shape {indices} at axis {axis}",
             "pass the gradient of take(a, indices, axis) and the same indices")
    if attrs["dim"] < 0:
        fail(f"dim must be >= 0, got {attrs['dim']}")
    return ograd[:axis] + (attrs["dim"],) + ograd[axis + len(indices):]


def _backward_take_grad(F, attrs, inputs, outputs, out_grads):
    return [F.take(out_grads[0], inputs[1], axis=attrs["axis"], mode=attrs["mode"]), None]


def _backward_take_inputs(rng, dtype, attrs):
    idx = rng.integers(-2, 6, size=(2, 3)).astype("int32")   # repeats and out-of-range ones
    return [rng.uniform(-3, 3, (2, 3, 4)).astype(dtype), idx]


_backward_take = OpDef(
    "_backward_take", inputs=("ograd", "indices"),
    params=(Param("axis", Int, 0, "the axis take gathered along"),
            Param("mode", Enum("clip", "raise", "wrap"), "clip", "take's mode"),
            Param("dim", Int, doc="size of that axis in take's input")),
    shape=_backward_take_shape, dtype=first_dtype, grad=_backward_take_grad,
    formula="out = 0; out[i..., indices[j...], k...] += ograd[i..., j..., k...]",
    doc="The gradient of take (and Embedding): adds the slices of ograd into zeros at the "
        "clipped or wrapped indices.",
    domain=Domain(dtypes=_DTYPES, make_inputs=_backward_take_inputs,
                  attrs=[{"axis": 0, "dim": 5}, {"axis": 0, "dim": 4, "mode": "wrap"}]),
    family="indexing")


def _backward_pick_shape(attrs, ograd, index):
    shape = tuple(attrs["shape"])
    if not shape:
        fail("shape (the shape of pick's input) is needed")
    if not -len(shape) <= attrs["axis"] < len(shape):
        fail(f"axis {attrs['axis']} is out of range for a {len(shape)}-d result")
    axis = attrs["axis"] % len(shape)
    rows = int(np.prod(shape[:axis] + shape[axis + 1:]))
    if int(np.prod(ograd)) != rows or int(np.prod(index)) != rows:
        fail(f"ograd {ograd} and index {index} must each hold {rows} elements, one per position "
             f"of the axes of {shape} other than {axis}")
    return shape


def _backward_pick_grad(F, attrs, inputs, outputs, out_grads):
    # ``index`` fits pick's input (it is the forward's index): pick the gradient back, any layout.
    ograd, index = inputs
    picked = F.pick(out_grads[0], index, axis=attrs["axis"], keepdims=True, mode=attrs["mode"])
    return [F.reshape_like(picked, ograd), None]


def _backward_pick_inputs(rng, dtype, attrs):
    return [rng.uniform(-3, 3, (3, 2)).astype(dtype),
            rng.integers(-2, 6, size=(3, 2)).astype("int32")]


_backward_pick = OpDef(
    "_backward_pick", inputs=("ograd", "index"),
    params=(Param("axis", Int, -1, "the axis pick chose along"),
            Param("mode", Enum("clip", "wrap"), "clip", "pick's mode"),
            Param("shape", Shape, doc="the shape of pick's input")),
    shape=_backward_pick_shape, dtype=first_dtype, grad=_backward_pick_grad,
    formula="out = 0; out[i, index[i, k], k] = ograd[i, k] (index on axis)",
    doc="The gradient of pick (and batch_take): puts each ograd value at the picked position "
        "of a zero array.",
    domain=Domain(dtypes=_DTYPES, make_inputs=_backward_pick_inputs,
                  attrs=[{"axis": 1, "shape": (3, 4, 2)}, {"axis": 1, "shape": (3, 5, 2),
                                                           "mode": "wrap"}]),
    family="indexing")


def _backward_gather_nd_shape(attrs, data, indices):
    shape = tuple(attrs["shape"])
    if len(indices) < 2 or indices[0] > len(shape):
        fail(f"indices of shape {indices} do not address shape={shape}",
             "indices must be (M, ...) with M <= len(shape)")
    want = tuple(indices[1:]) + shape[indices[0]:]
    if tuple(data) != want:
        fail(f"data has shape {data} but indices {indices} and shape={shape} need {want}")
    return shape


def _backward_gather_nd_grad(F, attrs, inputs, outputs, out_grads):
    return [F.gather_nd(out_grads[0], inputs[1]), None]


def _backward_gather_nd_inputs(rng, dtype, attrs):
    idx = np.stack([rng.integers(-3, 3, size=(2, 5)), rng.integers(-4, 4, size=(2, 5))])
    return [rng.uniform(-3, 3, (2, 5, 2)).astype(dtype), idx.astype("int32")]


_backward_gather_nd = OpDef(
    "_backward_gather_nd", inputs=("data", "indices"),
    params=(Param("shape", Shape, doc="the shape of gather_nd's input"),),
    shape=_backward_gather_nd_shape, dtype=first_dtype, grad=_backward_gather_nd_grad,
    formula="out = 0; out[indices[0, i...], ..., k...] += data[i..., k...]",
    doc="The gradient of gather_nd: scatter_nd that adds up repeated coordinates.",
    domain=Domain(dtypes=_DTYPES, make_inputs=_backward_gather_nd_inputs,
                  attrs=[{"shape": (3, 4, 2)}]),
    family="indexing")
