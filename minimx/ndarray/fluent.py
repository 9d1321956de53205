"""NDArray's fluent methods: ``x.sum(axis=1)`` is ``mx.nd.sum(x, axis=1)``.

Written out one per line so that grep finds each; the op table does the work. Positional arguments
after ``self`` fill the op's parameters in order, as in MXNet.
"""
from .invoke import call_op, get_op

__all__ = ["FluentMethods"]


def _call_with_inputs(name, self, args, kwargs):
    """Call op ``name`` whose other inputs come first, as MXNet's fluent methods do.

    ``x.take(idx)`` is ``mx.nd.take(x, idx)``: positional arguments after ``self`` fill the op's
    remaining inputs (``indices``, ``rhs``, ...) before its parameters, and inputs may be named too.
    Optional inputs left as None are dropped, as the ``mx.nd`` wrappers do.
    """
    op = get_op(name)
    rest = op.inputs[1:]
    args = list(args)
    kwargs = dict(kwargs)
    inputs = [self]
    for n in rest:
        value = args.pop(0) if args else kwargs.pop(n, None)
        if value is None and n in op.optional:
            continue
        inputs.append(value)
    return call_op(name, tuple(inputs), tuple(args), kwargs)


class FluentMethods:
    """Mixin of NDArray: each method calls the op of the same name with ``self`` as first input."""
    __slots__ = ()

    def abs(self, *args, **kwargs):
        return call_op("abs", (self,), args, kwargs)

    def arccos(self, *args, **kwargs):
        return call_op("arccos", (self,), args, kwargs)

    def arccosh(self, *args, **kwargs):
        return call_op("arccosh", (self,), args, kwargs)

    def arcsin(self, *args, **kwargs):
        return call_op("arcsin", (self,), args, kwargs)

    def arcsinh(self, *args, **kwargs):
        return call_op("arcsinh", (self,), args, kwargs)

    def arctan(self, *args, **kwargs):
        return call_op("arctan", (self,), args, kwargs)

    def arctanh(self, *args, **kwargs):
        return call_op("arctanh", (self,), args, kwargs)

    def argmax(self, *args, **kwargs):
        return call_op("argmax", (self,), args, kwargs)

    def argmax_channel(self, *args, **kwargs):
        return call_op("argmax_channel", (self,), args, kwargs)

    def argmin(self, *args, **kwargs):
        return call_op("argmin", (self,), args, kwargs)

    def argsort(self, *args, **kwargs):
        return call_op("argsort", (self,), args, kwargs)

    def broadcast_axes(self, *args, **kwargs):
        return call_op("broadcast_axes", (self,), args, kwargs)

    def broadcast_like(self, *args, **kwargs):
        return _call_with_inputs("broadcast_like", self, args, kwargs)

    def broadcast_to(self, *args, **kwargs):
        return call_op("broadcast_to", (self,), args, kwargs)

    def cbrt(self, *args, **kwargs):
        return call_op("cbrt", (self,), args, kwargs)

    def ceil(self, *args, **kwargs):
        return call_op("ceil", (self,), args, kwargs)

    def clip(self, *args, **kwargs):
        return call_op("clip", (self,), args, kwargs)

    def cos(self, *args, **kwargs):
        return call_op("cos", (self,), args, kwargs)

    def cosh(self, *args, **kwargs):
        return call_op("cosh", (self,), args, kwargs)

    def degrees(self, *args, **kwargs):
        return call_op("degrees", (self,), args, kwargs)

    def depth_to_space(self, *args, **kwargs):
        return call_op("depth_to_space", (self,), args, kwargs)

    def diag(self, *args, **kwargs):
        return call_op("diag", (self,), args, kwargs)

    def exp(self, *args, **kwargs):
        return call_op("exp", (self,), args, kwargs)

    def expand_dims(self, *args, **kwargs):
        return call_op("expand_dims", (self,), args, kwargs)

    def expm1(self, *args, **kwargs):
        return call_op("expm1", (self,), args, kwargs)

    def fix(self, *args, **kwargs):
        return call_op("fix", (self,), args, kwargs)

    def flatten(self, *args, **kwargs):
        return call_op("flatten", (self,), args, kwargs)

    def flip(self, *args, **kwargs):
        return call_op("flip", (self,), args, kwargs)

    def floor(self, *args, **kwargs):
        return call_op("floor", (self,), args, kwargs)

    def log(self, *args, **kwargs):
        return call_op("log", (self,), args, kwargs)

    def log10(self, *args, **kwargs):
        return call_op("log10", (self,), args, kwargs)

    def log1p(self, *args, **kwargs):
        return call_op("log1p", (self,), args, kwargs)

    def log2(self, *args, **kwargs):
        return call_op("log2", (self,), args, kwargs)

    def log_softmax(self, *args, **kwargs):
        return call_op("log_softmax", (self,), args, kwargs)

    def max(self, *args, **kwargs):
        return call_op("max", (self,), args, kwargs)

    def mean(self, *args, **kwargs):
        return call_op("mean", (self,), args, kwargs)

    def min(self, *args, **kwargs):
        return call_op("min", (self,), args, kwargs)

    def nanprod(self, *args, **kwargs):
        return call_op("nanprod", (self,), args, kwargs)

    def nansum(self, *args, **kwargs):
        return call_op("nansum", (self,), args, kwargs)

    def norm(self, *args, **kwargs):
        return call_op("norm", (self,), args, kwargs)

    def one_hot(self, *args, **kwargs):
        return call_op("one_hot", (self,), args, kwargs)

    def ones_like(self, *args, **kwargs):
        return call_op("ones_like", (self,), args, kwargs)

    def pad(self, *args, **kwargs):
        return call_op("pad", (self,), args, kwargs)

    def pick(self, *args, **kwargs):
        return _call_with_inputs("pick", self, args, kwargs)

    def prod(self, *args, **kwargs):
        return call_op("prod", (self,), args, kwargs)

    def radians(self, *args, **kwargs):
        return call_op("radians", (self,), args, kwargs)

    def rcbrt(self, *args, **kwargs):
        return call_op("rcbrt", (self,), args, kwargs)

    def reciprocal(self, *args, **kwargs):
        return call_op("reciprocal", (self,), args, kwargs)

    def relu(self, *args, **kwargs):
        return call_op("relu", (self,), args, kwargs)

    def repeat(self, *args, **kwargs):
        return call_op("repeat", (self,), args, kwargs)

    def reshape_like(self, *args, **kwargs):
        return _call_with_inputs("reshape_like", self, args, kwargs)

    def rint(self, *args, **kwargs):
        return call_op("rint", (self,), args, kwargs)

    def round(self, *args, **kwargs):
        return call_op("round", (self,), args, kwargs)

    def rsqrt(self, *args, **kwargs):
        return call_op("rsqrt", (self,), args, kwargs)

    def shape_array(self, *args, **kwargs):
        return call_op("shape_array", (self,), args, kwargs)

    def sigmoid(self, *args, **kwargs):
        return call_op("sigmoid", (self,), args, kwargs)

    def sign(self, *args, **kwargs):
        return call_op("sign", (self,), args, kwargs)

    def sin(self, *args, **kwargs):
        return call_op("sin", (self,), args, kwargs)

    def sinh(self, *args, **kwargs):
        return call_op("sinh", (self,), args, kwargs)

    def size_array(self, *args, **kwargs):
        return call_op("size_array", (self,), args, kwargs)

    def slice(self, *args, **kwargs):
        return call_op("slice", (self,), args, kwargs)

    def slice_axis(self, *args, **kwargs):
        return call_op("slice_axis", (self,), args, kwargs)

    def slice_like(self, *args, **kwargs):
        return _call_with_inputs("slice_like", self, args, kwargs)

    def softmax(self, *args, **kwargs):
        return _call_with_inputs("softmax", self, args, kwargs)

    def softmin(self, *args, **kwargs):
        return call_op("softmin", (self,), args, kwargs)

    def sort(self, *args, **kwargs):
        return call_op("sort", (self,), args, kwargs)

    def space_to_depth(self, *args, **kwargs):
        return call_op("space_to_depth", (self,), args, kwargs)

    def split(self, *args, **kwargs):
        return call_op("split", (self,), args, kwargs)

    def sqrt(self, *args, **kwargs):
        return call_op("sqrt", (self,), args, kwargs)

    def square(self, *args, **kwargs):
        return call_op("square", (self,), args, kwargs)

    def squeeze(self, *args, **kwargs):
        return call_op("squeeze", (self,), args, kwargs)

    def sum(self, *args, **kwargs):
        return call_op("sum", (self,), args, kwargs)

    def swapaxes(self, *args, **kwargs):
        return call_op("swapaxes", (self,), args, kwargs)

    def take(self, *args, **kwargs):
        return _call_with_inputs("take", self, args, kwargs)

    def tan(self, *args, **kwargs):
        return call_op("tan", (self,), args, kwargs)

    def tanh(self, *args, **kwargs):
        return call_op("tanh", (self,), args, kwargs)

    def tile(self, *args, **kwargs):
        return call_op("tile", (self,), args, kwargs)

    def topk(self, *args, **kwargs):
        return call_op("topk", (self,), args, kwargs)

    def transpose(self, *args, **kwargs):
        return call_op("transpose", (self,), args, kwargs)

    def trunc(self, *args, **kwargs):
        return call_op("trunc", (self,), args, kwargs)

    def zeros_like(self, *args, **kwargs):
        return call_op("zeros_like", (self,), args, kwargs)
