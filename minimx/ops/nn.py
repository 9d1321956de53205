"""nn ops: activations, the softmax family, dropout, and the loss-output ops of MXNet's symbolic API.

Kernels are named after the ops (``_kernels/reference/nn.py`` is the spec; ``cpu/softmax.pyx``
speeds up the softmax family). FullyConnected, Convolution, Pooling, Embedding and SequenceMask
live in their own families.

Optional inputs: MXNet's LeakyReLU takes ``gamma`` only when ``act_type='prelu'``, and softmax
takes ``length`` only when ``use_length=True``; MXNet's ``mx.nd`` wrappers leave out an input given
as None. The shape rules receive only the inputs given and check that they fit the parameters.
LeakyReLU is declared with both inputs. NB: softmax is declared with ``data`` alone for now, so
that ``mx.nd.softmax(x)`` keeps working while the generated wrappers pass a None second input on;
its shape rule and kernels already take ``length`` (``invoke(softmax, (data, length), ...)``).
"""
import numpy as np

from .._kernels.reference.nn import prelu_gamma_shape
from .gradutil import unbroadcast
from .gradutil_nn import (backward_softmax_grad, make_loss_grad, regression_grad, softmax_grad,
                          softmax_output_grad)
from .opdef import NO_GRAD, Domain, OpDef, Param, fail, same_dtype, same_shape
from .params import Bool, Enum, Float, Int, OptDType, OptFloat, Shape

__all__ = ["float_dtype", "check_axis"]

FLOATS = ("float16", "float32", "float64")


def float_dtype(attrs, *dtypes):
    """Dtype rule of ops defined only for real numbers: one float dtype for every input."""
    dtype = same_dtype(attrs, *dtypes)
    if dtype.kind != "f":
        fail(f"this operator supports floating point types only, not {dtype}",
             "convert the input with .astype('float32')")
    return dtype


def check_axis(axis, ndim, what="axis"):
    """``axis`` as a non-negative index into ``ndim`` axes, or a failure naming both."""
    if not -ndim <= axis < ndim:
        fail(f"{what} {axis} is out of range for a {ndim}-d input",
             f"use an axis in [-{ndim}, {ndim - 1}]")
    return axis % ndim


def _opt_bool(value):
    """MXNet's 'boolean or None' parameters (None reads as False)."""
    return False if value is None or value == "None" else Bool(value)


# -- activations -----------------------------------------------------------------------------
_ACT_TYPES = ("relu", "sigmoid", "softrelu", "softsign", "tanh")


def _activation_grad(F, attrs, inputs, outputs, out_grads):
    """Derivatives from the output where it has them (sigmoid, tanh), else from the input."""
    g, x, y = out_grads[0], inputs[0], outputs[0]
    act = attrs["act_type"]
    if act == "relu":
        d = y > 0                      # 0 at x = 0, as in MXNet
    elif act == "sigmoid":
        d = y * (1 - y)
    elif act == "tanh":
        d = 1 - y * y
    elif act == "softrelu":
        d = F.sigmoid(x)
    else:                              # softsign
        d = 1 / F.square(1 + F.abs(x))
    return [g * d]


Activation = OpDef(
    "Activation", params=(Param("act_type", Enum(*_ACT_TYPES), doc="the activation function"),),
    shape=same_shape, dtype=float_dtype, grad=_activation_grad,
    formula="out = relu | sigmoid | tanh | softrelu = log(1 + e^x) | softsign = x / (1 + |x|)",
    doc="Applies an activation function element by element.",
    domain=Domain(dtypes=FLOATS[1:], away_from=(0.0,), attrs=[{"act_type": a} for a in _ACT_TYPES]),
    family="nn", in_place=True)

_LEAKY_TYPES = ("elu", "gelu", "leaky", "prelu", "rrelu", "selu")


