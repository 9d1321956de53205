"""Reduce ops: sum, mean, prod, max, min, nansum, nanprod, norm, argmax, argmin, argmax_channel,
moments and cumsum.

MXNet 1.9.1's rules, which every shape rule here follows:

- ``axis`` is None, an int or a tuple of ints; negative axes count from the end; an axis given
  twice (``(0, -3)`` on a 3-d input) is an error. ``axis=None`` and ``axis=()`` both reduce every
  axis, even with ``exclude=True``.
- ``exclude=True`` reduces the axes *not* listed (listing them all reduces nothing).
- ``keepdims=True`` keeps each reduced axis as size 1.
- Legacy shapes have no 0-d arrays: a reduction to nothing gives shape ``(1,)``.
- The output has the input's dtype, integers included: ``sum`` of int32 wraps around in int32, the
  ``mean`` of int32 is truncated, and argmax of float64 data gives float64 indices.

The kernels live in ``_kernels/reference/reduce.py`` (numpy, the spec) and
``_kernels/cpu/reduce.pyx``.
"""
import numpy as np

from ..base import DTYPE_NAMES, prod
from .gradutil_reduce import as_dtype, expand_back, group_size, product_grad
from .opdef import NO_GRAD, Domain, OpDef, Param, fail
from .params import Bool, Int, OptAxes, OptInt

__all__ = ["reduce_axes", "reduced_shape", "one_axis", "dtype_choice", "input_work"]


# -- helpers shared by the reduce and sort families ----------------------------------------------
def _check_axis(axis, ndim):
    if not -ndim <= axis < ndim:
        fail(f"axis {axis} is out of range for a {ndim}-d input",
             f"use an axis in {-ndim}..{ndim - 1} (negative axes count from the end)"
             if ndim else "a 0-d input has no axes")
    return axis % ndim


def one_axis(axis, ndim):
    """Check one int axis against ``ndim``; return it non-negative."""
    return _check_axis(axis, ndim)


def reduce_axes(ndim, axis, exclude=False):
    """The sorted, non-negative axes a reduction runs over; rejects bad and repeated axes.

    The kernels' ``_kernels/reference/reduce.reduce_axes`` computes the same without the checks.
    """
    if not axis:                      # None or (): every axis (MXNet ignores exclude here)
        return tuple(range(ndim))
    axes = []
    for a in axis:
        b = _check_axis(a, ndim)
        if b in axes:
            fail(f"axis {b} appears twice in axis={axis}",
                 "list each axis once (a negative axis names the same axis as ndim + axis)")
        axes.append(b)
    if exclude:
        axes = [i for i in range(ndim) if i not in axes]
    return tuple(sorted(axes))


def reduced_shape(shape, axes, keepdims):
    """The shape left after reducing ``axes``; ``(1,)``, not ``()`` (MXNet's legacy shapes)."""
    if keepdims:
        return tuple(1 if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes) or (1,)


def dtype_choice(*names, optional=False):
    """A parser for a dtype parameter limited to ``names`` (MXNet's enum of type names).

    Accepts a name or a numpy type and returns the name (or None when ``optional``).
    """
    def parse(value):
        if optional and (value is None or value == "None"):
            return None
        try:
            name = DTYPE_NAMES.get(np.dtype(value))
        except TypeError:
            name = None
        if name not in names:
            raise ValueError(f"expected one of {', '.join(map(repr, names))}, got {value!r}")
        return name
    parse.choices = ((None,) if optional else ()) + names
    parse.__name__ = "Enum"
    return parse


def input_work(attrs, in_shapes, out_shapes):
    """Work estimate of an op that reads its whole input once (a reduction, a sort)."""
    return prod(in_shapes[0])


# -- gradient rules of sum, mean, prod, max, min, nansum, nanprod ---------------------------------
def _axes_of(attrs, x):
    return reduce_axes(x.ndim, attrs["axis"], attrs.get("exclude", False))


def _sum_grad(F, attrs, inputs, outputs, out_grads):
    x = inputs[0]
    return [expand_back(F, out_grads[0], x.shape, _axes_of(attrs, x))]


def _mean_grad(F, attrs, inputs, outputs, out_grads):
    x = inputs[0]
    axes = _axes_of(attrs, x)
    return [expand_back(F, out_grads[0] / group_size(x.shape, axes), x.shape, axes)]


def _extremum_grad(F, attrs, inputs, outputs, out_grads):
    """max/min: the gradient goes, whole, to EVERY element equal to the extremum (as MXNet: ties
    each get the full gradient, and a NaN extremum sends nothing anywhere)."""
    x = inputs[0]
    axes = _axes_of(attrs, x)
    hit = F.broadcast_equal(x, expand_back(F, outputs[0], x.shape, axes))
    return [expand_back(F, out_grads[0], x.shape, axes) * hit]


