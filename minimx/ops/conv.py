"""Convolution ops: ``Convolution`` and ``Deconvolution`` (its transpose) in 1-d, 2-d and 3-d.

Shapes, with ``k' = dilate * (kernel - 1) + 1`` the dilated kernel size on each spatial axis:

- ``Convolution``: data ``(N, C, *in)``, weight ``(F, C / num_group, *kernel)``, bias ``(F,)``;
  ``out = (in + 2 * pad - k') // stride + 1``.
- ``Deconvolution``: data ``(N, C, *in)``, weight ``(C, F / num_group, *kernel)``, bias ``(F,)``;
  ``out = stride * (in - 1) + k' - 2 * pad + adj``. Given ``target_shape``, MXNet picks ``pad`` and
  ``adj`` itself (``deconv_pad``).

The checks follow MXNet's shape inference (``src/operator/nn/convolution.cc``,
``deconvolution.cc``) with clearer messages. The kernels are in ``_kernels/reference/conv.py``
(numpy, the spec) and ``_kernels/cpu/im2col.pyx`` (im2col + GEMM).
"""
from ..base import prod
from .linalg import float_dtype
from .gradutil import input_wanted
from .gradutil_linalg import call
from .opdef import Domain, OpDef, Param, fail
from .params import Bool, Int, Shape

__all__ = ["conv_geometry", "deconv_pad", "opt_enum"]

_LAYOUTS = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
_AXES = {1: "(batch, channel, width)", 2: "(batch, channel, height, width)",
         3: "(batch, channel, depth, height, width)"}


def opt_enum(*choices):
    """An Enum that also takes None (or the string 'None' of symbol JSON) for 'not set'."""
    def parse(value):
        if value is None or value == "None":
            return None
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(map(repr, choices))}, got {value!r}")
        return value
    parse.choices = (None,) + choices
    parse.__name__ = "Enum"
    return parse


def conv_geometry(name, attrs, data, extra=()):
    """Check the spatial parameters of a convolution-like op; return them normalized.

    Returns ``(kernel, stride, dilate, pad)`` as tuples of one int per spatial axis, with MXNet's
    defaults (stride 1, dilate 1, pad 0) filled in. ``extra`` names more per-axis parameters that
    must have the kernel's length when given (Deconvolution's ``adj``).
    """
    kernel = attrs["kernel"]
    nd = len(kernel)
    if nd not in (1, 2, 3):
        fail(f"{nd}-d kernel {kernel}: {name} supports 1-d, 2-d and 3-d kernels",
             "give kernel as (w,), (h, w) or (d, h, w)")
    stride = attrs["stride"] or (1,) * nd
    dilate = attrs["dilate"] or (1,) * nd
    pad = attrs["pad"] or (0,) * nd
    for pname, value in (("stride", stride), ("dilate", dilate), ("pad", pad)) + tuple(
            (p, attrs[p]) for p in extra if attrs[p]):
        if len(value) != nd:
            fail(f"{pname} {value} has {len(value)} values but kernel {kernel} has {nd}",
                 f"give {pname} as a tuple of {nd} ints, one per spatial axis")
    for pname, value, low in (("kernel", kernel, 1), ("stride", stride, 1),
                              ("dilate", dilate, 1), ("pad", pad, 0)):
        if min(value) < low:
            fail(f"{pname} {value} must be {'positive' if low else 'non-negative'} on every axis")
    layout = attrs["layout"]
    if layout in _LAYOUTS.values() and layout != _LAYOUTS[nd]:
        fail(f"layout {layout} does not fit a {nd}-d kernel {kernel}",
             f"use layout={_LAYOUTS[nd]!r} (or leave it out)")
    if layout not in (None, _LAYOUTS[nd]):
        fail(f"layout {layout} is not supported: minimx convolves channel-first data "
             f"({_LAYOUTS[nd]})",
             "transpose the data to channel-first order; NB: MXNet runs NHWC/NDHWC on GPU only")
    if len(data) != nd + 2:
        fail(f"a {nd}-d kernel needs {nd + 2}-d data {_AXES[nd]}, got the {len(data)}-d data "
             f"{tuple(data)}", f"use a kernel of {len(data) - 2} values for this data"
             if 3 <= len(data) <= 5 else "reshape the data to (batch, channel, *spatial)")
    return tuple(kernel), tuple(stride), tuple(dilate), tuple(pad)


