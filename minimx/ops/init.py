"""Ops that create arrays from nothing but parameters: zeros, ones, full, arange, linspace, eye."""
import math

from .opdef import NO_GRAD, Domain, OpDef, Param, fail
from .params import Bool, DType, Float, Int, OptFloat, Shape

__all__ = []


def _given_shape(attrs):
    shape = attrs["shape"]
    if any(s < 0 for s in shape):
        fail(f"shape {shape} has a negative size", "sizes must be >= 0")
    return shape


def _given_dtype(attrs):
    return attrs["dtype"]


_SHAPE = Param("shape", Shape, (), "the output shape")
_DTYPE = Param("dtype", DType, "float32", "the output type")
_ALL_DTYPES = ("float32", "float64", "float16", "int32", "int64", "uint8", "int8")
_SHAPES = Domain(dtypes=_ALL_DTYPES, attrs=[{"shape": (2, 3)}, {"shape": (0, 4)}, {"shape": 5}])

_zeros = OpDef("_zeros", inputs=(), params=(_SHAPE, _DTYPE), shape=_given_shape,
               dtype=_given_dtype, formula="out = 0", domain=_SHAPES, grad=NO_GRAD, family="init")
_ones = OpDef("_ones", inputs=(), params=(_SHAPE, _DTYPE), shape=_given_shape, dtype=_given_dtype,
              formula="out = 1", domain=_SHAPES, grad=NO_GRAD, family="init")
_full = OpDef("_full", inputs=(), params=(_SHAPE, _DTYPE, Param("value", Float, doc="fill value")),
              shape=_given_shape, dtype=_given_dtype, formula="out = value",
              domain=Domain(dtypes=_ALL_DTYPES, attrs=[{"shape": (2, 3), "value": 7}]),
              grad=NO_GRAD, family="init")


def _arange_shape(attrs):
    start, stop, step, repeat = attrs["start"], attrs["stop"], attrs["step"], attrs["repeat"]
    if stop is None:
        start, stop = 0.0, start
    if step == 0:
        fail("step must not be 0")
    if not all(map(math.isfinite, (start, stop, step))):
        fail(f"start, stop and step must be finite, got start={start}, stop={stop}, step={step}")
    n = max(0, math.ceil((stop - start) / step))
    return (n * repeat,)


_arange = OpDef("_arange", inputs=(),
                params=(Param("start", Float, doc="first value"),
                        Param("stop", OptFloat, None, "end (excluded); None: start is the end"),
                        Param("step", Float, 1.0, "spacing"),
                        Param("repeat", Int, 1, "times each value repeats"),
                        Param("infer_range", Bool, False, "unused outside symbols"),
                        _DTYPE),
                shape=_arange_shape, dtype=_given_dtype,
                formula="out[i] = start + (i // repeat) * step", grad=NO_GRAD, family="init",
                domain=Domain(dtypes=_ALL_DTYPES, attrs=[{"start": 5}, {"start": 1, "stop": 7, "step": 2},
                                                         {"start": 0, "stop": 3, "repeat": 2}]))


def _linspace_shape(attrs):
    if attrs["num"] < 0:
        fail(f"num must be >= 0, got {attrs['num']}")
    return (attrs["num"],)


_linspace = OpDef("_linspace", inputs=(),
                  params=(Param("start", Float, doc="first value"), Param("stop", Float, doc="last value"),
                          Param("num", Int, doc="number of values"),
                          Param("endpoint", Bool, True, "include stop"), _DTYPE),
                  shape=_linspace_shape, dtype=_given_dtype,
                  formula="out[i] = start + i * (stop - start) / (num - endpoint)",
                  grad=NO_GRAD, family="init",
                  domain=Domain(attrs=[{"start": 0, "stop": 1, "num": 5},
                                       {"start": 2, "stop": 3, "num": 4, "endpoint": False}]))


def _eye_shape(attrs):
    n, m = attrs["N"], attrs["M"]
    if n < 0:
        fail(f"N must be >= 0, got {n}")
    return (n, m if m > 0 else n)


_eye = OpDef("_eye", inputs=(),
             params=(Param("N", Int, doc="rows"), Param("M", Int, 0, "columns (0: N)"),
                     Param("k", Int, 0, "diagonal index: 0 main, >0 above, <0 below"), _DTYPE),
             shape=_eye_shape, dtype=_given_dtype, formula="out[i, j] = (j - i == k)",
             grad=NO_GRAD, family="init",
             domain=Domain(dtypes=_ALL_DTYPES, attrs=[{"N": 3}, {"N": 2, "M": 4, "k": 1}, {"N": 4, "k": -2}]))

# Init ops make constants: NO_GRAD (MXNet gives zeros_like/ones_like a zero gradient; the same to a user).
zeros_like = OpDef("zeros_like", shape=lambda attrs, data: data, formula="out = 0", grad=NO_GRAD,
                   family="init")
ones_like = OpDef("ones_like", shape=lambda attrs, data: data, formula="out = 1", grad=NO_GRAD,
                  family="init")
