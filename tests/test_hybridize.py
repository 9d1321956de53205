"""hybridize(): the traced graph gives the imperative results; export/SymbolBlock interoperate
with files written by real MXNet 1.9.1."""
import numpy as np
import pytest

import minimx as mx
from minimx import autograd, gluon
from minimx.gluon import nn


def _lenet():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(6, 5, padding=2, activation="relu"), nn.BatchNorm(), nn.MaxPool2D(2),
                nn.Conv2D(16, 5, activation="relu"), nn.AvgPool2D(2), nn.Flatten(),
                nn.Dense(32, activation="tanh"), nn.Dense(10))
    return net


def _twin(make, x):
    """The same network twice with the same weights: one imperative, one hybridized."""
    a = make()
    a.initialize(mx.init.Xavier())
    a(x)
    b = make()
    b.initialize()
    b(x)
    for pa, pb in zip(a.collect_params().values(), b.collect_params().values()):
        pb.set_data(pa.data())
    b.hybridize()
    return a, b


def test_hybridized_lenet_matches_imperative_values_gradients_and_running_stats():
    x = mx.nd.random.uniform(shape=(4, 1, 28, 28))
    a, b = _twin(_lenet, x)
    np.testing.assert_allclose(b(x).asnumpy(), a(x).asnumpy(), rtol=1e-6, atol=1e-7)
    assert b._cached_op is not None
    for net in (a, b):
        with autograd.record():
            loss = (net(x) ** 2).sum()
        loss.backward()
    for pa, pb in zip(a.collect_params().values(), b.collect_params().values()):
        if pa.grad_req != "null":
            np.testing.assert_allclose(pb.grad().asnumpy(), pa.grad().asnumpy(), rtol=1e-5,
                                       atol=1e-6)
        else:
            np.testing.assert_allclose(pb.data().asnumpy(), pa.data().asnumpy(), rtol=1e-6)


def test_deferred_shapes_are_inferred_from_the_graph():
    net = nn.HybridSequential()
    net.add(nn.Dense(7, activation="relu"), nn.Dense(3))
    net.initialize()
    net.hybridize()
    assert net(mx.nd.ones((2, 4, 5))).shape == (2, 3)
    assert net[0].weight.shape == (7, 20) and net[1].weight.shape == (3, 7)