def _leaky_shape(attrs, data, *gamma):
    act = attrs["act_type"]
    if act == "prelu":
        if len(gamma) != 1:
            fail("act_type='prelu' needs the gamma input (the learned slopes)",
                 "call LeakyReLU(data, gamma, act_type='prelu')")
        if prelu_gamma_shape(gamma[0], data) is None:
            fail(f"gamma of shape {gamma[0]} cannot be broadcast to data {data}: gamma's axes "
                 "are matched from the right against data's axis 1 (channels) and axis 0",
                 f"give gamma shape ({data[1] if len(data) > 1 else data[0]},) for one slope "
                 "per channel, or (1,) for one shared slope")
    elif gamma:
        fail(f"act_type={act!r} takes only data, but a gamma input was given",
             "drop gamma, or use act_type='prelu'")
    # rrelu's second output is the mask of random slopes (MXNet's mx.nd shows both).
    return [data, data] if act == "rrelu" else data


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946


def _leaky_grad(F, attrs, inputs, outputs, out_grads):
    """Slope 1 where x > 0; elsewhere the negative side's derivative (at x = 0 too, as MXNet).

    elu and selu's negative-side derivatives come from the output (``slope * e^x = y + slope``).
    rrelu uses the slopes it drew (its hidden second output) while training, their mean
    ``(lower + upper) / 2`` otherwise. NB: MXNet's predict-mode rrelu backward reads an
    unwritten mask and gives ``x * mean slope`` on the negative side; minimx gives the slope.
    """
    g, x, y = out_grads[0], inputs[0], outputs[0]
    act, slope = attrs["act_type"], attrs["slope"]
    pos = x > 0
    neg = 1 - pos
    if act == "leaky":
        return [g * (pos + neg * slope)]
    if act == "prelu":
        gamma = inputs[1]
        shape = prelu_gamma_shape(gamma.shape, x.shape)
        gb = F.reshape(gamma, shape=shape)
        dgamma = unbroadcast(F, g * x * neg, shape)
        return [g * (pos + neg * gb), F.reshape(dgamma, shape=gamma.shape)]
    if act == "elu":
        return [g * (pos + neg * (y + slope))]
    if act == "selu":
        return [g * (pos * _SELU_LAMBDA + neg * (y + _SELU_LAMBDA * _SELU_ALPHA))]
    if act == "gelu":
        # d/dx x * Phi(x) = Phi(x) + x * phi(x)
        phi = F.exp(F.square(x) * -0.5) * 0.3989422804014327
        return [g * ((1 + F.erf(x * 0.7071067811865476)) * 0.5 + x * phi)]
    # rrelu
    if attrs.get("is_train"):
        return [g * (pos + neg * outputs[1])]
    return [g * (pos + neg * ((attrs["lower_bound"] + attrs["upper_bound"]) / 2))]


def _leaky_inputs(rng, dtype, attrs):
    data = rng.uniform(-3, 3, size=(2, 3, 4)).astype(dtype)
    if attrs.get("act_type") == "prelu":
        return [data, rng.uniform(0, 1, size=(3,)).astype(dtype)]
    return [data]


LeakyReLU = OpDef(
    "LeakyReLU", inputs=("data", "gamma"), optional=("gamma",),
    params=(Param("act_type", Enum(*_LEAKY_TYPES), "leaky", "the activation function"),
            Param("slope", Float, 0.25, "the slope of x < 0 (leaky), or elu's scale"),
            Param("lower_bound", Float, 0.125, "smallest random slope (rrelu)"),
            Param("upper_bound", Float, 0.334, "largest random slope (rrelu)")),
    shape=_leaky_shape, dtype=float_dtype, random=True, train_aware=True, grad=_leaky_grad,
    formula="out = x if x > 0 else: slope*x (leaky), gamma*x (prelu), slope*(e^x - 1) (elu), "
            "selu, x*Phi(x) (gelu), U(lower, upper)*x (rrelu, training)",
    doc="Leaky rectified linear units and their relatives; prelu learns its slopes (gamma).",
    domain=Domain(dtypes=FLOATS[1:], away_from=(0.0,), make_inputs=_leaky_inputs,
                  # rrelu with lower = upper: the drawn slopes (training, as the generated gradient
                  # check records) equal their mean (prediction, as its finite differences run).
                  attrs=[{"act_type": a} for a in _LEAKY_TYPES if a != "rrelu"]
                  + [{"act_type": "leaky", "slope": 0.1},
                     {"act_type": "rrelu", "lower_bound": 0.2, "upper_bound": 0.2}]),
    family="nn")