def _prod_grad(F, attrs, inputs, outputs, out_grads):
    x = inputs[0]
    return [product_grad(F, x, outputs[0], out_grads[0], _axes_of(attrs, x))]


def _nansum_grad(F, attrs, inputs, outputs, out_grads):
    """NaN elements were skipped, so they get no gradient (MXNet: 0 there)."""
    x = inputs[0]
    return [expand_back(F, out_grads[0], x.shape, _axes_of(attrs, x)) * (x == x)]


def _nanprod_grad(F, attrs, inputs, outputs, out_grads):
    """The product's gradient with NaN read as 1; NaN elements get 0."""
    x = inputs[0]
    number = x == x
    clean = F.where(number, x, F.ones_like(x))
    return [product_grad(F, clean, outputs[0], out_grads[0], _axes_of(attrs, x)) * number]


def _no_bool(attrs, dtype):
    if dtype == np.bool_:
        fail("bool inputs are not supported", "cast the input first, e.g. x.astype('int32')")
    return dtype


# -- sum, mean, prod, max, min, nansum, nanprod -------------------------------------------------
# (Module names get a trailing underscore where the op's name is a builtin or ``base.prod``.)
_AXIS = Param("axis", OptAxes, None,
              "axis or axes to reduce; None or () reduces all of them into shape (1,)")
_KEEPDIMS = Param("keepdims", Bool, False, "keep reduced axes as size-1 axes")
_EXCLUDE = Param("exclude", Bool, False, "reduce the axes NOT listed in axis")
_REDUCE_ATTRS = [{}, {"axis": 0}, {"axis": -1, "keepdims": True}, {"axis": 0, "exclude": True},
                 {"axis": (), "keepdims": True}]


def _reduce_shape(attrs, data):
    axes = reduce_axes(len(data), attrs["axis"], attrs["exclude"])
    return reduced_shape(data, axes, attrs["keepdims"])


def _reduce_nonempty_shape(attrs, data):
    """Shape rule of max/min: like sum's, but an empty axis has no maximum to give."""
    axes = reduce_axes(len(data), attrs["axis"], attrs["exclude"])
    for a in axes:
        if data[a] == 0:
            fail(f"cannot reduce over axis {a}: it has size 0 and this reduction has no identity",
                 "reduce a non-empty array, or use sum/prod which give 0/1 for empty axes")
    return reduced_shape(data, axes, attrs["keepdims"])


def _spaced_inputs(rng, dtype, attrs):
    """Inputs without ties, values at least 0.6 apart: max/min pick one element per group, so a
    finite-difference step never swaps the winner."""
    shape = tuple(int(rng.integers(1, 5)) for _ in range(int(rng.integers(1, 5))))
    n = prod(shape)
    values = (rng.permutation(n) - n / 2) * 0.8 + rng.uniform(-0.1, 0.1, n)
    return [values.reshape(shape).astype(dtype)]


def _reduction(name, formula, doc, grad, aliases=(), shape=_reduce_shape, domain=None):
    return OpDef(name, params=(_AXIS, _KEEPDIMS, _EXCLUDE), shape=shape, aliases=aliases, grad=grad,
                 work=input_work, formula=formula, doc=doc, family="reduce",
                 domain=domain or Domain(attrs=_REDUCE_ATTRS))


sum_ = _reduction("sum", "out = sum_{axes} data", "Sum of array elements over the given axes.",
                 _sum_grad, aliases=("sum_axis",))
mean = _reduction("mean", "out = sum_{axes} data / n",
                  "Mean of array elements over the given axes (integers truncate).", _mean_grad)
prod_ = _reduction("prod", "out = prod_{axes} data",
                   "Product of array elements over the given axes.", _prod_grad,
                   domain=Domain(low=0.5, high=1.5, attrs=_REDUCE_ATTRS))
max_ = _reduction("max", "out = max_{axes} data", "Maximum over the given axes (NaN propagates).",
                 _extremum_grad, aliases=("max_axis",), shape=_reduce_nonempty_shape,
                 domain=Domain(attrs=_REDUCE_ATTRS, make_inputs=_spaced_inputs))
min_ = _reduction("min", "out = min_{axes} data", "Minimum over the given axes (NaN propagates).",
                 _extremum_grad, aliases=("min_axis",), shape=_reduce_nonempty_shape,
                 domain=Domain(attrs=_REDUCE_ATTRS, make_inputs=_spaced_inputs))
