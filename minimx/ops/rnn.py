"""The fused recurrent op ``RNN``: stacked (bidirectional) Elman RNN, LSTM and GRU layers in one call.

MXNet runs ``RNN`` as one fused kernel (cuDNN on GPUs, a hand-written loop on CPUs). Here ``RNN``
is a composite: its body slices the flat parameter vector, calls ``_rnn_layer`` once per layer and
direction (a primitive whose kernel runs the whole time loop, ``_kernels/reference/rnn.py``), and
puts ``concat`` and ``Dropout`` between layers. ``_rnn_layer``'s gradient is ``_backward_rnn_layer``
(backpropagation through time, one kernel). The gluon cells (``gluon/rnn/rnn_cell.py``) compute the
same recurrence step by step with ordinary ops; tests check that both agree with each other and
with values recorded from MXNet.

The ``parameters`` input is one flat vector in MXNet's order, which ``gluon.rnn`` layers build by
concatenating their Parameters:

1. every weight, layer by layer, and within a layer direction by direction (left-to-right first):
   ``i2h_weight`` (G*H, in), ``h2h_weight`` (G*H, P) and, with ``projection_size``, ``h2r_weight``
   (P, H);
2. then every bias in the same order: ``i2h_bias`` (G*H,), ``h2h_bias`` (G*H,).

G is the number of gates (1 for rnn_relu/rnn_tanh, 4 for lstm stacked i, f, c, o; 3 for gru
stacked r, z, n), H is ``state_size``, P is ``projection_size`` (else H), and ``in`` is the input
size for layer 0 and D*P for later layers (D = 2 when bidirectional).

Per step, with ``x`` the layer's input and ``h`` the previous state:

- rnn_tanh / rnn_relu: ``h = act(W_i x + b_i + W_h h + b_h)``
- lstm: ``i, f, c~, o = split(W_i x + b_i + W_h h + b_h)``; ``c = sigmoid(f) c + sigmoid(i) tanh(c~)``;
  ``h = sigmoid(o) tanh(c)``, then ``h = W_r h`` with a projection.
- gru (cuDNN's variant, reset applied after the product):
  ``r = sigmoid(x_r + h_r)``, ``z = sigmoid(x_z + h_z)``, ``n = tanh(x_n + r * h_n)``,
  ``h = (1 - z) n + z h`` where ``x_* = W_i x + b_i`` and ``h_* = W_h h + b_h`` split in three.
"""
from ..base import MXNetError
from .gradutil_shape import call
from .opdef import NO_GRAD, Domain, OpDef, OpInputError, Param, fail
from .params import Bool, Enum, Float, Int, OptFloat, OptInt

__all__ = ["rnn_param_size"]

_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


def rnn_param_size(mode, num_layers, input_size, state_size, bidirectional=False,
                   projection_size=None):
    """Length of the flat ``parameters`` vector the ``RNN`` op expects."""
    g, h, d = _GATES[mode], state_size, 2 if bidirectional else 1
    p = projection_size or h
    size, ni = 0, input_size
    for _ in range(num_layers):
        per_dir = g * h * ni + g * h * p + 2 * g * h + (p * h if projection_size else 0)
        size += d * per_dir
        ni = d * p
    return size


