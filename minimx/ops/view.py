"""The ops behind views, so autograd can follow them.

A view (``x.reshape``, ``x[1]``, ``x[2:5]``) is a window of its source's buffer: ``size`` elements
from ``offset`` on, in some ``shape``. Outside autograd no op runs: the view just shares memory.
While recording, ``NDArray._view`` also records ``_window`` so gradients flow back to the source;
its gradient, ``_window_backward``, writes the view's gradient into zeros at the same place.
"""
from ..base import prod
from .opdef import Domain, OpDef, Param, fail
from .params import Int, Shape

__all__ = []


def _window_shape(attrs, data):
    offset, shape = attrs["offset"], attrs["shape"]
    if any(s < 0 for s in shape):
        fail(f"shape {tuple(shape)} has a negative size")
    if offset < 0 or offset + prod(shape) > prod(data):
        fail(f"a window of {prod(shape)} elements at offset {offset} does not fit in {data}")
    return shape


def _window_grad(F, attrs, inputs, outputs, out_grads):
    return [F._internal._window_backward(out_grads[0], offset=attrs["offset"],
                                         src_shape=inputs[0].shape)]


def _window_backward_shape(attrs, grad):
    src = attrs["src_shape"]
    if attrs["offset"] < 0 or attrs["offset"] + prod(grad) > prod(src):
        fail(f"a window of {prod(grad)} elements at offset {attrs['offset']} does not fit in {src}")
    return src


def _window_backward_grad(F, attrs, inputs, outputs, out_grads):
    return [F._internal._window(out_grads[0], offset=attrs["offset"], shape=inputs[0].shape)]


def _window_inputs(rng, dtype, attrs):
    return [rng.uniform(-2, 2, (3, 4)).astype(dtype)]


def _backward_inputs(rng, dtype, attrs):
    return [rng.uniform(-2, 2, (2, 2)).astype(dtype)]


_window = OpDef(
    "_window", params=(Param("offset", Int, 0, "first element, counted in the flat source"),
                       Param("shape", Shape, doc="the view's shape")),
    shape=_window_shape, grad=_window_grad, family="view",
    formula="out = flat(data)[offset : offset + size(shape)] viewed as shape",
    doc="The values a view shows (what autograd records for x[1], x[2:5], x.reshape(...)).",
    domain=Domain(make_inputs=_window_inputs, attrs=[{"offset": 4, "shape": (2, 4)},
                                                     {"offset": 1, "shape": (5,)}]))

_window_backward = OpDef(
    "_window_backward", inputs=("grad",),
    params=(Param("offset", Int, 0, "where the window starts in the flat source"),
            Param("src_shape", Shape, doc="the source's shape")),
    shape=_window_backward_shape, grad=_window_backward_grad, family="view",
    formula="out = zeros(src_shape); flat(out)[offset : offset + size(grad)] = flat(grad)",
    doc="The gradient of a view: its gradient placed back into its source's shape.",
    domain=Domain(make_inputs=_backward_inputs, attrs=[{"offset": 3, "src_shape": (3, 4)}]))
