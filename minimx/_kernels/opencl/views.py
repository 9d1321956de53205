"""Kernels that only move elements: reshapes (a device copy), ``_window`` and its backward, and
``multi_sgd_update`` (Gluon's Trainer's SGD step: one kernel launch per weight)."""
import numpy as np

from .array import CLArray
from .elemwise import _source, copy, ctype, fill, floats, launch_1d

__all__ = ["KERNELS"]


def window(ins, outs, attrs):
    x, out = ins[0], outs[0]
    start = attrs["offset"]
    return copy((CLArray(x.dev, x.buf, x.offset + start, out.shape, x.dtype),), outs, attrs)


def window_backward(ins, outs, attrs):
    grad, out = ins[0], outs[0]
    if fill(out, 0) is NotImplemented:
        return NotImplemented
    start = attrs["offset"]
    return copy((grad,), (CLArray(out.dev, out.buf, out.offset + start, grad.shape, out.dtype),),
                attrs)


_MULTI_SGD = ("T w = wp[wo + i]; T g = gp[go + i];"
              " T step = bound >= 0 ? clamp(rescale * g, -bound, bound) : rescale * g;"
              " out[oo + i] = w + ((T)0 - lr * wd * w - lr * step);")


def multi_sgd_update(ins, outs, attrs):
    """MXNet's MultiSGDKernel order of operations: ``w + (0 - lr*wd*w - lr*clip(rescale*g))``."""
    dev = outs[0].dev
    if not floats(dev, *ins, *outs):
        return NotImplemented
    T = ctype(ins[0].dtype)
    t = ins[0].dtype.type
    src = _source("msgd", T, "__global const T* wp, long wo, __global const T* gp, long go, "
                  "T lr, T wd, T rescale, T bound", _MULTI_SGD)
    k = dev.kernel(src, "msgd")
    rescale, bound = t(np.float32(attrs["rescale_grad"])), t(np.float32(attrs["clip_gradient"]))
    for i, out in enumerate(outs):
        w, g = ins[2 * i], ins[2 * i + 1]
        launch_1d(dev, k, out.size, out.buf, np.int64(out.offset), w.buf, np.int64(w.offset),
                  g.buf, np.int64(g.offset), t(np.float32(attrs["lrs"][i])),
                  t(np.float32(attrs["wds"][i])), rescale, bound, np.int64(out.size))
    return None


KERNELS = {name: copy for name in ("Reshape", "reshape_like", "Flatten", "expand_dims", "squeeze",
                                   "BlockGrad")}
KERNELS.update({"_window": window, "_window_backward": window_backward,
                "multi_sgd_update": multi_sgd_update})
