"""Gluon against files written by real MXNet 1.9.1 (tests/fixtures/mxnet-1.9.1, see its README).

Both directions: MXNet's ``save_parameters`` files load into the same networks built with minimx
and give MXNet's outputs; minimx's ``save_parameters`` of those values writes the very same bytes,
so MXNet reads minimx's files back unchanged. (Checked by hand too: the files minimx wrote were
loaded by MXNet 1.9.1 and gave ``y`` to within 1e-6.)
"""
import numpy as np
import pytest

import minimx as mx
from minimx import autograd, gluon
from minimx.gluon import nn
from minimx.gluon.model_zoo import vision


def _mlp():
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="relu", in_units=5), nn.Dense(3, in_units=8))
    return net


class LeNet(gluon.HybridBlock):
    """The fixture's LeNet; the attribute names are what its file stores (``c1.weight``)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.c1 = nn.Conv2D(6, kernel_size=5, padding=2, activation="relu")
            self.bn = nn.BatchNorm()
            self.p1 = nn.MaxPool2D(2)
            self.c2 = nn.Conv2D(16, kernel_size=5, activation="relu")
            self.p2 = nn.AvgPool2D(2)
            self.f = nn.Flatten()
            self.d1 = nn.Dense(32, activation="tanh")
            self.d2 = nn.Dense(10)

    def hybrid_forward(self, F, x):
        x = self.p1(self.bn(self.c1(x)))
        x = self.f(self.p2(self.c2(x)))
        return self.d2(self.d1(x))


def _mobilenet():
    return vision.mobilenet0_25(classes=10)


# fixture file -> (network factory, io file)
CASES = {"mlp.params": (_mlp, "mlp_io.npz"),
         "lenet.params": (LeNet, "lenet_io.npz"),
         "mobilenet0_25_classes10.params": (_mobilenet, "mobilenet0_25_io.npz")}


@pytest.mark.parametrize("fname", sorted(CASES))
def test_mxnet_file_loads_and_gives_mxnet_output(fixtures_dir, fname):
    make, io_name = CASES[fname]
    net = make()
    net.load_parameters(str(fixtures_dir / fname))
    io = np.load(fixtures_dir / io_name)
    y = net(mx.nd.array(io["x"])).asnumpy()
    assert y.shape == io["y"].shape
    np.testing.assert_allclose(y, io["y"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fname", sorted(CASES))
def test_hybridized_net_gives_mxnet_output(fixtures_dir, fname):
    make, io_name = CASES[fname]
    net = make()
    net.load_parameters(str(fixtures_dir / fname))
    net.hybridize()
    io = np.load(fixtures_dir / io_name)
    for _ in range(2):     # the first call may trace, the second replays
        np.testing.assert_allclose(net(mx.nd.array(io["x"])).asnumpy(), io["y"], rtol=1e-4,
                                   atol=1e-5)


@pytest.mark.parametrize("fname", sorted(CASES) + ["adam_dense.params"])
def test_saved_file_is_byte_identical_to_mxnets(fixtures_dir, tmp_path, fname):
    """Load MXNet's file, save it again: the bytes are MXNet's, so MXNet reads minimx's files."""
    make = CASES[fname][0] if fname in CASES else (lambda: nn.Dense(2, in_units=3))
    net = make()
    net.load_parameters(str(fixtures_dir / fname))
    out = tmp_path / fname
    net.save_parameters(str(out))
    assert out.read_bytes() == (fixtures_dir / fname).read_bytes()


def test_saved_file_round_trips(fixtures_dir, tmp_path):
    """A file minimx wrote from its own (fresh) values loads back into a new net unchanged."""
    net = LeNet()
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(np.load(fixtures_dir / "lenet_io.npz")["x"])
    y = net(x).asnumpy()
    net.save_parameters(str(tmp_path / "lenet.params"))
    loaded = mx.nd.load(str(tmp_path / "lenet.params"))
    assert sorted(loaded) == sorted(mx.nd.load(str(fixtures_dir / "lenet.params")))
    net2 = LeNet()
    net2.load_parameters(str(tmp_path / "lenet.params"))
    np.testing.assert_array_equal(net2(x).asnumpy(), y)


def test_adam_dense_params_load(fixtures_dir):
    net = nn.Dense(2, in_units=3)
    net.load_parameters(str(fixtures_dir / "adam_dense.params"))
    raw = mx.nd.load(str(fixtures_dir / "adam_dense.params"))
    np.testing.assert_array_equal(net.weight.data().asnumpy(), raw["weight"].asnumpy())
    np.testing.assert_array_equal(net.bias.data().asnumpy(), raw["bias"].asnumpy())
    # 3 Adam steps from zero bias moved it by about 3 * lr = 0.03
    assert 0 < np.abs(raw["bias"].asnumpy()).max() <= 0.031


def test_wrong_structure_is_a_clear_error(fixtures_dir):
    with pytest.raises(mx.MXNetError, match="d1"):
        _mlp().load_parameters(str(fixtures_dir / "lenet.params"))


# ---- training a small ResNet-style network -----------------------------------------------------

class _Residual(gluon.HybridBlock):
    """conv3x3 (strided) - BN - ReLU - conv3x3 - BN, plus a 1x1 strided projection, then ReLU."""

    def __init__(self, channels, strides, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.conv1 = nn.Conv2D(channels, 3, strides=strides, padding=1, use_bias=False)
            self.bn1 = nn.BatchNorm()
            self.conv2 = nn.Conv2D(channels, 3, padding=1, use_bias=False)
            self.bn2 = nn.BatchNorm()
            self.proj = nn.Conv2D(channels, 1, strides=strides, use_bias=False)

    def hybrid_forward(self, F, x):
        y = F.Activation(self.bn1(self.conv1(x)), act_type="relu")
        y = self.bn2(self.conv2(y))
        return F.Activation(y + self.proj(x), act_type="relu")


def _conv_block(channels):
    block = nn.HybridSequential(prefix="")
    for _ in range(2):
        block.add(nn.Conv2D(channels, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"))
    return block


def test_resnet_style_training_loss_falls():
    mx.random.seed(0)
    np.random.seed(0)
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(64, 7, strides=2, padding=3, activation="relu"), nn.BatchNorm(),
                nn.MaxPool2D(3, 2))
        net.add(_conv_block(64), _conv_block(64))
        net.add(_Residual(128, 2), _Residual(256, 2))
        net.add(nn.Flatten(), nn.Dense(10))
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(np.random.uniform(-1, 1, (8, 3, 32, 32)))
    label = mx.nd.array(np.arange(8) % 10)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01})
    losses = []
    for _ in range(20):
        with autograd.record():
            loss = loss_fn(net(x), label)
        loss.backward()
        trainer.step(x.shape[0])
        losses.append(float(loss.mean().asscalar()))
    # MXNet 1.9.1 on the same recipe (its own random init): 2.55, 0.18, 0.0071, ..., 0.0013
    assert np.all(np.isfinite(losses)), losses
    assert losses[0] > 1.5 and losses[-1] < 0.05, losses
    assert all(b < a for a, b in zip(losses[3:], losses[4:])), losses