class _UsesShape(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return x.reshape((x.shape[0], -1))


def test_shape_inside_hybrid_forward_explains_the_pitfall():
    block = _UsesShape()
    assert block(mx.nd.ones((2, 3, 4))).shape == (2, 12)       # imperative: fine
    block.hybridize()
    with pytest.raises(mx.MXNetError, match="x.shape is not available"):
        block(mx.nd.ones((2, 3, 4)))


def test_export_of_the_fixture_mlp_is_byte_identical_to_mxnets(fixtures_dir, tmp_path):
    net = nn.HybridSequential(prefix="mlp_")
    with net.name_scope():
        net.add(nn.Dense(8, activation="relu", in_units=5), nn.Dense(3, in_units=8))
    net.load_parameters(str(fixtures_dir / "mlp.params"))
    net.hybridize()
    io = np.load(fixtures_dir / "mlp_io.npz")
    np.testing.assert_allclose(net(mx.nd.array(io["x"])).asnumpy(), io["y"], rtol=1e-4, atol=1e-6)
    sym_file, params_file = net.export(str(tmp_path / "mlp"), epoch=0)
    assert open(sym_file).read() == (fixtures_dir / "mlp-symbol.json").read_text()
    assert open(params_file, "rb").read() == (fixtures_dir / "mlp-0000.params").read_bytes()


def test_export_needs_a_traced_graph():
    net = nn.Dense(2, in_units=2)
    net.initialize()
    with pytest.raises(mx.MXNetError, match="hybridize"):
        net.export("nowhere")


@pytest.mark.parametrize("name", ["mlp", "lenet"])
def test_symbolblock_imports_mxnet_exports(fixtures_dir, name):
    net = gluon.SymbolBlock.imports(str(fixtures_dir / f"{name}-symbol.json"), ["data"],
                                    str(fixtures_dir / f"{name}-0000.params"))
    io = np.load(fixtures_dir / f"{name}_io.npz")
    np.testing.assert_allclose(net(mx.nd.array(io["x"])).asnumpy(), io["y"], rtol=1e-4, atol=1e-5)


def test_exported_lenet_reimports_with_the_same_outputs(tmp_path):
    x = mx.nd.random.uniform(shape=(2, 1, 28, 28))
    net = _lenet()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    y = net(x)
    sym_file, params_file = net.export(str(tmp_path / "lenet"))
    again = gluon.SymbolBlock.imports(sym_file, ["data"], params_file)
    np.testing.assert_allclose(again(x).asnumpy(), y.asnumpy(), rtol=1e-6)
    assert "lenet" not in again.collect_params().keys()
    assert len(again.collect_params()) == len(net.collect_params())


_LAYERS = [
    (lambda: nn.Dense(5, activation="tanh"), (3, 4)),
    (lambda: nn.Dense(5, flatten=False), (2, 3, 4)),
    (lambda: nn.Conv1D(4, 3, padding=1), (2, 3, 9)),
    (lambda: nn.Conv2D(4, 3, strides=2, groups=1), (2, 3, 9, 9)),
    (lambda: nn.Conv2DTranspose(4, 3, strides=2), (2, 3, 5, 5)),
    (lambda: nn.MaxPool2D(3, 2, ceil_mode=True), (2, 3, 9, 9)),
    (lambda: nn.AvgPool1D(2), (2, 3, 8)),
    (lambda: nn.GlobalAvgPool2D(), (2, 3, 5, 5)),
    (lambda: nn.BatchNorm(), (4, 3, 5)),
    (lambda: nn.LayerNorm(), (4, 6)),
    (lambda: nn.InstanceNorm(), (2, 3, 5)),
    (lambda: nn.GroupNorm(num_groups=2), (2, 4, 5)),
    (lambda: nn.Embedding(10, 4), None),
    (lambda: nn.Flatten(), (2, 3, 4)),
    (lambda: nn.LeakyReLU(0.1), (3, 4)),
    (lambda: nn.PReLU(), (3, 4)),
    (lambda: nn.ELU(), (3, 4)),
    (lambda: nn.SELU(), (3, 4)),
    (lambda: nn.GELU(), (3, 4)),
    (lambda: nn.Swish(), (3, 4)),
    (lambda: nn.Dropout(0.5), (3, 4)),
    (lambda: nn.ReflectionPad2D(1), (1, 2, 4, 4)),
]


@pytest.mark.parametrize("make,shape", _LAYERS, ids=[str(i) for i in range(len(_LAYERS))])
def test_every_layer_gives_the_same_values_and_gradients_hybridized(make, shape):
    x = mx.nd.array(np.random.RandomState(0).randint(0, 10, (3, 4))) if shape is None else \
        mx.nd.random.uniform(-1, 1, shape=shape)
    a, b = _twin(make, x)
    for net in (a, b):
        x.attach_grad()
        with autograd.record(train_mode=False):
            y = net(x)
            loss = (y * y).sum()
        loss.backward()
        net._out, net._xgrad = y.asnumpy(), x.grad.asnumpy()
    np.testing.assert_allclose(b._out, a._out, rtol=1e-5, atol=1e-6)
    if shape is not None:
        np.testing.assert_allclose(b._xgrad, a._xgrad, rtol=1e-4, atol=1e-5)


class _Linear(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.w = self.params.get("w", shape=(4, 0), allow_deferred_init=True)

    def hybrid_forward(self, F, x, w):
        return F.FullyConnected(x, w, num_hidden=4, no_bias=True)


@pytest.mark.parametrize("hybridize", [False, True])
def test_custom_block_parameter_shapes_come_from_graph_inference(hybridize):
    block = _Linear()
    block.initialize(mx.init.One())
    if hybridize:
        block.hybridize()
    assert block(mx.nd.ones((2, 7))).asnumpy().tolist() == [[7.0] * 4] * 2
    assert block.w.shape == (4, 7)


def test_an_unused_input_warns_as_mxnet_and_still_runs():
    class IgnoresY(gluon.HybridBlock):
        def hybrid_forward(self, F, x, y):
            return x * 2

    block = IgnoresY()
    block.hybridize()
    with pytest.warns(UserWarning, match="The 1-th input to HybridBlock is not used"):
        out = block(mx.nd.ones((2,)), mx.nd.ones((2,)))
    np.testing.assert_array_equal(out.asnumpy(), [2, 2])