def _groups(attrs, channels):
    filters, groups = attrs["num_filter"], attrs["num_group"]
    if filters < 1:
        fail(f"num_filter must be at least 1, got {filters}")
    if groups < 1:
        fail(f"num_group must be at least 1, got {groups}")
    if channels % groups:
        fail(f"the data's {channels} channels do not divide into num_group={groups} groups",
             "num_group must divide the number of input channels")
    if filters % groups:
        fail(f"num_filter={filters} does not divide into num_group={groups} groups",
             "num_group must divide num_filter")
    return filters, groups


def _bias(attrs, rest, filters):
    if attrs["no_bias"] and rest:
        fail("no_bias=True takes two inputs (data, weight), got a bias too",
             "drop the bias or set no_bias=False")
    if not attrs["no_bias"]:
        if not rest:
            fail("expects three inputs (data, weight, bias), got two",
                 "pass a bias of shape (num_filter,) or set no_bias=True")
        if tuple(rest[0]) != (filters,):
            fail(f"bias has shape {tuple(rest[0])} but num_filter={filters} needs ({filters},)")


# -- Convolution ---------------------------------------------------------------------------------
def _conv_shape(attrs, data, weight, *rest):
    kernel, stride, dilate, pad = conv_geometry("Convolution", attrs, data)
    nd = len(kernel)
    if nd == 3 and prod(dilate) != 1:
        fail(f"dilate {dilate} is not supported in 3-d convolution (as in MXNet)",
             "use dilate=(1, 1, 1)")
    channels = data[1]
    filters, groups = _groups(attrs, channels)
    expected = (filters, channels // groups) + kernel
    if len(weight) == len(expected) and weight[1] * groups != channels:
        fail(f"channel mismatch: the data {tuple(data)} has {channels} channels but the weight "
             f"{tuple(weight)} takes {weight[1]} per group x {groups} group(s) = "
             f"{weight[1] * groups}",
             f"the weight must have shape (num_filter, channels // num_group, *kernel) = "
             f"{expected}")
    if tuple(weight) != expected:
        fail(f"weight has shape {tuple(weight)} but must be {expected} = (num_filter, "
             f"channels // num_group, *kernel) for num_filter={filters}, {channels} channels, "
             f"num_group={groups}, kernel={kernel}")
    _bias(attrs, rest, filters)
    out = [data[0], filters]
    for i in range(nd):
        size, span = data[2 + i] + 2 * pad[i], dilate[i] * (kernel[i] - 1) + 1
        if span > size:
            fail(f"kernel size exceeds input: the dilated kernel spans {span} on spatial axis {i} "
                 f"but the input {tuple(data)} padded by {pad[i]} has {size}",
                 "use a smaller kernel or dilation, or more padding")
        out.append((size - span) // stride[i] + 1)
    return tuple(out)


def _conv_work(attrs, in_shapes, out_shapes):
    return prod(out_shapes[0]) * prod(in_shapes[1][1:])


_CONV_ATTRS = [
    {"kernel": (3, 3), "num_filter": 4},
    {"kernel": (3, 2), "num_filter": 4, "stride": (2, 1), "pad": (1, 0), "no_bias": True},
    {"kernel": (2, 2), "num_filter": 4, "dilate": (2, 1), "num_group": 2},
    {"kernel": (3,), "num_filter": 2, "stride": (2,), "pad": (1,)},
    {"kernel": (2, 2, 2), "num_filter": 2, "pad": (1, 0, 1)},
]


def _conv_inputs(rng, dtype, attrs, transposed=False):
    """Data, weight (and bias) that fit ``attrs``: 2 channels per group, spatial sizes 4..6."""
    kernel = attrs["kernel"]
    groups = attrs.get("num_group", 1)
    channels = 2 * groups
    filters = attrs["num_filter"]
    spatial = tuple(int(v) for v in rng.integers(4, 7, size=len(kernel)))
    data = (int(rng.integers(1, 3)), channels) + spatial
    weight = ((channels, filters // groups) if transposed else (filters, channels // groups)) \
        + tuple(kernel)
    arrays = [rng.uniform(-1, 1, data), rng.uniform(-1, 1, weight)]
    if not attrs.get("no_bias", transposed):
        arrays.append(rng.uniform(-1, 1, (filters,)))
    return [x.astype(dtype) for x in arrays]


_TUNE = opt_enum("fastest", "limited_workspace", "off")
_LAYOUT = opt_enum("NCW", "NCHW", "NCDHW", "NHWC", "NDHWC")


def _params(workspace, no_bias, extra=()):
    """The parameters of Convolution/Deconvolution, in MXNet's order, with MXNet's defaults."""
    return (
        Param("kernel", Shape, doc="kernel size: (w,), (h, w) or (d, h, w)"),
        Param("stride", Shape, (), "stride per spatial axis (default 1)"),
        Param("dilate", Shape, (), "dilation per spatial axis (default 1)"),
        Param("pad", Shape, (), "zero padding per spatial axis, both sides (default 0)"),
    ) + tuple(extra) + (
        Param("num_filter", Int, doc="number of output channels"),
        Param("num_group", Int, 1, "number of groups the channels are split into"),
        Param("workspace", Int, workspace, "workspace limit in MB (ignored by minimx)"),
        Param("no_bias", Bool, no_bias, "leave out the bias term"),
        Param("cudnn_tune", _TUNE, None, "cuDNN algorithm choice (ignored by minimx)"),
        Param("cudnn_off", Bool, False, "turn off cuDNN (ignored by minimx)"),
        Param("layout", _LAYOUT, None, "data layout; minimx supports NCW, NCHW and NCDHW"),
    )


# Gradient rules (the helpers they call, _geo and friends, are defined below).
def _bias_grad(F, g):
    return F.sum(g, axis=(0,) + tuple(range(2, len(g.shape))))


def _conv_grad(F, attrs, inputs, outputs, out_grads):
    g = out_grads[0]
    if g is None:
        return [None] * len(inputs)
    x, w = inputs[0], inputs[1]
    grads = [call(F, "_backward_Convolution_data", g, w, data_shape=x.shape, **_geo(attrs))
             if input_wanted(0) else None,
             call(F, "_backward_Convolution_weight", g, x, **_geo(attrs)) if input_wanted(1) else None]
    return grads + [_bias_grad(F, g)] * (len(inputs) - 2)


def _deconv_grad(F, attrs, inputs, outputs, out_grads):
    """Deconvolution is Convolution's data gradient, so its data gradient is a Convolution with
    the same weight (``num_filter`` = the data's channels) and its weight gradient is
    Convolution's weight gradient with the data and the head gradient in swapped roles."""
    g = out_grads[0]
    if g is None:
        return [None] * len(inputs)
    x, w = inputs[0], inputs[1]
    kernel, stride, dilate, pad = conv_geometry("Deconvolution", attrs, x.shape)
    pad, _ = deconv_pad(attrs, x.shape[2:], kernel, stride, dilate, pad)
    geo = _geo(attrs, pad=pad, num_filter=x.shape[1])
    grads = [F.Convolution(g, w, no_bias=True, **geo),
             call(F, "_backward_Convolution_weight", x, g, **geo)]
    return grads + [_bias_grad(F, g)] * (len(inputs) - 2)


Convolution = OpDef(
    "Convolution", inputs=("data", "weight", "bias"), optional=("bias",), grad=_conv_grad,
    params=_params(1024, False),
    shape=_conv_shape, dtype=float_dtype, work=_conv_work,
    domain=Domain(low=-1.0, high=1.0, attrs=_CONV_ATTRS, make_inputs=_conv_inputs,
                  rtol=1e-4, atol=1e-4),
    formula="out[n, f, y] = bias[f] + sum_{c, k} weight[f, c, k] * data_pad[n, g(f) c, y * stride "
            "+ k * dilate]",
    doc="N-d convolution (cross-correlation, as in every deep-learning framework) of the data "
        "with a bank of filters, optionally in groups.",
    family="conv")


# -- Deconvolution -------------------------------------------------------------------------------
def deconv_pad(attrs, spatial, kernel, stride, dilate, pad):
    """MXNet's ``InferPad``: the (pad, adj) a Deconvolution uses.

    Without ``target_shape`` they are the ``pad`` and ``adj`` parameters. With it (any non-zero
    entry), MXNet ignores both and picks, per axis, the pad that makes the output
    ``target_shape``: ``total = stride * (in - 1) + k'`` must be at least the target, the excess
    is split as ``pad = ceil(excess / 2)``, and an odd excess comes back as ``adj = 1``.
    """
    nd = len(kernel)
    target = attrs["target_shape"]
    if target and any(target):
        if len(target) != nd:
            fail(f"target_shape {target} has {len(target)} values but kernel {kernel} has {nd}")
        pads, adjs = [], []
        for i in range(nd):
            total = stride[i] * (spatial[i] - 1) + dilate[i] * (kernel[i] - 1) + 1
            if total < target[i]:
                fail(f"too big target shape: target_shape {target} asks for {target[i]} on "
                     f"spatial axis {i}, but this input gives at most {total}",
                     "use a larger stride or kernel, or a smaller target")
            excess = total - target[i]
            pads.append((excess + 1) // 2)
            adjs.append(excess % 2)
        return tuple(pads), tuple(adjs)
    return tuple(pad), tuple(attrs["adj"] or (0,) * nd)


def _deconv_shape(attrs, data, weight, *rest):
    kernel, stride, dilate, pad = conv_geometry("Deconvolution", attrs, data, extra=("adj",))
    nd = len(kernel)
    if nd == 3 and prod(dilate) != 1:
        fail(f"dilate {dilate} is not supported in 3-d deconvolution (as in MXNet)",
             "use dilate=(1, 1, 1)")
    channels = data[1]
    filters, groups = _groups(attrs, channels)
    expected = (channels, filters // groups) + kernel
    if len(weight) == len(expected) and weight[0] != channels:
        fail(f"channel mismatch: the data {tuple(data)} has {channels} channels but the weight "
             f"{tuple(weight)} takes {weight[0]}",
             f"the weight must have shape (channels, num_filter // num_group, *kernel) = "
             f"{expected}")
    if tuple(weight) != expected:
        fail(f"weight has shape {tuple(weight)} but must be {expected} = (channels, "
             f"num_filter // num_group, *kernel) for {channels} channels, num_filter={filters}, "
             f"num_group={groups}, kernel={kernel}")
    _bias(attrs, rest, filters)
    pads, adjs = deconv_pad(attrs, data[2:], kernel, stride, dilate, pad)
    out = [data[0], filters]
    for i in range(nd):
        if adjs[i] >= stride[i]:
            fail(f"adj {adjs} must be smaller than stride {stride} on every axis (axis {i})")
        size = stride[i] * (data[2 + i] - 1) + dilate[i] * (kernel[i] - 1) + 1 - 2 * pads[i] \
            + adjs[i]
        if size < 1:
            fail(f"the output would have size {size} on spatial axis {i}: pad {pads} is too large "
                 f"for the input {tuple(data)}", "use less padding")
        out.append(size)
    target = attrs["target_shape"]
    for i in range(min(nd, len(target))):
        if target[i] > 0 and target[i] != out[2 + i]:
            fail(f"target_shape {target} cannot be reached: axis {i} gives {out[2 + i]}")
    return tuple(out)


def _deconv_work(attrs, in_shapes, out_shapes):
    return prod(in_shapes[0]) * prod(in_shapes[1][1:])


_DECONV_ATTRS = [
    {"kernel": (3, 3), "num_filter": 4},
    {"kernel": (3, 2), "num_filter": 4, "stride": (2, 2), "pad": (1, 0), "adj": (1, 0),
     "no_bias": False},
    {"kernel": (2, 2), "num_filter": 4, "dilate": (2, 1), "num_group": 2},
    {"kernel": (4,), "num_filter": 2, "stride": (2,), "target_shape": (9,)},
    {"kernel": (2, 2, 2), "num_filter": 2, "stride": (2, 1, 1)},
]

Deconvolution = OpDef(
    "Deconvolution", inputs=("data", "weight", "bias"), optional=("bias",), grad=_deconv_grad,
    params=_params(512, True, (
        Param("adj", Shape, (), "extra output size per axis, below the stride"),
        Param("target_shape", Shape, (), "the output's spatial shape (sets pad and adj)"))),
    shape=_deconv_shape, dtype=float_dtype, work=_deconv_work,
    domain=Domain(low=-1.0, high=1.0, attrs=_DECONV_ATTRS,
                  make_inputs=lambda rng, dtype, attrs: _conv_inputs(rng, dtype, attrs, True),
                  rtol=1e-4, atol=1e-4),
    formula="out = the transpose of Convolution: each data[n, c, y] adds data * weight[c, f, k] "
            "to out[n, f, y * stride + k * dilate - pad]",
    doc="Transposed convolution (often called deconvolution): the gradient of Convolution with "
        "respect to its data, used to upsample.",
    family="conv")


# -- gradients -----------------------------------------------------------------------------------
# Convolution is linear in its data and in its weight. Its data gradient is the transposed
# convolution of the head gradient (a Deconvolution), its weight gradient a correlation of the head
# gradient with the data windows: two fused kernels, declared as ops below so the rules call them
# through F, and themselves differentiable (so Convolution has gradients of every order).
def _geo(attrs, **changes):
    """The geometry parameters a gradient passes on (``changes`` override them)."""
    geo = {k: attrs[k] for k in ("kernel", "stride", "dilate", "pad", "num_filter", "num_group")}
    geo.update(changes)
    return geo




def _bwd_data_shape(attrs, ograd, weight):
    data = tuple(attrs["data_shape"])
    expected = _conv_shape(dict(attrs, no_bias=True), data, weight)
    if tuple(ograd) != expected:
        fail(f"the head gradient has shape {tuple(ograd)} but a Convolution of data {data} with "
             f"the weight {tuple(weight)} gives {expected}", "pass the forward's data shape")
    return data


def _bwd_weight_shape(attrs, ograd, data):
    kernel = tuple(attrs["kernel"])
    if len(data) != len(kernel) + 2:
        fail(f"data must have {len(kernel) + 2} axes for a {len(kernel)}-d kernel, got {tuple(data)}")
    weight = (attrs["num_filter"], data[1] // max(attrs["num_group"], 1)) + kernel
    expected = _conv_shape(dict(attrs, no_bias=True), data, weight)
    if tuple(ograd) != expected:
        fail(f"the head gradient has shape {tuple(ograd)} but a Convolution of the data "
             f"{tuple(data)} gives {expected}", "pass the forward's data and parameters")
    return weight


def _bwd_data_grad(F, attrs, inputs, outputs, out_grads):
    """``dx = T(og, w)`` is bilinear: ``d og = Conv(H, w)``, ``d w = dW(og, H)``."""
    h = out_grads[0]
    if h is None:
        return [None, None]
    og, w = inputs
    return [F.Convolution(h, w, no_bias=True, **_geo(attrs)),
            call(F, "_backward_Convolution_weight", og, h, **_geo(attrs))]


def _bwd_weight_grad(F, attrs, inputs, outputs, out_grads):
    """``dw = dW(og, x)`` is bilinear: ``d og = Conv(x, H)``, ``d x = T(og, H)``."""
    h = out_grads[0]
    if h is None:
        return [None, None]
    og, x = inputs
    return [F.Convolution(x, h, no_bias=True, **_geo(attrs)),
            call(F, "_backward_Convolution_data", og, h, data_shape=x.shape, **_geo(attrs))]


def _bwd_inputs(rng, dtype, attrs, weight_grad):
    """(ograd, weight) or (ograd, data) that fit a Convolution of ``attrs['data_shape']``."""
    groups = attrs.get("num_group", 1)
    data = tuple(attrs.get("data_shape") or (int(rng.integers(1, 3)), 2 * groups) + tuple(
        int(v) for v in rng.integers(4, 6, size=len(attrs["kernel"]))))
    weight = (attrs["num_filter"], data[1] // groups) + tuple(attrs["kernel"])
    full = Convolution.parse({k: v for k, v in attrs.items() if k != "data_shape"})
    ograd = _conv_shape(dict(full, no_bias=True), data, weight)
    other = data if weight_grad else weight
    return [rng.uniform(-1, 1, ograd).astype(dtype), rng.uniform(-1, 1, other).astype(dtype)]


_BWD_ATTRS = [
    {"kernel": (3, 3), "num_filter": 2, "data_shape": (2, 2, 5, 4)},
    {"kernel": (3, 2), "num_filter": 4, "stride": (2, 1), "pad": (1, 0), "num_group": 2,
     "data_shape": (1, 2, 6, 4)},
    {"kernel": (2, 2), "num_filter": 2, "dilate": (2, 1), "data_shape": (1, 3, 5, 4)},
    {"kernel": (3,), "num_filter": 2, "stride": (2,), "pad": (1,), "data_shape": (2, 2, 6)},
    {"kernel": (2, 2, 2), "num_filter": 2, "pad": (1, 0, 1), "data_shape": (1, 2, 3, 3, 2)},
]
_DATA_SHAPE = Param("data_shape", Shape, doc="the forward's data shape (batch, channel, *spatial)")

_backward_Convolution_data = OpDef(
    "_backward_Convolution_data", inputs=("ograd", "weight"),
    params=_params(1024, True) + (_DATA_SHAPE,),
    shape=_bwd_data_shape, dtype=float_dtype, work=lambda a, i, o: _conv_work(a, [o[0], i[1]], i),
    grad=_bwd_data_grad,
    domain=Domain(low=-1.0, high=1.0, attrs=_BWD_ATTRS, rtol=1e-4, atol=1e-4,
                  make_inputs=lambda rng, dtype, attrs: _bwd_inputs(rng, dtype, attrs, False)),
    formula="out[n, c, y * stride + k * dilate - pad] += ograd[n, f, y] * weight[f, c, k]",
    doc="Convolution's data gradient (the transposed convolution of the head gradient), given "
        "the forward's parameters and data shape.",
    family="conv")

_backward_Convolution_weight = OpDef(
    "_backward_Convolution_weight", inputs=("ograd", "data"), params=_params(1024, True),
    shape=_bwd_weight_shape, dtype=float_dtype,
    work=lambda a, i, o: _conv_work(a, [i[0], o[0]], i),
    grad=_bwd_weight_grad,
    domain=Domain(low=-1.0, high=1.0, rtol=1e-4, atol=1e-4,
                  attrs=[{k: v for k, v in a.items() if k != "data_shape"} for a in _BWD_ATTRS],
                  make_inputs=lambda rng, dtype, attrs: _bwd_inputs(rng, dtype, attrs, True)),
    formula="out[f, c, k] = sum_{n, y} ograd[n, f, y] * data_pad[n, c, y * stride + k * dilate]",
    doc="Convolution's weight gradient: the head gradient correlated with the data's windows.",
    family="conv")
