"""numpy kernels of the elemwise family: ``out = f(inputs)`` element by element.

Each kernel writes its output in place (``out=``); numpy broadcasting is MXNet's for these ops.
"""
import numpy as np

__all__ = ["KERNELS"]


def _binary(ufunc):
    def kernel(ins, outs, attrs):
        ufunc(ins[0], ins[1], out=outs[0], casting="unsafe")
    kernel.__name__ = ufunc.__name__
    return kernel


def _scalar(ufunc, reflected=False):
    """``ufunc(data, scalar)``; the scalar takes the array's dtype first, as in MXNet."""
    def kernel(ins, outs, attrs):
        data = ins[0]
        scalar = np.asarray(attrs["scalar"]).astype(data.dtype)
        if reflected:
            ufunc(scalar, data, out=outs[0], casting="unsafe")
        else:
            ufunc(data, scalar, out=outs[0], casting="unsafe")
    kernel.__name__ = ufunc.__name__
    return kernel


def _unary(ufunc):
    def kernel(ins, outs, attrs):
        ufunc(ins[0], out=outs[0], casting="unsafe")
    kernel.__name__ = ufunc.__name__
    return kernel


def copy(ins, outs, attrs):
    np.copyto(outs[0], ins[0])


def cast(ins, outs, attrs):
    np.copyto(outs[0], ins[0], casting="unsafe")


KERNELS = {
    "broadcast_add": _binary(np.add),
    "broadcast_sub": _binary(np.subtract),
    "broadcast_mul": _binary(np.multiply),
    "broadcast_div": _binary(np.divide),
    "broadcast_mod": _binary(np.mod),
    "broadcast_power": _binary(np.power),
    "broadcast_maximum": _binary(np.maximum),
    "broadcast_minimum": _binary(np.minimum),
    "broadcast_equal": _binary(np.equal),
    "broadcast_not_equal": _binary(np.not_equal),
    "broadcast_greater": _binary(np.greater),
    "broadcast_greater_equal": _binary(np.greater_equal),
    "broadcast_lesser": _binary(np.less),
    "broadcast_lesser_equal": _binary(np.less_equal),
    "_plus_scalar": _scalar(np.add),
    "_minus_scalar": _scalar(np.subtract),
    "_rminus_scalar": _scalar(np.subtract, reflected=True),
    "_mul_scalar": _scalar(np.multiply),
    "_div_scalar": _scalar(np.divide),
    "_rdiv_scalar": _scalar(np.divide, reflected=True),
    "_mod_scalar": _scalar(np.mod),
    "_rmod_scalar": _scalar(np.mod, reflected=True),
    "_power_scalar": _scalar(np.power),
    "_rpower_scalar": _scalar(np.power, reflected=True),
    "_equal_scalar": _scalar(np.equal),
    "_not_equal_scalar": _scalar(np.not_equal),
    "_greater_scalar": _scalar(np.greater),
    "_greater_equal_scalar": _scalar(np.greater_equal),
    "_lesser_scalar": _scalar(np.less),
    "_lesser_equal_scalar": _scalar(np.less_equal),
    "negative": _unary(np.negative),
    "abs": _unary(np.abs),
    "exp": _unary(np.exp),
    "_copy": copy,
    "Cast": cast,
}