def _rnn_shape(attrs, data, parameters, *states):
    mode, h, layers = attrs["mode"], attrs["state_size"], attrs["num_layers"]
    d = 2 if attrs["bidirectional"] else 1
    proj = attrs["projection_size"]
    if proj is not None and mode != "lstm":
        fail("projection_size is only supported for mode='lstm'", "leave projection_size=None")
    if attrs["use_sequence_length"]:
        fail("use_sequence_length=True is not supported (MXNet supports it only with cuDNN)",
             "mask the outputs with SequenceMask instead")
    if len(data) != 3:
        fail(f"data must be 3-d (sequence, batch, features), got shape {data}",
             "swap axes 0 and 1 of batch-major (NTC) input first")
    p = proj or h
    t, n, c = data
    expected = (rnn_param_size(mode, layers, c, h, d == 2, proj),)
    if tuple(parameters) != expected:
        fail(f"parameters has shape {parameters} but {mode} with {layers} layer(s) of size {h}, "
             f"input size {c}{', bidirectional' if d == 2 else ''} needs {expected}",
             "concatenate the layer's weights then biases in MXNet's order (see help(mx.nd.RNN))")
    want = [(layers * d, n, p)] + ([(layers * d, n, h)] if mode == "lstm" else [])
    if len(states) != len(want):
        fail(f"mode={mode} takes {len(want)} state input(s) (state"
             f"{', state_cell' if mode == 'lstm' else ''}), got {len(states)}")
    for name, got, w in zip(("state", "state_cell"), states, want):
        if tuple(got) != w:
            fail(f"{name} has shape {got} but must be {w} (layers*directions, batch, size)")
    out = (t, n, d * p)
    if not attrs["state_outputs"]:
        return out
    return [out] + want


def _unpack(F, attrs, flat, input_size):
    """Slice the flat vector into per-(layer, direction) dicts of weights and biases."""
    mode, h, layers = attrs["mode"], attrs["state_size"], attrs["num_layers"]
    g, d, proj = _GATES[mode], 2 if attrs["bidirectional"] else 1, attrs["projection_size"]
    p = proj or h
    pos = [0]

    def take(shape):
        size = 1
        for s in shape:
            size *= s
        piece = F.slice_axis(flat, axis=0, begin=pos[0], end=pos[0] + size)
        pos[0] += size
        return F.reshape(piece, shape=shape)

    cells, ni = [], input_size
    for _ in range(layers):
        for _ in range(d):
            cell = {"i2h_weight": take((g * h, ni)), "h2h_weight": take((g * h, p))}
            if proj:
                cell["h2r_weight"] = take((p, h))
            cells.append(cell)
        ni = d * p
    for cell in cells:
        cell["i2h_bias"] = take((g * h,))
        cell["h2h_bias"] = take((g * h,))
    return cells


def _split_steps(F, x):
    """The slices of ``x`` along axis 0, that axis dropped: one op for all of them."""
    if x.shape[0] == 1:
        return [F.reshape(x, shape=x.shape[1:])]
    return list(F.split(x, num_outputs=x.shape[0], axis=0, squeeze_axis=True))


def _rnn_compute(F, attrs, data, parameters, state, state_cell=None):
    # invoke runs a composite's body directly: check the inputs here, as invoke does for kernels.
    inputs = [x for x in (data, parameters, state, state_cell) if x is not None]
    try:
        _rnn_shape(attrs, *[x.shape for x in inputs])
    except OpInputError as err:
        shapes = ", ".join(f"{n}={x.shape}" for n, x in zip(RNN.inputs, inputs))
        raise MXNetError(f"RNN: {err}\n  inputs: {shapes}" +
                         (f"\n  hint: {err.hint}" if err.hint else "")) from None
    mode, layers = attrs["mode"], attrs["num_layers"]
    d = 2 if attrs["bidirectional"] else 1
    cells = _unpack(F, attrs, parameters, data.shape[2])
    h0 = _split_steps(F, state)
    c0 = _split_steps(F, state_cell) if mode == "lstm" else None
    layer_attrs = {k: attrs[k] for k in ("mode", "state_size", "projection_size",
                                         "lstm_state_clip_min", "lstm_state_clip_max")}
    x, h_last, c_last = data, [], []
    for layer in range(layers):
        outs = []
        for direction in range(d):
            k = layer * d + direction
            w = cells[k]
            ins = [x, w["i2h_weight"], w["h2h_weight"], w["i2h_bias"], w["h2h_bias"], h0[k]]
            if mode == "lstm":
                ins.append(c0[k])
                if "h2r_weight" in w:
                    ins.append(w["h2r_weight"])
            res = call(F, "_rnn_layer", *ins, reverse=direction == 1, **layer_attrs)
            outs.append(res[0])
            h_last.append(res[1])
            if mode == "lstm":
                c_last.append(res[2])
        x = outs[0] if d == 1 else F.concat(*outs, dim=2)
        if attrs["p"] > 0 and layer < layers - 1:
            x = F.Dropout(x, p=attrs["p"])
    if not attrs["state_outputs"]:
        return x
    result = [x, F.stack(*h_last, axis=0)]
    if mode == "lstm":
        result.append(F.stack(*c_last, axis=0))
    return result


