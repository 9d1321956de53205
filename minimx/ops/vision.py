"""Vision ops: upsampling and cropping of feature maps, spatial transformer networks (grid
generation and bilinear sampling), region-of-interest pooling, FlowNet's correlation, the
SVM and sparse-regulariser output layers, and the CTC loss.

Images are NCHW. Several ops have hidden outputs in MXNet: GridGenerator returns its target grid,
SpatialTransformer both grids, ROIPooling the flat index of each maximum (int32, as the pip build
of MXNet 1.9.1); ``mx.nd`` shows only the first output, and the autograd rules can use the rest.
Outputs MXNet keeps as scratch space (Correlation's padded copies, BilinearSampler's cuDNN
buffer, CTCLoss's gradient) are not declared. MXNet's legacy ops here often accept float32 only;
minimx accepts every float type (Crop, a pure slice, any type), with the same values.

Gradients: UpSampling, Crop, GridGenerator and the loss-output layers are written with ops here;
the gradients that scatter (BilinearSampler, ROIPooling, Correlation) or need CTC's
forward-backward algorithm call the backward ops of ``gradutil_vision.py``.
"""
import numpy as np

from .._kernels.reference.vision import (correlation_geometry, crop_offsets,
                                         upsampling_bilinear_geometry)
from .gradutil_vision import (  # noqa: F401  (the backward ops, declared there, live in this family)
    _backward_BilinearSampler, _backward_Correlation, _backward_ROIPooling, _ctc_loss_grad)
from .opdef import Domain, OpDef, Param, fail, same_dtype
from .params import Bool, Enum, Float, Int, Shape

__all__ = []

FLOATS = ("float32", "float64", "float16")


def _float_dtype(attrs, *dtypes):
    dtype = same_dtype(attrs, *dtypes)
    if dtype.kind != "f":
        fail(f"this operator supports floating point types only, not {dtype}",
             "convert the inputs with .astype('float32')")
    return dtype


def _opt_bool(value):
    """MXNet's 'boolean or None' parameters (cudnn_off; nothing to turn off on the CPU)."""
    return None if value is None or value == "None" else Bool(value)


def _need_4d(shape, what):
    if len(shape) != 4:
        fail(f"{what} must be 4-d (batch, channel, height, width), got shape {shape}")


def _count(attrs, shapes):
    if attrs["num_args"] != len(shapes):
        fail(f"num_args={attrs['num_args']} but {len(shapes)} inputs were given",
             "leave num_args out; the mx.nd wrapper counts the inputs")


# -- UpSampling ----------------------------------------------------------------------------------
def _upsampling_shape(attrs, *shapes):
    _count(attrs, shapes)
    scale = attrs["scale"]
    if scale < 1:
        fail(f"scale must be >= 1, got {scale}")
    data = shapes[0]
    _need_4d(data, "data")
    out_h, out_w = data[2] * scale, data[3] * scale
    if attrs["sample_type"] == "bilinear":
        if len(shapes) != 2:
            fail(f"bilinear upsampling takes 2 inputs (data, weight), got {len(shapes)}")
        kernel, _ = upsampling_bilinear_geometry(scale)
        if attrs["num_filter"] != data[1]:
            fail(f"num_filter={attrs['num_filter']} must equal the number of channels {data[1]}")
        if tuple(shapes[1]) != (data[1], 1, kernel, kernel):
            fail(f"weight has shape {shapes[1]} but scale={scale} needs "
                 f"{(data[1], 1, kernel, kernel)} (one {kernel}x{kernel} filter per channel)")
        return (data[0], data[1], out_h, out_w)
    channels = 0
    for i, s in enumerate(shapes):
        _need_4d(s, f"input {i}")
        if s[0] != data[0]:
            fail(f"input {i} has batch size {s[0]} but input 0 has {data[0]}")
        if not s[2] or not s[3] or out_h % s[2] or out_w % s[3] or out_h // s[2] != out_w // s[3]:
            fail(f"input {i} of size {s[2]}x{s[3]} cannot be scaled up to the output's "
                 f"{out_h}x{out_w} by one whole factor",
                 "the output is input 0's size times scale; other inputs must divide it evenly")
        if attrs["multi_input_mode"] == "sum":
            if channels and s[1] != channels:
                fail(f"multi_input_mode='sum' needs inputs of one channel count, got {channels} "
                     f"and {s[1]}")
            channels = s[1]
        else:
            channels += s[1]
    return (data[0], channels, out_h, out_w)


