"""Backward ops of the vision family: the gradients that scatter (add into positions a forward
pass read from) or need the CTC forward-backward algorithm, which no small set of
differentiable ops can express without a dense matrix the size of the image squared.

Each is a plain op with a numpy reference kernel (``_kernels/reference/vision.py``), called by a
gradient rule in ``vision.py`` through ``F._internal`` (MXNet's home of ops named '_...'). NB: MXNet's backward ops have no gradient of their
own (a second derivative through them raises there); here ``_backward_ROIPooling``, which is
linear in its head gradient, has one, as has ``_backward_Correlation`` with is_multiply (bilinear);
the others raise the same way (``grad=None``).
"""
import numpy as np

from .._kernels.reference.vision import roi_pooling
from ..base import MXNetError
from .opdef import Domain, OpDef, Param, fail, same_dtype
from .params import Bool, Enum, Int

__all__ = []


def _same(what, got, want):
    if tuple(got) != tuple(want):
        fail(f"{what} has shape {got} but must be {want}")


# -- BilinearSampler -----------------------------------------------------------------------------
def _sampler_backward_shape(attrs, out_grad, data, grid):
    if len(data) != 4 or len(grid) != 4 or grid[1] != 2 or grid[0] != data[0]:
        fail(f"data must be 4-d (N, C, H, W) and grid ({data[0] if data else 'N'}, 2, H, W), "
             f"got data {tuple(data)} and grid {tuple(grid)}")
    _same("out_grad", out_grad, (data[0], data[1], grid[2], grid[3]))
    return [tuple(data), tuple(grid)]


_backward_BilinearSampler = OpDef(
    "_backward_BilinearSampler", inputs=("out_grad", "data", "grid"),
    shape=_sampler_backward_shape, dtype=lambda attrs, *dtypes: [same_dtype(attrs, *dtypes)] * 2,
    formula="grad_data = scatter-add of bilinear weights * out_grad; grad_grid = sum over "
            "channels of out_grad * d(bilinear interpolation)/d(x, y)",
    doc="The gradient of BilinearSampler w.r.t. data and grid.",
    domain=Domain(dtypes=("float32", "float64"), make_inputs=lambda rng, dtype, attrs: [
        rng.uniform(-1, 1, (2, 3, 3, 2)).astype(dtype), rng.uniform(-3, 3, (2, 3, 4, 5))
        .astype(dtype), rng.uniform(-1.2, 1.2, (2, 2, 3, 2)).astype(dtype)]),
    family="vision")


# -- ROIPooling ----------------------------------------------------------------------------------
def _roi_backward_shape(attrs, out_grad, argmax, data):
    _same("argmax", argmax, out_grad)
    if len(data) != 4 or len(out_grad) != 4 or out_grad[1] != data[1]:
        fail(f"out_grad {out_grad} and data {data} must be 4-d with the same channels")
    return tuple(data)


def _roi_backward_inputs(rng, dtype, attrs):
    data = rng.uniform(-3, 3, (2, 3, 6, 7)).astype(dtype)
    rois = np.array([[0, 0, 0, 6, 5], [1, 2, 1, 5, 4], [0, 1, 2, 3, 5]], dtype=dtype)
    out, argmax = np.zeros((3, 3, 2, 2), dtype), np.zeros((3, 3, 2, 2), np.int32)
    roi_pooling([data, rois], [out, argmax], {"spatial_scale": 1.0})
    return [rng.uniform(-1, 1, out.shape).astype(dtype), argmax, data]


def _roi_backward_grad(F, attrs, inputs, outputs, out_grads):
    """Linear in out_grad: its gradient gathers the head gradient at each cell's maximum."""
    _, argmax, data = inputs
    flat = F.reshape(out_grads[0], shape=(-1,))
    picked = F.take(flat, F.reshape(F.maximum(argmax, 0), shape=(-1,)))   # -1 -> 0, masked below
    found = F.cast(argmax >= 0, dtype=data.dtype)
    return [F.reshape(picked, shape=argmax.shape) * found, None, None]


_backward_ROIPooling = OpDef(
    "_backward_ROIPooling", inputs=("out_grad", "argmax", "data"),
    shape=_roi_backward_shape, dtype=lambda attrs, out_grad, argmax, data: out_grad,
    grad=_roi_backward_grad,
    formula="grad_data.flat[argmax] += out_grad (argmax >= 0)",
    doc="The gradient of ROIPooling w.r.t. data: each cell's head gradient goes to its maximum "
        "(argmax, ROIPooling's hidden output); data gives only the shape.",
    domain=Domain(dtypes=("float32", "float64"), make_inputs=_roi_backward_inputs),
    family="vision")


