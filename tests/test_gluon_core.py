"""gluon's core: Parameter, ParameterDict, Block naming, save/load, hooks, summary.

Expected names, messages and reprs were recorded from real MXNet 1.9.1.
"""
import numpy as np
import pytest

import minimx as mx
from minimx import gluon
from minimx.gluon import nn


@pytest.fixture
def fresh_names():
    with mx.name.NameManager():
        yield


def test_auto_names_follow_mxnet_counters(fresh_names):
    a, b = nn.Dense(2), nn.Dense(3)
    s = nn.HybridSequential()
    with s.name_scope():
        s.add(nn.Dense(4), nn.Dense(5, activation="tanh"))
    assert (a.name, b.name, s.name) == ("dense0", "dense1", "hybridsequential0")
    assert [c.name for c in s._children.values()] == ["hybridsequential0_dense0",
                                                      "hybridsequential0_dense1"]
    assert list(s.collect_params().keys()) == [
        "hybridsequential0_dense0_weight", "hybridsequential0_dense0_bias",
        "hybridsequential0_dense1_weight", "hybridsequential0_dense1_bias"]
    assert s[1].act.prefix == "hybridsequential0_dense1_tanh_"


def test_explicit_prefix_and_custom_block(fresh_names):
    t = nn.HybridSequential(prefix="model_")
    with t.name_scope():
        t.add(nn.Dense(4))
    assert t.name == "model" and list(t.collect_params().keys()) == ["model_dense0_weight",
                                                                     "model_dense0_bias"]

    class Net(gluon.Block):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.fc = nn.Dense(3)
                self.w = self.params.get("w", shape=(2, 2))

        def forward(self, x):
            return self.fc(x)

    n = Net()
    assert n.name == "net0"
    assert list(n.collect_params().keys()) == ["net0_w", "net0_dense0_weight", "net0_dense0_bias"]
    assert sorted(n._collect_params_with_prefix()) == ["fc.bias", "fc.weight", "w"]
    assert list(n.collect_params(".*weight").keys()) == ["net0_dense0_weight"]
    shared = nn.Dense(3, params=n.fc.collect_params())
    assert shared.name == "dense0"
    assert shared.weight is n.fc.weight


def test_parameter_errors_say_what_to_do():
    p = gluon.Parameter("p", shape=(2, 0), allow_deferred_init=True)
    p.initialize()
    with pytest.raises(gluon.DeferredInitializationError, match="pass one batch of data"):
        p.data()
    q = gluon.Parameter("q", shape=(2, 3))
    with pytest.raises(RuntimeError, match="'q' has not been initialized"):
        q.data()
    with pytest.raises(mx.MXNetError, match="invalid shape"):
        gluon.Parameter("r", shape=(2, 0)).initialize()
    assert repr(q) == "Parameter q (shape=(2, 3), dtype=<class 'numpy.float32'>)"


def test_parameter_dict_get_merges_unknown_dims_and_rejects_conflicts():
    d = gluon.ParameterDict("pre_")
    x = d.get("x", shape=(2,))
    assert d.get("x") is x and repr(d) == (
        "pre_ (\n  Parameter pre_x (shape=(2,), dtype=<class 'numpy.float32'>)\n)")
    with pytest.raises(mx.MXNetError, match="desired '\\(3,\\)' vs stored '\\(2,\\)'"):
        d.get("x", shape=(3,))
    y = d.get("y", shape=(0, 3))
    d.get("y", shape=(4, 0))
    assert y.shape == (4, 3)


def test_several_contexts_hold_one_copy_each():
    q = gluon.Parameter("q", shape=(2, 3))
    q.initialize(ctx=[mx.cpu(0), mx.cpu(1)], init=mx.init.One())
    assert q.list_ctx() == [mx.cpu(0), mx.cpu(1)]
    assert q.data(mx.cpu(1)).context == mx.cpu(1)
    assert len(q.list_data()) == 2 and len(q.list_grad()) == 2
    with pytest.raises(RuntimeError, match="not initialized on context cpu\\(2\\)"):
        q.data(mx.cpu(2))
    q.list_data()[1][:] = 3
    np.testing.assert_allclose(q._reduce().asnumpy(), np.full((2, 3), 2.0))
    q.reset_ctx(mx.cpu(0))
    np.testing.assert_allclose(q.data().asnumpy(), np.full((2, 3), 2.0))