def _upsampling_inputs(rng, dtype, attrs):
    def draw(*shape):
        return rng.uniform(-3, 3, shape).astype(dtype)
    if attrs["sample_type"] == "bilinear":
        return [draw(1, 2, 3, 3), draw(2, 1, 4, 4)]
    if attrs.get("multi_input_mode") == "sum":
        return [draw(2, 2, 2, 4), draw(2, 2, 1, 2)]
    if attrs.get("multi_input_mode") == "concat":
        return [draw(2, 2, 2, 4), draw(2, 1, 1, 2), draw(2, 3, 4, 8)]
    return [draw(2, 3, 2, 3)]


def _upsampling_grad(F, attrs, inputs, outputs, out_grads):
    """Nearest: each input pixel was copied to an s x s block, so its gradient is the block's sum
    (of its channels' slice, with concat). Bilinear: UpSampling is a grouped Deconvolution, whose
    gradients are Convolutions (see ``_bilinear_upsampling_grad``)."""
    g = out_grads[0]
    if attrs["sample_type"] == "bilinear":
        return _bilinear_upsampling_grad(F, attrs, inputs[0], inputs[1], g)
    grads, begin = [], 0
    for x in inputs:
        n, c, h, w = x.shape
        s = g.shape[2] // h
        part = g
        if attrs["multi_input_mode"] == "concat":
            part = F.slice_axis(g, axis=1, begin=begin, end=begin + c)
            begin += c
        grads.append(F.sum(F.reshape(part, shape=(n, c, h, s, w, s)), axis=(3, 5)))
    return grads


def _bilinear_upsampling_grad(F, attrs, data, weight, g):
    """Deconvolution ``out[y*s + i - pad] += data[y] * weight[i]`` per channel; its adjoints:

    - ``grad_data = Convolution(g, weight)`` with the same kernel, stride, pad and groups;
    - ``grad_weight[c, 0, i, j] = sum over n, y, x of data[n, c, y, x] * g_padded[n, c, y*s + i,
      x*s + j]``: a Convolution of the padded g (channels c and batch n folded into groups) with
      data as the kernel, dilated by s.
    """
    scale, channels = attrs["scale"], data.shape[1]
    kernel, pad = upsampling_bilinear_geometry(scale)
    grad_data = F.Convolution(g, weight, kernel=(kernel, kernel), stride=(scale, scale),
                              pad=(pad, pad), num_filter=channels, num_group=channels,
                              no_bias=True)
    n, _, h, w = data.shape
    padded = F.Pad(g, mode="constant", pad_width=(0, 0, 0, 0, pad, pad, pad, pad)) if pad else g
    folded = F.reshape(F.transpose(padded, axes=(1, 0, 2, 3)),
                       shape=(1, channels * n) + tuple(padded.shape[2:]))
    grad_weight = F.Convolution(folded, F.transpose(data, axes=(1, 0, 2, 3)), kernel=(h, w),
                                dilate=(scale, scale), num_filter=channels, num_group=channels,
                                no_bias=True)
    return [grad_data, F.reshape(grad_weight, shape=weight.shape)]


UpSampling = OpDef(
    "UpSampling", inputs=("*data",), key_var_num_args="num_args",
    params=(Param("scale", Int, doc="upsampling factor"),
            Param("num_filter", Int, 0, "bilinear only: the number of channels"),
            Param("sample_type", Enum("bilinear", "nearest"), doc="nearest or bilinear"),
            Param("multi_input_mode", Enum("concat", "sum"), "concat",
                  "nearest with several inputs: concatenate them on channels, or add them"),
            Param("num_args", Int, doc="number of inputs (set by the wrapper)"),
            Param("workspace", Int, 512, "temporary workspace in MB (unused)")),
    shape=_upsampling_shape, dtype=_float_dtype, grad=_upsampling_grad,
    formula="nearest: out[n, c, y, x] = data[n, c, y // s, x // s]; bilinear: "
            "Deconvolution(data, weight, kernel=2s - s % 2, stride=s, pad=ceil((s - 1) / 2), "
            "num_group=C)",
    doc="Upsamples NCHW feature maps by an integer factor: nearest neighbour (any number of "
        "inputs, each scaled to input 0's size times scale), or bilinear with a given weight.",
    domain=Domain(dtypes=FLOATS, make_inputs=_upsampling_inputs,
                  attrs=[{"scale": 2, "sample_type": "nearest"},
                         {"scale": 2, "sample_type": "nearest", "multi_input_mode": "concat"},
                         {"scale": 2, "sample_type": "nearest", "multi_input_mode": "sum"},
                         {"scale": 2, "sample_type": "bilinear", "num_filter": 2}]),
    family="vision")