nansum = _reduction("nansum", "out = sum_{axes} (data if data == data else 0)",
                    "Sum over the given axes, treating NaN as 0.", _nansum_grad)
nanprod = _reduction("nanprod", "out = prod_{axes} (data if data == data else 1)",
                     "Product over the given axes, treating NaN as 1.", _nanprod_grad,
                     domain=Domain(low=0.5, high=1.5, attrs=_REDUCE_ATTRS))


# -- norm ----------------------------------------------------------------------------------------
_NORM_DTYPES = ("float16", "float32", "float64", "int32", "int64", "int8")


def _norm_shape(attrs, data):
    if attrs["ord"] not in (1, 2):
        fail(f"ord={attrs['ord']} is not supported",
             "norm supports ord=1 (sum of |x|) and ord=2 (square root of the sum of squares)")
    return reduced_shape(data, reduce_axes(len(data), attrs["axis"]), attrs["keepdims"])


def _norm_dtype(attrs, dtype):
    # NB: MXNet 1.9.1 on the CPU fails at run time when out_dtype differs from the input's dtype;
    # minimx computes in float64 and casts, which is what the parameter promises.
    return np.dtype(attrs["out_dtype"]) if attrs["out_dtype"] is not None else dtype


def _norm_grad(F, attrs, inputs, outputs, out_grads):
    """ord=1: g * sign(x). ord=2: g * x / norm, and 0 where the norm is 0 (a subgradient; MXNet
    gives NaN there, 0/0)."""
    x = inputs[0]
    axes = reduce_axes(x.ndim, attrs["axis"])
    g = expand_back(F, as_dtype(F, out_grads[0], x.dtype), x.shape, axes)
    if attrs["ord"] == 1:
        return [g * F.sign(x)]
    out = expand_back(F, as_dtype(F, outputs[0], x.dtype), x.shape, axes)
    safe = F.where(out == 0, F.ones_like(out), out)
    return [g * x / safe]


norm = OpDef("norm",
             params=(Param("ord", Int, 2, "1 (sum of |x|) or 2 (Euclidean)"),
                     Param("axis", OptAxes, None,
                           "axis or axes to reduce (a 2-tuple gives the Frobenius norm); "
                           "None reduces all of them into shape (1,)"),
                     Param("out_dtype", dtype_choice(*_NORM_DTYPES, optional=True), None,
                           "dtype of the output (None: the input's)"),
                     _KEEPDIMS),
             shape=_norm_shape, dtype=_norm_dtype, work=input_work, grad=_norm_grad,
             formula="out = (sum_{axes} |data|^ord)^(1/ord)",
             doc="The L1 or L2 norm over the given axes; a 2-tuple of axes gives the entrywise "
                 "(Frobenius) norm of each matrix, as in MXNet.",
             domain=Domain(away_from=(0.0,), attrs=[{}, {"ord": 1, "axis": -1},
                                                    {"axis": 0, "keepdims": True},
                                                    {"ord": 1},
                                                    {"ord": 1, "axis": 0, "keepdims": True}]),
             family="reduce")


# -- argmax, argmin, argmax_channel --------------------------------------------------------------
def _arg_shape(attrs, data):
    axis = attrs["axis"]
    if axis is None:                  # the flattened input: one index
        shape = (1,) * len(data) if attrs["keepdims"] else (1,)
        axes = tuple(range(len(data)))
    else:
        axes = (one_axis(axis, len(data)),)
        shape = reduced_shape(data, axes, attrs["keepdims"])
    if any(data[a] == 0 for a in axes):
        fail("cannot take the index of the extreme value of an empty axis",
             "argmax/argmin need at least one element along the axis")
    return shape


_ARG_PARAMS = (Param("axis", OptInt, None, "the axis to reduce; None: the flattened input"),
               _KEEPDIMS)
_ARG_DOMAIN = Domain(grad=False, attrs=[{}, {"axis": 0}, {"axis": -1, "keepdims": True}])

argmax = OpDef("argmax", params=_ARG_PARAMS, shape=_arg_shape, dtype=_no_bool, grad=NO_GRAD,
               work=input_work, formula="out = argmax_{axis} data",
               doc="Index of the first maximum along an axis, in the input's dtype (NaN counts "
                   "as the maximum).", domain=_ARG_DOMAIN, family="reduce")
argmin = OpDef("argmin", params=_ARG_PARAMS, shape=_arg_shape, dtype=_no_bool, grad=NO_GRAD,
               work=input_work, formula="out = argmin_{axis} data",
               doc="Index of the first minimum along an axis, in the input's dtype (NaN counts "
                   "as the minimum).", domain=_ARG_DOMAIN, family="reduce")