# -- _rnn_layer: one layer, one direction, the whole time loop in one kernel ----------------------
def _layer_sizes(attrs):
    return _GATES[attrs["mode"]], attrs["state_size"], attrs["projection_size"] or attrs["state_size"]


def _layer_input_shapes(attrs, x):
    """The shapes ``_rnn_layer`` expects for its inputs after ``x``."""
    g, h, p = _layer_sizes(attrs)
    t, n, c = x
    shapes = [(g * h, c), (g * h, p), (g * h,), (g * h,), (n, p)]
    if attrs["mode"] == "lstm":
        shapes.append((n, h))
        if attrs["projection_size"]:
            shapes.append((p, h))
    return shapes


def _rnn_layer_shape(attrs, x, *rest):
    if attrs["projection_size"] and attrs["mode"] != "lstm":
        fail("projection_size is only supported for mode='lstm'")
    if len(x) != 3:
        fail(f"data must be 3-d (sequence, batch, features), got shape {x}")
    want = _layer_input_shapes(attrs, x)
    if [tuple(s) for s in rest] != want:
        fail(f"the inputs after data must have shapes {want}, got {list(rest)}")
    g, h, p = _layer_sizes(attrs)
    outs = [(x[0], x[1], p), (x[1], p)]
    return outs + [(x[1], h)] if attrs["mode"] == "lstm" else outs


def _rnn_layer_grad(F, attrs, inputs, outputs, out_grads):
    heads = [g if g is not None else F.zeros_like(o) for g, o in zip(out_grads, outputs)]
    return list(call(F, "_backward_rnn_layer", *inputs, *heads, **attrs))


def _rnn_layer_inputs(rng, dtype, attrs):
    attrs = dict({"projection_size": None}, **attrs)
    x = (3, 2, 2)
    shapes = [x] + _layer_input_shapes(attrs, x)
    return [rng.uniform(-1, 1, s).astype(dtype) for s in shapes]


def _backward_inputs(rng, dtype, attrs):
    fwd = _rnn_layer_inputs(rng, dtype, attrs)
    attrs = dict({"projection_size": None, "lstm_state_clip_min": None,
                  "lstm_state_clip_max": None}, **attrs)
    heads = _rnn_layer_shape(attrs, *[a.shape for a in fwd])
    return fwd + [rng.uniform(-1, 1, s).astype(dtype) for s in heads]


_LAYER_PARAMS = (
    Param("mode", Enum("gru", "lstm", "rnn_relu", "rnn_tanh"), doc="the type of RNN"),
    Param("state_size", Int, doc="size of the state h (and c)"),
    Param("projection_size", OptInt, None, "LSTM only: h is projected to this size"),
    Param("reverse", Bool, False, "run from the last step to the first"),
    Param("lstm_state_clip_min", OptFloat, None, "clip the LSTM cell state from below"),
    Param("lstm_state_clip_max", OptFloat, None, "clip the LSTM cell state from above"))

_LAYER_DOMAIN_ATTRS = [{"mode": "lstm", "state_size": 2}, {"mode": "gru", "state_size": 3},
                       {"mode": "rnn_tanh", "state_size": 2, "reverse": True},
                       {"mode": "rnn_relu", "state_size": 2},
                       {"mode": "lstm", "state_size": 3, "projection_size": 2, "reverse": True}]