# -- Crop ------------------------------------------------------------------------------------
def _crop_shape(attrs, *shapes):
    _count(attrs, shapes)
    if len(shapes) not in (1, 2):
        fail(f"Crop takes 1 input (with h_w) or 2 (data, crop_like), got {len(shapes)}")
    data = shapes[0]
    _need_4d(data, "data")
    if len(shapes) == 1:
        if len(attrs["h_w"]) != 2:
            fail(f"h_w must be (height, width), got {attrs['h_w']}")
        h, w = attrs["h_w"]
        if not (1 <= h <= data[2] and 1 <= w <= data[3]):
            fail(f"h_w={attrs['h_w']} must be at least 1 and at most the input's {data[2:]}",
                 "give the size of the window to keep")
    else:
        _need_4d(shapes[1], "crop_like")
        h, w = shapes[1][2:]
        if h > data[2] or w > data[3]:
            fail(f"crop_like's {h}x{w} is larger than the input's {data[2]}x{data[3]}")
    if not attrs["center_crop"]:
        if len(attrs["offset"]) != 2:
            fail(f"offset must be (y, x), got {attrs['offset']}")
        y, x = attrs["offset"]
        if not (0 <= y <= data[2] - h and 0 <= x <= data[3] - w):
            fail(f"offset={attrs['offset']} puts the {h}x{w} window outside the input's "
                 f"{data[2]}x{data[3]}", f"use 0 <= y <= {data[2] - h} and 0 <= x <= {data[3] - w}")
    return (data[0], data[1], h, w)


def _crop_inputs(rng, dtype, attrs):
    data = rng.uniform(-3, 3, (2, 3, 5, 6)).astype(dtype)
    return [data] if attrs.get("h_w") else [data, rng.uniform(-3, 3, (1, 1, 2, 4)).astype(dtype)]


def _crop_grad(F, attrs, inputs, outputs, out_grads):
    """The window's gradient, padded back with zeros to data's size; crop_like gets none (MXNet
    gives it zeros)."""
    data = inputs[0]
    height, width = data.shape[2:]
    h, w = outputs[0].shape[2:]
    y, x = crop_offsets(attrs, (height, width), (h, w))
    grad = F.Pad(out_grads[0], mode="constant",
                 pad_width=(0, 0, 0, 0, y, height - h - y, x, width - w - x))
    return [grad] + [None] * (len(inputs) - 1)


Crop = OpDef(
    "Crop", inputs=("*data",), key_var_num_args="num_args",
    params=(Param("num_args", Int, doc="1 (crop to h_w) or 2 (crop to crop_like's size)"),
            Param("offset", Shape, (0, 0), "top-left corner (y, x) of the window"),
            Param("h_w", Shape, (0, 0), "window size (h, w) with one input"),
            Param("center_crop", Bool, False, "centre the window (offset is ignored)")),
    shape=_crop_shape, dtype=lambda attrs, data, *like: data, grad=_crop_grad,
    formula="out = data[:, :, y:y + h, x:x + w]",
    doc="Crops the spatial axes of NCHW data to h_w, or to the size of a second input.",
    domain=Domain(dtypes=("float32", "float64", "int32"), make_inputs=_crop_inputs,
                  attrs=[{"h_w": (2, 3), "offset": (1, 2)}, {"h_w": (3, 3), "center_crop": True},
                         {"offset": (3, 1)}, {"center_crop": True}]),
    family="vision")


