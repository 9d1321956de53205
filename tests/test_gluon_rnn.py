"""gluon.rnn: layers and cells against values recorded with real MXNet 1.9.1, names, formats,
hybridization, and float64 finite-difference gradients of every cell type and of the RNN op."""
import numpy as np
import pytest

import minimx as mx
from minimx import autograd
from minimx.gluon import nn, rnn
from minimx.ops.rnn import rnn_param_size
from gluon_rnn_mxnet_values import MXNET
from numeric import central_differences


# -- the deterministic values the recording used (see gluon_rnn_mxnet_values.py) ----------------
def fill(shape, name):
    k = sum(map(ord, name)) % 17
    return (np.sin(np.arange(int(np.prod(shape))) * 0.7 + k) * 0.5).reshape(shape).astype("float32")


def xin(shape):
    return (np.cos(np.arange(int(np.prod(shape))) * 0.3) * 0.8).reshape(shape).astype("float32")


def set_params(block):
    for name, p in block.collect_params().items():
        p.set_data(mx.nd.array(fill(p.shape, name[len(block.prefix):])))


def check(key, array):
    shape, values = MXNET[key]
    assert array.shape == shape, key
    np.testing.assert_allclose(array.asnumpy().ravel(), values, atol=2e-6, err_msg=key)


LAYERS = {
    "lstm_bi2": (lambda: rnn.LSTM(3, num_layers=2, bidirectional=True, input_size=4),
                 "LSTM(4 -> 3, TNC, num_layers=2, bidirectional)"),
    "gru_ntc": (lambda: rnn.GRU(3, layout="NTC", input_size=4), "GRU(4 -> 3, NTC)"),
    "rnn_tanh2": (lambda: rnn.RNN(3, num_layers=2, activation="tanh", input_size=4),
                  "RNN(4 -> 3, TNC, num_layers=2)"),
    "rnn_relu": (lambda: rnn.RNN(3, activation="relu", input_size=4), "RNN(4 -> 3, TNC)"),
    "gru_bi2": (lambda: rnn.GRU(3, num_layers=2, bidirectional=True, input_size=4),
                "GRU(4 -> 3, TNC, num_layers=2, bidirectional)"),
}


# -- layers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("hybridize", [False, True])
@pytest.mark.parametrize("case", sorted(LAYERS))
def test_layer_matches_mxnet(case, hybridize):
    make, text = LAYERS[case]
    net = make()
    net.initialize()
    assert repr(net) == text
    if hybridize:
        net.hybridize()
    set_params(net)
    x = mx.nd.array(xin((2, 3, 4) if net._layout == "NTC" else (3, 2, 4)))
    out = net(x)                                   # no states given: only the output comes back
    assert isinstance(out, mx.nd.NDArray)
    check(case + " out", out)
    states = net.begin_state(x.shape[net._layout.find("N")])
    states = [mx.nd.array(fill(s.shape, "state%d" % i)) for i, s in enumerate(states)]
    out, new_states = net(x, states)
    check(case + " out_s", out)
    assert len(new_states) == len(states)
    for i, h in enumerate(new_states):
        check(case + " h%d" % i, h)


def test_lstm_projection_matches_mxnet():
    net = rnn.LSTM(4, projection_size=2, input_size=3)
    net.initialize()
    assert [p.shape for p in net.collect_params().values()] == [(16, 3), (16, 2), (16,), (16,),
                                                                 (2, 4)]
    assert list(net.collect_params())[-1] == net.prefix + "l0_h2r_weight"
    assert [s["shape"] for s in net.state_info(2)] == [(1, 2, 2), (1, 2, 4)]
    set_params(net)
    out, (h, c) = net(mx.nd.array(xin((3, 2, 3))), net.begin_state(2))
    check("proj out", out)
    check("proj h0", h)
    check("proj h1", c)