_rnn_layer = OpDef(
    "_rnn_layer",
    inputs=("data", "i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias", "state", "state_cell",
            "h2r_weight"),
    optional=("state_cell", "h2r_weight"), params=_LAYER_PARAMS,
    shape=_rnn_layer_shape, grad=_rnn_layer_grad,
    formula="(y, h_T[, c_T]) = one recurrent layer over data, one direction",
    doc="One layer of the RNN op in one direction (state_cell for lstm, h2r_weight with a "
        "projection).",
    domain=Domain(dtypes=("float32", "float64"), make_inputs=_rnn_layer_inputs,
                  attrs=_LAYER_DOMAIN_ATTRS, rtol=1e-4, atol=1e-6),
    family="rnn")

_backward_rnn_layer = OpDef(
    "_backward_rnn_layer", inputs=("*data",), params=_LAYER_PARAMS,
    shape=lambda attrs, *shapes: [tuple(s) for s in shapes[:len(shapes) - (
        3 if attrs["mode"] == "lstm" else 2)]],
    grad=NO_GRAD,
    formula="gradients of _rnn_layer's inputs (backpropagation through time)",
    doc="The forward's inputs then its output gradients in; one gradient per forward input out.",
    domain=Domain(dtypes=("float32", "float64"), make_inputs=_backward_inputs,
                  attrs=_LAYER_DOMAIN_ATTRS, grad=False),
    family="rnn")


def _rnn_inputs(rng, dtype, attrs):
    mode, h, layers = attrs["mode"], attrs["state_size"], attrs["num_layers"]
    d = 2 if attrs.get("bidirectional") else 1
    proj = attrs.get("projection_size")
    p = proj or h
    t, n, c = 3, 2, 3
    size = rnn_param_size(mode, layers, c, h, d == 2, proj)
    arrays = [rng.uniform(-1, 1, (t, n, c)), rng.uniform(-0.5, 0.5, (size,)),
              rng.uniform(-1, 1, (layers * d, n, p))]
    if mode == "lstm":
        arrays.append(rng.uniform(-1, 1, (layers * d, n, h)))
    return [a.astype(dtype) for a in arrays]


RNN = OpDef(
    "RNN", inputs=("data", "parameters", "state", "state_cell"), optional=("state_cell",),
    params=(Param("state_size", Int, doc="size of the state of each layer"),
            Param("num_layers", Int, doc="number of stacked layers"),
            Param("bidirectional", Bool, False, "whether each layer also runs right-to-left"),
            Param("mode", Enum("gru", "lstm", "rnn_relu", "rnn_tanh"), doc="the type of RNN"),
            Param("p", Float, 0.0, "dropout rate on the outputs of each layer but the last"),
            Param("state_outputs", Bool, False, "also return the final states"),
            Param("projection_size", OptInt, None, "LSTM only: project h to this size"),
            Param("lstm_state_clip_min", OptFloat, None, "clip the LSTM cell state from below"),
            Param("lstm_state_clip_max", OptFloat, None, "clip the LSTM cell state from above"),
            Param("lstm_state_clip_nan", Bool, False, "accepted; clipping already stops NaN"),
            Param("use_sequence_length", Bool, False, "not supported (cuDNN only in MXNet)")),
    shape=_rnn_shape, compute=_rnn_compute,
    formula="(out, h_T, c_T) = stacked recurrent layers over data (time-major)",
    doc="A stack of RNN/LSTM/GRU layers over a time-major sequence, all parameters in one vector.",
    domain=Domain(dtypes=("float32", "float64"), make_inputs=_rnn_inputs,
                  attrs=[{"mode": "lstm", "state_size": 2, "num_layers": 2, "state_outputs": True},
                         {"mode": "gru", "state_size": 2, "num_layers": 1, "bidirectional": True},
                         {"mode": "rnn_tanh", "state_size": 3, "num_layers": 1}]),
    family="rnn")