# -- BilinearSampler, GridGenerator, SpatialTransformer --------------------------------------------
def _sampler_shape(attrs, data, grid):
    _need_4d(data, "data")
    if len(grid) != 4 or grid[1] != 2 or grid[0] != data[0] or not grid[2] or not grid[3]:
        fail(f"grid must have shape ({data[0]}, 2, H, W) with H, W > 0 (x and y of each output "
             f"point), got {grid}")
    return (data[0], data[1], grid[2], grid[3])


def _bilinear_sampler_grad(F, attrs, inputs, outputs, out_grads):
    data, grid = inputs
    return F._internal._backward_BilinearSampler(out_grads[0], data, grid)


BilinearSampler = OpDef(
    "BilinearSampler", inputs=("data", "grid"),
    params=(Param("cudnn_off", _opt_bool, None, "unused on the CPU"),),
    shape=_sampler_shape, dtype=_float_dtype, grad=_bilinear_sampler_grad,
    formula="out[n, c, i, j] = bilinear interpolation of data[n, c] at ((grid[n, 0, i, j] + 1) * "
            "(W - 1) / 2, (grid[n, 1, i, j] + 1) * (H - 1) / 2), zero outside",
    doc="Samples data at the normalised (x, y) points of a grid, interpolating bilinearly.",
    domain=Domain(dtypes=FLOATS, make_inputs=lambda rng, dtype, attrs: [
        rng.uniform(-3, 3, (2, 3, 4, 5)).astype(dtype),
        rng.uniform(-1.2, 1.2, (2, 2, 3, 2)).astype(dtype)]),
    family="vision")


def _target(attrs):
    shape = attrs["target_shape"]
    if len(shape) != 2 or shape[0] <= 0 or shape[1] <= 0:
        fail(f"target_shape must be (H, W) with H, W > 0, got {shape}")
    return shape


def _grid_generator_shape(attrs, data):
    if attrs["transform_type"] == "affine":
        height, width = _target(attrs)
        if len(data) != 2 or data[1] != 6:
            fail(f"affine data must be (batch, 6), the 2x3 matrices row by row; got {data}")
        return [(data[0], 2, height, width), (3, height * width)]
    if len(data) != 4 or data[1] != 2:
        fail(f"warp data must be a flow field (batch, 2, H, W), got {data}")
    return [tuple(data), (2, data[2], data[3])]


def _affine_grad(F, g, grid_dst):
    """``out[n] = theta[n] (2 x 3) @ grid_dst (3 x HW)``, so ``grad theta[n] = g[n] @ grid_dst^T``."""
    batch = g.shape[0]
    rows = F.reshape(g, shape=(batch * 2, -1))                       # (N * 2, H * W)
    return F.reshape(F.dot(rows, grid_dst, transpose_b=True), shape=(batch, 6))


def _grid_generator_grad(F, attrs, inputs, outputs, out_grads):
    """Affine: ``_affine_grad`` with the target grid (hidden output 1). Warp: the output is the
    flow divided by ((W - 1) / 2, (H - 1) / 2) plus constants."""
    g = out_grads[0]
    if g is None:
        return [None]
    if attrs["transform_type"] == "affine":
        return [_affine_grad(F, g, outputs[1])]
    # a size of 1 divides by zero: the forward is inf/NaN there, and so is the gradient
    scale_x, scale_y = (2.0 / (n - 1) if n > 1 else float("inf") for n in g.shape[:1:-1])
    return [F.concat(F.slice_axis(g, axis=1, begin=0, end=1) * scale_x,
                     F.slice_axis(g, axis=1, begin=1, end=2) * scale_y, dim=1)]


GridGenerator = OpDef(
    "GridGenerator",
    params=(Param("transform_type", Enum("affine", "warp"), doc="affine matrices or a flow field"),
            Param("target_shape", Shape, (0, 0), "affine only: the grid's (H, W)")),
    shape=_grid_generator_shape, dtype=lambda attrs, data: [_float_dtype(attrs, data)] * 2,
    grad=_grid_generator_grad,
    num_visible=lambda attrs: 1,
    formula="affine: out[n] = data[n].reshape(2, 3) @ (x, y, 1) over the target grid in [-1, 1]; "
            "warp: out = (data + (x, y)) / ((W - 1) / 2, (H - 1) / 2) - 1",
    doc="Makes the sampling grid of a spatial transformer from affine matrices or a flow field.",
    domain=Domain(dtypes=FLOATS[:2], make_inputs=lambda rng, dtype, attrs: [
        rng.uniform(-2, 2, (2, 6) if attrs["transform_type"] == "affine" else (2, 2, 3, 4))
        .astype(dtype)],
        attrs=[{"transform_type": "affine", "target_shape": (3, 4)}, {"transform_type": "warp"}]),
    family="vision")


