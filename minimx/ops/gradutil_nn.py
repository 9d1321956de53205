"""Gradient rules of the nn family that are too long to sit next to their declarations.

Written with ops (``F``) only, like every rule. Two kinds:

- the softmax family's true derivatives (``softmax_grad``), which ``create_graph`` differentiates
  again;
- MXNet's loss-output ops (SoftmaxOutput, the regression outputs, MakeLoss), whose backward is not
  the forward's derivative but a loss gradient against a label. They ignore the head gradient, as
  MXNet does, and their labels get no gradient (MXNet shows zeros).
"""
from ..base import prod

__all__ = ["softmax_grad", "softmax_output_grad", "regression_grad", "make_loss_grad",
           "softmax_vjp", "log_softmax_vjp", "backward_softmax_grad"]


def _call_hidden(F, name, *inputs, **params):
    """Run op ``name``, which has no public ``mx.nd`` wrapper (``F._internal``); recorded like any op."""
    return getattr(F._internal, name)(*inputs, **params)


def softmax_vjp(F, g, y, axis, temperature=None):
    """``y * (g - sum(g * y, axis)) / T``: the vector-Jacobian product of softmax at output ``y``."""
    gy = g * y
    dx = gy - y * F.sum(gy, axis=axis, keepdims=True)
    return dx if temperature is None or temperature == 1.0 else dx / temperature


def log_softmax_vjp(F, g, y, axis, temperature=None):
    """``(g - exp(y) * sum(g, axis)) / T`` at log_softmax's output ``y``."""
    dx = g - F.exp(y) * F.sum(g, axis=axis, keepdims=True)
    return dx if temperature is None or temperature == 1.0 else dx / temperature


def backward_softmax_grad(name):
    """The rule of ``_backward_softmax`` / ``_backward_log_softmax`` (inputs ``g`` and ``y``).

    softmax: ``dx = y * (g - s) / T`` with ``s = sum(g * y)``, so for a head gradient ``h``:
    ``dg = y * (h - sum(h * y)) / T`` (the same fused op) and ``dy = (h * (g - s) - g *
    sum(h * y)) / T``. log_softmax: ``dx = (g - e^y * sum(g)) / T``, so ``dg = (h - sum(h *
    e^y)) / T`` and ``dy = -h * e^y * sum(g) / T``.
    """
    def rule(F, attrs, inputs, outputs, out_grads):
        h = out_grads[0]
        g, y = inputs
        axis, t = attrs["axis"], attrs["temperature"]
        scale = 1.0 if t is None else 1.0 / t
        if name == "_backward_softmax":
            dg = _call_hidden(F, name, h, y, axis=axis, temperature=t)
            s = F.sum(g * y, axis=axis, keepdims=True)
            dy = h * (g - s) - g * F.sum(h * y, axis=axis, keepdims=True)
        else:
            e = F.exp(y)
            dg = h - F.sum(h * e, axis=axis, keepdims=True)
            dy = -(h * e * F.sum(g, axis=axis, keepdims=True))
            if scale != 1.0:
                dg = dg * scale
        return [dg, dy if scale == 1.0 else dy * scale]
    rule.__name__ = f"{name}_grad"
    return rule


def softmax_grad(name):
    """The rule of softmax, log_softmax, softmin or SoftmaxActivation (``length`` gets none).

    It runs the fused ``_backward_softmax`` / ``_backward_log_softmax``; ``softmax_vjp`` and
    ``log_softmax_vjp`` are the same formulas written with ops (the tests compare the two)."""
    def rule(F, attrs, inputs, outputs, out_grads):
        g, x, y = out_grads[0], inputs[0], outputs[0]
        if name == "SoftmaxActivation":
            axis, temperature = (1 if attrs["mode"] == "channel" else -1), None
        else:
            axis, temperature = attrs["axis"], attrs["temperature"]
        if g.dtype != y.dtype:
            g = F.cast(g, dtype=y.dtype)
        fused = "_backward_log_softmax" if name == "log_softmax" else "_backward_softmax"
        dx = _call_hidden(F, fused, g, y, axis=axis, temperature=temperature)
        if name == "softmin":
            dx = -dx
        if dx.dtype != x.dtype:           # softmax(dtype=...) gave another output type
            dx = F.cast(dx, dtype=x.dtype)
        return [dx] + [None] * (len(inputs) - 1)
    rule.__name__ = f"_{name}_grad"
    return rule


