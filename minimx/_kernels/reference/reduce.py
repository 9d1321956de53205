"""numpy kernels of the reduce family: the spec that ``cpu/reduce.pyx`` is tested against.

Every reduction computes with ``keepdims=True`` and then reshapes into the output, whose shape the
op's shape rule chose (reduced axes kept as 1, dropped, or MXNet's ``(1,)`` for a full reduction):
the values are the same in all three cases, only the shape differs.

Accumulation follows MXNet 1.9.1: integer sums and products wrap around in the input's own dtype
(``sum`` of ``uint8`` 100+100+100 is 44), integer ``mean`` divides that sum with truncation toward
zero, and floating-point sums are accumulated in a wider type (float32 in float64, float16 in
float32), so a sum of ten million float32 values is correct to float32's precision.
"""
import numpy as np

__all__ = ["KERNELS", "reduce_axes", "l2_norm"]

# NB: kernels named after Python builtins (sum, max, min) get a trailing underscore here so that
# the builtins stay usable in this module; the KERNELS table gives them their op names.


def reduce_axes(ndim, axis, exclude=False):
    """The sorted non-negative axes a reduction runs over (``axis`` already checked by the op).

    ``axis`` None or ``()`` means every axis, whatever ``exclude`` says (MXNet's rule).
    """
    if not axis:
        return tuple(range(ndim))
    axes = {a % ndim for a in axis}
    if exclude:
        axes = set(range(ndim)) - axes
    return tuple(sorted(axes))


def _axes(x, attrs):
    return reduce_axes(x.ndim, attrs.get("axis"), attrs.get("exclude", False))


def _accumulator(dtype):
    """The dtype a sum of ``dtype`` values runs in: wider for floats, the same for integers."""
    if dtype == np.float32:
        return np.float64
    if dtype == np.float16:
        return np.float32
    return dtype


def _store(out, value):
    """Write a keepdims-shaped result into the output (same elements, maybe another shape).

    Casting to a narrower dtype may overflow (a float16 product becomes inf): that is the answer.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        np.copyto(out, np.reshape(value, out.shape), casting="unsafe")


def _count(x, axes):
    n = 1
    for a in axes:
        n *= x.shape[a]
    return n


def _int_divide(total, n):
    """``total / n`` with C's truncation toward zero, exact for every integer size."""
    if n == 0:
        return np.zeros_like(total)
    q = total // n
    return q + ((total % n != 0) & (total < 0)).astype(total.dtype)


def _sum(x, axes):
    return np.sum(x, axis=axes, keepdims=True, dtype=_accumulator(x.dtype))


def sum_(ins, outs, attrs):
    x = ins[0]
    _store(outs[0], _sum(x, _axes(x, attrs)))


def mean(ins, outs, attrs):
    x = ins[0]
    axes = _axes(x, attrs)
    total, n = _sum(x, axes), _count(x, axes)
    if x.dtype.kind in "iu":
        _store(outs[0], _int_divide(total, n))
    elif x.dtype == np.bool_:       # MXNet: a bool mean is True when any element is
        _store(outs[0], total)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):   # an empty mean is nan, as in MXNet
            _store(outs[0], total / n)


def prod(ins, outs, attrs):
    x = ins[0]
    _store(outs[0], np.prod(x, axis=_axes(x, attrs), keepdims=True, dtype=_accumulator(x.dtype)))


def max_(ins, outs, attrs):
    x = ins[0]
    _store(outs[0], np.max(x, axis=_axes(x, attrs), keepdims=True))


def min_(ins, outs, attrs):
    x = ins[0]
    _store(outs[0], np.min(x, axis=_axes(x, attrs), keepdims=True))


def nansum(ins, outs, attrs):
    """Sum treating NaN as 0 (an all-NaN slice sums to 0)."""
    x = ins[0]
    _store(outs[0], np.nansum(x, axis=_axes(x, attrs), keepdims=True, dtype=_accumulator(x.dtype)))