def test_constant_keeps_value_and_no_gradient():
    c = gluon.Constant("c", [1, 2, 3])
    c.initialize()
    assert c.grad_req == "null"
    np.testing.assert_array_equal(c.data().asnumpy(), [1, 2, 3])
    with pytest.warns(UserWarning, match="does not support grad_req"):
        c.grad_req = "write"
    assert c.grad_req == "null"


def test_gradients_reach_parameters_and_grad_req_add_accumulates():
    net = nn.Dense(3, in_units=4)
    net.initialize(mx.init.One())
    x = mx.nd.array(np.arange(8).reshape(2, 4))
    for _ in range(2):
        with mx.autograd.record():
            y = net(x).sum()
        y.backward()
    np.testing.assert_allclose(net.weight.grad().asnumpy(), np.tile(x.asnumpy().sum(0), (3, 1)))
    net.collect_params().setattr("grad_req", "add")
    for _ in range(2):
        with mx.autograd.record():
            y = net(x).sum()
        y.backward()
    np.testing.assert_allclose(net.bias.grad().asnumpy(), np.full(3, 4.0))
    net.collect_params().zero_grad()
    assert net.bias.grad().asnumpy().sum() == 0


def test_deferred_init_happens_at_first_call():
    net = nn.Dense(3)
    net.initialize()
    with pytest.raises(gluon.DeferredInitializationError):
        net.weight.data()
    assert net(mx.nd.ones((2, 2, 5))).shape == (2, 3)
    assert net.weight.shape == (3, 10)
    assert repr(net) == "Dense(10 -> 3, linear)"


def test_hybrid_block_rejects_plain_block_children():
    with pytest.raises(mx.MXNetError, match="HybridSequential instead"):
        nn.HybridSequential().add(nn.Sequential())


def test_attribute_type_may_not_change():
    net = nn.Sequential()
    net.fc = nn.Dense(2)
    with pytest.raises(TypeError, match="Changing attribute type"):
        net.fc = 3


def test_save_load_parameters_roundtrip_and_errors(tmp_path):
    net = nn.HybridSequential()
    net.add(nn.Dense(4, in_units=3, activation="relu"), nn.Dense(2, in_units=4))
    net.initialize(mx.init.Xavier())
    path = str(tmp_path / "net.params")
    net.save_parameters(path)
    assert sorted(mx.nd.load(path)) == ["0.bias", "0.weight", "1.bias", "1.weight"]
    other = nn.HybridSequential()
    other.add(nn.Dense(4, activation="relu"), nn.Dense(2))
    other.load_parameters(path)
    x = mx.nd.random.uniform(shape=(5, 3))
    np.testing.assert_allclose(other(x).asnumpy(), net(x).asnumpy(), rtol=1e-6)

    bigger = nn.HybridSequential()
    bigger.add(nn.Dense(4, in_units=3), nn.Dense(2, in_units=4), nn.Dense(1, in_units=2))
    with pytest.raises(mx.MXNetError, match="'2.weight' is missing"):
        bigger.load_parameters(path)
    bigger.load_parameters(path, allow_missing=True)
    smaller = nn.HybridSequential()
    smaller.add(nn.Dense(4, in_units=3))
    with pytest.raises(mx.MXNetError, match="ignore_extra"):
        smaller.load_parameters(path)
    smaller.load_parameters(path, ignore_extra=True)
    wrong = nn.HybridSequential()
    wrong.add(nn.Dense(5, in_units=3), nn.Dense(2, in_units=5))
    with pytest.raises(mx.MXNetError, match="shape incompatible"):
        wrong.load_parameters(path)


