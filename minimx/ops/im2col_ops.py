"""``im2col`` and ``col2im``: a convolution's sliding blocks laid out as columns, and back.

``im2col(data, kernel, stride, dilate, pad)`` turns data ``(N, C, *spatial)`` into columns
``(N, C * prod(kernel), L)``: row ``c * prod(kernel) + flat kernel offset``, column ``l`` the flat
index of the block's position (``L`` positions, as a Convolution with these parameters would have).
``col2im(data, output_size, ...)`` is its adjoint: every column entry is added back into an image
``(N, C, *output_size)`` at the place it was taken from (overlaps add up). So each op's gradient is
the other op. The geometry parameters and their checks are Convolution's (1-d, 2-d, 3-d kernels).

NB: MXNet 1.9.1's CPU kernels handle only 2-d kernels (1-d ones fail inside MXNet with an index
check, 3-d ones crash); minimx computes all three, the 2-d results agreeing with MXNet's.
"""
import numpy as np

from ..base import prod
from .conv import conv_geometry
from .opdef import Domain, OpDef, Param, fail
from .params import Shape

__all__ = []

_FLOATS = ("float16", "float32", "float64")
_GEOMETRY = (
    Param("kernel", Shape, doc="Sliding kernel size: (w,), (h, w) or (d, h, w)."),
    Param("stride", Shape, (), "The stride between adjacent sliding blocks per spatial axis "
                               "(default 1)."),
    Param("dilate", Shape, (), "The spacing between adjacent kernel points (default 1)."),
    Param("pad", Shape, (), "Implicit zero padding on both sides of each spatial axis "
                            "(default 0)."),
)
_OUTPUT_SIZE = Param("output_size", Shape, doc="The spatial shape of the image col2im writes: "
                                               "(w,), (h, w) or (d, h, w).")


def _positions(name, attrs, image):
    """The geometry, checked against ``image`` ``(N, C, *spatial)``, and the number of block
    positions along each spatial axis."""
    kernel, stride, dilate, pad = conv_geometry(name, dict(attrs, layout=None), tuple(image))
    spatial = tuple(image[2:])
    out = []
    for n, k, s, d, p in zip(spatial, kernel, stride, dilate, pad):
        span = d * (k - 1) + 1
        if span > n + 2 * p:
            fail(f"the dilated kernel size {span} exceeds the padded input size {n + 2 * p}",
                 "use a smaller kernel or dilate, or more padding")
        out.append((n + 2 * p - span) // s + 1)
    return kernel, tuple(out)


def _float(attrs, dtype):
    if dtype.kind != "f":
        fail(f"data is {dtype}; this operation supports floating-point types only (as in MXNet)",
             "cast first, e.g. x.astype('float32')")
    return dtype


def _im2col_shape(attrs, data):
    if len(data) < 3:
        fail(f"data {tuple(data)} must be (N, C, *spatial)", "add the batch and channel axes")
    kernel, out = _positions("im2col", attrs, data)
    return (data[0], data[1] * prod(kernel), prod(out))


def _col2im_shape(attrs, data):
    if len(data) != 3:
        fail(f"data {tuple(data)} must be 3-d: (N, C * prod(kernel), L)",
             "pass the columns im2col makes")
    kernel, out = _positions("col2im", attrs, (data[0], 1) + tuple(attrs["output_size"]))
    block = prod(kernel)
    if data[1] % block:
        fail(f"data's axis 1 ({data[1]}) is not a multiple of prod(kernel) = {block}",
             "axis 1 holds C * prod(kernel) rows")
    if data[2] != prod(out):
        fail(f"data has {data[2]} columns but output_size {tuple(attrs['output_size'])} with these "
             f"parameters gives {prod(out)} block positions",
             "output size does not match the convolution parameters: check output_size and stride")
    return (data[0], data[1] // block) + tuple(attrs["output_size"])


def _geo(attrs):
    return {k: attrs[k] for k in ("kernel", "stride", "dilate", "pad")}


def _im2col_grad(F, attrs, inputs, outputs, out_grads):
    return [F.col2im(out_grads[0], output_size=inputs[0].shape[2:], **_geo(attrs))]


def _col2im_grad(F, attrs, inputs, outputs, out_grads):
    return [F.im2col(out_grads[0], **_geo(attrs))]


_ATTRS = [
    {"kernel": (2, 3)},
    {"kernel": (2, 2), "stride": (2, 1), "dilate": (1, 2), "pad": (1, 0)},
    {"kernel": (3,), "stride": (2,), "pad": (1,)},
    {"kernel": (2, 1, 2), "pad": (0, 1, 1)},
]


def _image(rng, attrs):
    nd = len(attrs["kernel"])
    return (int(rng.integers(1, 3)), int(rng.integers(1, 3))) + tuple(
        int(rng.integers(4, 6)) for _ in range(nd))


def _im2col_inputs(rng, dtype, attrs):
    return [rng.uniform(-2, 2, _image(rng, attrs)).astype(dtype)]


def _col2im_inputs(rng, dtype, attrs):
    shape = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) + tuple(attrs["output_size"])
    geo = {k: attrs.get(k, ()) for k in ("kernel", "stride", "dilate", "pad")}
    return [rng.uniform(-2, 2, _im2col_shape(geo, shape)).astype(dtype)]


im2col = OpDef(
    "im2col", params=_GEOMETRY, shape=_im2col_shape, dtype=_float, grad=_im2col_grad,
    formula="out[n, c * prod(kernel) + k, l] = data_pad[n, c, pos(l) * stride + k * dilate]",
    doc="Extracts the sliding blocks of a convolution (kernel, stride, dilate, pad) as the "
        "columns of an (N, C * prod(kernel), L) array.",
    domain=Domain(dtypes=_FLOATS, attrs=_ATTRS, make_inputs=_im2col_inputs),
    family="im2col_ops")

col2im = OpDef(
    "col2im", params=(_OUTPUT_SIZE,) + _GEOMETRY, shape=_col2im_shape, dtype=_float,
    grad=_col2im_grad,
    formula="out[n, c, pos(l) * stride + k * dilate - pad] += data[n, c * prod(kernel) + k, l]",
    doc="Adds columns (N, C * prod(kernel), L) back into an image (N, C, *output_size): the "
        "adjoint of im2col.",
    domain=Domain(dtypes=_FLOATS, make_inputs=_col2im_inputs,
                  attrs=[dict(a, output_size=size)
                         for a, size in zip(_ATTRS, [(4, 5), (5, 4), (6,), (3, 4, 5)])]),
    family="im2col_ops")