# -- the softmax family --------------------------------------------------------------------------
def _softmax_dtype_param(value):
    dtype = OptDType(value)
    if dtype is not None and dtype.kind != "f":
        raise ValueError(f"expected None, 'float16', 'float32' or 'float64', got {value!r}")
    return dtype


_SOFTMAX_PARAMS = (
    Param("axis", Int, -1, "the axis to normalise along"),
    Param("temperature", OptFloat, None, "divides the input first (None: 1)"),
    Param("dtype", _softmax_dtype_param, None, "output type (None: the input's)"),
    Param("use_length", _opt_bool, False, "mask each row to its first length[i] entries"))


def _softmax_shape(attrs, data, *length):
    axis = check_axis(attrs["axis"], len(data))
    if attrs["use_length"]:
        if len(length) != 1:
            fail("use_length=True needs the length input", "call softmax(data, length, use_length=True)")
        rows = data[:axis] + data[axis + 1:]
        if length[0] != rows:
            fail(f"length has shape {length[0]} but must have data's shape without axis {axis}, "
                 f"{rows}", "give one length per row along the softmax axis")
    elif length:
        fail("a length input was given but use_length is False", "add use_length=True")
    return data


def _softmax_dtype(attrs, data, *length):
    if data.kind != "f":
        fail(f"supports floating point data only, not {data}", "cast with .astype('float32')")
    if length and length[0].kind not in "iu":
        fail(f"length must have an integer type, not {length[0]}", "cast with .astype('int32')")
    return data if attrs["dtype"] is None else attrs["dtype"]


def _data_only(rng, dtype, attrs):
    return [rng.uniform(-3, 3, size=(2, 3, 4)).astype(dtype)]


_SOFTMAX_DOMAIN = Domain(dtypes=FLOATS[1:], make_inputs=_data_only,
                         attrs=[{}, {"axis": 0}, {"axis": 1, "temperature": 2.0}])

softmax = OpDef(
    "softmax", inputs=("data", "length"), optional=("length",), params=_SOFTMAX_PARAMS,
    shape=_softmax_shape, grad=softmax_grad("softmax"),
    dtype=_softmax_dtype, formula="out = exp(x / T) / sum(exp(x / T), axis)",
    doc="The softmax of data along one axis, optionally with a temperature and row lengths.",
    domain=_SOFTMAX_DOMAIN, family="nn")


def _no_length_shape(attrs, data):
    if attrs["use_length"]:
        fail("use_length=True is only supported by softmax", "use softmax(data, length, use_length=True)")
    check_axis(attrs["axis"], len(data))
    return data


log_softmax = OpDef(
    "log_softmax", params=_SOFTMAX_PARAMS, shape=_no_length_shape, dtype=_softmax_dtype,
    grad=softmax_grad("log_softmax"),
    formula="out = x / T - log(sum(exp(x / T), axis))",
    doc="The log of softmax, computed without forming the softmax (stable for large inputs).",
    domain=_SOFTMAX_DOMAIN, family="nn")

softmin = OpDef(
    "softmin", params=_SOFTMAX_PARAMS, shape=_no_length_shape, dtype=_softmax_dtype,
    grad=softmax_grad("softmin"),
    formula="out = exp(-x / T) / sum(exp(-x / T), axis)",
    doc="The softmax of -data: large inputs get small weights.", domain=_SOFTMAX_DOMAIN, family="nn")


def _backward_softmax_shape(attrs, ograd, output):
    if ograd != output:
        fail(f"ograd has shape {ograd} but the output has {output}",
             "pass the gradient of the softmax's output")
    check_axis(attrs["axis"], len(output))
    return output


def _backward_softmax_inputs(rng, dtype, attrs):
    return [rng.standard_normal((2, 3, 4)).astype(dtype), rng.uniform(-2, 0, (2, 3, 4)).astype(dtype)]


