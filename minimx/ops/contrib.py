"""``mx.nd.contrib`` ops: ``_contrib_arange_like``, ``_contrib_index_copy``,
``_contrib_index_array``, ``_contrib_div_sqrt_dim`` and ``_contrib_quadratic``.

MXNet registers these under their ``_contrib_`` names only; ``mx.nd.contrib.<name>`` (in
``minimx/ndarray/contrib.py``) calls them. ``contrib.boolean_mask`` is not an op here: its output
shape depends on the mask's *values*, which no shape rule can see, so it is a function that waits
for the mask and then calls ``take`` (see ``minimx/ndarray/contrib.py``).
"""
import math

import numpy as np

from .gradutil_linalg import call
from .opdef import NO_GRAD, Domain, OpDef, Param, fail, first_dtype
from .params import Float, Int, OptInt, OptShape, Str

__all__ = []


def _axis(name, axis, nd):
    if not -nd <= axis < nd:
        fail(f"{name}: axis {axis} is out of range for a {nd}-d input",
             f"use an axis in {-nd}..{nd - 1}")
    return axis % nd


# -- arange_like ----------------------------------------------------------------------------------
def _arange_like_shape(attrs, data):
    if attrs["repeat"] < 1:
        fail(f"_contrib_arange_like: repeat must be at least 1, got {attrs['repeat']}")
    if attrs["axis"] is None:
        return tuple(data)
    return (data[_axis("_contrib_arange_like", attrs["axis"], len(data))],)


_contrib_arange_like = OpDef(
    "_contrib_arange_like", inputs=("data",),
    params=(Param("start", Float, 0.0, "first value"),
            Param("step", Float, 1.0, "spacing between values"),
            Param("repeat", Int, 1, "how many times each value is repeated"),
            Param("ctx", Str, "", "context of the output (ignored: the input's is used)"),
            Param("axis", OptInt, None, "take the length of this axis only (else the shape)")),
    shape=_arange_like_shape, dtype=first_dtype, grad=NO_GRAD,
    domain=Domain(attrs=[{}, {"start": 2.0, "step": 0.5, "repeat": 2}, {"axis": -1}]),
    formula="out.flat[i] = start + step * (i // repeat)",
    doc="An arange shaped like the input (or like one of its axes); the values are ignored.",
    family="contrib")


# -- index_copy -----------------------------------------------------------------------------------
def _index_copy_shape(attrs, old, index, new):
    if len(index) != 1:
        fail(f"_contrib_index_copy: index_vector must be 1-d, got shape {tuple(index)}")
    if len(old) < 1 or tuple(new) != (index[0],) + tuple(old[1:]):
        fail(f"_contrib_index_copy: new_tensor has shape {tuple(new)} but must be "
             f"{(index[0],) + tuple(old[1:])} (one row of old_tensor {tuple(old)} per index)",
             "new_tensor[i] is copied to old_tensor[index_vector[i]]")
    return tuple(old)


def _index_copy_dtype(attrs, old, index, new):
    if old != new:
        fail(f"_contrib_index_copy: old_tensor and new_tensor must have one dtype, got {old} "
             f"and {new}", "convert one with .astype(...)")
    return old


def _index_copy_inputs(rng, dtype, attrs):
    rows, cols = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    k = int(rng.integers(0, rows + 1))
    index = rng.permutation(rows)[:k]                  # distinct rows: no write races
    # int64 indices: finite differences must not perturb them
    return [rng.uniform(-2, 2, (rows, cols)).astype(dtype), index.astype(np.int64),
            rng.uniform(-2, 2, (k, cols)).astype(dtype)]


def _index_copy_grad(F, attrs, inputs, outputs, out_grads):
    """The copied rows take their gradient from G; old_tensor gets G with those rows zeroed."""
    g = out_grads[0]
    if g is None:
        return [None, None, None]
    _, index, new = inputs
    g_old = call(F, "_contrib_index_copy", g, index, F.zeros_like(new))
    return [g_old, None, F.take(g, index, axis=0)]


_contrib_index_copy = OpDef(
    "_contrib_index_copy", inputs=("old_tensor", "index_vector", "new_tensor"),
    shape=_index_copy_shape, dtype=_index_copy_dtype, grad=_index_copy_grad,
    domain=Domain(make_inputs=_index_copy_inputs),
    formula="out = old_tensor; out[index_vector[i]] = new_tensor[i]",
    doc="Copies the rows of new_tensor into a copy of old_tensor at the given row indices "
        "(indices out of range are skipped, as in MXNet).",
    family="contrib")


# -- index_array ----------------------------------------------------------------------------------
def _index_array_shape(attrs, data):
    axes = attrs["axes"]
    n = len(data) if axes is None else len(axes)
    for a in axes or ():
        _axis("_contrib_index_array", a, len(data))
    return tuple(data) + (n,)


_contrib_index_array = OpDef(
    "_contrib_index_array", inputs=("data",),
    params=(Param("axes", OptShape, None, "the axes whose indices are listed (default: all)"),),
    shape=_index_array_shape, dtype=lambda attrs, d: np.dtype("int64"), grad=NO_GRAD,
    domain=Domain(attrs=[{}, {"axes": (-1,)}], dtypes=("float32", "float64"), ndim=(1, 3)),
    formula="out[i_0, ..., i_n-1, :] = (i_axes[0], i_axes[1], ...)",
    doc="Each element's index along the chosen axes (int64), as the last axis.",
    family="contrib")


# -- div_sqrt_dim, quadratic ----------------------------------------------------------------------
def _div_sqrt_dim_grad(F, attrs, inputs, outputs, out_grads):
    g = out_grads[0]
    return [None if g is None else g * (1.0 / math.sqrt(inputs[0].shape[-1]))]


_contrib_div_sqrt_dim = OpDef(
    "_contrib_div_sqrt_dim", inputs=("data",), shape=lambda attrs, d: tuple(d),
    grad=_div_sqrt_dim_grad, domain=Domain(dtypes=("float32", "float64")),
    formula="out = data / sqrt(data.shape[-1])",
    doc="Divides by the square root of the last axis's length (attention scaling).",
    family="contrib")


def _quadratic_grad(F, attrs, inputs, outputs, out_grads):
    g = out_grads[0]
    if g is None:
        return [None]
    return [g * (inputs[0] * (2.0 * attrs["a"]) + attrs["b"])]


_contrib_quadratic = OpDef(
    "_contrib_quadratic", inputs=("data",),
    params=(Param("a", Float, 0.0, "coefficient of the quadratic term"),
            Param("b", Float, 0.0, "coefficient of the linear term"),
            Param("c", Float, 0.0, "constant term")),
    shape=lambda attrs, d: tuple(d), grad=_quadratic_grad,
    domain=Domain(dtypes=("float32", "float64"), attrs=[{}, {"a": 1.5, "b": -2.0, "c": 0.5}]),
    formula="out = a * data**2 + b * data + c",
    doc="A quadratic function applied elementwise.", family="contrib")