def _argmax_channel_shape(attrs, data):
    if len(data) < 2:
        fail(f"argmax_channel reduces axis 1, but the input is {len(data)}-d",
             "give an input of at least 2 axes (batch, channel, ...), or use argmax(axis=0)")
    if data[1] == 0:
        fail("cannot take the argmax of an empty channel axis")
    return reduced_shape(data, (1,), False)


argmax_channel = OpDef("argmax_channel", shape=_argmax_channel_shape, dtype=_no_bool,
                       grad=NO_GRAD, work=input_work, formula="out = argmax_{axis=1} data",
                       doc="Index of the first maximum along axis 1 (the channels).",
                       domain=Domain(grad=False, ndim=(2, 4)), family="reduce")


# -- moments -------------------------------------------------------------------------------------
def _moments_shape(attrs, data):
    if not attrs["axes"]:
        fail("moments needs axes: empty axes is not supported",
             f"to reduce over every axis pass them all, e.g. axes={tuple(range(len(data)))}")
    shape = reduced_shape(data, reduce_axes(len(data), attrs["axes"]), attrs["keepdims"])
    return [shape, shape]


def _moments_grad(F, attrs, inputs, outputs, out_grads):
    """mean = sum x / n, var = sum (x - mean)^2 / n: d mean = g_mean / n and
    d var = 2 (x - mean) g_var / n (the mean's own dependence on x cancels: sum (x - mean) = 0)."""
    x = inputs[0]
    axes = reduce_axes(x.ndim, attrs["axes"])
    n = group_size(x.shape, axes)
    g_mean, g_var = out_grads
    grad = None
    if g_mean is not None:
        grad = expand_back(F, g_mean / n, x.shape, axes)
    if g_var is not None:
        centred = x - expand_back(F, outputs[0], x.shape, axes)
        part = expand_back(F, g_var * (2.0 / n), x.shape, axes) * centred
        grad = part if grad is None else grad + part
    return [grad]


moments = OpDef("moments",
                params=(Param("axes", OptAxes, None, "axes to compute mean and variance over"),
                        Param("keepdims", Bool, False, "keep reduced axes as size-1 axes")),
                shape=_moments_shape, dtype=lambda attrs, dtype: [dtype, dtype], work=input_work,
                grad=_moments_grad,
                formula="mean = sum_{axes} data / n; var = sum_{axes} (data - mean)^2 / n",
                doc="Mean and (population) variance over the given axes: two outputs.",
                domain=Domain(attrs=[{"axes": 0}, {"axes": -1, "keepdims": True}]),
                family="reduce")


# -- cumsum --------------------------------------------------------------------------------------
_CUMSUM_DTYPES = ("float16", "float32", "float64", "int32", "int64", "int8")


def _cumsum_shape(attrs, a):
    if attrs["axis"] is None:
        return (prod(a),)
    one_axis(attrs["axis"], len(a))
    return a


def _cumsum_dtype(attrs, dtype):
    if attrs["dtype"] is not None:
        return np.dtype(attrs["dtype"])
    return np.dtype(np.int64) if dtype == np.bool_ else dtype   # MXNet: bool counts in int64


def _cumsum_grad(F, attrs, inputs, outputs, out_grads):
    """Each a[j] is in every out[i] with i >= j: its gradient is g's reversed cumulative sum."""
    a = inputs[0]
    g = as_dtype(F, out_grads[0], a.dtype)
    axis = 0 if attrs["axis"] is None else attrs["axis"] % a.ndim
    grad = F.reverse(F.cumsum(F.reverse(g, axis=axis), axis=axis), axis=axis)
    return [F.reshape(grad, shape=a.shape) if grad.shape != a.shape else grad]


# NB: MXNet registers this op as ``_np_cumsum`` (its symbol JSON says so) with the alias
# ``cumsum``; minimx names it ``cumsum`` so that ``mx.nd.cumsum`` is generated, and keeps the
# other name as an alias. MXNet 1.9.1 fails on negative axes in legacy mode; minimx accepts them.
cumsum = OpDef("cumsum", inputs=("a",), aliases=("_np_cumsum",),
               params=(Param("axis", OptInt, None, "the axis to sum along; None: the flat input"),
                       Param("dtype", dtype_choice(*_CUMSUM_DTYPES, optional=True), None,
                             "dtype of the output and the accumulator (None: the input's)")),
               shape=_cumsum_shape, dtype=_cumsum_dtype, work=input_work, grad=_cumsum_grad,
               formula="out[..., i, ...] = sum_{j <= i} a[..., j, ...]",
               doc="Cumulative sum along an axis, or of the flattened input.",
               domain=Domain(attrs=[{}, {"axis": 0}, {"axis": -1}]),
               family="reduce")