def nanprod(ins, outs, attrs):
    """Product treating NaN as 1."""
    x = ins[0]
    value = np.nanprod(x, axis=_axes(x, attrs), keepdims=True, dtype=_accumulator(x.dtype))
    _store(outs[0], value)


def l2_norm(x, axes):
    """``sqrt(sum(x**2))`` in float64, scaled by ``max|x|`` so that squares cannot overflow."""
    a = np.abs(x.astype(np.float64))
    if a.size == 0:
        return np.zeros(np.sum(a, axis=axes, keepdims=True).shape)
    scale = np.max(a, axis=axes, keepdims=True)
    # Where the scale is 0, inf or nan the plain formula already gives 0, inf or nan.
    safe = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
    with np.errstate(invalid="ignore", over="ignore"):
        return safe * np.sqrt(np.sum(np.square(a / safe), axis=axes, keepdims=True))


def norm(ins, outs, attrs):
    """ord=1: ``sum |x|``; ord=2: ``sqrt(sum x^2)``. Integer outputs truncate, as MXNet's do."""
    x, out = ins[0], outs[0]
    axes = reduce_axes(x.ndim, attrs["axis"])
    if attrs["ord"] == 1:
        value = np.sum(np.abs(x), axis=axes, keepdims=True, dtype=_accumulator(x.dtype))
    else:
        value = l2_norm(x, axes)
    if out.dtype.kind in "iu" and value.dtype.kind == "f":
        value = np.trunc(value).astype(np.int64)    # then wrap into a narrower integer on store
    elif out.dtype == np.bool_:
        value = value != 0
    _store(out, value)


def _arg(pick):
    """argmax/argmin: the first index of the extreme value (NaN counts as the extreme)."""
    def kernel(ins, outs, attrs):
        x, axis = ins[0], attrs["axis"]
        if axis is None:
            index = pick(x.reshape(-1))
        else:
            index = pick(x, axis=axis)
        # Indices take the input's dtype (float32 for float32 data), as in MXNet.
        _store(outs[0], index)
    kernel.__name__ = pick.__name__
    return kernel


argmax = _arg(np.argmax)
argmin = _arg(np.argmin)


def argmax_channel(ins, outs, attrs):
    """argmax over axis 1 (the channel axis of NC... data)."""
    _store(outs[0], np.argmax(ins[0], axis=1))


def moments(ins, outs, attrs):
    """Mean and (population) variance over ``axes``; integer inputs divide with truncation."""
    x = ins[0]
    axes = reduce_axes(x.ndim, attrs["axes"])
    n = _count(x, axes)
    total = _sum(x, axes)
    if x.dtype.kind in "iu":
        mean_ = _int_divide(total, n)
        var = _int_divide(np.sum((x - mean_) ** 2, axis=axes, keepdims=True, dtype=x.dtype), n)
    else:
        acc = _accumulator(x.dtype)
        mean_ = total / n
        var = np.sum(np.square(x.astype(acc) - mean_), axis=axes, keepdims=True) / n
    _store(outs[0], mean_)
    _store(outs[1], var)


def cumsum(ins, outs, attrs):
    """Running sum along ``axis`` (None: of the flattened input), in the output's dtype.

    The input is cast to the output dtype first: ``cumsum([1.5, 2.7], dtype='int32')`` is
    ``[1, 3]``.
    """
    x, out = ins[0], outs[0]
    axis = attrs["axis"]
    if axis is None:
        x, axis = x.reshape(-1), 0
    np.cumsum(x.astype(out.dtype, copy=False), axis=axis, out=out.reshape(x.shape))


KERNELS = {
    "sum": sum_,
    "mean": mean,
    "prod": prod,
    "max": max_,
    "min": min_,
    "nansum": nansum,
    "nanprod": nanprod,
    "norm": norm,
    "argmax": argmax,
    "argmin": argmin,
    "argmax_channel": argmax_channel,
    "moments": moments,
    "cumsum": cumsum,
}