def _spatial_transformer_shape(attrs, data, loc):
    height, width = _target(attrs)
    _need_4d(data, "data")
    if tuple(loc) != (data[0], 6):
        fail(f"loc must be ({data[0]}, 6), one 2x3 affine matrix per image, got {loc}")
    return [(data[0], data[1], height, width), (3, height * width), (data[0], 2, height * width)]


def _spatial_transformer_grad(F, attrs, inputs, outputs, out_grads):
    """The chain rule through BilinearSampler and the affine GridGenerator."""
    data, loc = inputs
    _, grid_dst, grid_src = outputs
    height, width = attrs["target_shape"]
    grid = F.reshape(grid_src, shape=(data.shape[0], 2, height, width))
    grad_data, grad_grid = F._internal._backward_BilinearSampler(out_grads[0], data, grid)
    return [grad_data, _affine_grad(F, grad_grid, grid_dst)]


SpatialTransformer = OpDef(
    "SpatialTransformer", inputs=("data", "loc"),
    params=(Param("target_shape", Shape, (0, 0), "the output's (H, W)"),
            Param("transform_type", Enum("affine"), doc="only affine"),
            Param("sampler_type", Enum("bilinear"), doc="only bilinear"),
            Param("cudnn_off", _opt_bool, None, "unused on the CPU")),
    shape=_spatial_transformer_shape,
    dtype=lambda attrs, data, loc: [_float_dtype(attrs, data, loc)] * 3,
    grad=_spatial_transformer_grad,
    num_visible=lambda attrs: 1,
    formula="out = BilinearSampler(data, GridGenerator(loc, 'affine', target_shape))",
    doc="Warps each image with its affine matrix: generates the grid and samples bilinearly.",
    domain=Domain(dtypes=FLOATS[:2], make_inputs=lambda rng, dtype, attrs: [
        rng.uniform(-3, 3, (2, 3, 4, 5)).astype(dtype), rng.uniform(-1, 1, (2, 6)).astype(dtype)],
        attrs=[{"target_shape": (3, 4), "transform_type": "affine", "sampler_type": "bilinear"}]),
    family="vision")


# -- ROIPooling ------------------------------------------------------------------------------
def _roi_pooling_shape(attrs, data, rois):
    size, scale = attrs["pooled_size"], attrs["spatial_scale"]
    if len(size) != 2 or min(size) <= 0:
        fail(f"pooled_size must be (h, w) with h, w > 0, got {size}")
    if not 0.0 <= scale <= 1.0:
        fail(f"spatial_scale must be in [0, 1], got {scale}",
             "it is feature-map size / image size, the inverse of the network's total stride")
    _need_4d(data, "data")
    if len(rois) != 2 or rois[1] != 5:
        fail(f"rois must have shape (num_rois, 5): [batch_index, x1, y1, x2, y2]; got {rois}")
    out = (rois[0], data[1], size[0], size[1])
    return [out, out]


def _roi_inputs(rng, dtype, attrs):
    data = rng.uniform(-3, 3, (2, 3, 6, 7)).astype(dtype)
    corners = np.sort(rng.uniform(-2, 9, (5, 2, 2)), axis=1).reshape(5, 4)[:, [0, 2, 1, 3]]
    batch = rng.integers(-1, 3, size=(5, 1))                 # -1 and 2 are bad indices
    # The index is cast to int (truncated, as MXNet does): a quarter off the integer keeps the
    # finite-difference check of the gradient from nudging 1 to 0.999999, i.e. to batch 0.
    batch = batch + np.where(batch < 0, -0.25, 0.25)
    return [data, np.concatenate([batch, corners], axis=1).astype(dtype)]


def _roi_pooling_grad(F, attrs, inputs, outputs, out_grads):
    """Each cell's gradient goes to its maximum (hidden output 1); the rois get none (MXNet
    gives them zeros)."""
    data = inputs[0]
    return [F._internal._backward_ROIPooling(out_grads[0], outputs[1], data), None]