def test_load_parameters_casts_dtype_only_when_asked(tmp_path):
    net = nn.Dense(2, in_units=3)
    net.initialize()
    path = str(tmp_path / "d.params")
    net.save_parameters(path)
    half = nn.Dense(2, in_units=3, dtype="float16")
    with pytest.raises(mx.MXNetError, match="cast_dtype=True"):
        half.load_parameters(path)
    half.load_parameters(path, cast_dtype=True)
    assert half.weight.data().dtype == np.float16
    saved = nn.Dense(2, in_units=3, dtype="float16")
    saved.load_parameters(path, cast_dtype=True, dtype_source="saved")
    assert saved.weight.data().dtype == np.float32


def test_mxnet_written_mlp_params_reproduce_mxnet_output(fixtures_dir):
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="relu", in_units=5), nn.Dense(3, in_units=8))
    net.load_parameters(str(fixtures_dir / "mlp.params"))
    io = np.load(fixtures_dir / "mlp_io.npz")
    np.testing.assert_allclose(net(mx.nd.array(io["x"])).asnumpy(), io["y"], rtol=1e-4, atol=1e-6)


def test_legacy_full_name_files_load_through_the_prefix(tmp_path, fresh_names):
    net = nn.Dense(2, in_units=3)
    net.initialize()
    path = str(tmp_path / "legacy.params")
    with pytest.warns(UserWarning):
        net.save_params(path)
    assert sorted(mx.nd.load(path)) == ["bias", "weight"]
    again = nn.Dense(2, in_units=3)
    again.load_parameters(path)
    np.testing.assert_array_equal(again.weight.data().asnumpy(), net.weight.data().asnumpy())


def test_hooks_run_and_detach():
    net = nn.Dense(2, in_units=2)
    net.initialize()
    seen = []
    pre = net.register_forward_pre_hook(lambda b, inputs: seen.append(("pre", inputs[0].shape)))
    post = net.register_forward_hook(lambda b, inputs, out: seen.append(("post", out.shape)))
    net(mx.nd.ones((1, 2)))
    pre.detach()
    post.detach()
    net(mx.nd.ones((1, 2)))
    assert seen == [("pre", (1, 2)), ("post", (1, 2))]


def test_apply_visits_children_first():
    net = nn.Sequential()
    net.add(nn.Dense(1), nn.Dense(2))
    order = []
    net.apply(lambda b: order.append(type(b).__name__))
    assert order == ["Dense", "Dense", "Sequential"]


def test_summary_prints_mxnet_table(capsys):
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="relu", in_units=5), nn.Dense(3, in_units=8))
    net.initialize()
    net.summary(mx.nd.ones((2, 5)))
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "        Layer (type)                                Output Shape         Param #"
    assert out[3] == "               Input                                      (2, 5)               0"
    assert out[4].split() == ["Activation-1", "(2,", "8)", "0"]
    assert out[5].split() == ["Dense-2", "(2,", "8)", "48"]
    assert out[6].split() == ["Dense-3", "(2,", "3)", "27"]
    assert "   Total params: 75" in out and "Unique parameters in model: 75" in out


def test_summary_counts_shared_parameters(capsys):
    class Twice(gluon.Block):
        def __init__(self):
            super().__init__()
            with self.name_scope():
                self.a = nn.Dense(4, in_units=4)

        def forward(self, x):
            return self.a(self.a(x))

    net = Twice()
    net.initialize()
    net.summary(mx.nd.ones((2, 4)))
    out = capsys.readouterr().out
    assert "Shared params in forward computation graph: 20" in out
    assert "Unique parameters in model: 20" in out


def test_sequential_slicing_and_repr():
    net = nn.Sequential()
    net.add(nn.Dense(3, in_units=2), nn.Dense(4, in_units=3), nn.Dense(5, in_units=4))
    assert len(net) == 3 and isinstance(net[1], nn.Dense)
    head = net[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    assert repr(head) == ("Sequential(\n  (0): Dense(2 -> 3, linear)\n  (1): Dense(3 -> 4, linear)\n)")


def test_cast_changes_parameter_dtypes():
    net = nn.Dense(2, in_units=3)
    net.initialize()
    net.cast("float64")
    assert net.weight.data().dtype == np.float64 and net.weight.grad().dtype == np.float64
    assert net(mx.nd.ones((1, 3), dtype="float64")).dtype == np.float64