def test_lstm_state_clip_bounds_the_cell_state():
    """NB: MXNet 1.9.1's CPU kernel ignores the clip (cuDNN applies it); minimx clips as documented."""
    net = rnn.LSTM(3, num_layers=2, input_size=4, state_clip_min=-0.1, state_clip_max=0.1)
    net.initialize()
    set_params(net)
    states = [mx.nd.array(fill(s.shape, "state%d" % i)) for i, s in enumerate(net.begin_state(2))]
    out, (h, c) = net(mx.nd.array(xin((3, 2, 4))), states)
    assert np.abs(c.asnumpy()).max() <= 0.1 + 1e-7
    assert np.abs(out.asnumpy()).max() <= np.tanh(0.1) + 1e-7


def test_layer_parameter_names_follow_mxnet():
    net = rnn.LSTM(3, num_layers=2, bidirectional=True)
    p = net.prefix
    assert list(net.collect_params()) == [
        p + f"{d}{layer}_{k}" for layer in range(2) for d in "lr"
        for k in ("i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias")]
    assert net.l0_i2h_weight.shape == (12, 0) and net.l1_i2h_weight.shape == (12, 6)
    assert repr(net) == "LSTM(None -> 3, TNC, num_layers=2, bidirectional)"
    assert repr(rnn.GRU(5, dropout=0.5, num_layers=2)) == "GRU(None -> 5, TNC, num_layers=2, dropout=0.5)"


def test_save_parameters_uses_mxnet_file_names(tmp_path):
    """MXNet 1.9.1 writes _unfused.<layer>[.<l|r>_cell].<kind> for these layers; both ways load."""
    uni, bi = rnn.GRU(3, input_size=4), rnn.LSTM(3, num_layers=2, bidirectional=True, input_size=4)
    for net in (uni, bi):
        net.initialize()
        set_params(net)
    uni.save_parameters(str(tmp_path / "uni.params"))
    bi.save_parameters(str(tmp_path / "bi.params"))
    assert sorted(mx.nd.load(str(tmp_path / "uni.params"))) == [
        "_unfused.0.h2h_bias", "_unfused.0.h2h_weight", "_unfused.0.i2h_bias", "_unfused.0.i2h_weight"]
    keys = sorted(mx.nd.load(str(tmp_path / "bi.params")))
    assert keys[:4] == ["_unfused.0.l_cell.h2h_bias", "_unfused.0.l_cell.h2h_weight",
                        "_unfused.0.l_cell.i2h_bias", "_unfused.0.l_cell.i2h_weight"]
    assert len(keys) == 16 and keys[-1] == "_unfused.1.r_cell.i2h_weight"
    again = rnn.LSTM(3, num_layers=2, bidirectional=True)          # deferred shapes, filled by load
    again.load_parameters(str(tmp_path / "bi.params"))
    x = mx.nd.array(xin((3, 2, 4)))
    np.testing.assert_allclose(again(x).asnumpy(), bi(x).asnumpy())
    check("lstm_bi2 out", again(x))


def test_layer_deferred_input_size_and_shapes():
    net = rnn.LSTM(5, num_layers=2, layout="NTC", bidirectional=True)
    net.initialize()
    out, (h, c) = net(mx.nd.ones((4, 7, 3)), net.begin_state(4))
    assert out.shape == (4, 7, 10) and h.shape == c.shape == (4, 4, 5)
    assert net.l0_i2h_weight.shape == (20, 3) and net.r1_i2h_weight.shape == (20, 10)
    with pytest.raises(ValueError, match="Invalid recurrent state shape"):
        net(mx.nd.ones((4, 7, 3)), net.begin_state(3))


@pytest.mark.parametrize("make", [
    lambda: rnn.GRU(3, num_layers=2, input_size=4, dropout=0.3),
    lambda: rnn.LSTM(3, bidirectional=True, input_size=4),
    lambda: rnn.RNN(3, activation="tanh", input_size=4)], ids=["gru", "lstm_bi", "rnn"])
def test_layer_equals_its_unfused_stack_of_cells(make):
    net = make()
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(xin((5, 2, 4)))
    stack = net._unfuse()
    assert list(stack.collect_params()) == list(net.collect_params())
    out, _ = stack.unroll(5, x, layout="TNC", merge_outputs=True)
    np.testing.assert_allclose(out.asnumpy(), net(x).asnumpy(), rtol=1e-5, atol=1e-6)