def _class_view(attrs, shape):
    """The ``(rows, classes, inner)`` view of SoftmaxOutput's output.

    multi_output: classes on axis 1, one label per ``(n, position)``. preserve_shape: classes on
    the last axis, one label per row. Otherwise classes are everything after axis 0, and (NB,
    as in MXNet) only the first ``shape[0]`` entries of the flattened label are read.
    """
    if attrs["multi_output"]:
        return (shape[0], shape[1], prod(shape[2:]))
    if attrs["preserve_shape"]:
        return (prod(shape[:-1]), shape[-1], 1)
    return (shape[0], prod(shape[1:]), 1)


def softmax_output_grad(F, attrs, inputs, outputs, out_grads):
    """MXNet's SoftmaxOutput backward: ``(out - onehot(label)) * grad_scale / norm``.

    The head gradient is ignored. ``smooth_alpha`` puts ``alpha`` of the target's mass on the
    other classes; ``use_ignore`` zeroes rows whose truncated label is ``ignore_label``;
    ``normalization`` divides by 1 ('null'), the label's size ('batch') or the count of labels
    that are not ignored, at least 1 ('valid'). Labels are truncated toward zero; a label out of
    range has no one-hot entry. NB: with ``out_grad=True`` MXNet multiplies by the output (its
    backward reads the output where it means the head gradient); minimx does the same.
    """
    data, label = inputs
    y = outputs[0]
    if data.size == 0:
        return [F.zeros_like(data), None]
    rows, classes, inner = view = _class_view(attrs, data.shape)
    used = view[0] * inner
    flat = F.reshape(label, shape=(-1,))
    if used != label.size:
        flat = F.slice_axis(flat, axis=0, begin=0, end=used)
    # one_hot gives (used, classes); bring the classes to axis 1 of (rows, classes, inner).
    onehot = F.one_hot(F.reshape(flat, shape=(rows, inner)), depth=classes, dtype=y.dtype)
    onehot = F.transpose(onehot, axes=(0, 2, 1))
    alpha = attrs["smooth_alpha"]
    if alpha:
        onehot = onehot * (1 - alpha - alpha / (classes - 1)) + alpha / (classes - 1)
    grad = F.reshape(y, shape=view) - onehot
    scale = attrs["grad_scale"]
    norm = attrs["normalization"]
    if attrs["use_ignore"]:
        ignore = float(int(attrs["ignore_label"]))
        keep = F.cast(F.trunc(F.cast(flat, dtype="float64")) != ignore, dtype=y.dtype)
        grad = grad * F.reshape(keep, shape=(rows, 1, inner))
        if norm == "valid":
            every = F.trunc(F.cast(F.reshape(label, shape=(-1,)), dtype="float64")) != ignore
            count = F.maximum(F.sum(F.cast(every, dtype=y.dtype)), 1)
            grad = F.broadcast_div(grad, F.reshape(count, shape=(1, 1, 1)))
            norm = "null"
    if norm in ("batch", "valid"):
        scale /= max(label.size, 1)
    if scale != 1.0:
        grad = grad * scale
    if attrs["out_grad"]:
        grad = grad * F.reshape(y, shape=view)
    return [F.reshape(grad, shape=data.shape), None]


def regression_grad(name):
    """MXNet's regression-output backward: ``f(out, label) * grad_scale / outputs per sample``.

    ``f`` is ``out - label`` (linear, logistic) or ``sign(out - label)`` (MAE); the head gradient
    is ignored.
    """
    def rule(F, attrs, inputs, outputs, out_grads):
        data, label = inputs
        per_sample = label.size // label.shape[0] if label.shape[0] else 1
        diff = outputs[0] - F.reshape(label, shape=data.shape)
        if name == "MAERegressionOutput":
            diff = F.sign(diff)
        return [diff * (attrs["grad_scale"] / max(per_sample, 1)), None]
    rule.__name__ = f"_{name}_grad"
    return rule


def make_loss_grad(F, attrs, inputs, outputs, out_grads):
    """MakeLoss's backward: ``grad_scale`` everywhere (the head gradient is ignored, as MXNet),
    divided by the batch size ('batch') or the count of entries above ``valid_thresh``, at
    least 1 ('valid')."""
    data = inputs[0]
    ones = F.ones_like(data)
    norm = attrs["normalization"]
    scale = attrs["grad_scale"]
    if norm == "batch":
        scale /= max(data.shape[0], 1)
    if norm == "valid":
        count = F.maximum(F.sum(data > attrs["valid_thresh"]), 1)
        return [F.broadcast_div(ones * scale, F.reshape(count, shape=(1,) * data.ndim))]
    return [ones * scale]