ROIPooling = OpDef(
    "ROIPooling", inputs=("data", "rois"),
    params=(Param("pooled_size", Shape, doc="output (h, w) per region"),
            Param("spatial_scale", Float, doc="feature-map size / image size, in [0, 1]")),
    shape=_roi_pooling_shape,
    dtype=lambda attrs, data, rois: [_float_dtype(attrs, data, rois), np.dtype(np.int32)],
    grad=_roi_pooling_grad,
    num_visible=lambda attrs: 1,
    formula="out[r, c, i, j] = max of data[rois[r, 0], c] over cell (i, j) of the scaled, rounded "
            "region [x1, y1, x2, y2] * spatial_scale",
    doc="Max-pools each region of interest to a fixed size (Fast R-CNN); an empty cell gives 0.",
    domain=Domain(dtypes=FLOATS[:2], make_inputs=_roi_inputs,
                  attrs=[{"pooled_size": (2, 2), "spatial_scale": 1.0},
                         {"pooled_size": (3, 2), "spatial_scale": 0.5}]),
    family="vision")


# -- Correlation -----------------------------------------------------------------------------
def _correlation_shape(attrs, data1, data2):
    _need_4d(data1, "data1")
    if tuple(data2) != tuple(data1):
        fail(f"data1 and data2 must have one shape, got {data1} and {data2}")
    if attrs["kernel_size"] % 2 == 0 or attrs["kernel_size"] < 1:
        fail(f"kernel_size must be a positive odd number, got {attrs['kernel_size']}")
    if attrs["stride1"] < 1 or attrs["stride2"] < 1:
        fail(f"stride1 and stride2 must be >= 1, got {attrs['stride1']} and {attrs['stride2']}")
    if attrs["max_displacement"] < 0 or attrs["pad_size"] < 0:
        fail("max_displacement and pad_size must be >= 0")
    channels, top_h, top_w = correlation_geometry(data1, attrs)
    if top_h < 1 or top_w < 1:
        fail(f"max_displacement={attrs['max_displacement']} and kernel_size="
             f"{attrs['kernel_size']} do not fit in a {data1[2]}x{data1[3]} input padded by "
             f"{attrs['pad_size']}", "raise pad_size, or lower max_displacement")
    return (data1[0], channels, top_h, top_w)


def _correlation_grad(F, attrs, inputs, outputs, out_grads):
    return F._internal._backward_Correlation(out_grads[0], *inputs, **attrs)


Correlation = OpDef(
    "Correlation", inputs=("data1", "data2"),
    params=(Param("kernel_size", Int, 1, "odd size of the compared patches"),
            Param("max_displacement", Int, 1, "largest displacement compared"),
            Param("stride1", Int, 1, "stride of the patch centres in data1"),
            Param("stride2", Int, 1, "stride of the displacements around each centre"),
            Param("pad_size", Int, 0, "zero padding of both inputs"),
            Param("is_multiply", Bool, True, "multiply (else the absolute difference)")),
    shape=_correlation_shape, dtype=_float_dtype, grad=_correlation_grad,
    formula="out[n, d, i, j] = mean over c and the kernel window of data1[n, c, p] * "
            "data2[n, c, p + displacement d] (p = the window at (i, j) * stride1)",
    doc="Compares patches of two feature maps at every displacement in a window (FlowNet).",
    domain=Domain(dtypes=FLOATS[:2], make_inputs=lambda rng, dtype, attrs: [
        rng.uniform(-3, 3, (2, 3, 5, 6)).astype(dtype) for _ in range(2)],
        attrs=[{}, {"max_displacement": 1, "pad_size": 1},
               {"kernel_size": 3, "max_displacement": 2, "pad_size": 2, "stride1": 2,
                "stride2": 2, "is_multiply": False}]),
    family="vision")


# -- SVMOutput, IdentityAttachKLSparseReg -------------------------------------------------------
def _svm_shape(attrs, data, label):
    if len(data) < 2 or tuple(label) != tuple(data[:-1]):
        fail(f"label has shape {label} but data {data} needs {tuple(data[:-1])} (one class "
             "index per row; data has at least 2 axes)")
    return tuple(data)


