"""numpy kernels of the contrib family (``_contrib_*`` ops)."""
import math

import numpy as np

__all__ = ["KERNELS"]


def arange_like(ins, outs, attrs):
    out = outs[0]
    i = np.arange(out.size) // attrs["repeat"]
    out[...] = (attrs["start"] + attrs["step"] * i).reshape(out.shape)


def index_copy(ins, outs, attrs):
    old, index, new = ins
    out = outs[0]
    out[...] = old
    idx = index.astype(np.int64)
    ok = (idx >= 0) & (idx < old.shape[0])     # MXNet skips indices out of range
    out[idx[ok]] = new[ok]


def index_array(ins, outs, attrs):
    shape = ins[0].shape
    axes = attrs["axes"]
    axes = range(len(shape)) if axes is None else [a % len(shape) for a in axes]
    grids = np.indices(shape, dtype=np.int64) if shape else np.zeros((0,), np.int64)
    for j, a in enumerate(axes):
        outs[0][..., j] = grids[a]


def div_sqrt_dim(ins, outs, attrs):
    x = ins[0]
    outs[0][...] = x / x.dtype.type(math.sqrt(x.shape[-1]))


def quadratic(ins, outs, attrs):
    x = ins[0]
    t = x.dtype.type
    outs[0][...] = t(attrs["a"]) * x * x + t(attrs["b"]) * x + t(attrs["c"])


KERNELS = {
    "_contrib_arange_like": arange_like,
    "_contrib_index_copy": index_copy,
    "_contrib_index_array": index_array,
    "_contrib_div_sqrt_dim": div_sqrt_dim,
    "_contrib_quadratic": quadratic,
}