def _fused_softmax_backward(name, formula, doc):
    return OpDef(
        name, inputs=("ograd", "output"),
        params=(Param("axis", Int, -1, "the softmax's axis"),
                Param("temperature", OptFloat, None, "the softmax's temperature (None: 1)")),
        shape=_backward_softmax_shape, dtype=float_dtype, grad=backward_softmax_grad(name),
        formula=formula, doc=doc,
        domain=Domain(dtypes=FLOATS[1:], make_inputs=_backward_softmax_inputs,
                      attrs=[{}, {"axis": 1, "temperature": 2.0}]),
        family="nn")


# The fused backward passes of softmax and log_softmax, which their rules call; their own rules
# (in terms of ograd and output) make second derivatives work through them.
_backward_softmax = _fused_softmax_backward(
    "_backward_softmax", "dx = out * (g - sum(g * out, axis)) / T",
    "The gradient of softmax (or, negated, softmin) from its output and output gradient.")
_backward_log_softmax = _fused_softmax_backward(
    "_backward_log_softmax", "dx = (g - exp(out) * sum(g, axis)) / T",
    "The gradient of log_softmax from its output and output gradient.")


def _softmax_activation_shape(attrs, data):
    if attrs["mode"] == "channel" and len(data) < 3:
        fail(f"mode='channel' needs an input with at least 3 axes (batch, channel, ...), got "
             f"{len(data)}", "use mode='instance', or softmax(data, axis=1)")
    return data


SoftmaxActivation = OpDef(
    "SoftmaxActivation",
    params=(Param("mode", Enum("channel", "instance"), "instance",
                  "instance: along the last axis; channel: along axis 1"),),
    shape=_softmax_activation_shape, dtype=float_dtype, grad=softmax_grad("SoftmaxActivation"),
    formula="out = softmax(x, axis=-1 (instance) or 1 (channel))",
    doc="Softmax for each instance (last axis) or across channels (axis 1). Deprecated in MXNet "
        "in favour of softmax.",
    domain=Domain(dtypes=FLOATS[1:], make_inputs=_data_only, attrs=[{}, {"mode": "channel"}]),
    family="nn")


def _softmax_output_shape(attrs, data, label):
    if len(data) < 2:
        fail(f"data must have at least 2 axes (batch, classes), got shape {data}",
             "reshape data to (batch, classes)")
    if attrs["multi_output"]:
        rest = data[2:]
        flat = 1
        for s in rest:
            flat *= s
        allowed = ((data[0],) + rest, (data[0], flat))
        if label not in allowed:
            fail(f"with multi_output the label must have shape {allowed[0]} or {allowed[1]} "
                 f"(data's shape without axis 1), got {label}", "one label per position")
    elif label != data[:-1]:
        fail(f"label has shape {label} but must have data's shape without its last axis, "
             f"{data[:-1]}", "give one class index per row")
    return data


def _label_inputs(rng, dtype, attrs):
    data = rng.uniform(-3, 3, size=(4, 5)).astype(dtype)
    return [data, np.floor(rng.uniform(0, 5, size=(4,))).astype(dtype)]


SoftmaxOutput = OpDef(
    "SoftmaxOutput", inputs=("data", "label"), aliases=("Softmax",),
    params=(Param("grad_scale", Float, 1.0, "scales the gradient"),
            Param("ignore_label", Float, -1.0, "label ignored in backward when use_ignore"),
            Param("multi_output", Bool, False, "softmax along axis 1 (labels per position)"),
            Param("use_ignore", Bool, False, "skip ignore_label in backward"),
            Param("preserve_shape", Bool, False, "softmax along the last axis"),
            Param("normalization", Enum("batch", "null", "valid"), "null", "gradient normalisation"),
            Param("out_grad", Bool, False, "multiply the gradient by the output gradient"),
            Param("smooth_alpha", Float, 0.0, "label smoothing in backward")),
    shape=_softmax_output_shape, dtype=float_dtype, grad=softmax_output_grad,
    formula="out = softmax(data) (over all but axis 0; axis 1 if multi_output; the last axis if "
            "preserve_shape); backward: out - onehot(label)",
    doc="Softmax forward whose backward is the cross-entropy gradient against label.",
    # Domain grad=False: the backward is out - onehot(label), not the forward's derivative
    # (tests/test_grads_nn.py checks it against values from MXNet).
    domain=Domain(dtypes=FLOATS[1:], make_inputs=_label_inputs, grad=False), family="nn")