# -- Correlation ---------------------------------------------------------------------------------
_CORRELATION_PARAMS = (
    Param("kernel_size", Int, 1, "odd size of the compared patches"),
    Param("max_displacement", Int, 1, "largest displacement compared"),
    Param("stride1", Int, 1, "stride of the patch centres in data1"),
    Param("stride2", Int, 1, "stride of the displacements around each centre"),
    Param("pad_size", Int, 0, "zero padding of both inputs"),
    Param("is_multiply", Bool, True, "multiply (else the absolute difference)"))


def _correlation_backward_shape(attrs, out_grad, data1, data2):
    _same("data2", data2, data1)
    return [tuple(data1), tuple(data2)]


def _correlation_backward_grad(F, attrs, inputs, outputs, out_grads):
    """With is_multiply, Correlation ``B(data1, data2)`` is bilinear, so its backward
    ``(A1(g, data2), A2(g, data1))`` is too, and for head gradients ``(h1, h2)``:
    ``d/dg = B(h1, data2) + B(data1, h2)``, ``d/d data1 = A1(g, h2)``, ``d/d data2 = A2(g, h1)``.
    The absolute difference has a zero second derivative in data, and its head-gradient term is
    not a Correlation: not implemented (MXNet has no second order here at all)."""
    if not attrs["is_multiply"]:
        raise MXNetError("the second derivative of Correlation with is_multiply=False is not "
                         "implemented (MXNet has none either)")
    g, data1, data2 = inputs
    h1, h2 = (F.zeros_like(x) if h is None else h for h, x in zip(out_grads, (data1, data2)))
    grad_g = F.Correlation(h1, data2, **attrs) + F.Correlation(data1, h2, **attrs)
    grad1 = F._internal._backward_Correlation(g, data1, h2, **attrs)[0]
    grad2 = F._internal._backward_Correlation(g, h1, data2, **attrs)[1]
    return [grad_g, grad1, grad2]


_backward_Correlation = OpDef(
    "_backward_Correlation", inputs=("out_grad", "data1", "data2"), params=_CORRELATION_PARAMS,
    shape=_correlation_backward_shape,
    dtype=lambda attrs, *dtypes: [same_dtype(attrs, *dtypes)] * 2, grad=_correlation_backward_grad,
    formula="grad1 = sum over displacements of out_grad * shifted data2 / norm (or sign(data1 - "
            "data2) with is_multiply=False), grad2 likewise",
    doc="The gradient of Correlation w.r.t. both inputs (same parameters as Correlation).",
    domain=Domain(dtypes=("float32", "float64"), make_inputs=lambda rng, dtype, attrs: [
        rng.uniform(-1, 1, (2, 9, 3, 4)).astype(dtype)] + [
        rng.uniform(-3, 3, (2, 3, 5, 6)).astype(dtype) for _ in range(2)],
        attrs=[{}, {"max_displacement": 1, "pad_size": 1, "kernel_size": 3}]),
    family="vision")


# -- CTCLoss -------------------------------------------------------------------------------------
def _ctc_grad_shape(attrs, data, *rest):
    return tuple(data)


_ctc_loss_grad = OpDef(
    "_ctc_loss_grad", inputs=("data", "label", "data_lengths", "label_lengths"),
    optional=("data_lengths", "label_lengths"),
    params=(Param("use_data_lengths", Bool, False, "as CTCLoss"),
            Param("use_label_lengths", Bool, False, "as CTCLoss"),
            Param("blank_label", Enum("first", "last"), "first", "as CTCLoss")),
    shape=_ctc_grad_shape, dtype=lambda attrs, data, *rest: data,
    formula="out[t, n, k] = softmax(data[t, n])[k] - (posterior probability that the "
            "alignment of label[n] emits k at step t); 0 past data_lengths[n]",
    doc="The gradient of each sequence's CTCLoss w.r.t. data (the forward-backward algorithm); "
        "CTCLoss's rule scales it by the head gradient.",
    domain=Domain(dtypes=("float32", "float64"), make_inputs=lambda rng, dtype, attrs: [
        rng.uniform(-2, 2, (6, 2, 4)).astype(dtype), np.array([[1, 2, 0], [3, 3, 1]], "float32")]),
    family="vision")
