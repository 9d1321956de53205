"""The fused recurrent op ``RNN``: stacked (bidirectional) Elman RNN, LSTM and GRU layers in one call.

MXNet runs ``RNN`` as one fused kernel (cuDNN on GPUs, a hand-written loop on CPUs). Here it is a
composite: its body unrolls the recurrence with ``FullyConnected``, ``split``, activations and
elementwise ops, so its gradient is the gradient of those ops (autograd records them one by one)
and every backend runs it. NB: MXNet's fused kernel is much faster; the numbers are the same.

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
from .opdef import Domain, OpDef, Param, fail
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


def _step(F, attrs, x_proj, h, c, w):
    """One time step of one direction: (x part of the gates, previous h, c) -> new (h, c)."""
    mode, size = attrs["mode"], attrs["state_size"]
    g = _GATES[mode]
    h_proj = F.FullyConnected(h, w["h2h_weight"], w["h2h_bias"], num_hidden=g * size)
    if mode in ("rnn_tanh", "rnn_relu"):
        return F.Activation(x_proj + h_proj, act_type=mode[4:]), None
    if mode == "gru":
        xr, xz, xn = F.split(x_proj, num_outputs=3, axis=1)
        hr, hz, hn = F.split(h_proj, num_outputs=3, axis=1)
        r = F.sigmoid(xr + hr)
        z = F.sigmoid(xz + hz)
        n = F.tanh(xn + r * hn)
        return (1 - z) * n + z * h, None
    i, f, cand, o = F.split(x_proj + h_proj, num_outputs=4, axis=1)
    c = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(cand)
    if attrs["lstm_state_clip_min"] is not None and attrs["lstm_state_clip_max"] is not None:
        c = F.clip(c, attrs["lstm_state_clip_min"], attrs["lstm_state_clip_max"])
    h = F.sigmoid(o) * F.tanh(c)
    if "h2r_weight" in w:
        h = F.FullyConnected(h, w["h2r_weight"], no_bias=True, num_hidden=attrs["projection_size"])
    return h, c


def _rnn_compute(F, attrs, data, parameters, state, state_cell=None):
    mode, h_size, layers = attrs["mode"], attrs["state_size"], attrs["num_layers"]
    g, d = _GATES[mode], 2 if attrs["bidirectional"] else 1
    steps, batch, _ = data.shape
    cells = _unpack(F, attrs, parameters, data.shape[2])
    h0 = F.split(state, num_outputs=layers * d, axis=0, squeeze_axis=True) \
        if layers * d > 1 else [F.reshape(state, shape=state.shape[1:])]
    c0 = None
    if mode == "lstm":
        c0 = F.split(state_cell, num_outputs=layers * d, axis=0, squeeze_axis=True) \
            if layers * d > 1 else [F.reshape(state_cell, shape=state_cell.shape[1:])]
    x, h_last, c_last = data, [], []
    for layer in range(layers):
        # The input half of every step's gates at once: one big product instead of T small ones.
        outs = []
        for direction in range(d):
            k = layer * d + direction
            w = cells[k]
            x_proj = F.FullyConnected(F.reshape(x, shape=(steps * batch, -1)), w["i2h_weight"],
                                      w["i2h_bias"], num_hidden=g * h_size)
            x_proj = F.reshape(x_proj, shape=(steps, batch, g * h_size))
            h, c = h0[k], (c0[k] if c0 is not None else None)
            seq = [None] * steps
            order = range(steps) if direction == 0 else range(steps - 1, -1, -1)
            for t in order:
                xt = F.reshape(F.slice_axis(x_proj, axis=0, begin=t, end=t + 1),
                               shape=(batch, g * h_size))
                h, c = _step(F, attrs, xt, h, c, w)
                seq[t] = h
            outs.append(F.stack(*seq, axis=0))
            h_last.append(h)
            c_last.append(c)
        x = outs[0] if d == 1 else F.concat(*outs, dim=2)
        if attrs["p"] > 0 and layer < layers - 1:
            x = F.Dropout(x, p=attrs["p"])
    if not attrs["state_outputs"]:
        return x
    result = [x, F.stack(*h_last, axis=0)]
    if mode == "lstm":
        result.append(F.stack(*c_last, axis=0))
    return result


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