def _sce_grad(F, attrs, inputs, outputs, out_grads):
    """``g * (softmax(data) - onehot(label))``; labels get none (MXNet refuses to give one)."""
    data, label = inputs
    p = F.softmax(data, axis=1)
    return [out_grads[0] * (p - F.one_hot(label, depth=data.shape[1], dtype=data.dtype)), None]


def _sce_shape(attrs, data, label):
    if len(data) != 2:
        fail(f"data must be 2-d (batch, classes), got shape {data}", "reshape data to (batch, classes)")
    if len(label) != 1 or label[0] != data[0]:
        fail(f"label must be 1-d with one class index per row, shape ({data[0]},), got {label}",
             "give one class index per row of data")
    return (1,)


softmax_cross_entropy = OpDef(
    "softmax_cross_entropy", inputs=("data", "label"), shape=_sce_shape, dtype=float_dtype,
    grad=_sce_grad,
    formula="out = sum_i -log(max(softmax(data[i])[label[i]], 1e-8))",
    doc="The cross-entropy of softmax(data) against integer labels, summed over the batch.",
    # Labels are truncated: x.5 keeps the label's finite differences off the steps (they are 0).
    domain=Domain(dtypes=FLOATS[1:], make_inputs=lambda rng, dtype, attrs: [
        x + np.asarray(0.5, dtype) * i for i, x in enumerate(_label_inputs(rng, dtype, attrs))]),
    family="nn")


# -- dropout ---------------------------------------------------------------------------------
def _dropout_shape(attrs, data):
    if not 0.0 <= attrs["p"] <= 1.0:
        fail(f"p must be in [0, 1], got {attrs['p']}", "p is the fraction of inputs dropped")
    for a in attrs["axes"]:
        if not 0 <= a < len(data):
            fail(f"axes entry {a} is out of range for a {len(data)}-d input",
                 f"give axes in [0, {len(data) - 1}] (MXNet accepts no negative axes here)")
    return [data, data]       # the output, and the mask the backward pass needs


Dropout = OpDef(
    "Dropout",
    params=(Param("p", Float, 0.5, "fraction of the input dropped while training"),
            Param("mode", Enum("always", "training"), "training", "drop in training only, or always"),
            Param("axes", Shape, (), "axes along which one draw is shared (variational dropout)"),
            Param("cudnn_off", _opt_bool, False, "unused on the CPU")),
    shape=_dropout_shape, dtype=float_dtype, random=True, train_aware=True,
    # The hidden mask holds 0 or 1/(1-p) (all ones in prediction): the gradient is g * mask.
    grad=lambda F, attrs, inputs, outputs, out_grads: [out_grads[0] * outputs[1]],
    num_visible=lambda attrs: 1,
    formula="out = x * mask / (1 - p), mask ~ Bernoulli(1 - p) (training); out = x (prediction)",
    doc="Randomly zeroes a fraction p of the input while training and scales the rest by 1/(1-p).",
    domain=Domain(dtypes=FLOATS[1:], attrs=[{}, {"p": 0.0}, {"mode": "always", "p": 0.3}],
                  grad=False),
    family="nn")


# -- identity-forward ops, sums and the regression outputs -------------------------------------
BlockGrad = OpDef(
    "BlockGrad", aliases=("stop_gradient",), shape=same_shape, grad=NO_GRAD, formula="out = data",
    doc="Passes data through and stops the gradient: nothing flows back to data.",
    domain=Domain(dtypes=("float32", "float64", "int32")), family="nn")