def _svm_grad(F, attrs, inputs, outputs, out_grads):
    """MXNet's special gradient: the head gradient is ignored, and the scores get the gradient
    of the hinge loss of each row (data seen as (rows, classes), label flattened).

    With ``sign = -1`` at the label and ``+1`` elsewhere, a score is active when
    ``margin + sign * x > 0``; L1-SVM: ``grad = reg * sign * active``, L2-SVM:
    ``grad = 2 * reg * sign * relu(margin + sign * x)``.
    """
    data, label = inputs
    classes = data.shape[-1]
    x = F.reshape(data, shape=(-1, classes))
    sign = 1 - 2 * F.one_hot(F.reshape(label, shape=(-1,)), depth=classes, dtype=data.dtype)
    slack = sign * x + attrs["margin"]
    reg = attrs["regularization_coefficient"]
    if attrs["use_linear"]:
        grad = sign * (slack > 0) * reg
    else:
        grad = sign * F.relu(slack) * (2 * reg)
    return [F.reshape(grad, shape=data.shape), None]


SVMOutput = OpDef(
    "SVMOutput", inputs=("data", "label"),
    params=(Param("margin", Float, 1.0, "the margin of the hinge loss"),
            Param("regularization_coefficient", Float, 1.0, "weight of the loss gradient"),
            Param("use_linear", Bool, False, "L1-SVM (else L2-SVM)")),
    shape=_svm_shape, dtype=_float_dtype, grad=_svm_grad,
    formula="out = data; backward: the hinge-loss gradient of the scores against label",
    doc="The output layer of a multi-class SVM: forward passes the scores through, backward "
        "gives the (squared) hinge-loss gradient.",
    domain=Domain(dtypes=FLOATS, grad=False, make_inputs=lambda rng, dtype, attrs: [
        rng.uniform(-3, 3, (4, 3)).astype(dtype), rng.integers(0, 3, 4).astype(dtype)]),
    family="vision")


def _kl_shape(attrs, data, moving_avg):
    if len(data) < 2:
        fail(f"data must have at least 2 axes (batch, units, ...), got shape {data}")
    if tuple(moving_avg) != (data[1],):
        fail(f"moving_avg has shape {moving_avg} but must be ({data[1]},), one running mean per "
             "unit (axis 1 of data)")
    return tuple(data)


def _kl_sparse_grad(F, attrs, inputs, outputs, out_grads):
    """MXNet's backward: first update the running mean of each unit's activation (the auxiliary
    state moving_avg, in place), then add the gradient of the KL sparseness penalty at it to the
    head gradient. The penalty term is a constant to autograd, as in MXNet (no second order)."""
    data, moving_avg = inputs
    axes = tuple(i for i in range(len(data.shape)) if i != 1)
    mean = F.mean(F.BlockGrad(data), axis=axes)
    momentum, rho = attrs["momentum"], attrs["sparseness_target"]
    moving_avg[:] = moving_avg * momentum + mean * (1 - momentum)
    avg = F.reshape(moving_avg, shape=(1, -1) + (1,) * (len(data.shape) - 2))
    penalty = (-rho / avg + (1 - rho) / (1 - avg)) * attrs["penalty"]
    return [F.broadcast_add(out_grads[0], penalty), None]


IdentityAttachKLSparseReg = OpDef(
    "IdentityAttachKLSparseReg", inputs=("data", "moving_avg"),
    params=(Param("sparseness_target", Float, 0.1, "the target mean activation"),
            Param("penalty", Float, 0.001, "weight of the sparseness penalty"),
            Param("momentum", Float, 0.9, "momentum of the running mean (moving_avg)")),
    shape=_kl_shape, dtype=_float_dtype, grad=_kl_sparse_grad,
    formula="out = data; backward adds penalty * (-rho / avg + (1 - rho) / (1 - avg))",
    doc="Passes sigmoid activations through and, in backward, adds the gradient of a KL "
        "sparseness penalty (moving_avg is MXNet's auxiliary state, updated by backward).",
    domain=Domain(dtypes=FLOATS, grad=False, make_inputs=lambda rng, dtype, attrs: [
        rng.uniform(0.05, 0.95, (4, 3)).astype(dtype), np.full(3, 0.5, dtype=dtype)]),
    family="vision")