def test_begin_state_names_func_and_kwargs():
    net = rnn.LSTM(3, num_layers=2, prefix="lm_")
    states = net.begin_state(4, func=mx.nd.ones, dtype="float64")
    assert [s.shape for s in states] == [(2, 4, 3), (2, 4, 3)]
    assert states[0].dtype == np.float64 and states[0].asnumpy().min() == 1
    syms = net.begin_state(0, func=mx.sym.var)
    assert [s.name for s in syms] == ["lm_h0_0", "lm_h0_1"]
    cell = rnn.GRUCell(4, prefix="g_")
    assert [s.name for s in cell.begin_state(2, func=mx.sym.var)] == ["g_begin_state_0"]
    assert [s.name for s in cell.begin_state(2, func=mx.sym.var)] == ["g_begin_state_1"]


def test_layer_dropout_only_while_training():
    mx.random.seed(3)
    net = rnn.GRU(8, num_layers=2, dropout=0.5, input_size=4)
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(xin((5, 2, 4)))
    a, b = net(x).asnumpy(), net(x).asnumpy()
    np.testing.assert_array_equal(a, b)
    with autograd.record():
        c = net(x).asnumpy()
    assert not np.allclose(a, c)


class _Tagger(mx.gluon.HybridBlock):
    """Embedding -> LSTM (no states given) -> Dense: the usual hybridized sequence model."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.emb = nn.Embedding(10, 4)
            self.lstm = rnn.LSTM(5, num_layers=2, layout="NTC", bidirectional=True)
            self.out = nn.Dense(3, flatten=False)

    def hybrid_forward(self, F, x):
        return self.out(self.lstm(self.emb(x)))


def test_hybridized_layer_in_a_model_matches_imperative_with_gradients(tmp_path):
    results = []
    for hybridize in (False, True):
        mx.random.seed(0)
        net = _Tagger()
        net.initialize(mx.init.Xavier())
        if hybridize:
            net.hybridize()
        x = mx.nd.array([[1, 2, 3], [4, 5, 6]])
        with autograd.record():
            y = net(x)
            loss = (y * y).sum()
        loss.backward()
        results.append((y.asnumpy(), net.lstm.l0_i2h_weight.grad().asnumpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5, atol=1e-6)
    sym_file, _ = net.export(str(tmp_path / "tagger"))
    assert '"op": "RNN"' in open(sym_file).read()


# -- cells ----------------------------------------------------------------------------------------
CELLS = {
    "lstmcell": (lambda: rnn.LSTMCell(3, input_size=4), "LSTMCell(4 -> 12)", "lstm", 2),
    "grucell": (lambda: rnn.GRUCell(3, input_size=4), "GRUCell(4 -> 9)", "gru", 1),
    "rnncell": (lambda: rnn.RNNCell(3, input_size=4), "RNNCell(4 -> 3, tanh)", "rnn", 1),
    "rnnrelu": (lambda: rnn.RNNCell(3, activation="relu", input_size=4), "RNNCell(4 -> 3, relu)",
                "rnn", 1),
}


@pytest.mark.parametrize("hybridize", [False, True])
@pytest.mark.parametrize("case", sorted(CELLS))
def test_cell_unroll_matches_mxnet(case, hybridize):
    make, text, alias, n_states = CELLS[case]
    cell = make()
    cell.initialize()
    assert repr(cell) == text and cell.prefix.startswith(alias)
    assert [k[len(cell.prefix):] for k in cell.collect_params()] == [
        "i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias"]
    assert cell.state_info(2) == [{"shape": (2, 3), "__layout__": "NC"}] * n_states
    if hybridize:
        cell.hybridize()
    set_params(cell)
    x = mx.nd.array(xin((2, 3, 4)))
    out, states = cell.unroll(3, x, layout="NTC", merge_outputs=True)
    check(case + " out", out)
    for i, s in enumerate(states):
        check(case + " s%d" % i, s)
    out, states = cell.unroll(3, x, layout="NTC", merge_outputs=True,
                              valid_length=mx.nd.array([2, 3]))
    check(case + " vl out", out)
    for i, s in enumerate(states):
        check(case + " vl s%d" % i, s)


def test_unroll_input_and_output_forms():
    cell = rnn.GRUCell(3, input_size=4)
    cell.initialize()
    set_params(cell)
    x = mx.nd.array(xin((2, 3, 4)))
    merged, _ = cell.unroll(3, x, layout="NTC", merge_outputs=True)
    steps, _ = cell.unroll(3, x, layout="NTC", merge_outputs=False)
    assert isinstance(steps, list) and len(steps) == 3 and steps[0].shape == (2, 3)
    # merge_outputs=None: a cell's own unroll gives a list of steps (MXNet does the same).
    tnc, _ = cell.unroll(3, mx.nd.swapaxes(x, 0, 1), layout="TNC")
    from_list, _ = cell.unroll(3, [x[:, t] for t in range(3)])
    assert isinstance(tnc, list) and isinstance(from_list, list)
    for t in range(3):
        np.testing.assert_allclose(steps[t].asnumpy(), merged.asnumpy()[:, t], atol=1e-6)
        np.testing.assert_allclose(tnc[t].asnumpy(), merged.asnumpy()[:, t], atol=1e-6)
        np.testing.assert_allclose(from_list[t].asnumpy(), merged.asnumpy()[:, t], atol=1e-6)
    # Stepping by hand gives the same as unroll.
    states = cell.begin_state(2)
    for t in range(3):
        out, states = cell(x[:, t], states)
    np.testing.assert_allclose(out.asnumpy(), merged.asnumpy()[:, 2], atol=1e-6)


def test_sequential_dropout_residual_stack_matches_mxnet():
    seq = rnn.SequentialRNNCell()
    with seq.name_scope():
        seq.add(rnn.LSTMCell(3, input_size=4))
        seq.add(rnn.DropoutCell(0.5))
        seq.add(rnn.ResidualCell(rnn.GRUCell(3, input_size=3)))
    seq.initialize()
    assert [k[len(seq.prefix):] for k in seq.collect_params()] == [
        "lstm0_i2h_weight", "lstm0_h2h_weight", "lstm0_i2h_bias", "lstm0_h2h_bias",
        "gru0_i2h_weight", "gru0_h2h_weight", "gru0_i2h_bias", "gru0_h2h_bias"]
    assert repr(seq) == ("SequentialRNNCell(\n(0): LSTMCell(4 -> 12)\n(1): DropoutCell(rate=0.5, "
                         "axes=())\n(2): ResidualCell(GRUCell(3 -> 9))\n)")
    assert len(seq) == 3 and isinstance(seq[1], rnn.DropoutCell)
    set_params(seq)
    outs, states = seq.unroll(3, mx.nd.array(xin((2, 3, 4))), layout="NTC", merge_outputs=False)
    for i, o in enumerate(outs):
        check("seq out%d" % i, o)
    for i, s in enumerate(states):
        check("seq s%d" % i, s)


def test_hybrid_sequential_cell_steps_and_unrolls_like_sequential():
    outs = []
    for klass in (rnn.SequentialRNNCell, rnn.HybridSequentialRNNCell):
        stack = klass(prefix="stack_")
        with stack.name_scope():
            stack.add(rnn.LSTMCell(3, input_size=4))
            stack.add(rnn.RNNCell(3, input_size=3))
        stack.initialize()
        set_params(stack)
        if klass is rnn.HybridSequentialRNNCell:
            stack.hybridize()
        out, states = stack.unroll(3, mx.nd.array(xin((2, 3, 4))), merge_outputs=True)
        assert [s.shape for s in states] == [(2, 3)] * 3
        outs.append(out.asnumpy())
    np.testing.assert_allclose(outs[0], outs[1], atol=1e-6)


@pytest.mark.parametrize("valid", [False, True])
def test_bidirectional_cell_matches_mxnet(valid):
    bi = rnn.BidirectionalCell(rnn.LSTMCell(3, input_size=4, prefix="l_"),
                               rnn.GRUCell(3, input_size=4, prefix="r_"))
    bi.initialize()
    assert repr(bi) == "BidirectionalCell(forward=LSTMCell(4 -> 12), backward=GRUCell(4 -> 9))"
    assert list(bi.collect_params())[::4] == ["l_i2h_weight", "r_i2h_weight"]
    set_params(bi)
    kwargs = {"valid_length": mx.nd.array([3, 2])} if valid else {}
    tag = "bi vl" if valid else "bi"
    out, states = bi.unroll(3, mx.nd.array(xin((3, 2, 4))), layout="TNC", merge_outputs=True,
                            **kwargs)
    check(tag + " out", out)
    for i, s in enumerate(states):
        check(tag + " s%d" % i, s)
    with pytest.raises(NotImplementedError):
        bi(mx.nd.ones((2, 4)), bi.begin_state(batch_size=2))


def test_modifier_cells_names_and_rules():
    z = rnn.ZoneoutCell(rnn.RNNCell(3, input_size=4, prefix="rnn9_"), 0.5, 0.5)
    assert z.prefix == "rnn9_zoneout"
    assert repr(z) == "ZoneoutCell(p_out=0.5, p_state=0.5, RNNCell(4 -> 3, tanh))"
    assert list(z.collect_params()) == ["rnn9_i2h_weight", "rnn9_h2h_weight", "rnn9_i2h_bias",
                                        "rnn9_h2h_bias"]
    r = rnn.ResidualCell(rnn.RNNCell(4, input_size=4, prefix="rnn8_"))
    assert r.prefix == "rnn8_residualcell" and repr(r) == "ResidualCell(RNNCell(4 -> 4, tanh))"
    assert repr(rnn.DropoutCell(0.3)) == "DropoutCell(rate=0.3, axes=())"
    with pytest.raises(AssertionError, match="modifier"):
        z.base_cell.begin_state(2)
    with pytest.raises(AssertionError, match="already modified"):
        rnn.ResidualCell(z.base_cell)
    assert [s.shape for s in z.begin_state(batch_size=2)] == [(2, 3)]


def test_zoneout_keeps_old_values_only_while_training():
    mx.random.seed(1)
    base = rnn.RNNCell(6, input_size=4)
    z = rnn.ZoneoutCell(base, zoneout_outputs=0.5, zoneout_states=0.5)
    z.initialize(mx.init.Xavier())
    x = mx.nd.array(xin((2, 3, 4)))
    plain, _ = z.unroll(3, x, merge_outputs=True)
    base._modified = False
    ref, _ = base.unroll(3, x, merge_outputs=True)
    base._modified = True
    np.testing.assert_allclose(plain.asnumpy(), ref.asnumpy(), atol=1e-6)
    with autograd.record():
        out, _ = z.unroll(3, x, merge_outputs=True)
    out = out.asnumpy()
    first = out[:, 0]      # step 0: either the new output or the (zero) previous one
    new0 = ref.asnumpy()[:, 0]
    assert np.all(np.isclose(first, new0, atol=1e-6) | (first == 0))
    assert (first == 0).any() and (first != 0).any()


def test_residual_cell_adds_the_input():
    base = rnn.GRUCell(4, input_size=4)
    res = rnn.ResidualCell(base)
    res.initialize(mx.init.Xavier())
    x = mx.nd.array(xin((2, 3, 4)))
    out, _ = res.unroll(3, x, merge_outputs=True)
    base._modified = False
    plain, _ = base.unroll(3, x, merge_outputs=True)
    np.testing.assert_allclose(out.asnumpy(), plain.asnumpy() + x.asnumpy(), atol=1e-6)


# -- gradients (float64 central differences) ------------------------------------------------------
def _states64(cell):
    # begin_state's default dtype is float32 (MXNet's too): float64 cells need theirs passed.
    return cell.begin_state(batch_size=2, dtype="float64")


def _cell_loss_and_grads(cell, x, weights):
    """loss = sum(unroll(x) * weights) and its autograd gradients wrt x and every Parameter."""
    params = list(cell.collect_params().values())
    x = mx.nd.array(x, dtype="float64")
    x.attach_grad()
    with autograd.record():
        out, states = cell.unroll(3, x, begin_state=_states64(cell), merge_outputs=True)
        loss = (out * mx.nd.array(weights, dtype="float64")).sum() + sum(s.sum() for s in states)
    loss.backward()
    return [x.grad.asnumpy()] + [p.grad().asnumpy() for p in params]


@pytest.mark.parametrize("make", [
    lambda: rnn.RNNCell(3, input_size=2), lambda: rnn.RNNCell(3, "relu", input_size=2),
    lambda: rnn.LSTMCell(3, input_size=2), lambda: rnn.GRUCell(3, input_size=2),
    lambda: rnn.ResidualCell(rnn.GRUCell(2, input_size=2)),
    lambda: rnn.BidirectionalCell(rnn.LSTMCell(2, input_size=2), rnn.RNNCell(2, input_size=2)),
], ids=["rnn_tanh", "rnn_relu", "lstm", "gru", "residual", "bidirectional"])
def test_cell_gradients_match_finite_differences(make):
    rng = np.random.default_rng(0)
    cell = make()
    cell.initialize(mx.init.Uniform(0.5))
    cell.cast("float64")
    x = rng.uniform(-1, 1, (2, 3, 2))
    out_dim = cell.unroll(3, mx.nd.array(x, dtype="float64"), begin_state=_states64(cell),
                          merge_outputs=True)[0].shape                # also finishes deferred init
    params = list(cell.collect_params().values())
    weights = rng.uniform(-1, 1, out_dim)
    grads = _cell_loss_and_grads(cell, x, weights)

    def loss_of(values, i):
        if i == 0:
            xx = values
        else:
            xx = x
            params[i - 1].set_data(mx.nd.array(values, dtype="float64"))
        out, states = cell.unroll(3, mx.nd.array(xx, dtype="float64"),
                                  begin_state=_states64(cell), merge_outputs=True)
        return float((out.asnumpy() * weights).sum() + sum(s.asnumpy().sum() for s in states))

    originals = [x] + [p.data().asnumpy() for p in params]
    for i, value in enumerate(originals):
        numeric = central_differences(lambda v: loss_of(v, i), value.copy())
        if i:
            params[i - 1].set_data(mx.nd.array(value, dtype="float64"))
        np.testing.assert_allclose(grads[i], numeric, rtol=1e-5, atol=1e-7,
                                   err_msg=f"input {i}")


@pytest.mark.parametrize("attrs", [
    {"mode": "lstm", "num_layers": 2, "bidirectional": True},
    {"mode": "lstm", "num_layers": 1, "projection_size": 2, "state_size": 3},
    {"mode": "gru", "num_layers": 2},
    {"mode": "rnn_tanh", "num_layers": 1, "bidirectional": True},
    {"mode": "rnn_relu", "num_layers": 2},
], ids=["lstm_bi2", "lstm_proj", "gru2", "tanh_bi", "relu2"])
def test_rnn_op_gradients_match_finite_differences(attrs):
    rng = np.random.default_rng(1)
    attrs = dict({"state_size": 2, "bidirectional": False, "state_outputs": True}, **attrs)
    d = 2 if attrs["bidirectional"] else 1
    h, p = attrs["state_size"], attrs.get("projection_size") or attrs["state_size"]
    size = rnn_param_size(attrs["mode"], attrs["num_layers"], 3, h, d == 2,
                          attrs.get("projection_size"))
    inputs = [rng.uniform(-1, 1, (3, 2, 3)), rng.uniform(-0.8, 0.8, (size,)),
              rng.uniform(-1, 1, (attrs["num_layers"] * d, 2, p))]
    if attrs["mode"] == "lstm":
        inputs.append(rng.uniform(-1, 1, (attrs["num_layers"] * d, 2, h)))
    if attrs["mode"] == "rnn_relu":
        inputs[1] = np.abs(inputs[1]) * 0.5 + 0.05     # keep pre-activations away from the kink

    def run(arrays):
        outs = mx.nd.RNN(*arrays, **attrs)
        return sum((o * mx.nd.array(np.cos(np.arange(o.size)).reshape(o.shape), dtype="float64"))
                   .sum() for o in outs)

    arrays = [mx.nd.array(a, dtype="float64") for a in inputs]
    for a in arrays:
        a.attach_grad()
    with autograd.record():
        loss = run(arrays)
    loss.backward()
    for i, value in enumerate(inputs):
        def f(v, i=i):
            trial = [mx.nd.array(v if j == i else a, dtype="float64") for j, a in enumerate(inputs)]
            return float(run(trial).asscalar())
        np.testing.assert_allclose(arrays[i].grad.asnumpy(), central_differences(f, value.copy()),
                                   rtol=1e-5, atol=1e-7, err_msg=f"input {i}")


def test_rnn_op_checks_its_inputs():
    with pytest.raises(mx.MXNetError, match="parameters has shape"):
        mx.nd.RNN(mx.nd.ones((3, 2, 4)), mx.nd.ones((10,)), mx.nd.zeros((1, 2, 3)),
                  state_size=3, num_layers=1, mode="gru")
    with pytest.raises(mx.MXNetError, match="state has shape"):
        mx.nd.RNN(mx.nd.ones((3, 2, 4)), mx.nd.ones((rnn_param_size("gru", 1, 4, 3),)),
                  mx.nd.zeros((1, 3, 3)), state_size=3, num_layers=1, mode="gru")
    out = mx.nd.RNN(mx.nd.ones((3, 2, 4)), mx.nd.ones((rnn_param_size("gru", 1, 4, 3),)),
                    mx.nd.zeros((1, 2, 3)), state_size=3, num_layers=1, mode="gru")
    assert isinstance(out, mx.nd.NDArray) and out.shape == (3, 2, 3)   # state_outputs=False
    sym = mx.sym.RNN(mx.sym.var("x"), mx.sym.var("p"), mx.sym.var("h"), mx.sym.var("c"),
                     state_size=3, num_layers=1, mode="lstm", state_outputs=True)
    assert len(sym.list_outputs()) == 3
    shapes = sym.infer_shape(x=(5, 2, 4), p=(rnn_param_size("lstm", 1, 4, 3),), h=(1, 2, 3),
                             c=(1, 2, 3))[1]
    assert shapes == [(5, 2, 3), (1, 2, 3), (1, 2, 3)]


class _CellModel(mx.gluon.HybridBlock):
    """Cells unrolled inside hybrid_forward, begin states left to unroll (traced: built from x)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.stack = rnn.HybridSequentialRNNCell()
            self.stack.add(rnn.LSTMCell(5))
            self.stack.add(rnn.ResidualCell(rnn.GRUCell(5)))
            self.bi = rnn.BidirectionalCell(rnn.RNNCell(3), rnn.RNNCell(3))

    def hybrid_forward(self, F, x, valid_length):
        out, states = self.stack.unroll(3, x, layout="NTC", merge_outputs=True)
        out, more = self.bi.unroll(3, out, layout="NTC", merge_outputs=True,
                                   valid_length=valid_length)
        return out, states + more


def test_cells_unrolled_in_a_hybridized_block_match_imperative():
    results = []
    for hybridize in (False, True):
        mx.random.seed(0)
        net = _CellModel()
        net.initialize(mx.init.Xavier())
        if hybridize:
            net.hybridize()
        x = mx.nd.array(xin((2, 3, 4)))
        with autograd.record():
            out, states = net(x, mx.nd.array([3, 2]))
            loss = out.sum() + sum(s.sum() for s in states)
        loss.backward()
        assert out.shape == (2, 3, 6) and [s.shape for s in states] == [(2, 5)] * 3 + [(2, 3)] * 2
        results.append([out.asnumpy()] + [s.asnumpy() for s in states] +
                       [p.grad().asnumpy() for p in net.collect_params().values()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