MakeLoss = OpDef(
    "MakeLoss", aliases=("make_loss",),
    params=(Param("grad_scale", Float, 1.0, "gradient scale"),
            Param("valid_thresh", Float, 0.0, "threshold for normalization='valid'"),
            Param("normalization", Enum("batch", "null", "valid"), "null", "gradient normalisation")),
    shape=same_shape, grad=make_loss_grad, formula="out = data; backward: grad_scale (normalised)",
    doc="Marks data as a loss: forward is the identity, backward starts from grad_scale.",
    # grad=False: the backward ignores the head gradient, so finite differences do not apply.
    domain=Domain(dtypes=("float32", "float64", "int32"), grad=False), family="nn")


def _sum_shape(attrs, *shapes):
    if attrs["num_args"] != len(shapes):
        fail(f"num_args={attrs['num_args']} but {len(shapes)} arrays were given",
             "leave num_args out; it is set from the inputs")
    if not shapes:
        fail("needs at least one input", "pass the arrays to add")
    return same_shape(attrs, *shapes)


ElementWiseSum = OpDef(
    "ElementWiseSum", inputs=("*args",), aliases=("add_n",), key_var_num_args="num_args",
    params=(Param("num_args", Int, doc="number of inputs (set by the wrapper)"),),
    shape=_sum_shape, formula="out = args[0] + args[1] + ... + args[n-1]",
    grad=lambda F, attrs, inputs, outputs, out_grads: [out_grads[0]] * len(inputs),
    doc="Adds any number of arrays of one shape and dtype.",
    domain=Domain(dtypes=("float32", "float64", "int32"), attrs=[{"num_args": 1}]), family="nn")


def _regression_shape(attrs, data, label):
    size = lsize = 1
    for s in data:
        size *= s
    for s in label:
        lsize *= s
    if label[:1] != data[:1] or lsize != size:
        fail(f"label has shape {label} but must match data {data}: the same first axis and the "
             "same number of elements", f"give label shape {data}")
    return data


def _regression(name, kernel_formula, doc):
    return OpDef(name, inputs=("data", "label"),
                 params=(Param("grad_scale", Float, 1.0, "scales the gradient"),),
                 shape=_regression_shape, dtype=float_dtype, formula=kernel_formula, doc=doc,
                 grad=regression_grad(name),
                 # grad=False: the backward is a loss gradient, not the forward's derivative.
                 domain=Domain(dtypes=FLOATS[1:], grad=False,
                               make_inputs=lambda rng, dtype, attrs: [
                                   rng.uniform(-3, 3, size=(3, 2)).astype(dtype),
                                   rng.uniform(-3, 3, size=(3, 2)).astype(dtype)]),
                 family="nn")


# NB: MXNet divides the regression gradients by the number of outputs per sample
# (label.size / label.shape[0]) and ignores the head gradient.
LinearRegressionOutput = _regression(
    "LinearRegressionOutput", "out = data; backward: (out - label) * grad_scale / outputs per sample",
    "Identity forward whose backward is the squared-error gradient against label.")
LogisticRegressionOutput = _regression(
    "LogisticRegressionOutput",
    "out = 1 / (1 + exp(-data)); backward: (out - label) * grad_scale / outputs per sample",
    "Sigmoid forward whose backward is the logistic-loss gradient against label.")
MAERegressionOutput = _regression(
    "MAERegressionOutput", "out = data; backward: sign(out - label) * grad_scale / outputs per sample",
    "Identity forward whose backward is the absolute-error gradient against label.")

def _smooth_l1_grad(F, attrs, inputs, outputs, out_grads):
    x = inputs[0]
    s2 = attrs["scalar"] ** 2
    return [out_grads[0] * F.where(F.abs(x) < 1.0 / s2, x * s2, F.sign(x))]


smooth_l1 = OpDef(
    "smooth_l1", params=(Param("scalar", Float, 1.0, "sigma"),), shape=same_shape,
    grad=_smooth_l1_grad,
    formula="out = 0.5 (sigma x)^2 if |x| < 1 / sigma^2 else |x| - 0.5 / sigma^2",
    doc="The smooth L1 (Huber-like) function with threshold 1 / sigma^2.",
    domain=Domain(attrs=[{}, {"scalar": 2.0}], away_from=(-1.0, 1.0, -0.25, 0.25)), family="nn")