# -- CTCLoss -----------------------------------------------------------------------------------
def _ctc_shape(attrs, data, label, *lengths):
    want = 2 + attrs["use_data_lengths"] + attrs["use_label_lengths"]
    if 2 + len(lengths) != want:
        fail(f"with use_data_lengths={attrs['use_data_lengths']} and use_label_lengths="
             f"{attrs['use_label_lengths']} CTCLoss takes {want} inputs, got {2 + len(lengths)}",
             "pass data_lengths / label_lengths exactly when their use_* flag is True")
    if len(data) != 3:
        fail(f"data must be 3-d (sequence_length, batch, alphabet_size), got {data}")
    if len(label) != 2 or label[0] != data[1]:
        fail(f"label must be 2-d (batch={data[1]}, max_label_length), got {label}")
    names = [n for n in ("data_lengths", "label_lengths") if attrs["use_" + n]]
    for what, shape in zip(names, lengths):
        if tuple(shape) != (data[1],):
            fail(f"{what} has shape {shape} but must be ({data[1]},), one length per sequence")
    if label[1] > data[0]:
        fail(f"labels of length {label[1]} cannot be longer than the {data[0]} steps of data")
    return (data[1],)


def _ctc_inputs(rng, dtype, attrs):
    steps, batch, alphabet = 6, 3, 5
    first = attrs.get("blank_label", "first") == "first"
    data = rng.uniform(-2, 2, (steps, batch, alphabet)).astype(dtype)
    low = 1 if first else 0                                 # the blank is never a label
    label = rng.integers(low, low + alphabet - 1, (batch, 3))
    lengths = rng.integers(0, 4, batch)
    ins = [data, label.astype("float32")]
    if attrs.get("use_data_lengths"):
        ins.append(rng.integers(3, steps + 1, batch).astype("float32"))
    if attrs.get("use_label_lengths"):
        ins.append(lengths.astype("float32"))
    else:
        ins[1][np.arange(3)[None, :] >= lengths[:, None]] = 0 if first else -1   # padding
    return ins


def _ctc_grad(F, attrs, inputs, outputs, out_grads):
    """``_ctc_loss_grad`` (the forward-backward algorithm) scaled by each sequence's head gradient;
    labels and lengths get none."""
    names = ["data", "label"] + [n for n in ("data_lengths", "label_lengths") if attrs["use_" + n]]
    grad = F._internal._ctc_loss_grad(**dict(zip(names, inputs)), **attrs)
    scale = F.reshape(out_grads[0], shape=(1, -1, 1))
    return [F.broadcast_mul(grad, scale)] + [None] * (len(inputs) - 1)


CTCLoss = OpDef(
    "CTCLoss", inputs=("data", "label", "data_lengths", "label_lengths"), optional=("data_lengths", "label_lengths"),
    aliases=("ctc_loss", "_contrib_CTCLoss", "_contrib_ctc_loss"),
    params=(Param("use_data_lengths", Bool, False, "take data_lengths (else every sequence has "
                  "all the steps)"),
            Param("use_label_lengths", Bool, False, "take label_lengths (else a label ends at "
                  "the first padding value: 0 with blank_label='first', -1 with 'last')"),
            Param("blank_label", Enum("first", "last"), "first", "the blank is class 0 or the "
                  "last class")),
    shape=_ctc_shape, dtype=lambda attrs, data, *rest: _float_dtype(attrs, data), grad=_ctc_grad,
    formula="out[n] = -log sum over alignments a of label[n] of prod_t softmax(data[t, n])[a_t]",
    doc="The connectionist temporal classification loss of unnormalised scores against label "
        "sequences, one value per sequence; an impossible label (too long for its steps) gives 0, "
        "as in MXNet.",
    # grad=False: the generated check perturbs every float input, and a label nudged from 4 to
    # 3.999999 is class 3 (cast to int, as MXNet does); tests/test_grads_misc.py checks data.
    domain=Domain(dtypes=FLOATS[:2], make_inputs=_ctc_inputs, grad=False,
                  attrs=[{}, {"blank_label": "last"}, {"use_data_lengths": True},
                         {"use_label_lengths": True, "use_data_lengths": True}]),
    family="vision")
